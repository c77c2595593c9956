// Request validation: every method has a schema; valid requests pass, invalid ones name the field.
import { describe, expect, it } from 'vitest';
import { METHODS } from '../../../src/shared/api';
import { AppError } from '../../../src/shared/errors';
import { parseRequest, requestSchemas, requireMethod } from '../../../src/shared/schemas';

function fieldOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('invalid_request');
    return (err as AppError).where?.field;
  }
  throw new Error('expected a rejection');
}

describe('request schemas', () => {
  it('cover exactly the methods of the contract', () => {
    expect(Object.keys(requestSchemas).sort()).toEqual([...METHODS].sort());
  });

  it('accept valid requests', () => {
    expect(parseRequest('datasets.create', { root: '/data/celeba' })).toEqual({ root: '/data/celeba' });
    expect(
      parseRequest('images.list', { datasetId: 3, status: 'error', cursor: 0, limit: 1000 }),
    ).toMatchObject({ limit: 1000 });
    expect(parseRequest('app.info', undefined)).toEqual({});
    expect(parseRequest('jobs.list', {})).toEqual({});
  });

  it('trim folder paths', () => {
    expect(parseRequest('datasets.create', { root: '  /x  ' }).root).toBe('/x');
  });

  it('name the offending field', () => {
    expect(fieldOf(() => parseRequest('datasets.get', { id: 0 }))).toBe('id');
    expect(fieldOf(() => parseRequest('datasets.get', { id: 1.5 }))).toBe('id');
    expect(fieldOf(() => parseRequest('datasets.get', {}))).toBe('id');
    expect(fieldOf(() => parseRequest('images.list', { datasetId: 1, status: 'broken' }))).toBe('status');
    expect(fieldOf(() => parseRequest('images.list', { datasetId: 1, limit: 0 }))).toBe('limit');
    expect(fieldOf(() => parseRequest('datasets.create', { root: '   ' }))).toBe('root');
    expect(fieldOf(() => parseRequest('datasets.create', { root: 7 }))).toBe('root');
  });

  it('reject unknown keys and non-object bodies', () => {
    expect(() => parseRequest('datasets.list', { extra: 1 })).toThrow(AppError);
    expect(() => parseRequest('jobs.get', 'id=1')).toThrow(/jobs.get/);
    expect(() => parseRequest('jobs.get', [1])).toThrow(AppError);
  });

  it('reject unknown methods, including prototype names', () => {
    expect(requireMethod('jobs.get')).toBe('jobs.get');
    for (const m of ['nope', '__proto__', 'constructor', 'toString', 42, null]) {
      expect(fieldOf(() => requireMethod(m))).toBe('method');
    }
  });
});
