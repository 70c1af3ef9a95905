import { existsSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { resolve } from 'node:path';
import { benchAnonymize } from './anonymize.js';
import { benchCluster } from './cluster.js';
import { benchBrowser } from './browser.js';
import { benchBrowserParity } from './browser-parity.js';
import { benchDetect } from './detect.js';
import { benchEmbed } from './embed.js';
import { benchGallery } from './gallery.js';
import { benchPipeline } from './pipeline.js';
import { benchTrack } from './track.js';
import { benchVideo } from './video.js';
import { benchVideoReal } from './video-real.js';
import { benchServerBatch } from './server-batch.js';
import { benchSightings } from './sightings.js';
import { benchScale } from './scale.js';

/**
 * `npm run bench [-- SECTION...] [--sizes 100000,1000000] [--pairs 1000] [--systems arcface,face-api,human]`: sections embed, detect,
 * pipeline, track, server-batch, video, video-real, sightings (`--montages N`), anonymize (`--anonymize-only A,B` for the clips whose name
 * holds one of them, `--anonymize-seconds N` to cut each clip), gallery, cluster (all by default; cluster takes `--sweep`,
 * `--speed-size N`), browser and browser-parity (only when named: they need Chromium; `--folds N` for the parity run) and scale (only when named: at
 * 100,000 templates its search section runs for many minutes, its ingest section needs redis-server and the
 * built CLI; `--scale-templates N`, `--scale-sections search,ingest`, `--scale-dense`, `--images N`). Every figure compares variants
 * measured side by side in this run.
 */
const shared = process.env.ARCFACE_SHARED ?? resolve(import.meta.dirname, '..', '..', 'shared');
if (!existsSync(shared)) throw new Error(`Benchmarks need the shared models and data at ${shared} (set ARCFACE_SHARED)`);
const args = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const scaleFlags = ['--scale-templates', '--scale-sections', '--images'];
const valueFlags = [
  '--sizes',
  '--hnsw-max-size',
  '--video-sizes',
  '--video-seconds',
  '--soak-seconds',
  '--speed-size',
  '--rescan-size',
  '--pairs',
  '--systems',
  '--folds',
  '--montages',
  '--anonymize-only',
  '--anonymize-seconds',
  ...scaleFlags,
];
const flagValues = new Set(valueFlags.map(flag).filter((v): v is string => v !== undefined));
const only = new Set(args.filter((a) => !a.startsWith('-') && !flagValues.has(a)));
const want = (name: string): boolean => only.size === 0 || only.has(name);

console.log(`# ArcFace.ts benchmarks — ${new Date().toISOString()}, node ${process.version}, ${cpus().length} cores, load average ${loadavg()[0]?.toFixed(1)}`);
if (want('embed')) await benchEmbed(shared);
if (want('detect')) await benchDetect(shared);
if (want('pipeline')) await benchPipeline(shared);
if (want('track')) await benchTrack(shared);
if (want('gallery')) {
  const sizes = (flag('--sizes') ?? '100000,1000000').split(',').map(Number);
  console.log(`\n## Gallery search and storage (synthetic 512-d unit vectors with planted near-duplicates; sizes ${sizes.join(', ')})`);
  // An HNSW graph over a million 512-d rows takes hours to build on 2 cores: by default only the
  // smaller sizes build one (`--hnsw-max-size` raises the limit).
  const hnswMaxSize = Number(flag('--hnsw-max-size') ?? 100_000);
  console.log(`HNSW built at sizes ≤ ${hnswMaxSize.toLocaleString('en')}`);
  await benchGallery({ sizes, hnswMaxSize, log: (line) => console.log(line) });
}
if (want('server-batch')) await benchServerBatch({ identities: 2000, rounds: 5, log: (line) => console.log(line) });
if (want('video')) {
  const sizes = (flag('--video-sizes') ?? '640x360,1280x720').split(',').map((s) => s.split('x').map(Number) as [number, number]);
  const seconds = Number(flag('--video-seconds') ?? 20);
  const soakSeconds = Number(flag('--soak-seconds') ?? 60);
  console.log(`\n## Video: tracking and naming (synthetic clips of LFW people, ${seconds} s, 4 people; live soak ${soakSeconds} s)`);
  await benchVideo({ shared, sizes, seconds, people: 4, soakSeconds, log: (line) => console.log(line) });
}
if (want('video-real')) {
  console.log('\n## Video on real footage: montages of real talking heads joined by hard cuts (../shared/data/video-real)');
  await benchVideoReal({ shared, log: (line) => console.log(line) });
}
if (want('sightings')) {
  console.log('\n## Sightings on real footage: montages played twice with a restart between, visitors, then "this is X" (../shared/data/video-real)');
  await benchSightings({ shared, log: (line) => console.log(line), ...(flag('--montages') === undefined ? {} : { montages: Number(flag('--montages')) }) });
}
if (want('anonymize')) {
  console.log('\n## Anonymise: faces left bare and speed (synthetic clips with known boxes; real footage of ../shared/data/video-real)');
  const seconds = flag('--anonymize-seconds');
  const clips = flag('--anonymize-only');
  await benchAnonymize({
    shared,
    ...(seconds === undefined ? {} : { seconds: Number(seconds) }),
    ...(clips === undefined ? {} : { only: clips }),
    log: (line) => console.log(line),
  });
}
if (want('cluster')) {
  await benchCluster({
    shared,
    sweep: args.includes('--sweep'),
    speedSize: Number(flag('--speed-size') ?? 100_000),
    rescanSize: Number(flag('--rescan-size') ?? 10_000),
    log: (line) => console.log(line),
  });
}
if (only.has('browser')) await benchBrowser(shared, Number(flag('--pairs') ?? 1000), flag('--systems')?.split(','));
if (only.has('browser-parity')) await benchBrowserParity({ shared, folds: Number(flag('--folds') ?? 2), log: (line) => console.log(line) });
if (only.has('scale')) {
  const sections = flag('--scale-sections');
  const o = {
    shared,
    templates: Number(flag('--scale-templates') ?? 100_000),
    images: Number(flag('--images') ?? 400),
    dense: args.includes('--scale-dense'),
    log: (line: string) => console.log(line),
  };
  await benchScale(o, sections === undefined ? undefined : new Set(sections.split(',')));
}
