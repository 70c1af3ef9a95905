import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { isArcFaceError } from '../../src/core/index.js';
import { SqliteGalleryStore, SQLITE_SCHEMA_VERSION, openGallery } from '../../src/gallery/index.js';
import { guardUntilFree } from '../../src/gallery/stores/sqlite-schema.js';
import { DIM, FP, OTHER_FP, people, scratch } from './fixtures.js';
import { randomUnit, rng } from './synthetic.js';

const opts = { fingerprint: FP, embeddingSize: DIM };
const code = (c: string) => (e: unknown) => isArcFaceError(e) && e.code === c;

describe('SqliteGalleryStore', () => {
  it('loads the matrix across page boundaries in template order, into a supplied array, with its stamp', async () => {
    const path = join(scratch('sqlite-pages'), 'g.db');
    const s = await SqliteGalleryStore.open(path, opts);
    const r = rng(31);
    const n = 9001; // more than two pages of 4,096 rows
    const rows = new Float32Array(n * DIM);
    for (let i = 0; i < n; i++) randomUnit(r, DIM, rows, i * DIM);
    const items = Array.from({ length: n }, (_, i) => ({
      identity: { id: `p${i % 3000}` },
      templates: [{ embedding: rows.subarray(i * DIM, (i + 1) * DIM) }],
    }));
    await s.enrollMany(items.slice(0, 3000), 'create');
    await s.enrollMany(items.slice(3000), 'append');
    await s.removeTemplates([5]);
    let asked = -1;
    const into = new Float32Array((n - 1) * DIM);
    const m = await s.loadMatrix((count) => {
      asked = count;
      return into;
    });
    assert.equal(asked, n - 1);
    assert.equal(m.matrix, into);
    assert.deepEqual(m.stamp, { ...(await s.stamp()) });
    assert.deepEqual(m.stamp, { generation: 3, rows: n - 1, maxTemplateId: n });
    const kept = Array.from({ length: n }, (_, i) => i).filter((i) => i !== 4);
    assert.deepEqual(
      Array.from(m.templateIds),
      kept.map((i) => i + 1),
    );
    assert.deepEqual(
      m.identityIds,
      kept.map((i) => `p${i % 3000}`),
    );
    kept.forEach((i, row) => assert.deepEqual(m.matrix.subarray(row * DIM, (row + 1) * DIM), rows.subarray(i * DIM, (i + 1) * DIM)));
    await assert.rejects(
      s.loadMatrix(() => new Float32Array(3)),
      code('INTERNAL'),
    );
    assert.deepEqual((await s.template(7))?.embedding, rows.subarray(6 * DIM, 7 * DIM));
    assert.equal((await s.template(7))?.identityId, 'p6');
    assert.equal(await s.template(5), null);
    await s.close();
  });

  it('creates a WAL file with schema version, application id and recorded model; reopens it', async () => {
    const path = join(scratch('sqlite-create'), 'g.db');
    const s = await SqliteGalleryStore.open(path, opts);
    assert.deepEqual(s.meta, { fingerprint: FP, embeddingSize: DIM, schemaVersion: SQLITE_SCHEMA_VERSION });
    const [p] = people(1, 1, 3);
    const ids = await s.enroll(
      { id: p!.id, name: 'P' },
      p!.templates.map((embedding) => ({ embedding, sourceFile: 'a.jpg' })),
      'create',
    );
    assert.equal(ids.length, 3);
    assert.equal(await s.generation(), 1);
    await s.close();
    const raw = new Database(path, { readonly: true });
    assert.equal(raw.pragma('journal_mode', { simple: true }), 'wal');
    assert.equal(raw.pragma('user_version', { simple: true }), SQLITE_SCHEMA_VERSION);
    raw.close();
    const again = await SqliteGalleryStore.open(path, opts);
    const t = await again.templatesOf(p!.id);
    assert.deepEqual(
      t.map((x) => x.embedding),
      p!.templates,
    );
    assert.equal(t[0]?.sourceFile, 'a.jpg');
    assert.deepEqual(await SqliteGalleryStore.inspect(path), again.meta);
    await again.close();
  });

  it('refuses another model (MODEL_MISMATCH) and another embedding size (EMBEDDING_SIZE_MISMATCH)', async () => {
    const path = join(scratch('sqlite-model'), 'g.db');
    await (await SqliteGalleryStore.open(path, opts)).close();
    await assert.rejects(SqliteGalleryStore.open(path, { ...opts, fingerprint: OTHER_FP }), code('MODEL_MISMATCH'));
    await assert.rejects(SqliteGalleryStore.open(path, { ...opts, embeddingSize: 128 }), code('EMBEDDING_SIZE_MISMATCH'));
    await assert.rejects(openGallery(path, { fingerprint: OTHER_FP, embeddingSize: DIM, threshold: 0.3 }), code('MODEL_MISMATCH'));
  });

  it('refuses a corrupt file, a foreign SQLite file and a newer schema with GALLERY_CORRUPT', async () => {
    const dir = scratch('sqlite-corrupt');
    const junk = join(dir, 'junk.db');
    writeFileSync(junk, Buffer.from('this is not a database, just some text that is long enough to look like a header'.repeat(100)));
    await assert.rejects(SqliteGalleryStore.open(junk, opts), (e: unknown) => isArcFaceError(e, 'GALLERY_CORRUPT') && /not a database/i.test(e.message));
    const foreign = join(dir, 'foreign.db');
    const f = new Database(foreign);
    f.exec('CREATE TABLE songs (title TEXT)');
    f.close();
    await assert.rejects(SqliteGalleryStore.open(foreign, opts), (e: unknown) => isArcFaceError(e, 'GALLERY_CORRUPT') && /no gallery schema/.test(e.message));
    const other = join(dir, 'other-app.db');
    const o = new Database(other);
    o.exec('CREATE TABLE t (x)');
    o.pragma('user_version = 3');
    o.close();
    await assert.rejects(SqliteGalleryStore.open(other, opts), (e: unknown) => isArcFaceError(e, 'GALLERY_CORRUPT') && /application_id/.test(e.message));
    const newer = join(dir, 'newer.db');
    await (await SqliteGalleryStore.open(newer, opts)).close();
    const n = new Database(newer);
    n.pragma(`user_version = ${SQLITE_SCHEMA_VERSION + 1}`);
    n.close();
    await assert.rejects(SqliteGalleryStore.open(newer, opts), (e: unknown) => isArcFaceError(e, 'GALLERY_CORRUPT') && /newer/.test(e.message));
    await assert.rejects(SqliteGalleryStore.open(join(dir, 'absent.db'), { ...opts, readonly: true }), code('FILE_NOT_FOUND'));
  });

  it('lets readers read while a writer holds the lock, and reports GALLERY_BUSY to a second writer', async () => {
    const path = join(scratch('sqlite-busy'), 'g.db');
    const [a, b] = people(2, 2, 2);
    const s = await SqliteGalleryStore.open(path, { ...opts, busyTimeoutMs: 100 });
    await s.enroll(
      { id: a!.id },
      a!.templates.map((embedding) => ({ embedding })),
      'create',
    );
    const writer = new Database(path);
    writer.exec('BEGIN IMMEDIATE');
    writer.prepare(`INSERT INTO identities (id, name, metadata, created_at, updated_at) VALUES ('held', 'held', '{}', 0, 0)`).run();
    const reader = await SqliteGalleryStore.open(path, opts);
    assert.deepEqual(
      (await reader.listIdentities()).map((i) => i.id),
      [a!.id],
    );
    await assert.rejects(
      s.enroll(
        { id: b!.id },
        b!.templates.map((embedding) => ({ embedding })),
        'create',
      ),
      code('GALLERY_BUSY'),
    );
    writer.exec('ROLLBACK');
    writer.close();
    await s.enroll(
      { id: b!.id },
      b!.templates.map((embedding) => ({ embedding })),
      'create',
    );
    assert.deepEqual(
      (await reader.listIdentities()).map((i) => i.id),
      [a!.id, b!.id],
    );
    await reader.close();
    await s.close();
  });

  it('opens again after a busy answer that came at once, gives up with GALLERY_BUSY after the busy timeout, and passes other errors through', async () => {
    const busy = Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });
    let calls = 0;
    const meta = await guardUntilFree('g.db', 2000, () => {
      calls++;
      if (calls < 4) throw busy;
      return 'opened';
    });
    assert.deepEqual([meta, calls], ['opened', 4]);
    const t0 = Date.now();
    let tries = 0;
    await assert.rejects(
      guardUntilFree('g.db', 150, () => {
        tries++;
        throw busy;
      }),
      (e: unknown) => code('GALLERY_BUSY')(e) && /g\.db/.test((e as Error).message),
    );
    assert.ok(Date.now() - t0 >= 145 && tries > 2, `${Date.now() - t0} ms, ${tries} tries`);
    let once = 0;
    await assert.rejects(
      guardUntilFree('g.db', 2000, () => {
        once++;
        throw Object.assign(new Error('file is not a database'), { code: 'SQLITE_NOTADB' });
      }),
      code('GALLERY_CORRUPT'),
    );
    assert.equal(once, 1);
  });

  it('rolls back a failed write entirely (no half-written identity)', async () => {
    const path = join(scratch('sqlite-rollback'), 'g.db');
    const s = await SqliteGalleryStore.open(path, opts);
    const [a, b] = people(3, 2, 2);
    await s.enroll(
      { id: a!.id },
      a!.templates.map((embedding) => ({ embedding })),
      'create',
    );
    await assert.rejects(
      s.enrollMany(
        [
          { identity: { id: b!.id }, templates: b!.templates.map((embedding) => ({ embedding })) },
          { identity: { id: a!.id }, templates: a!.templates.map((embedding) => ({ embedding })) },
        ],
        'create',
      ),
      code('IDENTITY_EXISTS'),
    );
    assert.deepEqual(
      (await s.listIdentities()).map((i) => [i.id, i.templateCount]),
      [[a!.id, 2]],
    );
    assert.equal(await s.generation(), 1);
    assert.deepEqual(s.integrityCheck(), ['ok']);
    await s.close();
  });
});
