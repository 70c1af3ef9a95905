import { existsSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { kFoldVerification, lfwImagePath, readLfwPairs, squaredL2, uniqueLfwImages, type LfwPair } from '../src/eval/index.js';
import { liveCameraRates } from './browser-camera.js';
import { browserNodeRatio, ratioLine } from './browser-ratio.js';
import { startStaticHost, type StaticHost } from './browser-server.js';

/**
 * `npm run bench -- browser [--pairs 1000] [--systems arcface]`: ArcFace.ts in Chromium (onnxruntime-web, WASM) against
 * face-api (`@vladmandic/face-api`: SSD-MobileNet + 68 landmarks + ResNet-34 128-d descriptor) and
 * Human (`@vladmandic/human`: BlazeFace + FaceMesh + FaceRes 1024-d), both on the TensorFlow.js
 * WASM backend, in one run, one Chromium, the same LFW pairs; and ArcFace.ts in Node.js on the same
 * images. Pairs: the first n/20 matched and n/20 mismatched pairs of each of the 10 folds of
 * `pairs.txt`, scored with the 10-fold protocol (threshold grid 0.001 wide for every system).
 * Then browser against Node.js on the same photos in alternating turns (`browser-ratio.ts`), with
 * the default threads and with the old thread-per-core default, and the on-device live camera loop
 * with 1 and 4 faces in view (`browser-camera.ts`).
 */
const CHROMIUM = '/usr/bin/chromium';
const ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-renderer-backgrounding',
];
/** A grid fine enough for every system's distance scale (squared L2 up to 4, 1 − similarity up to 1). */
const THRESHOLDS = Array.from({ length: 4000 }, (_, i) => i * 0.001);

interface PageRun {
  /** Milliseconds from the start of model loading to the first image's result. */
  readonly firstResultMs: number;
  /** Milliseconds for all images after the first. */
  readonly loopMs: number;
  /** One embedding per image, or null when no face was found. */
  readonly embeddings: (number[] | null)[];
}

type Runner = (images: string[]) => Promise<PageRun>;

