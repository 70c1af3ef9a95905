/**
 * What the probe suites share: requests that record every status, the `{code, message}` check with
 * no library text, and hand-made hostile inputs (a pixel bomb, broken multipart bodies).
 */
import assert from 'node:assert/strict';
import { crc32, deflateSync } from 'node:zlib';

/**
 * Text that must never reach a client: decoder and parser names, SQLite, framework codes, stack
 * frames and file paths.
 */
export const LEAK =
  /vips|glib|librsvg|sqlite|busboy|FST_|\bat [\w.<>$]+ \(|node:internal|node_modules|\/tmp\/|\/work\/|\.[cm]?[jt]s:\d+|premature end|\bXML\b|stack/i;

/** One answer as a probe sees it. */
export interface ProbeAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  json(): unknown;
}

/** Every status seen, by probe, for the final "no 5xx" check. */
export const seen: { probe: string; status: number }[] = [];

/**
 * Fetches and records the status under `probe`.
 *
 * @example
 * const res = await probe('auth', `${url}/v1/subjects`, { headers: { 'x-api-key': 'nope' } })
 */
export async function probe(name: string, url: string, init: Omit<RequestInit, 'body'> & { body?: string | Uint8Array } = {}): Promise<ProbeAnswer> {
  const { body, ...rest } = init;
  const res = await fetch(url, { ...rest, ...(body === undefined ? {} : { body: typeof body === 'string' ? body : new Uint8Array(body) }) });
  const text = await res.text();
  seen.push({ probe: name, status: res.status });
  return { status: res.status, headers: res.headers, text, json: () => JSON.parse(text) as unknown };
}

/**
 * Asserts an error answer: the status, a body of exactly `{code, message}` with that code, and no
 * library text in it.
 *
 * @example
 * assertError(res, 400, 'BODY_INVALID')
 */
export function assertError(res: ProbeAnswer | { status: number; text: string }, status: number, code: string): void {
  assert.equal(res.status, status, res.text);
  const body = JSON.parse(res.text) as Record<string, unknown>;
  assert.deepEqual(Object.keys(body).sort(), ['code', 'message'], res.text);
  assert.equal(body.code, code, res.text);
  assert.equal(typeof body.message, 'string');
  assert.doesNotMatch(res.text, LEAK);
}

/**
 * Asserts that no probe of `names` (all when omitted) saw a 5xx other than those allowed.
 *
 * @example
 * assertNo5xx([503])
 */
export function assertNo5xx(allowed: readonly number[] = []): void {
  const bad = seen.filter((s) => s.status >= 500 && !allowed.includes(s.status));
  assert.deepEqual(bad, [], `5xx answers: ${JSON.stringify(bad)}`);
}

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}

/**
 * A valid-looking PNG whose header declares `width × height` (grey, 8 bit) with a tiny compressed
 * payload: a decompression bomb that costs nothing to send.
 *
 * @example
 * const bomb = pngBomb(50_000, 50_000)
 */
export function pngBomb(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 0, 0, 0, 0], 8);
  const sig = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([sig, chunk('IHDR', ihdr), chunk('IDAT', deflateSync(Buffer.alloc(1024 * 1024))), chunk('IEND', Buffer.alloc(0))]);
}

/**
 * A multipart body (and its content type) built by the platform's FormData.
 *
 * @example
 * const { body, type } = await form({ image: jpeg })
 */
export async function form(
  files: Record<string, Buffer | Buffer[]>,
  fields: Record<string, string> = {},
  filename = 'a.jpg',
): Promise<{ body: Buffer; type: string }> {
  const fd = new FormData();
  for (const [name, v] of Object.entries(files))
    for (const b of Array.isArray(v) ? v : [v]) fd.append(name, new Blob([new Uint8Array(b)], { type: 'image/jpeg' }), filename);
  for (const [k, v] of Object.entries(fields)) fd.append(k, v);
  const r = new Response(fd);
  return { body: Buffer.from(await r.arrayBuffer()), type: r.headers.get('content-type') ?? '' };
}
