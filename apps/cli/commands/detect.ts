import { mkdir, writeFile } from 'node:fs/promises';
import { basename, extname, join, resolve } from 'node:path';
import { Option, type Command } from 'commander';
import sharp from 'sharp';
import type { DetectedFace, RgbImage } from '../../../src/core/index.js';
import { createFaceDetector, DETECTOR_KINDS, type DetectOptions, type DetectorKind, type FaceDetectorSpec } from '../../../src/detect/index.js';
import { decodeImageFile } from '../../../src/image/index.js';
import { RECOGNIZER_DEFAULTS, resolveDetectorSpec } from '../../../src/pipeline/index.js';
import { expandImageArgs, noticeLicence, printJson, type CliContext } from '../context.js';
import { FileOutcomes, type FileFailure } from '../file-outcomes.js';
import { parseIntOption, parseNumberOption } from './options.js';

interface DetectCommandOptions {
  detector: string;
  kind?: DetectorKind;
  annotate?: string;
  json?: boolean;
  scoreThreshold?: number;
  minFaceSize?: number;
  maxFaces?: number;
  secondPass: boolean;
}

/** One image's result as the command prints it. */
export interface DetectFileResult {
  readonly file: string;
  readonly width: number;
  readonly height: number;
  readonly faces: { box: number[]; score: number; landmarks: number[][] }[];
}

/** Colours of the five landmarks in ArcFace order: eyes, nose, mouth corners. */
const LANDMARK_COLOURS = ['#ff3b30', '#34c759', '#ffcc00', '#0a84ff', '#bf5af2'] as const;

const round1 = (v: number): number => Math.round(v * 10) / 10;

/**
 * An SVG overlay of boxes, scores and landmarks, sized to the image; stroke widths scale with the
 * image so a 150 px thumbnail and a 4K photo both read well.
 *
 * @example
 * const svg = annotationSvg(img, faces)
 */
export function annotationSvg(image: Pick<RgbImage, 'width' | 'height'>, faces: readonly DetectedFace[]): string {
  const unit = Math.max(1, Math.min(image.width, image.height) / 250);
  const parts = [`<svg xmlns="http://www.w3.org/2000/svg" width="${image.width}" height="${image.height}">`];
  for (const f of faces) {
    const [x1, y1, x2, y2] = f.box;
    parts.push(
      `<rect x="${x1}" y="${y1}" width="${x2 - x1}" height="${y2 - y1}" fill="none" stroke="#00e5ff" stroke-width="${1.5 * unit}"/>`,
      `<text x="${x1 + 2 * unit}" y="${Math.max(10 * unit, y1 - 3 * unit)}" font-family="sans-serif" font-size="${10 * unit}" fill="#00e5ff">${f.score.toFixed(2)}</text>`,
    );
    f.landmarks.forEach(([x, y], i) => {
      parts.push(`<circle cx="${x}" cy="${y}" r="${2 * unit}" fill="${LANDMARK_COLOURS[i] ?? '#ffffff'}" stroke="#000" stroke-width="${0.4 * unit}"/>`);
    });
  }
  parts.push('</svg>');
  return parts.join('');
}

/**
 * The image as PNG with the faces drawn on it (SVG overlay composited by sharp).
 *
 * @example
 * await writeFile('out.png', await annotateImage(img, faces))
 */
export async function annotateImage(image: RgbImage, faces: readonly DetectedFace[]): Promise<Buffer> {
  return sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .composite([{ input: Buffer.from(annotationSvg(image, faces)), left: 0, top: 0 }])
    .png()
    .toBuffer();
}

function uniqueName(file: string, used: Set<string>): string {
  const stem = basename(file, extname(file));
  let name = `${stem}.png`;
  for (let i = 2; used.has(name); i++) name = `${stem}-${i}.png`;
  used.add(name);
  return name;
}

