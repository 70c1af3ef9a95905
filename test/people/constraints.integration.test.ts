import assert from 'node:assert/strict';
import { runScriptsAtOnce } from '../helpers/cli.js';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { openGallery, type Gallery } from '../../src/gallery/index.js';
import { People } from '../../src/people/index.js';
import { DIM, FP, scratch } from '../gallery/fixtures.js';
import { near, randomUnit, rng } from '../gallery/synthetic.js';
import { startPgServer, type PgTestServer } from '../helpers/pg-server.js';
import { REPO_ROOT } from '../helpers/shared.js';

const sha = (i: number): string => i.toString(16).padStart(64, '0');
const BOX = [0, 0, 60, 60] as const;

/** Adds one single-face photo near `base`; returns its face id. */
async function photo(people: People, r: () => number, base: Float32Array, n: number): Promise<number> {
  const [f] = await people.addPhoto(`p${n}.jpg`, [{ box: BOX, detScore: 0.9, embedding: near(r, base, 0.8) }], { sha256: sha(n) });
  return (f as { faceId: number }).faceId;
}

async function personOf(people: People): Promise<Map<number, number | null>> {
  return new Map((await people.store.loadFaces(DIM)).faces.map((f) => [f.faceId, f.personId]));
}

/** Every cannot-link recorded holds: its two faces are not in one person. */
async function cannotLinksHold(people: People): Promise<number> {
  const now = await personOf(people);
  const cannot = (await people.store.constraints()).filter((c) => c.kind === 'cannot');
  for (const c of cannot) {
    const [a, b] = [now.get(c.faceA), now.get(c.faceB)];
    assert.ok(a === null || a === undefined || a !== b, `faces ${c.faceA} and ${c.faceB} (${c.edit}) share person ${a}`);
  }
  return cannot.length;
}

/** Hand edits survive incremental adds and full re-clusters, on any gallery. */
async function constraintScenario(people: People, seed: number): Promise<void> {
  const r = rng(seed);
  const [a, b, c, d] = [randomUnit(r, DIM), randomUnit(r, DIM), randomUnit(r, DIM), randomUnit(r, DIM)] as Float32Array[] as [
    Float32Array,
    Float32Array,
    Float32Array,
    Float32Array,
  ];
  let n = seed * 1000;
  const add = async (base: Float32Array, k: number): Promise<number[]> => {
    const ids: number[] = [];
    for (let i = 0; i < k; i++) ids.push(await photo(people, r, base, n++));
    return ids;
  };
  const fa = await add(a, 5);
  const fb = await add(b, 5);
  let now = await personOf(people);
  const [pa, pb] = [now.get(fa[0] as number) as number, now.get(fb[0] as number) as number];
  assert.ok(pa !== null && pb !== null && pa !== pb, 'two people found apart');

  // Merge: two persons the clustering keeps apart stay one person through --full and incremental adds.
  await people.merge(pb, pa);
  await people.recluster();
  now = await personOf(people);
  for (const f of [...fa, ...fb]) assert.equal(now.get(f), pa, `merged face ${f} moved by --full`);
  await add(b, 3);
  await people.recluster();
  now = await personOf(people);
  for (const f of [...fa, ...fb]) assert.equal(now.get(f), pa, `merged face ${f} moved`);

  // Split: faces moved to a new person are never folded back, incrementally or by --full.
  const fc = await add(c, 8);
  now = await personOf(people);
  const pc = now.get(fc[0] as number) as number;
  assert.ok(
    fc.every((f) => now.get(f) === pc),
    'one person of 8 faces',
  );
  const moved = fc.slice(0, 3);
  const { personId: q } = await people.split(moved);
  await add(c, 4);
  now = await personOf(people);
  for (const f of moved) assert.equal(now.get(f), q, `split face ${f} moved by an incremental add`);
  for (const f of fc.slice(3)) assert.notEqual(now.get(f), q, `face ${f} folded into the split person`);
  await people.recluster();
  now = await personOf(people);
  for (const f of moved) assert.equal(now.get(f), q, `split face ${f} moved by --full`);
  const shown = await people.show(q);
  assert.ok(
    shown.constraints.some((x) => x.kind === 'cannot' && x.edit === 'split' && moved.includes(x.face) && fc.slice(3).includes(x.other)),
    'show lists the split',
  );
  assert.ok(shown.constraints.some((x) => x.kind === 'must' && x.edit === 'split'));
  assert.ok(shown.faces.every((f) => f.locked));

  // Move (split --into): the face stays in the person it was moved to.
  const [mover] = fc.slice(3);
  await people.split([mover as number], pa);
  await add(c, 2);
  await people.recluster();
  assert.equal((await personOf(people)).get(mover as number), pa, 'a moved face left the person it was moved to');
  assert.ok((await people.show(pa)).constraints.some((x) => x.edit === 'move' && x.face === mover));

  // Not this person: the face leaves and never comes back, through adds and --full.
  const fd = await add(d, 6);
  now = await personOf(people);
  const pd = now.get(fd[0] as number) as number;
  const out = fd[5] as number;
  assert.deepEqual(await people.reject(out), { faceId: out, personId: pd });
  assert.equal((await personOf(people)).get(out), null);
  await add(d, 3);
  assert.notEqual((await personOf(people)).get(out), pd);
  await people.recluster();
  now = await personOf(people);
  for (const f of fd.slice(0, 5)) assert.notEqual(now.get(out), now.get(f) ?? -1, `rejected face ${out} back with ${f}`);
  assert.ok(
    (await people.show(now.get(fd[0] as number) as number)).constraints.some((x) => x.kind === 'cannot' && x.edit === 'not-this-person' && x.other === out),
  );
  assert.ok((await cannotLinksHold(people)) >= 3 * 5 + 5);
  const [lone] = await add(randomUnit(r, DIM), 1);
  assert.equal((await personOf(people)).get(lone as number), null, 'a lone face waits without a person');
  await assert.rejects(people.reject(lone as number), (e: unknown) => (e as { code?: string }).code === 'INVALID_ARGUMENT');
  await assert.rejects(people.reject(987654), (e: unknown) => (e as { code?: string }).code === 'FACE_NOT_FOUND');
}

