/**
 * One server and one Chromium for the on-device tests: `arcface serve`'s app (models by name, the
 * browser bundle, COOP/COEP) and Debian's Chromium with a fake camera fed by a y4m file made from
 * LFW photos with the bundled ffmpeg. LFW photos reach pages through `/lfw/…`, answered by the test
 * (never by the server), so a test can tell them from uploads.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ffmpeg from '@ffmpeg-installer/ffmpeg';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { serve, type RunningServer } from '../../apps/server/server.js';
import { sharedPath, testOutputDir } from '../helpers/shared.js';
import { testLocations } from '../server/helpers.js';

/** Debian's chromium, as CI installs it. */
export const CHROMIUM = '/usr/bin/chromium';
const ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  '--disable-renderer-backgrounding',
  '--disable-background-timer-throttling',
  '--disable-backgrounding-occluded-windows',
];

/** The deep-funneled LFW photo `Name_000n.jpg`. */
export const lfwPath = (person: string, n: number): string =>
  sharedPath('data', 'faces', 'lfw-deepfunneled', person, `${person}_${String(n).padStart(4, '0')}.jpg`);

/** Camera frames: one photo of each person, each held for `FRAMES_PER_PERSON` frames. */
export const CAMERA_PHOTOS = [
  ['Colin_Powell', 40],
  ['Tony_Blair', 18],
] as const;
const FRAMES_PER_PERSON = 30;

export interface DeviceHarness {
  readonly server: RunningServer;
  readonly browser: Browser;
  readonly y4m: string;
  /** A fresh context (own storage) with `/lfw/…` answered from the shared LFW folder. */
  context(): Promise<BrowserContext>;
  /** A page of a fresh context at `path`, failing on page errors. */
  open(path: string): Promise<{ page: Page; errors: string[] }>;
  close(): Promise<void>;
}

/** Makes a y4m video (the format Chromium's fake camera reads) of LFW photos. */
function makeCameraVideo(dir: string): string {
  const out = join(dir, 'camera.y4m');
  const inputs = CAMERA_PHOTOS.flatMap(([p, n]) => ['-loop', '1', '-t', String(FRAMES_PER_PERSON / 10), '-framerate', '10', '-i', lfwPath(p, n)]);
  const scaled = CAMERA_PHOTOS.map((_, i) => `[${i}:v]scale=250:250,format=yuv420p[v${i}]`).join(';');
  const filter = `${scaled};${CAMERA_PHOTOS.map((_, i) => `[v${i}]`).join('')}concat=n=${CAMERA_PHOTOS.length}:v=1:a=0[out]`;
  const r = spawnSync(ffmpeg.path, ['-v', 'error', '-y', ...inputs, '-filter_complex', filter, '-map', '[out]', '-r', '10', '-pix_fmt', 'yuv420p', out]);
  if (r.status !== 0) throw new Error(`ffmpeg failed to make ${out}: ${r.stderr.toString()}`);
  return out;
}

/**
 * Starts the server and Chromium once for a test file. `cameraVideo` makes another fake camera
 * (a y4m file in the given folder) than the default one of still LFW photos.
 *
 * @example
 * const h = await startDeviceHarness()
 */
export async function startDeviceHarness(options: { cameraVideo?: (dir: string) => string } = {}): Promise<DeviceHarness> {
  mkdirSync(testOutputDir('web'), { recursive: true });
  const dir = mkdtempSync(join(tmpdir(), 'arcface-device-'));
  const y4m = (options.cameraVideo ?? makeCameraVideo)(dir);
  const server = await serve({ host: '127.0.0.1', port: 0, locations: testLocations(), handleSignals: false, log: () => undefined, auth: false });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [...ARGS, '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', `--use-file-for-fake-video-capture=${y4m}`],
  });
  const lfwRoot = sharedPath('data', 'faces', 'lfw-deepfunneled');
  async function context(): Promise<BrowserContext> {
    const ctx = await browser.newContext({ viewport: { width: 1100, height: 900 }, permissions: ['camera'] });
    // tsx compiles the tests with esbuild's keepNames, which wraps functions inside page.evaluate
    // callbacks in a `__name` helper that only exists in Node.js: the page gets a stand-in.
    await ctx.addInitScript('globalThis.__name = (f) => f;');
    await ctx.route('**/lfw/**', async (route) => {
      const rel = decodeURIComponent(new URL(route.request().url()).pathname.replace(/^\/lfw\//, ''));
      const path = join(lfwRoot, rel);
      if (rel.includes('..') || !existsSync(path)) return route.fulfill({ status: 404, body: `no ${rel}` });
      // COEP require-corp: a same-origin response is allowed; CORP is sent as the server would.
      await route.fulfill({ body: readFileSync(path), contentType: 'image/jpeg', headers: { 'cross-origin-resource-policy': 'same-origin' } });
    });
    return ctx;
  }
  return {
    server,
    browser,
    y4m,
    context,
    async open(path) {
      const page = await (await context()).newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`${server.url}${path}`);
      return { page, errors };
    },
    async close() {
      await browser.close();
      await server.close();
    },
  };
}
