import assert from 'node:assert/strict';
import { runScriptsAtOnce } from '../helpers/cli.js';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import type { PGlite } from '@electric-sql/pglite';
import { openGallery, type Gallery, type NewTemplate } from '../../src/gallery/index.js';
import { enrolPhotoJob, imageSha256, type IngestImage, type PhotoJob, type TemplateOutcome } from '../../src/ingest/index.js';
import { DIM, FP, people, scratch } from '../gallery/fixtures.js';
import { REPO_ROOT } from '../helpers/shared.js';
import { startPgServer, type PgTestServer } from '../helpers/pg-server.js';

const sha = (i: number): string => i.toString(16).padStart(64, '0');

/** Templates of one synthetic person, each with its own source SHA-256. */
function photos(seed: number, n: number): NewTemplate[] {
  return people(seed, 1, n)[0]!.templates.map((embedding, i) => ({ embedding, sourceFile: `p${i}.jpg`, sourceSha256: sha(seed * 100 + i) }));
}

/** The same checks on any gallery: held sources are skipped inside the write, and only with the option. */
async function dedupeScenario(g: Gallery): Promise<void> {
  const t = photos(1, 3);
  const first = await g.enroll('ada', t, { append: true, skipHeldSources: true, name: 'Ada' });
  assert.equal(first.templateIds.length, 3);
  assert.equal(first.duplicates, 0);
  const again = await g.enroll('ada', [t[1]!, ...photos(2, 1), t[1]!], { append: true, skipHeldSources: true });
  assert.deepEqual([again.templateIds.length, again.duplicates], [1, 2]);
  // Another identity may hold the same photo; templates without a SHA-256 are always written.
  assert.equal((await g.enroll('bob', [t[0]!], { append: true, skipHeldSources: true })).templateIds.length, 1);
  const bare = { embedding: t[2]!.embedding };
  assert.equal((await g.enroll('ada', [bare, bare], { append: true, skipHeldSources: true })).templateIds.length, 2);
  // Held photos are skipped by default; only an explicit opt-out writes a second template of one photo.
  assert.equal((await g.enroll('ada', [t[0]!], { append: true })).duplicates, 1);
  assert.equal((await g.enroll('ada', [t[0]!], { append: true, skipHeldSources: false })).duplicates, 0);
  assert.equal((await g.get('ada')).templateCount, 7);
  assert.equal((await g.get('ada')).name, 'Ada');
  // import --append of the gallery's own export: every photo is held, only templates without a SHA-256 are written again.
  assert.deepEqual(await g.importBytes((await g.exportBytes()).bytes, { append: true }), { identities: 2, templates: 2, duplicates: 6 });
}

