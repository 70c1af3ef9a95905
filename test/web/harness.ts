import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { KeyStore } from '../../apps/server/services/key-store.js';
import { serve, type RunningServer } from '../../apps/server/server.js';
import { testLocations } from '../server/helpers.js';

/** Debian's chromium, as CI installs it. */
export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** A real server on a loopback port with a fresh gallery and a write key, and a headless Chromium. */
export interface WebHarness {
  readonly server: RunningServer;
  readonly browser: BrowserContext;
  readonly key: string;
  /** A scratch folder of this harness. */
  readonly dir: string;
  /** Opens a page, failing on any script error while it loads. */
  open(path: string): Promise<Page>;
  close(): Promise<void>;
}

/** Starts the server and the browser the web tests drive. */
export async function startWebHarness(): Promise<WebHarness> {
  const dir = mkdtempSync(join(tmpdir(), 'arcface-web-'));
  const ks = KeyStore.open(join(dir, 'keys.db'));
  const key = ks.create({ scope: 'write', name: 'browser' }).key;
  ks.close();
  const options = { host: '127.0.0.1', port: 0, locations: testLocations(), galleryLocation: join(dir, 'g.db'), keysPath: join(dir, 'keys.db') };
  const server = await serve({ ...options, handleSignals: false, log: () => undefined });
  const browser = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'arcface-chromium-')), {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1100, height: 900 },
  });
  return {
    server,
    browser,
    key,
    dir,
    async open(path: string): Promise<Page> {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`${server.url}${path}`);
      assert.deepEqual(errors, []);
      return page;
    },
    async close(): Promise<void> {
      await browser.close();
      await server.close();
    },
  };
}
