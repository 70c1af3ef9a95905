/**
 * An embedding batch on the server's gallery path: 100 vectors (the per-request cap) against a
 * synthetic gallery, through `GalleryAdapter.identifyMany` (one search at a time, the event loop
 * free between them) and through the former path (the adapter listed every identity before each
 * search and never yielded). Reports the batch time and the longest the event loop was held.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GalleryAdapter } from '../apps/server/services/gallery-adapter.js';
import { MAX_EMBEDDINGS_PER_REQUEST } from '../apps/server/routes/compreface-shapes.js';
import { openGallery } from '../src/gallery/index.js';
import { syntheticPeople } from './synthetic.js';
import { fmt, median } from './stats.js';

const FP = 'sha256:bench|RGB|NCHW|127.5,127.5,127.5|127.5,127.5,127.5|112|512';

/** Runs `fn` while a 1 ms interval measures the longest gap between its ticks. */
async function withLoopWatch(fn: () => Promise<unknown>): Promise<{ ms: number; maxBlockMs: number }> {
  let last = performance.now();
  let maxGap = 0;
  const tick = setInterval(() => {
    const now = performance.now();
    maxGap = Math.max(maxGap, now - last);
    last = now;
  }, 1);
  const t0 = performance.now();
  await fn();
  const ms = performance.now() - t0;
  await new Promise((r) => setTimeout(r, 10));
  clearInterval(tick);
  return { ms, maxBlockMs: maxGap };
}

/**
 * `npm run bench -- server-batch`.
 *
 * @example
 * await benchServerBatch({ identities: 2000, rounds: 5, log: console.log })
 */
export async function benchServerBatch(opts: { identities: number; rounds: number; log: (line: string) => void }): Promise<void> {
  const g = await openGallery(join(mkdtempSync(join(tmpdir(), 'arcface-bench-batch-')), 'g.db'), { fingerprint: FP, embeddingSize: 512, threshold: 0.3 });
  const crowd = syntheticPeople(1, opts.identities, 2, 512);
  await g.store.enrollMany(
    crowd.map((p) => ({ identity: { id: p.id }, templates: p.templates.map((embedding) => ({ embedding })) })),
    'create',
  );
  const port = GalleryAdapter.create(g);
  const queries = crowd.slice(0, MAX_EMBEDDINGS_PER_REQUEST).map((p) => p.templates[0] as Float32Array);
  await port.identify(queries[0] as Float32Array, 1);
  const variants: Record<string, () => Promise<unknown>> = {
    'identifyMany (yields)': () => port.identifyMany(queries, 1),
    'former: list + identify': async () => {
      for (const q of queries) {
        await g.list();
        await g.identify(q, { topK: 1 });
      }
    },
  };
  const res: Record<string, { ms: number[]; block: number[] }> = {};
  for (let r = 0; r < opts.rounds; r++) {
    for (const [name, fn] of Object.entries(variants)) {
      const m = await withLoopWatch(fn);
      res[name] ??= { ms: [], block: [] };
      const slot = res[name];
      slot.ms.push(m.ms);
      slot.block.push(m.maxBlockMs);
    }
  }
  opts.log(`\n## Embedding batch of ${queries.length} on a ${opts.identities}-identity gallery (median of ${opts.rounds})`);
  opts.log('variant                     batch ms   longest event-loop block ms');
  for (const [name, r] of Object.entries(res)) opts.log(`${name.padEnd(26)}${fmt(median(r.ms), 1)}   ${fmt(median(r.block), 1)}`);
  await port.close();
}
