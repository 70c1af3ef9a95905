import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { sha256Digest } from '../../src/core/digest.js';
import { cosine } from '../../src/core/index.js';
import { decodeImage } from '../../src/image/index.js';
import { FaceRecognizer } from '../../src/pipeline/index.js';
import { openGallery } from '../../src/gallery/index.js';
import { findKnownModel } from '../../src/models/index.js';
import { sharedPath, testOutputDir } from '../helpers/shared.js';
import { lfwPath, startDeviceHarness, type DeviceHarness } from './device-harness.js';

interface GoldenCase {
  crop: string;
  embedding: number[];
}

/** Loads the bundle and a recogniser in the page, as `window.fr` / `window.af`. */
async function loadInPage(page: Page): Promise<void> {
  await page.evaluate(async () => {
    const bundle = '/arcface/arcface.js';
    const af = (await import(bundle)) as { FaceRecognizer: { create(o: { modelBaseUrl: string }): Promise<unknown> } };
    const w = window as unknown as { af: unknown; fr: unknown };
    w.af = af;
    w.fr = await af.FaceRecognizer.create({ modelBaseUrl: '/models' });
  });
}

/** The parts of the bundle the page-side code below calls (the page has no TypeScript types). */
interface BrowserRecognizer {
  recognize(b: Uint8Array, o?: { select?: string }): Promise<{ faces: { embedding: Float32Array; score: number }[] }>;
}
interface BrowserGallery {
  importBytes(b: Uint8Array): Promise<unknown>;
  exportBytes(): Promise<{ bytes: Uint8Array }>;
  identify(e: Float32Array): Promise<{ decision: string; candidates: { id: string }[] }>;
  enroll(id: string, t: unknown[], o: unknown): Promise<unknown>;
  close(): Promise<void>;
}
interface BrowserApi {
  IndexedDbGalleryStore: { open(name: string, o: unknown): Promise<unknown> };
  Gallery: { fromStore(s: unknown, o: unknown): BrowserGallery };
}

// One server and one Chromium for every test of this file.
let h: DeviceHarness;
let page: Page;
let node: FaceRecognizer;
before(async () => {
  h = await startDeviceHarness();
  ({ page } = await h.open('/'));
  await loadInPage(page);
  node = await FaceRecognizer.create({ locations: { home: '', dirs: [sharedPath('models')] } });
});
after(async () => {
  await node?.dispose();
  await h?.close();
});

