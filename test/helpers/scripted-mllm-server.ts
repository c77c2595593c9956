// A TEST DOUBLE of a remote vision LLM: a real local HTTP server speaking OpenAI's chat-completions protocol,
// answering from a script the test writes. It identifies the face by the crop's colour (the tests' images are
// solid colours), records every request, and can answer with a status, a Retry-After, or not at all.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';

export interface ScriptedRequest {
  /** The face, read from the crop's mean red value (see faceColour). */
  face: number;
  /** The question text (the format instruction included). */
  question: string;
  model: string;
  authorization: string | null;
  /** How many times this (face, question) was asked so far, this one included. */
  attempt: number;
  structured: boolean;
  /** Images attached (the crop, and the whole photo when the endpoint sends it). */
  images: number;
}

/**
 * A text answer (200), an HTTP error (with an optional Retry-After in seconds and body), no answer at all, or
 * an answer held until the test releases it.
 */
export type ScriptedReply =
  | { text: string }
  | { status: number; retryAfter?: number; body?: string }
  | { hang: true }
  | { wait: Promise<string> };

/** The solid colour of test image i; the server maps a crop back to i with faceOf. */
export function faceColour(i: number): { r: number; g: number; b: number } {
  return { r: 20 + 40 * i, g: 90, b: 160 };
}

async function faceOf(dataUrl: string): Promise<number> {
  const m = /^data:image\/jpeg;base64,(.+)$/.exec(dataUrl);
  if (!m) return -1;
  const { channels } = await sharp(Buffer.from(m[1]!, 'base64')).stats();
  return Math.round((channels[0]!.mean - 20) / 40);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export interface ScriptedMllmServer {
  /** Base URL up to `/v1`. */
  url: string;
  requests: ScriptedRequest[];
  close(): Promise<void>;
}

export async function startScriptedMllmServer(
  script: (r: ScriptedRequest) => ScriptedReply,
): Promise<ScriptedMllmServer> {
  const requests: ScriptedRequest[] = [];
  const attempts = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    void (async () => {
      if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
        res.writeHead(404).end();
        return;
      }
      const body = JSON.parse(await readBody(req)) as {
        model: string;
        messages: {
          role: string;
          content: string | { type: string; text?: string; image_url?: { url: string } }[];
        }[];
        response_format?: unknown;
      };
      const user = body.messages.find((m) => m.role === 'user')?.content;
      const parts = Array.isArray(user) ? user : [];
      const question = parts.find((p) => p.type === 'text')?.text ?? '';
      const face = await faceOf(parts.find((p) => p.type === 'image_url')?.image_url?.url ?? '');
      const k = `${face}\u0000${question}`;
      const attempt = (attempts.get(k) ?? 0) + 1;
      attempts.set(k, attempt);
      const r: ScriptedRequest = {
        face,
        question,
        model: body.model,
        authorization: req.headers.authorization ?? null,
        attempt,
        structured: body.response_format !== undefined,
        images: parts.filter((p) => p.type === 'image_url').length,
      };
      requests.push(r);
      const reply = script(r);
      if ('hang' in reply) return; // never answers: the client's timeout ends it
      if ('status' in reply) {
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (reply.retryAfter !== undefined) headers['retry-after'] = String(reply.retryAfter);
        res
          .writeHead(reply.status, headers)
          .end(reply.body ?? JSON.stringify({ error: { message: 'scripted failure' } }));
        return;
      }
      const text = 'wait' in reply ? await reply.wait : reply.text;
      res.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          id: `chatcmpl-${requests.length}`,
          object: 'chat.completion',
          model: body.model,
          choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }],
        }),
      );
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
