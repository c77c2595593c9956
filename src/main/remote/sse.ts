// Reads a server-sent event stream (text/event-stream) from a fetch body: `event:` / `data:` fields, frames split by
// a blank line, comments (`: keep-alive`) skipped. Node 20 has fetch but no EventSource, and the frames our
// /events route writes need no more than this.

export interface SseFrame {
  event: string;
  data: string;
}

/** Splits text into frames; returns the frames complete so far and the unfinished rest. */
export function parseSse(buffer: string): { frames: SseFrame[]; rest: string } {
  const frames: SseFrame[] = [];
  const parts = buffer.replace(/\r\n?/g, '\n').split('\n\n');
  const rest = parts.pop() ?? '';
  for (const part of parts) {
    let event = 'message';
    const data: string[] = [];
    for (const line of part.split('\n')) {
      if (line === '' || line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') event = value;
      else if (field === 'data') data.push(value);
    }
    if (data.length > 0) frames.push({ event, data: data.join('\n') });
  }
  return { frames, rest };
}

/** Calls `onFrame` for each frame of a response body until it ends or `signal` aborts. */
export async function readSse(
  body: ReadableStream<Uint8Array>,
  onFrame: (frame: SseFrame) => void,
  signal?: AbortSignal,
): Promise<void> {
  const decoder = new TextDecoder();
  const reader = body.getReader();
  let buffer = '';
  try {
    while (!signal?.aborted) {
      const { done, value } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      const { frames, rest } = parseSse(buffer);
      buffer = rest;
      for (const f of frames) onFrame(f);
    }
  } finally {
    reader.releaseLock();
  }
}
