import { mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import type { Command } from 'commander';
import { ArcFaceError, isArcFaceError, redactUrl, type RgbImage } from '../../../src/core/index.js';
import type { Gallery } from '../../../src/gallery/index.js';
import { decodeImageFile, encodeJpeg, encodePng, IMAGE_EXTENSIONS } from '../../../src/image/index.js';
import { FaceRecognizer, RECOGNIZER_DEFAULTS } from '../../../src/pipeline/index.js';
import {
  ANONYMIZE_DEFAULTS,
  AnonymizeTally,
  anonymizePhoto,
  assertIdentitiesKnown,
  anonymizeVideo,
  COVER_STYLES,
  identitiesTagged,
  resolveAnonymizePolicy,
  type AnonymizeMode,
  type AnonymizePolicy,
  type CoverStyle,
} from '../../../src/privacy/index.js';
import { noticeLicence, printJson, type CliContext } from '../context.js';
import { openCommandGallery, recognizerFor } from '../gallery-open.js';
import { createProgress } from '../progress.js';
import { parseChoiceOption, parseIntOption, parseNumberOption } from './options.js';
import { onStopSignal } from '../stop-signals.js';

interface AnonymizeCliOptions {
  out: string;
  style: CoverStyle;
  pad: number;
  keep?: string;
  keepTag?: string;
  only?: string;
  gallery?: string;
  recognizer?: string;
  detector: string;
  threshold?: number;
  coverScore: number;
  lookAhead: number;
  hold: number;
  fps?: number;
  timeout?: number;
  json?: boolean;
}

/** `a,b , c` → `['a','b','c']`. */
function idList(flag: string, value: string): string[] {
  const ids = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (ids.length === 0)
    throw new ArcFaceError('INVALID_ARGUMENT', `Expected ${flag} as a comma-separated list of identity ids but received "${value.slice(0, 80)}"`);
  return ids;
}

/** The mode the flags ask for; at most one of --keep, --keep-tag and --only. */
function modeOf(o: AnonymizeCliOptions): AnonymizeMode {
  const given = [o.keep, o.keepTag, o.only].filter((x) => x !== undefined).length;
  if (given > 1) throw new ArcFaceError('INVALID_ARGUMENT', 'Expected at most one of --keep, --keep-tag and --only but received several');
  if (given === 1 && o.gallery === undefined)
    throw new ArcFaceError('INVALID_ARGUMENT', 'Expected --gallery with --keep, --keep-tag or --only (faces are named against it)');
  return o.only !== undefined ? 'only' : given === 1 ? 'keep' : 'all';
}

type InputKind = 'photo' | 'folder' | 'video';

/** The input as the report names it: a file's name, or a URL with its password hidden. */
function shownInput(input: string): string {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(input) ? redactUrl(input) : basename(input);
}

async function kindOf(input: string): Promise<InputKind> {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(input) || input.startsWith('/dev/')) return 'video';
  const s = await stat(input).catch(() => undefined);
  if (s?.isDirectory() === true) return 'folder';
  return IMAGE_EXTENSIONS.includes(extname(input).toLowerCase()) ? 'photo' : 'video';
}

/** Encodes by the output's extension: PNG for `.png`, else JPEG (quality 92). */
async function encodeFor(path: string, image: RgbImage): Promise<Uint8Array> {
  const ext = extname(path).toLowerCase();
  if (ext === '.png') return encodePng(image);
  if (ext === '.jpg' || ext === '.jpeg') return encodeJpeg(image, 92);
  throw new ArcFaceError('INVALID_ARGUMENT', `Expected an output photo ending in .jpg, .jpeg or .png but received ${path}`);
}

/**
 * `arcface anonymize <photo|folder|video|stream> --out …`: faces covered (blur, pixelate, fill), all of
 * them, all but consenting identities, or only listed ones; a JSON report of what was covered and kept.
 *
 * @example
 * registerAnonymizeCommand(program, ctx)
 */
