import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { buildApp, type BuildAppOptions } from '../../apps/server/app.js';
import type { Scope } from '../../apps/server/services/key-store.js';
import { startServices, type Services } from '../../apps/server/services/start-services.js';
import type { ServerOptions } from '../../apps/server/options.js';
import { sharedDir, sharedPath } from '../helpers/shared.js';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';

/** Model locations for tests: the shared models folder, an empty scratch home. */
export function testLocations(): { home: string; dirs: string[] } {
  return { home: mkdtempSync(join(tmpdir(), 'arcface-home-')), dirs: [join(sharedDir(), 'models')] };
}

/** Bytes of an LFW image (150×150), e.g. lfw('Aaron_Peirsol', 1). */
export function lfw(person: string, n: number): Buffer {
  return readFileSync(sharedPath('data', 'faces', 'lfw', person, `${person}_${String(n).padStart(4, '0')}.jpg`));
}

/** A 320×240 PNG with no face: a smooth colour gradient. */
export async function noFacePng(): Promise<Buffer> {
  const w = 320;
  const h = 240;
  const data = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data.set([(x * 255) / w, (y * 255) / h, 128], (y * w + x) * 3);
  return sharp(data, { raw: { width: w, height: h, channels: 3 } })
    .png()
    .toBuffer();
}

/** A multipart body and its content type, for `app.inject`. */
export async function multipart(
  files: Record<string, Buffer | Buffer[]>,
  fields: Record<string, string> = {},
): Promise<{ payload: Buffer; headers: Record<string, string> }> {
  const form = new FormData();
  for (const [name, value] of Object.entries(files)) {
    for (const [i, buf] of (Array.isArray(value) ? value : [value]).entries())
      form.append(name, new Blob([new Uint8Array(buf)], { type: 'image/jpeg' }), `${name}-${i}.jpg`);
  }
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  const res = new Response(form);
  return { payload: Buffer.from(await res.arrayBuffer()), headers: { 'content-type': res.headers.get('content-type') ?? '' } };
}

/** A test server: services, an app, and one key per scope. */
export interface TestServer {
  readonly services: Services;
  readonly app: FastifyInstance;
  /** The SQLite gallery file the server uses. */
  readonly galleryFile: string;
  readonly keys: Record<Scope, string>;
  /** Another app on the same services with other options (limits), closed with the server. */
  variant(options: Partial<BuildAppOptions>): Promise<FastifyInstance>;
  /** The `x-api-key` header of this server's key with `scope`. */
  key(scope: Scope): Record<string, string>;
  /** POSTs images as a multipart form to `app` with a key of `scope` (default `read`). */
  postImages(url: string, files: Record<string, Buffer | Buffer[]>, scope?: 'read' | 'write'): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

/**
 * Starts workers with the real default models, a fresh SQLite gallery and an in-memory key store.
 */
export async function startTestServer(options: Omit<ServerOptions, 'gallery' | 'keys' | 'rateLimitCounter'> = {}): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), 'arcface-server-'));
  options = { logLevel: 'silent', ...options };
  const services = await startServices({ locations: testLocations(), ...options }, { galleryLocation: join(dir, 'gallery.db'), keysPath: ':memory:' });
  const store = services.keys;
  if (store === undefined) throw new Error('key store missing');
  const keys = {
    read: (await store.create({ scope: 'read', name: 'r' })).key,
    write: (await store.create({ scope: 'write', name: 'w' })).key,
    admin: (await store.create({ scope: 'admin', name: 'a' })).key,
  };
  const base: BuildAppOptions = { ...options, engine: services.engine, keys: store, ...(services.gallery === undefined ? {} : { gallery: services.gallery }) };
  const app = await buildApp(base);
  const variants: FastifyInstance[] = [];
  return {
    services,
    app,
    galleryFile: join(dir, 'gallery.db'),
    keys,
    async variant(extra) {
      const v = await buildApp({ ...base, ...extra });
      variants.push(v);
      return v;
    },
    key: (scope) => ({ 'x-api-key': keys[scope] }),
    async postImages(url, files, scope = 'read') {
      const mp = await multipart(files);
      return app.inject({ method: 'POST', url, payload: mp.payload, headers: { ...mp.headers, 'x-api-key': keys[scope] } });
    },
    async close() {
      for (const v of variants) await v.close();
      await app.close();
      await services.close();
    },
  };
}

/** How long a test polls for a server state before failing (ms): far above the second or so it takes here. */
export const POLL_DEADLINE_MS = 30_000;

/**
 * Polls `check` every 5 ms until it returns true; fails with `what` after `deadlineMs` instead of hanging.
 *
 * @example
 * await waitUntil(async () => (await queueDepth()) >= 3, 'three queued verify jobs')
 */
export async function waitUntil(check: () => Promise<boolean> | boolean, what: string, deadlineMs = POLL_DEADLINE_MS): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Expected ${what} within ${deadlineMs} ms but it did not happen`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