/** A photo is known by content: a second add, by any writer, under any name, adds nothing. */
async function photoScenario(g: Gallery, h: Gallery, seed: number, sameProcess: boolean): Promise<void> {
  const p1 = await People.open(g);
  const p2 = await People.open(h);
  try {
    const r = rng(seed);
    const base = randomUnit(r, DIM);
    const faces = [0, 1].map(() => ({ box: BOX, detScore: 0.9, embedding: near(r, base, 0.8) }));
    const first = await p1.addPhoto('a/one.jpg', faces, { sha256: sha(seed), size: 10, mtimeMs: 1 });
    assert.deepEqual(
      first.map((f) => f.known),
      [false, false],
    );
    const again = await p1.addPhoto('a/one.jpg', faces, { sha256: sha(seed) });
    assert.deepEqual(
      again.map((f) => [f.faceId, f.known]),
      first.map((f) => [f.faceId, true]),
    );
    // Moved: found under another name, the photo is the same; its faces follow the new path.
    const renamed = await p2.addPhoto('b/renamed.jpg', faces, { sha256: sha(seed) });
    assert.deepEqual(
      renamed.map((f) => f.faceId),
      first.map((f) => f.faceId),
    );
    assert.equal((await p1.knownPhoto(sha(seed)))?.path, 'b/renamed.jpg');
    assert.ok((await p1.store.facesOfPhoto({ sha256: sha(seed) })).every((f) => f.photo === 'b/renamed.jpg'));
    // Concurrent writers, one photo: one set of faces. (Two SQLite connections in one process would
    // block each other's event loop: the file's concurrent writers are separate processes, below.)
    const twice = await Promise.all((sameProcess ? [p1, p1, p1] : [p1, p2, p1, p2]).map((p) => p.addPhoto('c.jpg', faces, { sha256: sha(seed + 1) })));
    assert.equal(twice.filter((x) => x.every((f) => !f.known)).length, 1);
    assert.equal((await p1.store.facesOfPhoto({ sha256: sha(seed + 1) })).length, 2);
    // Deleted: faces and photo go.
    assert.equal(await p2.removePhotos([sha(seed + 1)]), 2);
    assert.equal(await p1.knownPhoto(sha(seed + 1)), null);
    assert.equal((await p1.store.facesOfPhoto({ sha256: sha(seed + 1) })).length, 0);
    // Naming a person links a photo the identity already holds to its template: never a second one.
    const ada = randomUnit(r, DIM);
    await g.enroll('ada', [{ embedding: near(r, ada, 0.8), sourceSha256: sha(seed + 50) }], { append: true });
    for (let k = 0; k < 4; k++) await p1.addPhoto(`ada${k}.jpg`, [{ box: BOX, detScore: 0.9, embedding: near(r, ada, 0.8) }], { sha256: sha(seed + 50 + k) });
    const adaFaces = await Promise.all([0, 1, 2, 3].map(async (k) => (await p1.store.facesOfPhoto({ sha256: sha(seed + 50 + k) }))[0]));
    const pid = adaFaces[0]?.personId as number;
    assert.ok(pid !== null && adaFaces.every((f) => f?.personId === pid), 'the four photos form one person');
    await p1.name(pid, 'Ada', { id: 'ada' });
    assert.equal((await g.get('ada')).templateCount, 4);
    // Without a hash (an upload named by its content), the photo name is its identity.
    const named = await p1.addPhoto('upload#ab12', faces.slice(0, 1));
    assert.equal((await p1.addPhoto('upload#ab12', faces.slice(0, 1)))[0]?.faceId, named[0]?.faceId);
    // Faces stored before photos had hashes (schema 3) are adopted when their photo comes back with one.
    const legacy = await p1.addPhoto('legacy.jpg', faces.slice(0, 1));
    const adopted = await p1.addPhoto('legacy.jpg', faces.slice(0, 1), { sha256: sha(seed + 99) });
    assert.deepEqual(
      adopted.map((f) => [f.faceId, f.known]),
      [[legacy[0]?.faceId, true]],
    );
    assert.equal((await p1.knownPhoto(sha(seed + 99)))?.faces, 1);
    assert.equal((await p1.addPhoto('moved/legacy.jpg', faces.slice(0, 1), { sha256: sha(seed + 99) }))[0]?.faceId, legacy[0]?.faceId);
    await assert.rejects(p1.addPhoto('x.jpg', faces, { sha256: 'XYZ' }), (e: unknown) => (e as { code?: string }).code === 'INVALID_ARGUMENT');
  } finally {
    await p1.close();
    await p2.close();
  }
}

