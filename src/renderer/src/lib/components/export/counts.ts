// What each count of an export report means, shown beside the number (keys from jobs/kinds/export.ts and the
// formats' writers).
export const COUNT_NOTES: Readonly<Record<string, string>> = {
  faces: 'faces in the scope',
  files: 'files written',
  warnings: 'warnings, listed below',
  human: 'values from your labels',
  import: 'values from imported labels',
  prediction: 'values from predictions',
  records: 'instruction records written (one per face with verified values)',
  crops: 'face crops written',
  blocked: 'faces left out: their verified values break an error rule (each listed in the warnings)',
  unverified:
    'faces left out: nothing verified to describe (no label of yours, and not marked reviewed, so their imported labels are unchecked)',
};
