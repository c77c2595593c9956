// Team mode (issue #32.3): who is calling, a dataset's double-review share, inter-reviewer agreement; team.*.

import type { FaceDetail } from './faces';

export type UserRole = 'admin' | 'reviewer';

/** Inter-reviewer agreement of one attribute over the faces two reviewers signed off. */
export interface ReviewerKappa {
  key: string;
  /** Doubly-reviewed faces where both reviewers' sign-offs have a value for the key. */
  n: number;
  /** Share of those faces where both gave the same value. */
  observed: number | null;
  /** Cohen's kappa; null when n is 0 or chance agreement is 1 (both always gave the same single value). */
  kappa: number | null;
}

export type TeamApi = {
  /** The calling person (team mode), or null outside team mode (the desktop app, `serve` without --team). */
  'team.me': {
    req: Record<string, never>;
    res: { team: boolean; user: { name: string; role: UserRole } | null };
  };
  /**
   * Reads (only datasetId) or changes (admin) a dataset's double-review share: 0..1 of its faces, chosen per face
   * by a hash of its id, are handed to two different reviewers.
   */
  'team.settings': { req: { datasetId: number; doubleReview?: number }; res: { doubleReview: number } };
  /**
   * Inter-reviewer agreement per attribute: Cohen's kappa between the first two reviewers of each face reviewed
   * by two different people, over the labels each signed off (`reviews.set` reviewed or flagged).
   */
  'team.agreement': {
    req: { datasetId: number };
    res: { doubleReview: number; faces: number; reviewers: string[]; attributes: ReviewerKappa[] };
  };
  /**
   * An admin takes a face over from the reviewers holding it (team mode): their claims end, the admin holds it under
   * a fresh lease, and edits by the former holders are refused naming the admin. `from`: whose claims ended;
   * `detail`: the face as it is now (its claims name the admin).
   */
  'team.takeOver': { req: { faceId: number }; res: { from: string[]; until: number; detail: FaceDetail } };
};
