import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { openGallery } from '../../src/gallery/index.js';
import { DIM, FP, people, scratch } from '../gallery/fixtures.js';
import { REPO_ROOT } from '../helpers/shared.js';

/** Runs `arcface` from source (tsx): these commands load no model, so no build is needed. */
function arcface(args: readonly string[], env: Record<string, string> = {}): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'apps', 'cli', 'main.ts'), ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, ARCFACE_GALLERY_KEK: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, out, err }));
  });
}

const bytesOf = (v: Float32Array): Buffer => Buffer.from(v.buffer, v.byteOffset, v.byteLength);
const fileBytes = (path: string): Buffer => Buffer.concat([path, `${path}-wal`].filter(existsSync).map((p) => readFileSync(p)));

describe('arcface gallery forget | seal | rekey', () => {
  it('forgets with a receipt, seals, refuses a missing or wrong key with coded errors, rekeys, and exports sealed', async () => {
    const dir = scratch('cli-privacy');
    const db = join(dir, 'g.db');
    const crowd = people(91, 3, 2);
    const g = await openGallery(db, { fingerprint: FP, embeddingSize: DIM, threshold: 0.3 });
    for (const p of crowd) await g.enroll(p.id, p.templates);
    await g.close();
    const [a, b, c] = crowd as [(typeof crowd)[number], (typeof crowd)[number], (typeof crowd)[number]];

    const forgot = await arcface(['gallery', 'forget', a.id, '--gallery', db, '--json']);
    assert.equal(forgot.code, 0, forgot.err);
    const receipt = JSON.parse(forgot.out);
    assert.deepEqual(receipt.deleted, { identities: 1, templates: 2, thumbnails: 0 });
    assert.deepEqual(receipt.steps, ['people', 'sightings']);
    assert.equal(receipt.scrub.walTruncated, true);
    for (const t of a.templates) assert.ok(!fileBytes(db).includes(bytesOf(t)));
    const missing = await arcface(['gallery', 'forget', a.id, '--gallery', db, '--json']);
    assert.equal(missing.code, 2);
    assert.equal(JSON.parse(missing.err).code, 'IDENTITY_NOT_FOUND');

    const kekFile = join(dir, 'gallery.kek');
    writeFileSync(kekFile, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
    const sealed = await arcface(['gallery', 'seal', '--gallery', db, '--kek-file', kekFile, '--json']);
    assert.equal(sealed.code, 0, sealed.err);
    assert.deepEqual({ ...JSON.parse(sealed.out), kekId: 'x' }, { sealed: true, kekId: 'x', templates: 4, thumbnails: 0, personFaces: 0 });
    for (const t of [...b.templates, ...c.templates]) assert.ok(!fileBytes(db).includes(bytesOf(t)), 'no plain template after sealing');

    const noKey = await arcface(['gallery', 'list', '--gallery', db, '--json']);
    assert.equal(noKey.code, 2);
    assert.equal(JSON.parse(noKey.err).code, 'GALLERY_SEALED');
    const wrong = await arcface(['gallery', 'list', '--gallery', db, '--json'], { ARCFACE_GALLERY_KEK: randomBytes(32).toString('base64') });
    assert.equal(JSON.parse(wrong.err).code, 'GALLERY_KEY_MISMATCH');
    const listed = await arcface(['gallery', 'list', '--gallery', db, '--kek-file', kekFile, '--json']);
    assert.deepEqual(
      JSON.parse(listed.out).map((i: { id: string }) => i.id),
      [b.id, c.id],
    );

    const nextFile = join(dir, 'next.kek');
    writeFileSync(nextFile, randomBytes(32).toString('base64'), { mode: 0o600 });
    const rekeyed = await arcface(['gallery', 'rekey', '--gallery', db, '--kek-file', kekFile, '--new-kek-file', nextFile, '--json']);
    assert.equal(rekeyed.code, 0, rekeyed.err);
    assert.equal(JSON.parse(rekeyed.out).rekeyed, true);
    assert.equal(JSON.parse((await arcface(['gallery', 'list', '--gallery', db, '--kek-file', kekFile, '--json'])).err).code, 'GALLERY_KEY_MISMATCH');

    const file = join(dir, 'g.afg');
    const next = readFileSync(nextFile, 'utf8');
    assert.equal((await arcface(['gallery', 'export', file, '--gallery', db, '--json'], { ARCFACE_GALLERY_KEK: next })).code, 0);
    assert.equal(readFileSync(file).toString('ascii', 0, 8), 'AFGSEALD');
    const copy = join(dir, 'copy.db');
    assert.equal(JSON.parse((await arcface(['gallery', 'import', file, '--gallery', copy, '--json'])).err).code, 'GALLERY_SEALED');
    const imported = await arcface(['gallery', 'import', file, '--gallery', copy, '--kek-file', nextFile, '--json']);
    assert.equal(imported.code, 0, imported.err);
    assert.equal(JSON.parse(imported.out).templates, 4);
    assert.equal(
      JSON.parse((await arcface(['gallery', 'list', '--gallery', copy, '--json'])).err).code,
      'GALLERY_SEALED',
      'imported into a gallery created sealed',
    );
  });
});
