import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { Command } from 'commander';
import { registerGalleryCommands } from '../../apps/cli/commands/gallery.js';
import { reportError, type CliContext } from '../../apps/cli/context.js';
import { isArcFaceError } from '../../src/core/index.js';
import { identifyImage, openGallery, verifyImage, type Gallery } from '../../src/gallery/index.js';
import { enrollImages } from '../../src/ingest/index.js';
import { FaceRecognizer } from '../../src/pipeline/index.js';
import { sharedPath } from '../helpers/shared.js';
import { scratch } from './fixtures.js';

const LFW = (): string => sharedPath('data', 'faces', 'lfw-deepfunneled');
/** The `k`-th photo (sorted) of a person in the shared LFW subset (its numbering has gaps). */
const lfw = (name: string, k: number): string => {
  const files = readdirSync(join(LFW(), name)).sort();
  return sharedPath('data', 'faces', 'lfw-deepfunneled', name, files[k] ?? `missing-${k}`);
};
/** People with a single photo in the subset: never enrolled, so they are strangers. */
const strangers = (n: number): string[] =>
  readdirSync(LFW(), { withFileTypes: true })
    .filter((d) => d.isDirectory() && readdirSync(join(LFW(), d.name)).length === 1)
    .map((d) => d.name)
    .sort()
    .slice(0, n);
const locations = { home: '/nonexistent-arcface-home', dirs: [sharedPath('models')] };
/**
 * Decision threshold for the default recogniser (w600k-mbf-int8) while the registry records none:
 * `scripts/gallery-audit.ts` on LFW measured the highest of 100 strangers' best scores at 0.300 and
 * the lowest genuine top-1 score at 0.483, so 0.35 sits in the gap (see docs/gallery.md).
 */
const MEASURED_THRESHOLD = 0.35;
const PEOPLE = ['Tony_Blair', 'Gerhard_Schroeder', 'Jean_Chretien', 'Hans_Blix', 'David_Beckham', 'Hugo_Chavez'];
const code = (c: string) => (e: unknown) => isArcFaceError(e) && e.code === c;

