// Reading our flags out of Electron's argv (executable, app path and Chromium switches mixed in).
import { describe, expect, it } from 'vitest';
import { flagValue } from '../../../../src/main/electron/argv';

describe('flagValue', () => {
  it('reads `--flag value` and `--flag=value` among Chromium switches', () => {
    expect(flagValue(['/usr/bin/electron', '.', '--no-sandbox', '--data-dir', '/d'], '--data-dir')).toBe(
      '/d',
    );
    expect(flagValue(['app', '--data-dir=/with space'], '--data-dir')).toBe('/with space');
  });

  it('takes the last occurrence, like parseArgs', () => {
    expect(flagValue(['app', '--data-dir', '/a', '--data-dir=/b'], '--data-dir')).toBe('/b');
  });

  it('is undefined when absent or valueless, and does not match longer flag names', () => {
    expect(flagValue(['app', '.'], '--data-dir')).toBeUndefined();
    expect(flagValue(['app', '--data-dir'], '--data-dir')).toBeUndefined();
    expect(flagValue(['app', '--data-dir', '--no-sandbox'], '--data-dir')).toBeUndefined();
    expect(flagValue(['app', '--data-dir='], '--data-dir')).toBeUndefined();
    expect(flagValue(['app', '--data-directory', '/x'], '--data-dir')).toBeUndefined();
  });
});