export function registerAnonymizeCommand(program: Command, ctx: CliContext): void {
  const d = ANONYMIZE_DEFAULTS;
  program
    .command('anonymize')
    .description('Cover faces in a photo, a folder of photos, a video file or a stream: every face, all but consenting identities, or only listed ones.')
    .argument('<input>', 'photo, folder of photos, video file, stream URL or V4L2 device')
    .requiredOption('-o, --out <path>', 'output photo (.jpg/.png), folder (for a folder of photos) or video (.mp4, .mkv, .mov, .avi, .webm)')
    .option('--style <blur|pixelate|fill>', 'how faces are covered', parseChoiceOption('--style', COVER_STYLES), d.style)
    .option('--pad <share>', 'grow each face box by this share of its size on every side', parseNumberOption('--pad', 0, 4), d.pad)
    .option('--keep <ids>', 'leave visible the faces confidently named as one of these identities (consent); needs --gallery')
    .option('--keep-tag <tag>', 'as --keep, for the gallery identities whose metadata "tags" hold this tag')
    .option('--only <ids>', 'cover only the faces named as one of these identities; needs --gallery')
    .option('-g, --gallery <path|postgres://url>', 'name faces with the identities of this gallery (must exist)')
    .option('-r, --recognizer <name|path>', `recogniser (default: the gallery's, else ${RECOGNIZER_DEFAULTS.recognizer})`)
    .option('-d, --detector <name|path>', 'face detector: registry name or known file', RECOGNIZER_DEFAULTS.detector)
    .option(
      '-t, --threshold <cosine>',
      "cosine for a known identity (default: the gallery's identification threshold)",
      parseNumberOption('--threshold', -1, 1),
    )
    .option('--cover-score <score>', 'detector score from which a face is covered', parseNumberOption('--cover-score', 0, 1), d.coverScore)
    .option('--look-ahead <frames>', 'video: frames held back so a face found late is covered before', parseIntOption('--look-ahead', 0, 250), d.lookAhead)
    .option('--hold <frames>', 'video: frames a lost face stays covered', parseIntOption('--hold', 0, 250), d.hold)
    .option('--fps <n>', 'video: sample the source at this frame rate', parseNumberOption('--fps', 0.1, 240))
    .option('--timeout <seconds>', 'stream: give up when no frame comes for this long', parseNumberOption('--timeout', 0.1, 3600))
    .option('--json', 'compact JSON, no progress bar')
    .addHelpText(
      'after',
      '\nOutput: the anonymised photo(s) or video, and on stdout a JSON report: frames, faces covered (and how many without a\n' +
        'detection in that frame: predicted, look-ahead, held), faces kept visible per identity and why. In --keep mode a face\n' +
        'stays visible only in frames where its track is detected, its name is not withheld ("?") and names a consenting identity.',
    )
    .action(async (input: string, o: AnonymizeCliOptions) => {
      ctx.json = o.json === true;
      const mode = modeOf(o);
      const kind = await kindOf(input);
      const recognizer = o.gallery === undefined ? (o.recognizer ?? RECOGNIZER_DEFAULTS.recognizer) : await recognizerFor(o.gallery, o.recognizer);
      await noticeLicence(ctx, recognizer);
      const fr = await FaceRecognizer.create({ locations: ctx.locations, recognizer, detector: o.detector });
      let gallery: Gallery | undefined;
      try {
        if (o.gallery !== undefined) {
          gallery = await openCommandGallery(ctx, o.gallery, 'existing', {
            fingerprint: fr.fingerprint,
            embeddingSize: fr.embeddingSize,
            ...(fr.threshold === undefined ? {} : { threshold: fr.threshold }),
          });
        }
        const ids =
          mode === 'all'
            ? []
            : o.keepTag !== undefined
              ? await identitiesTagged(gallery as Gallery, o.keepTag)
              : idList(mode === 'only' ? '--only' : '--keep', o.only ?? o.keep ?? '');
        if (gallery !== undefined && o.keepTag === undefined) await assertIdentitiesKnown(gallery, ids);
        const policy = resolveAnonymizePolicy({ mode, ids, style: o.style, pad: o.pad, coverScore: o.coverScore, lookAhead: o.lookAhead, hold: o.hold });
        const common = {
          ...policy,
          recognizer: fr,
          ...(gallery === undefined ? {} : { gallery }),
          ...(o.threshold === undefined ? {} : { threshold: o.threshold }),
        };
        if (kind === 'video') {
          await anonymizeStream(ctx, input, o, policy, common);
          return;
        }
        printJson(ctx, { input: shownInput(input), output: o.out, kind, ...(await anonymizePhotos(kind, input, o.out, policy, common)) });
      } finally {
        await gallery?.close();
        await fr.dispose();
      }
    });
}

