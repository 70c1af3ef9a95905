import type { Command } from 'commander';
import { ArcFaceError, ERROR_CODES } from '../../../src/core/index.js';
import {
  addModel,
  findKnownModel,
  KNOWN_MODELS,
  licenceNoticeOnce,
  listModels,
  pullModel,
  verifyModels,
  type FetchLike,
  type ModelListing,
  type PullProgress,
  type VerifiedModel,
} from '../../../src/models/index.js';
import { printJson, reportError, type CliContext } from '../context.js';
import { createProgress, type Progress } from '../progress.js';
import { onStopSignal } from '../stop-signals.js';

/** Test seam: the `fetch` used by `models pull` (the global one by default). */
export interface ModelsCommandOptions {
  readonly fetch?: FetchLike;
}

interface JsonFlag {
  json?: boolean;
}

function sizeText(bytes: number | undefined): string {
  if (bytes === undefined) return '-';
  return bytes >= 1024 * 1024 ? `${(bytes / (1024 * 1024)).toFixed(1)} MB` : `${(bytes / 1024).toFixed(0)} KB`;
}

function table(rows: readonly (readonly string[])[]): string {
  const widths = (rows[0] ?? []).map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c] ?? 0))).join('  ')).join('\n');
}

function noticeOnce(ctx: CliContext, name: string | undefined): void {
  if (name === undefined) return;
  try {
    const notice = licenceNoticeOnce(name, ctx.locations);
    if (notice !== undefined) ctx.stderr.write(`${notice}\n`);
  } catch {
    // The notice is advisory: a read-only model home must not fail the command.
  }
}

async function run(ctx: CliContext, opts: JsonFlag, body: () => Promise<void>): Promise<void> {
  if (opts.json === true) ctx.json = true;
  try {
    await body();
  } catch (e) {
    ctx.exitCode = reportError(ctx, e);
  }
}

function printList(ctx: CliContext, rows: readonly ModelListing[], verified: ReadonlyMap<string, VerifiedModel> | undefined): void {
  const status = (r: ModelListing): string => (r.path !== undefined && verified !== undefined ? (verified.get(r.path)?.status ?? r.status) : r.status);
  if (ctx.json) {
    printJson(ctx, {
      home: ctx.locations.home,
      dirs: ctx.locations.dirs,
      models: rows.map((r) => ({ ...r, ...(verified !== undefined && r.path !== undefined ? { verified: verified.get(r.path)?.status } : {}) })),
    });
    return;
  }
  const lines = [['NAME', 'TASK', 'STATUS', 'SIZE', 'LICENCE', 'PATH']];
  for (const r of rows) {
    const licence = r.known ? (r.nonCommercial === true ? 'non-commercial' : 'free') : '-';
    lines.push([r.name, r.task ?? '-', status(r), sizeText(r.size ?? r.expectedSize), licence, r.path ?? '-']);
  }
  ctx.stdout.write(`${table(lines)}\n\nSearched: ${[...ctx.locations.dirs, ctx.locations.home].join(', ')}\n`);
}

/**
 * Adds `list`, `info <name>`, `add <file>`, `verify` and `pull <name>` to the `arcface models` command. Each takes
 * `--json`; errors go to stderr and set the exit code of their ArcFaceError.
 *
 * @example
 * const models = program.command('models').description('Manage face models')
 * registerModelsCommands(models, ctx)
 */
