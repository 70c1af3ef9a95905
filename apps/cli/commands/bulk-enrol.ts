import type { Command } from 'commander';
import { ArcFaceError, isArcFaceError, redactUrl } from '../../../src/core/index.js';
import { enrolPeople, scanPeopleFolder, type EnrolFaceChoice, type PeopleFolderScan } from '../../../src/ingest/index.js';
import type { Gallery } from '../../../src/gallery/index.js';
import { FaceRecognizer, RECOGNIZER_DEFAULTS } from '../../../src/pipeline/index.js';
import type { ExecutionProvider } from '../../../src/runtime/index.js';
import { connectRedis, ENROL_WORKER_DEFAULTS, enqueuePeople } from '../../worker/index.js';
import { EXIT, noticeLicence, printJson, type CliContext } from '../context.js';
import { FileOutcomes } from '../file-outcomes.js';
import { galleryLocation, recognizerFor, withModelGallery } from '../gallery-open.js';
import { createProgress } from '../progress.js';
import { parseChoiceOption, parseIntOption } from './options.js';

/**
 * Bulk enrolment from the command line (`enroll --people`, here or queued, and `worker`): their model
 * and runtime options and the run of `enroll --people`.
 */

/** Model and runtime options of the commands that embed photos in bulk (`enroll --people`, `worker`). */
export interface BulkModelOptions {
  gallery?: string;
  recognizer?: string;
  detector: string;
  provider: 'cpu' | 'cuda' | 'auto';
  threads?: number;
  batch: number;
  json?: boolean;
}

/**
 * Adds `--recognizer`, `--detector`, `--provider`, `--threads` and `--batch` to a bulk command.
 *
 * @example
 * withBulkModelOptions(program.command('worker'))
 */
export function withBulkModelOptions(cmd: Command): Command {
  return withBulkRuntimeOptions(
    cmd
      .option('-r, --recognizer <name|path>', `recogniser (default: the gallery's recorded model, else ${RECOGNIZER_DEFAULTS.recognizer})`)
      .option('-d, --detector <name|path>', 'face detector: registry name or known file', RECOGNIZER_DEFAULTS.detector),
  );
}

/**
 * Adds `--provider`, `--threads` and `--batch` (a command that already has the model options).
 *
 * @example
 * withBulkRuntimeOptions(program.command('enroll'))
 */
export function withBulkRuntimeOptions(cmd: Command): Command {
  return cmd
    .option(
      '--provider <cpu|cuda|auto>',
      'execution provider: cuda needs the CUDA build of onnxruntime-node (README, "Runtime options"); auto takes cuda where it loads, else cpu',
      parseChoiceOption('--provider', ['cpu', 'cuda', 'auto'] as const),
      'cpu',
    )
    .option('--threads <n>', 'onnxruntime threads per model (default: every core)', parseIntOption('--threads', 1, 256))
    .option('--batch <n>', 'photos embedded per model call', parseIntOption('--batch', 1, 256), ENROL_WORKER_DEFAULTS.batchSize);
}

/** Loads the recogniser for a bulk command; `auto` falls back to the CPU when CUDA does not load. */
async function loadRecognizer(ctx: CliContext, o: BulkModelOptions, recognizer: string): Promise<FaceRecognizer> {
  const make = (providers: ExecutionProvider[]) =>
    FaceRecognizer.create({
      locations: ctx.locations,
      recognizer,
      detector: o.detector,
      batchSize: o.batch,
      runtime: { executionProviders: providers, ...(o.threads === undefined ? {} : { intraOpThreads: o.threads }) },
    });
  if (o.provider !== 'auto') return make([o.provider]);
  try {
    return await make(['cuda']);
  } catch (e) {
    if (!isArcFaceError(e, 'MODEL_INVALID') || !/CUDA/.test(e.message)) throw e;
    if (!ctx.json) ctx.stderr.write('arcface: CUDA is not available here; running on the CPU\n');
    return make(['cpu']);
  }
}

/**
 * Opens the recogniser and the gallery (created when absent) of a bulk command, runs `fn`, releases both.
 *
 * @example
 * await withBulkModel(ctx, o, async (fr, g) => enrolPeople(g, fr, scan))
 */