describe('gallery with real models on LFW', () => {
  let fr: FaceRecognizer;
  let g: Gallery;
  let threshold: number;
  before(async () => {
    fr = await FaceRecognizer.create({ locations });
    threshold = fr.threshold ?? MEASURED_THRESHOLD;
    g = await openGallery(join(scratch('images'), 'g.db'), { fingerprint: fr.fingerprint, embeddingSize: fr.embeddingSize, threshold });
    for (const p of PEOPLE) {
      const r = await enrollImages(
        g,
        fr,
        p,
        [0, 1, 2].map((i) => lfw(p, i)),
        { name: p.replace(/_/g, ' ') },
      );
      assert.equal(r.templateIds.length, 3, JSON.stringify(r.skipped));
    }
  });
  after(async () => {
    await g.close();
    await fr.dispose();
  });

  it('identifies other photos of enrolled people (top-1) and answers unknown for strangers', async () => {
    let right = 0;
    let n = 0;
    for (const p of PEOPLE) {
      for (const i of [5, 6, 7, 8]) {
        const faces = await identifyImage(g, fr, lfw(p, i));
        const central = faces.find((f) => f.candidates[0]?.id === p) ?? faces[0];
        n++;
        if (central?.decision === 'known' && central.candidates[0]?.id === p) right++;
      }
    }
    assert.ok(right / n >= 0.9, `top-1 known & correct ${right}/${n}`);
    for (const s of strangers(12)) {
      const faces = await identifyImage(g, fr, lfw(s, 0));
      assert.ok(faces.length >= 1);
      for (const f of faces) assert.equal(f.decision, 'unknown', `${s} scored ${f.candidates[0]?.score} as ${f.candidates[0]?.id}`);
    }
  });

  it('verifies 1:1, records the source of each template, and refuses another model', async () => {
    const v = await verifyImage(g, fr, lfw('Tony_Blair', 8), 'Tony_Blair');
    assert.equal(v.match, true);
    assert.equal((await verifyImage(g, fr, lfw('Tony_Blair', 8), 'Hans_Blix')).match, false);
    const show = await g.show('Tony_Blair');
    assert.equal(show.templates[0]?.sourceFile, 'Tony_Blair_0018.jpg');
    assert.match(show.templates[0]?.sourceSha256 ?? '', /^[0-9a-f]{64}$/);
    assert.ok((show.templates[0]?.faceSize ?? 0) > 50);
    const other = await FaceRecognizer.create({ locations, recognizer: sharedPath('models', 'arcface-mbf-luxonis.tar.xz') });
    try {
      assert.notEqual(other.fingerprint, fr.fingerprint);
      await assert.rejects(identifyImage(g, other, lfw('Tony_Blair', 8)), code('MODEL_MISMATCH'));
      await assert.rejects(enrollImages(g, other, 'x', [lfw('Tony_Blair', 8)]), code('MODEL_MISMATCH'));
      await assert.rejects(openGallery(g.store.location, { fingerprint: other.fingerprint, embeddingSize: 512 }), code('MODEL_MISMATCH'));
    } finally {
      await other.dispose();
    }
  });

  it('NO_FACE when no image has a face; FILE_NOT_FOUND for a missing image', async () => {
    const sharp = (await import('sharp')).default;
    const blank = await sharp({ create: { width: 200, height: 200, channels: 3, background: { r: 128, g: 128, b: 128 } } })
      .jpeg()
      .toBuffer();
    await assert.rejects(enrollImages(g, fr, 'blank', [{ bytes: blank, fileName: 'blank.jpg' }]), code('NO_FACE'));
    await assert.rejects(verifyImage(g, fr, { bytes: blank }, 'Tony_Blair'), code('NO_FACE'));
    const notImage = { bytes: new TextEncoder().encode('# README'), fileName: 'README.md' };
    await assert.rejects(
      verifyImage(g, fr, notImage, 'Tony_Blair'),
      (e: Error & { code?: string }) => e.code === 'IMAGE_UNSUPPORTED_FORMAT' && e.message.startsWith('README.md: Expected an image'),
    );
    assert.deepEqual(await identifyImage(g, fr, { bytes: blank }), []);
    const mixed = await enrollImages(g, fr, 'Tony_Blair', [{ bytes: blank, fileName: 'blank.jpg' }, lfw('Tony_Blair', 9)], { append: true });
    assert.deepEqual(
      mixed.skipped.map((s) => [s.fileName, s.code]),
      [['blank.jpg', 'NO_FACE']],
    );
    await assert.rejects(enrollImages(g, fr, 'x', ['/nonexistent.jpg']), code('FILE_NOT_FOUND'));
  });
});

/** Runs the gallery commands in process, as `apps/cli/main.ts` would once they are registered. */
async function cli(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = '';
  let stderr = '';
  out.on('data', (d: Buffer) => (stdout += d.toString()));
  err.on('data', (d: Buffer) => (stderr += d.toString()));
  const ctx: CliContext = { locations, stdout: out, stderr: err, env, json: false };
  const program = new Command().exitOverride().configureOutput({ writeErr: (s) => err.write(s), writeOut: (s) => out.write(s) });
  registerGalleryCommands(program, ctx);
  let code = 0;
  try {
    await program.parseAsync(['node', 'arcface', ...args]);
  } catch (e) {
    code = e instanceof Error && e.name === 'CommanderError' ? 1 : reportError(ctx, e);
  }
  return { code, stdout, stderr };
}

