import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { cosine } from '../../src/core/index.js';
import { embedCentralFace, kFoldVerification, lfwImagePath, readLfwPairs, squaredL2, uniqueLfwImages } from '../../src/eval/index.js';
import { decodeImage } from '../../src/image/index.js';
import { FaceRecognizer } from '../../src/pipeline/index.js';
import { sharedDir, sharedPath } from '../helpers/shared.js';
import { startDeviceHarness, type DeviceHarness } from './device-harness.js';

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

describe('on-device recognition in Chromium (same pipeline as Node.js)', () => {
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
    const people = readdirSync(sharedPath('data', 'faces', 'lfw-deepfunneled'), { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
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

  it('gives the same accuracy as Node.js on 2 LFW folds (1,200 pairs)', async () => {
    const protocol = await readLfwPairs(sharedPath('data', 'faces', 'lfw-deepfunneled', 'pairs.txt'));
    const pairs = protocol.pairs.filter((p) => p.fold < 2);
    const images = uniqueLfwImages(pairs).map(lfwImagePath);
    const browserEmb = await page.evaluate(async (list) => {
      const w = window as unknown as { af: { embedCentralFace(r: unknown, b: Uint8Array): Promise<{ embedding: Float32Array }> }; fr: unknown };
      const out: number[][] = [];
      for (const f of list) {
        const bytes = new Uint8Array(await (await fetch(`/lfw/${f}`)).arrayBuffer());
        out.push(Array.from((await w.af.embedCentralFace(w.fr, bytes)).embedding));
      }
      return out;
    }, images);
    const index = new Map(images.map((f, i) => [f, i]));
    const nodeEmb = new Map<string, Float32Array>();
    for (const f of images) nodeEmb.set(f, (await embedCentralFace(node, await readFile(`${sharedDir()}/data/faces/lfw-deepfunneled/${f}`))).embedding);
    const same = pairs.map((p) => p.same);
    const ranges = [[0, 600], [600, 1200]] as const;
    const distB = pairs.map((p) => squaredL2(browserEmb[index.get(lfwImagePath(p.a)) as number] as number[], browserEmb[index.get(lfwImagePath(p.b)) as number] as number[]));
    const distN = pairs.map((p) => squaredL2(nodeEmb.get(lfwImagePath(p.a)) as Float32Array, nodeEmb.get(lfwImagePath(p.b)) as Float32Array));
    const b = kFoldVerification(distB, same, { ranges });
    const n = kFoldVerification(distN, same, { ranges });
    assert.deepEqual(b.folds.map((f) => f.accuracy), n.folds.map((f) => f.accuracy));
    assert.ok(n.accuracyMean > 0.98, `Node.js accuracy ${n.accuracyMean} on 2 folds`);
  });

  it('refuses a wrong, truncated or unreachable model with a clear error', async () => {
    const codes = await page.evaluate(async () => {
      const w = window as unknown as { af: { fetchModelBytes(u: string, o: unknown): Promise<unknown> } };
      const attempt = async (url: string, body?: Uint8Array): Promise<string> => {
        try {
          await w.af.fetchModelBytes(url, { cache: false, ...(body === undefined ? {} : { fetch: async () => new Response(new Blob([body.slice().buffer])) }) });
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
