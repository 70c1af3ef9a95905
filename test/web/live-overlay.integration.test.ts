import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import ffmpeg from '@ffmpeg-installer/ffmpeg';
import type { Page } from 'playwright-core';
import { testOutputDir } from '../helpers/shared.js';
import { lfwPath, startDeviceHarness, type DeviceHarness } from './device-harness.js';

/** Camera size and timing of the moving fake camera. */
const W = 640;
const H = 360;
const FPS = 10;

/**
 * A moving fake camera: Colin Powell's face slides left to right for 2 s (150 px/s), then the shot
 * cuts to Tony Blair's face at the top right for 2 s; the camera loops, so it cuts back too. One face
 * is in view at any time, and each cut leaves a track behind at a place where no face is any more.
 */
function movingCamera(dir: string): string {
  const out = join(dir, 'moving.y4m');
  const filter =
    '[1:v]scale=160:160[a];[2:v]scale=160:160[b];' +
    "[0:v][a]overlay=x='20+t*150':y=120:enable='lt(t,2)'[x];" +
    "[x][b]overlay=x=470:y=10:enable='gte(t,2)',format=yuv420p[out]";
  const r = spawnSync(ffmpeg.path, [
    '-v',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    `color=c=0x303030:s=${W}x${H}:r=${FPS}:d=4`,
    '-loop',
    '1',
    '-framerate',
    String(FPS),
    '-i',
    lfwPath('Colin_Powell', 40),
    '-loop',
    '1',
    '-framerate',
    String(FPS),
    '-i',
    lfwPath('Tony_Blair', 18),
    '-filter_complex',
    filter,
    '-map',
    '[out]',
    '-t',
    '4',
    '-r',
    String(FPS),
    '-pix_fmt',
    'yuv420p',
    out,
  ]);
  if (r.status !== 0) throw new Error(`ffmpeg failed to make ${out}: ${r.stderr.toString()}`);
  return out;
}

interface DrawnFace {
  box: [number, number, number, number];
  label: string | null;
  dashed: boolean;
  rect: { x: number; y: number; width: number; height: number } | null;
}

let h: DeviceHarness;
before(async () => {
  h = await startDeviceHarness({ cameraVideo: movingCamera });
});
after(async () => {
  await h?.close();
});

/**
 * Records every overlay the page draws on canvas `canvasId` (one per processed frame), runs the camera
 * for `frames` frames, and returns the overlays in order.
 */
async function recordOverlays(
  path: string,
  canvasId: string,
  frames: number,
  ready: (p: Page) => Promise<void>,
): Promise<{ overlays: DrawnFace[][]; errors: string[] }> {
  const { page: p, errors } = await h.open(path);
  await ready(p);
  await p.evaluate((id) => {
    const view = document.getElementById(id) as HTMLCanvasElement;
    const seen: string[] = [];
    (window as unknown as { overlays: string[] }).overlays = seen;
    new MutationObserver((records) => {
      for (const r of records.slice(1)) seen.push(r.oldValue ?? '[]');
      seen.push(view.dataset.overlay ?? '[]');
    }).observe(view, { attributes: true, attributeFilter: ['data-overlay'], attributeOldValue: true });
  }, canvasId);
  await p.getByRole('button', { name: 'Start camera' }).click();
  await p.waitForFunction((n) => Number(document.getElementById('live-stats')?.dataset.frames ?? 0) >= n, frames, { timeout: 180_000 });
  // A DOM click: the camera loop keeps the page busy, and Playwright's click waits for idle animation frames.
  await p.evaluate(() => (document.querySelector('button[id$="stop"]') as HTMLButtonElement).click());
  await p.screenshot({ path: join(testOutputDir('web'), `live-overlay-${canvasId}.png`), fullPage: true });
  const raw = (await p.evaluate(() => (window as unknown as { overlays: string[] }).overlays)) as string[];
  await p.context().close();
  return { overlays: raw.map((s) => JSON.parse(s) as DrawnFace[]), errors };
}

/** The drawing rule, frame by frame: one face in view, no lost track drawn, labels inside and apart. */
function checkOverlays(frames: DrawnFace[][], minFrames: number): void {
  assert.ok(frames.length >= minFrames, `${frames.length} overlays recorded`);
  assert.ok(frames.filter((f) => f.some((x) => !x.dashed)).length >= frames.length / 2, 'the face is seen in most frames');
  const dashedRun = new Map<string, number>();
  frames.forEach((faces, i) => {
    // One face is in view: one solid box at most; the boxes of faces that just left are dashed, and briefly.
    assert.ok(faces.filter((x) => !x.dashed).length <= 1, `frame ${i}: ${JSON.stringify(faces)}`);
    for (const x of faces) {
      const id = String(x.label).split(' ')[0] as string;
      const run = x.dashed ? (dashedRun.get(id) ?? 0) + 1 : 0;
      dashedRun.set(id, run);
      assert.ok(run <= 2, `frame ${i}: ${id} drawn as predicted for ${run} frames in a row`);
      const r = x.rect;
      assert.ok(r !== null, `frame ${i}: every box is labelled`);
      assert.ok(r.x >= 0 && r.y >= 0 && r.x + r.width <= W + 0.5 && r.y + r.height <= H + 0.5, `frame ${i}: label ${JSON.stringify(r)} inside ${W}×${H}`);
    }
    for (const id of [...dashedRun.keys()]) if (!faces.some((x) => String(x.label).startsWith(`${id} `))) dashedRun.delete(id);
    const rects = faces.map((x) => x.rect).filter((r) => r !== null);
    for (let a = 0; a < rects.length; a++) {
      for (let b = a + 1; b < rects.length; b++) {
        const [ra, rb] = [rects[a] as NonNullable<DrawnFace['rect']>, rects[b] as NonNullable<DrawnFace['rect']>];
        const apart = ra.x + ra.width <= rb.x || rb.x + rb.width <= ra.x || ra.y + ra.height <= rb.y || rb.y + rb.height <= ra.y;
        assert.ok(apart, `frame ${i}: labels overlap: ${JSON.stringify(rects)}`);
      }
    }
  });
}

describe('live overlays in Chromium draw only what the frame shows (a moving camera with cuts)', () => {
  it('"On this device": no lost track stays drawn, labels inside the picture and apart', async () => {
    const ready = (p: Page): Promise<void> => p.locator('#device-status').filter({ hasText: 'Ready' }).waitFor({ timeout: 120_000 });
    // Two loops of the camera: four cuts, and the moving face.
    const { overlays, errors } = await recordOverlays('/device.html', 'dev-view', 40, ready);
    checkOverlays(overlays, 40);
    assert.deepEqual(errors, []);
  });

  it("the Identify page's camera: the same rule", async () => {
    const { overlays, errors } = await recordOverlays('/identify.html', 'view', 40, async () => undefined);
    checkOverlays(overlays, 40);
    assert.deepEqual(errors, []);
  });
});