describe('gallery CLI commands', () => {
  it('enroll, identify, verify, list, show, rename, merge, audit, export, import, remove with --json', async () => {
    const dir = scratch('cli');
    const env = { ARCFACE_GALLERY: join(dir, 'g.db') };
    const t = ['--threshold', String(MEASURED_THRESHOLD)];
    const e1 = await cli(['enroll', 'blair', lfw('Tony_Blair', 1), lfw('Tony_Blair', 2), '--name', 'Tony Blair', '--metadata', '{"role":"pm"}', '--json'], env);
    assert.equal(e1.code, 0, e1.stderr);
    assert.equal((JSON.parse(e1.stdout) as { templates: number }).templates, 2);
    const folder = sharedPath('data', 'faces', 'lfw-deepfunneled', 'Hans_Blix');
    const e2 = await cli(['enroll', 'blix', folder, '--json'], env);
    assert.equal(e2.code, 0, e2.stderr);
    assert.ok((JSON.parse(e2.stdout) as { templates: number }).templates >= 10);
    // A new photo for an existing id needs --append; a photo the identity holds already is a repeat, not an error.
    const other = sharedPath('data', 'faces', 'lfw', 'Hans_Blix', readdirSync(sharedPath('data', 'faces', 'lfw', 'Hans_Blix')).sort()[1] as string);
    const dup = await cli(['enroll', 'blix', other, '--json'], env);
    assert.equal(dup.code, 2);
    assert.equal((JSON.parse(dup.stderr) as { code: string }).code, 'IDENTITY_EXISTS');
    const held = await cli(['enroll', 'blix', lfw('Hans_Blix', 1), '--json'], env);
    assert.equal(held.code, 0, held.stderr);
    assert.deepEqual([(JSON.parse(held.stdout) as { templates: number }).templates, (JSON.parse(held.stdout) as { known: unknown[] }).known.length], [0, 1]);
    const id = await cli(['identify', lfw('Tony_Blair', 7), ...t, '--top', '2', '--json'], env);
    assert.equal(id.code, 0, id.stderr);
    const idOut = JSON.parse(id.stdout) as { faces: { decision: string; candidates: { id: string; name: string }[] }[] }[];
    assert.equal(idOut[0]?.faces.find((f) => f.candidates[0]?.id === 'blair')?.decision, 'known');
    const v = await cli(['verify', lfw('Tony_Blair', 7), 'blair', ...t, '--json'], env);
    assert.equal((JSON.parse(v.stdout) as { match: boolean }).match, true);
    const nf = await cli(['verify', lfw('Tony_Blair', 7), 'nobody', ...t, '--json'], env);
    assert.equal(nf.code, 2);
    assert.equal((JSON.parse(nf.stderr) as { code: string }).code, 'IDENTITY_NOT_FOUND');
    const list = JSON.parse((await cli(['gallery', 'list', '--json'], env)).stdout) as { id: string; templates: number; metadata: unknown }[];
    assert.deepEqual(
      list.map((x) => x.id),
      ['blair', 'blix'],
    );
    assert.deepEqual(list[0]?.metadata, { role: 'pm' });
    const show = JSON.parse((await cli(['gallery', 'show', 'blix', '--json'], env)).stdout) as { templates: unknown[]; subCenters: { dominant: boolean }[] };
    assert.ok(show.templates.length >= 10 && show.subCenters[0]?.dominant === true);
    assert.equal((await cli(['gallery', 'rename', 'blair', '--to', 'tony', '--name', 'T. Blair', '--json'], env)).code, 0);
    assert.equal((await cli(['enroll', 'blix2', lfw('Hans_Blix', 1), '--json'], env)).code, 0);
    assert.equal((await cli(['gallery', 'merge', 'blix2', 'blix', '--json'], env)).code, 0);
    const audit = await cli(['gallery', 'audit', ...t, '--json'], env);
    assert.equal(audit.code, 0, audit.stderr);
    assert.ok(Array.isArray(JSON.parse(audit.stdout)));
    const file = join(dir, 'g.afg');
    assert.equal((await cli(['gallery', 'export', file, '--json'], env)).code, 0);
    const env2 = { ARCFACE_GALLERY: join(dir, 'copy.db') };
    const imp = await cli(['gallery', 'import', file, '--json'], env2);
    assert.equal(imp.code, 0, imp.stderr);
    assert.equal((await cli(['gallery', 'export', join(dir, 'copy.afg'), '--json'], env2)).code, 0);
    assert.ok(readFileSync(file).equals(readFileSync(join(dir, 'copy.afg'))));
    assert.equal((await cli(['gallery', 'remove', 'tony', '--json'], env)).code, 0);
    const rm = await cli(['gallery', 'remove', 'tony', '--json'], env);
    assert.equal((JSON.parse(rm.stderr) as { code: string }).code, 'IDENTITY_NOT_FOUND');
    const missing = await cli(['gallery', 'list', '--json'], { ARCFACE_GALLERY: join(dir, 'absent.db') });
    assert.equal((JSON.parse(missing.stderr) as { code: string }).code, 'FILE_NOT_FOUND');
  });
});
