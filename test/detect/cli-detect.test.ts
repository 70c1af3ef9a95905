import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { Command } from 'commander';
import sharp from 'sharp';
import { registerDetectCommand, type DetectFileResult } from '../../apps/cli/commands/detect.js';
import type { CliContext } from '../../apps/cli/context.js';
import { isArcFaceError } from '../../src/core/index.js';
import { sharedPath, testOutputDir } from '../helpers/shared.js';
import { lfwPath } from './fixtures.js';

function sink(): { stream: Writable; text: () => string } {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(Buffer.from(chunk));
      done();
    },
  });
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

async function run(args: string[]): Promise<{ out: string; err: string }> {
  const out = sink();
  const err = sink();
  const ctx: CliContext = {
    locations: { home: testOutputDir('cli-detect-home'), dirs: [sharedPath('models')] },
    stdout: out.stream,
    stderr: err.stream,
    env: {},
    json: false,
  };
  const program = new Command().exitOverride().configureOutput({ writeErr: (s) => err.stream.write(s) });
  registerDetectCommand(program, ctx);
  await program.parseAsync(['node', 'arcface', 'detect', ...args]);
  return { out: out.text(), err: err.text() };
}

describe('arcface detect', () => {
  const dir = testOutputDir('cli-detect');

  it('prints file, size and faces as JSON and writes annotated images', async () => {
    await rm(dir, { recursive: true, force: true });
    const a = lfwPath('lfw', 'Aaron_Eckhart', 1);
    const b = lfwPath('lfw-deepfunneled', 'Aaron_Eckhart', 1);
    const { out } = await run([a, b, '--json', '--annotate', dir]);
    const res = JSON.parse(out) as DetectFileResult[];
    assert.equal(res.length, 2);
    assert.deepEqual(
      res.map((r) => [r.file, r.width, r.height]),
      [
        [a, 150, 150],
        [b, 250, 250],
      ],
    );
    for (const r of res) {
      assert.equal(r.faces.length, 1);
      const f = r.faces[0];
      assert.ok(f !== undefined);
      assert.equal(f.box.length, 4);
      assert.equal(f.landmarks.length, 5);
      assert.ok(f.score > 0.5 && f.score <= 1);
      assert.deepEqual(Object.keys(f).sort(), ['box', 'landmarks', 'score']);
    }
    const png1 = join(dir, 'Aaron_Eckhart_0001.png');
    const png2 = join(dir, 'Aaron_Eckhart_0001-2.png');
    assert.ok(existsSync(png1) && existsSync(png2));
    const meta = await sharp(png2).metadata();
    assert.deepEqual([meta.format, meta.width, meta.height], ['png', 250, 250]);
    // The annotation changed pixels on the box edge.
    const src = await sharp(b).raw().toBuffer();
    const ann = await sharp(png2).removeAlpha().raw().toBuffer();
    const f = res[1]?.faces[0];
    assert.ok(f !== undefined);
    const x = Math.round((f.box[0] ?? 0) + ((f.box[2] ?? 0) - (f.box[0] ?? 0)) / 2);
    const y = Math.round(f.box[1] ?? 0);
    const o = (y * 250 + x) * 3;
    assert.ok(Math.abs((ann[o] ?? 0) - (src[o] ?? 0)) + Math.abs((ann[o + 2] ?? 0) - (src[o + 2] ?? 0)) > 40, 'box not drawn');
  });

  it('reports no face as an empty list, and honours --detector and --max-faces', async () => {
    await mkdir(dir, { recursive: true });
    const blank = join(dir, 'blank.png');
    await writeFile(
      blank,
      await sharp({ create: { width: 200, height: 100, channels: 3, background: '#808080' } })
        .png()
        .toBuffer(),
    );
    const { out } = await run([blank, '--detector', 'scrfd-500m', '--max-faces', '1']);
    assert.deepEqual(JSON.parse(out), [{ file: blank, width: 200, height: 100, faces: [] }]);
    const face = lfwPath('lfw', 'Aaron_Eckhart', 1);
    const byFile = JSON.parse(
      (await run([face, '--detector', sharedPath('models', 'retinaface_mbnet0.25.onnx'), '--kind', 'retinaface'])).out,
    ) as DetectFileResult[];
    assert.equal(byFile[0]?.faces.length, 1);
  });

  it('fails with coded errors for a missing file and an unknown detector', async () => {
    await assert.rejects(run([join(dir, 'absent.jpg')]), (e: unknown) => isArcFaceError(e, 'FILE_NOT_FOUND'));
    await assert.rejects(run([lfwPath('lfw', 'Aaron_Eckhart', 1), '--detector', 'no-such-detector']), (e: unknown) => isArcFaceError(e, 'MODEL_UNKNOWN_NAME'));
    await assert.rejects(run([lfwPath('lfw', 'Aaron_Eckhart', 1), '--detector', 'w600k-mbf-int8']), (e: unknown) =>
      isArcFaceError(e, 'MODEL_CONTRACT_MISMATCH'),
    );
    await assert.rejects(run([lfwPath('lfw', 'Aaron_Eckhart', 1), '--score-threshold', '2']), { code: 'commander.invalidArgument' });
  });
});
