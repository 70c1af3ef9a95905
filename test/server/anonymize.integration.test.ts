import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { SyntheticVideo } from '../../bench/video-synth.js';
import { KeyStore } from '../../apps/server/services/key-store.js';
import { anonymizedPath, recoverJobRecords, writeJobRecord } from '../../apps/server/services/video-journal.js';
import { serve, type RunningServer } from '../../apps/server/server.js';
import { openGallery } from '../../src/gallery/index.js';
import { FaceRecognizer } from '../../src/pipeline/index.js';
import type { AnonymizeReport } from '../../src/privacy/index.js';
import { openVideoSource } from '../../src/video/index.js';
import { sharedPath } from '../helpers/shared.js';
import { clipDir, stampedClip, within } from '../helpers/video-clips.js';
import { testLocations } from './helpers.js';

interface JobView {
  id: string;
  status: string;
  frames: number;
  report?: AnonymizeReport;
  video?: string;
}

/** Enrols each clip person from an LFW photo the clip does not show (the library's own path, no CLI). */
async function enrol(clip: SyntheticVideo, path: string): Promise<void> {
  const lfw = sharedPath('data', 'faces', 'lfw-deepfunneled');
  const fr = await FaceRecognizer.create({ locations: testLocations() });
  const g = await openGallery(path, { fingerprint: fr.fingerprint, embeddingSize: fr.embeddingSize, threshold: fr.threshold ?? 0.3 });
  try {
    for (const p of clip.truth.people) {
      const held = readdirSync(join(lfw, p.personId))
        .sort()
        .find((f) => !p.photos.includes(f)) as string;
      const face = (await fr.recognizeFile(join(lfw, p.personId, held), { select: 'central' })).faces[0];
      assert.ok(face !== undefined, `a face of ${p.personId}`);
      await g.enroll(p.personId, [face.embedding], { metadata: { tags: p === clip.truth.people[0] ? ['consented'] : [] } });
    }
  } finally {
    await g.close();
    await fr.dispose();
  }
}

