// Whether the dataset's labels are enough to train the learned heads, read from the agreement's label counts.
import type { AttributeAgreement } from '@shared/api';
import { isCelebaAttribute } from '@shared/taxonomy';

export interface Readiness {
  /** Faces with at least one CelebA attribute label (the most labelled attribute's count: a lower bound). */
  faces: number;
  /** Training can run: 2 or more such faces, and some attribute has both yes and no among them. */
  canTrain: boolean;
  /** Cross-validation (the report) can run too: 4 or more. */
  canEvaluate: boolean;
}

export function readiness(attributes: readonly AttributeAgreement[]): Readiness {
  let faces = 0;
  let both = false;
  for (const a of attributes) {
    if (!isCelebaAttribute(a.key)) continue;
    const yes = a.labels['1'] ?? 0;
    const no = a.labels['-1'] ?? 0;
    faces = Math.max(faces, yes + no);
    if (yes > 0 && no > 0) both = true;
  }
  return { faces, canTrain: both && faces >= 2, canEvaluate: both && faces >= 4 };
}
