import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { KeyStore } from '../../apps/server/services/key-store.js';
import { serve, type RunningServer } from '../../apps/server/server.js';
import { sharedPath, testOutputDir } from '../helpers/shared.js';
import { testLocations } from '../server/helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const shots = testOutputDir('web');
const photos = (person: string, n: number): string[] => {
  const dir = sharedPath('data', 'faces', 'lfw-deepfunneled', person);
  return readdirSync(dir)
    .sort()
    .slice(0, n)
    .map((f) => join(dir, f));
};

describe('People page in Chromium', () => {
  let server: RunningServer;
  let browser: BrowserContext;
  let key: string;
  before(async () => {
    mkdirSync(shots, { recursive: true });
    const dir = mkdtempSync(join(tmpdir(), 'arcface-web-people-'));
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
    browser = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'arcface-chromium-')), {
      executablePath: CHROMIUM,
      headless: true,
      args: ARGS,
      viewport: { width: 1100, height: 900 },
    });
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  it('groups uploaded photos into cards of faces; names, splits, merges by dragging, hides', async () => {
    const page: Page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${server.url}/people.html`);
    await page.getByLabel('API key').fill(key);
    await page.getByRole('button', { name: 'Save key' }).click();
    const unlabelled = await page.evaluate(() =>
      [...document.querySelectorAll('input')].filter((i) => i.labels === null || i.labels.length === 0).map((i) => i.id),
    );
    assert.deepEqual(unlabelled, []);

    await page.locator('#photo-files').setInputFiles([...photos('Andre_Agassi', 3), ...photos('Colin_Powell', 3)]);
    await page.getByRole('button', { name: 'Add photos' }).click();
    await page.locator('#upload-status', { hasText: 'Added' }).waitFor({ timeout: 120_000 });
    const cards = page.locator('#people > li');
    await page.waitForFunction(() => document.querySelectorAll('#people > li').length >= 2);
    const counts = await cards.evaluateAll((els) => els.map((e) => e.querySelectorAll('.faces button').length));
    assert.ok(counts.filter((c) => c >= 2).length >= 2 && counts.reduce((a, b) => a + b, 0) >= 5, `faces per card: ${counts.join(', ')}`);
    const thumbsLoaded = await page.locator('#people img').evaluateAll((imgs) => imgs.every((i) => (i as HTMLImageElement).src.startsWith('blob:')));
    assert.ok(thumbsLoaded, 'every face shows its thumbnail');
    await page.screenshot({ path: join(shots, 'people.png'), fullPage: true });

    const first = cards.first();
    const firstId = await first.getAttribute('data-person');
    await first.getByLabel('Name').fill('Andre or Colin');
    await first.getByRole('button', { name: /^Name / }).click();
    await page.locator(`#people > li[data-person="${firstId}"] h3`, { hasText: 'Andre or Colin' }).waitFor();

    const before = await cards.count();
    await page.locator(`#people > li[data-person="${firstId}"] .faces button`).first().click();
    assert.equal(await page.locator(`#people > li[data-person="${firstId}"] .faces button[aria-pressed="true"]`).count(), 1);
    await page.getByRole('button', { name: /^Split 1 selected face/ }).click();
    await page.waitForFunction((n) => document.querySelectorAll('#people > li').length === n + 1, before);
    const single = page
      .locator('#people > li')
      .filter({ has: page.locator('.faces button') })
      .last();
    const singleId = await single.getAttribute('data-person');
    assert.notEqual(singleId, firstId);
    await page.locator(`#people > li[data-person="${singleId}"] h3`).dragTo(page.locator(`#people > li[data-person="${firstId}"]`));
    await page.waitForFunction((n) => document.querySelectorAll('#people > li').length === n, before);

    // "Not this person": the selected face leaves the card; uploading the same photos again adds nothing.
    const held = await page.locator(`#people > li[data-person="${firstId}"] .faces button`).count();
    await page.locator(`#people > li[data-person="${firstId}"] .faces button`).last().click();
    await page.getByRole('button', { name: 'Not this person' }).click();
    await page.waitForFunction(
      ([id, n]) => document.querySelectorAll(`#people > li[data-person="${id}"] .faces button`).length === Number(n) - 1,
      [firstId, held],
    );
    await page.locator('#photo-files').setInputFiles([...photos('Andre_Agassi', 3), ...photos('Colin_Powell', 3)]);
    await page.getByRole('button', { name: 'Add photos' }).click();
    await page.locator('#upload-status', { hasText: /already known|Added [1-9]/ }).waitFor({ timeout: 120_000 });
    assert.match((await page.locator('#upload-status').textContent()) ?? '', /^Added 0 faces from 0 photos; [2-6] photos were already known/);

    await page
      .locator(`#people > li[data-person="${firstId}"]`)
      .getByRole('button', { name: /^Hide / })
      .click();
    await page.waitForFunction((id) => document.querySelector(`#people > li[data-person="${id}"]`) === null, firstId);
    await page.getByLabel('Show hidden people').check();
    await page.locator(`#people > li[data-person="${firstId}"].hidden-person`).waitFor();
    assert.deepEqual(errors, []);
    await page.close();
  });
});
