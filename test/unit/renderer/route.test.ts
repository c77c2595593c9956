// The one URL scheme: every screen as `#/<screen>?ds=…`, old image-gallery links read as the Images screen.
import { describe, expect, it } from 'vitest';
import { formatRoute, parseRoute } from '../../../src/renderer/src/lib/state/route';

describe('route', () => {
  it('reads an old `#dataset=N&status=error` link as the Images screen and writes it in the new form', () => {
    const r = parseRoute('#dataset=3&status=error');
    expect(r).toEqual({ screen: 'images', datasetId: 3, query: {}, faceId: null, status: 'error' });
    expect(formatRoute(r)).toBe('#/images?ds=3&status=error');
    expect(formatRoute(parseRoute('#dataset=7'))).toBe('#/images?ds=7');
    expect(parseRoute('#dataset=x').datasetId).toBeNull();
  });

  it('round-trips every screen, the review face and the face filter', () => {
    for (const hash of [
      '#/library',
      '#/images?ds=2',
      '#/images?ds=2&status=error',
      '#/faces?ds=2&q=%7B%22hasViolations%22%3Atrue%7D',
      '#/review/41?ds=2',
      '#/settings',
    ])
      expect(formatRoute(parseRoute(hash))).toBe(hash);
    expect(parseRoute('#/faces?ds=2&q={"hasViolations":true}').query).toEqual({ hasViolations: true });
    expect(parseRoute('#/review/41?ds=2')).toMatchObject({ screen: 'review', faceId: 41, datasetId: 2 });
  });

  it('keeps the image filter to the Images screen and reads the bare URL as the library', () => {
    expect(parseRoute('#/faces?ds=1&status=error').status).toBe('all');
    expect(formatRoute({ screen: 'faces', datasetId: 1, status: 'error' })).toBe('#/faces?ds=1');
    expect(parseRoute('')).toMatchObject({ screen: 'library', datasetId: null });
    expect(parseRoute('#/nonsense?ds=1').screen).toBe('library');
  });
});
