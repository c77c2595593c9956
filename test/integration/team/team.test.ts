// Team mode on PostgreSQL (issue #32.3): personal tokens on every route, the user recorded on edits, admin-only
// methods, review claims between concurrent reviewers, double review and inter-reviewer agreement; the users CLI.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Dataset, FaceDetail, Job } from '../../../src/shared/api';
import type { AppErrorData, Envelope } from '../../../src/shared/errors';
import type { AppHost } from '../../../src/main/app';
import { openStore, type Store } from '../../../src/main/store/index';
import { startHttpServer, type HttpServer } from '../../../src/main/transports/http';
import { addUser } from '../../../src/main/users';
import { call, startTestApp, waitForJob } from '../../helpers/app';
import { freshTarget, skipBackend } from '../../helpers/backends';
import { copySamples, ROOT, tempDir } from '../../helpers/fs';
import { seedFaces } from '../../helpers/gallery-seed';
import { startTeamServer, type TeamServer } from '../../helpers/team-server';

const cli = (args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'src/main/cli.ts'), ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 120_000,
  });

describe.skipIf(skipBackend('postgres'))('team mode on PostgreSQL', () => {
  const t = tempDir('fi-team-');
  let target = '';
  let host: AppHost;
  let http: HttpServer;
  let store: Store;
  const tokens: Record<string, string> = {};

  /** One API call over HTTP with a personal token (or none): the status and the envelope. */
  async function api<T>(method: string, req: unknown, token?: string) {
    const res = await fetch(`http://127.0.0.1:${http.port}/api/${method}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(req),
    });
    return { status: res.status, body: (await res.json()) as Envelope<T> };
  }
  async function ok<T>(method: string, req: unknown, token: string): Promise<T> {
    const { body } = await api<T>(method, req, token);
    if (!body.ok) throw new Error(`${method}: ${body.error.code}: ${body.error.message}`);
    return body.value;
  }
  /** A dataset of the six demo photos with `faces` generated faces (no analysis needed for the queue). */
  async function dataset(name: string, faces: number): Promise<number> {
    copySamples(join(t.dir, name));
    const { dataset: ds, job } = await call<{ dataset: Dataset; job: Job }>(host, 'datasets.create', {
      root: join(t.dir, name),
    });
    expect(await waitForJob(host, job.id)).toMatchObject({ state: 'done' });
    seedFaces(store, ds.id, faces);
    return ds.id;
  }

  beforeAll(async () => {
    ({ target } = await freshTarget('postgres', 'team'));
    host = await startTestApp(join(t.dir, 'data'), target);
    store = openStore(target);
    const staticDir = join(t.dir, 'static');
    mkdirSync(staticDir);
    writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>FaceInsight Studio</title>');
    http = await startHttpServer(host, { staticDir, port: 0, team: true });
    for (const [name, role] of [
      ['bob', 'reviewer'],
      ['carol', 'reviewer'],
      ['dave', 'reviewer'],
    ] as const) {
      tokens[name] = addUser(store, name, role).token;
    }
  });
  afterAll(async () => {
    await http?.close();
    store?.close();
    await host?.close();
    t.cleanup();
  });

  it('adds, lists and revokes users from the CLI; a revoked token is refused', async () => {
    const add = cli(['users', 'add', 'alice', '--role', 'admin', '--json', '--db', target]);
    expect(add.status, add.stderr).toBe(0);
    const alice = JSON.parse(add.stdout) as { name: string; role: string; token: string };
    expect(alice).toMatchObject({ name: 'alice', role: 'admin' });
    expect(alice.token).toMatch(/^fi_[\w-]{43}$/);
    tokens.alice = alice.token;
    expect(cli(['users', 'add', 'alice', '--db', target]).stderr).toMatch(/user "alice" exists/);
    expect(cli(['users', 'add', 'eve', '--role', 'owner', '--db', target]).stderr).toMatch(
      /--role: expected admin or reviewer, got "owner"/,
    );

    const temp = cli(['users', 'add', 'mallory', '--db', target]);
    expect(temp.status, temp.stderr).toBe(0);
    const malloryToken = temp.stdout.trim();
    expect((await api('team.me', {}, malloryToken)).body).toEqual({
      ok: true,
      value: { team: true, user: { name: 'mallory', role: 'reviewer' } },
    });
    const revoke = cli(['users', 'revoke', 'mallory', '--db', target]);
    expect(revoke.status, revoke.stderr).toBe(0);
    const refused = await api('team.me', {}, malloryToken);
    expect(refused.status).toBe(401);
    expect(refused.body).toMatchObject({
      ok: false,
      error: { code: 'unauthorized', message: 'unknown or revoked user token' },
    });

    const list = cli(['users', 'list', '--db', target]);
    expect(list.status, list.stderr).toBe(0);
    expect(list.stdout).toMatch(/^alice\s+admin\s+added \d{4}-\d\d-\d\d \d\d:\d\d\s+active$/m);
    expect(list.stdout).toMatch(/^mallory\s+reviewer\s+added .*revoked \d{4}-/m);
    expect(list.stdout).not.toContain('fi_');
  });

  it('refuses the API, the event stream and the asset routes without a user token', async () => {
    const none = await api('datasets.list', {});
    expect(none.status).toBe(401);
    expect(none.body).toMatchObject({
      ok: false,
      error: {
        code: 'unauthorized',
        message: 'this server is in team mode: a personal user token is required',
      },
    });
    expect((await api('datasets.list', {}, 'fi_' + 'x'.repeat(43))).status).toBe(401);
    // The per-run token of a single-user server means nothing here.
    expect((await api('datasets.list', {}, http.token || 'abc')).status).toBe(401);
    const base = `http://127.0.0.1:${http.port}`;
    expect((await fetch(`${base}/events`)).status).toBe(401);
    expect((await fetch(`${base}/assets/thumb/1`)).status).toBe(401);
    const events = await fetch(`${base}/events?token=${tokens.bob}`);
    expect(events.status).toBe(200);
    await events.body?.cancel();
    expect((await api('datasets.list', {}, tokens.bob)).status).toBe(200);
  });

  it('records the token user on label edits, mask-free reviews and in History; refuses admin methods to reviewers', async () => {
    const ds = await dataset('edits', 3);
    const faceId = store.faces.idsOfDataset(ds)[0]!;
    const detail = await ok<FaceDetail>(
      'labels.apply',
      { faceId, changes: [{ key: 'Smiling', value: 1 }] },
      tokens.carol!,
    );
    expect(detail.history[0]).toMatchObject({ key: 'Smiling', new: '1', actor: 'carol' });
    await ok('reviews.set', { faceIds: [faceId], status: 'reviewed' }, tokens.carol!);
    expect(store.team.faceReviews(faceId)).toMatchObject([{ actor: 'carol', status: 'reviewed' }]);

    const refused = await api('datasets.analyze', { datasetId: ds }, tokens.carol);
    expect(refused.body).toMatchObject({
      ok: false,
      error: { code: 'forbidden', message: 'datasets.analyze is for admins; carol is a reviewer' },
    });
    const settings = await api('team.settings', { datasetId: ds, doubleReview: 0.5 }, tokens.carol);
    expect((settings.body as { error: AppErrorData }).error.code).toBe('forbidden');
    expect(await ok('team.settings', { datasetId: ds }, tokens.carol!)).toEqual({ doubleReview: 0 });
  });

  it('never hands the same face to two reviewers working at once, and announces each claim', async () => {
    const ds = await dataset('claims', 24);
    const handed: Record<string, number[]> = { bob: [], carol: [], dave: [] };
    const announced: { faceIds: number[] | null; by: string }[] = [];
    const unsubscribe = host.on((event, payload) => {
      const p = payload as { what?: string; faceIds: number[] | null; by: string };
      if (event === 'faces.changed' && p.what === 'review') announced.push(p);
    });
    // Three reviewers in parallel: next, then (after their own await) mark it reviewed, until the queue is empty.
    await Promise.all(
      Object.keys(handed).map(async (name) => {
        for (;;) {
          const { item } = await ok<{ item: { face: { id: number } } | null }>(
            'learning.next',
            { datasetId: ds, order: 'useful' },
            tokens[name]!,
          );
          if (!item) return;
          handed[name]!.push(item.face.id);
          await ok('reviews.set', { faceIds: [item.face.id], status: 'reviewed' }, tokens[name]!);
        }
      }),
    );
    const all = Object.values(handed).flat();
    // Every unreviewed face once (the seed marks every fifth reviewed already), none twice.
    const open = store.faces.idsOfDataset(ds).length - Math.ceil(24 / 5);
    expect(all).toHaveLength(open);
    expect(new Set(all).size).toBe(open);
    // Each hand-out was announced as a change of the face's review state, by the reviewer who got it.
    for (const [name, ids] of Object.entries(handed)) {
      for (const id of ids) {
        expect(
          announced.some((a) => a.by === name && a.faceIds?.includes(id)),
          `${name} ${id}`,
        ).toBe(true);
      }
    }
    unsubscribe();
  });

  it('double review hands each face to exactly two different reviewers and computes kappa', async () => {
    const ds = await dataset('double', 12);
    await ok('team.settings', { datasetId: ds, doubleReview: 1 }, tokens.alice!);
    const faces = [...store.faces.idsOfDataset(ds)].sort((a, b) => a - b);
    // A known table for Smiling over 12 faces: yes/yes 5, yes/no 1, no/yes 2, no/no 4 ->
    // p_o = 9/12, p_e = 6/12 * 7/12 + 6/12 * 5/12 = 0.5, kappa = 0.5.
    const first = [1, 1, 1, 1, 1, 1, -1, -1, -1, -1, -1, -1];
    const second = [1, 1, 1, 1, 1, -1, 1, 1, -1, -1, -1, -1];
    const seen = new Map<number, string[]>();
    for (const [name, values] of [
      ['bob', first],
      ['carol', second],
      ['dave', null],
    ] as const) {
      for (;;) {
        const { item } = await ok<{ item: { face: { id: number } } | null }>(
          'learning.next',
          { datasetId: ds, order: 'useful' },
          tokens[name]!,
        );
        if (!item) break;
        const id = item.face.id;
        seen.set(id, [...(seen.get(id) ?? []), name]);
        const value = values?.[faces.indexOf(id)] ?? 1;
        await ok('labels.apply', { faceId: id, changes: [{ key: 'Smiling', value }] }, tokens[name]!);
        await ok('reviews.set', { faceIds: [id], status: 'reviewed' }, tokens[name]!);
      }
    }
    // The seed marked faces 0, 5, 10 (every fifth) reviewed without a person: doubled faces still need two people.
    expect([...seen.keys()].sort((a, b) => a - b)).toEqual(faces);
    for (const names of seen.values()) expect(names).toEqual(['bob', 'carol']);
    const agreement = await ok<{
      faces: number;
      reviewers: string[];
      attributes: { key: string; n: number; observed: number; kappa: number }[];
    }>('team.agreement', { datasetId: ds }, tokens.dave!);
    expect(agreement).toMatchObject({ doubleReview: 1, faces: 12, reviewers: ['bob', 'carol'] });
    const smiling = agreement.attributes.find((a) => a.key === 'Smiling');
    expect(smiling?.n).toBe(12);
    expect(smiling?.observed).toBeCloseTo(0.75, 10);
    expect(smiling?.kappa).toBeCloseTo(0.5, 10);
  });
});

