import assert from 'node:assert/strict';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { freshHome, runCli } from '../helpers/cli.js';
import { REPO_ROOT, sharedPath, testOutputDir } from '../helpers/shared.js';

const lfw = (name: string, i: number): string => sharedPath('data', 'faces', 'lfw-deepfunneled', name, `${name}_${String(i).padStart(4, '0')}.jpg`);
const dir = testOutputDir('cli');

describe('arcface CLI (in process, the same program as the binary)', () => {
  it('compare: same person is "same", with JSON on stdout and a licence notice once on stderr', async () => {
    const home = freshHome();
    const r = await runCli(['compare', lfw('Colin_Powell', 40), lfw('Colin_Powell', 49), '--threshold', '0.3', '--json'], { ARCFACE_HOME: home });
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { similarity: number; same: boolean; threshold: number };
    assert.equal(out.same, true);
    assert.equal(out.threshold, 0.3);
    assert.ok(out.similarity > 0.4);
    assert.match(r.stderr, /non-commercial/);
    const again = await runCli(['compare', lfw('Colin_Powell', 40), lfw('Tony_Blair', 18), '--threshold', '0.3', '--json'], { ARCFACE_HOME: home });
    assert.equal(again.code, 0);
    assert.equal((JSON.parse(again.stdout) as { same: boolean }).same, false);
    assert.doesNotMatch(again.stderr, /non-commercial/);
  });

  it('embed --aligned prints unit embeddings of golden crops, equal through the NN Archive', async () => {
    const crop = sharedPath('golden', 'align', 'case-00.png');
    const a = await runCli(['embed', '--aligned', crop, '--recognizer', 'w600k-mbf-int8', '--json']);
    const b = await runCli(['embed', '--aligned', crop, '--recognizer', sharedPath('models', 'arcface-mbf-luxonis.tar.xz'), '--json']);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.code, 0, b.stderr);
    const ea = (JSON.parse(a.stdout) as { file: string; embedding: number[] }[])[0]!;
    const eb = (JSON.parse(b.stdout) as { embedding: number[] }[])[0]!;
    assert.equal(ea.file, crop);
    assert.equal(ea.embedding.length, 512);
    const dot = ea.embedding.reduce((s, v, i) => s + v * eb.embedding[i]!, 0);
    assert.ok(dot > 0.9999, `cosine ${dot}`);
  });

  it('embed on photos and a folder gives faces with boxes and embeddings', async () => {
    const folder = sharedPath('data', 'faces', 'lfw', 'Laura_Bush');
    const r = await runCli(['embed', folder, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { file: string; faces: { box: number[]; embedding: number[] }[] }[];
    const expected = (await readdir(folder))
      .filter((f) => f.endsWith('.jpg'))
      .sort()
      .map((f) => join(folder, f));
    assert.ok(expected.length >= 2, 'a folder of several photos');
    assert.deepEqual(
      out.map((f) => f.file),
      expected,
    );
    for (const f of out) {
      assert.ok(f.faces.length >= 1, f.file);
      const e = f.faces[0]!.embedding;
      assert.equal(e.length, 512);
      assert.ok(Math.abs(Math.hypot(...e) - 1) < 1e-4, `${f.file}: unit length`);
    }
    // Two photos of one person are closer to each other than to another person's photo.
    const cos = (a: number[], b: number[]): number => a.reduce((s, v, i) => s + v * b[i]!, 0);
    const other = JSON.parse((await runCli(['embed', lfw('Colin_Powell', 40), '--json'])).stdout) as { faces: { embedding: number[] }[] }[];
    const [a, b] = [out[0]!.faces[0]!.embedding, out[1]!.faces[0]!.embedding];
    assert.ok(cos(a, b) > cos(a, other[0]!.faces[0]!.embedding), 'same person closer');
  });

  it('exit 4 and NO_FACE when a photo has no face', async () => {
    await mkdir(dir, { recursive: true });
    const sharp = (await import('sharp')).default;
    await sharp({ create: { width: 200, height: 200, channels: 3, background: { r: 90, g: 120, b: 200 } } })
      .jpeg()
      .toFile(`${dir}/sky.jpg`);
    const r = await runCli(['compare', `${dir}/sky.jpg`, lfw('Colin_Powell', 40), '--threshold', '0.3']);
    assert.equal(r.code, 4);
    assert.match(r.stderr, /NO_FACE/);
    const e = await runCli(['embed', `${dir}/sky.jpg`, '--json']);
    assert.equal(e.code, 4);
    assert.deepEqual((JSON.parse(e.stdout) as { faces: unknown[] }[])[0]!.faces, []);
  });

  it('exit 2 for a corrupt file, 3 for a missing model and an unknown model name, 1 for usage', async () => {
    await mkdir(dir, { recursive: true });
    await writeFile(`${dir}/corrupt.jpg`, 'not an image at all');
    const corrupt = await runCli(['compare', `${dir}/corrupt.jpg`, lfw('Colin_Powell', 40), '--threshold', '0.3', '--json']);
    assert.equal(corrupt.code, 2);
    assert.equal((JSON.parse(corrupt.stderr.trim().split('\n').pop()!) as { code: string }).code, 'IMAGE_UNSUPPORTED_FORMAT');
    const readme = await runCli(['compare', lfw('Colin_Powell', 40), join(REPO_ROOT, 'README.md'), '--threshold', '0.3']);
    assert.equal(readme.code, 2);
    assert.match(
      readme.stderr,
      /^arcface: IMAGE_UNSUPPORTED_FORMAT: the second image \(.*README\.md\): Expected an image in one of .* but received \d+ bytes/m,
    );
    const missing = await runCli(['compare', lfw('Colin_Powell', 40), lfw('Colin_Powell', 49), '--recognizer', 'glintr100', '--threshold', '0.3']);
    assert.equal(missing.code, 3);
    assert.match(missing.stderr, /MODEL_NOT_FOUND.*glintr100/s);
    assert.match(missing.stderr, /arcface models (pull|add)/);
    const unknown = await runCli(['compare', lfw('Colin_Powell', 40), lfw('Colin_Powell', 49), '--recognizer', 'nope-model', '--threshold', '0.3']);
    assert.equal(unknown.code, 3);
    assert.match(unknown.stderr, /MODEL_UNKNOWN_NAME/);
    const usage = await runCli(['compare', lfw('Colin_Powell', 40)]);
    assert.equal(usage.code, 1);
    const badFlag = await runCli(['embed', lfw('Colin_Powell', 40), '--batch', '0']);
    assert.equal(badFlag.code, 1);
    assert.match(badFlag.stderr, /between 1 and 256/);
  });

  it('models inspect prints the resolved contract of the NN Archive', async () => {
    const r = await runCli(['models', 'inspect', 'arcface-mbf-luxonis', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { source: string; spec: { channelOrder: string; mean: number[]; inputName: string } };
    assert.equal(out.source, 'nn-archive');
    assert.equal(out.spec.channelOrder, 'BGR');
    assert.deepEqual(out.spec.mean, [0, 0, 0]);
    assert.equal(out.spec.inputName, 'images');
    const bad = await runCli(['models', 'inspect', 'w600k-mbf-int8', '--input-name', 'data']);
    assert.equal(bad.code, 3);
    assert.match(bad.stderr, /MODEL_CONTRACT_MISMATCH/);
  });
});
