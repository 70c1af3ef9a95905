import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import sharp from 'sharp';
import { lfwPhoto } from '../helpers/photos.js';
import { startWebHarness, type WebHarness } from './harness.js';

describe('web page: gallery upkeep and face selection (Chromium, real server)', () => {
  let web: WebHarness;
  let sky: string;
  before(async () => {
    web = await startWebHarness();
    sky = join(web.dir, 'sky.png');
    await writeFile(
      sky,
      await sharp({ create: { width: 200, height: 150, channels: 3, background: '#6699cc' } })
        .png()
        .toBuffer(),
    );
  });
  after(async () => {
    await web?.close();
  });

  /** A page with the API key stored. */
  async function open(path: string): Promise<Page> {
    const page = await web.open(path);
    await page.evaluate((k) => localStorage.setItem('arcface.apiKey', k), web.key);
    await page.reload();
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
    const subjects = (await (await fetch(`${web.server.url}/v1/subjects`, { headers: { 'x-api-key': web.key } })).json()) as { subjects: { id: string }[] };
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
