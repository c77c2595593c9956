// Live edits (issue #32.4): label, mask and review edits announce `faces.changed`; on PostgreSQL an edit through
// one server reaches another server's /events stream (NOTIFY / LISTEN); an edit made on a stale view still
// applies, is told what it overwrote and who set it, and both edits stay in the history.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dataset, Events, FaceDetail, Job, LabelEditResult } from '../../../src/shared/api';
import type { AppHost } from '../../../src/main/app';
import { openStore } from '../../../src/main/store/index';
import { addUser } from '../../../src/main/users';
import { BACKENDS, freshTarget, skipBackend } from '../../helpers/backends';
import { call, startTestApp, waitForJob } from '../../helpers/app';
import { seedWholeImageFaces } from '../../helpers/faces';
import { copySamples, tempDir } from '../../helpers/fs';
import { httpCall, openEvents, startServe, type ServeProcess } from '../../helpers/serve';

describe.each(BACKENDS)('live edits on %s', (backend) => {
  const skip = skipBackend(backend);
  let host: AppHost;
  let faceId: number;
  let cleanup = () => {};
  const events: Events['faces.changed'][] = [];

  beforeAll(async () => {
    if (skip) return;
    const db = await freshTarget(backend, 'live');
    cleanup = db.cleanup;
    copySamples(join(db.dir, 'photos'), ['sample1.jpg']);
    host = await startTestApp(join(db.dir, 'data'), db.target);
    host.on((event, payload) => {
      if (event === 'faces.changed') events.push(payload as Events['faces.changed']);
    });
    const created = await call<{ dataset: Dataset; job: Job }>(host, 'datasets.create', {
      root: join(db.dir, 'photos'),
    });
    await waitForJob(host, created.job.id);
    [faceId] = seedWholeImageFaces(db.target, created.dataset.id) as [number];
  }, 120_000);
  afterAll(async () => {
    await host?.close();
    cleanup();
  });

  it.skipIf(skip)(
    'tells the editor whose view was stale what it overwrote, and keeps both edits',
    async () => {
      const seen = (await call<FaceDetail>(host, 'faces.get', { id: faceId })).lastEventId;
      // Two reviewers opened the face at the same state; the first one's edit lands.
      const first = await call<LabelEditResult>(host, 'labels.set', {
        faceId,
        key: 'gender',
        value: 'Male',
        seenEventId: seen,
      });
      expect(first.stale).toEqual([]);
      expect(first.lastEventId).toBeGreaterThan(seen);
      // The second one still sees the old state: the edit applies (later wins) and says what it replaced.
      const second = await call<LabelEditResult>(host, 'labels.apply', {
        faceId,
        changes: [
          { key: 'gender', value: 'Female' },
          { key: 'Smiling', value: 1 },
        ],
        seenEventId: seen,
      });
      expect(second.stale).toEqual([
        { key: 'gender', seen: null, overwritten: 'Male', by: 'reviewer', at: expect.any(Number) },
      ]);
      expect(second.labels.find((l) => l.key === 'gender')?.human).toBe('Female');
      const gender = second.history.filter((h) => h.key === 'gender').map((h) => [h.old, h.new]);
      expect(gender).toEqual([
        ['Male', 'Female'],
        [null, 'Male'],
      ]);
      // A view that is current is not stale, nor is an edit that writes what is already there.
      const current = await call<LabelEditResult>(host, 'labels.set', {
        faceId,
        key: 'gender',
        value: 'Male',
        seenEventId: second.lastEventId,
      });
      expect(current.stale).toEqual([]);
      const same = await call<LabelEditResult>(host, 'labels.set', {
        faceId,
        key: 'gender',
        value: 'Male',
        seenEventId: seen,
      });
      expect(same.stale).toEqual([]);
    },
  );

  it.skipIf(skip)('announces label, mask and review edits as faces.changed', async () => {
    events.length = 0;
    await call(host, 'labels.set', { faceId, key: 'Eyeglasses', value: 1 });
    await call(host, 'reviews.set', { faceIds: [faceId], status: 'flagged' });
    await call(host, 'labels.undo', { faceId });
    expect(events.map((e) => [e.what, e.faceIds])).toEqual([
      ['labels', [faceId]],
      ['review', [faceId]],
      ['labels', [faceId]],
    ]);
    expect(events.every((e) => e.by === 'reviewer' && typeof e.datasetId === 'number')).toBe(true);
  });

  it('refuses a seenEventId that is not a whole number', async () => {
    if (skip) return;
    const res = await host.call('labels.set', { faceId, key: 'gender', value: 'Male', seenEventId: -1 });
    expect(res.ok).toBe(false);
    if (!res.ok)
      expect(res.error).toMatchObject({ code: 'invalid_request', where: { field: 'seenEventId' } });
  });
});

describe('two servers on one PostgreSQL database', () => {
  const skip = skipBackend('postgres');
  let a: ServeProcess;
  let b: ServeProcess;
  let faceId: number;
  let cleanup = () => {};

  beforeAll(async () => {
    if (skip) return;
    const db = await freshTarget('postgres', 'live2');
    const t = tempDir();
    cleanup = () => {
      db.cleanup();
      t.cleanup();
    };
    copySamples(join(t.dir, 'photos'), ['sample2.jpg']);
    // Team mode (a PostgreSQL database): an admin and a reviewer, each with a personal token.
    const store = openStore(db.target);
    const alice = addUser(store, 'alice', 'admin').token;
    const bob = addUser(store, 'bob', 'reviewer').token;
    store.close();
    a = await startServe(join(t.dir, 'a'), db.target, alice);
    b = await startServe(join(t.dir, 'b'), db.target, bob);
    const created = await httpCall<{ dataset: Dataset; job: Job }>(a, 'datasets.create', {
      root: join(t.dir, 'photos'),
    });
    for (let job = created.job; job.state !== 'done';) {
      if (job.state === 'failed' || job.state === 'cancelled') throw new Error(`import ${job.state}`);
      await new Promise((r) => setTimeout(r, 100));
      job = await httpCall<Job>(a, 'jobs.get', { id: job.id });
    }
    [faceId] = seedWholeImageFaces(db.target, created.dataset.id) as [number];
  }, 180_000);
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    cleanup();
  });

  it.skipIf(skip)("an edit through one server reaches the other server's /events stream", async () => {
    const stream = await openEvents(b);
    try {
      const seen = (await httpCall<FaceDetail>(b, 'faces.get', { id: faceId })).lastEventId;
      await httpCall(a, 'labels.set', { faceId, key: 'age', value: 34, seenEventId: seen });
      const frame = await stream.waitFor((f) => f.event === 'faces.changed');
      expect(JSON.parse(frame.data)).toMatchObject({ faceIds: [faceId], what: 'labels', by: 'alice' });
      // The reviewer on the other server edits from the view it read before: told, and both edits kept.
      const stale = await httpCall<LabelEditResult>(b, 'labels.set', {
        faceId,
        key: 'age',
        value: 40,
        seenEventId: seen,
      });
      expect(stale.stale).toMatchObject([{ key: 'age', seen: null, overwritten: '34', by: 'alice' }]);
      const history = (await httpCall<FaceDetail>(a, 'faces.get', { id: faceId })).history;
      expect(history.filter((h) => h.key === 'age').map((h) => [h.actor, h.new])).toEqual([
        ['bob', '40'],
        ['alice', '34'],
      ]);
    } finally {
      stream.close();
    }
  });
});
