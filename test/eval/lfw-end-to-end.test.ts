import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import sharp from 'sharp';
import { evalLfw } from '../../apps/cli/commands/eval.js';
import { parseLfwPairs, readLfwPairs, uniqueLfwImages, type EvalReport } from '../../src/eval/index.js';
import { sharedPath, testOutputDir } from '../helpers/shared.js';
import { captureContext } from './helpers.js';

/** Pairs per kind per fold: 2 folds × (20 matched + 20 mismatched) = 80 pairs, about 150 real LFW images. */
const PER_FOLD = 20;
const dir = testOutputDir('eval-lfw-e2e');
const data = sharedPath('data', 'faces', 'lfw-deepfunneled');

/** The first PER_FOLD matched and mismatched pairs of folds 1 and 2 of the real pairs.txt, in pairs.txt format. */
async function subsetPairsFile(): Promise<string> {
  const lfw = await readLfwPairs(join(data, 'pairs.txt'));
  const lines = [`2\t${PER_FOLD}`];
  for (let fold = 0; fold < 2; fold++) {
    for (const same of [true, false]) {
      for (const p of lfw.pairs.filter((q) => q.fold === fold && q.same === same).slice(0, PER_FOLD)) {
        lines.push(same ? `${p.a.name}\t${p.a.index}\t${p.b.index}` : `${p.a.name}\t${p.a.index}\t${p.b.name}\t${p.b.index}`);
      }
    }
  }
  const file = join(dir, 'pairs-subset.txt');
  await writeFile(file, `${lines.join('\n')}\n`);
  return file;
}

