import { existsSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { ArcFaceError } from '../../../src/core/index.js';
import {
  buildReport,
  EmbeddingCache,
  evaluateVerification,
  FALLBACK_METHOD,
  readLfwPairs,
  readPairScores,
  readVideoSplits,
  runLfwEvaluation,
  runVideoEvaluation,
  summaryText,
  VIDEO_AGGREGATION,
  writeReport,
  type EmbedProgress,
  type EvalReport,
  type VerificationMetrics,
} from '../../../src/eval/index.js';
import { FaceRecognizer, RECOGNIZER_DEFAULTS } from '../../../src/pipeline/index.js';
import { noticeLicence, printJson, type CliContext } from '../context.js';
import { EvalWorkers } from '../eval-workers.js';
import { createProgress } from '../progress.js';
import { registerEvalIdentify } from './eval-identify.js';
import { parseIntOption } from './options.js';

/** Options shared by the commands that embed images. */
interface ModelOptions {
  detector: string;
  recognizer: string;
  flip?: boolean;
  out: string;
  cache?: string;
  json?: boolean;
}

interface LfwOptions extends ModelOptions {
  data: string;
  workers?: number;
  pairs?: string;
  limitFolds?: number;
}

interface VideoOptions extends ModelOptions {
  data: string;
  splits: string;
  frames: number;
}

/** Words for the report about what happens to images without a detected face. */
const NO_FACE_HANDLING = `embedded the fixed central face instead (${FALLBACK_METHOD}: ArcFace template on a centred square of 0.52 × the shorter side)`;

function addModelOptions(cmd: Command, defaultOut: string): Command {
  return cmd
    .option('-d, --detector <name|path>', 'face detector: registry name or known file', RECOGNIZER_DEFAULTS.detector)
    .option('-r, --recognizer <name|path>', 'recogniser: registry name, .onnx file or NN Archive', RECOGNIZER_DEFAULTS.recognizer)
    .option('--flip', 'flip augmentation: embed each crop and its mirror and sum (InsightFace evaluation does this)')
    .option('-o, --out <dir>', 'folder for report.json, report.md and the plots', defaultOut)
    .option('--cache <dir>', 'embedding cache folder (default <out>/cache)')
    .option('--json', 'print the report summary as JSON on stdout and no progress');
}

async function openRecognizer(ctx: CliContext, o: ModelOptions): Promise<{ fr: FaceRecognizer; cache: EmbeddingCache }> {
  await noticeLicence(ctx, o.recognizer);
  await noticeLicence(ctx, o.detector);
  const fr = await FaceRecognizer.create({ locations: ctx.locations, detector: o.detector, recognizer: o.recognizer, flip: o.flip === true });
  try {
    const cache = await EmbeddingCache.open(o.cache ?? join(o.out, 'cache'), {
      fingerprint: fr.fingerprint,
      detector: fr.detector.name,
      flip: o.flip === true,
      fallback: FALLBACK_METHOD,
    });
    return { fr, cache };
  } catch (err) {
    await fr.dispose();
    throw err;
  }
}

function progressFor(ctx: CliContext, label: string): { onProgress: (p: EmbedProgress) => void; done: () => void } {
  let bar: ReturnType<typeof createProgress> | undefined;
  return {
    onProgress: (p) => {
      bar ??= createProgress({ total: p.total, label, stream: ctx.stderr, silent: ctx.json });
      bar.update(p.done, p.total);
    },
    done: () => bar?.done(),
  };
}

async function finish(ctx: CliContext, report: EvalReport, metrics: VerificationMetrics, out: string, subtitle: string): Promise<void> {
  const files = await writeReport(out, report, metrics, subtitle);
  if (ctx.json) {
    const { roc: _roc, histogram: _histogram, scores: _scores, ...summary } = report;
    printJson(ctx, { ...summary, files });
    return;
  }
  ctx.stdout.write(summaryText(report));
  ctx.stdout.write(`report           ${files.markdown} · ${files.json}\nplots            ${files.rocPng} · ${files.scoresPng}\n`);
}

/**
 * `arcface eval lfw`: the LFW View 2 protocol end to end.
 *
 * @example
 * await evalLfw(ctx, { data: '/data/lfw-deepfunneled', detector: 'yunet-n', recognizer: 'w600k-mbf-int8', flip: true, out: 'out/lfw' })
 */
export async function evalLfw(ctx: CliContext, o: LfwOptions): Promise<EvalReport> {
  const t0 = performance.now();
  const pairsFile = o.pairs ?? [join(o.data, 'pairs.txt'), join(dirname(resolve(o.data)), 'pairs.txt')].find((p) => existsSync(p));
  if (pairsFile === undefined) throw new ArcFaceError('FILE_NOT_FOUND', `Expected pairs.txt in ${o.data} or its parent (or --pairs FILE) but found none`);
  const pairs = await readLfwPairs(pairsFile);
  const { fr, cache } = await openRecognizer(ctx, o);
  const progress = progressFor(ctx, 'eval lfw');
  const count = o.workers ?? defaultEvalWorkers();
  let workers: EvalWorkers | undefined;
  try {
    if (count > 1)
      workers = await EvalWorkers.start(
        { locations: ctx.locations, detector: o.detector, recognizer: o.recognizer, flip: o.flip === true },
        count,
        fr.fingerprint,
      );
    const r = await runLfwEvaluation(fr, {
      dataDir: o.data,
      pairs,
      cache,
      onProgress: progress.onProgress,
      ...(workers === undefined ? {} : { embed: workers.embed, concurrency: 2 * count }),
      ...(o.limitFolds === undefined ? {} : { limitFolds: o.limitFolds }),
    });
    progress.done();
    const report = buildReport(r.metrics, {
      config: {
        protocol: 'lfw',
        data: o.data,
        pairsFile,
        detector: o.detector,
        recognizer: o.recognizer,
        fingerprint: fr.fingerprint,
        flip: o.flip === true,
        noFaceHandling: NO_FACE_HANDLING,
      },
      dist: r.dist,
      same: r.same,
      counts: { items: r.images, noFace: r.noFace.length, noFaceItems: r.noFace, cachedItems: r.cachedImages },
      timing: {
        wallMs: performance.now() - t0,
        recognizerMs: r.timing.recognizerMs,
        recordedRecognizerMs: r.timing.recordedRecognizerMs,
        ...(workers === undefined ? {} : { workers: count }),
      },
    });
    await finish(ctx, report, r.metrics, o.out, `${basename(resolve(o.data))} · ${o.detector} + ${o.recognizer}${o.flip === true ? ' · flip' : ''}`);
    return report;
  } finally {
    progress.done();
    await workers?.close();
    await fr.dispose();
  }
}

/**
 * Evaluation workers when `--workers` is not given: one per idle core (cores less the 1-minute load
 * average, rounded), at least 1, at most 4. onnxruntime-node runs a model on the calling thread, so
 * one recogniser embeds one image at a time; with SCRFD-500M + flip on LFW two intra-op threads used
 * the same CPU time per image as one (about 54 ms) and no less wall time, while each worker is a
 * recogniser on its own core. On a machine already busy with other work, a second worker only splits
 * the same share of the CPU: the first 600 LFW pairs took 71–73 s in one thread and 89–122 s in 2
 * workers at load average 13–17 on 2 cores.
 */
function defaultEvalWorkers(): number {
  const idle = availableParallelism() - Math.round(loadavg()[0] ?? 0);
  return Math.max(1, Math.min(4, idle));
}

/**
 * `arcface eval videos`: the YouTube Faces style video-pairs protocol.
 *
 * @example
 * await evalVideos(ctx, { splits: 'splits.txt', data: '/data/ytf/frame_images_DB', frames: 100, detector: 'yunet-n', recognizer: 'w600k-mbf-int8', out: 'out/ytf' })
 */
export async function evalVideos(ctx: CliContext, o: VideoOptions): Promise<EvalReport> {
  const t0 = performance.now();
  const pairs = await readVideoSplits(o.splits);
  const { fr, cache } = await openRecognizer(ctx, o);
  const progress = progressFor(ctx, 'eval videos');
  try {
    const r = await runVideoEvaluation(fr, { dataDir: o.data, pairs, framesPerVideo: o.frames, cache, onProgress: progress.onProgress });
    progress.done();
    const report = buildReport(r.metrics, {
      config: {
        protocol: 'videos',
        data: o.data,
        pairsFile: o.splits,
        detector: o.detector,
        recognizer: o.recognizer,
        fingerprint: fr.fingerprint,
        flip: o.flip === true,
        framesPerVideo: o.frames,
        aggregation: VIDEO_AGGREGATION,
        noFaceHandling: 'frames without a face are left out of the mean; a video with no face in any sampled frame uses the mean of its central fallbacks',
      },
      dist: r.dist,
      same: r.same,
      counts: { items: r.videos, noFace: r.framesNoFace, noFaceItems: r.videosNoFace, cachedItems: r.cachedFrames },
      timing: { wallMs: performance.now() - t0, recognizerMs: r.timing.recognizerMs },
    });
    await finish(ctx, report, r.metrics, o.out, `videos · ${o.detector} + ${o.recognizer}${o.flip === true ? ' · flip' : ''}`);
    return report;
  } finally {
    progress.done();
    await fr.dispose();
  }
}

/**
 * `arcface eval pairs`: the protocol on a ready `{"dist": [...], "same": [...]}` file (or a report.json).
 *
 * @example
 * await evalPairs(ctx, { scores: 'golden/lfw-protocol.json', folds: 10 })
 */
export async function evalPairs(ctx: CliContext, o: { scores: string; folds: number; out?: string; json?: boolean }): Promise<EvalReport> {
  const t0 = performance.now();
  const { dist, same } = await readPairScores(o.scores);
  const metrics = evaluateVerification(dist, same, { folds: o.folds });
  const report = buildReport(metrics, {
    config: { protocol: 'scores', pairsFile: o.scores },
    dist,
    same,
    timing: { wallMs: performance.now() - t0, recognizerMs: 0 },
  });
  if (o.out !== undefined) {
    await finish(ctx, report, metrics, o.out, basename(o.scores));
    return report;
  }
  if (ctx.json) {
    const { roc: _roc, histogram: _histogram, scores: _scores, ...summary } = report;
    printJson(ctx, summary);
  } else {
    ctx.stdout.write(summaryText(report));
  }
  return report;
}

/**
 * Registers `arcface eval lfw|pairs|videos`.
 *
 * @example
 * registerEvalCommands(program, ctx)
 */
export function registerEvalCommands(program: Command, ctx: CliContext): void {
  const evalCmd = program.command('eval').description('Evaluate verification accuracy: LFW pairs, ready pair scores, or video pairs (YouTube Faces protocol).');
  addModelOptions(
    evalCmd
      .command('lfw')
      .description(
        'LFW View 2: embed every image once (cached), 10-fold accuracy as InsightFace computes it, ROC, TAR@FAR, EER; writes report.json, report.md and plots.',
      )
      .requiredOption('--data <dir>', 'LFW image folder (Name/Name_0001.jpg)')
      .option('--pairs <file>', 'pairs.txt (default: in --data or its parent)')
      .option('--limit-folds <n>', 'evaluate only the first N folds', parseIntOption('--limit-folds', 1, 10))
      .option(
        '--workers <n>',
        'worker threads that embed images, one model thread each (default: one per idle core, at most 4; 1: in this thread)',
        parseIntOption('--workers', 1, 64),
      ),
    'arcface-eval/lfw',
  ).action(async (opts: LfwOptions) => {
    ctx.json = opts.json === true;
    await evalLfw(ctx, opts);
  });
  evalCmd
    .command('pairs')
    .description('Score ready pair scores (squared L2 distances of unit embeddings, protocol order) with the same protocol.')
    .requiredOption('--scores <file>', 'scores JSON: {"dist": [...], "same": [...]}, or a report.json that eval lfw|videos|pairs --out wrote')
    .option('--folds <n>', 'number of contiguous folds', parseIntOption('--folds', 1, 1000), 10)
    .option('-o, --out <dir>', 'also write report.json, report.md and plots here')
    .option('--json', 'print the figures as JSON')
    .action(async (opts: { scores: string; folds: number; out?: string; json?: boolean }) => {
      ctx.json = opts.json === true;
      await evalPairs(ctx, opts);
    });
  addModelOptions(
    evalCmd
      .command('videos')
      .description(
        'Video pairs (YouTube Faces protocol): up to N uniformly sampled frames per video, mean of unit embeddings re-normalised, one fold per split.',
      )
      .requiredOption('--splits <file>', 'splits.txt: "split, video1, video2, ..., is-same" lines')
      .requiredOption('--data <dir>', 'folder where video ids resolve to frame folders (person/video/*.jpg) or video files (person/video.mp4)')
      .option('--frames <n>', 'frames sampled per video', parseIntOption('--frames', 1, 100_000), 100),
    'arcface-eval/videos',
  ).action(async (opts: VideoOptions) => {
    ctx.json = opts.json === true;
    await evalVideos(ctx, opts);
  });
  registerEvalIdentify(evalCmd, ctx);
}