/**
 * A video, stream or camera. Ctrl-C or SIGTERM ends a stream or camera cleanly; a source that fails mid-way (a
 * truncated file, a stream that ends) still has the frames so far written, and the report names the
 * error, which then sets the exit code (as `arcface watch`).
 */
async function anonymizeStream(
  ctx: CliContext,
  input: string,
  o: AnonymizeCliOptions,
  policy: AnonymizePolicy,
  options: Parameters<typeof anonymizePhoto>[1],
): Promise<void> {
  const progress = createProgress({ label: 'frames', stream: ctx.stderr, silent: ctx.json });
  const abort = new AbortController();
  const offStop = onStopSignal(() => abort.abort());
  const tally = new AnonymizeTally(policy);
  const started = performance.now();
  let failure: unknown;
  try {
    await anonymizeVideo(input, {
      ...options,
      output: o.out,
      signal: abort.signal,
      source: {
        ...(o.fps === undefined ? {} : { fps: o.fps }),
        ...(o.timeout === undefined ? {} : { openTimeoutMs: o.timeout * 1000, readTimeoutMs: o.timeout * 1000 }),
      },
      onFrame: (f) => {
        tally.add(f, f.undetected);
        progress.tick();
      },
    });
  } catch (err) {
    failure = err;
  } finally {
    offStop();
    progress.done();
  }
  const report = tally.report((performance.now() - started) / 1000);
  // A source that never gave a frame (missing, refused, not a video) is a plain error.
  if (failure !== undefined && report.frames === 0) throw failure;
  const error = isArcFaceError(failure) ? { error: failure.toJSON() } : {};
  printJson(ctx, { input: shownInput(input), output: o.out, kind: 'video', ...report, interrupted: abort.signal.aborted, ...error });
  if (failure !== undefined) throw failure;
}

/** A photo, or each photo of a folder (not recursive) into the output folder under its own name. */
async function anonymizePhotos(
  kind: 'photo' | 'folder',
  input: string,
  out: string,
  policy: AnonymizePolicy,
  options: Parameters<typeof anonymizePhoto>[1],
): Promise<object> {
  const started = performance.now();
  const tally = new AnonymizeTally(policy);
  const files: { file: string; covered: number; kept: number }[] = [];
  const one = async (from: string, to: string): Promise<void> => {
    const r = await anonymizePhoto(await decodeImageFile(from), options);
    await writeFile(to, await encodeFor(to, r.image));
    tally.add(r);
    files.push({ file: basename(from), covered: r.covered.length, kept: r.kept.length });
  };
  if (kind === 'photo') {
    await one(input, out);
  } else {
    await mkdir(out, { recursive: true });
    const names = (await readdir(input)).filter((n) => IMAGE_EXTENSIONS.includes(extname(n).toLowerCase())).sort();
    if (names.length === 0)
      throw new ArcFaceError('INVALID_ARGUMENT', `Expected photos (${IMAGE_EXTENSIONS.join(', ')}) in the folder ${input} but found none`);
    for (const n of names) {
      const ext = extname(n).toLowerCase();
      await one(join(input, n), join(out, ext === '.png' || ext === '.jpg' || ext === '.jpeg' ? n : `${basename(n, extname(n))}.jpg`));
    }
  }
  return { ...tally.report((performance.now() - started) / 1000), files };
}
