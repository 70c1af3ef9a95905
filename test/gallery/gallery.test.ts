import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isArcFaceError } from '../../src/core/index.js';
import { Gallery, SqliteGalleryStore, openGallery, type GalleryStore } from '../../src/gallery/index.js';
import { DIM, FP, OTHER_FP, people, probe, scratch } from './fixtures.js';
import { randomUnit, rng } from './synthetic.js';

/** Synthetic people are at cosine 0.7 to their base; strangers at ≈ 0 ± 0.05. */
const THRESHOLD = 0.3;
const code = (c: string) => (e: unknown) => isArcFaceError(e) && e.code === c;

async function filled(name: string, extra: Record<string, unknown> = {}): Promise<{ g: Gallery; crowd: ReturnType<typeof people>; path: string }> {
  const path = join(scratch(name), 'g.db');
  const g = await openGallery(path, { fingerprint: FP, embeddingSize: DIM, threshold: THRESHOLD, ...extra });
  const crowd = people(10, 40, 4);
  for (const p of crowd) await g.enroll(p.id, p.templates, { name: `Name ${p.id}`, metadata: { team: 'x' } });
  return { g, crowd, path };
}

describe('Gallery', () => {
  it('identifies enrolled people from other photos and answers unknown for strangers', async () => {
    const { g, crowd } = await filled('identify');
    let top1 = 0;
    for (const [i, p] of crowd.entries()) {
      const res = await g.identify(probe(1000 + i, p.base), { topK: 3 });
      assert.equal(res.candidates.length, 3);
      if (res.decision === 'known' && res.candidates[0]?.id === p.id) top1++;
    }
    assert.equal(top1, crowd.length);
    const r = rng(99);
    for (let i = 0; i < 20; i++) {
      const res = await g.identify(randomUnit(r, DIM));
      assert.equal(res.decision, 'unknown');
      assert.ok((res.candidates[0]?.score ?? 1) < THRESHOLD);
    }
    const first = crowd[0]!;
    const best = (await g.identify(probe(5, first.base), { topK: 1 })).candidates[0]!;
    assert.equal(best.name, `Name ${first.id}`);
    const v = await g.verify(probe(5, first.base), first.id);
    assert.equal(v.match, true);
    assert.equal(v.score, best.score);
    assert.equal((await g.verify(probe(5, first.base), crowd[1]!.id)).match, false);
    await g.close();
  });

  it('exact, int8 and (below its threshold) auto give identical identifications; hnsw above it', async () => {
    const dir = scratch('kinds');
    const crowd = people(11, 60, 3);
    const results: string[] = [];
    for (const index of ['exact', 'int8', 'auto'] as const) {
      const g = await openGallery(join(dir, `${index}.db`), { fingerprint: FP, embeddingSize: DIM, threshold: THRESHOLD, index });
      for (const p of crowd) await g.enroll(p.id, p.templates);
      assert.equal((await g.indexInfo()).kind, index === 'auto' ? 'exact' : index);
      const out = [];
      for (const [i, p] of crowd.entries()) out.push(await g.identify(probe(2000 + i, p.base), { topK: 5 }));
      results.push(JSON.stringify(out));
      await g.close();
    }
    assert.equal(results[1], results[0]);
    assert.equal(results[2], results[0]);
    const h = await openGallery(join(dir, 'exact.db'), { fingerprint: FP, embeddingSize: DIM, threshold: THRESHOLD, hnswThreshold: 10 });
    assert.equal((await h.indexInfo()).kind, 'hnsw');
    const hits = await Promise.all(crowd.map(async (p, i) => (await h.identify(probe(2000 + i, p.base))).candidates[0]?.id === p.id));
    assert.ok(hits.filter(Boolean).length >= 59);
    await h.close();
  });

  it('sees writes made through another connection (generation counter)', async () => {
    const { g, path, crowd } = await filled('generation');
    const other = await openGallery(path, { fingerprint: FP, embeddingSize: DIM, threshold: THRESHOLD });
    const [newcomer] = people(12, 1, 3);
    assert.equal((await other.identify(probe(3, newcomer!.base))).decision, 'unknown');
    await g.enroll('newcomer', newcomer!.templates);
    assert.equal((await other.identify(probe(3, newcomer!.base))).candidates[0]?.id, 'newcomer');
    await g.remove(crowd[0]!.id);
    assert.notEqual((await other.identify(probe(4, crowd[0]!.base))).candidates[0]?.id, crowd[0]!.id);
    await other.close();
    await g.close();
  });

  it('patches the index after its own writes without reloading, with the results of a full rebuild', async () => {
    const path = join(scratch('overlay'), 'g.db');
    const store = await SqliteGalleryStore.open(path, { fingerprint: FP, embeddingSize: DIM });
    let loads = 0;
    const counting = Object.assign(Object.create(store) as GalleryStore, {
      loadMatrix: async () => {
        loads++;
        return store.loadMatrix();
      },
    });
    const g = Gallery.fromStore(counting, { threshold: THRESHOLD });
    const crowd = people(13, 30, 3);
    for (const p of crowd.slice(0, 25)) await g.enroll(p.id, p.templates);
    await g.identify(probe(1, crowd[0]!.base));
    assert.equal(loads, 1);
    for (const p of crowd.slice(25)) await g.enroll(p.id, p.templates);
    await g.enroll(crowd[1]!.id, [probe(2, crowd[1]!.base)], { append: true });
    await g.remove(crowd[2]!.id);
    await g.rename(crowd[3]!.id, { newId: 'renamed' });
    await g.merge(crowd[4]!.id, crowd[5]!.id);
    const ask = async (x: Gallery) => Promise.all(crowd.map(async (p, i) => x.identify(probe(3000 + i, p.base), { topK: 4 })));
    const patched = await ask(g);
    assert.equal(loads, 1);
    assert.equal((await g.verify(probe(7, crowd[3]!.base), 'renamed')).match, true);
    await assert.rejects(g.verify(probe(7, crowd[2]!.base), crowd[2]!.id), code('IDENTITY_NOT_FOUND'));
    const fresh = await openGallery(path, { threshold: THRESHOLD });
    assert.deepEqual(patched, await ask(fresh));
    await fresh.close();
    await g.close();
  });

  it('enrols with append, renames, merges, removes, lists and shows', async () => {
    const { g, crowd } = await filled('edit');
    const [a, b, c] = crowd;
    await assert.rejects(g.enroll(a!.id, a!.templates), code('IDENTITY_EXISTS'));
    await g.enroll(a!.id, [probe(7, a!.base)], { append: true });
    assert.equal((await g.show(a!.id)).templates.length, 5);
    await g.rename(a!.id, { newId: 'ada', name: 'Ada' });
    const ada = await g.show('ada');
    assert.equal(ada.name, 'Ada');
    assert.equal(ada.templates.length, 5);
    assert.deepEqual(ada.metadata, { team: 'x' });
    assert.equal((await g.identify(probe(8, a!.base))).candidates[0]?.id, 'ada');
    await assert.rejects(g.rename('ada', { newId: b!.id }), code('IDENTITY_EXISTS'));
    await assert.rejects(g.rename('nobody', { name: 'x' }), code('IDENTITY_NOT_FOUND'));
    await g.merge(b!.id, c!.id);
    assert.equal((await g.show(c!.id)).templates.length, 8);
    await assert.rejects(g.show(b!.id), code('IDENTITY_NOT_FOUND'));
    await assert.rejects(g.merge('nobody', c!.id), code('IDENTITY_NOT_FOUND'));
    await g.remove(c!.id);
    await assert.rejects(g.remove(c!.id), code('IDENTITY_NOT_FOUND'));
    await assert.rejects(g.verify(probe(9, c!.base), c!.id), code('IDENTITY_NOT_FOUND'));
    const list = await g.list();
    assert.equal(list.length, 38);
    assert.ok(list.every((i, k) => k === 0 || (list[k - 1] as { id: string }).id < i.id));
    await g.close();
  });

  it('audit flags planted mislabels through sub-centres, and they do not attract queries', async () => {
    const { g, crowd } = await filled('audit');
    const [victim, intruder] = crowd;
    await g.enroll(victim!.id, [probe(21, intruder!.base), probe(22, intruder!.base)], { append: true });
    await g.enroll(crowd[2]!.id, [probe(23, crowd[3]!.base)], { append: true });
    const findings = await g.audit();
    assert.deepEqual(findings.map((f) => f.id).sort(), [victim!.id, victim!.id, crowd[2]!.id].sort());
    assert.ok(findings.every((f) => f.score < THRESHOLD && f.subCenter > 0));
    const show = await g.show(victim!.id);
    assert.deepEqual(
      show.subCenters.map((s) => [s.size, s.dominant, s.trusted]),
      [
        [4, true, true],
        [2, false, true],
      ],
    );
    assert.equal((await g.identify(probe(24, crowd[3]!.base))).candidates[0]?.id, crowd[3]!.id);
    await g.close();
  });

  it('export → import round-trips bit for bit; foreign and damaged exports are refused', async () => {
    const { g, crowd } = await filled('export');
    await g.enroll(crowd[0]!.id, [{ embedding: probe(30, crowd[0]!.base), sourceFile: 'x.jpg', sourceSha256: 'ab', detScore: 0.91, faceSize: 120 }], {
      append: true,
    });
    const dir = scratch('export-files');
    const a = join(dir, 'a.afg');
    assert.deepEqual(await g.export(a), { identities: 40, templates: 161, sealed: false });
    const h = await openGallery(join(dir, 'copy.db'), { fingerprint: FP, embeddingSize: DIM, threshold: THRESHOLD });
    assert.deepEqual(await h.import(a), { identities: 40, templates: 161, duplicates: 0 });
    const b = join(dir, 'b.afg');
    await h.export(b);
    assert.ok(readFileSync(a).equals(readFileSync(b)));
    for (const p of crowd.slice(0, 5)) {
      const x = (await g.store.templatesOf(p.id)).map((t) => Buffer.from(t.embedding.buffer).toString('hex'));
      const y = (await h.store.templatesOf(p.id)).map((t) => Buffer.from(t.embedding.buffer).toString('hex'));
      assert.deepEqual(y, x);
    }
    await assert.rejects(h.import(a), code('IDENTITY_EXISTS'));
    // Appending the same export again: the template with a source SHA-256 is known and skipped;
    // templates without one cannot be told apart from new photos and are added.
    assert.deepEqual(await h.import(a, { append: true }), { identities: 40, templates: 160, duplicates: 1 });
    const other = await openGallery(join(dir, 'other.db'), { fingerprint: OTHER_FP, embeddingSize: DIM, threshold: THRESHOLD });
    await assert.rejects(other.import(a), code('MODEL_MISMATCH'));
    const bytes = readFileSync(a);
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] as number) ^ 1;
    writeFileSync(join(dir, 'bad.afg'), bytes);
    await assert.rejects(other.import(join(dir, 'bad.afg')), code('GALLERY_CORRUPT'));
    writeFileSync(join(dir, 'short.afg'), bytes.subarray(0, 100));
    await assert.rejects(other.import(join(dir, 'short.afg')), code('GALLERY_CORRUPT'));
    writeFileSync(join(dir, 'text.afg'), 'hello');
    await assert.rejects(other.import(join(dir, 'text.afg')), code('GALLERY_CORRUPT'));
    await assert.rejects(other.import(join(dir, 'absent.afg')), code('FILE_NOT_FOUND'));
    await Promise.all([g.close(), h.close(), other.close()]);
  });

  it('opens an existing gallery without a model for management, and needs a threshold only to decide', async () => {
    const { g, path, crowd } = await filled('no-model');
    await g.close();
    const m = await openGallery(path);
    assert.equal(m.fingerprint, FP);
    assert.equal(m.threshold, null);
    assert.equal((await m.list()).length, 40);
    await assert.rejects(m.identify(probe(1, crowd[0]!.base)), code('INVALID_ARGUMENT'));
    assert.equal((await m.identify(probe(1, crowd[0]!.base), { threshold: THRESHOLD })).candidates[0]?.id, crowd[0]!.id);
    await m.close();
    await assert.rejects(openGallery(join(scratch('no-model-new'), 'new.db')), code('FILE_NOT_FOUND'));
  });

  it('rejects invalid parameters with coded errors', async () => {
    const { g, crowd } = await filled('invalid');
    const q = probe(40, crowd[0]!.base);
    await assert.rejects(g.identify(new Float32Array(128).fill(1 / Math.sqrt(128))), code('EMBEDDING_SIZE_MISMATCH'));
    await assert.rejects(g.enroll('z', [new Float32Array(128)]), code('EMBEDDING_SIZE_MISMATCH'));
    await assert.rejects(g.identify(new Float32Array(DIM).fill(1)), code('INVALID_ARGUMENT'));
    await assert.rejects(g.identify([1, 2] as unknown as Float32Array), code('INVALID_ARGUMENT'));
    await assert.rejects(g.identify(q, { topK: 0 }), code('INVALID_ARGUMENT'));
    await assert.rejects(g.identify(q, { threshold: 2 }), code('INVALID_ARGUMENT'));
    await assert.rejects(g.enroll('', [q]), code('INVALID_ARGUMENT'));
    await assert.rejects(g.enroll('bad\nid', [q]), code('INVALID_ARGUMENT'));
    await assert.rejects(g.enroll('z', []), code('INVALID_ARGUMENT'));
    await assert.rejects(g.enroll('z', [q], { metadata: [] as unknown as Record<string, unknown> }), code('INVALID_ARGUMENT'));
    await assert.rejects(g.enroll('z', [q], { name: '' }), code('INVALID_ARGUMENT'));
    await assert.rejects(g.rename(crowd[0]!.id, {}), code('INVALID_ARGUMENT'));
    await assert.rejects(g.merge(crowd[0]!.id, crowd[0]!.id), code('INVALID_ARGUMENT'));
    await assert.rejects(openGallery('', { fingerprint: FP, embeddingSize: DIM, threshold: 0.3 }), code('INVALID_ARGUMENT'));
    await assert.rejects(openGallery('x.db', { fingerprint: FP, embeddingSize: DIM, threshold: 3 }), code('INVALID_ARGUMENT'));
    await assert.rejects(openGallery('x.db', { fingerprint: FP, embeddingSize: DIM, threshold: 0.3, index: 'fast' as 'exact' }), code('INVALID_ARGUMENT'));
    await assert.rejects(openGallery('x.db', { fingerprint: '', embeddingSize: DIM, threshold: 0.3 }), code('INVALID_ARGUMENT'));
    await g.close();
  });
});
