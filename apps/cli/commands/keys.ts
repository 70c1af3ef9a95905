import { join } from 'node:path';
import type { Command } from 'commander';
import { type ApiKeyStore, openKeyStore, SCOPES, type Scope } from '../../server/index.js';
import { printJson, type CliContext } from '../context.js';

interface KeysOptions {
  keys: string;
  json?: boolean;
}

async function withStore<T>(location: string, fn: (store: ApiKeyStore) => T | Promise<T>): Promise<T> {
  const store = await openKeyStore(location);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

/** `--keys`: a SQLite key file, or the postgres:// URL of the database that replicas of `arcface serve` share. */
const KEYS_HELP = 'key file, or postgres:// URL (the keys of servers on a PostgreSQL gallery)';

/**
 * `arcface keys create|list|revoke`: API keys for `arcface serve`, stored as SHA-256 hashes.
 *
 * @example
 * registerKeysCommands(program, ctx)
 */
export function registerKeysCommands(program: Command, ctx: CliContext): void {
  const defaultPath = join(ctx.locations.home, 'keys.db');
  const keys = program.command('keys').description('Manage API keys of the HTTP server (stored as SHA-256 hashes only).');

  keys
    .command('create')
    .description('Create a key and print it once; it cannot be shown again.')
    .requiredOption('--scope <scope>', `one of ${SCOPES.join(', ')} (each includes the ones before it)`)
    .option('--name <name>', 'a label to recognise the key by')
    .option('--keys <file|url>', KEYS_HELP, defaultPath)
    .option('--json', 'compact JSON for machines')
    .action(async (opts: KeysOptions & { scope: string; name?: string }) => {
      ctx.json = opts.json === true;
      if (!(SCOPES as readonly string[]).includes(opts.scope)) {
        throw new TypeError(`Expected one of ${SCOPES.join(', ')} for --scope but received "${opts.scope}"`);
      }
      const created = await withStore(opts.keys, (s) => s.create({ scope: opts.scope as Scope, ...(opts.name === undefined ? {} : { name: opts.name }) }));
      if (ctx.json) printJson(ctx, created);
      else {
        ctx.stdout.write(`${created.key}\n`);
        ctx.stderr.write(
          `Key ${created.id} (${created.scope}${created.name === '' ? '' : `, "${created.name}"`}) created. Store it now: it is not kept and cannot be shown again.\n`,
        );
      }
    });

  keys
    .command('list')
    .description('List keys (id, name, scope, dates); never the keys themselves.')
    .option('--keys <file|url>', KEYS_HELP, defaultPath)
    .option('--json', 'compact JSON for machines')
    .action(async (opts: KeysOptions) => {
      ctx.json = opts.json === true;
      const list = await withStore(opts.keys, (s) => s.list());
      if (ctx.json) printJson(ctx, list);
      else {
        for (const k of list) {
          ctx.stdout.write(`${k.id}  ${k.scope.padEnd(5)}  ${k.revokedAt === null ? 'active ' : 'revoked'}  ${k.createdAt}  ${k.name}\n`);
        }
      }
    });

  keys
    .command('revoke')
    .description('Revoke a key by id; it stops working at once.')
    .argument('<id>', 'key id (from keys list)')
    .option('--keys <file|url>', KEYS_HELP, defaultPath)
    .option('--json', 'compact JSON for machines')
    .action(async (id: string, opts: KeysOptions) => {
      ctx.json = opts.json === true;
      const rec = await withStore(opts.keys, (s) => s.revoke(id));
      if (ctx.json) printJson(ctx, rec);
      else ctx.stdout.write(`revoked ${rec.id}\n`);
    });
}
