import type { Browser } from 'playwright-core';

/** Frames timed per face count, after a warm-up of {@link WARM_UP} frames. */
const FRAMES = 30;
const WARM_UP = 20;

/** LFW photos placed on the camera frames (one face per photo). */
const PHOTOS = [
  'Colin_Powell/Colin_Powell_0040.jpg',
  'Tony_Blair/Tony_Blair_0018.jpg',
  'George_W_Bush/George_W_Bush_0007.jpg',
  'Gerhard_Schroeder/Gerhard_Schroeder_0005.jpg',
];

/** Frames per second of the on-device live camera loop, per number of faces in view. */
export interface CameraRate {
  readonly faces: number;
  readonly framesPerSecond: number;
  /** Faces embedded over the timed frames (the stream embeds a track when it is new or got better). */
  readonly embedded: number;
}

/**
 * The live camera loop of the "On this device" page (`apps/web/js/device.js`) as fast as it can go:
 * each 640×480 frame is drawn on a canvas, read back with `imageSourceToRgb` and handed to
 * `FaceStream.process` (detect every frame, track, embed new or better faces, identify them in an
 * IndexedDB gallery). The camera is a still canvas with 1 or 4 LFW faces, so the figure is the
 * pipeline's rate, not the camera's; the page itself analyses at most 5 frames/s.
 *
 * @example
 * const rates = await liveCameraRates(browser, 'http://127.0.0.1:8080')
 */
export async function liveCameraRates(browser: Browser, url: string): Promise<CameraRate[]> {
  const context = await browser.newContext();
  await context.addInitScript('globalThis.__name = (f) => f;');
  const page = await context.newPage();
  await page.goto(`${url}/`);
  try {
    return await page.evaluate(
      async ([photos, frames, warmUp]) => {
        const bundle = '/arcface/arcface.js';
        const af = await import(bundle);
        const fr = await af.FaceRecognizer.create({ modelBaseUrl: '/models' });
        const store = await af.IndexedDbGalleryStore.open(`bench-${Date.now()}`, { fingerprint: fr.fingerprint, embeddingSize: fr.embeddingSize });
        const gallery = af.Gallery.fromStore(store, { fingerprint: fr.fingerprint, embeddingSize: fr.embeddingSize, threshold: fr.threshold ?? 0.3 });
        const bitmaps = await Promise.all(photos.map(async (p) => createImageBitmap(await (await fetch(`/lfw/${p}`)).blob())));
        const out: { faces: number; framesPerSecond: number; embedded: number }[] = [];
        for (const faces of [1, 4]) {
          const canvas = new OffscreenCanvas(640, 480);
          const ctx = canvas.getContext('2d') as OffscreenCanvasRenderingContext2D;
          ctx.fillStyle = '#777';
          ctx.fillRect(0, 0, 640, 480);
          if (faces === 1) ctx.drawImage(bitmaps[0] as ImageBitmap, 200, 120, 240, 240);
          else bitmaps.forEach((b, i) => ctx.drawImage(b, 80 + (i % 2) * 240, (i >> 1) * 240, 240, 240));
          const stream = new af.FaceStream({ recognizer: fr, gallery });
          let embedded = 0;
          let t0 = 0;
          for (let i = 0; i < warmUp + frames; i++) {
            if (i === warmUp) {
              t0 = performance.now();
              embedded = 0;
            }
            const image = af.imageSourceToRgb(canvas, 640, 480);
            const r = await stream.process({ index: i, pts: i / 30, image });
            embedded += r.embedded as number;
          }
          out.push({ faces, framesPerSecond: frames / ((performance.now() - t0) / 1000), embedded });
        }
        await fr.dispose();
        return out;
      },
      [PHOTOS, FRAMES, WARM_UP] as const,
    );
  } finally {
    await context.close();
  }
}
