import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { Command } from 'commander';
import Database from 'better-sqlite3';
import { registerKeysCommands } from '../../apps/cli/commands/keys.js';
import type { CliContext } from '../../apps/cli/context.js';
import { KeyStore, scopeAllows } from '../../apps/server/services/key-store.js';

function sink(): { stream: Writable; text: () => string } {
  let buf = '';
  return {
    stream: new Writable({
      write(chunk: Buffer, _enc, cb) {
        buf += chunk.toString();
        cb();
      },
    }),
    text: () => buf,
  };
}

async function cli(args: string[], home: string): Promise<{ stdout: string; stderr: string }> {
  const out = sink();
  const err = sink();
  const ctx: CliContext = { locations: { home, dirs: [] }, stdout: out.stream, stderr: err.stream, env: {}, json: false };
  const program = new Command().exitOverride();
  registerKeysCommands(program, ctx);
  await program.parseAsync(['node', 'arcface', ...args]);
  return { stdout: out.text(), stderr: err.text() };
}

describe('KeyStore', () => {
  it('creates its file owner-only and reports a file that is not a key store as KEYS_CORRUPT', () => {
    const dir = mkdtempSync(join(tmpdir(), 'arcface-keys-'));
    KeyStore.open(join(dir, 'keys.db')).close();
    assert.equal(statSync(join(dir, 'keys.db')).mode & 0o777, 0o600);
    const junk = join(dir, 'junk.db');
    writeFileSync(junk, 'this is not a database, just text long enough to have a header page.'.repeat(100));
    assert.throws(
      () => KeyStore.open(junk),
      (e: { code?: string; httpStatus?: number }) => e.code === 'KEYS_CORRUPT' && e.httpStatus === 500,
    );
  });

  it('reports a key file another process keeps locked as KEYS_BUSY (503) after its busy timeout, not as a corrupt file', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'arcface-keys-')), 'keys.db');
    const holder = new Database(path);
    holder.exec('BEGIN EXCLUSIVE');
    const t0 = Date.now();
    assert.throws(
      () => KeyStore.open(path, { busyTimeoutMs: 150 }),
      (e: { code?: string; httpStatus?: number; message?: string }) => e.code === 'KEYS_BUSY' && e.httpStatus === 503 && /keys\.db/.test(String(e.message)),
    );
    assert.ok(Date.now() - t0 >= 145, `gave up after ${Date.now() - t0} ms`);
    holder.exec('ROLLBACK');
    holder.close();
    const store = KeyStore.open(path);
    assert.equal(store.list().length, 0);
    store.close();
  });

  it('stores only the SHA-256 of a key and verifies it', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'arcface-keys-')), 'keys.db');
    const store = KeyStore.open(path);
    const created = store.create({ scope: 'write', name: 'kiosk' });
    assert.match(created.key, /^afk_[A-Za-z0-9_-]{43}$/);
    assert.equal(store.verify(created.key)?.id, created.id);
    assert.equal(store.verify('afk_other'), undefined);
    assert.equal(store.verify(''), undefined);
    store.close();
    const raw = readFileSync(path);
    assert.equal(raw.includes(Buffer.from(created.key)), false);
    const db = new Database(path, { readonly: true });
    const row = db.prepare('SELECT hash FROM api_keys').get() as { hash: string };
    db.close();
    assert.match(row.hash, /^[0-9a-f]{64}$/);
  });

  it('revokes keys and refuses unknown ids and scopes', () => {
    const store = KeyStore.open(':memory:');
    const k = store.create({ scope: 'read' });
    const revoked = store.revoke(k.id);
    assert.ok(revoked.revokedAt !== null);
    assert.equal(store.verify(k.key), undefined);
    assert.throws(
      () => store.revoke('nope'),
      (e: { code: string }) => e.code === 'NOT_FOUND',
    );
    assert.throws(() => store.create({ scope: 'root' as 'read' }), TypeError);
    assert.equal(store.list().length, 1);
    assert.ok(store.ping());
    store.close();
  });

  it('orders scopes: admin ⊇ write ⊇ read', () => {
    assert.ok(scopeAllows('admin', 'read') && scopeAllows('admin', 'write') && scopeAllows('write', 'read'));
    assert.ok(!scopeAllows('read', 'write') && !scopeAllows('write', 'admin'));
  });
});

describe('arcface keys', () => {
  it('create prints the key once; list shows it without the key; revoke disables it', async () => {
    const home = mkdtempSync(join(tmpdir(), 'arcface-keyscli-'));
    const created = await cli(['keys', 'create', '--scope', 'write', '--name', 'web page'], home);
    const key = created.stdout.trim();
    assert.match(key, /^afk_/);
    assert.match(created.stderr, /cannot be shown again/);
    const listed = await cli(['keys', 'list', '--json'], home);
    const rows = JSON.parse(listed.stdout) as { id: string; name: string; scope: string; key?: string }[];
    assert.equal(rows.length, 1);
    assert.equal(rows[0]?.name, 'web page');
    assert.equal(rows[0]?.key, undefined);
    assert.equal(listed.stdout.includes(key), false);
    await cli(['keys', 'revoke', rows[0]?.id ?? ''], home);
    const store = KeyStore.open(join(home, 'keys.db'));
    assert.equal(store.verify(key), undefined);
    store.close();
    await assert.rejects(cli(['keys', 'create', '--scope', 'superuser'], home), TypeError);
  });
});
