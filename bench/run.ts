import { existsSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { resolve } from 'node:path';
import { benchBrowser } from './browser.js';
import { benchDetect } from './detect.js';
import { benchEmbed } from './embed.js';
import { benchGallery } from './gallery.js';
import { benchPipeline } from './pipeline.js';

/**
 * `npm run bench [-- SECTION...] [--sizes 100000,1000000] [--pairs 1000]`: sections embed, detect,
 * pipeline, gallery (all by default) and browser (only when named: it needs Chromium). Every figure compares variants measured side by side in this run.
 */
const shared = process.env.ARCFACE_SHARED ?? resolve(import.meta.dirname, '..', '..', 'shared');
if (!existsSync(shared)) throw new Error(`Benchmarks need the shared models and data at ${shared} (set ARCFACE_SHARED)`);
const args = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const flagValues = new Set(['--sizes', '--hnsw-max-size', '--pairs'].map(flag).filter((v): v is string => v !== undefined));
const only = new Set(args.filter((a) => !a.startsWith('-') && !flagValues.has(a)));
const want = (name: string): boolean => only.size === 0 || only.has(name);

console.log(`# ArcFace.ts benchmarks — ${new Date().toISOString()}, node ${process.version}, ${cpus().length} cores, load average ${loadavg()[0]?.toFixed(1)}`);
if (want('embed')) await benchEmbed(shared);
if (want('detect')) await benchDetect(shared);
if (want('pipeline')) await benchPipeline(shared);
if (want('gallery')) {
  const sizes = (flag('--sizes') ?? '100000,1000000').split(',').map(Number);
  console.log(`\n## Gallery search and storage (synthetic 512-d unit vectors with planted near-duplicates; sizes ${sizes.join(', ')})`);
  // An HNSW graph over a million 512-d rows takes hours to build on 2 cores: by default only the
  // smaller sizes build one (`--hnsw-max-size` raises the limit).
  const hnswMaxSize = Number(flag('--hnsw-max-size') ?? 100_000);
  console.log(`HNSW built at sizes ≤ ${hnswMaxSize.toLocaleString('en')}`);
  await benchGallery({ sizes, hnswMaxSize, log: (line) => console.log(line) });
}
if (only.has('browser')) await benchBrowser(shared, Number(flag('--pairs') ?? 1000));
