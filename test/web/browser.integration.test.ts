import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { writeFileSync } from 'node:fs';
import sharp from 'sharp';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import type { RunningServer } from '../../apps/server/server.js';
import { sharedPath, testOutputDir } from '../helpers/shared.js';
import { CHROMIUM, CHROMIUM_ARGS, startWebHarness, type WebHarness } from './harness.js';

const shots = testOutputDir('web');
const photo = (person: string, n: number): string => sharedPath('data', 'faces', 'lfw-deepfunneled', person, `${person}_${String(n).padStart(4, '0')}.jpg`);

describe('web page in Chromium', () => {
  let web: WebHarness;
  let server: RunningServer;
  let browser: BrowserContext;
  let key: string;
  before(async () => {
    mkdirSync(shots, { recursive: true });
    web = await startWebHarness();
    ({ server, browser, key } = web);
  });
  after(async () => {
    await web?.close();
  });

  const open = (path: string): Promise<Page> => web.open(path);

  it('every form control has a label and the key form stores the key', async () => {
    const page = await open('/');
    const unlabelled = await page.evaluate(() =>
      [...document.querySelectorAll('input')].filter((i) => i.labels === null || i.labels.length === 0).map((i) => i.id),
    );
    assert.deepEqual(unlabelled, []);
    await page.getByLabel('API key').fill(key);
    await page.getByRole('button', { name: 'Save key' }).press('Enter');
    assert.equal(await page.evaluate(() => localStorage.getItem('arcface.apiKey')), key);
    await page.close();
  });

  it('compares two photos: boxes drawn, similarity and decision shown', async () => {
    const page = await open('/');
    await page.locator('#file1').setInputFiles(photo('Colin_Powell', 40));
    await page.locator('#file2').setInputFiles(photo('Colin_Powell', 49));
    await page.getByRole('button', { name: 'Compare' }).click();
    await page.locator('#verdict').waitFor();
    assert.equal(await page.locator('#verdict').textContent(), 'Same person');
    assert.match((await page.locator('#result').textContent()) ?? '', /similarity 0\.\d{3} \(threshold/);
    const size = await page.evaluate(() => {
      const c = document.getElementById('canvas1') as HTMLCanvasElement;
      return [c.width, c.height];
    });
    assert.deepEqual(size, [250, 250]);
    await page.screenshot({ path: join(shots, 'compare-same.png'), fullPage: true });

    await page.locator('#file2').setInputFiles(photo('Tony_Blair', 18));
    await page.getByRole('button', { name: 'Compare' }).click();
    await page.locator('#verdict', { hasText: 'Different people' }).waitFor();
    await page.screenshot({ path: join(shots, 'compare-different.png'), fullPage: true });
    await page.close();
  });

  it('enrols a person from photos and shows thumbnails; identifies them from a file', async () => {
    const page = await open('/gallery.html');
    await page.getByLabel('Name').fill('Colin Powell');
    await page.getByLabel(/Photos/).setInputFiles([photo('Colin_Powell', 40), photo('Colin_Powell', 49)]);
    await page.getByRole('button', { name: 'Enrol' }).click();
    await page.locator('#enrol-status', { hasText: 'Enrolled 2 faces for Colin Powell' }).waitFor();
    const item = page.locator('li[data-subject="colin-powell"]');
    await item.waitFor();
    await page.waitForFunction(
      () =>
        [...document.querySelectorAll('.thumbs img')].filter((i) => (i as HTMLImageElement).complete && (i as HTMLImageElement).naturalWidth === 112).length ===
        2,
    );
    await page.screenshot({ path: join(shots, 'gallery.png'), fullPage: true });

    await page.getByLabel('Name').fill('Colin Powell');
    await page.getByLabel(/Photos/).setInputFiles([photo('Tony_Blair', 18)]);
    await page.getByRole('button', { name: 'Enrol' }).click();
    await page.locator('#enrol-status', { hasText: '1 audit finding(s)' }).waitFor();
    await page.locator('li[data-subject="colin-powell"] .thumbs img.flagged').waitFor();
    assert.equal(await page.locator('li[data-subject="colin-powell"] .thumbs img').count(), 3);
    assert.match((await page.getByRole('list', { name: 'Audit findings for Colin Powell' }).textContent()) ?? '', /different person or an unusable photo/);
    await page.screenshot({ path: join(shots, 'gallery-audit.png'), fullPage: true });
    await page.close();

    const id = await open('/identify.html');
    await id.getByLabel('or identify a photo:').setInputFiles(photo('Colin_Powell', 71));
    await id.locator('#result', { hasText: 'Colin Powell' }).waitFor();
    await id.screenshot({ path: join(shots, 'identify-known.png'), fullPage: true });
    await id.getByLabel('or identify a photo:').setInputFiles(photo('Tony_Blair', 32));
    await id.locator('#result', { hasText: 'unknown person' }).waitFor();
    await id.screenshot({ path: join(shots, 'identify-unknown.png'), fullPage: true });
    await id.close();
  });

  it('deletes a person from the gallery page', async () => {
    const page = await open('/gallery.html');
    await page.locator('li[data-subject="colin-powell"]').waitFor();
    page.once('dialog', (d) => void d.accept());
    await page.getByRole('button', { name: 'Delete Colin Powell' }).click();
    await page.locator('#list-status', { hasText: 'Colin Powell deleted.' }).waitFor();
    assert.equal(await page.locator('li[data-subject="colin-powell"]').count(), 0);
    await page.close();
  });

  it('labels faces live from the camera (a fake camera playing a photo)', async () => {
    const enrol = new FormData();
    for (const n of [40, 49]) enrol.append('image', new Blob([new Uint8Array(await sharp(photo('Colin_Powell', n)).toBuffer())]), `${n}.jpg`);
    const r = await fetch(`${server.url}/v1/subjects/colin/faces?create=true`, { method: 'POST', headers: { 'x-api-key': key }, body: enrol });
    assert.equal(r.status, 201);
    const frame = await sharp(photo('Colin_Powell', 71)).resize(480, 480).extend({ left: 80, right: 80, background: '#808080' }).jpeg().toBuffer();
    const video = join(mkdtempSync(join(tmpdir(), 'arcface-cam-')), 'camera.mjpeg');
    writeFileSync(video, Buffer.concat(Array.from({ length: 30 }, () => frame)));
    const cam = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'arcface-chromium-cam-')), {
      executablePath: CHROMIUM,
      headless: true,
      args: [...CHROMIUM_ARGS, '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', `--use-file-for-fake-video-capture=${video}`],
      viewport: { width: 1100, height: 900 },
    });
    try {
      const page = await cam.newPage();
      await page.goto(`${server.url}/identify.html`);
      await page.evaluate((k) => localStorage.setItem('arcface.apiKey', k), key);
      await page.reload();
      await page.getByRole('button', { name: 'Start camera' }).click();
      const identifyPosts: string[] = [];
      page.on('request', (req) => {
        if (req.method() === 'POST' && req.url().includes('/v1/identify')) identifyPosts.push(req.url());
      });
      // A deadline, not a speed check: on a loaded 2-core machine the page's first detector run (onnxruntime-web
      // compiling its WASM) and the server's first identification have taken over 30 s.
      await page.locator('#result', { hasText: /^colin \(similarity/ }).waitFor({ timeout: 90_000 });
      // Faces are followed in the page: a face is sent when it appears and then re-checked on a timer
      // (a known face every 10 s, an unknown one every 2 s), never once per frame. A loaded machine shows
      // fewer frames per second and may answer a first crop "unknown", so the bound is per frame.
      await page.waitForFunction(() => Number(document.getElementById('live-stats')?.dataset.frames ?? 0) >= 20, undefined, { timeout: 30_000 });
      const frames = Number(await page.locator('#live-stats').getAttribute('data-frames'));
      const sent = Number(await page.locator('#live-stats').getAttribute('data-sent'));
      assert.ok(sent >= 1 && sent * 10 <= Math.max(frames, 20), `${sent} faces sent in ${frames} frames`);
      assert.equal(identifyPosts.length, sent);
      await page.screenshot({ path: join(shots, 'identify-camera.png'), fullPage: true });
      await page.getByRole('button', { name: 'Stop camera' }).click();
      assert.equal(await page.getByRole('button', { name: 'Start camera' }).isEnabled(), true);
    } finally {
      await cam.close();
    }
  });

  it('shows the API docs (Swagger UI from local assets, no outside requests)', async () => {
    const page = await browser.newPage();
    const outside: string[] = [];
    page.on('request', (r) => {
      if (!r.url().startsWith(server.url) && !r.url().startsWith('data:') && !r.url().startsWith('blob:')) outside.push(r.url());
    });
    await page.goto(`${server.url}/docs/`);
    await page.locator('.swagger-ui .info .title', { hasText: 'ArcFace.ts API' }).waitFor();
    await page.locator('.opblock-summary-path', { hasText: '/v1/verify' }).first().waitFor();
    await page.screenshot({ path: join(shots, 'docs.png') });
    assert.deepEqual(outside, []);
    await page.close();
  });

  it('tells the user to paste a key when the key is wrong', async () => {
    const page = await open('/gallery.html');
    await page.evaluate(() => localStorage.setItem('arcface.apiKey', 'afk_wrong'));
    await page.reload();
    await page.locator('#list-status', { hasText: 'Paste an API key' }).waitFor();
    await page.screenshot({ path: join(shots, 'gallery-bad-key.png'), fullPage: true });
    await page.close();
  });
});
