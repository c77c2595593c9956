// Stored job params are read back through their kind's schema: defaults filled, bad rows refused by field.
import { describe, expect, it } from 'vitest';
import { checkedParams, jobParams } from '../../../src/main/jobs/params';

describe('job params', () => {
  it('fills defaults and keeps what the service stored', () => {
    expect(jobParams('analyze', { id: 1, params: {} })).toEqual({ force: false, ep: 'auto' });
    expect(
      jobParams('analyze', { id: 1, params: { imageIds: [3], force: true, ep: 'cpu', batchSize: 4 } }),
    ).toEqual({ imageIds: [3], force: true, ep: 'cpu', batchSize: 4 });
    // Keys a kind does not read (the CLI's `command` mark) pass through the store untouched.
    expect(
      checkedParams('export', { format: 'celeba', out: '/x', command: 'export' } as never),
    ).toMatchObject({
      command: 'export',
    });
  });

  it('refuses a row that does not fit, naming the job and the field', () => {
    expect(() => jobParams('analyze', { id: 7, params: { batchSize: 1000 } })).toThrow(
      /job 7 \(analyze\): params\.batchSize: /,
    );
    expect(() => jobParams('export', { id: 8, params: { format: 'pascal', out: '/x' } })).toThrow(
      expect.objectContaining({ code: 'invalid_request', where: { field: 'format' } }),
    );
    expect(() => jobParams('annotations', { id: 9, params: { format: 'celeba' } })).toThrow(
      /params\.annotations/,
    );
    expect(() => checkedParams('analyze', { concurrency: 17 })).toThrow();
  });
});
