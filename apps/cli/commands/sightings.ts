import { InvalidArgumentError, type Command } from 'commander';
import { FaceRecognizer } from '../../../src/pipeline/index.js';
import { Sightings, type Sighting, type SightingFilter } from '../../../src/sightings/index.js';
import { noticeLicence, printJson, type CliContext } from '../context.js';
import { galleryLocation, openCommandGallery, recognizerFor, withModelGallery } from '../gallery-open.js';
import { parseIntOption } from './options.js';

interface SightingsCliOptions {
  gallery?: string;
  json?: boolean;
}
interface FilterCliOptions extends SightingsCliOptions {
  source?: string;
  unknown?: boolean;
  since?: number;
  until?: number;
  limit?: number;
}

const UNITS: Readonly<Record<string, number>> = Object.freeze({ s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 });

/** `--since 2h` (a duration back from now: s, m, h, d) or an ISO date, to milliseconds since the epoch. */
function parseTime(name: string): (value: string) => number {
  return (value: string): number => {
    const m = /^(\d{1,6})([smhd])$/.exec(value.trim());
    if (m !== null) return Date.now() - Number(m[1]) * (UNITS[m[2] as string] as number);
    const t = Date.parse(value);
    if (Number.isNaN(t)) throw new InvalidArgumentError(`Expected ${name} as a duration back from now (30m, 2h, 7d) or an ISO date but received "${value}"`);
    return t;
  };
}

/** A sighting as the CLI prints it. */
const sightingJson = (s: Sighting): Record<string, unknown> => ({
  sighting: s.sightingId,
  source: s.source,
  at: new Date(s.seenAt).toISOString(),
  identity: s.identity,
  score: Math.round(s.score * 1000) / 1000,
  decidedBy: s.decidedBy,
  visitor: s.visitorId === null ? null : `visitor-${s.visitorId}`,
  faces: s.faceCount,
  learnable: s.learnableCount,
  quality: Math.round(s.quality * 1000) / 1000,
});

function filterOf(o: FilterCliOptions): SightingFilter {
  return {
    ...(o.source === undefined ? {} : { source: o.source }),
    ...(o.unknown === true ? { unknownOnly: true } : {}),
    ...(o.since === undefined ? {} : { since: o.since }),
    ...(o.until === undefined ? {} : { until: o.until }),
    ...(o.limit === undefined ? {} : { limit: o.limit }),
  };
}

/** `sighting id` or `visitor-N` to a teach target. */
function targetOf(text: string): { sightingId: number } | { visitorId: number } {
  const v = /^visitor-(\d{1,15})$/.exec(text);
  if (v !== null) return { visitorId: Number(v[1]) };
  return { sightingId: parseIntOption('<sighting>', 1, Number.MAX_SAFE_INTEGER)(text) };
}

/** Sightings over the stored gallery, without models (listing). */
async function withStored<T>(ctx: CliContext, o: SightingsCliOptions, fn: (s: Sightings) => Promise<T>): Promise<T> {
  ctx.json = o.json === true;
  const g = await openCommandGallery(ctx, galleryLocation(ctx, o.gallery), 'existing', {});
  try {
    const s = await Sightings.open(g);
    try {
      return await fn(s);
    } finally {
      await s.close();
    }
  } finally {
    await g.close();
  }
}

/** Sightings over the gallery opened with its recogniser's threshold (commands that decide). */
async function withDeciding<T>(ctx: CliContext, o: SightingsCliOptions, fn: (s: Sightings) => Promise<T>): Promise<T> {
  ctx.json = o.json === true;
  const where = galleryLocation(ctx, o.gallery);
  const recognizer = await recognizerFor(where, undefined);
  await noticeLicence(ctx, recognizer);
  const fr = await FaceRecognizer.create({ locations: ctx.locations, recognizer });
  return withModelGallery(
    ctx,
    where,
    'existing',
    fr,
    (f) => f.threshold,
    async (g) => {
      const s = await Sightings.open(g);
      try {
        return await fn(s);
      } finally {
        await s.close();
      }
    },
  );
}

/**
 * `arcface sightings list | show | visitors | teach | reject | reprocess | prune`: the faces that
 * streams, video jobs and `watch` saw, and the loop that teaches the gallery from them.
 *
 * @example
 * registerSightingsCommands(program, ctx)
 */
