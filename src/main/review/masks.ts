// Human mask edits: run-length decoded, validated, PNG-encoded, stored as a new version with its class areas.
import { AppError } from '../../shared/errors';
import { decodeRuns } from '../../shared/label-map';
import { PARSING_CLASSES } from '../../shared/taxonomy';
import { classAreas, encodeLabelMap } from '../analysis/parsing';
import type { Box, Store } from '../store/index';

/** Encodes first (async), then stores the version in one write; returns what to store. */
export async function encodeHumanMask(
  store: Store,
  req: { faceId: number; width: number; height: number; box: Box; runs: number[] },
): Promise<{ png: Buffer; box: Box; areas: { classes: string[]; fraction: Record<string, number> } }> {
  if (!store.faces.get(req.faceId)) {
    throw new AppError('not_found', `face ${req.faceId} not found`, { where: { field: 'faceId' } });
  }
  const ids = decodeRuns(req.runs, req.width, req.height);
  const png = await encodeLabelMap({ box: req.box, width: req.width, height: req.height, ids });
  const fraction = classAreas(ids) as Record<string, number>;
  // A human map expresses what its base map could plus whatever the person painted.
  const base = store.faces.bestAreas(req.faceId)?.classes ?? [];
  const classes = PARSING_CLASSES.filter((c) => base.includes(c) || c in fraction);
  return { png, box: req.box, areas: { classes, fraction } };
}
