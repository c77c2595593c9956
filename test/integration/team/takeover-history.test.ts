// Take-overs in a face's history (issue #32), on SQLite (`serve --team`) and PostgreSQL: team.takeOver records who
// took the face over from whom and when, with the claim change; faces.get serves it beside the review events; the
// 0014 migration adds its table and keeps the review events already recorded.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Dataset, FaceDetail, Job } from '../../../src/shared/api';
import type { Envelope } from '../../../src/shared/errors';
import type { AppHost } from '../../../src/main/app';
import { CLAIM_LEASE_MS } from '../../../src/main/review/team';
import { openStore, type Store } from '../../../src/main/store/index';
import { migrations } from '../../../src/main/store/migrations/index';
import { startHttpServer, type HttpServer } from '../../../src/main/transports/http';
import { addUser } from '../../../src/main/users';
import { call, startTestApp, waitForJob } from '../../helpers/app';
import { BACKENDS, freshTarget, rawDb, skipBackend } from '../../helpers/backends';
import { copySamples, tempDir } from '../../helpers/fs';
import { seedFaces } from '../../helpers/gallery-seed';

describe.each(BACKENDS)('take-overs in History (%s)', (backend) => {
  describe.skipIf(skipBackend(backend))(backend, () => {
    const t = tempDir('fi-takeover-');
    let target = '';
    let cleanupTarget = () => {};
    let host: AppHost;
    let http: HttpServer;
    let store: Store;
    const tokens: Record<string, string> = {};
    let ds = 0;
    /**
     * Faces without a take-over yet (not the first case's) and without seeded violations (seedFaces writes a bare
     * violation detail that faces.get cannot show).
     */
    let first = 0;
    const untouched = () =>
      store.faces.idsOfDataset(ds).filter((id) => id !== first && store.faces.summary(id)!.violations === 0);

    async function api<T>(method: string, req: unknown, token: string): Promise<Envelope<T>> {
      const res = await fetch(`http://127.0.0.1:${http.port}/api/${method}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify(req),
      });
      return (await res.json()) as Envelope<T>;
    }
    async function ok<T>(method: string, req: unknown, token: string): Promise<T> {
      const body = await api<T>(method, req, token);
      if (!body.ok) throw new Error(`${method}: ${body.error.code}: ${body.error.message}`);
      return body.value;
    }

    beforeAll(async () => {
      ({ target, cleanup: cleanupTarget } = await freshTarget(backend, 'takeover'));
      host = await startTestApp(join(t.dir, 'data'), target);
      store = openStore(target);
      const staticDir = join(t.dir, 'static');
      mkdirSync(staticDir);
      writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>FaceInsight Studio</title>');
      http = await startHttpServer(host, { staticDir, port: 0, team: true });
      for (const [name, role] of [
        ['ann', 'admin'],
        ['bob', 'reviewer'],
        ['carol', 'reviewer'],
      ] as const) {
        tokens[name] = addUser(store, name, role).token;
      }
      copySamples(join(t.dir, 'photos'));
      const created = await call<{ dataset: Dataset; job: Job }>(host, 'datasets.create', {
        root: join(t.dir, 'photos'),
      });
      expect(await waitForJob(host, created.job.id)).toMatchObject({ state: 'done' });
      ds = created.dataset.id;
      seedFaces(store, ds, 6);
    });
    afterAll(async () => {
      await http?.close();
      store?.close();
      await host?.close();
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
