import type { Command } from 'commander';
import { ArcFaceError } from '../../../src/core/errors.js';
import { calibrateThreshold, readPairScores } from '../../../src/eval/index.js';
import { printJson, type CliContext } from '../context.js';
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
    throw new ArcFaceError('INVALID_ARGUMENT', `Expected a FAR of at least ${least} (one false accept among ${impostor} impostor pairs) for --far but received ${far}`);
  }
  return { far, cosine: t.cosine, distance: t.distance, achievedFar: t.achievedFar, tar: t.tar, impostorPairs: impostor, genuinePairs: scores.same.length - impostor };
}

/**
 * Registers `arcface calibrate --report report.json --far 1e-3`.
 *
 * @example
 * registerCalibrateCommand(program, ctx)
 */
export function registerCalibrateCommand(program: Command, ctx: CliContext): void {
  program
    .command('calibrate')
    .description('Print the decision threshold (cosine and squared L2 distance) that keeps the false accept rate at or below a target on an evaluation report.')
    .requiredOption('--report <file>', 'report.json written by `arcface eval` (or a {"dist","same"} scores file)')
    .option('--far <rate>', 'target false accept rate', parseNumberOption('--far', 0, 1, { minExclusive: true }), 1e-3)
    .option('--json', 'print JSON')
    .action(async (opts: { report: string; far: number; json?: boolean }) => {
      ctx.json = opts.json === true;
      const c = await calibrate(opts.report, opts.far);
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
