/** Server-Sent Events as the tests read them. */

/** One event of an SSE stream. */
export interface SseEvent {
  readonly event: string;
  readonly data: Record<string, unknown>;
}

/** Reads Server-Sent Events until `stop` says so or the stream ends; aborts the request afterwards. */
export async function readSse(
  url: string,
  headers: Record<string, string>,
  stop: (events: SseEvent[]) => boolean,
): Promise<{ status: number; events: SseEvent[] }> {
  const ac = new AbortController();
  const res = await fetch(url, { headers: { ...headers, accept: 'text/event-stream' }, signal: ac.signal });
  const events: SseEvent[] = [];
  if (res.status !== 200 || res.body === null) return { status: res.status, events };
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  try {
    while (!stop(events)) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let cut: number;
      while ((cut = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        const event = /^event: (.+)$/m.exec(block)?.[1];
        const data = /^data: (.+)$/m.exec(block)?.[1];
        if (event !== undefined && data !== undefined) events.push({ event, data: JSON.parse(data) as Record<string, unknown> });
      }
    }
  } finally {
    ac.abort();
  }
  return { status: res.status, events };
}
