// Format id -> module: the one place that lists the dataset formats the importer and exporter know.
import { AppError } from '../../../shared/errors';
import { celeba } from './celeba';
import { celebamaskHq } from './celebamask';
import { csv } from './csv';
import { expw } from './expw';
import { fairface } from './fairface';
import { json } from './json';
import { rafdb } from './rafdb';
import { utkface } from './utkface';
import { ANNOTATION_FORMATS, type AnnotationFormat, type FormatModule } from './types';

const modules: Record<AnnotationFormat, FormatModule> = {
  celeba,
  'celebamask-hq': celebamaskHq,
  fairface,
  utkface,
  rafdb,
  expw,
  csv,
  json,
};

export function formatModule(id: string): FormatModule {
  const m = (ANNOTATION_FORMATS as readonly string[]).includes(id)
    ? modules[id as AnnotationFormat]
    : undefined;
  if (!m) {
    throw new AppError(
      'invalid_request',
      `unknown annotation format "${id}" (known: ${ANNOTATION_FORMATS.join(', ')})`,
      {
        where: { field: 'format' },
      },
    );
  }
  return m;
}
