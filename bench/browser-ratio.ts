import { readFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { embedCentralFace } from '../src/eval/index.js';
import { FaceRecognizer } from '../src/pipeline/index.js';

/** Images per turn: small enough that both sides see the same load, large enough to time. */
const CHUNK = 8;

/** Browser against Node.js on the same photos, measured in alternating turns. */
export interface BrowserNodeRatio {
  readonly browserPerSecond: number;
  readonly nodePerSecond: number;
  /** Median over turns of (browser images/s) / (Node.js images/s). */
  readonly medianRatio: number;
  readonly turns: number;
  /** onnxruntime-web threads the page used. */
  readonly browserThreads: number;
  /** Where the browser side ran: the page's main thread or a worker of the page. */
  readonly where: 'page' | 'worker';
}

/**
 * The browser side, one module for both places it runs: imported by the page itself, or by a module
 * worker of the page that answers `{init}` and `{turn}` messages with it (as "On this device" runs the
 * models). `init` loads the models and the photos and makes one untimed pass over them: V8 first runs
 * onnxruntime's WebAssembly with its baseline compiler and optimises hot functions in the background,
 * which on a loaded 2-core machine took about 50 photos (915, 418, then 140–170 ms a photo in passes of
 * 16). A returning visitor skips this: Chromium caches the optimised code of a streamed, cacheable .wasm
 * (the server sends max-age); the table's images/s above is the first visit.
 */
const BROWSER_SIDE = (origin: string): string => `
import * as af from '${origin}/arcface/arcface.js';
let fr;
let bytes;
export async function init(files, runtime) {
  fr = await af.FaceRecognizer.create({ modelBaseUrl: '${origin}/models', runtime });
  bytes = await Promise.all(files.map(async (f) => new Uint8Array(await (await fetch('${origin}/lfw/' + f)).arrayBuffer())));
  for (const b of bytes) await af.embedCentralFace(fr, b);
  return af.resolveRuntimeOptions(runtime).intraOpThreads;
}
export async function turn(from, to) {
  const t = performance.now();
  for (let k = from; k < to; k++) await af.embedCentralFace(fr, bytes[k]);
  return performance.now() - t;
}
if (typeof WorkerGlobalScope !== 'undefined' && self instanceof WorkerGlobalScope) {
  self.onmessage = async (e) => {
    const m = e.data;
    self.postMessage(m.type === 'init' ? await init(m.files, m.runtime) : await turn(m.from, m.to));
  };
}`;

/**
 * Times ArcFace.ts on the same LFW photos in Chromium (the browser bundle, one page, one
 * recogniser) and in Node.js in alternating turns of {@link CHUNK} images, so that both see the same
 * machine load: on a shared machine the load moves by several times within a minute, and a browser
 * run followed by a Node.js run compares two different machines. Each side decodes, detects,
 * aligns and embeds the central face (`embedCentralFace`) from bytes already in memory, after one
 * untimed pass over the photos on each side (steady state, not the first visit). `threads`
 * sets the page's onnxruntime-web threads (default: the library's default, which depends on `where`);
 * `where: 'worker'` runs the browser side in a worker of the page, as the "On this device" page does.
 *
 * @example
 * const r = await browserNodeRatio(browser, 'http://127.0.0.1:8080', '../shared', lfwDir, images)
 */
export async function browserNodeRatio(
  browser: Browser,
  url: string,
  shared: string,
  lfw: string,
  images: readonly string[],
  threads?: number,
  where: 'page' | 'worker' = 'page',
): Promise<BrowserNodeRatio> {
  const context = await browser.newContext();
  await context.addInitScript('globalThis.__name = (f) => f;');
  const page = await context.newPage();
  await page.goto(`${url}/`);
  const node = await FaceRecognizer.create({ locations: { home: '', dirs: [join(shared, 'models')] } });
  try {
    const browserThreads = await page.evaluate(
      async ([files, th, inWorker, source]) => {
        const moduleUrl = URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));
        const runtime = th === 0 ? {} : { intraOpThreads: th };
        const w = globalThis as unknown as { side: { init(f: readonly string[], r: unknown): Promise<number>; turn(a: number, b: number): Promise<number> } };
        if (inWorker) {
          const worker = new Worker(moduleUrl, { type: 'module' });
          const ask = (m: unknown): Promise<number> =>
            new Promise((resolve, reject) => {
              worker.onmessage = (e) => resolve(e.data);
              worker.onerror = (e) => reject(new Error(e.message));
              worker.postMessage(m);
            });
          w.side = { init: (f, r) => ask({ type: 'init', files: f, runtime: r }), turn: (a, b) => ask({ type: 'turn', from: a, to: b }) };
        } else {
          w.side = await import(moduleUrl);
        }
        return w.side.init(files, runtime);
      },
      [[...images], threads ?? 0, where === 'worker', BROWSER_SIDE(new URL(url).origin)] as const,
    );
    const bytes = await Promise.all(images.map((f) => readFile(join(lfw, f))));
    for (const b of bytes) await embedCentralFace(node, b);
    let browserMs = 0;
    let nodeMs = 0;
    const ratios: number[] = [];
    for (let i = 0; i < images.length; i += CHUNK) {
      const end = Math.min(i + CHUNK, images.length);
      const b = await page.evaluate(([from, to]) => (globalThis as unknown as { side: { turn(a: number, b: number): Promise<number> } }).side.turn(from, to), [
        i,
        end,
      ] as const);
      const t = performance.now();
      for (let k = i; k < end; k++) await embedCentralFace(node, bytes[k] as Buffer);
      const n = performance.now() - t;
      browserMs += b;
      nodeMs += n;
      ratios.push(n / b);
    }
    ratios.sort((x, y) => x - y);
    return {
      browserPerSecond: images.length / (browserMs / 1000),
      nodePerSecond: images.length / (nodeMs / 1000),
      medianRatio: ratios[Math.floor(ratios.length / 2)] as number,
      turns: ratios.length,
      browserThreads,
      where,
    };
  } finally {
    await node.dispose();
    await context.close();
  }
}

/**
 * One line for the report.
 *
 * @example
 * console.log(ratioLine(await browserNodeRatio(...)))
 */
export function ratioLine(r: BrowserNodeRatio): string {
  return (
    `\nSame images, one face each, after a warm-up pass, alternating turns of ${CHUNK}: ` +
    `browser ${r.browserPerSecond.toFixed(2)} images/s (${r.where === 'worker' ? 'in a worker, ' : ''}${r.browserThreads} thread${r.browserThreads === 1 ? '' : 's'}), ` +
    `Node.js ${r.nodePerSecond.toFixed(2)} images/s (browser / Node.js = ${(r.browserPerSecond / r.nodePerSecond).toFixed(2)}, median of ${r.turns} turns ` +
    `${r.medianRatio.toFixed(2)}); load average ${loadavg()[0]?.toFixed(1)}`
  );
}
