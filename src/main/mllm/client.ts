// One chat-completions request with a timeout and retries with backoff (429, 5xx, network errors, timeouts).
import { AppError } from '../../shared/errors';

export interface ChatRequest {
  /** Base URL up to `/v1`; `/chat/completions` is appended. */
  baseUrl: string;
  /** Sent as `Authorization: Bearer …` only; never part of an error message. */
  apiKey: string | null;
  body: Record<string, unknown>;
  timeoutMs: number;
  /** Attempts after the first. */
  retries: number;
  /** Aborts the request and the waits between attempts (job cancelled, process shutting down). */
  signal: AbortSignal;
  /** First backoff in ms, doubled per attempt (a Retry-After header takes precedence). */
  backoffMs?: number;
}

export type ChatResult =
  | { ok: true; text: string; latencyMs: number; attempts: number }
  | { ok: false; error: string; attempts: number };

/** Longest wait a server's Retry-After may ask for (seconds); a larger value is capped, not obeyed. */
const MAX_RETRY_AFTER_S = 60;

/** `<base>/chat/completions`, keeping a query string (Azure's `?api-version=…`) after the path. */
export function chatUrl(baseUrl: string): string {
  const u = new URL(baseUrl);
  u.pathname = `${u.pathname.replace(/\/+$/, '')}/chat/completions`;
  return u.toString();
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new AppError('cancelled', 'cancelled'));
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(new AppError('cancelled', 'cancelled'));
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** The assistant's text: `content` as a string, or its text parts joined. */
function contentOf(json: unknown): string | null {
  const msg = (json as { choices?: { message?: { content?: unknown } }[] })?.choices?.[0]?.message;
  const c = msg?.content;
  if (typeof c === 'string') return c;
  if (Array.isArray(c)) {
    return c
      .map((p) => (typeof (p as { text?: unknown }).text === 'string' ? (p as { text: string }).text : ''))
      .join('');
  }
  return null;
}

/**
 * Asks once and retries what may pass on a second try. Resolves with the text or with the last error (the
 * audit records it and goes on); rejects only with `cancelled` when `signal` aborts.
 */
export async function askChat(req: ChatRequest): Promise<ChatResult> {
  const url = chatUrl(req.baseUrl);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (req.apiKey) headers.authorization = `Bearer ${req.apiKey}`;
  const payload = JSON.stringify(req.body);
  // What the server sends back is stored and shown: a server that echoes the key must not put it there.
  const redact = (s: string) => (req.apiKey ? s.split(req.apiKey).join('[key]') : s);
  let backoff = req.backoffMs ?? 250;
  let error = '';
  for (let attempt = 1; attempt <= req.retries + 1; attempt++) {
    if (req.signal.aborted) throw new AppError('cancelled', 'cancelled');
    const timeout = AbortSignal.timeout(req.timeoutMs);
    const started = performance.now();
    let wait = backoff;
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers,
        body: payload,
        signal: AbortSignal.any([req.signal, timeout]),
      });
      const text = await res.text();
      if (res.ok) {
        const latencyMs = performance.now() - started;
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          return { ok: false, error: `HTTP ${res.status}: the answer is not JSON`, attempts: attempt };
        }
        const content = contentOf(json);
        if (content === null)
          return { ok: false, error: 'the answer has no choices[0].message.content', attempts: attempt };
        return { ok: true, text: redact(content), latencyMs, attempts: attempt };
      }
      error = `HTTP ${res.status}${text ? `: ${redact(text).slice(0, 200)}` : ''}`;
      // 4xx other than 429 (bad model name, image refused, wrong key) will not pass on a second try.
      if (res.status !== 429 && res.status < 500) return { ok: false, error, attempts: attempt };
      const after = Number(res.headers.get('retry-after'));
      if (res.headers.has('retry-after') && Number.isFinite(after) && after >= 0)
        wait = Math.min(after, MAX_RETRY_AFTER_S) * 1000;
    } catch (err) {
      if (req.signal.aborted) throw new AppError('cancelled', 'cancelled');
      error = timeout.aborted
        ? `no answer within ${req.timeoutMs} ms`
        : `request failed: ${(err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : (err as Error).message}`;
    }
    if (attempt <= req.retries) {
      await sleep(wait, req.signal);
      backoff *= 2;
    }
  }
  return { ok: false, error, attempts: req.retries + 1 };
}
