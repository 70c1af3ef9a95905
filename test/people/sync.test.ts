import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readdirSync, rmSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isArcFaceError } from '../../src/core/index.js';
import { openGallery, type Gallery } from '../../src/gallery/index.js';
import { People, syncFolders } from '../../src/people/index.js';
import { FaceRecognizer } from '../../src/pipeline/index.js';
import { sharedPath, testOutputDir } from '../helpers/shared.js';

const LFW = sharedPath('data', 'faces', 'lfw');
const photo = (name: string, k: number): string => join(LFW, name, readdirSync(join(LFW, name)).sort()[k] as string);

describe('syncFolders with real photos', () => {
  const dir = testOutputDir('people-sync');
  const folder = join(dir, 'Photos');
  let fr: FaceRecognizer;
  let gallery: Gallery;
  let people: People;
  before(async () => {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(folder, { recursive: true });
    fr = await FaceRecognizer.create({ locations: { home: join(dir, 'home'), dirs: [sharedPath('models')] } });
    gallery = await openGallery(join(dir, 'g.db'), { fingerprint: fr.fingerprint, embeddingSize: fr.embeddingSize, threshold: fr.threshold ?? 0.25 });
    people = await People.open(gallery);
  });
  after(async () => {
    await people?.close();
    await gallery?.close();
    await fr?.dispose();
  });

  it("a file overwritten by another photo loses the old photo's faces and gains the new one's; a file gone before it is read is no error", async () => {
    const a = join(folder, 'a.jpg');
    const b = join(folder, 'b.jpg');
    copyFileSync(photo('Colin_Powell', 0), a);
    copyFileSync(photo('Tony_Blair', 0), b);
    const first = await syncFolders(people, fr, [folder], [a, b]);
    assert.deepEqual([first.added.length, first.removed.length], [2, 0]);
    const oldSha = (await people.photos()).find((p) => p.path === a)?.sha256 as string;
    copyFileSync(photo('George_W_Bush', 0), a);
    utimesSync(a, new Date(), new Date(Date.now() + 5000));
    const second = await syncFolders(people, fr, [folder], [a, b, join(folder, 'gone.jpg')]);
    assert.deepEqual(
      second.removed.map((r) => r.file),
      [a],
    );
    assert.deepEqual(second.added, [a]);
    assert.equal(second.unchanged, 1);
    assert.equal(await people.knownPhoto(oldSha), null);
    assert.equal((await people.photos()).length, 2);
    await assert.rejects(syncFolders(people, fr, [], []), (e: unknown) => isArcFaceError(e, 'INVALID_ARGUMENT'));
  });
});
