import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ArcFaceError, isArcFaceError, redactUrl } from '../../src/core/index.js';
import { assertPhotoJob, imageSha256, isBadInput, MicroBatcher, personNameFromFolder, scanPeopleFolder } from '../../src/ingest/index.js';
import { assertRedisUrl, enrolJobId, enrolJobOptions } from '../../apps/worker/index.js';

const code = (c: string) => (e: unknown) => isArcFaceError(e) && e.code === c;

describe('people folder scan', () => {
  it('takes sub-folders as identities, their images as photos; refuses bad names and empty folders; lists stray files', async () => {
    const root = mkdtempSync(join(tmpdir(), 'arcface-scan-'));
    for (const [folder, files] of [
      ['Ada_Lovelace', ['b.JPG', 'a.png', 'notes.txt', '.hidden.jpg']],
      ['Émile  Zola', ['x.webp']],
      ['Empty', ['readme.md']],
      ['.git', ['x.jpg']],
    ] as const) {
      mkdirSync(join(root, folder));
      for (const f of files) writeFileSync(join(root, folder, f), 'x');
    }
    mkdirSync(join(root, 'x'.repeat(201)));
    writeFileSync(join(root, 'x'.repeat(201), 'p.jpg'), 'x');
    writeFileSync(join(root, 'loose.jpg'), 'x');
    symlinkSync(join(root, 'Ada_Lovelace'), join(root, 'Ada_Alias'));
    const scan = await scanPeopleFolder(root);
    assert.equal(scan.root, root);
    assert.deepEqual(
      scan.people.map((p) => [p.id, p.name, p.files.map((f) => f.slice(root.length + 1))]),
      [
        ['Ada_Alias', 'Ada Alias', ['Ada_Alias/a.png', 'Ada_Alias/b.JPG']],
        ['Ada_Lovelace', 'Ada Lovelace', ['Ada_Lovelace/a.png', 'Ada_Lovelace/b.JPG']],
        ['Émile  Zola', 'Émile Zola', ['Émile  Zola/x.webp']],
      ],
    );
    assert.deepEqual(
      scan.refused.map((r) => [r.folder.slice(root.length + 1, root.length + 6), r.code]),
      [
        ['Empty', 'FILE_NOT_FOUND'],
        ['xxxxx', 'INVALID_ARGUMENT'],
      ],
    );
    assert.match(scan.refused[1]!.message, /rename the folder/);
    assert.deepEqual(scan.strayFiles, [join(root, 'loose.jpg')]);
    const only = await scanPeopleFolder(root, { extensions: ['.webp'] });
    assert.deepEqual(
      only.people.map((p) => p.id),
      ['Émile  Zola'],
    );
  });

  it('refuses a missing root (FILE_NOT_FOUND) and invalid parameters', async () => {
    await assert.rejects(scanPeopleFolder(join(tmpdir(), 'no-such-arcface-folder')), code('FILE_NOT_FOUND'));
    await assert.rejects(scanPeopleFolder(''), TypeError);
    assert.equal(personNameFromFolder('George_W__Bush'), 'George W Bush');
    assert.equal(personNameFromFolder('___'), '___');
    assert.throws(() => personNameFromFolder(3 as unknown as string), TypeError);
  });
});

describe('MicroBatcher', () => {
  it('runs full batches at once, partial ones after the linger, in order, and rejects a failed batch', async () => {
    const runs: number[][] = [];
    const b = new MicroBatcher<number, number>(
      async (xs) => {
        runs.push(xs);
        if (xs.includes(-1)) throw new Error('bad batch');
        return xs.map((x) => x * 10);
      },
      { maxItems: 3, lingerMs: 20 },
    );
    assert.deepEqual(await Promise.all([1, 2, 3, 4].map((x) => b.submit(x))), [10, 20, 30, 40]);
    assert.deepEqual(runs, [[1, 2, 3], [4]]);
    const failed = [b.submit(5), b.submit(-1)];
    await assert.rejects(failed[0]!, /bad batch/);
    await assert.rejects(failed[1]!, /bad batch/);
    const short = new MicroBatcher<number, number>(async () => [], { maxItems: 2, lingerMs: 0 });
    await assert.rejects(short.submit(1), /Expected 1 outputs/);
  });

  it('refuses invalid options', () => {
    assert.throws(() => new MicroBatcher(async (x: number[]) => x, { maxItems: 0, lingerMs: 1 }), RangeError);
    assert.throws(() => new MicroBatcher(async (x: number[]) => x, { maxItems: 1, lingerMs: -1 }), RangeError);
    assert.throws(() => new MicroBatcher(null as unknown as (x: number[]) => Promise<number[]>, { maxItems: 1, lingerMs: 1 }), TypeError);
  });
});

describe('enrolment jobs', () => {
  const sha = imageSha256(new Uint8Array([1, 2, 3]));

  it('classifies bad input (dead letter at once) apart from failures that may pass (retried)', () => {
    for (const c of ['IMAGE_CORRUPT', 'IMAGE_TRUNCATED', 'NO_FACE', 'MULTIPLE_FACES', 'FILE_NOT_FOUND', 'SOURCE_CHANGED'] as const)
      assert.equal(isBadInput(new ArcFaceError(c, 'x')), true, c);
    for (const c of ['GALLERY_BUSY', 'GALLERY_CORRUPT', 'MODEL_INVALID', 'INTERNAL'] as const) assert.equal(isBadInput(new ArcFaceError(c, 'x')), false, c);
    assert.equal(isBadInput(new Error('ECONNRESET')), false);
  });

  it('checks job payloads at the boundary', () => {
    const job = { identityId: 'ada', name: 'Ada', path: '/photos/ada.jpg', sha256: sha };
    assert.deepEqual(assertPhotoJob({ ...job, extra: 1 }), job);
    assert.throws(() => assertPhotoJob(null), code('INVALID_ARGUMENT'));
    assert.throws(() => assertPhotoJob({ ...job, sha256: 'abc' }), code('INVALID_ARGUMENT'));
    assert.throws(() => assertPhotoJob({ ...job, identityId: 'a\u0000' }), code('INVALID_ARGUMENT'));
    assert.throws(() => assertPhotoJob({ ...job, path: '' }), TypeError);
  });

  it('derives one job id per identity and photo, with retries and back-off', () => {
    assert.equal(enrolJobId('ada', sha), enrolJobId('ada', sha));
    assert.notEqual(enrolJobId('ada', sha), enrolJobId('bob', sha));
    assert.match(enrolJobId('ada', sha), /^[0-9a-f]{64}-[0-9a-f]{16}$/);
    const o = enrolJobOptions({ identityId: 'ada', sha256: sha });
    assert.deepEqual([o.attempts, o.backoff.type, o.removeOnFail], [6, 'exponential', false]);
    assert.equal(assertRedisUrl('rediss://h:1/2'), 'rediss://h:1/2');
    assert.throws(() => assertRedisUrl('postgres://h'), code('INVALID_ARGUMENT'));
    assert.throws(() => assertRedisUrl(undefined), code('INVALID_ARGUMENT'));
    assert.equal(redactUrl('redis://u:secret@h:1'), 'redis://u:***@h:1');
  });
});
