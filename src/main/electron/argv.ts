// Reads our own flags from Electron's argv, which also carries the executable, the app path and Chromium switches.

/**
 * Value of `--name value` or `--name=value`; the last occurrence wins, like parseArgs. Returns undefined when the
 * flag is absent or has no value (`--data-dir` as the last word, or followed by another flag).
 */
export function flagValue(argv: readonly string[], name: string): string | undefined {
  let found: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === name) {
      const next = argv[i + 1];
      if (next !== undefined && !next.startsWith('--')) {
        found = next;
        i++;
      }
    } else if (arg?.startsWith(`${name}=`)) {
      const value = arg.slice(name.length + 1);
      if (value) found = value;
    }
  }
  return found;
}
