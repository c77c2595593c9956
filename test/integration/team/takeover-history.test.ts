// Take-overs in a face's history (issue #32), on SQLite (`serve --team`) and PostgreSQL: team.takeOver records who
// took the face over from whom and when, with the claim change; faces.get serves it beside the review events; the
// 0014 migration adds its table and keeps the review events already recorded.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FaceDetail } from '../../../src/shared/api';
import { CLAIM_LEASE_MS } from '../../../src/main/review/team';
import { openStore, type Store } from '../../../src/main/store/index';
import { migrations } from '../../../src/main/store/migrations/index';
import { BACKENDS, freshTarget, rawDb, skipBackend } from '../../helpers/backends';
import { tempDir } from '../../helpers/fs';
import { startTeamServer, type TeamServer } from '../../helpers/team-server';

describe.each(BACKENDS)('take-overs in History (%s)', (backend) => {
  describe.skipIf(skipBackend(backend))(backend, () => {
    const t = tempDir('fi-takeover-');
    let target = '';
    let cleanupTarget = () => {};
    let server: TeamServer;
    let store: Store;
    let tokens: Record<string, string>;
    let ds = 0;
    /**
     * Faces without a take-over yet (not the first case's) and without seeded violations (seedFaces writes a bare
     * violation detail that faces.get cannot show).
     */
    let first = 0;
    const untouched = () =>
      store.faces.idsOfDataset(ds).filter((id) => id !== first && store.faces.summary(id)!.violations === 0);

    const ok = <T>(method: string, req: unknown, token: string) => server.ok<T>(method, req, token);

    beforeAll(async () => {
      ({ target, cleanup: cleanupTarget } = await freshTarget(backend, 'takeover'));
      server = await startTeamServer(t.dir, target, [
        ['ann', 'admin'],
        ['bob', 'reviewer'],
        ['carol', 'reviewer'],
      ]);
      ({ store, tokens, datasetId: ds } = server);
    });
    afterAll(async () => {
      await server?.close();
      cleanupTarget();
      t.cleanup();
    });

    it('records who took a held face over from whom and when, and serves it in the face history', async () => {
      const { item } = await ok<{ item: { face: { id: number } } | null }>(
        'learning.next',
        { datasetId: ds, order: 'useful' },
        tokens.bob!,
      );
      const faceId = item!.face.id;
      first = faceId;
      await ok('labels.apply', { faceId, changes: [{ key: 'Smiling', value: 1 }] }, tokens.bob!);
      const before = Date.now();
      const taken = await ok<{ from: string[]; until: number; detail: FaceDetail }>(
        'team.takeOver',
        { faceId },
        tokens.ann!,
      );
      expect(taken.from).toEqual(['bob']);
      // The take-over's own answer already carries it, and so does every later faces.get (here bob's).
      const entry = { id: expect.any(Number), actor: 'ann', from: 'bob', at: taken.until - CLAIM_LEASE_MS };
      expect(taken.detail.takeOvers).toEqual([entry]);
      const d = await ok<FaceDetail>('faces.get', { id: faceId }, tokens.bob!);
      expect(d.takeOvers).toEqual([entry]);
      expect(d.takeOvers[0]!.at).toBeGreaterThanOrEqual(before);
      expect(d.takeOvers[0]!.at).toBeGreaterThanOrEqual(d.history[0]!.at);
      expect(d.claims.map((c) => c.user)).toEqual(['ann']);
      // A take-over is no sign-off: agreement and the review events do not see it.
      expect(d.reviews).toEqual([]);

      // Taking over a face she already holds ends nobody's claim and adds no entry.
      expect((await ok<{ from: string[] }>('team.takeOver', { faceId }, tokens.ann!)).from).toEqual([]);
      expect((await ok<FaceDetail>('faces.get', { id: faceId }, tokens.ann!)).takeOvers).toHaveLength(1);
      await ok('reviews.set', { faceIds: [faceId], status: 'reviewed' }, tokens.ann!);
    });

    it('records one entry per reviewer whose claim ended (double review), in the claim change transaction', async () => {
      const [faceId, other] = untouched() as [number, number];
      const until = Date.now() + CLAIM_LEASE_MS;
      store.write(() => {
        for (const name of ['bob', 'carol']) store.team.claim(store.team.user(name)!.id, ds, faceId, until);
      });
      const taken = await ok<{ from: string[]; detail: FaceDetail }>(
        'team.takeOver',
        { faceId },
        tokens.ann!,
      );
      expect(taken.from.sort()).toEqual(['bob', 'carol']);
      expect(taken.detail.takeOvers.map(({ actor, from }) => `${actor} from ${from}`).sort()).toEqual([
        'ann from bob',
        'ann from carol',
      ]);

      // A take-over whose transaction fails leaves neither the claim change nor the entry behind.
      store.write(() => store.team.claim(store.team.user('bob')!.id, ds, other, until));
      const ann = store.team.user('ann')!;
      expect(() =>
        store.write(() => {
          store.team.dropOtherClaims(other, ann.id);
          store.team.claim(ann.id, ds, other, until);
          store.team.recordTakeOver(other, 'ann', 'bob');
          throw new Error('fails before commit');
        }),
      ).toThrow('fails before commit');
      expect(store.team.faceTakeOvers(other)).toEqual([]);
      expect(store.team.faceClaims(other).map((c) => c.name)).toEqual(['bob']);
    });

    it('migration 0014 adds the take-over table and keeps the review events recorded before it', async () => {
      const faceId = untouched()[2]!;
      await ok('labels.apply', { faceId, changes: [{ key: 'Smiling', value: -1 }] }, tokens.carol!);
      await ok('reviews.set', { faceIds: [faceId], status: 'flagged' }, tokens.carol!);
      const events = store.team.faceReviews(faceId);
      expect(events.map((e) => [e.actor, e.status, e.labels.Smiling])).toEqual([['carol', 'flagged', '-1']]);
      const all = store.team.reviewEvents(ds);

      // Back to a version-13 database (0014 only adds a table), then migrate it again.
      const v14 = migrations.find((m) => m.name.startsWith('0014-'))!;
      expect(v14.pg).toBeTypeOf('function');
      const raw = rawDb(target);
      raw.exec(`DROP TABLE review_takeovers`);
      raw.exec(
        backend === 'sqlite'
          ? `PRAGMA user_version = 13`
          : `UPDATE schema_version SET version = 13 WHERE id = 1`,
      );
      raw.close();
      const reopened = openStore(target);
      try {
        expect(reopened.team.faceReviews(faceId)).toEqual(events);
        expect(reopened.team.reviewEvents(ds)).toEqual(all);
        expect(reopened.team.faceTakeOvers(faceId)).toEqual([]);
        reopened.write(() => reopened.team.recordTakeOver(faceId, 'ann', 'carol', 1234));
        expect(reopened.team.faceTakeOvers(faceId)).toEqual([
          { id: expect.any(Number), actor: 'ann', from: 'carol', at: 1234 },
        ]);
      } finally {
        reopened.close();
      }
    });
  });
});