/** Each runner is serialised into the page: it may use only its argument and browser globals. */
const RUNNERS: Record<string, { prefixes: string[]; run: Runner; distance: (a: number[], b: number[]) => number }> = {
  'ArcFace.ts (onnxruntime-web WASM)': {
    prefixes: ['/arcface/', '/models/'],
    distance: (a, b) => squaredL2(a, b),
    run: async (images) => {
      const bundle = '/arcface/arcface.js';
      const af = await import(bundle);
      const t0 = performance.now();
      const fr = await af.FaceRecognizer.create({ modelBaseUrl: '/models' });
      const embeddings: number[][] = [];
      let first = 0;
      let t1 = 0;
      for (const [i, f] of images.entries()) {
        const bytes = new Uint8Array(await (await fetch(`/lfw/${f}`)).arrayBuffer());
        embeddings.push(Array.from((await af.embedCentralFace(fr, bytes)).embedding as Float32Array));
        if (i === 0) {
          first = performance.now() - t0;
          t1 = performance.now();
        }
      }
      return { firstResultMs: first, loopMs: performance.now() - t1, embeddings };
    },
  },
  'face-api 1.7 (tfjs WASM)': {
    prefixes: ['/face-api/', '/face-api-models/', '/tfjs-wasm/'],
    distance: (a, b) => Math.hypot(...a.map((v, i) => v - (b[i] as number))),
    run: async (images) => {
      const bundle = '/face-api/face-api.esm.js';
      const faceapi = await import(bundle);
      const t0 = performance.now();
      faceapi.tf.setWasmPaths('/tfjs-wasm/');
      await faceapi.tf.setBackend('wasm');
      await faceapi.tf.ready();
      await faceapi.nets.ssdMobilenetv1.loadFromUri('/face-api-models');
      await faceapi.nets.faceLandmark68Net.loadFromUri('/face-api-models');
      await faceapi.nets.faceRecognitionNet.loadFromUri('/face-api-models');
      const embeddings: (number[] | null)[] = [];
      let first = 0;
      let t1 = 0;
      for (const [i, f] of images.entries()) {
        const img = await createImageBitmap(await (await fetch(`/lfw/${f}`)).blob());
        const canvas = new OffscreenCanvas(img.width, img.height);
        canvas.getContext('2d')?.drawImage(img, 0, 0);
        const tensor = faceapi.tf.browser.fromPixels(canvas as unknown as HTMLCanvasElement);
        const r = await faceapi.detectSingleFace(tensor).withFaceLandmarks().withFaceDescriptor();
        tensor.dispose();
        embeddings.push(r === undefined ? null : Array.from(r.descriptor as Float32Array));
        if (i === 0) {
          first = performance.now() - t0;
          t1 = performance.now();
        }
      }
      return { firstResultMs: first, loopMs: performance.now() - t1, embeddings };
    },
  },
  'Human 3.3 (tfjs WASM)': {
    prefixes: ['/human/', '/human-models/', '/tfjs-wasm/'],
    // Human's own similarity (`human.match.similarity`) is a rescaled Minkowski distance; the
    // protocol needs only an order, so its plain Euclidean distance ranks the same.
    distance: (a, b) => Math.hypot(...a.map((v, i) => v - (b[i] as number))) / 10,
    run: async (images) => {
      const bundle = '/human/human.esm.js';
      const H = await import(bundle);
      const t0 = performance.now();
      const human = new H.Human({
        backend: 'wasm',
        wasmPath: '/tfjs-wasm/',
        modelBasePath: '/human-models/',
        debug: false,
        cacheModels: false,
        face: {
          enabled: true,
          detector: { rotation: false, maxDetected: 1 },
          mesh: { enabled: true },
          iris: { enabled: false },
          description: { enabled: true },
          emotion: { enabled: false },
          antispoof: { enabled: false },
          liveness: { enabled: false },
        },
        body: { enabled: false },
        hand: { enabled: false },
        object: { enabled: false },
        gesture: { enabled: false },
        segmentation: { enabled: false },
        filter: { enabled: false },
      });
      await human.load();
      const embeddings: (number[] | null)[] = [];
      let first = 0;
      let t1 = 0;
      for (const [i, f] of images.entries()) {
        const img = await createImageBitmap(await (await fetch(`/lfw/${f}`)).blob());
        const canvas = new OffscreenCanvas(img.width, img.height);
        canvas.getContext('2d')?.drawImage(img, 0, 0);
        const r = await human.detect(canvas);
        const e = r.face[0]?.embedding;
        embeddings.push(e === undefined || e.length === 0 ? null : Array.from(e as number[]));
        if (i === 0) {
          first = performance.now() - t0;
          t1 = performance.now();
        }
      }
      return { firstResultMs: first, loopMs: performance.now() - t1, embeddings };
    },
  },
};

function choosePairs(all: readonly LfwPair[], n: number): LfwPair[] {
  const perSide = Math.max(1, Math.round(n / 20));
  const out: LfwPair[] = [];
  for (let fold = 0; fold < 10; fold++) {
    for (const same of [true, false]) out.push(...all.filter((p) => p.fold === fold && p.same === same).slice(0, perSide));
  }
  return out;
}

function summarise(
  name: string,
  pairs: readonly LfwPair[],
  images: readonly string[],
  run: PageRun,
  distance: (a: number[], b: number[]) => number,
  bytes: number,
): string {
  const index = new Map(images.map((f, i) => [f, i]));
  const worst = Math.max(...THRESHOLDS) + 1;
  const dist = pairs.map((p) => {
    const a = run.embeddings[index.get(lfwImagePath(p.a)) as number];
    const b = run.embeddings[index.get(lfwImagePath(p.b)) as number];
    // No face found: the pair is scored as a certain mismatch.
    return a === null || a === undefined || b === null || b === undefined ? worst : distance(a, b);
  });
  const same = pairs.map((p) => p.same);
  const k = kFoldVerification(dist, same, { thresholds: THRESHOLDS, folds: 10 });
  const impostor = Math.min(...dist.filter((_, i) => !same[i]));
  const genuine = dist.filter((_, i) => same[i]);
  const tarAtZero = genuine.filter((d) => d < impostor).length / genuine.length;
  const missed = run.embeddings.filter((e) => e === null).length;
  const perSecond = (images.length - 1) / (run.loopMs / 1000);
  const accuracy = `${(100 * k.accuracyMean).toFixed(2)} ± ${(100 * k.accuracyStd).toFixed(2)} %`;
  return `| ${name} | ${accuracy} | ${(100 * tarAtZero).toFixed(1)} % | ${perSecond.toFixed(2)} | ${(bytes / 1e6).toFixed(1)} MB | ${(run.firstResultMs / 1000).toFixed(1)} s | ${missed} |`;
}

