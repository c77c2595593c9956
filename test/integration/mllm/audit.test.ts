// The MLLM audit end to end against a scripted chat-completions server (a test double of the remote model):
// parsing, retries, timeouts, the cache, cancel, the report's numbers, and the API key kept out of every file.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import type {
  Dataset,
  FaceDetail,
  Job,
  MllmEndpoint,
  MllmEndpointInfo,
  MllmReport,
  Page,
  FaceSummary,
} from '../../../src/shared/api';
import type { AppHost } from '../../../src/main/app';
import { tempDir } from '../../helpers/fs';
import { call, startTestApp, waitForJob } from '../../helpers/app';
import { seedWholeImageFaces } from '../../helpers/faces';
import {
  faceColour,
  startScriptedMllmServer,
  type ScriptedMllmServer,
  type ScriptedReply,
  type ScriptedRequest,
} from '../../helpers/scripted-mllm-server';

const KEY = 'sk-scripted-9f8e7d6c5b4a-never-store-me';
const FACES = 6;

let host: AppHost;
let dir: string;
let cleanup: () => void;
let dataset: Dataset;
let faces: number[];
let server: ScriptedMllmServer;
const events: unknown[] = [];

/** Face i's answer to a question (its text), per the table in the test of the report below. */
function script(r: ScriptedRequest): ScriptedReply {
  const q = r.question;
  const f = r.face;
  if (q.startsWith('Is this person male or female?')) {
    if (f === 4 && r.attempt === 1) return { status: 429, retryAfter: 0 };
    return {
      text: ['Male', 'The person appears to be a woman.', 'female', 'I cannot tell.', 'male', 'male'][f]!,
    };
  }
  if (q.startsWith('How old')) {
    if (f === 3) return { status: 500 };
    return { text: ['27', 'About 30 to 34 years', '{"answer": 52}', '', '8', '40'][f]! };
  }
  if (q.startsWith('Is the person wearing eyeglasses?')) {
    if (f === 4) return { hang: true };
    return { text: ['Yes.', 'No', 'yes', 'No, no glasses', '', 'no'][f]! };
  }
  if (f === 0 && (q.startsWith('Is the person bald?') || q.startsWith('Does the person have bangs?')))
    return { text: 'Yes' };
  if (
    f === 1 &&
    (q.startsWith('Does the person have straight hair?') || q.startsWith('Does the person have wavy hair?'))
  )
    return { text: 'yes' };
  return { text: 'No' };
}

const endpoint = (url: string, over: Partial<MllmEndpoint> = {}): MllmEndpoint => ({
  id: 'scripted',
  baseUrl: url,
  model: 'scripted-vl',
  // Short enough for the hanging question, long enough that a loaded machine never times out a real answer.
  timeoutMs: 1500,
  concurrency: 4,
  rpm: 0,
  imageSize: 64,
  structured: false,
  ...over,
});

beforeAll(async () => {
  ({ dir, cleanup } = tempDir('fi-mllm-'));
  const photos = join(dir, 'photos');
  mkdirSync(photos, { recursive: true });
  for (let i = 0; i < FACES; i++) {
    const background = faceColour(i);
    await sharp({ create: { width: 40, height: 48, channels: 3, background } })
      .jpeg({ quality: 95 })
      .toFile(join(photos, `face${i}.jpg`));
  }
  host = await startTestApp(join(dir, 'data'));
  host.on((event, payload) => events.push({ event, payload }));
  const created = await call<{ dataset: Dataset; job: Job }>(host, 'datasets.create', { root: photos });
  await waitForJob(host, created.job.id);
  dataset = created.dataset;
  faces = seedWholeImageFaces(host.info.dbPath, dataset.id);
  const labels: [string, (string | number)[]][] = [
    ['gender', ['Male', 'Female', 'Male', 'Female', 'Male']],
    ['age', [25, 35, 45, 60, 8]],
    ['Eyeglasses', [1, -1, -1, 1, -1]],
  ];
  for (const [key, values] of labels) {
    for (let i = 0; i < values.length; i++)
      await call(host, 'labels.set', { faceId: faces[i], key, value: values[i] });
  }
  await call(host, 'reviews.set', { faceIds: faces.slice(0, 5), status: 'reviewed' });
  server = await startScriptedMllmServer(script);
});
afterAll(async () => {
  await host.close();
  await server.close();
  cleanup();
});

