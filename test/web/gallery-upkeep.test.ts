import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import sharp from 'sharp';
import { KeyStore } from '../../apps/server/key-store.js';
import { serve, type RunningServer } from '../../apps/server/server.js';
import { lfwPhoto } from '../helpers/photos.js';
import { testLocations } from '../server/helpers.js';

/** Debian's chromium, as CI installs it. */
const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

describe('web page: gallery upkeep and face selection (Chromium, real server)', () => {
  let server: RunningServer;
  let browser: BrowserContext;
  let key: string;
  let sky: string;
  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'arcface-web-upkeep-'));
    const ks = KeyStore.open(join(dir, 'keys.db'));
    key = ks.create({ scope: 'write', name: 'browser' }).key;
    ks.close();
    sky = join(dir, 'sky.png');
    await writeFile(sky, await sharp({ create: { width: 200, height: 150, channels: 3, background: '#6699cc' } }).png().toBuffer());
    const options = { host: '127.0.0.1', port: 0, locations: testLocations(), galleryLocation: join(dir, 'g.db'), keysPath: join(dir, 'keys.db') };
    server = await serve({ ...options, handleSignals: false, log: () => undefined });
    browser = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'arcface-chromium-upkeep-')), {
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

  async function open(path: string): Promise<Page> {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${server.url}${path}`);
    await page.evaluate((k) => localStorage.setItem('arcface.apiKey', k), key);
    await page.reload();
    assert.deepEqual(errors, []);
    return page;
  }

  it('enrolment skips a photo without a face, names it and enrols the others; with no face at all, no empty person is left', async () => {
    const page = await open('/gallery.html');
    await page.getByLabel('Name').fill('Colin Powell');
    await page.getByLabel(/Photos/).setInputFiles([lfwPhoto('Colin_Powell', 40), sky, lfwPhoto('Colin_Powell', 49)]);
    await page.getByRole('button', { name: 'Enrol' }).click();
    await page.locator('#enrol-status', { hasText: 'Enrolled 2 faces for Colin Powell. Skipped sky.png (NO_FACE).' }).waitFor();
    await page.locator('li[data-subject="colin-powell"]').waitFor();
    assert.equal(await page.locator('li[data-subject="colin-powell"] .thumbs img').count(), 2);

    await page.getByLabel('Name').fill('Nobody');
    await page.getByLabel(/Photos/).setInputFiles([sky]);
    await page.getByRole('button', { name: 'Enrol' }).click();
    await page.locator('#enrol-status', { hasText: 'Enrolled 0 faces for Nobody. Skipped sky.png (NO_FACE).' }).waitFor();
    const subjects = (await (await fetch(`${server.url}/v1/subjects`, { headers: { 'x-api-key': key } })).json()) as { subjects: { id: string }[] };
    assert.deepEqual(
      subjects.subjects.map((s) => s.id),
      ['colin-powell'],
    );
    await page.close();
  });

  it('removes one photo of a person, keeping the person', async () => {
    const page = await open('/gallery.html');
    const item = page.locator('li[data-subject="colin-powell"]');
    await item.locator('.thumbs img').nth(1).waitFor();
    page.once('dialog', (d) => void d.accept());
    await item.locator('.remove-face').first().click();
    await page.locator('#list-status', { hasText: 'Photo removed from Colin Powell.' }).waitFor();
    await page.waitForFunction(() => document.querySelectorAll('li[data-subject="colin-powell"] .thumbs img').length === 1);
    assert.match((await item.locator('h4').textContent()) ?? '', /1 face\)/);
    await page.close();
  });

  it('the compare page sends the chosen face-selection rule (largest by default) with the request', async () => {
    const page = await open('/');
    assert.equal(await page.getByLabel('Face to compare in a photo with several').inputValue(), 'largest');
    const sent: string[] = [];
    page.on('request', (r) => {
      if (r.url().includes('/v1/verify')) sent.push(new URL(r.url()).searchParams.get('select') ?? '');
    });
    await page.locator('#file1').setInputFiles(lfwPhoto('Colin_Powell', 40));
    await page.locator('#file2').setInputFiles(lfwPhoto('Colin_Powell', 49));
    await page.getByRole('button', { name: 'Compare' }).click();
    await page.locator('#verdict').waitFor();
    await page.getByLabel('Face to compare in a photo with several').selectOption('central');
    await page.getByRole('button', { name: 'Compare' }).click();
    await page.waitForFunction(() => !(document.getElementById('compare') as HTMLButtonElement).disabled);
    await page.locator('#verdict').waitFor();
    assert.deepEqual(sent, ['largest', 'central']);
    await page.close();
  });
});
