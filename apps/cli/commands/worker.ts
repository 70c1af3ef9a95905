import type { Command } from 'commander';
import { ENROL_QUEUE_DEFAULTS, ENROL_WORKER_DEFAULTS, startEnrolWorker, type WorkerEvent } from '../../worker/index.js';
import type { CliContext } from '../context.js';
import { type BulkModelOptions, withBulkModel, withBulkModelOptions } from './bulk-enrol.js';
import { parseIntOption } from './options.js';
import { onStopSignal } from '../stop-signals.js';

/**
 * `arcface worker`: enrols the photos queued by `enroll --people --queue`.
 *
 * @example
 * registerWorkerCommand(program, ctx)
 */
export function registerWorkerCommand(program: Command, ctx: CliContext): void {
  withBulkModelOptions(program.command('worker'))
    .description('Enrol the photos queued by `arcface enroll --people --queue` into a gallery; run one or more on any machine that sees the photos.')
    .requiredOption('--queue <redis://host:port>', 'Redis holding the queue')
    .option('--queue-name <name>', 'queue name', ENROL_QUEUE_DEFAULTS.name)
    .option(
      '-g, --gallery <path|postgres://url>',
      'gallery to enrol into (default $ARCFACE_GALLERY, else gallery.db in ARCFACE_HOME); PostgreSQL for several machines',
    )
    .option('-c, --concurrency <n>', 'jobs in flight at once', parseIntOption('--concurrency', 1, 256), ENROL_WORKER_DEFAULTS.concurrency)
    .option(
      '--lock-duration <ms>',
      "a job's lock: a killed worker's jobs return to the queue after it",
      parseIntOption('--lock-duration', 500, 3_600_000),
      ENROL_WORKER_DEFAULTS.lockDurationMs,
    )
    .option(
      '--stalled-interval <ms>',
      'how often to look for jobs of killed workers',
      parseIntOption('--stalled-interval', 200, 3_600_000),
      ENROL_WORKER_DEFAULTS.stalledIntervalMs,
    )
    .option('--json', 'one JSON line per job on stderr')
    .addHelpText(
      'after',
      '\nRuns until SIGTERM or SIGINT, then finishes the jobs in flight and exits 0. Prints "ready" (or {"event":"ready"}) on stderr once it takes jobs.',
    )
    .action(async (o: BulkModelOptions & { queue: string; queueName: string; concurrency: number; lockDuration: number; stalledInterval: number }) => {
      ctx.json = o.json === true;
      await withBulkModel(ctx, o, async (fr, g) => {
        const log = (e: WorkerEvent | { event: 'ready' | 'stopping' | 'stopped' }): void => {
          const text = 'jobId' in e ? `${e.event} ${e.identityId ?? ''} ${e.file ?? ''}${e.reason === undefined ? '' : `: ${e.reason}`}` : e.event;
          ctx.stderr.write(ctx.json ? `${JSON.stringify(e)}\n` : `arcface worker: ${text}\n`);
        };
        const worker = await startEnrolWorker({
          redisUrl: o.queue,
          queueName: o.queueName,
          gallery: g,
          recognizer: fr,
          concurrency: o.concurrency,
          batchSize: o.batch,
          lockDurationMs: o.lockDuration,
          stalledIntervalMs: o.stalledInterval,
          onEvent: log,
        });
        log({ event: 'ready' });
        await new Promise<void>((resolve) =>
          onStopSignal(() => {
            log({ event: 'stopping' });
            resolve();
          }),
        );
        await worker.close();
        log({ event: 'stopped' });
      });
    });
}