describe('eval lfw end to end on a 2-fold subset of real LFW (yunet-n + w600k-mbf-int8)', () => {
  let pairsFile: string;
  let first: EvalReport;
  let firstOut: string;

  before(async () => {
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    pairsFile = await subsetPairsFile();
    const { ctx, out } = captureContext();
    first = await evalLfw(ctx, { data, pairs: pairsFile, detector: 'yunet-n', recognizer: 'w600k-mbf-int8', out: join(dir, 'out') });
    firstOut = out.text;
  });

  it('embeds every image once and scores all pairs with the protocol', async () => {
    const subset = parseLfwPairs(await readFile(pairsFile, 'utf8'));
    assert.equal(first.counts.pairs, 4 * PER_FOLD);
    assert.equal(first.counts.folds, 2);
    assert.equal(first.counts.items, uniqueLfwImages(subset.pairs).length);
    assert.equal(first.counts.cachedItems, 0);
    assert.equal(first.accuracy.folds.length, 2);
    // A real recogniser separates these pairs well; the whole LFW gives about 99 %.
    assert.ok(first.accuracy.mean >= 0.9, `accuracy ${first.accuracy.mean}`);
    assert.ok(first.auc >= 0.95, `AUC ${first.auc}`);
    assert.equal(first.scores.dist.length, 4 * PER_FOLD);
    assert.equal(first.config.detector, 'yunet-n');
    assert.equal(first.config.flip, false);
    assert.match(first.config.fingerprint ?? '', /.+/);
    assert.match(first.config.noFaceHandling ?? '', /central/);
    assert.equal(typeof first.counts.noFace, 'number');
    // 40 impostor pairs cannot measure FAR 1e-2 or below.
    assert.deepEqual(
      first.tarAtFar.map((t) => t.measurable),
      [true, false, false, false],
    );
  });

  it('prints the figures and the wall time against the recogniser-only time', () => {
    assert.match(firstOut, /accuracy\s+\d+\.\d+% ± \d+\.\d+%/);
    assert.match(firstOut, /TAR @ FAR 1e-4\s+not measurable with 40 impostor pairs/);
    assert.match(firstOut, /wall \d+\.\d s · recognizer only \(detect\+align\+embed(, summed over \d+ workers)?\) \d+\.\d s · ratio \d+\.\d\d/);
    // Workers embed side by side: their recogniser times add up to at most workers × wall.
    assert.ok(first.timing !== undefined && first.timing.recognizerMs > 0 && first.timing.wallMs * (first.timing.workers ?? 1) >= first.timing.recognizerMs);
  });

  it('writes report.json, report.md and the ROC and score plots as SVG and PNG', async () => {
    const out = join(dir, 'out');
    for (const f of ['report.json', 'report.md', 'roc.svg', 'roc.png', 'scores.svg', 'scores.png']) assert.ok(existsSync(join(out, f)), f);
    const json = JSON.parse(await readFile(join(out, 'report.json'), 'utf8')) as EvalReport;
    assert.equal(json.accuracy.mean, first.accuracy.mean);
    const md = await readFile(join(out, 'report.md'), 'utf8');
    assert.match(md, /\*\*accuracy \(2-fold\)\*\*/);
    const meta = await sharp(join(out, 'roc.png')).metadata();
    assert.equal(meta.format, 'png');
    // 720×540 SVG units rendered at 96 dpi (librsvg's 72 dpi base): 960×720 pixels.
    assert.equal(meta.width, 960);
    assert.equal(meta.height, 720);
    const svg = await readFile(join(out, 'roc.svg'), 'utf8');
    assert.match(svg, /False accept rate \(FAR, log scale\)/);
    assert.match(await readFile(join(out, 'scores.svg'), 'utf8'), /Cosine similarity/);
  });

  it('serves a re-run entirely from the embedding cache with identical figures', async () => {
    const { ctx } = captureContext();
    ctx.json = true;
    const again = await evalLfw(ctx, { data, pairs: pairsFile, detector: 'yunet-n', recognizer: 'w600k-mbf-int8', out: join(dir, 'out') });
    assert.equal(again.counts.cachedItems, again.counts.items);
    assert.equal(again.timing?.recognizerMs, 0);
    assert.deepEqual(again.scores.dist, first.scores.dist);
    assert.equal(again.accuracy.mean, first.accuracy.mean);
  });

  it('gives bit-identical scores with the images embedded in this thread (--workers 1) and in worker threads (--workers 2)', async () => {
    const { ctx } = captureContext();
    ctx.json = true;
    const one = await evalLfw(ctx, { data, pairs: pairsFile, detector: 'yunet-n', recognizer: 'w600k-mbf-int8', out: join(dir, 'w1'), workers: 1 });
    const two = await evalLfw(ctx, {
      data,
      pairs: pairsFile,
      detector: 'yunet-n',
      recognizer: 'w600k-mbf-int8',
      out: join(dir, 'w2'),
      workers: 2,
      limitFolds: 1,
    });
    assert.equal(one.counts.cachedItems, 0);
    assert.equal(one.timing?.workers, undefined);
    assert.equal(two.timing?.workers, 2);
    assert.deepEqual(one.scores.dist, first.scores.dist);
    assert.deepEqual(two.scores.dist, first.scores.dist.slice(0, 2 * PER_FOLD));
  });

  it('limits the folds and rejects a missing pairs file or image with coded errors', async () => {
    const { ctx } = captureContext();
    ctx.json = true;
    const one = await evalLfw(ctx, {
      data,
      pairs: pairsFile,
      detector: 'yunet-n',
      recognizer: 'w600k-mbf-int8',
      out: join(dir, 'one'),
      cache: join(dir, 'out', 'cache'),
      limitFolds: 1,
    });
    assert.equal(one.counts.pairs, 2 * PER_FOLD);
    assert.equal(one.counts.cachedItems, one.counts.items);
    await assert.rejects(evalLfw(ctx, { data: dir, detector: 'yunet-n', recognizer: 'w600k-mbf-int8', out: join(dir, 'x') }), { code: 'FILE_NOT_FOUND' });
    const missing = join(dir, 'missing-pairs.txt');
    await writeFile(missing, '1\t1\nNo_Such_Person\t1\t2\nNo_Such_Person\t1\tOther_Person\t1\n');
    await assert.rejects(
      evalLfw(ctx, { data, pairs: missing, detector: 'yunet-n', recognizer: 'w600k-mbf-int8', out: join(dir, 'x') }),
      (e: Error & { code?: string }) => e.code === 'FILE_NOT_FOUND' && /No_Such_Person_0001\.jpg/.test(e.message),
    );
  });
});