describe('hand edits are constraints, photos are known by content', () => {
  describe('SQLite', () => {
    const dir = scratch('people-constraints');
    const file = join(dir, `c-${process.pid}.db`);
    let g: Gallery;
    let h: Gallery;
    before(async () => {
      g = await openGallery(file, { fingerprint: FP, embeddingSize: DIM, threshold: 0.3 });
      h = await openGallery(file, { fingerprint: FP, embeddingSize: DIM, threshold: 0.3 });
    });
    after(async () => {
      await g.close();
      await h.close();
    });
    it('merge, split and not-this-person survive incremental adds and --full', async () => {
      const people = await People.open(g);
      try {
        await constraintScenario(people, 1);
      } finally {
        await people.close();
      }
    });
    it('one photo is added once: re-runs, moves, concurrent writers, deletions', async () => {
      await photoScenario(g, h, 7, true);
    });
    it('processes adding one photo at once store it once', async () => {
      const people = pathToFileURL(join(REPO_ROOT, 'dist', 'src', 'people', 'index.js')).href;
      const gallery = pathToFileURL(join(REPO_ROOT, 'dist', 'src', 'gallery', 'index.js')).href;
      const script = `const { People } = await import(${JSON.stringify(people)});
        const { openGallery } = await import(${JSON.stringify(gallery)});
        const g = await openGallery(${JSON.stringify(file)}, { fingerprint: ${JSON.stringify(FP)}, embeddingSize: ${DIM}, threshold: 0.3 });
        const p = await People.open(g);
        const e = new Float32Array(${DIM}); e[0] = 0.6; e[1] = 0.8;
        const faces = [{ box: [0, 0, 60, 60], detScore: 0.9, embedding: e }, { box: [80, 0, 140, 60], detScore: 0.9, embedding: e }];
        const f = await p.addPhoto('race.jpg', faces, { sha256: ${JSON.stringify(sha(4242))} });
        process.stdout.write(JSON.stringify(f.map((x) => x.known)));
        await p.close(); await g.close();`;
      const runs = await runScriptsAtOnce(script, 4);
      for (const r of runs) assert.equal(r.code, 0, r.err);
      assert.equal(runs.filter((r) => r.out === '[false,false]').length, 1, runs.map((r) => r.out).join(' '));
      assert.equal(runs.filter((r) => r.out === '[true,true]').length, 3);
      const p = await People.open(g);
      try {
        assert.equal((await p.store.facesOfPhoto({ sha256: sha(4242) })).length, 2);
      } finally {
        await p.close();
      }
    });
  });

  describe('PostgreSQL (PGlite over pglite-socket, two connections)', () => {
    let server: PgTestServer;
    let g: Gallery;
    let h: Gallery;
    before(async () => {
      server = await startPgServer({ maxConnections: 8 });
      g = await openGallery(server.url, { fingerprint: FP, embeddingSize: DIM, threshold: 0.3 });
      h = await openGallery(server.url, { fingerprint: FP, embeddingSize: DIM, threshold: 0.3 });
    });
    after(async () => {
      await g.close();
      await h.close();
      await server.stop();
    });
    it('merge, split and not-this-person survive incremental adds and --full', async () => {
      const people = await People.open(g);
      try {
        await constraintScenario(people, 2);
      } finally {
        await people.close();
      }
    });
    it('one photo is added once: re-runs, moves, concurrent writers, deletions', async () => {
      await photoScenario(g, h, 9, false);
    });
  });
});
