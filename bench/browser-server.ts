import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { extname, join, normalize } from 'node:path';

/** A static host for the browser benchmark: folders by URL prefix, bytes served counted per prefix. */
export interface StaticHost {
  readonly url: string;
  /** Bytes sent per prefix since the last {@link StaticHost.resetCounts}. */
  counts(): Record<string, number>;
  resetCounts(): void;
  close(): Promise<void>;
}

const TYPES: Record<string, string> = {
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.html': 'text/html',
  '.jpg': 'image/jpeg',
};

/**
 * Serves `folders` (prefix → directory) with the cross-origin isolation headers a threaded WASM page
 * needs, as any static host could, plus an empty page at `/`.
 *
 * @example
 * const host = await startStaticHost({ '/arcface/': 'dist/browser' })
 */
export async function startStaticHost(folders: Readonly<Record<string, string>>): Promise<StaticHost> {
  const counts: Record<string, number> = {};
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    res.setHeader('cross-origin-opener-policy', 'same-origin');
    res.setHeader('cross-origin-embedder-policy', 'require-corp');
    res.setHeader('cross-origin-resource-policy', 'same-origin');
    if (path === '/') {
      res.setHeader('content-type', 'text/html');
      res.end('<!doctype html><title>bench</title>');
      return;
    }
    const prefix = Object.keys(folders).find((p) => path.startsWith(p));
    const rel = prefix === undefined ? '' : normalize(path.slice(prefix.length));
    const file = prefix === undefined || rel.startsWith('..') ? '' : join(folders[prefix] as string, rel);
    if (file === '' || !existsSync(file) || !statSync(file).isFile()) {
      res.statusCode = 404;
      res.end();
      return;
    }
    const size = statSync(file).size;
    counts[prefix as string] = (counts[prefix as string] ?? 0) + size;
    res.setHeader('content-type', TYPES[extname(file)] ?? 'application/octet-stream');
    res.setHeader('content-length', String(size));
    createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    counts: () => ({ ...counts }),
    resetCounts: () => {
      for (const k of Object.keys(counts)) delete counts[k];
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
