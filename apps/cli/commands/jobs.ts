import type { Command } from 'commander';
import { connectRedis, ENROL_QUEUE_DEFAULTS, readQueueStatus, retryDeadLetters } from '../../worker/index.js';
import { printJson, type CliContext } from '../context.js';
import { parseIntOption } from './options.js';

/**
 * `arcface jobs status | retry`: progress and dead letters of the enrolment queue.
 *
 * @example
 * registerJobsCommands(program, ctx)
 */
export function registerJobsCommands(program: Command, ctx: CliContext): void {
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
