// The identity report's thresholds: light enough for the UI process (the report itself runs in the job process).

/**
 * Same identity: the cosine of two faces' faceres descriptors after subtracting the dataset's mean descriptor
 * (what is common to every face of the dataset drops out; what is left is what tells people apart). Two faces above
 * IDENTITY_THRESHOLD join one identity (single linkage). Measured on the 22 faces of the face-api demo photos: the
 * same woman in sample1 and sample3 scores 0.44; two different people of one photo at most 0.36 (most pairs below
 * 0.25). Held-out (issue #28, 10 people): ROC AUC 0.996 and 94.6 % of same-person pairs accepted at 1 % of
 * different-person pairs. A higher threshold splits one person's faces into several identities; a lower one
 * merges look-alikes. The value depends on the dataset (its mean is subtracted), so adjust it on a few known pairs.
 *
 * Near-duplicate: the plain (uncentred) cosine of the faceres descriptors; the same face in a resized copy scores
 * ≥ 0.985, different people ≤ 0.66.
 */
export const IDENTITY_THRESHOLD = 0.4;
export const DUPLICATE_THRESHOLD = 0.95;

/** The thresholds of a request or a job's params (validated by the service's schema), else the defaults. */
export function identityParams(params: Record<string, unknown>): {
  threshold: number;
  duplicateThreshold: number;
} {
  const num = (v: unknown, d: number) => (typeof v === 'number' && v >= -1 && v <= 1 ? v : d);
  return {
    threshold: num(params.threshold, IDENTITY_THRESHOLD),
    duplicateThreshold: num(params.duplicateThreshold, DUPLICATE_THRESHOLD),
  };
}