describe.skipIf(skipBackend('postgres'))(
  'team mode on PostgreSQL: claims, History, double-review share',
  () => {
    const t = tempDir('fi-team-claims-');
    let server: TeamServer;
    let store: Store;
    let tokens: Record<string, string>;
    let ds = 0;
    const ok = <T>(method: string, req: unknown, token: string) => server.ok<T>(method, req, token);
    const refused = (method: string, req: unknown, token: string) => server.refused(method, req, token);

    beforeAll(async () => {
      const { target } = await freshTarget('postgres', 'team-claims');
      server = await startTeamServer(t.dir, target, [
        ['alice', 'admin'],
        ['bob', 'reviewer'],
        ['carol', 'reviewer'],
      ]);
      ({ store, tokens, datasetId: ds } = server);
    });
    afterAll(async () => {
      await server?.close();
      t.cleanup();
    });

    it('refuses an edit of a face another reviewer holds, naming them, until an admin takes it over', async () => {
      const { item } = await ok<{ item: { face: { id: number } } | null }>(
        'learning.next',
        { datasetId: ds, order: 'useful' },
        tokens.bob!,
      );
      const faceId = item!.face.id;
      const held = await ok<FaceDetail>('faces.get', { id: faceId }, tokens.carol!);
      expect(held.claims).toEqual([{ user: 'bob', until: expect.any(Number) }]);

      // carol (a reviewer): every kind of edit is refused and changes nothing.
      for (const [method, req, field] of [
        ['labels.apply', { faceId, changes: [{ key: 'Smiling', value: 1 }] }, 'faceId'],
        ['labels.set', { faceId, key: 'Smiling', value: 1 }, 'faceId'],
        ['reviews.set', { faceIds: [faceId], status: 'reviewed' }, 'faceIds'],
      ] as const) {
        const e = await refused(method, req, tokens.carol!);
        expect(e).toMatchObject({ code: 'conflict', where: { field } });
        expect(e.message).toMatch(
          new RegExp(
            `^face ${faceId} is being reviewed by bob \\(claim runs (10|9) more minutes\\): nothing was changed$`,
          ),
        );
        expect(e.hint).toBe(
          'Wait until bob sets its review status or the claim runs out, or ask an admin to take it over.',
        );
      }
      const after = await ok<FaceDetail>('faces.get', { id: faceId }, tokens.carol!);
      expect(after.history).toEqual([]);
      expect(after.reviews).toEqual([]);
      expect(after.face.review).toBe(held.face.review);

      // alice (an admin) is refused too until she takes it over explicitly; a reviewer may not take over.
      expect(
        await refused('labels.apply', { faceId, changes: [{ key: 'Smiling', value: 1 }] }, tokens.alice!),
      ).toMatchObject({
        code: 'conflict',
        hint: 'Take the face over from bob (team.takeOver), then edit it.',
      });
      expect(await refused('team.takeOver', { faceId }, tokens.carol!)).toMatchObject({
        code: 'forbidden',
        message: 'team.takeOver is for admins; carol is a reviewer',
      });
      const taken = await ok<{ from: string[]; until: number }>('team.takeOver', { faceId }, tokens.alice!);
      expect(taken.from).toEqual(['bob']);
      await ok('labels.apply', { faceId, changes: [{ key: 'Smiling', value: -1 }] }, tokens.alice!);

      // Now bob's edits are refused naming alice; once alice sets a status the face is free again.
      expect(
        (await refused('labels.apply', { faceId, changes: [{ key: 'Smiling', value: 1 }] }, tokens.bob!))
          .message,
      ).toMatch(/is being reviewed by alice/);
      // (alice's edit renewed her lease.)
      const claims = (await ok<FaceDetail>('faces.get', { id: faceId }, tokens.bob!)).claims;
      expect(claims.map((c) => c.user)).toEqual(['alice']);
      expect(claims[0]!.until).toBeGreaterThanOrEqual(taken.until);
      await ok('reviews.set', { faceIds: [faceId], status: 'flagged' }, tokens.alice!);
      const free = await ok<FaceDetail>(
        'labels.apply',
        { faceId, changes: [{ key: 'Eyeglasses', value: 1 }] },
        tokens.bob!,
      );
      expect(free.claims).toEqual([]);
    });

    it('lists review events with their author and signed-off labels in the face detail, beside the label steps', async () => {
      const faceId = store.faces.idsOfDataset(ds).at(-1)!;
      await ok('labels.apply', { faceId, changes: [{ key: 'Smiling', value: 1 }] }, tokens.carol!);
      await ok('reviews.set', { faceIds: [faceId], status: 'reviewed' }, tokens.carol!);
      await ok('labels.apply', { faceId, changes: [{ key: 'Smiling', value: -1 }] }, tokens.bob!);
      await ok('reviews.set', { faceIds: [faceId], status: 'flagged' }, tokens.bob!);
      const d = await ok<FaceDetail>('faces.get', { id: faceId }, tokens.alice!);
      expect(
        d.reviews.map(({ actor, status, labels }) => ({ actor, status, smiling: labels.Smiling })),
      ).toEqual([
        { actor: 'carol', status: 'reviewed', smiling: '1' },
        { actor: 'bob', status: 'flagged', smiling: '-1' },
      ]);
      // By time: carol's edit, carol's review, bob's edit, bob's review (history is newest first).
      const [bobEdit, carolEdit] = d.history;
      expect([carolEdit!.actor, bobEdit!.actor]).toEqual(['carol', 'bob']);
      const times = [carolEdit!.at, d.reviews[0]!.at, bobEdit!.at, d.reviews[1]!.at];
      expect(times).toEqual([...times].sort((a, b) => a - b));
    });

    it('lets an admin set the double-review share and refuses a reviewer or a share out of range', async () => {
      expect(await ok('team.settings', { datasetId: ds, doubleReview: 0.25 }, tokens.alice!)).toEqual({
        doubleReview: 0.25,
      });
      expect(await refused('team.settings', { datasetId: ds, doubleReview: 0.5 }, tokens.bob!)).toMatchObject(
        {
          code: 'forbidden',
          message: 'team.settings is for admins; bob is a reviewer',
        },
      );
      expect(await refused('team.settings', { datasetId: ds, doubleReview: 1.5 }, tokens.alice!)).toEqual({
        code: 'invalid_request',
        message: 'team.settings: doubleReview: expected a share from 0 to 1 (0 % to 100 %)',
        where: { field: 'doubleReview' },
      });
      expect(await ok('team.settings', { datasetId: ds }, tokens.bob!)).toEqual({ doubleReview: 0.25 });
    });
  },
);

describe('serve refuses to start exposed', () => {
  const t = tempDir('fi-team-serve-');
  afterAll(() => t.cleanup());

  it('refuses 0.0.0.0 outside team mode, and team mode without a user', () => {
    const db = join(t.dir, 'db.sqlite');
    const lan = cli(['serve', '--host', '0.0.0.0', '--data-dir', join(t.dir, 'data'), '--db', db]);
    expect(lan.status).toBe(2);
    expect(lan.stderr).toContain(
      'refusing to listen on 0.0.0.0: only team mode (personal user tokens) may be reached from other machines',
    );
    const team = cli(['serve', '--team', '--host', '0.0.0.0', '--data-dir', join(t.dir, 'data'), '--db', db]);
    expect(team.status).toBe(2);
    expect(team.stderr).toContain('team mode needs at least one user with a token, and there is none');
    expect(lan.stdout + team.stdout).toBe('');
  });
});
