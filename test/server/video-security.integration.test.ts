/**
 * The video surfaces probed as a client holding a read key would (loopback only): uploads that are
 * manifests or playlists, frame-size and frame-count bombs, queue and disk exhaustion, abandoned
 * uploads, revoked keys on open streams, large uploads with a Content-Length, error texts, job
 * ownership and malformed bodies. Every app here is a real server (workers, ffmpeg, files).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { bundledFfmpegPath, chooseFfmpeg, ffmpegVersion } from '../../src/video/index.js';
import { clipDir, ffmpeg, within } from '../helpers/video-clips.js';
import { canary, dashManifest, hlsPlaylist } from '../helpers/probe-media.js';
import { startTestServer, testLocations, waitUntil, type TestServer } from './helpers.js';

/** Files a server left in its video folder, beside the claim on the folder itself (`server.pid`). */
const uploadsIn = (dir: string): string[] => readdirSync(dir).filter((f) => f !== 'server.pid');

interface Job {
  id: string;
  status: string;
  frames: number;
  limits: Record<string, number>;
  error?: { code: string; message: string };
}

/** Polls a job until it has finished (90 s bound: a worker loads its models first). */
async function finished(app: FastifyInstance, id: string, headers: Record<string, string>): Promise<Job> {
  return within(
    90_000,
    (async () => {
      for (;;) {
        const job = (await app.inject({ method: 'GET', url: `/v1/videos/${id}`, headers })).json() as Job;
        if (job.status !== 'queued' && job.status !== 'running') return job;
        await new Promise((r) => setTimeout(r, 200));
      }
    })(),
    `video job ${id}`,
  );
}

