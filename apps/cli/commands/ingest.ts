import type { Command } from 'commander';
import { ArcFaceError, isArcFaceError, redactUrl } from '../../../src/core/index.js';
import { enrolPeople, scanPeopleFolder, type EnrolFaceChoice, type PeopleFolderScan } from '../../../src/ingest/index.js';
import type { Gallery } from '../../../src/gallery/index.js';
import { FaceRecognizer, RECOGNIZER_DEFAULTS } from '../../../src/pipeline/index.js';
import type { ExecutionProvider } from '../../../src/runtime/index.js';
import {
  connectRedis, ENROL_QUEUE_DEFAULTS, ENROL_WORKER_DEFAULTS, enqueuePeople, readQueueStatus, retryDeadLetters, startEnrolWorker, type WorkerEvent,
} from '../../worker/index.js';
import { EXIT, noticeLicence, printJson, type CliContext } from '../context.js';
import { FileOutcomes } from '../file-outcomes.js';
import { galleryLocation, recognizerFor, withModelGallery } from '../gallery-open.js';
import { createProgress } from '../progress.js';
import { parseChoiceOption, parseIntOption } from './options.js';

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
      locations: ctx.locations, recognizer, detector: o.detector, batchSize: o.batch,
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

/** Opens the recogniser and the gallery (created when absent) of a bulk command, runs `fn`, releases both. */
async function withBulkModel<T>(ctx: CliContext, o: BulkModelOptions, fn: (fr: FaceRecognizer, g: Gallery) => Promise<T>): Promise<T> {
  const where = galleryLocation(ctx, o.gallery);
  const recognizer = await recognizerFor(where, o.recognizer);
  await noticeLicence(ctx, recognizer);
  const fr = await loadRecognizer(ctx, o, recognizer);
  return withModelGallery(ctx, where, 'create', fr, (f) => f.threshold, (g) => fn(fr, g));
}

/** Reports refused folders and stray files of a scan on stderr. */
function reportScan(ctx: CliContext, scan: PeopleFolderScan): void {
  for (const r of scan.refused) ctx.stderr.write(ctx.json ? `${JSON.stringify({ folder: r.folder, code: r.code, message: r.message })}\n` : `arcface: ${r.folder}: ${r.code}: ${r.message}\n`);
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
  ctx: CliContext, dir: string, o: BulkModelOptions & { queue?: string; queueName: string; select: EnrolFaceChoice },
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

/**
 * `arcface worker` and `arcface jobs status | retry`.
 *
 * @example
 * registerIngestCommands(program, ctx)
 */
export function registerIngestCommands(program: Command, ctx: CliContext): void {
  withBulkModelOptions(program.command('worker'))
    .description('Enrol the photos queued by `arcface enroll --people --queue` into a gallery; run one or more on any machine that sees the photos.')
    .requiredOption('--queue <redis://host:port>', 'Redis holding the queue')
    .option('--queue-name <name>', 'queue name', ENROL_QUEUE_DEFAULTS.name)
    .option('-g, --gallery <path|postgres://url>', 'gallery to enrol into (default $ARCFACE_GALLERY, else gallery.db in ARCFACE_HOME); PostgreSQL for several machines')
    .option('-c, --concurrency <n>', 'jobs in flight at once', parseIntOption('--concurrency', 1, 256), ENROL_WORKER_DEFAULTS.concurrency)
    .option('--lock-duration <ms>', "a job's lock: a killed worker's jobs return to the queue after it", parseIntOption('--lock-duration', 500, 3_600_000), ENROL_WORKER_DEFAULTS.lockDurationMs)
    .option('--stalled-interval <ms>', 'how often to look for jobs of killed workers', parseIntOption('--stalled-interval', 200, 3_600_000), ENROL_WORKER_DEFAULTS.stalledIntervalMs)
    .option('--json', 'one JSON line per job on stderr')
    .addHelpText('after', '\nRuns until SIGTERM or SIGINT, then finishes the jobs in flight and exits 0. Prints "ready" (or {"event":"ready"}) on stderr once it takes jobs.')
    .action(async (o: BulkModelOptions & { queue: string; queueName: string; concurrency: number; lockDuration: number; stalledInterval: number }) => {
      ctx.json = o.json === true;
      await withBulkModel(ctx, o, async (fr, g) => {
        const log = (e: WorkerEvent | { event: 'ready' | 'stopping' | 'stopped' }): void => {
          const text = 'jobId' in e ? `${e.event} ${e.identityId ?? ''} ${e.file ?? ''}${e.reason === undefined ? '' : `: ${e.reason}`}` : e.event;
          ctx.stderr.write(ctx.json ? `${JSON.stringify(e)}\n` : `arcface worker: ${text}\n`);
        };
        const worker = await startEnrolWorker({
          redisUrl: o.queue, queueName: o.queueName, gallery: g, recognizer: fr, concurrency: o.concurrency, batchSize: o.batch,
          lockDurationMs: o.lockDuration, stalledIntervalMs: o.stalledInterval, onEvent: log,
        });
        log({ event: 'ready' });
        await new Promise<void>((resolve) => {
          const stop = (): void => {
            process.off('SIGTERM', stop);
            process.off('SIGINT', stop);
            log({ event: 'stopping' });
            resolve();
          };
          process.on('SIGTERM', stop);
          process.on('SIGINT', stop);
        });
        await worker.close();
        log({ event: 'stopped' });
      });
    });

  const jobs = program.command('jobs').description('Progress and dead letters of the enrolment queue.');
  jobs
    .command('status')
    .description('Job counts, progress of each queued batch, and dead letters with their reasons.')
    .requiredOption('--queue <redis://host:port>', 'Redis holding the queue')
    .option('--queue-name <name>', 'queue name', ENROL_QUEUE_DEFAULTS.name)
    .option('--dead <n>', 'dead letters listed (newest first)', parseIntOption('--dead', 0, 10_000), 20)
    .option('--json', 'compact JSON for machines')
    .addHelpText(
      'after',
      '\nOutput: {"queue","counts":{waiting,active,completed,failed,delayed,…},"enrolled","batches":[{batch,root,total,done,dead,pending}],' +
        '"deadLetters":[{jobId,identityId,file,code,reason,attempts}]}.',
    )
    .action(async (o: { queue: string; queueName: string; dead: number; json?: boolean }) => {
      ctx.json = o.json === true;
      const redis = await connectRedis(o.queue);
      try {
        printJson(ctx, await readQueueStatus(redis, o.queueName, o.dead));
      } finally {
        redis.disconnect();
      }
    });
  jobs
    .command('retry')
    .description('Send every dead letter back to the queue (after fixing the photos).')
    .requiredOption('--queue <redis://host:port>', 'Redis holding the queue')
    .option('--queue-name <name>', 'queue name', ENROL_QUEUE_DEFAULTS.name)
    .option('--json', 'compact JSON for machines')
    .action(async (o: { queue: string; queueName: string; json?: boolean }) => {
      ctx.json = o.json === true;
      const redis = await connectRedis(o.queue);
      try {
        printJson(ctx, { retried: await retryDeadLetters(redis, o.queueName) });
      } finally {
        redis.disconnect();
      }
    });
}