/**
 * `arcface detect <image...>`: faces with box, score and five landmarks, as JSON; `--annotate DIR`
 * also writes each image as PNG with the faces drawn, for a person to check.
 *
 * @example
 * registerDetectCommand(program, ctx)
 */
export function registerDetectCommand(program: Command, ctx: CliContext): void {
  program
    .command('detect')
    .description('Detect faces (box, score, 5 landmarks in ArcFace order) in images or folders of images.')
    .argument('<image...>', 'image files or folders (walked recursively)')
    .option('-d, --detector <name|path>', 'face detector: registry name or known file', RECOGNIZER_DEFAULTS.detector)
    .addOption(new Option('-k, --kind <family>', 'decoding family of a model file the registry does not know').choices([...DETECTOR_KINDS]))
    .option('-a, --annotate <dir>', 'write <dir>/<name>.png with boxes and landmarks drawn')
    .option('--score-threshold <s>', "minimum face score (default: the detector's)", parseNumberOption('--score-threshold', 0, 1))
    .option('--min-face-size <px>', 'drop faces smaller than this (shorter side, pixels)', parseNumberOption('--min-face-size', 0, 1e6))
    .option('--max-faces <n>', 'keep at most this many faces per image, best first', parseIntOption('--max-faces', 1, 1e6))
    .option('--no-second-pass', 'do not retry (tiled, upscaled, rescue) when the first pass finds nothing')
    .option('--json', 'compact JSON for machines')
    .addHelpText(
      'after',
      '\nOutput: [{"file","width","height","faces":[{"box":[x1,y1,x2,y2],"score","landmarks":[[x,y]×5]}]}], pixels of the\n' +
        'EXIF-oriented image; landmarks: left eye, right eye, nose, left and right mouth corners (image left/right).\n' +
        'A file that cannot be read is reported as {"file","error":{"code","message"}} and the others go on.\n' +
        'Exit codes: 0 done, 1 usage, 2 a file was bad input, 3 model problem, 4 an image had no face.',
    )
    .action(async (images: string[], opts: DetectCommandOptions) => {
      ctx.json = opts.json === true;
      const files = await expandImageArgs(images, ctx);
      const spec: FaceDetectorSpec =
        opts.kind === undefined ? resolveDetectorSpec(opts.detector, ctx.locations) : { kind: opts.kind, modelPath: resolve(opts.detector) };
      await noticeLicence(ctx, opts.detector, typeof spec.modelPath === 'string' ? spec.modelPath : undefined);
      const detectOptions: DetectOptions = {
        ...(opts.scoreThreshold === undefined ? {} : { scoreThreshold: opts.scoreThreshold }),
        ...(opts.minFaceSize === undefined ? {} : { minFaceSize: opts.minFaceSize }),
        ...(opts.maxFaces === undefined ? {} : { maxFaces: opts.maxFaces }),
        secondPass: opts.secondPass,
      };
      if (opts.annotate !== undefined) await mkdir(opts.annotate, { recursive: true });
      const detector = await createFaceDetector(spec);
      const results: (DetectFileResult | FileFailure)[] = [];
      const used = new Set<string>();
      const outcomes = new FileOutcomes(ctx);
      try {
        for (const file of files) {
          let img: RgbImage;
          try {
            img = await decodeImageFile(file);
          } catch (err) {
            results.push(outcomes.failed(file, err));
            continue;
          }
          const faces = await detector.detect(img, detectOptions);
          outcomes.faces(faces.length);
          results.push({
            file,
            width: img.width,
            height: img.height,
            faces: faces.map((f) => ({ box: f.box.map(round1), score: Math.round(f.score * 1e4) / 1e4, landmarks: f.landmarks.map((p) => p.map(round1)) })),
          });
          if (opts.annotate !== undefined) await writeFile(join(opts.annotate, uniqueName(file, used)), await annotateImage(img, faces));
        }
      } finally {
        await detector.dispose();
      }
      printJson(ctx, results);
      outcomes.finish();
    });
}
