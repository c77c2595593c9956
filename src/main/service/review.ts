// Review-screen handlers: multi-label steps, server-side undo / redo, review status, proposals, mask saves.
import { AppError } from '../../shared/errors';
import type { ServiceContext, Handlers } from './context';
import { faceDetail, coerceLabel } from '../constraints/faces';
import { labelToText } from '../constraints/index';
import { historyStacks, replayChanges, revertChanges } from '../review/history';
import { faceProposal } from '../review/proposal';
import { encodeHumanMask } from '../review/masks';
import { staleLabels } from '../review/stale';
import { MASK_KEY } from '../store/repositories/label-history';
import { assertNotHeld, CLAIM_LEASE_MS } from '../review/team';

type ReviewMethods =
  'labels.apply' | 'labels.undo' | 'labels.redo' | 'reviews.set' | 'faces.proposal' | 'masks.save';

export function reviewHandlers(ctx: ServiceContext): Pick<Handlers, ReviewMethods> {
  const { store, engine } = ctx;
  const actor = ctx.actor;
  /** Team mode: an edit keeps the editor's claim on the face alive (review/team.ts). */
  const renewClaim = (faceId: number) => {
    const c = ctx.caller();
    if (c) store.team.renewClaim(c.id, faceId, Date.now() + CLAIM_LEASE_MS);
  };
  const requireFace = (faceId: number) => {
    if (!store.faces.get(faceId)) {
      throw new AppError('not_found', `face ${faceId} not found`, { where: { field: 'faceId' } });
    }
  };
  /** An edit's face: it exists and, in team mode, no other reviewer holds it (review/team.ts assertNotHeld). */
  const requireEditable = (faceId: number) => {
    requireFace(faceId);
    assertNotHeld(store, ctx.caller(), [faceId]);
  };

  /** Undo or redo the top step, in one transaction with the violations re-check. */
  const travel = (faceId: number, direction: 'undo' | 'redo') => {
    store.write(() => {
      requireEditable(faceId);
      const stacks = historyStacks(store.labelHistory.log(faceId));
      const top = (direction === 'undo' ? stacks.undo : stacks.redo).at(-1);
      if (!top) throw new AppError('conflict', `nothing to ${direction} for face ${faceId}`);
      const meta = { actor: actor(), kind: direction, undoOf: top.step };
      const mask = top.changes.find((c) => c.key === MASK_KEY);
      if (mask) {
        // A saved mask version: undo parks it (the version before shows again), redo brings it back.
        const version = Number(mask.new);
        const before = mask.old === null ? null : Number(mask.old);
        const moved =
          direction === 'undo'
            ? store.labelHistory.parkMask(faceId, version)
            : store.labelHistory.restoreMask(faceId, version);
        if (!moved) throw new AppError('conflict', `human mask v${version} of face ${faceId} is gone`);
        const change = direction === 'undo' ? { old: version, new: before } : { old: before, new: version };
        store.labelHistory.maskStep(faceId, change, meta);
      } else {
        const changes = direction === 'undo' ? revertChanges(top) : replayChanges(top);
        store.labelHistory.applyStep(faceId, changes, meta);
      }
      engine.refreshFace(faceId);
    });
    ctx.facesChanged([faceId], 'labels', actor());
    return faceDetail(store, faceId);
  };

  return {
    'labels.apply': ({ faceId, changes, seenEventId }) => {
      // Validate every value before writing any: a refused change writes nothing.
      const texts = changes.map((c, i) => {
        try {
          return { key: c.key, value: c.value === null ? null : labelToText(coerceLabel(c.key, c.value)) };
        } catch (err) {
          const e = AppError.from(err);
          throw new AppError(e.code, e.message, {
            where: { field: `changes.${i}.${e.where?.field ?? 'value'}` },
          });
        }
      });
      const stale = store.write(() => {
        requireEditable(faceId);
        const overwritten = staleLabels(store, faceId, texts, seenEventId);
        store.labelHistory.applyStep(faceId, texts, { actor: actor(), kind: 'edit', undoOf: null });
        engine.refreshFace(faceId);
        renewClaim(faceId);
        return overwritten;
      });
      ctx.facesChanged([faceId], 'labels', actor());
      return { ...faceDetail(store, faceId), stale };
    },
    'labels.undo': ({ faceId }) => travel(faceId, 'undo'),
    'labels.redo': ({ faceId }) => travel(faceId, 'redo'),
    'reviews.set': ({ faceIds, status }) => {
      const unique = [...new Set(faceIds)];
      store.write(() => {
        const missing = unique.find((id) => !store.faces.get(id));
        if (missing !== undefined) {
          throw new AppError('not_found', `face ${missing} not found`, { where: { field: 'faceIds' } });
        }
        assertNotHeld(store, ctx.caller(), unique, 'faceIds');
        const at = Date.now();
        const caller = ctx.caller();
        for (const id of unique) {
          store.faces.setReview(id, status, at);
          // Team mode: who decided, with the labels they signed off; their claim on the face ends here.
          if (caller) {
            store.team.recordReview(id, caller.name, status, at);
            store.team.releaseClaim(caller.id, id);
          }
        }
      });
      ctx.facesChanged(unique, 'review', actor());
      return { updated: unique.length };
    },
    'faces.proposal': ({ faceId }) => {
      requireFace(faceId);
      return faceProposal(store, engine, faceId);
    },
    'masks.save': async (req) => {
      const mask = await encodeHumanMask(store, req);
      store.write(() => {
        requireEditable(req.faceId);
        const before = store.labelHistory.latestHumanMask(req.faceId);
        const version = store.faces.addMask(req.faceId, { source: 'human', ...mask });
        // The save is a step of the face's history: labels.undo parks this version again.
        store.labelHistory.maskStep(
          req.faceId,
          { old: before, new: version },
          { actor: actor(), kind: 'edit', undoOf: null },
        );
        engine.refreshFace(req.faceId);
        renewClaim(req.faceId);
      });
      ctx.facesChanged([req.faceId], 'mask', actor());
      return faceDetail(store, req.faceId);
    },
  };
}