describe('MLLM endpoints', () => {
  it('saves an endpoint with its key outside the database and never answers the key', async () => {
    const saved = await call<{ items: MllmEndpointInfo[] }>(host, 'mllm.saveEndpoint', {
      endpoint: endpoint(server.url),
      apiKey: KEY,
    });
    expect(saved.items).toEqual([{ ...endpoint(server.url), hasKey: true }]);
    expect(JSON.stringify(saved)).not.toContain(KEY);
    const file = join(host.info.dataDir, 'secrets', 'mllm-keys.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(host.info.dataDir, 'settings.json'), 'utf8')).not.toContain(KEY);
  });

  it('refuses a URL with credentials in it, naming the field', async () => {
    await expect(
      call(host, 'mllm.saveEndpoint', { endpoint: endpoint('http://user:pw@127.0.0.1:1/v1') }),
    ).rejects.toMatchObject({ code: 'invalid_request', where: { field: 'endpoint.baseUrl' } });
    await expect(
      call(host, 'mllm.saveEndpoint', { endpoint: endpoint('http://127.0.0.1:1/v1?api_key=abc') }),
    ).rejects.toMatchObject({
      message: 'mllm.saveEndpoint: endpoint.baseUrl: put the API key in its own field, not in the URL',
    });
    // A query string without a secret in it (Azure's api-version) is fine.
    await call(host, 'mllm.saveEndpoint', {
      endpoint: endpoint('http://127.0.0.1:1/v1?api-version=2024-10-21', { id: 'versioned' }),
    });
    await call(host, 'mllm.deleteEndpoint', { id: 'versioned' });
  });
});

describe('the mllm-audit job and its report', () => {
  let job: Job;
  let firstRun: number;

  it('asks each reviewed face, retries a 429, records a 500 and a timeout as errors', async () => {
    const started = await call<Job>(host, 'mllm.audit', {
      datasetId: dataset.id,
      endpointId: 'scripted',
      tasks: ['celeba', 'gender', 'age'],
      retries: 1,
    });
    job = await waitForJob(host, started.id);
    firstRun = server.requests.length;
    expect(job.state).toBe('done');
    expect(job.total).toBe(5);
    // Face 3's age (500 twice) and face 4's glasses (timed out twice) fail their faces' items.
    expect(job.failed).toBe(2);
    expect(server.requests.every((r) => r.face >= 0 && r.face < 5)).toBe(true);
    expect(server.requests.every((r) => r.authorization === `Bearer ${KEY}`)).toBe(true);
    // 40 questions a face (38 CelebA, gender, age); + the 429's retry, + one retry each of the 500 and timeout.
    expect(firstRun).toBe(5 * 40 + 3);
    expect(job.summary).toMatchObject({ questions: 5 * 40 - 2, failedQuestions: 2, unparsed: 1 });
    expect(job.summary.cached).toBeUndefined();
    const failures = await call<{ items: { label: string; error: string }[] }>(host, 'jobs.failures', {
      id: job.id,
    });
    expect(failures.items.map((f) => f.label).sort()).toEqual(['face3.jpg · face 1', 'face4.jpg · face 1']);
    expect(failures.items.map((f) => f.error).sort()).toEqual([
      '1 of 40 questions failed (Eyeglasses: no answer within 1500 ms)',
      '1 of 40 questions failed (age: HTTP 500: {"error":{"message":"scripted failure"}})',
    ]);
  });

  it('stores the answers with source mllm:<model> and the raw text, shown with the face', async () => {
    const detail = await call<FaceDetail>(host, 'faces.get', { id: faces[1] });
    const gender = detail.mllm.find((a) => a.key === 'gender');
    expect(gender).toMatchObject({
      source: 'mllm:scripted-vl',
      model: 'scripted-vl',
      endpoint: 'scripted',
      value: 'Female',
      status: 'ok',
      raw: 'The person appears to be a woman.',
      template: 'gender@1',
    });
    const unparsed = (await call<FaceDetail>(host, 'faces.get', { id: faces[3] })).mllm;
    expect(unparsed.find((a) => a.key === 'gender')).toMatchObject({
      value: null,
      status: 'unparsed',
      raw: 'I cannot tell.',
    });
    expect(unparsed.find((a) => a.key === 'age')).toMatchObject({ value: null, status: 'error' });
    expect(unparsed.find((a) => a.key === 'age')!.raw).toMatch(/^HTTP 500/);
    const timedOut = (await call<FaceDetail>(host, 'faces.get', { id: faces[4] })).mllm;
    expect(timedOut.find((a) => a.key === 'Eyeglasses')).toMatchObject({
      status: 'error',
      raw: 'no answer within 1500 ms',
    });
    expect(timedOut.find((a) => a.key === 'gender')).toMatchObject({ value: 'Male', status: 'ok' });
  });

  it('reports accuracy, balanced accuracy, F1, unparsed rate and consistency exactly', async () => {
    const report = await call<MllmReport>(host, 'mllm.report', { datasetId: dataset.id });
    expect(report.verifiedFaces).toBe(5);
    expect(report.models).toHaveLength(1);
    const m = report.models[0]!;
    expect(m).toMatchObject({ model: 'scripted-vl', source: 'mllm:scripted-vl', faces: 5, answers: 200 });
    const key = (k: string) => m.keys.find((x) => x.key === k)!;
    expect(m.keys.slice(0, 3).map((k) => k.key)).toEqual(['gender', 'age', '5_o_Clock_Shadow']);
    // gender: M✓ F✓(free text) M→F✗ unparsed M✓(after 429)
    expect(key('gender')).toMatchObject({ n: 5, parsed: 4, unparsed: 1, errors: 0, accuracy: 0.75 });
    expect(key('gender').balancedAccuracy).toBeCloseTo((2 / 3 + 1) / 2, 12);
    expect(key('gender').f1).toBeCloseTo((0.8 + 2 / 3) / 2, 12);
    expect(key('gender').unparsedRate).toBe(0.2);
    // age by bucket: 20-29✓ 30-39✓(range) 40-49→50-59✗(JSON) error 3-9✓
    expect(key('age')).toMatchObject({ n: 5, parsed: 4, unparsed: 0, errors: 1, accuracy: 0.75 });
    expect(key('age').balancedAccuracy).toBe(0.75);
    expect(key('age').f1).toBeCloseTo(0.6, 12);
    // glasses: 1→1 ✓, -1→-1 ✓, -1→1 ✗, 1→-1 ✗, timeout
    expect(key('Eyeglasses')).toMatchObject({
      n: 5,
      parsed: 4,
      errors: 1,
      accuracy: 0.5,
      balancedAccuracy: 0.5,
      f1: 0.5,
      unparsedRate: 0,
    });
    // Unlabelled keys count no verified faces.
    expect(key('Bald')).toMatchObject({ n: 0, accuracy: null });
    expect(m.consistency).toEqual({
      faces: 5,
      violating: 2,
      rate: 0.4,
      rules: [
        { ruleId: 'bald-no-bangs', faces: 1 },
        { ruleId: 'straight-or-wavy', faces: 1 },
      ],
    });
    const gender = m.confusions.find((c) => c.key === 'gender')!;
    expect(gender).toEqual({ key: 'gender', classes: ['Male', 'Female'], counts: [2, 1, 0, 1] });
    expect(m.latencyMs.p50).not.toBeNull();
    expect(m.latencyMs.p50!).toBeLessThanOrEqual(m.latencyMs.p95!);
  });

  it('opens the faces the model got wrong in the gallery', async () => {
    const page = await call<Page<FaceSummary>>(host, 'faces.list', {
      datasetId: dataset.id,
      mllmWrong: { model: 'scripted-vl', key: 'Eyeglasses' },
    });
    expect(page.items.map((f) => f.id)).toEqual([faces[2], faces[3]]);
  });

  it('answers a rerun from the cache: only the failed questions are asked again', async () => {
    const again = await waitForJob(
      host,
      (
        await call<Job>(host, 'mllm.audit', {
          datasetId: dataset.id,
          endpointId: 'scripted',
          tasks: ['celeba', 'gender', 'age'],
          retries: 1,
        })
      ).id,
    );
    const asked = server.requests.slice(firstRun);
    expect(asked.map((r) => `${r.face}:${r.question.split(' ')[0]}`).sort()).toEqual([
      '3:How',
      '3:How',
      '4:Is',
      '4:Is',
    ]);
    expect(again.summary).toMatchObject({ faces: 3, errors: 2, cached: 5 * 40 - 2, failedQuestions: 2 });
  });
});

describe('MLLM answers as an export source', () => {
  it("fills the keys no label covers from one model's parsed answers, named in provenance.json", async () => {
    const out = join(dir, 'export-mllm');
    const exp = await call<Job>(host, 'exports.start', {
      datasetId: dataset.id,
      format: 'json',
      out,
      reviewedOnly: true,
      includePredictions: true,
      predictionSource: 'mllm:scripted-vl',
    });
    expect((await waitForJob(host, exp.id)).state).toBe('done');
    const written = JSON.parse(readFileSync(join(out, 'faces.json'), 'utf8')) as {
      faces: { faceId: number; values: Record<string, { value: string; source: string }> }[];
    };
    const f0 = written.faces.find((f) => f.faceId === faces[0])!;
    // The label wins where there is one; the answers fill the rest ("unparsed" and failed ones are not values).
    expect(f0.values.gender).toEqual({ value: 'Male', source: 'human' });
    expect(f0.values.Bald).toEqual({ value: '1', source: 'prediction' });
    expect(f0.values.Smiling).toEqual({ value: '-1', source: 'prediction' });
    const f3 = written.faces.find((f) => f.faceId === faces[3])!;
    expect(f3.values.age).toEqual({ value: '60', source: 'human' });
    const provenance = JSON.parse(readFileSync(join(out, 'provenance.json'), 'utf8')) as {
      options: { precedence: string; predictionSource: string };
    };
    expect(provenance.options).toMatchObject({
      predictionSource: 'mllm:scripted-vl',
      precedence: 'human > import > mllm:scripted-vl',
    });
  });
});

describe('pausing an audit', () => {
  it('stops after the face in flight and goes on where it stopped when resumed', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const slow = await startScriptedMllmServer(() => ({ wait: gate.then(() => 'female') }));
    try {
      await call(host, 'mllm.saveEndpoint', {
        endpoint: endpoint(slow.url, {
          id: 'pausable',
          model: 'pause-vl',
          concurrency: 1,
          timeoutMs: 60_000,
        }),
      });
      const started = await call<Job>(host, 'mllm.audit', {
        datasetId: dataset.id,
        endpointId: 'pausable',
        tasks: ['gender'],
      });
      const end = Date.now() + 30_000;
      while (slow.requests.length === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
      expect((await call<Job>(host, 'jobs.pause', { id: started.id })).state).toBe('paused');
      release();
      const settle = Date.now() + 30_000;
      let paused = await call<Job>(host, 'jobs.get', { id: started.id });
      while (paused.done < 1 && Date.now() < settle) {
        await new Promise((r) => setTimeout(r, 20));
        paused = await call<Job>(host, 'jobs.get', { id: started.id });
      }
      expect(paused).toMatchObject({ state: 'paused', done: 1, total: 5 });
      expect(slow.requests).toHaveLength(1);
      await call(host, 'jobs.resume', { id: started.id });
      const job = await waitForJob(host, started.id);
      expect(job).toMatchObject({ state: 'done', done: 5, failed: 0 });
      expect(slow.requests).toHaveLength(5);
    } finally {
      await slow.close();
    }
  });
});

describe('cancelling an audit', () => {
  it('stops after the questions in flight; the faces not reached are not asked', async () => {
    let release!: (text: string) => void;
    const gate = new Promise<string>((r) => (release = r));
    const slow = await startScriptedMllmServer(() => ({ wait: gate }));
    try {
      await call(host, 'mllm.saveEndpoint', {
        endpoint: endpoint(slow.url, { id: 'slow', model: 'slow-vl', concurrency: 1, timeoutMs: 60_000 }),
      });
      const started = await call<Job>(host, 'mllm.audit', {
        datasetId: dataset.id,
        endpointId: 'slow',
        tasks: ['gender'],
        scope: 'all',
      });
      const end = Date.now() + 30_000;
      while (slow.requests.length === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
      await call(host, 'jobs.cancel', { id: started.id });
      release('male');
      const job = await waitForJob(host, started.id);
      expect(job.state).toBe('cancelled');
      expect(slow.requests).toHaveLength(1);
      expect(job.done).toBeLessThan(FACES);
    } finally {
      await slow.close();
    }
  });
});

describe('the whole photo beside the crop', () => {
  it('sends it as a second image when the endpoint asks for it, and caches it apart', async () => {
    const seen = await startScriptedMllmServer(() => ({ text: 'male' }));
    try {
      await call(host, 'mllm.saveEndpoint', {
        // 32 px: smaller than the photos, so the boxed photo is resized too.
        endpoint: endpoint(seen.url, { id: 'whole', model: 'scripted-vl', wholeImage: true, imageSize: 32 }),
      });
      const job = await waitForJob(
        host,
        (
          await call<Job>(host, 'mllm.audit', {
            datasetId: dataset.id,
            endpointId: 'whole',
            tasks: ['gender'],
            faceIds: [faces[0]],
          })
        ).id,
      );
      expect(job.state).toBe('done');
      // Same model and question as the first audit, but other pixels: not a cache hit.
      expect(seen.requests).toHaveLength(1);
      expect(seen.requests[0]).toMatchObject({ face: 0, images: 2 });
      expect(seen.requests[0]!.question).toMatch(/whole photo with that face in a red box/);
    } finally {
      await seen.close();
    }
  });
});

describe('a server that echoes the key', () => {
  it('has its answers and errors stored with the key blanked out', async () => {
    const echo = await startScriptedMllmServer((r) =>
      r.face === 0
        ? { text: `male (${r.authorization})` }
        : { status: 401, body: `bad key ${r.authorization}` },
    );
    try {
      await call(host, 'mllm.saveEndpoint', {
        endpoint: endpoint(echo.url, { id: 'echo', model: 'echo-vl' }),
        apiKey: KEY,
      });
      const job = await waitForJob(
        host,
        (
          await call<Job>(host, 'mllm.audit', {
            datasetId: dataset.id,
            endpointId: 'echo',
            tasks: ['gender'],
            faceIds: [faces[0], faces[1]],
          })
        ).id,
      );
      expect(job.state).toBe('done');
      const refused = (await call<FaceDetail>(host, 'faces.get', { id: faces[1] })).mllm.find(
        (a) => a.model === 'echo-vl',
      );
      expect(refused).toMatchObject({ status: 'error', raw: 'HTTP 401: bad key Bearer [key]' });
      const answer = (await call<FaceDetail>(host, 'faces.get', { id: faces[0] })).mllm.find(
        (a) => a.model === 'echo-vl',
      );
      expect(answer).toMatchObject({ value: 'Male', raw: 'male (Bearer [key])' });
    } finally {
      await echo.close();
    }
  });
});

describe('the API key', () => {
  it('never reaches the database file, the log, the events or an export', async () => {
    const out = join(dir, 'export');
    const exp = await call<Job>(host, 'exports.start', {
      datasetId: dataset.id,
      format: 'json',
      out,
      includePredictions: true,
    });
    expect((await waitForJob(host, exp.id)).state).toBe('done');
    const filesUnder = (d: string): string[] =>
      readdirSync(d, { withFileTypes: true }).flatMap((e) =>
        e.isDirectory() ? filesUnder(join(d, e.name)) : [join(d, e.name)],
      );
    const data = host.info.dataDir;
    const checked = [
      ...filesUnder(out),
      ...filesUnder(join(data, 'logs')),
      ...filesUnder(data).filter((f) => /faceinsight\.db(-wal|-shm)?$/.test(f)),
      join(data, 'settings.json'),
    ];
    expect(checked.some((f) => f.endsWith('faceinsight.db'))).toBe(true);
    expect(checked.some((f) => f.endsWith('.log'))).toBe(true);
    for (const f of checked) expect(readFileSync(f).includes(KEY), f).toBe(false);
    expect(events.length).toBeGreaterThan(0);
    expect(JSON.stringify(events)).not.toContain(KEY);
    const settings = await call(host, 'settings.get', {});
    expect(JSON.stringify(settings)).not.toContain(KEY);
  });
});

describe('a face whose photo is gone', () => {
  it('fails that face with the reason and finishes the audit', async () => {
    rmSync(join(dir, 'photos', 'face5.jpg'));
    const job = await waitForJob(
      host,
      (
        await call<Job>(host, 'mllm.audit', {
          datasetId: dataset.id,
          endpointId: 'scripted',
          tasks: ['gender'],
          faceIds: [faces[1], faces[5]],
        })
      ).id,
    );
    expect(job).toMatchObject({ state: 'done', done: 2, failed: 1 });
    const failures = await call<{ items: { error: string }[] }>(host, 'jobs.failures', { id: job.id });
    expect(failures.items).toHaveLength(1);
    expect(failures.items[0]!.error).toMatch(/^cannot read face5\.jpg: /);
  });
});

describe('several models', () => {
  it('are reported side by side, each with its own faces and answers', async () => {
    const report = await call<MllmReport>(host, 'mllm.report', { datasetId: dataset.id });
    expect(report.models.map((m) => [m.source, m.faces, m.answers])).toEqual([
      ['mllm:echo-vl', 2, 2],
      ['mllm:pause-vl', 5, 5],
      ['mllm:scripted-vl', 5, 200],
      ['mllm:slow-vl', 1, 1],
    ]);
  });
});
