import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { KeyStore } from '../../apps/server/services/key-store.js';
import { serve, type RunningServer } from '../../apps/server/server.js';
import { openGallery } from '../../src/gallery/index.js';
import { enrollImages } from '../../src/ingest/index.js';
import { FaceRecognizer } from '../../src/pipeline/index.js';
import { sharedPath, testOutputDir } from '../helpers/shared.js';
import { testLocations } from '../server/helpers.js';
import { CHROMIUM, CHROMIUM_ARGS } from './harness.js';

const shots = testOutputDir('web');
const photos = (person: string): string[] => {
  const dir = sharedPath('data', 'faces', 'lfw-deepfunneled', person);
  return readdirSync(dir)
    .sort()
    .map((f) => join(dir, f));
};

describe('Recent faces page in Chromium', () => {
  let server: RunningServer;
  let browser: BrowserContext;
  let key: string;
  before(async () => {
    mkdirSync(shots, { recursive: true });
    const dir = mkdtempSync(join(tmpdir(), 'arcface-web-recent-'));
    const fr = await FaceRecognizer.create({ locations: testLocations() });
    const g = await openGallery(join(dir, 'g.db'), { fingerprint: fr.fingerprint, embeddingSize: fr.embeddingSize, threshold: fr.threshold ?? 0.25 });
    await enrollImages(g, fr, 'colin', [photos('Colin_Powell')[0] as string], { name: 'Colin Powell' });
    await g.close();
    await fr.dispose();
    const ks = KeyStore.open(join(dir, 'keys.db'));
    key = ks.create({ scope: 'write', name: 'browser' }).key;
    ks.close();
    server = await serve({
      host: '127.0.0.1',
      port: 0,
      locations: testLocations(),
      galleryLocation: join(dir, 'g.db'),
      keysPath: join(dir, 'keys.db'),
      handleSignals: false,
      log: () => undefined,
    });
    // Faces the Identify page would send (photos with one face each): one of Colin Powell (named), two of a stranger (one visitor).
    for (const file of [photos('Colin_Powell')[2], ...photos('Andre_Agassi').slice(0, 2)] as string[]) {
      const form = new FormData();
      form.append('image', new Blob([readFileSync(file)], { type: 'image/jpeg' }), 'face.jpg');
      const res = await fetch(`${server.url}/v1/identify?record=true&source=identify-page`, { method: 'POST', headers: { 'x-api-key': key }, body: form });
      const body = (await res.json()) as { faces: { sightingId?: number }[] };
      assert.equal(res.status, 200);
      assert.ok(
        body.faces.every((f) => typeof f.sightingId === 'number'),
        JSON.stringify(body),
      );
    }
    browser = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'arcface-chromium-')), {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1100, height: 900 },
    });
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  it('lists sightings with thumbnails and filters; "This is …" names a visitor, "Not …" undoes a match', async () => {
    const page: Page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${server.url}/recent.html`);
    await page.getByLabel('API key').fill(key);
    await page.getByRole('button', { name: 'Save key' }).click();
    await page.getByRole('button', { name: 'Refresh' }).click();
    await page.waitForFunction(() => document.querySelectorAll('#sightings > li').length >= 3);
    const unlabelled = await page.evaluate(() =>
      [...document.querySelectorAll('input, select')].filter((i) => (i as HTMLInputElement).labels?.length === 0).map((i) => i.id),
    );
    assert.deepEqual(unlabelled, []);
    assert.ok(
      await page.locator('#sightings img').evaluateAll((imgs) => imgs.every((i) => (i as HTMLImageElement).src.startsWith('blob:'))),
      'every sighting shows its face',
    );
    const titles = await page.locator('#sightings h3').allTextContents();
    assert.ok(
      titles.some((t) => t.startsWith('colin ')),
      titles.join(' | '),
    );
    const visitors = new Set(titles.filter((t) => t.startsWith('visitor-')).map((t) => t.split(' ')[0]));
    assert.equal(visitors.size, 1, titles.join(' | '));
    await page.screenshot({ path: join(shots, 'recent-faces.png'), fullPage: true });

    await page.getByLabel('Unknown only').check();
    await page.getByRole('button', { name: 'Refresh' }).click();
    await page.waitForFunction(() => [...document.querySelectorAll('#sightings h3')].every((h) => h.textContent?.startsWith('visitor-')));
    assert.equal(await page.locator('#sightings > li').count(), 2);

    const card = page.locator('#sightings > li').first();
    await card.getByLabel('Who is it?').fill('andre');
    await card.getByRole('button', { name: 'This is …' }).click();
    await page.locator('#status', { hasText: 'Teaching andre: done.' }).waitFor({ timeout: 60_000 });
    await page.getByLabel('Unknown only').uncheck();
    await page.getByRole('button', { name: 'Refresh' }).click();
    await page.waitForFunction(() => [...document.querySelectorAll('#sightings h3')].filter((h) => h.textContent?.startsWith('andre ')).length === 2);
    const taught = (await (await fetch(`${server.url}/v1/subjects/andre/faces`, { headers: { 'x-api-key': key } })).json()) as {
      faces: { hasThumbnail: boolean }[];
    };
    assert.ok(taught.faces.length === 2 && taught.faces.every((f) => f.hasThumbnail), JSON.stringify(taught));

    const colin = page.locator('#sightings > li').filter({ has: page.locator('h3', { hasText: /^colin / }) });
    await colin.getByRole('button', { name: 'Not colin' }).click();
    await page.locator('#status', { hasText: 'Templates that matched' }).waitFor({ timeout: 60_000 });
    await page.waitForFunction(() => ![...document.querySelectorAll('#sightings h3')].some((h) => h.textContent?.startsWith('colin ')));
    assert.deepEqual(errors, []);
  });
});