describe('on-device recognition in Chromium (same pipeline as Node.js)', () => {
  it('embeds the 24 golden crops with cosine ≥ 0.9999 to Node.js and to the reference', async () => {
    const golden = JSON.parse(await readFile(sharedPath('golden', 'embeddings-w600k_mbf_int8.json'), 'utf8')) as { cases: GoldenCase[] };
    assert.equal(golden.cases.length, 24);
    const pngs = await Promise.all(golden.cases.map(async (c) => (await readFile(sharedPath(c.crop))).toString('base64')));
    const browser = await page.evaluate(async (list) => {
      const w = window as unknown as { af: { decodeImage(b: Uint8Array): Promise<unknown> }; fr: { embedAligned(c: unknown[]): Promise<Float32Array[]> } };
      const crops = await Promise.all(list.map((b64) => w.af.decodeImage(Uint8Array.from(atob(b64), (ch) => ch.charCodeAt(0)))));
      return (await w.fr.embedAligned(crops)).map((e) => Array.from(e));
    }, pngs);
    const nodeCrops = await Promise.all(golden.cases.map(async (c) => decodeImage(await readFile(sharedPath(c.crop)))));
    const nodeEmb = await node.embedAligned(nodeCrops);
    for (const [i, e] of browser.entries()) {
      const toNode = cosine(Float32Array.from(e), nodeEmb[i] as Float32Array);
      const toRef = cosine(Float32Array.from(e), (golden.cases[i] as GoldenCase).embedding);
      assert.ok(toNode >= 0.9999, `case ${i}: cosine to Node.js ${toNode}`);
      assert.ok(toRef >= 0.9999, `case ${i}: cosine to the reference ${toRef}`);
    }
  });

  it('detects the same faces as Node.js on 50 LFW photos (boxes within 1 px, landmarks within 0.5 px)', async () => {
    const people = readdirSync(sharedPath('data', 'faces', 'lfw-deepfunneled'), { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort();
    const step = Math.floor(people.length / 50);
    const files = Array.from({ length: 50 }, (_, i) => {
      const person = people[i * step] as string;
      return `${person}/${readdirSync(sharedPath('data', 'faces', 'lfw-deepfunneled', person)).sort()[0]}`;
    });
    const browser = await page.evaluate(async (list) => {
      const w = window as unknown as { fr: { detect(b: Uint8Array): Promise<{ faces: { box: number[]; landmarks: number[][] }[] }> } };
      const out = [];
      for (const f of list) {
        const bytes = new Uint8Array(await (await fetch(`/lfw/${f}`)).arrayBuffer());
        out.push((await w.fr.detect(bytes)).faces.map((x) => ({ box: [...x.box], landmarks: x.landmarks.map((p) => [...p]) })));
      }
      return out;
    }, files);
    let faces = 0;
    for (const [i, f] of files.entries()) {
      const want = (await node.detect(await readFile(sharedPath('data', 'faces', 'lfw-deepfunneled', f)))).faces;
      const got = browser[i] ?? [];
      assert.equal(got.length, want.length, `${f}: ${got.length} faces in the browser, ${want.length} in Node.js`);
      for (const [k, w] of want.entries()) {
        const g = got[k] as { box: number[]; landmarks: number[][] };
        w.box.forEach((v, j) => assert.ok(Math.abs(v - (g.box[j] as number)) <= 1, `${f} face ${k} box[${j}]: ${g.box[j]} vs ${v}`));
        w.landmarks.forEach((p, j) =>
          p.forEach((v, c) => assert.ok(Math.abs(v - (g.landmarks[j]?.[c] as number)) <= 0.5, `${f} face ${k} landmark ${j}: ${g.landmarks[j]} vs ${p}`)),
        );
        faces++;
      }
    }
    assert.ok(faces >= 50, `expected at least one face per photo, found ${faces}`);
  });

  it('falls back from WebGPU to WebAssembly with a clear message when the browser has no adapter (--disable-gpu)', async () => {
    const messages: string[] = [];
    const listen = (m: { text(): string }): void => void messages.push(m.text());
    page.on('console', listen);
    try {
      const faces = await page.evaluate(async () => {
        const w = window as unknown as { af: { FaceRecognizer: { create(o: unknown): Promise<BrowserRecognizer & { dispose(): Promise<void> }> } } };
        const fr = await w.af.FaceRecognizer.create({ modelBaseUrl: '/models', runtime: { executionProviders: ['webgpu'] } });
        const bytes = new Uint8Array(await (await fetch('/lfw/Colin_Powell/Colin_Powell_0040.jpg')).arrayBuffer());
        const n = (await fr.recognize(bytes)).faces.length;
        await fr.dispose();
        return n;
      });
      assert.equal(faces, 1);
      assert.ok(
        messages.some((m) => /^ArcFace\.ts: WebGPU was asked for but .*no WebGPU adapter.*; running on WebAssembly/.test(m)),
        messages.join('\n'),
      );
    } finally {
      page.off('console', listen);
    }
  });

  it('refuses a wrong, truncated or unreachable model with a clear error', async () => {
    const codes = await page.evaluate(async () => {
      const w = window as unknown as { af: { fetchModelBytes(u: string, o: unknown): Promise<unknown> } };
      const attempt = async (url: string, body?: Uint8Array): Promise<string> => {
        try {
          await w.af.fetchModelBytes(url, {
            cache: false,
            ...(body === undefined ? {} : { fetch: async () => new Response(new Blob([body.slice().buffer])) }),
          });
          return 'ok';
        } catch (e) {
          return `${(e as { code: string }).code}: ${(e as Error).message}`;
        }
      };
      const real = new Uint8Array(await (await fetch('/models/w600k_mbf_int8.onnx')).arrayBuffer());
      const wrong = real.slice();
      wrong[1000] = (wrong[1000] as number) ^ 0xff;
      return {
        truncated: await attempt('/models/w600k_mbf_int8.onnx', real.subarray(0, 100_000)),
        wrong: await attempt('/models/w600k_mbf_int8.onnx', wrong),
        missing: await attempt('/no-such-folder/w600k_mbf_int8.onnx'),
        unreachable: await attempt('http://127.0.0.1:9/w600k_mbf_int8.onnx'),
      };
    });
    assert.match(codes.truncated, /^MODEL_CHECKSUM_MISMATCH: .*truncated: 100000 bytes arrived/);
    assert.match(codes.wrong, /^MODEL_CHECKSUM_MISMATCH: .*SHA-256/);
    assert.match(codes.missing, /^MODEL_DOWNLOAD_FAILED: .*HTTP 404/);
    assert.match(codes.unreachable, /^MODEL_DOWNLOAD_FAILED: .*cannot be reached/);
  });
});

describe('gallery in IndexedDB: the same logic and file format as Node.js', () => {
  it('moves a gallery Node.js → browser → Node.js and browser → Node.js bit for bit', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'arcface-device-gallery-'));
    const nodeGallery = await openGallery(join(dir, 'a.db'), {
      fingerprint: node.fingerprint,
      embeddingSize: node.embeddingSize,
      threshold: node.threshold ?? 0.3,
    });
    try {
      for (const [id, n] of [
        ['Colin_Powell', [49, 71]],
        ['Tony_Blair', [32, 48]],
      ] as const) {
        const templates = [];
        for (const k of n) {
          const face = (await node.recognize(await readFile(lfwPath(id, k)), { select: 'largest' })).faces[0];
          assert.ok(face !== undefined);
          templates.push({ embedding: face.embedding, sourceFile: `${id}_${k}.jpg`, detScore: face.score, faceSize: 100 });
        }
        await nodeGallery.enroll(id, templates, { name: id.replace('_', ' '), metadata: { team: 'lfw' } });
      }
      const fromNode = (await nodeGallery.exportBytes()).bytes;
      const back = await page.evaluate(async (b64) => {
        const w = window as unknown as { af: BrowserApi; fr: { fingerprint: string; embeddingSize: number; threshold: number } };
        const store = await w.af.IndexedDbGalleryStore.open('round-trip', { fingerprint: w.fr.fingerprint, embeddingSize: w.fr.embeddingSize });
        const g = w.af.Gallery.fromStore(store, { fingerprint: w.fr.fingerprint, embeddingSize: w.fr.embeddingSize, threshold: w.fr.threshold });
        await g.importBytes(Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)));
        const again = (await g.exportBytes()).bytes;
        const bytes = new Uint8Array(await (await fetch('/lfw/Colin_Powell/Colin_Powell_0040.jpg')).arrayBuffer());
        const face = (await (w.fr as unknown as BrowserRecognizer).recognize(bytes, { select: 'largest' })).faces[0] as {
          embedding: Float32Array;
          score: number;
        };
        const who = await g.identify(face.embedding);
        await g.enroll('Colin_Powell', [{ embedding: face.embedding, sourceFile: 'Colin_Powell_0040.jpg', detScore: face.score, faceSize: 100 }], {
          append: true,
        });
        const grown = (await g.exportBytes()).bytes;
        // One photo enrolled again (append, then a repeated create) is held once, inside the IndexedDB write.
        type Enrolled = { templateIds: number[]; results: { known: boolean }[] };
        const photo = { embedding: face.embedding, sourceSha256: 'ab'.repeat(32) };
        const first = (await g.enroll('Ada', [photo], { append: true })) as Enrolled;
        const second = (await g.enroll('Ada', [photo], { append: true })) as Enrolled;
        const repeat = (await g.enroll('Ada', [photo], {})) as Enrolled;
        const held = [first.templateIds.length, second.templateIds.length, second.results[0]?.known, repeat.templateIds.length];
        await g.close();
        const b64of = (u: Uint8Array): string => btoa(Array.from(u, (c) => String.fromCharCode(c)).join(''));
        return { again: b64of(again), grown: b64of(grown), best: who.candidates[0]?.id, decision: who.decision, held };
      }, Buffer.from(fromNode).toString('base64'));
      assert.ok(Buffer.from(back.again, 'base64').equals(Buffer.from(fromNode)), 'Node.js → browser → export must give the same bytes');
      assert.equal(back.best, 'Colin_Powell');
      assert.equal(back.decision, 'known');
      assert.deepEqual(back.held, [1, 0, true, 0]);
      const grown = Buffer.from(back.grown, 'base64');
      const second = await openGallery(join(dir, 'b.db'), {
        fingerprint: node.fingerprint,
        embeddingSize: node.embeddingSize,
        threshold: node.threshold ?? 0.3,
      });
      try {
        await second.importBytes(grown);
        assert.ok(Buffer.from((await second.exportBytes()).bytes).equals(grown), 'browser → Node.js → export must give the same bytes');
        assert.equal((await second.show('Colin_Powell')).templates.length, 3);
      } finally {
        await second.close();
      }
    } finally {
      await nodeGallery.close();
    }
  });
});

