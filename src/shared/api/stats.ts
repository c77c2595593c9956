// Dataset statistics: co-occurrence, model-vs-label agreement; stats.*.

export interface Cooccurrence {
  keys: string[];
  /** n_i: faces where attribute i is present (and j known, per pair: see `pairN`). */
  n: number[];
  /** Row-major k×k: m_ij = faces with both i and j present. */
  m: number[];
  /** Row-major k×k: p_ij = m_ij / n_ij, null where n_ij is 0. */
  p: (number | null)[];
  /** Row-major k×k: n_ij = faces with i present and j known. */
  pairN: number[];
  faces: number;
}

/** Model-vs-label agreement of one attribute over faces that have both. */
export interface AttributeAgreement {
  key: string;
  /** Effective labels: count per value. */
  labels: Record<string, number>;
  /** Faces with both a label and a prediction. */
  n: number;
  accuracy: number | null;
  balancedAccuracy: number | null;
  /** F1 of the positive class (`1`) for binary attributes, macro F1 otherwise. */
  f1: number | null;
}

export interface ConfusionMatrix {
  key: string;
  classes: string[];
  /** Row-major: rows = label, columns = prediction. */
  counts: number[];
}

export type StatsApi = {
  /** Co-occurrence of the CelebA attributes over labels or predictions (p_ij = m_ij / n_i). */
  'stats.cooccurrence': {
    req: { datasetId: number; source: 'labels' | 'predictions' };
    res: Cooccurrence;
  };
  /** Label distribution, model-vs-label agreement and confusion matrices of a dataset. */
  'stats.agreement': {
    req: { datasetId: number };
    res: { faces: number; attributes: AttributeAgreement[]; confusions: ConfusionMatrix[] };
  };
};