export async function withBulkModel<T>(ctx: CliContext, o: BulkModelOptions, fn: (fr: FaceRecognizer, g: Gallery) => Promise<T>): Promise<T> {
  const where = galleryLocation(ctx, o.gallery);
  const recognizer = await recognizerFor(where, o.recognizer);
  await noticeLicence(ctx, recognizer);
  const fr = await loadRecognizer(ctx, o, recognizer);
  return withModelGallery(
    ctx,
    where,
    'create',
    fr,
    (f) => f.threshold,
    (g) => fn(fr, g),
  );
}

/** Reports refused folders and stray files of a scan on stderr. */
function reportScan(ctx: CliContext, scan: PeopleFolderScan): void {
  for (const r of scan.refused)
    ctx.stderr.write(
      ctx.json ? `${JSON.stringify({ folder: r.folder, code: r.code, message: r.message })}\n` : `arcface: ${r.folder}: ${r.code}: ${r.message}\n`,
    );
  for (const f of scan.strayFiles) {
    const line = `${f} is not in a person folder (DIR/Name/photo.jpg): not enrolled`;
    ctx.stderr.write(ctx.json ? `${JSON.stringify({ notice: 'STRAY_FILE', file: f })}\n` : `arcface: ${line}\n`);
  }
}

/** The many-file exit code rule, with a refused folder counting as bad input (2) unless a photo already set a worse code. */
function finish(ctx: CliContext, outcomes: FileOutcomes, scan: PeopleFolderScan): void {
  outcomes.finish();
  if (scan.refused.length > 0 && (ctx.exitCode === undefined || ctx.exitCode === EXIT.noFace)) ctx.exitCode = EXIT.badInput;
}

/**
 * `arcface enroll --people DIR [--queue redis://…]`: one identity per sub-folder, enrolled here with a
 * progress bar, or queued for `arcface worker`.
 *
 * @example
 * await runEnrolPeople(ctx, 'lfw', { detector: 'yunet-n', provider: 'cpu', batch: 8 })
 */
export async function runEnrolPeople(
  ctx: CliContext,
  dir: string,
  o: BulkModelOptions & { queue?: string; queueName: string; select: EnrolFaceChoice },
): Promise<void> {
  ctx.json = o.json === true;
  const scan = await scanPeopleFolder(dir);
  const images = scan.people.reduce((n, p) => n + p.files.length, 0);
  const outcomes = new FileOutcomes(ctx);
  reportScan(ctx, scan);
  const refused = scan.refused.map((r) => ({ folder: r.folder, code: r.code }));
  if (o.queue !== undefined) {
    const redis = await connectRedis(o.queue);
    try {
      const bar = createProgress({ total: images, label: 'hashing and queueing', stream: ctx.stderr, silent: ctx.json });
      const s = await enqueuePeople(redis, o.queueName, scan, () => bar.tick());
      bar.done();
      for (const u of s.unreadable) outcomes.failed(u.file, new ArcFaceError(u.code as 'FILE_NOT_FOUND', u.message));
      printJson(ctx, { ...s, unreadable: s.unreadable.map((u) => ({ file: u.file, code: u.code })), refused, queueUrl: redactUrl(o.queue) });
    } finally {
      redis.disconnect();
    }
    finish(ctx, outcomes, scan);
    return;
  }
  await withBulkModel(ctx, o, async (fr, g) => {
    const bar = createProgress({ total: images, label: 'enrolling', stream: ctx.stderr, silent: ctx.json });
    const summary = await enrolPeople(g, fr, scan.people, { batchSize: o.batch, face: o.select, onImage: () => bar.tick() });
    bar.done();
    for (const s of summary.skipped) {
      if (s.code === 'NO_FACE') outcomes.faces(0);
      else outcomes.failed(s.file, new ArcFaceError(s.code ?? 'INTERNAL', s.message ?? ''));
    }
    printJson(ctx, { ...summary, skipped: summary.skipped.map((s) => ({ file: s.file, identity: s.identityId, code: s.code })), refused });
  });
  finish(ctx, outcomes, scan);
}
