// `faceinsight worker --root-map FROM=TO`: parsing the rules and mapping the database's dataset roots to this
// machine's folders (longest match wins, on whole path segments only).
import { describe, expect, it } from 'vitest';
import { mapRoot, parseRootMap } from '../../../../src/main/commands/worker';
import { UsageError } from '../../../../src/main/commands/common';

describe('--root-map', () => {
  const rules = parseRootMap([
    '/data=/mnt/all',
    '/data/faces=/mnt/nfs/faces/',
    '/srv/celeba/=/home/w/celeba',
  ]);

  it('maps a root under a rule, the longest rule winning', () => {
    expect(mapRoot(rules, '/data/faces')).toBe('/mnt/nfs/faces');
    expect(mapRoot(rules, '/data/faces/celeba/img')).toBe('/mnt/nfs/faces/celeba/img');
    expect(mapRoot(rules, '/data/other')).toBe('/mnt/all/other');
    expect(mapRoot(rules, '/srv/celeba')).toBe('/home/w/celeba');
  });

  it('matches whole path segments only and leaves an unmatched root as it is', () => {
    expect(mapRoot(rules, '/data/faces2')).toBe('/mnt/all/faces2');
    expect(mapRoot(rules, '/datasets/x')).toBe('/datasets/x');
    expect(mapRoot([], '/data/faces')).toBe('/data/faces');
  });

  it('refuses a rule without "=" or with a relative folder, naming it', () => {
    expect(() => parseRootMap(['/data'])).toThrow(
      new UsageError('--root-map: expected FROM=TO, got "/data"'),
    );
    expect(() => parseRootMap(['=/x'])).toThrow(/expected FROM=TO, got "=\/x"/);
    expect(() => parseRootMap(['data=/x'])).toThrow(
      new UsageError('--root-map: both folders must be absolute paths, got "data=/x"'),
    );
  });
});
