import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { isArcFaceError, type ErrorCode } from '../../src/core/index.js';
import { openGallery, type Gallery } from '../../src/gallery/index.js';
import { addImages, People } from '../../src/people/index.js';
import { FaceRecognizer } from '../../src/pipeline/index.js';
import { sharedPath, testOutputDir } from '../helpers/shared.js';

const code = (c: ErrorCode) => (e: unknown) => isArcFaceError(e, c);
const LFW = sharedPath('data', 'faces', 'lfw');
/** Five people with ≥ 6 photos each (first in name order): 4 photos to cluster, 1 to add later, 1 to identify. */
const PEOPLE = readdirSync(LFW, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort()
  .filter((d) => readdirSync(join(LFW, d)).length >= 6)
  .slice(0, 5);
const photos = (name: string): string[] =>
  readdirSync(join(LFW, name))
    .sort()
    .map((f) => join(LFW, name, f));

/** Person now held by the largest face of a photo (earlier photos' faces may have been placed after they were added). */
async function personOfMain(people: People, file: string): Promise<number | null> {
  const faces = (await people.store.loadFaces(people.gallery.embeddingSize)).faces.filter((f) => f.photo === file);
  const area = (b: readonly number[]): number => ((b[2] as number) - (b[0] as number)) * ((b[3] as number) - (b[1] as number));
  return [...faces].sort((a, b) => area(b.box) - area(a.box))[0]?.personId ?? null;
}

describe('People on a SQLite gallery with real LFW photos', () => {
  const dir = testOutputDir('people');
  let fr: FaceRecognizer;
  let gallery: Gallery;
  let people: People;
  const personOf = new Map<string, number>();

  before(async () => {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    fr = await FaceRecognizer.create({ locations: { home: join(dir, 'home'), dirs: [sharedPath('models')] } });
    gallery = await openGallery(join(dir, 'people.db'), { fingerprint: fr.fingerprint, embeddingSize: fr.embeddingSize, threshold: fr.threshold ?? 0.25 });
    people = await People.open(gallery);
  });
  after(async () => {
    await people?.close();
    await gallery?.close();
    await fr?.dispose();
  });

  it('clusters 20 photos of 5 people into the right groups', async () => {
    const files = PEOPLE.flatMap((p) => photos(p).slice(0, 4));
    const progress: number[] = [];
    const first = await addImages(people, fr, files, { onProgress: (p) => progress.push(p.done) });
    assert.deepEqual(
      progress,
      files.map((_, i) => i + 1),
    );
    assert.equal(first.images.length, files.length);
    for (const name of PEOPLE) {
      const ids = await Promise.all(
        photos(name)
          .slice(0, 4)
          .map((f) => personOfMain(people, f)),
      );
      assert.ok(
        ids.every((id) => id !== null && id === ids[0]),
        `${name}: ${ids.join(', ')}`,
      );
      personOf.set(name, ids[0] as number);
    }
    assert.equal(new Set(personOf.values()).size, PEOPLE.length);
  });

  it('adds a new photo of a known person to that person without re-clustering', async () => {
    const before = (await people.list()).length;
    const name = PEOPLE[2] as string;
    const file = photos(name)[4] as string;
    const r = await addImages(people, fr, [file]);
    assert.ok(
      r.images[0]?.faces.some((f) => f.personId === personOf.get(name)),
      'placed when added',
    );
    assert.equal(await personOfMain(people, file), personOf.get(name));
    assert.equal((await people.list()).length, before);
  });

  it('keeps two faces of one photo apart', async () => {
    const src = photos(PEOPLE[0] as string)[0] as string;
    const twice = join(dir, 'twice.jpg');
    const img = await sharp(src).resize(250, 250).toBuffer();
    writeFileSync(
      twice,
      await sharp({ create: { width: 500, height: 250, channels: 3, background: '#808080' } })
        .composite([
          { input: img, left: 0, top: 0 },
          { input: img, left: 250, top: 0 },
        ])
        .jpeg()
        .toBuffer(),
    );
    const r = await addImages(people, fr, [twice]);
    const faces = r.images[0]?.faces ?? [];
    assert.ok(faces.length >= 2);
    const persons = faces.map((f) => f.personId).filter((p) => p !== null);
    assert.equal(new Set(persons).size, persons.length, `same-photo faces share a person: ${persons.join(', ')}`);
    assert.ok(persons.includes(personOf.get(PEOPLE[0] as string) as number));
  });

  it('re-clusters fully and keeps person ids', async () => {
    const r = await people.recluster();
    assert.ok(r.kept >= PEOPLE.length);
    for (const [name, pid] of personOf) {
      const faces = (await people.show(pid)).faces;
      assert.ok(faces.filter((f) => f.photo.includes(`/${name}/`)).length >= 4, `${name} kept person ${pid}`);
      assert.ok(
        faces.every((f) => f.photo.includes(`/${name}/`) || f.photo.endsWith('twice.jpg')),
        `${name}: ${faces.map((f) => f.photo).join(', ')}`,
      );
    }
  });

  it('naming a person makes the gallery identify it, and later faces join the identity', async () => {
    const name = PEOPLE[1] as string;
    const pid = personOf.get(name) as number;
    const { identityId } = await people.name(pid, name.replace(/_/g, ' '), { id: name.toLowerCase() });
    const probe = (await fr.recognizeFile(photos(name)[5] as string, { select: 'largest' })).faces[0];
    assert.ok(probe !== undefined);
    const id = await gallery.identify(probe.embedding);
    assert.equal(id.decision, 'known');
    assert.equal(id.candidates[0]?.id, identityId);
    assert.equal(id.candidates[0]?.name, name.replace(/_/g, ' '));
    const before = (await gallery.show(identityId)).templates.length;
    await addImages(people, fr, [photos(name)[4] as string]);
    assert.equal((await gallery.show(identityId)).templates.length, before + 1);
    const shown = await people.show(pid);
    assert.equal(shown.name, name.replace(/_/g, ' '));
    assert.ok(shown.faces.every((f) => f.templateId !== null));
    const thumb = await gallery.thumbnail(shown.faces[0]?.templateId as number);
    assert.ok(thumb !== null && thumb[0] === 0xff && thumb[1] === 0xd8, 'template thumbnail is a JPEG');
  });

  it('splits faces into a new person, merges them back, hides and shows', async () => {
    const pid = personOf.get(PEOPLE[3] as string) as number;
    const faces = (await people.show(pid)).faces;
    const moved = faces.slice(0, 2).map((f) => f.faceId);
    const { personId } = await people.split(moved);
    assert.notEqual(personId, pid);
    const split = await people.show(personId);
    assert.deepEqual(split.faces.map((f) => f.faceId).sort(), [...moved].sort());
    assert.ok(split.faces.every((f) => f.locked));
    await people.recluster();
    assert.equal((await people.show(personId)).faces.length, 2, 'a re-cluster keeps faces moved by hand');
    await people.merge(personId, pid);
    assert.equal((await people.show(pid)).faces.length, faces.length);
    await assert.rejects(people.show(personId), code('PERSON_NOT_FOUND'));
    await people.hide(pid);
    assert.ok(!(await people.list()).some((p) => p.personId === pid));
    assert.ok((await people.list({ hidden: true })).some((p) => p.personId === pid && p.hidden));
    await people.hide(pid, false);
    assert.ok((await people.list()).some((p) => p.personId === pid));
    const thumb = await people.faceThumbnail(faces[0]?.faceId as number);
    assert.ok(thumb !== null && thumb.length > 500);
  });

  it('rejects faces below the quality limits, images without faces and unreadable files, with reasons', async () => {
    const blank = join(dir, 'blank.png');
    writeFileSync(
      blank,
      await sharp({ create: { width: 120, height: 120, channels: 3, background: '#6080a0' } })
        .png()
        .toBuffer(),
    );
    const junk = join(dir, 'junk.jpg');
    writeFileSync(junk, 'not an image');
    const small = photos(PEOPLE[4] as string)[5] as string;
    const r = await addImages(people, fr, [small, blank, junk], { limits: { minSize: 1000 } });
    assert.equal(r.images.length, 0);
    assert.ok(r.skipped.some((s) => s.file === small && s.reason === 'FACE_TOO_SMALL' && /at least 1000 px/.test(s.message)));
    assert.ok(r.skipped.some((s) => s.file === blank && s.reason === 'NO_FACE'));
    assert.ok(r.skipped.some((s) => s.file === junk && s.reason.startsWith('IMAGE_')));
    const r2 = await addImages(people, fr, [small], { limits: { minScore: 0.9999 } });
    assert.ok(r2.skipped.every((s) => s.reason === 'LOW_DETECTION_SCORE'));
    const r3 = await addImages(people, fr, [join(dir, 'missing.jpg')]);
    assert.equal(r3.skipped[0]?.reason, 'FILE_NOT_FOUND');
  });

  it('validates its parameters with coded errors', async () => {
    await assert.rejects(people.show(0), code('INVALID_ARGUMENT'));
    await assert.rejects(people.show(987654), code('PERSON_NOT_FOUND'));
    await assert.rejects(people.name(personOf.get(PEOPLE[0] as string) as number, ' '), code('INVALID_ARGUMENT'));
    await assert.rejects(people.split([]), code('INVALID_ARGUMENT'));
    await assert.rejects(people.split([987654]), code('FACE_NOT_FOUND'));
    await assert.rejects(people.faceThumbnail(987654), code('FACE_NOT_FOUND'));
    const pid = personOf.get(PEOPLE[0] as string) as number;
    await assert.rejects(people.merge(pid, pid), code('INVALID_ARGUMENT'));
    await assert.rejects(people.addPhoto('x.jpg', [{ box: [0, 0, 1, 1], detScore: 1, embedding: new Float32Array(3) }]), code('EMBEDDING_SIZE_MISMATCH'));
    await assert.rejects(people.addPhoto('', []), code('INVALID_ARGUMENT'));
    await assert.rejects(People.open(gallery, { minFaces: 0 }), RangeError);
  });
});
