import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { decodeImage } from '../../src/image/index.js';
import { FaceRecognizer } from '../../src/pipeline/index.js';
import { anonymizePhoto } from '../../src/privacy/index.js';
import { sharedPath } from '../helpers/shared.js';
import { lfwPath, startDeviceHarness, type DeviceHarness } from './device-harness.js';

let h: DeviceHarness;
let node: FaceRecognizer;
before(async () => {
  h = await startDeviceHarness();
  node = await FaceRecognizer.create({ locations: { home: '', dirs: [sharedPath('models')] } });
});
after(async () => {
  await node?.dispose();
  await h?.close();
});

describe('the Anonymise page covers a photo on the device (Chromium, the browser bundle)', () => {
  it('changes the pixels inside the padded face box only, as Node.js places it, and uploads nothing', async () => {
    const { page, errors } = await h.open('/anonymize.html');
    const posts: string[] = [];
    page.on('request', (r) => {
      if (r.method() !== 'GET') posts.push(`${r.method()} ${r.url()}`);
    });
    await page.waitForFunction(() => (document.getElementById('anon-status')?.textContent ?? '').startsWith('Ready'), undefined, { timeout: 90_000 });
    const photo = lfwPath('Colin_Powell', 40);
    await page.setInputFiles('#anon-file', photo);
    await page.selectOption('#anon-style', 'pixelate');
    await page.fill('#anon-pad', '0.3');
    await page.click('#anon-run');
    await page.waitForFunction(() => document.getElementById('anon-result')?.dataset.covered !== undefined, undefined, { timeout: 90_000 });
    const result = await page.evaluate(async () => {
      const w = window as unknown as { fetch: typeof fetch };
      const af = (await import('/arcface/arcface.js' as string)) as {
        decodeImage(b: Uint8Array): Promise<{ width: number; height: number; data: Uint8Array }>;
      };
      const bytes = new Uint8Array(await (await w.fetch('/lfw/Colin_Powell/Colin_Powell_0040.jpg')).arrayBuffer());
      const input = await af.decodeImage(bytes);
      const canvas = document.getElementById('anon-canvas') as HTMLCanvasElement;
      const covered = JSON.parse(canvas.dataset.covered ?? '[]') as number[][];
      const px = (canvas.getContext('2d') as CanvasRenderingContext2D).getImageData(0, 0, canvas.width, canvas.height).data;
      let inside = 0;
      let insideChanged = 0;
      let outsideChanged = 0;
      for (let y = 0; y < input.height; y++) {
        for (let x = 0; x < input.width; x++) {
          const i = y * input.width + x;
          const diff = px[i * 4] !== input.data[i * 3] || px[i * 4 + 1] !== input.data[i * 3 + 1] || px[i * 4 + 2] !== input.data[i * 3 + 2];
          const isInside = covered.some((r) => x >= (r[0] as number) && x < (r[2] as number) && y >= (r[1] as number) && y < (r[3] as number));
          if (isInside) {
            inside++;
            if (diff) insideChanged++;
          } else if (diff) outsideChanged++;
        }
      }
      return {
        covered,
        inside,
        insideChanged,
        outsideChanged,
        size: [canvas.width, canvas.height],
        text: document.getElementById('anon-result')?.textContent ?? '',
      };
    });
    assert.deepEqual(errors, []);
    assert.deepEqual(posts, [], 'nothing is sent anywhere');
    assert.deepEqual(result.size, [250, 250]);
    assert.equal(result.outsideChanged, 0, 'no pixel outside the covered boxes changed');
    assert.ok(result.insideChanged > 0.7 * result.inside, `${result.insideChanged} of ${result.inside} pixels inside changed`);
    // The same photo through Node.js: the same faces, boxes within 2 px.
    const want = await anonymizePhoto(await decodeImage(await readFile(photo)), { recognizer: node, style: 'pixelate', pad: 0.3 });
    assert.equal(result.covered.length, want.covered.length, result.text);
    for (const [i, r] of want.covered.entries())
      r.forEach((v, j) => assert.ok(Math.abs(v - (result.covered[i]?.[j] as number)) <= 2, `box ${i}[${j}]: ${result.covered[i]} vs ${r}`));
    assert.match(result.text, /1 face covered, 0 kept visible/);
  });
});
