import { createReadStream, existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { ArcFaceError, isArcFaceError } from '../../../src/core/index.js';
import { findKnownModel, findKnownModelByFileName, resolveModelPath } from '../../../src/models/index.js';
import type { ServerContext } from '../context.js';

/**
 * What the on-device web page needs from the server, and nothing it could upload to:
 * - `GET /models/:name`: a registry model by registry name or registry file name (never a path), for
 *   `FaceRecognizer.create({ modelBaseUrl: '/models' })` in the page;
 * - `GET /arcface/:file`: the browser bundle and onnxruntime-web's WebAssembly files;
 * - on every response, the cross-origin isolation headers (COOP `same-origin`, COEP `require-corp`)
 *   that WebAssembly threads need (`SharedArrayBuffer`), and CORP `same-origin`.
 */

/** File names a bundle folder may hold: the bundle, its map and licences, onnxruntime-web's files. */
const BUNDLE_FILE = /^(arcface\.js(\.map|\.LEGAL\.txt)?|ort-wasm-simd-threaded(\.jsep)?\.(wasm|mjs))$/;
/** A registry name or file name: no slash, no leading dot. */
const MODEL_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
/** Models and the bundle change only with a release; a day's caching spares repeated downloads. */
const CACHE_SECONDS = 86_400;

const CONTENT_TYPES: Readonly<Record<string, string>> = Object.freeze({
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.map': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
});

/**
 * The folder holding the browser bundle (`npm run build` makes it): `dist/browser` beside the
 * sources or the compiled server.
 *
 * @example
 * const dir = browserBundleDir() // '/app/dist/browser' or undefined before a build
 */
export function browserBundleDir(): string | undefined {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const candidate of [resolve(here, '..', '..', '..', 'browser'), resolve(here, '..', '..', '..', 'dist', 'browser')]) {
    if (existsSync(join(candidate, 'arcface.js'))) return candidate;
  }
  return undefined;
}

function sendFile(reply: FastifyReply, path: string, type: string): FastifyReply {
  reply.header('content-type', type);
  reply.header('content-length', String(statSync(path).size));
  reply.header('cache-control', `public, max-age=${CACHE_SECONDS}`);
  return reply.send(createReadStream(path));
}

/**
 * Registers the model and bundle routes and the cross-origin isolation headers.
 *
 * @example
 * registerBrowserAssetRoutes(app, ctx)
 */
export function registerBrowserAssetRoutes(app: FastifyInstance, ctx: ServerContext): void {
  app.addHook('onSend', async (_request, reply, payload) => {
    reply.header('cross-origin-opener-policy', 'same-origin');
    reply.header('cross-origin-embedder-policy', 'require-corp');
    reply.header('cross-origin-resource-policy', 'same-origin');
    return payload;
  });

  app.get<{ Params: { name: string } }>('/models/:name', { schema: { hide: true }, config: { scope: 'public', rateLimited: true } }, async (request, reply) => {
    const { name } = request.params;
    const model = MODEL_NAME.test(name) ? (findKnownModel(name) ?? findKnownModelByFileName(name)) : undefined;
    if (model === undefined) {
      throw new ArcFaceError('NOT_FOUND', `Expected a registry model name or file name (e.g. w600k-mbf-int8 or w600k_mbf_int8.onnx) but received "${name}"`);
    }
    const locations = ctx.options.locations;
    if (locations === undefined) throw new ArcFaceError('MODEL_NOT_FOUND', `Expected model folders to serve ${model.name} from but the server has none`);
    // By registry name only: the request never names a path on this machine.
    let path: string;
    try {
      path = resolveModelPath(model.name, locations);
    } catch (err) {
      // A registry model this server has not installed is simply not here (404, no stack in the log);
      // the message names neither the folders searched nor their paths.
      if (isArcFaceError(err, 'MODEL_NOT_FOUND'))
        throw new ArcFaceError('NOT_FOUND', `Expected model ${model.name} to be installed on this server but it is not`, { cause: err });
      throw err;
    }
    return sendFile(reply, path, 'application/octet-stream');
  });

  app.get<{ Params: { file: string } }>(
    '/arcface/:file',
    { schema: { hide: true }, config: { scope: 'public', rateLimited: true } },
    async (request, reply) => {
      const { file } = request.params;
      const dir = browserBundleDir();
      if (!BUNDLE_FILE.test(file))
        throw new ArcFaceError('NOT_FOUND', `Expected a file of the browser bundle (arcface.js, ort-wasm-*.wasm) but received "${file}"`);
      if (dir === undefined) throw new ArcFaceError('NOT_FOUND', 'Expected the browser bundle in dist/browser but it is not built (npm run build)');
      const path = join(dir, file);
      if (!existsSync(path)) throw new ArcFaceError('NOT_FOUND', `Expected ${file} in the browser bundle but it is not there`);
      return sendFile(reply, path, CONTENT_TYPES[file.slice(file.lastIndexOf('.'))] ?? 'application/octet-stream');
    },
  );
}