/**
 * Runs the browser benchmark and prints one table; `systems` (name prefixes, any case) picks rows.
 *
 * @example
 * await benchBrowser('../shared', 1000, ['arcface'])
 */
export async function benchBrowser(shared: string, pairCount: number, systems?: readonly string[]): Promise<void> {
  const root = resolve(import.meta.dirname, '..');
  const bundleDir = join(root, 'dist', 'browser');
  if (!existsSync(join(bundleDir, 'arcface.js'))) throw new Error('Expected the browser bundle in dist/browser: run npm run build first');
  const lfw = join(shared, 'data', 'faces', 'lfw-deepfunneled');
  const pairs = choosePairs((await readLfwPairs(join(lfw, 'pairs.txt'))).pairs, pairCount);
  const images = uniqueLfwImages(pairs).map(lfwImagePath);
  const nm = join(root, 'node_modules');
  const host: StaticHost = await startStaticHost({
    '/arcface/': bundleDir,
    '/models/': join(shared, 'models'),
    '/lfw/': lfw,
    '/face-api/': join(nm, '@vladmandic', 'face-api', 'dist'),
    '/face-api-models/': join(nm, '@vladmandic', 'face-api', 'model'),
    '/human/': join(nm, '@vladmandic', 'human', 'dist'),
    '/human-models/': join(nm, '@vladmandic', 'human-models', 'models'),
    '/tfjs-wasm/': join(nm, '@tensorflow', 'tfjs-backend-wasm', 'dist'),
  });
  const browser: Browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
  console.log(`\n## In the browser: Chromium ${browser.version()}, ${pairs.length} LFW pairs (${images.length} images), WASM backends`);
  console.log('| system | accuracy (10-fold) | TAR at FAR 0 (≤ 1e-3) | images/s | model + runtime bytes | time to first result | images without a face |');
  console.log('|---|---|---|---|---|---|---|');
  try {
    const picked = Object.entries(RUNNERS).filter(([name]) => systems === undefined || systems.some((p) => name.toLowerCase().startsWith(p.toLowerCase())));
    for (const [name, r] of picked) {
      const context = await browser.newContext();
      await context.addInitScript('globalThis.__name = (f) => f;');
      const page = await context.newPage();
      await page.goto(`${host.url}/`);
      host.resetCounts();
      try {
        const run = await page.evaluate(r.run, [...images]);
        const bytes = Object.entries(host.counts())
          .filter(([p]) => r.prefixes.includes(p))
          .reduce((n, [, b]) => n + b, 0);
        console.log(summarise(name, pairs, images, run, r.distance, bytes));
      } catch (err) {
        console.log(`| ${name} | failed: ${(err as Error).message.split('\n')[0]} | | | | | |`);
      } finally {
        await context.close();
      }
    }
    console.log(ratioLine(await browserNodeRatio(browser, host.url, shared, lfw, images)));
    // The default before it left one core to the page: every core, at most 4.
    const everyCore = await browserNodeRatio(browser, host.url, shared, lfw, images, Math.min(4, cpus().length));
    console.log(
      ratioLine(everyCore)
        .replace('\n', '')
        .replace(/^Same images/, 'With a thread per core (the default until 2026-12): same images'),
    );
    // The "On this device" page runs the models in a worker, where the default is a thread per core.
    console.log(
      ratioLine(await browserNodeRatio(browser, host.url, shared, lfw, images, undefined, 'worker'))
        .replace('\n', '')
        .replace(/^Same images/, 'In a worker of the page (as "On this device" runs it): same images'),
    );
    const camera = await liveCameraRates(browser, host.url);
    const rates = camera.map((c) => `${c.faces} face${c.faces === 1 ? '' : 's'}: ${c.framesPerSecond.toFixed(1)} frames/s (${c.embedded} embedded)`).join(', ');
    console.log(`On-device live camera loop (640×480, FaceStream, as fast as it runs): ${rates}; load average ${loadavg()[0]?.toFixed(1)}`);
  } finally {
    await browser.close();
    await host.close();
  }
}