describe('anonymisation jobs over HTTP (a real server on loopback, real worker, models and ffmpeg)', () => {
  let server: RunningServer;
  let clip: SyntheticVideo;
  let dir: string;
  let owner: Record<string, string>;
  let other: Record<string, string>;
  before(async () => {
    dir = await clipDir('server-anonymize');
    clip = await stampedClip(dir, { width: 480, height: 270, seconds: 3, people: 2, seed: 5 });
    const gallery = join(dir, 'people.db');
    await enrol(clip, gallery);
    const home = mkdtempSync(join(tmpdir(), 'arcface-anon-'));
    const keys = KeyStore.open(join(home, 'keys.db'));
    owner = { 'x-api-key': keys.create({ scope: 'read', name: 'owner' }).key };
    other = { 'x-api-key': keys.create({ scope: 'read', name: 'other' }).key };
    keys.close();
    server = await serve({
      host: '127.0.0.1',
      port: 0,
      locations: testLocations(),
      workers: 1,
      galleryLocation: gallery,
      keysPath: join(home, 'keys.db'),
      handleSignals: false,
      log: () => undefined,
      videos: { dir: join(home, 'uploads'), maxBytes: 1 << 20, streams: {} },
    });
  });
  after(async () => {
    await server?.close();
  });

  async function finished(id: string): Promise<JobView> {
    return within(
      120_000,
      (async () => {
        for (;;) {
          const v = (await (await fetch(`${server.url}/v1/anonymize/${id}`, { headers: owner })).json()) as JobView;
          if (v.status !== 'queued' && v.status !== 'running') return v;
          await new Promise((r) => setTimeout(r, 250));
        }
      })(),
      'the anonymisation job',
    );
  }

  it('an uploaded video comes back with its faces covered, the consenting person (by gallery tag) kept, and a report', async () => {
    const consenting = clip.truth.people[0]?.personId as string;
    const post = await fetch(`${server.url}/v1/anonymize?style=fill&keepTag=consented`, {
      method: 'POST',
      headers: { ...owner, 'content-type': 'video/mp4' },
      body: readFileSync(clip.videoPath),
    });
    assert.equal(post.status, 202);
    const job = (await post.json()) as JobView;
    assert.equal(post.headers.get('location'), `/v1/anonymize/${job.id}`);
    const done = await finished(job.id);
    assert.equal(done.status, 'done', JSON.stringify(done));
    assert.equal(done.frames, clip.truth.frameCount);
    const report = done.report as AnonymizeReport;
    assert.equal(report.frames, clip.truth.frameCount);
    assert.equal(report.mode, 'keep');
    assert.ok(report.facesCovered >= clip.truth.frameCount, `${report.facesCovered} faces covered`);
    assert.deepEqual(
      report.kept.map((k) => [k.identity, k.reason]),
      [[consenting, 'consented']],
    );
    assert.equal(done.video, `/v1/anonymize/${job.id}/video`);
    // Another key, and the video family, do not know the job.
    assert.equal((await fetch(`${server.url}/v1/anonymize/${job.id}`, { headers: other })).status, 404);
    assert.equal((await fetch(`${server.url}${done.video}`, { headers: other })).status, 404);
    assert.equal((await fetch(`${server.url}/v1/videos/${job.id}`, { headers: owner })).status, 404);
    const video = await fetch(`${server.url}${done.video}`, { headers: owner });
    assert.equal(video.status, 200);
    assert.equal(video.headers.get('content-type'), 'video/mp4');
    const file = join(dir, 'covered.mp4');
    writeFileSync(file, Buffer.from(await video.arrayBuffer()));
    // The other person's face is black (fill) in the last frame.
    let frames = 0;
    let last: { data: Uint8Array; width: number } | undefined;
    for await (const f of openVideoSource(file)) {
      frames++;
      last = f.image;
    }
    assert.equal(frames, clip.truth.frameCount);
    const face = clip.truth.frames.at(-1)?.objects.find((o) => o.personId !== consenting && o.visible > 0.9);
    if (face !== undefined && last !== undefined) {
      const [x0, y0, x1, y1] = face.faceBox.map(Math.round) as [number, number, number, number];
      let sum = 0;
      let n = 0;
      for (let y = Math.max(0, y0 + 4); y < Math.min(270, y1 - 4); y++) {
        for (let x = Math.max(0, x0 + 4); x < Math.min(480, x1 - 4); x++) {
          sum += last.data[(y * last.width + x) * 3] as number;
          n++;
        }
      }
      assert.ok(n > 0 && sum / n < 24, `mean red ${sum / n} over the covered face`);
    }
    assert.equal((await fetch(`${server.url}/v1/anonymize/${job.id}`, { method: 'DELETE', headers: owner })).status, 204);
    assert.equal((await fetch(`${server.url}/v1/anonymize/${job.id}`, { headers: owner })).status, 404);
    assert.equal((await fetch(`${server.url}${done.video}`, { headers: owner })).status, 404);
  });

  it('refuses what it must: no key, not a video, contradictory or unknown options', async () => {
    const body = readFileSync(clip.videoPath);
    assert.equal((await fetch(`${server.url}/v1/anonymize`, { method: 'POST', headers: { 'content-type': 'video/mp4' }, body })).status, 401);
    const junk = await fetch(`${server.url}/v1/anonymize`, {
      method: 'POST',
      headers: { ...owner, 'content-type': 'video/mp4' },
      body: Buffer.from('#EXTM3U\n'.repeat(100)),
    });
    assert.equal(junk.status, 415);
    assert.equal(((await junk.json()) as { code: string }).code, 'VIDEO_UNSUPPORTED');
    for (const query of ['keep=a&only=b', 'style=smudge', 'pad=9', 'file=/etc/passwd']) {
      const res = await fetch(`${server.url}/v1/anonymize?${query}`, { method: 'POST', headers: { ...owner, 'content-type': 'video/mp4' }, body });
      assert.equal(res.status, 400, query);
    }
    assert.equal((await fetch(`${server.url}/v1/anonymize/00000000-0000-0000-0000-000000000000`, { headers: owner })).status, 404);
    // An id the gallery does not hold would leave the face bare in mode only: the job fails and says which.
    const typo = await fetch(`${server.url}/v1/anonymize?only=Nobody_Here`, { method: 'POST', headers: { ...owner, 'content-type': 'video/mp4' }, body });
    assert.equal(typo.status, 202);
    const failed = (await finished(((await typo.json()) as JobView).id)) as JobView & { error?: { code: string; message: string } };
    assert.equal(failed.status, 'failed');
    assert.equal(failed.error?.code, 'IDENTITY_NOT_FOUND');
    assert.match(failed.error?.message ?? '', /Nobody_Here/);
  });
});

describe('anonymisation job files across a restart', () => {
  it('keeps the covered video of a finished job and removes those of unfinished, failed and unrecorded jobs', () => {
    const dir = mkdtempSync(join(tmpdir(), 'arcface-anon-journal-'));
    const ids = [
      '11111111-1111-4111-8111-111111111111',
      '22222222-2222-4222-8222-222222222222',
      '33333333-3333-4333-8333-333333333333',
      '44444444-4444-4444-8444-444444444444',
    ];
    // The fourth has no record at all.
    const [done, running, failed] = ids as [string, string, string, string];
    const task = { mode: 'all' as const, ids: [], style: 'blur' as const, pad: 0.35 };
    const base = { owner: null, createdAt: new Date().toISOString(), frames: 1, dropped: 0, events: 0 };
    writeJobRecord(dir, { ...base, id: done, status: 'done', anonymize: { task, output: anonymizedPath(dir, done) } });
    writeJobRecord(dir, { ...base, id: running, status: 'running', anonymize: { task, output: anonymizedPath(dir, running) } });
    writeJobRecord(dir, { ...base, id: failed, status: 'failed', anonymize: { task, output: anonymizedPath(dir, failed) } });
    for (const id of ids) writeFileSync(anonymizedPath(dir, id), 'mp4');
    const records = recoverJobRecords(dir);
    assert.deepEqual(
      ids.map((id) => existsSync(anonymizedPath(dir, id))),
      [true, false, false, false],
    );
    assert.equal(records.find((r) => r.id === running)?.status, 'failed', 'an interrupted job is failed');
    assert.deepEqual(records.find((r) => r.id === done)?.anonymize?.task, task, 'the record keeps its family');
  });
});