describe('enrolment skips photos an identity already holds, inside the write transaction', () => {
  it('SQLite', async () => {
    const g = await openGallery(join(scratch('dedupe-sqlite'), `g-${process.pid}.db`), { fingerprint: FP, embeddingSize: DIM, threshold: 0.3 });
    try {
      await dedupeScenario(g);
    } finally {
      await g.close();
    }
  });

  it('a queued photo job names only a new identity: a name changed since is kept', async () => {
    const dir = scratch('dedupe-sqlite');
    const g = await openGallery(join(dir, `names-${process.pid}.db`), { fingerprint: FP, embeddingSize: DIM, threshold: 0.3 });
    try {
      const [a, b] = photos(3, 2);
      const files = [join(dir, `job-a-${process.pid}.jpg`), join(dir, `job-b-${process.pid}.jpg`)];
      files.forEach((f, i) => writeFileSync(f, `photo ${i}`));
      const job = (i: number): PhotoJob => ({ identityId: 'Ada_L', name: 'Ada L', path: files[i]!, sha256: imageSha256(readFileSync(files[i]!)) });
      const make =
        (t: NewTemplate) =>
        async (img: IngestImage): Promise<TemplateOutcome> => ({
          ok: true,
          template: { ...t, sourceFile: img.fileName, sourceSha256: img.sha256 },
          thumbnail: new Uint8Array([0xff, 0xd8, 0xff, 0xd9]),
        });
      await enrolPhotoJob(g, make(a!), job(0));
      assert.equal((await g.get('Ada_L')).name, 'Ada L');
      await g.rename('Ada_L', { name: 'Ada Lovelace' });
      await enrolPhotoJob(g, make(b!), job(1));
      assert.deepEqual([(await g.get('Ada_L')).name, (await g.get('Ada_L')).templateCount], ['Ada Lovelace', 2]);
    } finally {
      await g.close();
    }
  });

  it('SQLite: worker processes that create one new gallery file at once all open it', async () => {
    const file = join(scratch('dedupe-sqlite'), `race-${process.pid}-${Date.now()}.db`);
    const gallery = pathToFileURL(join(REPO_ROOT, 'dist', 'src', 'gallery', 'index.js')).href;
    const script = `const { SqliteGalleryStore } = await import(${JSON.stringify(gallery)});
      const s = await SqliteGalleryStore.open(${JSON.stringify(file)}, { fingerprint: ${JSON.stringify(FP)}, embeddingSize: ${DIM} });
      await s.close();`;
    const runs = await runScriptsAtOnce(script, 6);
    for (const r of runs) assert.equal(r.code, 0, r.err);
  });

  it('SQLite: processes enrolling the same photos at once, without --append, store each once', async () => {
    const file = join(scratch('dedupe-sqlite'), `concurrent-${process.pid}-${Date.now()}.db`);
    const gallery = pathToFileURL(join(REPO_ROOT, 'dist', 'src', 'gallery', 'index.js')).href;
    const script = `const { openGallery } = await import(${JSON.stringify(gallery)});
      const g = await openGallery(${JSON.stringify(file)}, { fingerprint: ${JSON.stringify(FP)}, embeddingSize: ${DIM}, threshold: 0.3 });
      const t = [0, 1, 2].map((i) => { const e = new Float32Array(${DIM}); e[i] = 1; return { embedding: e, sourceSha256: String(i).repeat(64) }; });
      const r = await g.enroll('dora', t, {});
      process.stdout.write(String(r.templateIds.length));
      await g.close();`;
    const runs = await runScriptsAtOnce(script, 4);
    for (const r of runs) assert.equal(r.code, 0, r.err);
    assert.deepEqual(runs.map((r) => r.out).sort(), ['0', '0', '0', '3']);
    const g = await openGallery(file, { fingerprint: FP, embeddingSize: DIM, threshold: 0.3 });
    try {
      assert.equal((await g.get('dora')).templateCount, 3);
    } finally {
      await g.close();
    }
  });

  describe('PostgreSQL (PGlite over pglite-socket, several connections)', () => {
    let db: PGlite;
    let server: PgTestServer;
    let url: string;
    before(async () => {
      server = await startPgServer({ maxConnections: 16 });
      db = server.db;
      url = server.url;
    });
    after(async () => {
      await server.stop();
    });

    it('runs the same scenario, and concurrent enrolments of one photo from two processes write one template', async () => {
      const g = await openGallery(url, { fingerprint: FP, embeddingSize: DIM, threshold: 0.3 });
      const h = await openGallery(url, { fingerprint: FP, embeddingSize: DIM, threshold: 0.3 });
      try {
        await dedupeScenario(g);
        const t = photos(7, 4);
        const runs = await Promise.all([g, h, g, h].map((x) => x.enroll('carl', t, { append: true, skipHeldSources: true, name: 'Carl' })));
        assert.equal(
          runs.reduce((n, r) => n + r.templateIds.length, 0),
          4,
        );
        assert.equal(
          runs.reduce((n, r) => n + r.duplicates, 0),
          12,
        );
        const rows = (await db.query<{ n: number }>(`SELECT COUNT(*)::int AS n FROM arcface_templates WHERE identity_id = 'carl'`)).rows[0]?.n;
        assert.equal(rows, 4);
      } finally {
        await g.close();
        await h.close();
      }
    });
  });
});