describe('the "on this device" page', () => {
  it('compares, enrols and names live camera faces with no image uploaded', async () => {
    const { page: p, errors } = await h.open('/device.html');
    const requests: { method: string; path: string; body: boolean }[] = [];
    p.on('request', (r) => requests.push({ method: r.method(), path: new URL(r.url()).pathname, body: r.postDataBuffer() !== null }));
    await p.locator('#device-status').filter({ hasText: 'Ready' }).waitFor({ timeout: 120_000 });
    assert.match((await p.locator('#licence').textContent()) ?? '', /non-commercial/);
    await p.locator('#dev-file1').setInputFiles(lfwPath('Colin_Powell', 49));
    await p.locator('#dev-file2').setInputFiles(lfwPath('Colin_Powell', 71));
    await p.getByRole('button', { name: 'Compare on this device' }).click();
    await p.locator('#dev-verdict').waitFor();
    assert.equal(await p.locator('#dev-verdict').textContent(), 'Same person');
    for (const [name, person, photos] of [
      ['Colin Powell', 'Colin_Powell', [49, 71]],
      ['Tony Blair', 'Tony_Blair', [32, 48]],
    ] as const) {
      await p.getByLabel('Name', { exact: true }).fill(name);
      await p.locator('#enrol-files').setInputFiles(photos.map((n) => lfwPath(person, n)));
      await p.getByRole('button', { name: 'Enrol' }).click();
      await p
        .locator('#gallery-status')
        .filter({ hasText: `Enrolled ${name}` })
        .waitFor();
    }
    assert.equal(await p.locator('#people > li').count(), 2);
    // Tasks of 50 ms or more on the page's own thread (the browser's long tasks) while the camera runs.
    await p.evaluate(() => {
      const w = globalThis as unknown as { longTasks: number[] };
      w.longTasks = [];
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) w.longTasks.push(e.duration);
      }).observe({ type: 'longtask' });
    });
    await p.getByRole('button', { name: 'Start camera' }).click();
    for (const name of ['Colin Powell', 'Tony Blair']) await p.locator('#live-result').filter({ hasText: name }).waitFor({ timeout: 60_000 });
    // The tracker follows the two faces: after many frames only a few embeddings were made, not two a frame.
    await p.waitForFunction(() => Number(document.getElementById('live-stats')?.dataset.frames ?? 0) >= 15, undefined, { timeout: 60_000 });
    const frames = Number(await p.locator('#live-stats').getAttribute('data-frames'));
    const embedded = Number(await p.locator('#live-stats').getAttribute('data-embedded'));
    assert.ok(embedded >= 2 && embedded < frames, `${embedded} faces embedded in ${frames} frames`);
    // The models run in the page's worker: the page itself fetched no model and no WebAssembly (a worker's
    // fetches are in its own timeline), and its thread only copies and draws frames. With the models on the
    // page's thread, 17 warm frames gave 3 long tasks, 281 ms in all (a cold start: 20 frames, 1,113 ms).
    const own = await p.evaluate(() => performance.getEntriesByType('resource').map((e) => new URL(e.name).pathname));
    assert.deepEqual(
      own.filter((path) => /\.(onnx|wasm)$/.test(path)),
      [],
      `the page's own requests: ${own.join(', ')}`,
    );
    assert.ok(own.includes('/js/device-worker.js'), `the page started its worker: ${own.join(', ')}`);
    const long = await p.evaluate(() => (globalThis as unknown as { longTasks: number[] }).longTasks);
    const busy = long.reduce((a, b) => a + b, 0);
    assert.ok(busy < 25 * frames, `the page's thread was busy ${Math.round(busy)} ms in long tasks over ${frames} frames: ${long.map(Math.round).join(', ')}`);
    await p.screenshot({ path: join(testOutputDir('web'), 'on-device-live.png'), fullPage: true });
    await p.getByRole('button', { name: 'Stop camera' }).click();
    assert.deepEqual(errors, []);
    const unexpected = requests.filter(
      (r) => r.method !== 'GET' || r.body || !/^\/(device\.html|app\.css|js\/[\w-]+\.js|arcface\/[\w.-]+|models\/[\w.-]+\.onnx|favicon\.ico)$/.test(r.path),
    );
    assert.deepEqual(unexpected, [], 'only the page, the bundle and the models may be requested');
    assert.ok(
      requests.some((r) => r.path === '/models/w600k_mbf_int8.onnx' || r.path.startsWith('/arcface/')),
      'the watch saw the page load',
    );
    await p.context().close();
  });

  it('shows a clear error when no model can be reached', async () => {
    const { page: p, errors } = await h.open('/device.html?models=/no-models-here');
    await p.locator('#device-status.error').waitFor({ timeout: 60_000 });
    assert.match(
      (await p.locator('#device-status').textContent()) ?? '',
      /^Could not load the face models from \/no-models-here: MODEL_DOWNLOAD_FAILED: Expected the model .*HTTP 404/,
    );
    assert.deepEqual(errors, []);
    await p.context().close();
  });
});

