import type { Command } from 'commander';
import { ArcFaceError } from '../../../src/core/index.js';
import { DEFAULT_COMPARE_SELECTION, FaceRecognizer, RECOGNIZER_DEFAULTS, type CompareSelection } from '../../../src/pipeline/index.js';
import { noticeLicence, printJson, type CliContext } from '../context.js';
import { parseChoiceOption, parseNumberOption } from './options.js';

interface CompareOptions {
  recognizer: string;
  detector: string;
  threshold?: number;
  flip?: boolean;
  json?: boolean;
  select: CompareSelection;
}

/**
 * `arcface compare A B`: are the selected faces (largest by default) of two photos the same person?
 *
 * @example
 * registerCompareCommand(program, ctx)
 */
export function registerCompareCommand(program: Command, ctx: CliContext): void {
  program
    .command('compare')
    .description('Compare one face of each of two photos (the largest by default): cosine similarity and same/different at a threshold.')
    .argument('<imageA>', 'first photo')
    .argument('<imageB>', 'second photo')
    .option('-t, --threshold <cosine>', "cosine threshold for 'same' (default: the recogniser's calibrated one)", parseNumberOption('--threshold', -1, 1))
    .option('-r, --recognizer <name|path>', 'recogniser: registry name, .onnx file or NN Archive', RECOGNIZER_DEFAULTS.recognizer)
    .option('-d, --detector <name|path>', 'face detector: registry name or known file', RECOGNIZER_DEFAULTS.detector)
    .option('--flip', 'flip augmentation')
    .option(
      '-s, --select <rule>',
      'which face of a photo with several: largest | central',
      parseChoiceOption('--select', ['largest', 'central'] as const),
      DEFAULT_COMPARE_SELECTION,
    )
    .option('--json', 'compact JSON for machines')
    .addHelpText(
      'after',
      '\nOutput: {"similarity","same","threshold","select","faces":[{"file","box","score","facesFound","faceIndex"}×2]}.\n' +
        'Exit codes: 0 compared, 1 usage, 2 bad input, 3 model problem, 4 no face in a photo.',
    )
    .action(async (a: string, b: string, opts: CompareOptions) => {
      ctx.json = opts.json === true;
      await noticeLicence(ctx, opts.recognizer);
      const fr = await FaceRecognizer.create({ locations: ctx.locations, recognizer: opts.recognizer, detector: opts.detector, flip: opts.flip === true });
      try {
        if (opts.threshold === undefined && fr.threshold === undefined) {
          const how = 'calibrate one with `arcface eval lfw` + `arcface calibrate`';
          throw new ArcFaceError('INVALID_ARGUMENT', `Expected --threshold: recogniser ${opts.recognizer} has no calibrated threshold (${how})`);
        }
        const r = await fr.compare(a, b, { select: opts.select, ...(opts.threshold === undefined ? {} : { threshold: opts.threshold }) });
        printJson(ctx, {
          similarity: Math.round(r.similarity * 1e6) / 1e6,
          same: r.same,
          threshold: r.threshold,
          select: r.select,
          faces: r.faces.map((face, i) => ({
            file: i === 0 ? a : b,
            box: face.box.map((v) => Math.round(v * 10) / 10),
            score: Math.round(face.score * 1e4) / 1e4,
            facesFound: face.facesFound,
            faceIndex: face.faceIndex,
          })),
        });
      } finally {
        await fr.dispose();
      }
    });
}