export function registerSightingsCommands(program: Command, ctx: CliContext): void {
  const sightings = program
    .command('sightings')
    .description('Recent faces seen by streams, video jobs and `watch`: list them, name them ("this is X"), reject false matches ("not X").');
  const manage = (cmd: Command): Command => cmd.option('-g, --gallery <path|postgres://url>', 'gallery').option('--json', 'compact JSON for machines');
  const filtered = (cmd: Command): Command =>
    manage(cmd)
      .option('--source <name>', 'only this source (a stream name, video:<job>, a watched file)')
      .option('--unknown', 'only unknown faces')
      .option('--since <time>', 'only since this (30m, 2h, 7d, or an ISO date)', parseTime('--since'))
      .option('--until <time>', 'only until this', parseTime('--until'))
      .option('--limit <n>', 'at most this many, newest first (default 100)', parseIntOption('--limit', 1, 100_000));
  filtered(sightings.command('list'))
    .description('Sightings, newest first: source, time, identity and score, visitor, faces.')
    .action(async (o: FilterCliOptions) => {
      await withStored(ctx, o, async (s) => printJson(ctx, (await s.list(filterOf(o))).map(sightingJson)));
    });
  manage(sightings.command('show'))
    .description('One sighting with the quality of each of its faces.')
    .argument('<sighting>')
    .action(async (id: string, o: SightingsCliOptions) => {
      await withStored(ctx, o, async (s) => printJson(ctx, await s.details(parseIntOption('<sighting>', 1, Number.MAX_SAFE_INTEGER)(id))));
    });
  manage(sightings.command('visitors'))
    .description('Unknown people seen more than once are one visitor (visitor-N), across sources and restarts.')
    .action(async (o: SightingsCliOptions) => {
      await withStored(ctx, o, async (s) =>
        printJson(
          ctx,
          (await s.visitors()).map((v) => ({
            visitor: v.label,
            identity: v.identity,
            sightings: v.sightings,
            sources: v.sources,
            seen: new Date(v.seenAt).toISOString(),
          })),
        ),
      );
    });
  manage(sightings.command('teach'))
    .description('"This is X": enrol the good faces of a sighting or a visitor into identity X (created when new).')
    .argument('<target>', 'sighting id or visitor-N')
    .argument('<identity>', 'identity id')
    .option('-n, --name <name>', 'display name of a new identity')
    .option('--include-low-quality', 'also enrol faces below the quality limits (tiny, blurred, turned away)')
    .action(async (target: string, identity: string, o: SightingsCliOptions & { name?: string; includeLowQuality?: boolean }) => {
      const t = targetOf(target);
      await withDeciding(ctx, o, async (s) =>
        printJson(
          ctx,
          await s.teach(t, { id: identity, ...(o.name === undefined ? {} : { name: o.name }) }, { includeLowQuality: o.includeLowQuality === true }),
        ),
      );
    });
  manage(sightings.command('reject'))
    .description('"Not X": the sighting is not the identity it names; look-alikes closer to it than to X are turned away from X.')
    .argument('<sighting>')
    .argument('[identity]', 'the identity it is not (default: the one it names)')
    .action(async (id: string, identity: string | undefined, o: SightingsCliOptions) => {
      const n = parseIntOption('<sighting>', 1, Number.MAX_SAFE_INTEGER)(id);
      await withDeciding(ctx, o, async (s) => {
        const r = await s.reject(n, identity);
        printJson(ctx, { ...r, sighting: sightingJson(r.sighting) });
      });
    });
  filtered(sightings.command('reprocess'))
    .description('Re-decide recent sightings against the gallery as it is now (after enrolments or removals).')
    .action(async (o: FilterCliOptions) => {
      await withDeciding(ctx, o, async (s) => printJson(ctx, await s.reprocess(filterOf(o))));
    });
  manage(sightings.command('prune'))
    .description('Apply the retention policy (age and count per source) now.')
    .option('--max-age-days <days>', 'delete sightings older than this', parseIntOption('--max-age-days', 0, 36_500))
    .option('--max-per-source <n>', 'keep at most this many per source', parseIntOption('--max-per-source', 1, 10_000_000))
    .action(async (o: SightingsCliOptions & { maxAgeDays?: number; maxPerSource?: number }) => {
      ctx.json = o.json === true;
      const g = await openCommandGallery(ctx, galleryLocation(ctx, o.gallery), 'existing', {});
      try {
        const s = await Sightings.open(g, {
          ...(o.maxAgeDays === undefined ? {} : { maxAgeDays: o.maxAgeDays }),
          ...(o.maxPerSource === undefined ? {} : { maxPerSource: o.maxPerSource }),
        });
        try {
          printJson(ctx, { deleted: await s.prune() });
        } finally {
          await s.close();
        }
      } finally {
        await g.close();
      }
    });
}
