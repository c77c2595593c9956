// Team-mode handlers: who is calling, a dataset's double-review share, inter-reviewer agreement.
import type { Handlers, ServiceContext } from './context';
import { reviewerAgreement } from '../review/team';

type TeamMethods = 'team.me' | 'team.settings' | 'team.agreement';

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
  };
}
