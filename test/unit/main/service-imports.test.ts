// The lint rule that keeps heavy modules out of the UI process's service code (eslint.config.js serviceImports).
import { join } from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../helpers/fs';

const RULE = '@typescript-eslint/no-restricted-imports';

async function lint(file: string, code: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: ROOT });
  const [r] = await eslint.lintText(code, { filePath: join(ROOT, file) });
  return r!.messages.filter((m) => m.ruleId === RULE).map((m) => m.message);
}

describe('service code imports only light modules', () => {
  it('refuses the identity clustering, training, analysis, models and formats in service files', async () => {
    const heavy = [
      ['src/main/service/learning.ts', `import { identityReport } from '../learning/identity';`],
      ['src/main/service/learning.ts', `import { runTraining } from '../learning/train';`],
      ['src/main/service/review.ts', `import { createAnalyzer } from '../analysis/index';`],
      ['src/main/service.ts', `import { ModelRuntime } from './models/runtime';`],
      ['src/main/service.ts', `import { importAnnotations } from './datasets/formats/import';`],
      ['src/main/service/gallery.ts', `import sharp from 'sharp';`],
    ];
    for (const [file, code] of heavy) {
      const found = await lint(file!, `${code}\nexport const x = 1;\n`);
      expect(found, `${file}: ${code}`).toHaveLength(1);
      expect(found[0]).toMatch(/job process|job kind/);
    }
  });

  it('allows shared, store, constraints, review, the cached ranking and type-only imports', async () => {
    const code = [
      `import type { Job } from '../../shared/api';`,
      `import { toJob } from '../store/index';`,
      `import { setLabel } from '../constraints/faces';`,
      `import { cachedRanking } from '../learning/ranking';`,
      `import { identityParams } from '../learning/identity-params';`,
      `import type { StoredMetrics } from '../learning/train';`,
      `import type { Handlers } from '../service';`,
      `export const x = [toJob, setLabel, cachedRanking, identityParams] as unknown as [Job, StoredMetrics, Handlers];`,
    ].join('\n');
    expect(await lint('src/main/service/learning.ts', code)).toEqual([]);
  });

  it('leaves the job process alone', async () => {
    const code = `import { identityReport } from '../../learning/identity';\nexport const x = identityReport;\n`;
    expect(await lint('src/main/jobs/kinds/identities.ts', code)).toEqual([]);
  });
});
