import assert from 'node:assert/strict';
import { existsSync, statSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { SqliteGalleryStore, openGallery, readSnapshot, writeSnapshot, type SnapshotKey } from '../../src/gallery/index.js';
import { DIM, FP, people, probe, scratch } from './fixtures.js';

const THRESHOLD = 0.3;
const opts = { fingerprint: FP, embeddingSize: DIM, threshold: THRESHOLD, snapshotMinRows: 10 };

async function keyOf(path: string): Promise<SnapshotKey> {
  const store = await SqliteGalleryStore.open(path, { fingerprint: FP, embeddingSize: DIM, readonly: true });
  const stamp = await store.stamp();
  await store.close();
  return { ...stamp, dim: DIM, fingerprint: FP };
}

describe('matrix snapshot', () => {
  it('is written beside a large enough gallery, read at the next open, and ignored once stale', async () => {
    const path = join(scratch('snapshot'), 'g.db');
    const snap = `${path}.matrix`;
    const crowd = people(21, 30, 3);
    const g = await openGallery(path, opts);
    for (const p of crowd) await g.enroll(p.id, p.templates);
    const target = crowd[4]!;
    assert.equal((await g.identify(probe(1, target.base))).candidates[0]?.id, target.id);
    await g.close();
    assert.ok(existsSync(snap), 'snapshot written on close');

    // The snapshot holds exactly the store's rows, in template order.
    const store = await SqliteGalleryStore.open(path, { fingerprint: FP, embeddingSize: DIM });
    const fromStore = await store.loadMatrix();
    await store.close();
    const key = await keyOf(path);
    assert.equal(key.rows, 90);
    const fromSnap = readSnapshot(snap, key);
    assert.ok(fromSnap !== null);
    assert.deepEqual(fromSnap.templateIds, fromStore.templateIds);
    assert.deepEqual(fromSnap.identityIds, fromStore.identityIds);
    assert.deepEqual(fromSnap.stamp, fromStore.stamp);
    assert.deepEqual(Buffer.from(fromSnap.matrix.buffer), Buffer.from(fromStore.matrix.buffer));

    // Prove the next open reads it: negate the target's rows in the snapshot only.
    const rows = fromSnap.identityIds.flatMap((id, r) => (id === target.id ? [r] : []));
    for (const r of rows) for (let j = 0; j < DIM; j++) fromSnap.matrix[r * DIM + j] = -(fromSnap.matrix[r * DIM + j] as number);
    await writeSnapshot(snap, key, fromSnap);
    const tampered = await openGallery(path, opts);
    assert.notEqual((await tampered.identify(probe(1, target.base))).candidates[0]?.id, target.id);
    // A write (any process) bumps the generation: the snapshot no longer matches.
    await tampered.enroll('newcomer', people(22, 1, 2)[0]!.templates);
    await tampered.close();
    const fresh = await openGallery(path, opts);
    assert.equal((await fresh.identify(probe(1, target.base))).candidates[0]?.id, target.id);
    await fresh.close();
    const rewritten = readSnapshot(snap, await keyOf(path));
    assert.ok(rewritten !== null, 'rewritten for the new generation');
    assert.equal(rewritten.templateIds.length, 92);
  });

  it('a truncated, foreign or garbage snapshot is ignored and replaced', async () => {
    const path = join(scratch('snapshot-bad'), 'g.db');
    const snap = `${path}.matrix`;
    const crowd = people(23, 20, 1);
    const g = await openGallery(path, opts);
    for (const p of crowd) await g.enroll(p.id, p.templates);
    await g.identify(crowd[0]!.base);
    await g.close();
    const size = statSync(snap).size;
    const key = await keyOf(path);
    assert.equal(readSnapshot(snap, { ...key, generation: key.generation + 1 }), null, 'other generation');
    assert.equal(readSnapshot(snap, { ...key, fingerprint: 'sha256:other' }), null, 'other model');
    truncateSync(snap, size - 7);
    assert.equal(readSnapshot(snap, key), null, 'truncated');
    const reopened = await openGallery(path, opts);
    for (const p of crowd.slice(0, 5)) assert.equal((await reopened.identify(p.base)).candidates[0]?.id, p.id);
    await reopened.close();
    assert.equal(statSync(snap).size, size, 'replaced by a whole one');
    assert.ok(readSnapshot(snap, key) !== null);
  });

  it('is not written below snapshotMinRows nor by a read-only gallery', async () => {
    const dir = scratch('snapshot-none');
    const small = join(dir, 'small.db');
    const g = await openGallery(small, { ...opts, snapshotMinRows: 1000 });
    for (const p of people(24, 10, 2)) await g.enroll(p.id, p.templates);
    await g.identify(people(24, 1, 1)[0]!.base);
    await g.close();
    assert.equal(existsSync(`${small}.matrix`), false);
    const ro = await openGallery(small, { ...opts, readonly: true });
    assert.equal((await ro.identify(people(24, 1, 1)[0]!.base)).candidates.length > 0, true);
    await ro.close();
    assert.equal(existsSync(`${small}.matrix`), false);
  });

  it('single-template identities open through the snapshot with the same answers, show and audit', async () => {
    const path = join(scratch('snapshot-singles'), 'g.db');
    const crowd = people(25, 60, 1);
    const g = await openGallery(path, opts);
    for (const p of crowd) await g.enroll(p.id, p.templates);
    const before = await Promise.all(crowd.slice(0, 10).map((p) => g.identify(probe(2, p.base), { topK: 3 })));
    const showBefore = await g.show(crowd[3]!.id);
    await g.close();
    const again = await openGallery(path, opts);
    const after = await Promise.all(crowd.slice(0, 10).map((p) => again.identify(probe(2, p.base), { topK: 3 })));
    assert.deepEqual(after, before);
    assert.deepEqual(await again.show(crowd[3]!.id), showBefore);
    assert.deepEqual(await again.audit(), []);
    assert.equal((await again.indexInfo()).identities, 60);
    assert.equal((await again.verify(probe(3, crowd[7]!.base), crowd[7]!.id)).match, true);
    await again.close();
  });
});
