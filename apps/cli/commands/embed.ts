import type { Command } from 'commander';
import type { RgbImage } from '../../../src/core/index.js';
import { Embedder } from '../../../src/embed/index.js';
import { decodeImageFile } from '../../../src/image/index.js';
import { resolveModelPath } from '../../../src/models/index.js';
import { FaceRecognizer, RECOGNIZER_DEFAULTS, recognizeFiles } from '../../../src/pipeline/index.js';
import { expandImageArgs, noticeLicence, printJson, type CliContext } from '../context.js';
import { FileOutcomes } from '../file-outcomes.js';
import { createProgress } from '../progress.js';
import { parseIntOption, rounded } from './options.js';

interface EmbedOptions {
  recognizer: string;
  detector: string;
  aligned?: boolean;
  flip?: boolean;
  batch: number;
  json?: boolean;
}

/**
 * `arcface embed`: embeddings of aligned crops (`--aligned`) or of every face in photos.
 *
 * @example
 * registerEmbedCommand(program, ctx)
 */
export function registerEmbedCommand(program: Command, ctx: CliContext): void {
  program
    .command('embed')
    .description('Print the ArcFace embedding of every face in images or folders (or of ready 112×112 crops with --aligned).')
    .argument('<images...>', 'image files or folders')
    .option('-r, --recognizer <name|path>', 'recogniser: registry name, .onnx file or NN Archive', RECOGNIZER_DEFAULTS.recognizer)
    .option('-d, --detector <name|path>', 'face detector: registry name or known file', RECOGNIZER_DEFAULTS.detector)
    .option('--aligned', 'inputs are already aligned crops at the recogniser input size: skip detection')
    .option('--flip', 'flip augmentation: embed the crop and its mirror and sum (as InsightFace evaluation does)')
    .option('--batch <n>', 'crops per model run', parseIntOption('--batch', 1, 256), 8)
    .option('--json', 'compact JSON for machines')
    .addHelpText(
      'after',
      '\nOutput: [{"file","faces":[{"box","score","landmarks","embedding"}]}], or with --aligned [{"file","embedding"}].\n' +
        'A file that fails (with --aligned, also a crop not of the recogniser\'s input size) is reported as {"file","error"} and the others go on.\n' +
        'Exit codes: 0 ok, 1 usage (with --aligned: a crop of another size), 2 a file was bad input, 3 model problem, 4 no face in some image.',
    )
    .action(async (images: string[], opts: EmbedOptions) => {
      ctx.json = opts.json === true;
      const files = await expandImageArgs(images, ctx);
      if (opts.aligned === true) {
        const path = resolveModelPath(opts.recognizer, ctx.locations);
        await noticeLicence(ctx, opts.recognizer, path);
        const embedder = await Embedder.create(path, { flip: opts.flip === true, batchSize: opts.batch });
        try {
          const outcomes = new FileOutcomes(ctx);
          // A photo that is not an aligned crop of the recogniser's size fails alone, named by its file.
          const aligned = async (file: string): Promise<RgbImage> => {
            const crop = await decodeImageFile(file);
            embedder.assertCrop(crop, `${file} (an --aligned crop)`);
            return crop;
          };
          const decoded = await Promise.all(
            files.map(async (file) =>
              aligned(file).then(
                (crop) => ({ file, crop }),
                (err: unknown) => ({ file, err }),
              ),
            ),
          );
          const ok = decoded.flatMap((d) => ('crop' in d ? [d] : []));
          const embeddings = await embedder.embed(ok.map((d) => d.crop));
          const byFile = new Map(ok.map((d, i) => [d.file, embeddings[i] as Float32Array]));
          printJson(
            ctx,
            decoded.map((d) => ('err' in d ? outcomes.failed(d.file, d.err) : { file: d.file, embedding: rounded(byFile.get(d.file) as Float32Array) })),
          );
          outcomes.finish();
        } finally {
          await embedder.dispose();
        }
        return;
      }
      await noticeLicence(ctx, opts.recognizer);
      const fr = await FaceRecognizer.create({
        locations: ctx.locations,
        recognizer: opts.recognizer,
        detector: opts.detector,
        flip: opts.flip === true,
        batchSize: opts.batch,
      });
      const out: unknown[] = [];
      const outcomes = new FileOutcomes(ctx);
      const progress = createProgress({ total: files.length, label: 'embed', stream: ctx.stderr, silent: ctx.json || files.length < 2 });
      try {
        for await (const r of recognizeFiles(fr, files)) {
          progress.tick();
          if (r.error !== undefined) {
            out.push(outcomes.failed(r.file, r.error));
            continue;
          }
          const faces = r.result?.faces ?? [];
          outcomes.faces(faces.length);
          out.push({
            file: r.file,
            width: r.result?.width,
            height: r.result?.height,
            faces: faces.map((f) => ({
              box: f.box.map((v) => Math.round(v * 100) / 100),
              score: Math.round(f.score * 1e4) / 1e4,
              landmarks: f.landmarks.map((p) => p.map((v) => Math.round(v * 100) / 100)),
              embedding: rounded(f.embedding),
            })),
          });
        }
      } finally {
        progress.done();
        await fr.dispose();
      }
      printJson(ctx, out);
      outcomes.finish();
    });
}
