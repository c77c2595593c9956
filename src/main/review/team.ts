// Team review: which faces a reviewer may be handed (claims under a lease, double review) and inter-reviewer
// agreement (Cohen's kappa) from the reviewers' sign-offs.
import type { ReviewerKappa } from '../../shared/api';
import { AppError } from '../../shared/errors';
import type { ReviewSignoff, Store } from '../store/index';

/** How long a handed-out face stays a reviewer's: renewed by each edit on it, released by next / a status. */
export const CLAIM_LEASE_MS = 10 * 60_000;

/** Statuses that count as a reviewer's decision on a face (a skip is not one). */
const DECIDED = new Set(['reviewed', 'flagged']);

/**
 * Whether a face belongs to the double-review share: a fixed hash of its id to [0, 1) compared with the share,
 * so the choice never changes as the share is read again, and raising the share only adds faces.
 */
export function isDoubled(faceId: number, share: number): boolean {
  if (share <= 0) return false;
  if (share >= 1) return true;
  // splitmix32-style integer mix: neighbouring ids land far apart.
  let h = faceId >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  h = (h ^ (h >>> 16)) >>> 0;
  return h / 2 ** 32 < share;
}

/**
 * Faces the queue must not hand to this user now: ones they already decided or skipped, ones whose reviewers
 * (decided plus others holding a live claim) already number what the face needs (2 when doubled, else 1), and
 * single faces a review status already closed. Faces outside the returned set are free for them.
 */
export function blockedFaces(
  store: Store,
  datasetId: number,
  user: { id: number; name: string },
  reviewed: ReadonlySet<number>,
  now = Date.now(),
): Set<number> {
  const share = store.team.doubleReview(datasetId);
  const claims = store.team.activeClaims(datasetId, now);
  const deciders = new Map<number, Set<string>>();
  const mine = new Set<number>();
  for (const e of store.team.reviewDeciders(datasetId, user.name)) {
    if (e.actor === user.name) mine.add(e.faceId);
    if (!DECIDED.has(e.status)) continue;
    let s = deciders.get(e.faceId);
    if (!s) deciders.set(e.faceId, (s = new Set()));
    s.add(e.actor);
  }
  const blocked = new Set<number>(mine);
  for (const faceId of new Set([...reviewed, ...claims.keys(), ...deciders.keys()])) {
    if (blocked.has(faceId)) continue;
    const doubled = isDoubled(faceId, share);
    const others = (claims.get(faceId) ?? []).filter((id) => id !== user.id).length;
    const decided = deciders.get(faceId)?.size ?? (reviewed.has(faceId) && !doubled ? 1 : 0);
    if (decided + others >= (doubled ? 2 : 1)) blocked.add(faceId);
  }
  return blocked;
}

/**
 * Team mode: refuses an edit (label, mask, undo / redo, review status) of a face someone else holds under a live
 * claim, unless the editor holds one on it too (double review hands a face to two reviewers). The refusal names
 * the holder so nobody overwrites a colleague's work in progress unknowingly; an admin takes the face over
 * explicitly (`team.takeOver`) rather than editing past the claim. Call it inside store.write().
 */
export function assertNotHeld(
  store: Store,
  user: { id: number; name: string; role: string } | null,
  faceIds: readonly number[],
  field: 'faceId' | 'faceIds' = 'faceId',
  now = Date.now(),
): void {
  if (!user) return;
  for (const faceId of faceIds) {
    const claims = store.team.faceClaims(faceId, now);
    if (claims.length === 0 || claims.some((c) => c.userId === user.id)) continue;
    const holder = claims[0]!;
    const minutes = Math.max(1, Math.ceil((holder.until - now) / 60_000));
    throw new AppError(
      'conflict',
      `face ${faceId} is being reviewed by ${holder.name} (claim runs ${minutes} more minute${minutes === 1 ? '' : 's'}): ` +
        'nothing was changed',
      {
        where: { field },
        hint:
          user.role === 'admin'
            ? `Take the face over from ${holder.name} (team.takeOver), then edit it.`
            : `Wait until ${holder.name} sets its review status or the claim runs out, or ask an admin to take it over.`,
      },
    );
  }
}

/** Cohen's kappa of paired ratings: (p_o - p_e) / (1 - p_e); null when there are none or p_e is 1. */
export function cohenKappa(pairs: readonly (readonly [string, string])[]): {
  n: number;
  observed: number | null;
  kappa: number | null;
} {
  const n = pairs.length;
  if (n === 0) return { n, observed: null, kappa: null };
  const a = new Map<string, number>();
  const b = new Map<string, number>();
  let same = 0;
  for (const [x, y] of pairs) {
    if (x === y) same++;
    a.set(x, (a.get(x) ?? 0) + 1);
    b.set(y, (b.get(y) ?? 0) + 1);
  }
  const po = same / n;
  let pe = 0;
  for (const [v, c] of a) pe += (c / n) * ((b.get(v) ?? 0) / n);
  return { n, observed: po, kappa: pe >= 1 ? null : (po - pe) / (1 - pe) };
}

/**
 * Agreement per label key between the first two people who decided each face (their latest decision each),
 * over the labels they signed off.
 */
export function reviewerAgreement(events: readonly (ReviewSignoff & { status: string })[]): {
  faces: number;
  reviewers: string[];
  attributes: ReviewerKappa[];
} {
  // Per face: actor -> their latest decided sign-off, actors in order of their first decision.
  const byFace = new Map<number, Map<string, ReviewSignoff>>();
  for (const e of events) {
    if (!DECIDED.has(e.status)) continue;
    let m = byFace.get(e.faceId);
    if (!m) byFace.set(e.faceId, (m = new Map()));
    m.set(e.actor, e);
  }
  const pairs = new Map<string, [string, string][]>();
  const reviewers = new Set<string>();
  let faces = 0;
  for (const m of byFace.values()) {
    if (m.size < 2) continue;
    faces++;
    const [first, second] = [...m.values()];
    reviewers.add(first!.actor).add(second!.actor);
    for (const key of Object.keys(first!.labels)) {
      const y = second!.labels[key];
      if (y === undefined) continue;
      let list = pairs.get(key);
      if (!list) pairs.set(key, (list = []));
      list.push([first!.labels[key]!, y]);
    }
  }
  const attributes = [...pairs.keys()].sort().map((key) => ({ key, ...cohenKappa(pairs.get(key)!) }));
  return { faces, reviewers: [...reviewers].sort(), attributes };
}
