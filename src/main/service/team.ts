// Team-mode handlers: who is calling, a dataset's double-review share, inter-reviewer agreement.
import type { Handlers, ServiceContext } from './context';
import { AppError } from '../../shared/errors';
import { faceDetail } from '../constraints/faces';
import { logger } from '../log';
import { CLAIM_LEASE_MS, reviewerAgreement } from '../review/team';

type TeamMethods = 'team.me' | 'team.settings' | 'team.agreement' | 'team.takeOver';

export function teamHandlers(ctx: ServiceContext): Pick<Handlers, TeamMethods> {
  const { store } = ctx;
  return {
    'team.me': () => {
      const c = ctx.caller();
      return { team: c !== null, user: c ? { name: c.name, role: c.role } : null };
    },
    'team.settings': ({ datasetId, doubleReview }) => {
      ctx.getDataset(datasetId);
      if (doubleReview !== undefined) store.write(() => store.team.setDoubleReview(datasetId, doubleReview));
      return { doubleReview: store.team.doubleReview(datasetId) };
    },
    'team.agreement': ({ datasetId }) => {
      ctx.getDataset(datasetId);
      return {
        doubleReview: store.team.doubleReview(datasetId),
        ...reviewerAgreement(store.team.reviewEvents(datasetId)),
      };
    },
    'team.takeOver': ({ faceId }) => {
      const caller = ctx.caller();
      if (!caller) {
        throw new AppError(
          'invalid_request',
          'team.takeOver needs team mode: outside it nobody holds a face',
        );
      }
      const result = store.write(() => {
        const face = store.faces.summary(faceId);
        if (!face)
          throw new AppError('not_found', `face ${faceId} not found`, { where: { field: 'faceId' } });
        const from = store.team
          .faceClaims(faceId)
          .filter((c) => c.userId !== caller.id)
          .map((c) => c.name);
        store.team.dropOtherClaims(faceId, caller.id);
        const now = Date.now();
        const until = now + CLAIM_LEASE_MS;
        store.team.claim(caller.id, face.datasetId, faceId, until);
        // Part of the face's history (History lists it), committed with the claim change or not at all.
        for (const name of from) store.team.recordTakeOver(faceId, caller.name, name, now);
        return { from, until };
      });
      // Who overrode whom is worth a line in the log; the former holders' screens refetch and show the new holder.
      if (result.from.length > 0)
        logger().info({ faceId, by: caller.name, from: result.from }, 'face taken over');
      ctx.facesChanged([faceId], 'review', caller.name);
      return { ...result, detail: faceDetail(store, faceId) };
    },
  };
}
