// The identity report's thresholds: light enough for the UI process (the report itself runs in the job process).

/**
 * Defaults measured on the face-api demo photos plus a 60 % resized copy of sample1 (the identity test):
 * mobilefacenet vectors share a large common component (raw cosine ≥ 0.999 between any two faces there), so
 * identity compares them after subtracting the dataset mean: the same face and its resized copy score
 * 0.985–0.995, different people at most 0.85 (0.83 inside sample1). Near-identical images use the faceres
 * descriptor, where the same face across the copy scores ≥ 0.985 and different people ≤ 0.66.
 */
export const IDENTITY_THRESHOLD = 0.9;
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
