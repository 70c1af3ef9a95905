/**
 * Probes of the people routes, the model files route and restarts: strict ids everywhere, a photo
 * posted twice added once, a registered model that is not installed answering 404 without a stack,
 * and video jobs that outlive a SIGKILL as `failed` instead of unknown.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { spawn } from 'node:child_process';
import { KeyStore } from '../../apps/server/services/key-store.js';
import { resolveServerOptions } from '../../apps/server/options.js';
import { VideoService } from '../../apps/server/services/video-jobs.js';
import { claimFreeFolder } from '../../apps/server/services/video-journal.js';
import { poolOptionsFrom } from '../../apps/server/services/worker-pool.js';
import { isArcFaceError } from '../../src/core/index.js';
import { clipDir, ffmpeg } from '../helpers/video-clips.js';
import { lfw, startTestServer, testLocations, type TestServer } from './helpers.js';
import { spawnServe } from './serve-process.js';

describe('people ids, repeated photos and model files (a real server)', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer();
  });
  after(async () => s?.close());

  it('13: every people route reads ids with the one strict parser, in the URL and in the body', async () => {
    const { app, key, postImages } = s;
    const up = await postImages(
      '/v1/people/photos',
      {
        image: [
          lfw('Andre_Agassi', 1),
          lfw('Andre_Agassi', 2),
          lfw('Andre_Agassi', 4),
          lfw('George_W_Bush', 7),
          lfw('George_W_Bush', 16),
          lfw('George_W_Bush', 65),
        ],
      },
      'write',
    );
    assert.equal(up.statusCode, 200, up.body);
    const faces = (up.json().photos as { faces: { faceId: number; personId: number | null }[] }[]).map((p) => p.faces[0]);
    const a = faces[2];
    const b = faces[5];
    assert.ok(a?.personId != null && b?.personId != null && a.personId !== b.personId, JSON.stringify(faces));
    assert.equal((await app.inject({ url: `/v1/people/${a.personId}`, headers: key('read') })).statusCode, 200);
    for (const raw of ['0x2', '2e0', '%202', '2.0', '+2', '02', '-1', '0']) {
      const probes: ['GET' | 'POST', string, object | undefined][] = [
        ['GET', `/v1/people/${raw}`, undefined],
        ['POST', `/v1/people/${raw}/hide`, {}],
        ['POST', `/v1/people/${raw}/merge`, { into: b.personId }],
        ['POST', `/v1/people/${raw}/name`, { name: 'X' }],
        ['GET', `/v1/people/faces/${raw}/thumbnail`, undefined],
      ];
      for (const [method, url, payload] of probes) {
        const res: LightMyRequestResponse = await app.inject({
          method,
          url,
          headers: key(method === 'GET' ? 'read' : 'write'),
          ...(payload === undefined ? {} : { payload }),
        });
        assert.equal(res.statusCode, 400, `${method} ${url}: ${res.body}`);
        assert.equal(res.json().code, 'INVALID_ARGUMENT');
      }
    }
    for (const body of [
      { faceIds: [`0x${a.faceId.toString(16)}`] },
      { faceIds: [String(a.faceId)] },
      { faceIds: [a.faceId], into: `${b.personId}` },
      { faceIds: [a.faceId + 0.5] },
    ]) {
      const res = await app.inject({ method: 'POST', url: '/v1/people/split', headers: key('write'), payload: body });
      assert.equal(res.statusCode, 400, JSON.stringify(body));
    }
    const merge = await app.inject({
      method: 'POST',
      url: `/v1/people/${a.personId}/merge`,
      headers: key('write'),
      payload: { into: `0x${b.personId.toString(16)}` },
    });
    assert.equal(merge.statusCode, 400);
    const still = (await app.inject({ url: `/v1/people/${a.personId}`, headers: key('read') })).json() as { faces: { faceId: number }[] };
    assert.ok(
      still.faces.some((f) => f.faceId === a.faceId),
      'no refused request moved a face',
    );
  });

  it('13: a photo posted again, under any name, is recognised and its faces are not added twice', async () => {
    const { app, key } = s;
    const photo = lfw('Andre_Agassi', 5);
    const post = async (name: string) => {
      const form = new FormData();
      form.append('image', new Blob([new Uint8Array(photo)], { type: 'image/jpeg' }), name);
      const res = new Response(form);
      return app.inject({
        method: 'POST',
        url: '/v1/people/photos',
        headers: { ...key('write'), 'content-type': res.headers.get('content-type') ?? '' },
        payload: Buffer.from(await res.arrayBuffer()),
      });
    };
    const first = await post('colin.jpg');
    assert.equal(first.json().photos.length, 1, first.body);
    const faceId = first.json().photos[0].faces[0].faceId as number;
    const count = async (): Promise<number> =>
      ((await app.inject({ url: '/v1/people?hidden=true', headers: key('read') })).json().people as { faceCount: number }[]).reduce(
        (n, p) => n + p.faceCount,
        0,
      );
    const before = await count();
    const [again, renamed] = await Promise.all([post('colin.jpg'), post('copy-of-colin.jpg')]);
    for (const res of [again, renamed]) {
      assert.equal(res.statusCode, 200);
      assert.deepEqual(res.json().photos[0].faces, [{ ...first.json().photos[0].faces[0], known: true }], res.body);
    }
    assert.equal(await count(), before, 'no face added');
    assert.ok(faceId > 0);
  });

  it('12: a registered model that is not installed is 404, not a 500 with a stack; model files are rate-limited', async () => {
    const lines: string[] = [];
    const app = await s.variant({
      locations: testLocations(),
      logLevel: 'info',
      logStream: { write: (l: string) => lines.push(l) },
      rateLimit: { max: 3, windowMs: 60_000 },
    });
    const res = await app.inject({ url: '/models/scrfd-10g' });
    assert.equal(res.statusCode, 404, res.body);
    assert.equal(res.json().code, 'NOT_FOUND');
    assert.ok(!res.body.includes(tmpdir()) && !res.body.includes('/models'), res.body);
    assert.ok(!lines.some((l) => JSON.parse(l).level >= 50), 'nothing logged as an error');
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await app.inject({ url: '/models/scrfd-10g' })).statusCode);
    assert.deepEqual(statuses, [404, 404, 429]);
    assert.equal((await app.inject({ url: '/healthz' })).statusCode, 200, 'health is never limited');
  });
});

describe('video jobs survive a SIGKILL as failed jobs (a real arcface serve process)', () => {
  it('14: a second server refuses a video folder that a running one holds, and takes over one a dead one left', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'arcface-claim-'));
    const config = poolOptionsFrom(resolveServerOptions({ auth: false }));
    const other = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      writeFileSync(join(dir, 'server.pid'), String(other.pid));
      assert.throws(
        () => VideoService.open(config, { dir, streams: {} }),
        (e: unknown) => isArcFaceError(e, 'INVALID_ARGUMENT') && /own --video-dir/.test((e as Error).message),
      );
      // The default folder of a server sharing its data folder: the next free one.
      assert.equal(claimFreeFolder(dir), `${dir}-2`);
      assert.equal(readFileSync(join(`${dir}-2`, 'server.pid'), 'utf8'), String(process.pid));
    } finally {
      other.kill('SIGKILL');
      await new Promise((r) => other.once('exit', r));
    }
    const service = VideoService.open(config, { dir, streams: {} });
    assert.equal(readFileSync(join(dir, 'server.pid'), 'utf8'), String(process.pid));
    await service.close();
    assert.ok(!readdirSync(dir).includes('server.pid'), 'released at close');
  });

  it('14: after a restart, accepted jobs read failed VIDEO_JOB_INTERRUPTED and the uploads are gone', async () => {
    const home = mkdtempSync(join(tmpdir(), 'arcface-restart-'));
    const media = await clipDir('restart');
    ffmpeg(['-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=25', '-t', '20', '-pix_fmt', 'yuv420p', '-c:v', 'libx264', join(media, 'long.mp4')]);
    const ks = KeyStore.open(join(home, 'keys.db'));
    const owner = { 'x-api-key': ks.create({ scope: 'read', name: 'owner' }).key };
    const other = { 'x-api-key': ks.create({ scope: 'read', name: 'other' }).key };
    ks.close();
    const args = ['--keys', join(home, 'keys.db'), '--workers', '1', '--log-level', 'warn'];
    const first = await spawnServe(args, home);
    const ids: string[] = [];
    try {
      for (let i = 0; i < 2; i++) {
        const res = await fetch(`${first.url}/v1/videos`, {
          method: 'POST',
          headers: { ...owner, 'content-type': 'video/mp4' },
          body: readFileSync(join(media, 'long.mp4')),
        });
        assert.equal(res.status, 202);
        ids.push(((await res.json()) as { id: string }).id);
      }
      assert.ok(
        readdirSync(join(home, 'videos')).some((f) => f.endsWith('.video')),
        'uploads are kept in the data folder while they wait',
      );
    } finally {
      first.child.kill('SIGKILL');
      await first.exited;
    }
    // A file the server did not make is never removed, even in its own folder.
    writeFileSync(join(home, 'videos', 'notes.txt'), 'kept');
    const second = await spawnServe(args, home);
    try {
      for (const id of ids) {
        const res = await fetch(`${second.url}/v1/videos/${id}`, { headers: owner });
        assert.equal(res.status, 200);
        const job = (await res.json()) as { status: string; error?: { code: string; message: string } };
        assert.equal(job.status, 'failed');
        assert.equal(job.error?.code, 'VIDEO_JOB_INTERRUPTED');
        assert.match(job.error?.message ?? '', /server restarted/);
        assert.equal((await fetch(`${second.url}/v1/videos/${id}`, { headers: other })).status, 404, 'still owned after the restart');
      }
      assert.deepEqual(
        readdirSync(join(home, 'videos')).filter((f) => !f.endsWith('.json')),
        ['notes.txt', 'server.pid'],
        'leftover uploads removed at start, nothing else',
      );
      assert.equal(readFileSync(join(home, 'videos', 'server.pid'), 'utf8'), String(second.child.pid), 'the folder is claimed by the new server');
    } finally {
      await second.stop();
    }
  });
});