describe('arcface serve: models by registry name only, the bundle, cross-origin isolation', () => {
  it('serves registry models by name or file name and nothing by path', async () => {
    const get = (path: string): Promise<Response> => fetch(`${h.server.url}${path}`);
    for (const name of ['w600k-mbf-int8', 'w600k_mbf_int8.onnx']) {
      const res = await get(`/models/${name}`);
      assert.equal(res.status, 200, name);
      assert.equal(res.headers.get('cross-origin-embedder-policy'), 'require-corp');
      assert.equal(res.headers.get('cross-origin-opener-policy'), 'same-origin');
      assert.equal(sha256Digest(new Uint8Array(await res.arrayBuffer())), findKnownModel('w600k-mbf-int8')?.sha256);
    }
    for (const path of [
      '/models/..%2Fpackage.json',
      '/models/%2Fetc%2Fpasswd',
      '/models/not-a-model.onnx',
      '/arcface/..%2F..%2Fpackage.json',
      '/arcface/index.html',
    ]) {
      const res = await get(path);
      assert.equal(res.status, 404, path);
      assert.equal(((await res.json()) as { code: string }).code, 'NOT_FOUND', path);
    }
    const bundle = await get('/arcface/arcface.js');
    assert.equal(bundle.status, 200);
    assert.match(bundle.headers.get('content-type') ?? '', /javascript/);
    const page = await get('/device.html');
    assert.match(page.headers.get('content-security-policy') ?? '', /script-src 'self' 'wasm-unsafe-eval'/);
  });
});
