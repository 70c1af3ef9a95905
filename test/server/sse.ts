/** Server-Sent Events as the tests read them. */

/** One event of an SSE stream. */
export interface SseEvent {
  readonly event: string;
  readonly data: Record<string, unknown>;
}

/**
 * Reads Server-Sent Events into `events` (a list the caller may watch as it fills) until `stop` says
 * so or the stream ends; `stop` is asked after each chunk and every 100 ms, so a quiet stream stops
 * too. The request is aborted afterwards.
 */
export async function readSse(
  url: string,
  headers: Record<string, string>,
  stop: (events: SseEvent[]) => boolean,
  events: SseEvent[] = [],
): Promise<{ status: number; events: SseEvent[] }> {
  const ac = new AbortController();
  const res = await fetch(url, { headers: { ...headers, accept: 'text/event-stream' }, signal: ac.signal });
  if (res.status !== 200 || res.body === null) return { status: res.status, events };
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  const poll = setInterval(() => {
    if (stop(events)) ac.abort();
  }, 100);
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
  } catch (err) {
    if (!ac.signal.aborted) throw err;
  } finally {
    clearInterval(poll);
    ac.abort();
  }
  return { status: res.status, events };
}
