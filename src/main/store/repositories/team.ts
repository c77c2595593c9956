// Team mode: people and their token hashes, review claims under a lease, and each reviewer's sign-off per face.
import type { Db as Database } from '../db-types';

export type UserRole = 'admin' | 'reviewer';

export interface UserRow {
  id: number;
  name: string;
  role: UserRole;
  createdAt: number;
  disabledAt: number | null;
}

export interface ReviewSignoff {
  faceId: number;
  actor: string;
  /** The face's effective labels when the reviewer marked it (key -> stored text). */
  labels: Record<string, string>;
  at: number;
}

/** An admin ending another reviewer's claim on a face (`team.takeOver`). */
export interface FaceTakeOver {
  id: number;
  /** The admin who took the face over. */
  actor: string;
  /** The reviewer whose claim ended. */
  from: string;
  at: number;
}

/** One review status a person set on a face, with the effective labels it signed off. */
export interface FaceReviewEvent {
  id: number;
  actor: string;
  status: string;
  labels: Record<string, string>;
  at: number;
}

const userCols = `id, name, role, created_at AS createdAt, disabled_at AS disabledAt`;

export function createTeamRepository(db: Database) {
  const insertUser = db.prepare(`INSERT INTO users (name, role, token_hash, created_at)
    VALUES (@name, @role, @hash, @at) RETURNING id`);
  const userByName = db.prepare(`SELECT ${userCols} FROM users WHERE name = ?`);
  const userByHash = db.prepare(`SELECT ${userCols} FROM users WHERE token_hash = ? AND disabled_at IS NULL`);
  const allUsers = db.prepare(`SELECT ${userCols} FROM users ORDER BY name`);
  const activeUsers = db.prepare(`SELECT count(*) FROM users WHERE disabled_at IS NULL`).pluck();
  const disable = db.prepare(`UPDATE users SET disabled_at = ? WHERE name = ? AND disabled_at IS NULL`);
  const dropUserClaims = db.prepare(`DELETE FROM review_claims WHERE user_id = ?`);

  const doubleShare = db.prepare(`SELECT double_review FROM datasets WHERE id = ?`).pluck();
  const setDoubleShare = db.prepare(`UPDATE datasets SET double_review = @share WHERE id = @id`);
  const activeClaims = db.prepare(`SELECT face_id AS faceId, user_id AS userId FROM review_claims
    WHERE dataset_id = ? AND lease_until > ?`);
  const releaseDataset = db.prepare(`DELETE FROM review_claims WHERE user_id = ? AND dataset_id = ?`);
  const releaseFace = db.prepare(`DELETE FROM review_claims WHERE user_id = ? AND face_id = ?`);
  const insertClaim = db.prepare(`INSERT INTO review_claims (face_id, user_id, dataset_id, lease_until)
    VALUES (@faceId, @userId, @datasetId, @until) ON CONFLICT (face_id, user_id)
    DO UPDATE SET lease_until = excluded.lease_until, dataset_id = excluded.dataset_id`);
  const renew = db.prepare(`UPDATE review_claims SET lease_until = ? WHERE user_id = ? AND face_id = ?`);
  const insertSignoff = db.prepare(`INSERT INTO review_events (face_id, actor, status, labels, at)
    VALUES (@faceId, @actor, @status, @labels, @at)`);
  const signoffsOfDataset = db.prepare(`SELECT e.face_id AS faceId, e.actor, e.status, e.labels, e.at
    FROM review_events e JOIN faces f ON f.id = e.face_id JOIN images i ON i.id = f.image_id
    WHERE i.dataset_id = ? ORDER BY e.id`);
  // What the review queue's claim check needs of the review events: who decided which face, and which faces the
  // asking reviewer touched; distinct rows, without the signed-off labels.
  const deciders = db.prepare(`SELECT DISTINCT e.face_id AS faceId, e.actor, e.status
    FROM review_events e JOIN faces f ON f.id = e.face_id JOIN images i ON i.id = f.image_id
    WHERE i.dataset_id = ? AND (e.actor = ? OR e.status IN ('reviewed', 'flagged'))`);
  const effective = db.prepare(`SELECT key, value, source FROM labels WHERE face_id = ?`);
  const reviewsOfFace = db.prepare(
    `SELECT id, actor, status, labels, at FROM review_events WHERE face_id = ? ORDER BY id`,
  );
  const claimsOfFace = db.prepare(`SELECT u.id AS userId, u.name, c.lease_until AS until
    FROM review_claims c JOIN users u ON u.id = c.user_id
    WHERE c.face_id = ? AND c.lease_until > ? ORDER BY c.lease_until, u.name`);
  const dropFaceClaims = db.prepare(`DELETE FROM review_claims WHERE face_id = ? AND user_id <> ?`);
  const insertTakeOver = db.prepare(`INSERT INTO review_takeovers (face_id, actor, from_actor, at)
    VALUES (@faceId, @actor, @from, @at)`);
  const takeOversOfFace = db.prepare(`SELECT id, actor, from_actor AS fromActor, at FROM review_takeovers
    WHERE face_id = ? ORDER BY id`);

  return {
    /** Adds a user; the caller keeps the token, only its hash is stored. */
    addUser(u: { name: string; role: UserRole; tokenHash: string }, at = Date.now()): number {
      return (insertUser.get({ name: u.name, role: u.role, hash: u.tokenHash, at }) as { id: number }).id;
    },
    user(name: string): UserRow | undefined {
      return userByName.get(name) as UserRow | undefined;
    },
    /** The active (not revoked) user with this token hash. */
    userByTokenHash(hash: string): UserRow | undefined {
      return userByHash.get(hash) as UserRow | undefined;
    },
    users(): UserRow[] {
      return allUsers.all() as UserRow[];
    },
    activeUserCount(): number {
      return activeUsers.get() as number;
    },
    /** Revokes a user's token (the row stays: history names them); false when none was active. */
    revokeUser(name: string, at = Date.now()): boolean {
      const u = userByName.get(name) as UserRow | undefined;
      if (!u || disable.run(at, name).changes === 0) return false;
      dropUserClaims.run(u.id);
      return true;
    },

    doubleReview(datasetId: number): number {
      return (doubleShare.get(datasetId) as number | undefined) ?? 0;
    },
    setDoubleReview(datasetId: number, share: number): void {
      setDoubleShare.run({ id: datasetId, share });
    },
    /** Claims whose lease has not run out, per face: the users holding it. */
    activeClaims(datasetId: number, now = Date.now()): Map<number, number[]> {
      const out = new Map<number, number[]>();
      for (const r of activeClaims.all(datasetId, now) as { faceId: number; userId: number }[]) {
        const list = out.get(r.faceId);
        if (list) list.push(r.userId);
        else out.set(r.faceId, [r.userId]);
      }
      return out;
    },
    /** Gives the user this face (dropping their other claims in the dataset); inside store.write(). */
    claim(userId: number, datasetId: number, faceId: number, until: number): void {
      releaseDataset.run(userId, datasetId);
      insertClaim.run({ faceId, userId, datasetId, until });
    },
    renewClaim(userId: number, faceId: number, until: number): void {
      renew.run(until, userId, faceId);
    },
    releaseClaim(userId: number, faceId: number): void {
      releaseFace.run(userId, faceId);
    },
    /** Records a person's review status of a face with the effective labels they signed off. */
    recordReview(faceId: number, actor: string, status: string, at = Date.now()): void {
      const labels: Record<string, string> = {};
      // Effective value: human over import (rows arrive in no set order, so human always overwrites).
      for (const r of effective.all(faceId) as { key: string; value: string; source: string }[]) {
        if (r.source === 'human' || !(r.key in labels)) labels[r.key] = r.value;
      }
      insertSignoff.run({ faceId, actor, status, labels: JSON.stringify(labels), at });
    },
    /** Every review event of the dataset's faces, oldest first. */
    reviewEvents(datasetId: number): (ReviewSignoff & { status: string })[] {
      type Row = { faceId: number; actor: string; status: string; labels: string; at: number };
      return (signoffsOfDataset.all(datasetId) as Row[]).map((r) => ({
        ...r,
        labels: JSON.parse(r.labels) as Record<string, string>,
      }));
    },
    /**
     * The dataset's review events the queue's claim check reads: every decided one (reviewed, flagged) and every
     * one by `actor`, as distinct (face, actor, status) rows without labels.
     */
    reviewDeciders(datasetId: number, actor: string): { faceId: number; actor: string; status: string }[] {
      return deciders.all(datasetId, actor) as { faceId: number; actor: string; status: string }[];
    },
    /** Who set which review status on a face with the labels they signed off, oldest first. */
    faceReviews(faceId: number): FaceReviewEvent[] {
      type Row = Omit<FaceReviewEvent, 'labels'> & { labels: string };
      return (reviewsOfFace.all(faceId) as Row[]).map((r) => ({
        ...r,
        labels: JSON.parse(r.labels) as Record<string, string>,
      }));
    },
    /** Live claims on a face (lease ahead of `now`): who holds it until when, soonest to run out first. */
    faceClaims(faceId: number, now = Date.now()): { userId: number; name: string; until: number }[] {
      return claimsOfFace.all(faceId, now) as { userId: number; name: string; until: number }[];
    },
    /** Ends everyone else's claim on a face (an admin taking it over); inside store.write(). */
    dropOtherClaims(faceId: number, userId: number): number {
      return dropFaceClaims.run(faceId, userId).changes;
    },
    /** Records that `actor` took the face over from `from`; inside the store.write() that moved the claim. */
    recordTakeOver(faceId: number, actor: string, from: string, at = Date.now()): void {
      insertTakeOver.run({ faceId, actor, from, at });
    },
    /** Who took the face over from whom, oldest first. */
    faceTakeOvers(faceId: number): FaceTakeOver[] {
      type Row = Omit<FaceTakeOver, 'from'> & { fromActor: string };
      return (takeOversOfFace.all(faceId) as Row[]).map(({ fromActor, ...r }) => ({ ...r, from: fromActor }));
    },
  };
}
export type TeamRepository = ReturnType<typeof createTeamRepository>;