/** Files under `dir` that this process holds open. */
function openFilesUnder(dir: string): string[] {
  return readdirSync('/proc/self/fd').flatMap((fd) => {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`);
      return target.startsWith(dir) ? [target] : [];
    } catch {
      return [];
    }
  });
}

describe('video jobs and streams hold against a read key (real servers on loopback)', () => {
  let srv: TestServer;
  let media: string;
  const locations = testLocations();
  const clip: Record<string, Buffer> = {};
  const dirs: Record<string, string> = {};
  const folder = (name: string): string => (dirs[name] = mkdtempSync(join(tmpdir(), `arcface-vsec-${name}-`)));
  before(async () => {
    srv = await startTestServer({ workers: 1 });
    media = await clipDir('video-security');
    const make = (name: string, size: string, seconds: number): void => {
      ffmpeg(['-f', 'lavfi', '-i', `testsrc=size=${size}:rate=25`, '-t', String(seconds), '-pix_fmt', 'yuv420p', '-c:v', 'libx264', join(media, name)]);
      clip[name] = readFileSync(join(media, name));
    };
    make('big.mp4', '320x240', 0.4);
    make('short.mp4', '160x120', 0.8);
    make('long.mp4', '160x120', 2);
  });
  after(async () => srv?.close());

  it('1, 2: manifests and playlists are refused at upload and open nothing (a canary sees no connection)', async () => {
    const listener = await canary();
    try {
      const app = await srv.variant({ locations, videos: { dir: folder('ssrf'), streams: {} } });
      const secret = join(media, 'big.mp4');
      const probes = [
        dashManifest(listener.port),
        hlsPlaylist(secret),
        `#EXTM3U\n#EXTINF:1,\nhttp://127.0.0.1:${listener.port}/a.ts\n`,
        "ffconcat version 1.0\nfile 'big.mp4'\n",
      ];
      for (const body of probes) {
        const res = await app.inject({ method: 'POST', url: '/v1/videos', headers: { ...srv.key('read'), 'content-type': 'video/mp4' }, payload: body });
        assert.equal(res.statusCode, 415, body.slice(0, 30));
        assert.equal(res.json().code, 'VIDEO_UNSUPPORTED');
      }
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(listener.connections(), 0);
      assert.deepEqual(uploadsIn(dirs.ssrf as string), [], 'refused uploads are not kept');
    } finally {
      await listener.close();
    }
  });

  it('3, 4: frames over maxPixels, past maxFrames or past maxDurationSeconds fail the job, limits reported', async () => {
    const app = await srv.variant({
      locations,
      maxPixels: 200 * 150,
      videos: { dir: folder('bounds'), streams: {}, maxFrames: 5, maxDurationSeconds: 1, maxJobsPerKey: 10 },
    });
    const post = async (name: string): Promise<Job> => {
      const res = await app.inject({ method: 'POST', url: '/v1/videos', headers: { ...srv.key('read'), 'content-type': 'video/mp4' }, payload: clip[name] });
      assert.equal(res.statusCode, 202, res.body);
      return res.json() as Job;
    };
    const jobs = { big: await post('big.mp4'), short: await post('short.mp4'), long: await post('long.mp4') };
    assert.deepEqual(jobs.big.limits, { maxBytes: 500 * 2 ** 20, maxPixels: 30_000, maxFrames: 5, maxDurationSeconds: 1 });
    const big = await finished(app, jobs.big.id, srv.key('read'));
    assert.equal(big.status, 'failed');
    assert.equal(big.error?.code, 'VIDEO_TOO_LARGE');
    assert.match(big.error?.message ?? '', /at most 30000 pixels .* 320×240/);
    assert.equal(big.frames, 0, 'no frame of the oversized video was decoded');
    const short = await finished(app, jobs.short.id, srv.key('read'));
    assert.equal(short.error?.code, 'VIDEO_TOO_LARGE');
    assert.match(short.error?.message ?? '', /at most 5 frames/);
    assert.ok(short.frames <= 5, `${short.frames} frames processed`);
    const long = await finished(app, jobs.long.id, srv.key('read'));
    assert.equal(long.error?.code, 'VIDEO_TOO_LARGE');
    assert.match(long.error?.message ?? '', /at most 1 s but its header declares 2\.0 s/);
    assert.equal(long.frames, 0);
    for (const j of [big, short, long]) assert.ok(!(j.error?.message ?? '').includes(dirs.bounds as string), 'no server path in the error');
  });

  it('5: jobs per key (429) and waiting jobs in total (503) are bounded, with Retry-After', async () => {
    const app = await srv.variant({ locations, videos: { dir: folder('queue'), streams: {}, maxJobsPerKey: 1, maxQueued: 1 } });
    const post = (scope: 'read' | 'write' | 'admin') =>
      app.inject({ method: 'POST', url: '/v1/videos', headers: { ...srv.key(scope), 'content-type': 'video/mp4' }, payload: clip['long.mp4'] });
    const first = await post('read');
    assert.equal(first.statusCode, 202);
    const again = await post('read');
    assert.equal(again.statusCode, 429);
    assert.equal(again.json().code, 'RATE_LIMITED');
    assert.ok(Number(again.headers['retry-after']) >= 1);
    const second = await post('write');
    assert.equal(second.statusCode, 202, 'one job may wait');
    const third = await post('admin');
    assert.equal(third.statusCode, 503);
    assert.equal(third.json().code, 'QUEUE_FULL');
    assert.ok(Number(third.headers['retry-after']) >= 1);
    assert.equal(readdirSync(dirs.queue as string).filter((f) => f.endsWith('.video')).length <= 2, true, 'refused uploads are not kept');
    for (const [res, scope] of [
      [first, 'read'],
      [second, 'write'],
    ] as const) {
      assert.equal((await app.inject({ method: 'DELETE', url: `/v1/videos/${res.json().id}`, headers: srv.key(scope) })).statusCode, 204);
    }
  });

  it('5: the disk held by pending uploads is bounded, declared or chunked, and nothing is left behind', async () => {
    const app = await srv.variant({ locations, videos: { dir: folder('disk'), streams: {}, maxPendingBytes: 4096 } });
    const declared = await app.inject({
      method: 'POST',
      url: '/v1/videos',
      headers: { ...srv.key('read'), 'content-type': 'video/mp4' },
      payload: clip['long.mp4'],
    });
    assert.equal(declared.statusCode, 503);
    assert.equal(declared.json().code, 'QUEUE_FULL');
    assert.ok(Number(declared.headers['retry-after']) >= 1);
    await app.listen({ host: '127.0.0.1', port: 0 });
    const bytes = clip['long.mp4'] as Buffer;
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        for (let i = 0; i < bytes.length; i += 1024) c.enqueue(new Uint8Array(bytes.subarray(i, i + 1024)));
        c.close();
      },
    });
    const chunked = await fetch(`${app.listeningOrigin}/v1/videos`, {
      method: 'POST',
      headers: { ...srv.key('read'), 'content-type': 'video/mp4' },
      body,
      duplex: 'half',
    } as RequestInit);
    assert.equal(chunked.status, 503);
    assert.equal(((await chunked.json()) as { code: string }).code, 'QUEUE_FULL');
    assert.deepEqual(uploadsIn(dirs.disk as string), []);
  });

  it('6: an upload that times out is removed and its descriptor closed', async () => {
    const app = await srv.variant({ locations, requestTimeoutMs: 1500, videos: { dir: folder('slow'), streams: {} } });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const port = (app.server.address() as { port: number }).port;
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    socket.on('data', (d) => (answer += d.toString()));
    socket.on('error', () => undefined);
    socket.write(`POST /v1/videos HTTP/1.1\r\nHost: x\r\nx-api-key: ${srv.keys.read}\r\nContent-Type: video/mp4\r\nContent-Length: 100000\r\n\r\n`);
    socket.write((clip['long.mp4'] as Buffer).subarray(0, 2048));
    await waitUntil(() => uploadsIn(dirs.slow as string).length > 0, 'the upload file to appear');
    await waitUntil(() => /^HTTP\/1\.1 408/.test(answer), 'a 408 answer', 10_000);
    await waitUntil(
      () => uploadsIn(dirs.slow as string).length === 0 && openFilesUnder(dirs.slow as string).length === 0,
      'the upload removed and closed',
      10_000,
    );
    socket.destroy();
  });

  it('7, 9: an open stream ends when its key is revoked; a dead stream names itself, never its URL', async () => {
    const silent = await canary({ hold: true });
    const closed = await canary();
    await closed.close();
    const app = await srv.variant({
      locations,
      videos: {
        dir: folder('streams'),
        keyRecheckMs: 200,
        streams: { quiet: `http://127.0.0.1:${silent.port}/live`, bad: `http://viewer:s3cret@127.0.0.1:${closed.port}/live` },
      },
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const store = srv.services.keys;
      assert.ok(store !== undefined);
      const temp = await store.create({ scope: 'read', name: 'temporary' });
      const res = await fetch(`${app.listeningOrigin}/v1/streams/quiet/events`, { headers: { 'x-api-key': temp.key, accept: 'text/event-stream' } });
      assert.equal(res.status, 200);
      await store.revoke(temp.id);
      const text = await within(5000, res.text(), 'the stream to close after revocation');
      assert.match(text, /event: end\ndata: \{"status":"unauthorized","error":\{"code":"UNAUTHORIZED"/);
      const deadStream = fetch(`${app.listeningOrigin}/v1/streams/bad/events`, { headers: { ...srv.key('read'), accept: 'text/event-stream' } });
      const dead = await within(
        60_000,
        deadStream.then((r) => r.text()),
        'the dead stream',
      );
      const end = /event: end\ndata: (.+)/.exec(dead)?.[1];
      assert.ok(end !== undefined, dead);
      const { error } = JSON.parse(end) as { error: { code: string; message: string } };
      assert.equal(error.code, 'VIDEO_STREAM_UNAVAILABLE');
      assert.match(error.message, /^Stream "bad": /);
      for (const secret of ['127.0.0.1', String(closed.port), 'viewer', 's3cret', 'http', 'ffmpeg', 'Connection refused'])
        assert.ok(!error.message.includes(secret), `${secret} in ${error.message}`);
    } finally {
      await silent.close();
    }
  });

  it("8, 10, 11: the video cap applies with a Content-Length; jobs are their owner's; multipart and media types are read right", async () => {
    const app = await srv.variant({ locations, videos: { dir: folder('owner'), streams: {}, maxBytes: 20 * 2 ** 20 } });
    const eleven = Buffer.alloc(11 * 2 ** 20, 7);
    const large = await app.inject({ method: 'POST', url: '/v1/videos', headers: { ...srv.key('read'), 'content-type': 'video/mp4' }, payload: eleven });
    assert.equal(large.json().code, 'VIDEO_UNSUPPORTED', 'an 11 MiB body is read to its end under a 20 MiB cap');
    const over = await app.inject({
      method: 'POST',
      url: '/v1/videos',
      headers: { ...srv.key('read'), 'content-type': 'video/mp4', 'content-length': String(21 * 2 ** 20) },
      payload: 'x',
    });
    assert.equal(over.statusCode, 413);

    const typed = await app.inject({
      method: 'POST',
      url: '/v1/videos',
      headers: { ...srv.key('read'), 'content-type': 'video/mp4; codecs="avc1.42E01E"' },
      payload: clip['short.mp4'],
    });
    assert.equal(typed.statusCode, 202, typed.body);
    const id = (typed.json() as Job).id;
    const other = await srv.services.keys?.create({ scope: 'write', name: 'another tenant' });
    const stranger = { 'x-api-key': other?.key as string };
    for (const [method, url] of [
      ['GET', `/v1/videos/${id}`],
      ['GET', `/v1/videos/${id}/events`],
      ['DELETE', `/v1/videos/${id}`],
    ] as const) {
      const res = await app.inject({ method, url, headers: stranger });
      assert.equal(res.statusCode, 404, `${method} ${url}`);
      assert.equal(res.json().code, 'NOT_FOUND');
    }
    assert.equal((await app.inject({ method: 'GET', url: `/v1/videos/${id}`, headers: srv.key('admin') })).statusCode, 200, 'an admin sees every job');
    assert.equal((await app.inject({ method: 'DELETE', url: `/v1/videos/${id}`, headers: srv.key('read') })).statusCode, 204, 'the owner cancels it');

    const form = new FormData();
    form.append('video', new Blob([new Uint8Array(clip['short.mp4'] as Buffer)], { type: 'video/mp4' }), 'short.mp4');
    const encoded = new Response(form);
    const viaForm = await app.inject({
      method: 'POST',
      url: '/v1/videos',
      headers: { ...srv.key('read'), 'content-type': encoded.headers.get('content-type') ?? '' },
      payload: Buffer.from(await encoded.arrayBuffer()),
    });
    assert.equal(viaForm.statusCode, 202, viaForm.body);
    assert.equal((await app.inject({ method: 'DELETE', url: `/v1/videos/${(viaForm.json() as Job).id}`, headers: srv.key('read') })).statusCode, 204);

    const boundary = 'XyZ';
    const broken = Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="video"; filename="a.mp4"\r\nContent-Type: video/mp4\r\n\r\n${'a'.repeat(100)}`,
    );
    const bad = await app.inject({
      method: 'POST',
      url: '/v1/videos',
      headers: { ...srv.key('read'), 'content-type': `multipart/form-data; boundary=${boundary}` },
      payload: broken,
    });
    assert.equal(bad.statusCode, 400, bad.body);
    assert.equal(bad.json().code, 'BODY_INVALID');
    const garbled = await app.inject({
      method: 'POST',
      url: '/v1/videos',
      headers: { ...srv.key('read'), 'content-type': `multipart/form-data; boundary=${boundary}` },
      payload: `--${boundary}\r\nno headers here\r\n\r\n`,
    });
    assert.equal(garbled.statusCode, 400, garbled.body);
    assert.deepEqual(
      readdirSync(dirs.owner as string).filter((f) => f.endsWith('.video')),
      [],
    );
  });

  it('the ffmpeg that decodes uploads is reported in /healthz (never its path), and the bundled build is warned about', async () => {
    const system = await srv.variant({ locations, videos: { dir: folder('health'), streams: {} } });
    const health = await system.inject({ url: '/healthz' });
    const { ffmpeg: reported } = health.json() as { ffmpeg: { version: string; origin: string; bundled: boolean } };
    const chosen = chooseFfmpeg();
    assert.deepEqual(reported, { version: ffmpegVersion(chosen.path), origin: chosen.origin, bundled: chosen.bundled });
    assert.ok(!health.body.includes(chosen.path), health.body);
    const lines: string[] = [];
    const old = await srv.variant({
      locations,
      logLevel: 'warn',
      logStream: { write: (l: string) => lines.push(l) },
      videos: { dir: folder('bundled'), streams: {}, ffmpegPath: bundledFfmpegPath() },
    });
    assert.deepEqual((await old.inject({ url: '/healthz' })).json().ffmpeg, { version: ffmpegVersion(bundledFfmpegPath()), origin: 'option', bundled: true });
    assert.ok(
      lines.some((l) => /bundled ffmpeg, a 2018 build/.test(l)),
      'a warning names the bundled build',
    );
  });

  it('9: a job that fails tells its code in our words: no path, no ffmpeg text; the upload by its own name, the path in the log', async () => {
    const log: string[] = [];
    const app = await srv.variant({
      locations,
      logLevel: 'warn',
      logStream: { write: (l: string) => log.push(l) },
      videos: { dir: folder('errors'), streams: {} },
    });
    const fake = Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from('ftypisom'), Buffer.alloc(4000, 0x41)]);
    writeFileSync(join(media, 'fake.mp4'), fake);
    const res = await app.inject({ method: 'POST', url: '/v1/videos', headers: { ...srv.key('read'), 'content-type': 'video/mp4' }, payload: fake });
    assert.equal(res.statusCode, 202);
    const job = await finished(app, (res.json() as Job).id, srv.key('read'));
    assert.equal(job.error?.code, 'VIDEO_DECODE_FAILED');
    for (const leak of [dirs.errors as string, tmpdir(), '.video', 'ffmpeg', 'moov', 'Invalid data', 'file:']) {
      assert.ok(!(job.error?.message ?? '').includes(leak), `${leak} in ${job.error?.message}`);
    }
    const form = new FormData();
    form.append('video', new Blob([new Uint8Array(fake)], { type: 'video/mp4' }), 'holiday.mp4');
    const body = new Response(form);
    const named = await app.inject({
      method: 'POST',
      url: '/v1/videos',
      headers: { ...srv.key('read'), 'content-type': body.headers.get('content-type') ?? '' },
      payload: Buffer.from(await body.arrayBuffer()),
    });
    assert.equal(named.statusCode, 202, named.body);
    const namedJob = await finished(app, (named.json() as Job).id, srv.key('read'));
    assert.deepEqual(namedJob.error, {
      code: 'VIDEO_DECODE_FAILED',
      message: 'Upload "holiday.mp4": Expected a decodable video but it is corrupt, truncated or not a video',
    });
    const logged = log.filter((l) => l.includes(namedJob.id) && l.includes('video job failed'));
    assert.equal(logged.length, 1, 'the failure is logged once');
    assert.ok(logged[0]!.includes(join(dirs.errors as string, `${namedJob.id}.video`)), 'the log names the stored path');
  });
});