export function registerModelsCommands(models: Command, ctx: CliContext, options: ModelsCommandOptions = {}): void {
  models
    .command('list')
    .description('List known models and where they were found (ARCFACE_MODELS folders, then ARCFACE_HOME), and other model files there.')
    .option('--verify', 'also check the SHA-256 of every file found')
    .option('--json', 'JSON output for machines')
    .action((opts: JsonFlag & { verify?: boolean }) =>
      run(ctx, opts, async () => {
        const rows = listModels(ctx.locations);
        let verified: Map<string, VerifiedModel> | undefined;
        if (opts.verify === true) verified = new Map((await verifyModels(ctx.locations)).map((v) => [v.path, v]));
        printList(ctx, rows, verified);
      }),
    );

  models
    .command('info')
    .description('Show what the registry knows of a model: file, size, SHA-256, task, licence, contract, threshold and where to get it.')
    .argument('<name>', 'registry name (see `arcface models list`)')
    .option('--json', 'JSON output for machines')
    .action((name: string, opts: JsonFlag) =>
      run(ctx, opts, async () => {
        const model = findKnownModel(name);
        if (model === undefined) {
          throw new ArcFaceError(
            'MODEL_UNKNOWN_NAME',
            `Expected a known model name but received "${name}". Known names: ${KNOWN_MODELS.map((m) => m.name).join(', ')}`,
          );
        }
        const found = listModels(ctx.locations).find((r) => r.name === model.name);
        if (ctx.json) {
          printJson(ctx, { ...model, path: found?.path, status: found?.status });
          return;
        }
        const lines = [
          `${model.name}: ${model.description}`,
          `  file      ${model.fileName}${model.size === undefined ? '' : ` (${model.size} bytes)`}`,
          `  sha256    ${model.sha256 ?? 'not recorded'}`,
          `  task      ${model.task}`,
          `  licence   ${model.licence.name}${model.licence.nonCommercial ? ' [non-commercial]' : ''} - ${model.licence.url}`,
          `  contract  ${model.contract}`,
          ...(model.task !== 'recognizer'
            ? []
            : [
                `  threshold ${model.threshold === undefined ? 'not calibrated' : `cosine ${model.threshold.cosine} at FAR ${model.threshold.far} (${model.threshold.source})`}`,
              ]),
          ...model.sources.map(
            (src) => `  source    ${src.url}${src.kind === 'zip-entry' ? ` (entry ${src.entry})` : ''}${src.note === undefined ? '' : ` - ${src.note}`}`,
          ),
          `  found     ${found?.path === undefined ? 'no' : `${found.path} (${found.status})`}`,
        ];
        ctx.stdout.write(`${lines.join('\n')}\n`);
      }),
    );

  models
    .command('add')
    .description('Copy a model file into ARCFACE_HOME: under its registry file name when its SHA-256 matches a known model, else under its own name.')
    .argument('<file>', 'model file (.onnx or NN Archive)')
    .option('--as <name>', 'store it as this known model (for models with no recorded checksum, e.g. a zoo archive)')
    .option('--json', 'JSON output for machines')
    .action((file: string, opts: JsonFlag & { as?: string }) =>
      run(ctx, opts, async () => {
        const added = await addModel(file, ctx.locations, opts.as === undefined ? {} : { as: opts.as });
        noticeOnce(ctx, added.name);
        if (ctx.json) printJson(ctx, added);
        else ctx.stdout.write(`${added.copied ? 'Added' : 'Already present:'} ${added.name ?? '(custom model)'} -> ${added.path}\nsha256 ${added.sha256}\n`);
      }),
    );

  models
    .command('verify')
    .description('Check the SHA-256 of every model file in ARCFACE_MODELS folders and ARCFACE_HOME against the registry.')
    .option('--json', 'JSON output for machines')
    .addHelpText('after', '\nExit code 3 when any known model file does not match its recorded checksum.')
    .action((opts: JsonFlag) =>
      run(ctx, opts, async () => {
        const total = listModels(ctx.locations).filter((r) => r.path !== undefined).length;
        const bar = createProgress({ total, label: 'verifying', stream: ctx.stderr, silent: ctx.json });
        const rows = await verifyModels(ctx.locations, { onFile: () => bar.tick() });
        bar.done();
        if (ctx.json) printJson(ctx, rows);
        else ctx.stdout.write(`${table([['NAME', 'STATUS', 'SIZE', 'PATH'], ...rows.map((r) => [r.name, r.status, sizeText(r.size), r.path])])}\n`);
        const bad = rows.filter((r) => r.status === 'mismatch');
        if (bad.length > 0) {
          const names = bad.map((r) => `${r.name} (${r.path})`).join(', ');
          ctx.stderr.write(
            `arcface: MODEL_CHECKSUM_MISMATCH: ${bad.length} file(s) do not match the registry: ${names}. Remove them and pull or add them again.\n`,
          );
          ctx.exitCode = ERROR_CODES.MODEL_CHECKSUM_MISMATCH.exit;
        }
      }),
    );

  models
    .command('pull')
    .description('Download a known model into ARCFACE_HOME over HTTPS and check its SHA-256. Zip packs are downloaded whole and the one file extracted.')
    .argument('<name>', 'registry name (see `arcface models list`)')
    .option('--force', 'download again even when a verified copy is present')
    .option('--json', 'JSON output for machines')
    .action((name: string, opts: JsonFlag & { force?: boolean }) =>
      run(ctx, opts, async () => {
        const model = findKnownModel(name);
        let bar: Progress | undefined;
        let url: string | undefined;
        const say = (line: string): void => void (ctx.json ? undefined : ctx.stderr.write(`${line}\n`));
        const onProgress = (e: PullProgress): void => {
          if (e.phase === 'download') {
            if (e.url !== url) {
              bar?.done();
              url = e.url;
              say(`Downloading ${e.url}`);
              bar = createProgress({ label: name, stream: ctx.stderr, silent: ctx.json, unit: 'bytes' });
            }
            bar?.update(e.receivedBytes, e.totalBytes);
          } else if (e.phase === 'extract') {
            bar?.done();
            say(`Extracting ${model?.fileName ?? name} from the archive`);
          }
        };
        // Ctrl-C (or SIGTERM) cancels the transfer so that its temporary file is removed before the process exits.
        const cancel = new AbortController();
        const offStop = onStopSignal(() => cancel.abort());
        const pulled = await pullModel(name, ctx.locations, {
          force: opts.force === true,
          onProgress,
          signal: cancel.signal,
          ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
        }).finally(() => {
          offStop();
          bar?.done();
        });
        noticeOnce(ctx, model?.name);
        if (ctx.json) printJson(ctx, pulled);
        else
          ctx.stdout.write(
            `${pulled.downloaded ? 'Downloaded' : 'Already present:'} ${pulled.name} -> ${pulled.path}${pulled.verified ? ' (SHA-256 verified)' : ' (no recorded checksum)'}\n`,
          );
      }),
    );
}
