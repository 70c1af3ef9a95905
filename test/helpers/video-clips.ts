/**
 * Video material made at test time with the bundled ffmpeg from LFW photos: synthetic clips with the
 * frame number stamped along the top edge, other containers, frame folders, damaged files, and
 * loopback network streams (a Node HTTP server piping a real-time ffmpeg to each client).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createTcpServer, type Socket } from 'node:net';
import { basename, join } from 'node:path';
import { makeSyntheticVideo, type SyntheticVideo } from '../../bench/video-synth.js';
import { defaultFfmpegPath } from '../../src/video/index.js';
import { runCli } from './cli.js';
import { sharedPath, testOutputDir } from './shared.js';
import { killOnExit } from './children.js';

/** A fresh scratch folder for one test file's videos. */
export async function clipDir(name: string): Promise<string> {
  const dir = testOutputDir(join('video', name));
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  return dir;
}

/**
 * A short synthetic clip of LFW people with each frame's number stamped (readable with `readFrameStamp`).
 * Default: 2 s at 25 fps, 320×180, two people.
 */
export function stampedClip(
  dir: string,
  options: { width?: number; height?: number; seconds?: number; fps?: number; people?: number; seed?: number } = {},
): Promise<SyntheticVideo> {
  return makeSyntheticVideo({
    out: join(dir, 'clip'),
    width: options.width ?? 320,
    height: options.height ?? 180,
    seconds: options.seconds ?? 2,
    fps: options.fps ?? 25,
    people: options.people ?? 2,
    seed: options.seed ?? 7,
    stampFrameNumber: true,
    lfwDir: sharedPath('data', 'faces', 'lfw-deepfunneled'),
  });
}

/** Runs the bundled ffmpeg to completion (30-s bound) and throws with its stderr on failure. */
export function ffmpeg(args: readonly string[]): void {
  const r = spawnSync(defaultFfmpegPath(), ['-hide_banner', '-nostdin', '-v', 'error', '-y', ...args], { timeout: 30_000 });
  if (r.status !== 0) throw new Error(`ffmpeg ${args.join(' ')} failed: ${r.stderr?.toString() ?? r.error?.message}`);
}

/** The first `fraction` of a file's bytes, as a download cut short would leave it. */
export async function truncatedCopy(src: string, dst: string, fraction: number): Promise<string> {
  const bytes = await readFile(src);
  await writeFile(dst, bytes.subarray(0, Math.floor(bytes.length * fraction)));
  return dst;
}

/**
 * An AVI whose video stream declares the FourCC `ZZZZ`, a codec no ffmpeg decodes: a well-formed
 * container with an unsupported codec.
 */
export async function unsupportedCodecAvi(dst: string): Promise<string> {
  const raw = `${dst}.raw.avi`;
  ffmpeg(['-f', 'lavfi', '-i', 'testsrc=size=64x48:rate=5', '-t', '1', '-c:v', 'rawvideo', '-pix_fmt', 'bgr24', raw]);
  const bytes = await readFile(raw);
  // The stream header `strh` holds 'vids' then the handler FourCC; the `strf` BITMAPINFOHEADER holds
  // biCompression 16 bytes into its data (after the 8-byte chunk header).
  const vids = bytes.indexOf('vids');
  const strf = bytes.indexOf('strf');
  if (vids < 0 || strf < 0) throw new Error('Expected an AVI stream header in the generated file');
  bytes.write('ZZZZ', vids + 4, 'latin1');
  bytes.write('ZZZZ', strf + 8 + 16, 'latin1');
  await writeFile(dst, bytes);
  return dst;
}

/** A loopback HTTP stream: each request gets a real-time (`-re`) ffmpeg remux/encode of `clip`. */
export interface LoopbackStream {
  readonly url: string;
  /** The ffmpeg processes serving clients, newest last. */
  readonly servers: ChildProcess[];
  close(): Promise<void>;
}

/**
 * Serves `clip` over HTTP on 127.0.0.1 as MPEG-TS (stream copy) or MJPEG (`multipart/x-mixed-replace`).
 */
export async function serveLoopback(clip: string, format: 'mpegts' | 'mjpeg'): Promise<LoopbackStream> {
  const servers: ChildProcess[] = [];
  const server: Server = createHttpServer((req, res) => {
    const codec = format === 'mpegts' ? ['-c', 'copy', '-f', 'mpegts'] : ['-c:v', 'mjpeg', '-q:v', '4', '-f', 'mpjpeg'];
    const ff = killOnExit(
      spawn(defaultFfmpegPath(), ['-hide_banner', '-nostdin', '-v', 'error', '-re', '-i', clip, ...codec, 'pipe:1'], {
        stdio: ['ignore', 'pipe', 'ignore'],
      }),
    );
    servers.push(ff);
    res.writeHead(200, { 'content-type': format === 'mpegts' ? 'video/mp2t' : 'multipart/x-mixed-replace;boundary=ffmpeg' });
    ff.stdout.pipe(res);
    ff.on('close', () => res.end());
    req.on('close', () => ff.kill('SIGKILL'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/live.${format === 'mpegts' ? 'ts' : 'mjpeg'}`,
    servers,
    close: async () => {
      for (const ff of servers) ff.kill('SIGKILL');
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Serves the files of `dir` over HTTP on 127.0.0.1 (for HLS playlists and segments). */
export async function serveFolder(dir: string): Promise<{ readonly base: string; close(): Promise<void> }> {
  const server = createHttpServer((req, res) => {
    const name = basename(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
    readFile(join(dir, name)).then(
      (body) => res.writeHead(200, { 'content-type': name.endsWith('.m3u8') ? 'application/vnd.apple.mpegurl' : 'video/mp2t' }).end(body),
      () => res.writeHead(404).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    base: `http://127.0.0.1:${port}/`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A TCP port that accepts connections and never answers: a stream that does not respond. */
export async function silentPort(): Promise<{ readonly url: string; close(): Promise<void> }> {
  const sockets: Socket[] = [];
  const server = createTcpServer((s) => sockets.push(s));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/stream.ts`,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A port nothing listens on (bound, read, released). */
export async function closedPort(): Promise<number> {
  const server = createTcpServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Rejects after `ms` so no wait in a test is unbounded. */
export function within<T>(ms: number, promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Enrols each person of a synthetic clip into `gallery` with the real `arcface enroll`, from an LFW
 * photo of theirs that the clip does not show (the first such by name); fails loudly on any error.
 */
export async function enrolClipPeople(clip: SyntheticVideo, gallery: string, env: Record<string, string> = {}): Promise<void> {
  const lfw = sharedPath('data', 'faces', 'lfw-deepfunneled');
  for (const p of clip.truth.people) {
    const held = readdirSync(join(lfw, p.personId))
      .sort()
      .find((f) => !p.photos.includes(f));
    if (held === undefined) throw new Error(`Expected an LFW photo of ${p.personId} that the clip does not show`);
    const r = await runCli(['enroll', p.personId, join(lfw, p.personId, held), '--gallery', gallery, '--json'], env);
    if (r.code !== 0) throw new Error(`arcface enroll ${p.personId} failed (${r.code}): ${r.stderr}`);
  }
}
