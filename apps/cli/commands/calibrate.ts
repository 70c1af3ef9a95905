import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import { ArcFaceError } from '../../../src/core/index.js';
import {
  calibrateThreshold,
  EmbeddingCache,
  embedImageFiles,
  FALLBACK_METHOD,
  readLabelledPhotos,
  readPairScores,
  scoreCalibration,
  scoreHistograms,
} from '../../../src/eval/index.js';
import type { ScoreCalibration } from '../../../src/models/index.js';
import { FaceRecognizer, RECOGNIZER_DEFAULTS } from '../../../src/pipeline/index.js';
import { noticeLicence, printJson, type CliContext } from '../context.js';
import { createProgress } from '../progress.js';
import { parseNumberOption } from './options.js';

/** What `arcface calibrate` prints. */
export interface Calibration {
  readonly far: number;
  /** Accept when cosine similarity ≥ this. */
  readonly cosine: number;
  /** Accept when squared L2 distance of unit embeddings ≤ this. */
  readonly distance: number;
  /** FAR and TAR on the report's pairs at this threshold. */
  readonly achievedFar: number;
  readonly tar: number;
  readonly impostorPairs: number;
  readonly genuinePairs: number;
}

/**
 * The most lenient threshold whose FAR on the report's pairs does not exceed `far`.
 *
 * @example
 * const c = await calibrate('out/lfw/report.json', 1e-3)
 */
export async function calibrate(reportPath: string, far: number): Promise<Calibration> {
  const scores = await readPairScores(reportPath);
  const t = calibrateThreshold(scores, far);
  const impostor = scores.same.filter((s) => !s).length;
  if (!t.measurable || t.cosine === null || t.distance === null || t.achievedFar === null || t.tar === null) {
    const least = (1 / Math.max(1, impostor)).toExponential(2);
    throw new ArcFaceError(
      'INVALID_ARGUMENT',
      `Expected a FAR of at least ${least} (one false accept among ${impostor} impostor pairs) for --far but received ${far}`,
    );
  }
  return {
    far,
    cosine: t.cosine,
    distance: t.distance,
    achievedFar: t.achievedFar,
    tar: t.tar,
    impostorPairs: impostor,
    genuinePairs: scores.same.length - impostor,
  };
}

interface FacesOptions {
  faces: string;
  detector: string;
  recognizer: string;
  flip?: boolean;
  cache?: string;
  out?: string;
  json?: boolean;
}

/**
 * Impostor and genuine tables of a recogniser from a folder of labelled photos (`Person/*.jpg`):
 * the central face of every photo, every pair scored (see `scoreHistograms`).
 *
 * @example
 * const cal = await calibrateFaces(ctx, { faces: '../shared/data/faces/lfw-deepfunneled', detector: 'yunet-n', recognizer: 'w600k-mbf-int8' })
 */
export async function calibrateFaces(ctx: CliContext, o: FacesOptions): Promise<ScoreCalibration> {
  const photos = await readLabelledPhotos(o.faces);
  await noticeLicence(ctx, o.recognizer);
  const fr = await FaceRecognizer.create({ locations: ctx.locations, detector: o.detector, recognizer: o.recognizer, flip: o.flip === true });
  const bar = createProgress({ total: 1, label: 'calibrate', stream: ctx.stderr, silent: ctx.json });
  try {
    const cache = await EmbeddingCache.open(o.cache ?? join(ctx.locations.home, 'calibration-cache'), {
      fingerprint: fr.fingerprint,
      detector: fr.detector.name,
      flip: o.flip === true,
      fallback: FALLBACK_METHOD,
    });
    const items = [...photos].flatMap(([label, paths]) => paths.map((path) => ({ label, path })));
    const { embeddings, noFace } = await embedImageFiles(
      fr,
      '/',
      items.map((i) => i.path),
      { cache, onProgress: (p) => bar.update(p.done, p.total) },
    );
    bar.done();
    const h = scoreHistograms(
      items.map((i) => embeddings.get(i.path)?.embedding as Float32Array),
      items.map((i) => i.label),
    );
    return scoreCalibration(h, {
      source:
        `${items.length} photos of ${photos.size} people in ${o.faces}, detector ${o.detector}, central face${o.flip === true ? ', flip' : ''}, ` +
        `${noFace.length} without a detected face (central fallback); every pair scored; measured ${new Date().toISOString().slice(0, 10)} with \`arcface calibrate --faces\``,
    });
  } finally {
    bar.done();
    await fr.dispose();
  }
}

/**
 * Registers `arcface calibrate --report report.json --far 1e-3` and `arcface calibrate --faces DIR`.
 *
 * @example
 * registerCalibrateCommand(program, ctx)
 */
export function registerCalibrateCommand(program: Command, ctx: CliContext): void {
  program
    .command('calibrate')
    .description(
      'Print the decision threshold (cosine and squared L2 distance) that keeps the false accept rate at or below a target on an evaluation report; ' +
        'or, with --faces, build the impostor/genuine score tables (for open-set identification thresholds) from a folder of labelled photos.',
    )
    .option('--report <file>', 'report.json written by `arcface eval` (or a {"dist","same"} scores file)')
    .option('--far <rate>', 'target false accept rate', parseNumberOption('--far', 0, 1, { minExclusive: true }), 1e-3)
    .option('--faces <dir>', 'Person/*.jpg folder: score every pair of photos into impostor and genuine tables (the registry `calibration` format)')
    .option('-d, --detector <name|path>', 'with --faces: face detector', RECOGNIZER_DEFAULTS.detector)
    .option('-r, --recognizer <name|path>', 'with --faces: recogniser', RECOGNIZER_DEFAULTS.recognizer)
    .option('--flip', 'with --faces: flip augmentation')
    .option('--cache <dir>', 'with --faces: embedding cache folder (default calibration-cache in ARCFACE_HOME)')
    .option('-o, --out <file>', 'with --faces: also write the tables to this JSON file')
    .option('--json', 'print JSON')
    .action(async (opts: { report?: string; far: number; json?: boolean } & Partial<FacesOptions>) => {
      ctx.json = opts.json === true;
      if ((opts.report === undefined) === (opts.faces === undefined)) {
        throw new ArcFaceError(
          'INVALID_ARGUMENT',
          `Expected exactly one of --report FILE and --faces DIR but received ${opts.report === undefined ? 'neither' : 'both'}`,
        );
      }
      if (opts.faces !== undefined) {
        const cal = await calibrateFaces(ctx, opts as FacesOptions);
        if (opts.out !== undefined) await writeFile(opts.out, `${JSON.stringify(cal, null, 1)}\n`);
        if (ctx.json) printJson(ctx, cal);
        else {
          ctx.stdout.write(`${cal.impostorPairs} impostor and ${cal.genuinePairs} genuine pairs\n`);
          for (const [far, cosine] of cal.impostor.filter((_, i) => i % 5 === 0)) ctx.stdout.write(`FAR ${far.toExponential(1)}: cosine ${cosine}\n`);
        }
        return;
      }
      const c = await calibrate(opts.report as string, opts.far);
      if (ctx.json) {
        printJson(ctx, c);
        return;
      }
      ctx.stdout.write(
        `FAR ≤ ${c.far}: accept when cosine ≥ ${c.cosine.toFixed(6)} (squared L2 distance ≤ ${c.distance.toFixed(6)})\n` +
          `on ${c.genuinePairs} genuine and ${c.impostorPairs} impostor pairs this gives FAR ${c.achievedFar.toExponential(3)} and TAR ${(100 * c.tar).toFixed(2)}%\n`,
      );
    });
}
