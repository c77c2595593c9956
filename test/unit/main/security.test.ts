// The desktop shell's security decisions: CSP, renderer source, which pages are the app, fi-asset URLs.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  ASSET_SCHEME,
  CONTENT_SECURITY_POLICY,
  assetErrorStatus,
  assetUrl,
  isAppPage,
  isAppResponse,
  parseAssetUrl,
  parseCsp,
  rendererSource,
  withCsp,
  type RendererSource,
} from '../../../src/main/security';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const INDEX = join(ROOT, 'out', 'renderer', 'index.html');
const fileEntry: RendererSource = { kind: 'file', url: pathToFileURL(INDEX).href };
const devEntry: RendererSource = { kind: 'url', url: 'http://localhost:5173/' };

describe('content security policy', () => {
  const csp = parseCsp(CONTENT_SECURITY_POLICY);

  it('allows scripts from the app only: no inline code, no eval, nothing remote', () => {
    expect(csp.get('script-src')).toEqual(["'self'"]);
    expect(csp.get('default-src')).toEqual(["'self'"]);
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-eval|https?:|\*/);
  });

  it('lets images come from the fi-asset scheme and shuts plugins, base and framing', () => {
    expect(csp.get('img-src')).toContain(`${ASSET_SCHEME}:`);
    expect(csp.get('object-src')).toEqual(["'none'"]);
    expect(csp.get('base-uri')).toEqual(["'none'"]);
    expect(csp.get('frame-ancestors')).toEqual(["'none'"]);
  });

  it('is the policy of the renderer page meta tag (which cannot carry frame-ancestors)', () => {
    const html = readFileSync(join(ROOT, 'src', 'renderer', 'index.html'), 'utf8');
    const meta = /http-equiv="Content-Security-Policy"\s+content="([^"]+)"/.exec(html);
    expect(meta?.[1]).toBeDefined();
    const fromMeta = parseCsp(meta![1]!);
    const fromHeader = parseCsp(CONTENT_SECURITY_POLICY);
    fromHeader.delete('frame-ancestors');
    expect(Object.fromEntries(fromMeta)).toEqual(Object.fromEntries(fromHeader));
  });

  it('replaces a CSP the server sent, whatever its header case, and keeps other headers', () => {
    const out = withCsp({ 'content-security-policy': ['default-src *'], 'Content-Type': 'text/html' });
    expect(out).toEqual({
      'Content-Type': ['text/html'],
      'Content-Security-Policy': [CONTENT_SECURITY_POLICY],
    });
    expect(withCsp(undefined)).toEqual({ 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] });
  });
});

describe('renderer source', () => {
  it('uses the dev server only in unpackaged runs, and only on loopback http', () => {
    const indexHtml = INDEX;
    expect(rendererSource({ devUrl: 'http://localhost:5173', packaged: false, indexHtml })).toEqual(devEntry);
    expect(rendererSource({ devUrl: 'http://localhost:5173', packaged: true, indexHtml })).toEqual(fileEntry);
    expect(rendererSource({ devUrl: 'https://evil.example/', packaged: false, indexHtml })).toEqual(
      fileEntry,
    );
    expect(rendererSource({ devUrl: 'http://192.168.1.5:5173/', packaged: false, indexHtml })).toEqual(
      fileEntry,
    );
    expect(rendererSource({ devUrl: 'not a url', packaged: false, indexHtml })).toEqual(fileEntry);
    expect(rendererSource({ devUrl: undefined, packaged: false, indexHtml })).toEqual(fileEntry);
  });
});

describe('which pages are the app', () => {
  it('accepts the built index.html with any query or hash, and nothing else on file://', () => {
    expect(isAppPage(`${fileEntry.url}#/datasets/3?status=error`, fileEntry)).toBe(true);
    expect(isAppPage(`${fileEntry.url}?x=1`, fileEntry)).toBe(true);
    expect(isAppPage(pathToFileURL('/etc/passwd').href, fileEntry)).toBe(false);
    expect(isAppPage(pathToFileURL(join(ROOT, 'out', 'renderer', 'other.html')).href, fileEntry)).toBe(false);
    expect(isAppPage('https://example.com/', fileEntry)).toBe(false);
    expect(isAppPage('', fileEntry)).toBe(false);
  });

  it('accepts the dev server origin only', () => {
    expect(isAppPage('http://localhost:5173/#/x', devEntry)).toBe(true);
    expect(isAppPage('http://localhost:5174/', devEntry)).toBe(false);
    expect(isAppPage('http://127.0.0.1:5173/', devEntry)).toBe(false);
    expect(isAppPage('https://localhost:5173/', devEntry)).toBe(false);
    expect(isAppPage(fileEntry.url, devEntry)).toBe(false);
  });

  it('adds the CSP header to dev server responses only', () => {
    expect(isAppResponse('http://localhost:5173/src/main.ts', devEntry)).toBe(true);
    expect(isAppResponse('https://cdn.example/x.js', devEntry)).toBe(false);
    expect(isAppResponse(fileEntry.url, fileEntry)).toBe(false);
  });
});

describe('fi-asset URLs', () => {
  it('round-trips kind and id', () => {
    expect(assetUrl('image', 12)).toBe('fi-asset://image/12');
    expect(parseAssetUrl(assetUrl('image', 12))).toEqual({ kind: 'image', id: 12 });
    expect(parseAssetUrl(assetUrl('thumb', 7))).toEqual({ kind: 'thumb', id: 7 });
    expect(parseAssetUrl('fi-asset://thumb/7/')).toEqual({ kind: 'thumb', id: 7 });
    expect(parseAssetUrl('fi-asset://face/7')).toEqual({ kind: 'face', id: 7 });
    const mask = parseAssetUrl('fi-asset://mask/7?source=human&version=2');
    expect([mask?.kind, mask?.id, mask?.params?.get('source'), mask?.params?.get('version')]).toEqual([
      'mask',
      7,
      'human',
      '2',
    ]);
  });

  it('refuses anything that is not one kind and one positive integer id', () => {
    for (const bad of [
      'fi-asset://video/1',
      'fi-asset://mask/1?path=/etc/passwd',
      'fi-asset://image/0',
      'fi-asset://image/-1',
      'fi-asset://image/1.5',
      'fi-asset://image/01',
      'fi-asset://image/1/2',
      'fi-asset://image/..%2F..%2Fetc%2Fpasswd',
      'fi-asset://image/99999999999999999',
      'fi-asset://user:pw@image/1',
      'fi-asset://image:81/1',
      'file:///image/1',
      'http://image/1',
      'fi-asset:image/1',
      'nonsense',
    ]) {
      expect(parseAssetUrl(bad), bad).toBeNull();
    }
  });

  it('resolves dot segments as URL parsing does: what is left is still only an id', () => {
    expect(parseAssetUrl('fi-asset://image/%2e%2e/%2e%2e/3')).toEqual({ kind: 'image', id: 3 });
  });

  it('answers 404 for missing rows or files, 403 for refused paths, 500 otherwise', () => {
    expect(assetErrorStatus('not_found')).toBe(404);
    expect(assetErrorStatus('invalid_request')).toBe(403);
    expect(assetErrorStatus('io_error')).toBe(500);
    expect(assetErrorStatus('internal')).toBe(500);
  });
});
