import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { GalleryAdapter } from '../../apps/server/services/gallery-adapter.js';
import { moveSideFileThumbnails } from '../../apps/server/services/thumbnail-side-file.js';
import { openGallery } from '../../src/gallery/index.js';
import { DIM, FP, scratch } from '../gallery/fixtures.js';
import { near, randomUnit, rng } from '../gallery/synthetic.js';

const jpeg = (n: number): Uint8Array => new Uint8Array([0xff, 0xd8, n, 0xff, 0xd9]);

describe('face thumbnails: one home, the gallery store', () => {
  it('a thumbnail stored through Gallery.putThumbnails is reported and served by the server port', async () => {
    const dir = scratch('adapter-thumbs');
    const g = await openGallery(join(dir, 'g.db'), { fingerprint: FP, embeddingSize: DIM, threshold: 0.3 });
    const port = GalleryAdapter.create(g);
    try {
      const r = rng(3);
      const { templateIds } = await g.enroll('ada', [near(r, randomUnit(r, DIM), 0.8), near(r, randomUnit(r, DIM), 0.8)]);
      const [withJpeg, without] = templateIds as [number, number];
      await g.putThumbnails([{ templateId: withJpeg, jpeg: jpeg(1) }]);
      const faces = await port.listFaces('ada');
      assert.deepEqual(
        faces.map((f) => [f.faceId, f.hasThumbnail]),
        [
          [withJpeg, true],
          [without, false],
        ],
      );
      assert.deepEqual(await port.thumbnail(withJpeg), jpeg(1));
      assert.equal(await port.thumbnail(without), undefined);
      assert.deepEqual([...(await g.thumbnailIds([without, withJpeg]))], [withJpeg]);
      await assert.rejects(g.thumbnailIds([0]), (e: unknown) => e instanceof Error && /templateIds\[0\]/.test(e.message));
    } finally {
      await port.close();
    }
  });

  it("an older server's side file is moved into the gallery once, then removed", async () => {
    const dir = scratch('side-file-thumbs');
    const path = join(dir, 'g.db');
    const g = await openGallery(path, { fingerprint: FP, embeddingSize: DIM, threshold: 0.3 });
    try {
      const r = rng(4);
      const { templateIds } = await g.enroll('bo', [near(r, randomUnit(r, DIM), 0.8), near(r, randomUnit(r, DIM), 0.8)]);
      const [kept, own] = templateIds as [number, number];
      await g.putThumbnails([{ templateId: own, jpeg: jpeg(9) }]);
      const side = new Database(`${path}.thumbs.db`);
      side.exec('CREATE TABLE thumbnails (face_id INTEGER PRIMARY KEY, jpeg BLOB NOT NULL)');
      const put = side.prepare('INSERT INTO thumbnails (face_id, jpeg) VALUES (?, ?)');
      put.run(kept, Buffer.from(jpeg(1)));
      put.run(own, Buffer.from(jpeg(2)));
      put.run(own + 100, Buffer.from(jpeg(3)));
      side.close();
      assert.equal(await moveSideFileThumbnails(g, `${path}.thumbs.db`), 1);
      assert.equal(existsSync(`${path}.thumbs.db`), false);
      assert.deepEqual(await g.thumbnail(kept), jpeg(1));
      assert.deepEqual(await g.thumbnail(own), jpeg(9), "the gallery's own thumbnail wins");
      assert.equal(await g.thumbnail(own + 100), null, 'a removed face keeps no thumbnail');
      assert.equal(await moveSideFileThumbnails(g, `${path}.thumbs.db`), null);
    } finally {
      await g.close();
    }
  });
});
