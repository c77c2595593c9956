// One dataset through every repository (datasets, images, faces, predictions, labels and history, rules and
// violations, the gallery, jobs, learning, MLLM answers, identity reports, exports): what each read gave. Run on
// both backends by test/integration/store/backends.test.ts; its data seeds the migrate round trip.
import type { Store } from '../../src/main/store/index';

/** Drops what the clock decides (times, stamps made of times) so both runs compare. */
export function untimed(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(untimed);
  if (v instanceof Map) return untimed(Object.fromEntries(v));
  if (v instanceof Set) return [...v].sort();
  if (Buffer.isBuffer(v)) return `buffer:${v.toString('hex')}`;
  if (v instanceof Float32Array) return [...v];
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      if (/(^at$|At$|^created|^updated|stamp)/i.test(k)) continue;
      out[k] = untimed(x);
    }
    return out;
  }
  return v;
}

/** One dataset through every repository; returns what each read gave. */
export function scenario(s: Store): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const ds = s.write(() => s.datasets.insert({ name: 'demo', root: '/data/demo', format: 'folder' }));
  const paths = ['b/Two.jpg', 'a/one.jpg', 'c/three.JPG', 'd/broken.jpg', 'e/five.jpg'];
  const img = s.write(() =>
    paths.map((p, i) =>
      s.images.upsert(
        {
          datasetId: ds,
          relPath: p,
          sha256: i < 2 ? 'same-bytes' : `h${i}`,
          width: 60 + i * 50,
          height: 80,
          status: p.includes('broken') ? 'error' : 'ok',
          error: p.includes('broken') ? 'cannot decode' : null,
          sizeBytes: 1000 + i,
          mtimeMs: 5 + i,
        },
        1000,
      ),
    ),
  );
  // An upsert of a known path keeps its id.
  out.reupsert = s.write(() =>
    s.images.upsert({
      datasetId: ds,
      relPath: 'a/one.jpg',
      sha256: 'same-bytes',
      width: 110,
      height: 80,
      status: 'ok',
      error: null,
      sizeBytes: 1001,
      mtimeMs: 6,
    }),
  );
  const lm = new Float32Array([1.5, 2.25, -3]);
  const box = (x: number) => ({ x, y: 10, w: 40, h: 50 });
  const faces = s.write(() => [
    s.faces.insert({ imageId: img[0]!, idx: 0, ...box(1), detScore: 0.9, source: 'detected', landmarks: lm }),
    s.faces.insert({
      imageId: img[0]!,
      idx: 1,
      ...box(2),
      detScore: 0.8,
      source: 'detected',
      landmarks: null,
    }),
    s.faces.insert({
      imageId: img[1]!,
      idx: 0,
      ...box(3),
      detScore: null,
      source: 'imported',
      landmarks: null,
    }),
    s.faces.insert({
      imageId: img[2]!,
      idx: 0,
      ...box(4),
      detScore: 0.7,
      source: 'detected',
      landmarks: null,
    }),
    s.faces.insert({
      imageId: img[4]!,
      idx: 0,
      ...box(5),
      detScore: 0.6,
      source: 'detected',
      landmarks: null,
    }),
  ]);
  const [f0, f1, f2, f3, f4] = faces as [number, number, number, number, number];
  const png = Buffer.from([137, 80, 78, 71, 0, 255]);
  s.write(() => {
    faces.forEach((f, i) =>
      s.faces.replaceModelOutputs(
        f,
        {
          predictions: [
            {
              modelId: 'gear',
              modelVersion: '1',
              task: 'gender',
              source: 'model',
              value: { label: i % 2 ? 'Female' : 'Male', p: 0.6 + i / 20 },
            },
            {
              modelId: 'celeba',
              modelVersion: '2',
              task: 'Smiling',
              source: 'model',
              value: { value: i < 3 ? 1 : -1, p: 0.2 + i / 10 },
            },
            {
              modelId: 'gear',
              modelVersion: '1',
              task: 'age',
              source: 'model',
              value: { years: 20.5 + i, p: [0.1, 0.9] },
            },
            {
              modelId: 'race',
              modelVersion: '1',
              task: 'race',
              source: 'model',
              value: { label: 'Asian', probs: { Asian: 0.7 - i / 50, White: 0.3 } },
            },
          ],
          mask: {
            source: 'derived',
            png,
            box: box(i),
            areas: { classes: ['skin'], fraction: { skin: 0.5 } },
          },
          embeddings: [{ modelId: 'faceres', vector: new Float32Array([i, i + 0.5, -i]) }],
        },
        2000,
      ),
    );
    s.faces.setReview(f0, 'reviewed', 3000);
    s.faces.setReview(f2, 'flagged', 3000);
    s.faces.setReview(f3, 'reviewed', 3000);
    const labels = s.annotations.importLabels(4000);
    labels.set(f0, { Smiling: '-1', Eyeglasses: '1', gender: 'Male' });
    labels.set(f2, { Smiling: '1', Eyeglasses: '-1', gender: 'Female' });
    labels.flush();
    const preds = s.annotations.importPredictions('v1', 4000);
    preds.replace(f2, { identity: 7, name: { first: 'Ann', zeta: 1, alpha: 2 } }, true);
    preds.flush();
    s.annotations.setSplit(img[0]!, 'train');
    s.annotations.setSplit(img[1]!, 'test');
    s.labels.setHuman({ faceId: f0, key: 'Smiling', value: '1', actor: 'me', at: 5000 });
    s.labels.setHuman({ faceId: f3, key: 'race', value: 'Indian', actor: 'me', at: 5000 });
    s.labels.setHuman({ faceId: f3, key: 'age_bucket', value: '20-29', actor: 'me', at: 5000 });
  });
  out.faceSlots = s.annotations.faceSlots(ds);
  out.images = s.images.page({ datasetId: ds, limit: 3 });
  out.imagesError = s.images.page({ datasetId: ds, status: 'error' });
  out.stale = s.images.staleForAnalysis(ds, 'k1');
  s.write(() => s.images.markAnalyzed(img[0]!, 'k1', 6000));
  out.staleAfter = [s.images.staleForAnalysis(ds, 'k1'), s.images.staleForAnalysis(ds, 'k1', true)];
  out.analysisCounts = s.images.analysisCounts(ds);
  out.locate = s.images.locate(img[2]!);
  out.datasets = [
    s.datasets.get(ds),
    s.datasets.list(),
    s.datasets.roots(),
    s.datasets.findByRoot('/data/demo'),
  ];
  out.faceCrops = [
    s.datasets.faceCrops(ds),
    s.datasets.usesFaceCrops(ds, 120),
    s.datasets.usesFaceCrops(ds, 300),
  ];
  s.write(() => s.datasets.setFaceCrops(ds, 'on'));
  out.faceCropsOn = s.datasets.usesFaceCrops(ds, 1);

  // Faces, predictions (with the best_predictions triggers), masks, embeddings, history.
  out.face = [s.faces.get(f0), s.faces.byImage(img[0]!), s.faces.landmarks(f0), s.faces.landmarks(f1)];
  out.predictions = s.faces.predictions(f2);
  out.masks = s.faces.masks(f1);
  out.bestAreas = s.faces.bestAreas(f1);
  out.embeddings = s.faces.embeddings(f3);
  out.touched = faces.map((f) => s.faces.isTouched(f));
  out.nextIdx = s.faces.nextIdx(img[0]!);
  out.facesPage = [
    s.faces.page({ datasetId: ds }),
    s.faces.page({ datasetId: ds, review: 'reviewed' }),
    s.faces.page({ datasetId: ds, hasViolations: false, limit: 2 }),
  ];
  out.summary = s.faces.summary(f0);
  out.iterPredictions = [...s.faces.iteratePredictions(ds)];
  out.labels = [s.labels.forFace(f0), [...s.labels.iterateDataset(ds)], s.labels.events(f0)];
  // Team mode's take-overs (a row for `faceinsight migrate` to carry over, read back on both backends).
  s.write(() => s.team.recordTakeOver(f0, 'ann', 'bob', 5500));
  out.takeOvers = s.team.faceTakeOvers(f0);
  s.write(() => {
    s.labelHistory.applyStep(
      f1,
      [
        { key: 'Smiling', value: '1' },
        { key: 'Bangs', value: '-1' },
      ],
      { actor: 'me', kind: 'edit', undoOf: null, at: 7000 },
    );
    const v = s.faces.addMask(f1, { source: 'human', png, box: box(1), areas: null });
    s.labelHistory.maskStep(f1, { old: null, new: v }, { actor: 'me', kind: 'edit', undoOf: null, at: 7001 });
    out.park = [
      s.labelHistory.latestHumanMask(f1),
      s.labelHistory.parkMask(f1, v),
      s.labelHistory.latestHumanMask(f1),
    ];
    out.restore = [
      s.labelHistory.restoreMask(f1, v),
      s.labelHistory.restoreMask(f1, v),
      s.labelHistory.latestHumanMask(f1),
    ];
  });
  out.log = s.labelHistory.log(f1);

  // Rules and violations.
  s.write(() => {
    s.rules.replaceAll([
      { key: 'smile', severity: 'error', text: 'smile: error: Smiling', enabled: true },
      { key: 'glasses', severity: 'warning', text: 'glasses: warning: Eyeglasses', enabled: false },
    ]);
  });
  const rules = s.rules.list();
  s.write(() => {
    s.rules.replaceFaceViolations(f0, [{ ruleId: rules[0]!.id, subject: 'labels', detail: { why: 'x' } }]);
    s.rules.replaceFaceViolations(f3, [
      { ruleId: rules[0]!.id, subject: 'predictions', detail: { n: 1 } },
      { ruleId: rules[1]!.id, subject: 'cross', detail: [1, 2] },
    ]);
    s.annotations.replaceLabelViolations(f2, [{ ruleId: rules[1]!.id, detail: { k: 'v' } }]);
  });
  out.rules = [rules, s.rules.isEmpty()];
  out.violations = [
    s.rules.violations({ datasetId: ds }),
    s.rules.violations({ datasetId: ds, severity: 'warning', limit: 1 }),
    s.rules.countsPerRule(ds),
  ];

  // The gallery: filters, sorts, offsets, facets, chips, stats.
  const g = s.gallery;
  const ids = (q: Parameters<typeof g.page>[0]) => g.page(q).items.map((f) => f.id);
  out.gallery = {
    all: g.page({ datasetId: ds }),
    file: ids({ datasetId: ds, sort: 'file' }),
    fileDesc: ids({ datasetId: ds, sort: 'file', desc: true, offset: 1, limit: 3 }),
    violations: ids({ datasetId: ds, sort: 'violations' }),
    confidence: ids({ datasetId: ds, sort: 'confidence', attr: { key: 'Smiling' } }),
    search: ids({ datasetId: ds, search: 'ONE' }),
    searchLiteral: ids({ datasetId: ds, search: '_' }),
    labelValue: ids({ datasetId: ds, attr: { key: 'Smiling', value: '1' } }),
    unknown: ids({ datasetId: ds, attr: { key: 'Smiling', value: '?' } }),
    predValue: ids({ datasetId: ds, attr: { key: 'gender', source: 'prediction', value: 'Female' } }),
    disagree: ids({ datasetId: ds, attr: { key: 'Smiling', disagree: true } }),
    confBand: ids({ datasetId: ds, attr: { key: 'Smiling', confMin: 0.5, confMax: 0.75 } }),
    pairLabels: ids({ datasetId: ds, pair: { keys: ['Smiling', 'Eyeglasses'], source: 'labels' } }),
    pairPreds: ids({ datasetId: ds, pair: { keys: ['Smiling', 'Smiling'], source: 'predictions' } }),
    severity: ids({ datasetId: ds, severity: 'warning' }),
    rule: ids({ datasetId: ds, ruleKey: 'smile', hasViolations: true }),
    split: [ids({ datasetId: ds, split: 'train' }), ids({ datasetId: ds, split: '' })],
    mllmWrong: ids({
      datasetId: ds,
      mllmWrong: { model: 'm', key: 'race' },
      mllmWrongIds: JSON.stringify([f3, f4]),
    }),
    unusual: ids({
      datasetId: ds,
      sort: 'unusual',
      unusualScores: JSON.stringify({ [f0]: 0.01, [f2]: 0.5 }),
      unusualBelow: 0.1,
    }),
    useful: ids({ datasetId: ds, sort: 'useful', usefulOrder: [f3, f1, f0, f4, f2] }),
    usefulBack: ids({
      datasetId: ds,
      sort: 'useful',
      usefulOrder: [f3, f1, f0, f4, f2],
      offset: 3,
      limit: 2,
    }),
    facets: g.facets({ datasetId: ds, attr: { key: 'Smiling' }, review: 'reviewed' }),
    facetsUnusual: g.facets({
      datasetId: ds,
      unusualScores: JSON.stringify({ [f0]: 0.01 }),
      ruleKey: 'smile',
    }),
    chips: g.chips([f3, f0, f2], ['Smiling', 'age', 'gender', 'race']),
    stats: g.datasetStats(ds),
  };
  out.labelsStampChanges = (() => {
    const a = g.labelsStamp(ds);
    s.write(() => s.labels.setHuman({ faceId: f4, key: 'Bangs', value: '1', actor: 'me' }));
    return a !== g.labelsStamp(ds);
  })();

  // Jobs: claims under a lease, counters, retry, the CLI's own jobs.
  const j = s.jobs;
  const job = s.write(() => j.create('analyze', ds, { force: true }));
  const other = s.write(() => j.create('export', null, {}));
  s.write(() => {
    j.addItems(job, ['a', 'b', 'c', 'a']);
    j.setPlanned(job, 3);
    j.markCommandJobs([other]);
  });
  const c1 = s.write(() => j.claim(job, 'w1', 60_000));
  const c2 = s.write(() => j.claim(job, 'w2', 60_000));
  s.write(() => {
    j.complete(c1!.id, 'w1', 'done');
    j.countItem(job, false, 'added');
    j.addToSummary(job, 'faces', 3);
    j.complete(c2!.id, 'w2', 'failed', 'boom');
    j.countItem(job, true, 'failed');
    j.setSummaryCounter(job, 'ratio', 0.5);
  });
  out.jobs = {
    claims: [c1, c2],
    lostClaim: s.write(() => j.complete(c1!.id, 'w2', 'done')),
    workers: j.claimedWorkers(),
    job: j.get(job),
    list: j.list({ datasetId: ds }),
    runnable: [j.nextRunnable()?.id, j.nextRunnable([other])?.id, j.notRunnable([], true).map((x) => x.id)],
    transition: [
      s.write(() => j.transition(other, ['done'], 'running')),
      s.write(() => j.transition(other, ['queued'], 'cancelled')),
    ],
    remaining: j.remaining(job),
    failedItems: j.failedItems(job),
  };
  const c3 = s.write(() => j.claim(job, 'w3', 60_000));
  out.jobs2 = {
    c3,
    held: j.jobsHeldBy('w3'),
    released: s.write(() => j.releaseWorker('w3', true)),
    retried: (s.write(() => j.retry(job)), j.get(job)),
    remaining: j.remaining(job),
  };

  // Learning: settings, the active model, learned predictions, label issues.
  s.write(() => {
    s.learning.setSettings(ds, { retrainEvery: 10, lambda: 0.25, embeddingModel: 'faceres', decode: false });
    s.learning.insertActiveModel(
      {
        datasetId: ds,
        runId: 'r1',
        jobId: job,
        embeddingModel: 'faceres',
        lambda: 0.25,
        keys: ['Smiling'],
        dims: 3,
        weights: Buffer.from([1, 2, 3]),
        metrics: { auc: 0.5 },
        humanLabels: 2,
      },
      8000,
    );
    s.learning.insertActiveModel(
      {
        datasetId: ds,
        runId: 'r2',
        jobId: null,
        embeddingModel: 'faceres',
        lambda: 0.5,
        keys: ['Smiling', 'Bangs'],
        dims: 3,
        weights: Buffer.from([4]),
        metrics: { auc: 0.75 },
        humanLabels: 3,
      },
      8001,
    );
    s.learning.replaceLearned(f4, [
      { modelId: 'learned-heads', modelVersion: 'r2', task: 'Smiling', value: { value: -1, p: 0.1 } },
      { modelId: 'learned-heads', modelVersion: 'r2', task: 'Bangs', value: { value: 1, p: 0.9 } },
    ]);
    s.learning.replaceLabelIssues(
      ds,
      'r2',
      [
        {
          faceId: f0,
          key: 'Smiling',
          label: '1',
          suggested: '-1',
          pLabel: 0.1,
          pSuggested: 0.9,
          threshold: 0.5,
          suspect: true,
          score: 0.9,
          evidence: { rules: [], models: ['x'] },
        },
        {
          faceId: f2,
          key: 'Smiling',
          label: '1',
          suggested: '-1',
          pLabel: 0.4,
          pSuggested: 0.6,
          threshold: 0.5,
          suspect: false,
          score: 0.6,
          evidence: { rules: ['r'], models: [] },
        },
      ],
      [
        { faceId: f0, score: 0.9, key: 'Smiling', suspects: 1 },
        { faceId: f2, score: 0.6, key: 'Smiling', suspects: 0 },
      ],
    );
  });
  const L = s.learning;
  out.learning = {
    settings: L.settings(ds),
    defaults: L.settings(ds + 100),
    active: L.activeModel(ds),
    embeddings: [...L.embeddings(ds, 'faceres')],
    humanLabels: [L.humanLabelCount(ds), L.humanLabelledFaces(ds)],
    learnedFaces: L.learnedFaces(ds),
    learned: [...L.learnedPredictions(ds)],
    best: g.chips([f4], ['Smiling', 'Bangs']),
    violationCounts: L.violationCounts(ds),
    reviewed: L.reviewedFaces(ds),
    issues: [
      L.labelIssues({ datasetId: ds }),
      L.labelIssues({ datasetId: ds, suspects: true }),
      L.labelIssues({ datasetId: ds, key: 'Smiling', limit: 1, offset: 1 }),
    ],
    wrongOrder: [...L.wrongOrder(ds)],
    hasIssues: [L.hasLabelIssues(ds), L.hasLabelIssues(ds + 100)],
    // No ORDER BY in the query: compared as a set.
    labelViolations: [...L.labelViolations(ds)].map((v) => JSON.stringify(v)).sort(),
    modelPredictions: [...L.modelPredictions(ds)].length,
    faceImages: L.faceImages(ds),
    sameBytes: L.sameBytes(ds),
    wrongSort: ids({ datasetId: ds, sort: 'wrong' }),
    likelyWrong: ids({ datasetId: ds, likelyWrong: true }),
    suspectKey: ids({ datasetId: ds, suspectKey: 'Smiling' }),
    stampIsText: typeof L.rankingStamp(ds),
  };

  // MLLM answers and the request cache.
  s.write(() => {
    for (const [faceId, value, status] of [
      [f3, 'Asian', 'ok'],
      [f0, null, 'unparsed'],
      [f3, 'Indian', 'ok'],
    ] as const) {
      s.mllm.put({
        faceId,
        jobId: job,
        endpoint: 'http://x',
        model: 'm',
        key: 'race',
        template: 't@1',
        value,
        status,
        raw: 'r',
        latencyMs: 12.5,
        cached: false,
      });
    }
    s.mllm.put({
      faceId: f3,
      jobId: null,
      endpoint: 'http://x',
      model: 'm',
      key: 'age',
      template: 't@1',
      value: '25',
      status: 'ok',
      raw: null,
      latencyMs: null,
      cached: true,
    });
    s.mllm.cache('k', '{"a":1}', 3.5, 9000);
  });
  out.mllm = {
    forFace: s.mllm.forFace(f3),
    audit: s.mllm.auditRows(ds),
    reviewed: s.mllm.reviewedFaceIds(ds),
    idsIn: s.mllm.faceIdsIn(ds, [f4, f0, 9999]),
    race: [s.mllm.hasRaceLabelIn(ds, ['Indian', 'Black']), s.mllm.hasRaceLabelIn(ds, ['Black'])],
    target: s.mllm.target(f1),
    parsed: s.mllm.parsedValues(ds, 'm'),
    all: [...s.mllm.parsedAnswers(ds)],
    cache: [s.mllm.cached('k'), s.mllm.cached('nope')],
  };

  // Identity reports, export rows, job reports.
  s.write(() =>
    s.identities.put({
      datasetId: ds,
      threshold: 0.4,
      duplicateThreshold: 0.1,
      report: { clusters: [] } as never,
      stamp: s.identities.stamp(ds),
      jobId: null,
      computedAt: 1,
    }),
  );
  out.identity = s.identities.get(ds);
  out.identityStampStable = s.identities.stamp(ds) === s.identities.get(ds)!.stamp;
  s.write(() => s.annotations.setJobReport(other, { lines: ['a', 'b'], n: 2 }));
  out.report = [s.annotations.jobReport(other), s.annotations.jobReport(job)];
  const rows = [...s.annotations.exportRows({ datasetId: ds, reviewedOnly: false, predictions: true })];
  out.exportRows = rows.map((r) => ({
    ...r,
    labels: JSON.parse(r.labels) as unknown,
    predictions: JSON.parse(r.predictions) as unknown,
  }));
  out.exportReviewed = [
    ...s.annotations.exportRows({ datasetId: ds, reviewedOnly: true, predictions: false }),
  ].map((r) => r.faceId);
  out.labelsByFace = [...s.annotations.labelsByFace(ds)].map((r) => ({
    ...r,
    labels: JSON.parse(r.labels) as unknown,
  }));
  out.models = s.annotations.models(ds);

  // Merging a detection into an imported face moves its outputs and human work.
  s.write(() => s.faces.merge(f2, f1, { takeBox: true }));
  out.merged = [
    s.faces.get(f1) ?? null,
    s.faces.get(f2),
    s.labels.forFace(f2),
    s.faces.masks(f2).length,
    s.labelHistory.log(f2).length,
  ];
  out.afterMerge = g.chips([f2], ['Smiling', 'gender', 'Bangs']);
  s.write(() => s.faces.delete(f4));
  out.deleted = [s.faces.get(f4) ?? null, g.chips([f4], ['Smiling']), g.datasetStats(ds)];
  return out;
}
