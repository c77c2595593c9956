// A vision LLM's answer as label-issue evidence: "the MLLM also says otherwise" beside the held-out heads.
import { describe, expect, it } from 'vitest';
import { labelIssueRows } from '../../../src/main/learning/issue-evidence';
import type { ConfidentLearning, IssueEvidence } from '../../../src/main/learning/label-issues';
import { tempStores } from '../../helpers/store';

const fresh = tempStores('fi-mllm-evidence-');

/** One labelled face, one binary key, the held-out heads unsure (no suspect): only evidence can flag it. */
function oneKey(key: string): ConfidentLearning {
  return {
    n: 1,
    specs: [{ key, classes: ['1', '-1'], cols: [0], binary: true }],
    label: Int8Array.from([0]),
    suggested: Int8Array.from([1]),
    pLabel: Float32Array.from([0.55]),
    pSuggested: Float32Array.from([0.45]),
    suspect: Uint8Array.from([0]),
    thresholds: [Float64Array.from([0.5, 0.5])],
    noise: [],
  };
}

describe('MLLM answers as label-issue evidence', () => {
  it('lists a model whose parsed answer differs from the label, and none that agrees or did not parse', () => {
    const { store } = fresh();
    const faceId = store.write(() => {
      const ds = store.datasets.insert({ name: 't', root: '/nowhere', format: 'folder' });
      store.images.upsert({
        datasetId: ds,
        relPath: 'a.jpg',
        sha256: null,
        width: 10,
        height: 10,
        status: 'ok',
        error: null,
        sizeBytes: null,
        mtimeMs: null,
      });
      const imageId = store.images.page({ datasetId: ds, limit: 1 }).items[0]!.id;
      const id = store.faces.insert({
        imageId,
        idx: 0,
        x: 0,
        y: 0,
        w: 10,
        h: 10,
        detScore: null,
        source: 'imported',
        landmarks: null,
      });
      const answer = (model: string, value: string | null, status: 'ok' | 'unparsed') =>
        store.mllm.put({
          faceId: id,
          jobId: null,
          endpoint: 'e',
          model,
          key: 'Eyeglasses',
          template: 'celeba.wears@1',
          value,
          status,
          raw: value ?? 'maybe',
          latencyMs: 10,
          cached: false,
        });
      answer('says-no', '-1', 'ok');
      answer('agrees', '1', 'ok');
      answer('mumbles', null, 'unparsed');
      return id;
    });
    const datasetId = store.datasets.list()[0]!.id;
    const labels = new Map([[faceId, new Map([['Eyeglasses', '1']])]]);
    const { issues } = labelIssueRows(store, datasetId, [faceId], labels, oneKey('Eyeglasses'));
    expect(issues).toHaveLength(1);
    const evidence = issues[0]!.evidence as IssueEvidence;
    expect(evidence.models).toEqual([{ model: 'mllm:says-no', value: '-1', p: null }]);
  });
});
