import type { Command } from 'commander';
import { ArcFaceError } from '../../../src/core/errors.js';
import { dot } from '../../../src/core/vector.js';
import { FaceRecognizer, RECOGNIZER_DEFAULTS } from '../../../src/pipeline/index.js';
import { noticeLicence, printJson, type CliContext } from '../context.js';
import { parseNumberOption } from './options.js';

interface CompareOptions {
  recognizer: string;
  detector: string;
  threshold?: number;
  flip?: boolean;
  json?: boolean;
}

/**
 * `arcface compare A B`: are the most central faces of two photos the same person?
 *
 * @example
 * registerCompareCommand(program, ctx)
 */
export function registerCompareCommand(program: Command, ctx: CliContext): void {
  program
    .command('compare')
    .description('Compare the most central face of two photos: cosine similarity and same/different at a threshold.')
    .argument('<imageA>', 'first photo')
    .argument('<imageB>', 'second photo')
    .option('-t, --threshold <cosine>', "cosine threshold for 'same' (default: the recogniser's calibrated one)", parseNumberOption('--threshold', -1, 1))
    .option('-r, --recognizer <name|path>', 'recogniser: registry name, .onnx file or NN Archive', RECOGNIZER_DEFAULTS.recognizer)
    .option('-d, --detector <name|path>', 'face detector: registry name or known file', RECOGNIZER_DEFAULTS.detector)
    .option('--flip', 'flip augmentation')
    .option('--json', 'compact JSON for machines')
    .addHelpText('after', '\nOutput: {"similarity","same","threshold","faces":[{"file","box","score"}×2]}.\nExit codes: 0 compared, 1 usage, 2 bad input, 3 model problem, 4 no face in a photo.')
    .action(async (a: string, b: string, opts: CompareOptions) => {
      ctx.json = opts.json === true;
      await noticeLicence(ctx, opts.recognizer);
      const fr = await FaceRecognizer.create({ locations: ctx.locations, recognizer: opts.recognizer, detector: opts.detector, flip: opts.flip === true });
      try {
        const threshold = opts.threshold ?? fr.threshold;
        if (threshold === undefined) {
          throw new ArcFaceError('INVALID_ARGUMENT', `Expected --threshold: recogniser ${opts.recognizer} has no calibrated threshold (calibrate one with \`arcface eval lfw\` + \`arcface calibrate\`)`);
        }
        const faces = [];
        for (const file of [a, b]) {
          const r = await fr.recognizeFile(file, { select: 'central' });
          const face = r.faces[0];
          if (face === undefined) throw new ArcFaceError('NO_FACE', `Expected a face in ${file} but the detector found none`);
          faces.push({ file, face });
        }
        const similarity = dot(faces[0]!.face.embedding, faces[1]!.face.embedding);
        printJson(ctx, {
          similarity: Math.round(similarity * 1e6) / 1e6,
          same: similarity >= threshold,
          threshold,
          faces: faces.map(({ file, face }) => ({ file, box: face.box.map((v) => Math.round(v * 10) / 10), score: Math.round(face.score * 1e4) / 1e4 })),
        });
      } finally {
        await fr.dispose();
      }
    });
}
