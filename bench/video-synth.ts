/**
 * Synthetic videos with ground truth, for the video tests and the `video` benchmark: LFW identities
 * (face regions cut from the 250×250 deep-funneled photos, several photos per person switching every
 * few seconds) moving on smooth paths over a textured background, scaling, crossing and occluding
 * one another (larger = nearer = pasted later). Frames are composed in JavaScript as raw RGB and
 * piped to ffmpeg through {@link VideoWriter}; everything is deterministic given the seed.
 *
 * CLI: `npx tsx bench/video-synth.ts --out DIR --size 640x360 --seconds 20 --people 4 --seed 1 [--fps 25] [--stamp]`
 */
import { readdirSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import sharp from 'sharp';
import type { Box, RgbImage } from '../src/core/types.js';
import { resizeRgb, VideoWriter } from '../src/video/index.js';
import { background, paste, prng, stamp } from './video-synth-draw.js';

export { readFrameStamp } from './video-synth-draw.js';

/** Options of {@link makeSyntheticVideo}. */
export interface SyntheticVideoOptions {
  /** Output path without extension: writes `<out>.mp4` and `<out>.truth.json`. */
  readonly out: string;
  readonly width?: number;
  readonly height?: number;
  readonly seconds?: number;
  readonly fps?: number;
  /** 1–4 people. */
  readonly people?: number;
  readonly seed?: number;
  /** Folder of LFW people (default `<shared>/data/faces/lfw-deepfunneled`). */
  readonly lfwDir?: string;
  /** Seconds between photo switches of one person (default 3). */
  readonly photoSeconds?: number;
  /** Draw the frame number as 16 black/white cells along the top edge (see {@link readFrameStamp}). */
  readonly stampFrameNumber?: boolean;
  readonly ffmpegPath?: string;
}

/** One person in one frame. `box` is the pasted face region; `faceBox` where a detector's box falls in it. */
export interface TruthObject {
  readonly personId: string;
  readonly box: Box;
  readonly faceBox: Box;
  /** Fraction of the region not covered by people pasted over it (0–1). */
  readonly visible: number;
  readonly photo: string;
}

export interface TruthFrame {
  readonly frame: number;
  readonly pts: number;
  readonly objects: readonly TruthObject[];
}

export interface SyntheticTruth {
  readonly version: 1;
  readonly width: number;
  readonly height: number;
  readonly fps: number;
  readonly frameCount: number;
  readonly seed: number;
  readonly people: readonly { readonly personId: string; readonly photos: readonly string[] }[];
  readonly frames: readonly TruthFrame[];
}

export interface SyntheticVideo {
  readonly videoPath: string;
  readonly truthPath: string;
  readonly truth: SyntheticTruth;
}

/** The pasted region of a 250×250 deep-funneled LFW photo, `[x, y, w, h]`: the face with a margin. */
const REGION = [60, 48, 130, 158] as const;
/**
 * Median SCRFD-500M box over 40 deep-funneled photos was [77, 63, 171, 191]; relative to REGION that
 * is this box in 0–1 units, used for `faceBox`.
 */
const FACE_IN_REGION = [(77 - 60) / 130, (63 - 48) / 158, (171 - 60) / 130, (191 - 48) / 158] as const;
/**
 * The default LFW folder: `ARCFACE_SHARED` or `../shared` beside the repository.
 *
 * @example
 * readdirSync(defaultLfwDir()).length // 4,281 people folders (plus the protocol files)
 */
export function defaultLfwDir(): string {
  const shared = process.env.ARCFACE_SHARED ?? resolve(import.meta.dirname, '..', '..', 'shared');
  return join(shared, 'data', 'faces', 'lfw-deepfunneled');
}

async function loadRegion(path: string): Promise<RgbImage> {
  const meta = await sharp(path).metadata();
  const k = (meta.width ?? 250) / 250;
  const [x, y, w, h] = REGION.map((v) => Math.round(v * k)) as [number, number, number, number];
  const { data, info } = await sharp(path).extract({ left: x, top: y, width: w, height: h }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
}

function checkInt(name: string, v: number, min: number, max: number): number {
  if (!Number.isInteger(v) || v < min || v > max) throw new RangeError(`Expected an integer ${name} in [${min}, ${max}] but received ${v}`);
  return v;
}

/**
 * Writes `<out>.mp4` (H.264) and `<out>.truth.json` and returns the truth.
 *
 * @example
 * const { videoPath, truth } = await makeSyntheticVideo({ out: 'bench-output/synth', people: 4, seconds: 10, seed: 1 })
 */
export async function makeSyntheticVideo(options: SyntheticVideoOptions): Promise<SyntheticVideo> {
  const width = checkInt('width', options.width ?? 640, 64, 3840);
  const height = checkInt('height', options.height ?? 360, 64, 2160);
  const fps = options.fps ?? 25;
  if (!(fps > 0 && fps <= 120)) throw new RangeError(`Expected fps in (0, 120] but received ${fps}`);
  const seconds = options.seconds ?? 10;
  if (!(seconds > 0 && seconds <= 3600)) throw new RangeError(`Expected seconds in (0, 3600] but received ${seconds}`);
  const count = checkInt('people', options.people ?? 2, 1, 4);
  const seed = checkInt('seed', options.seed ?? 1, 0, 2 ** 31);
  const photoSeconds = options.photoSeconds ?? 3;
  const lfwDir = options.lfwDir ?? defaultLfwDir();
  const rand = prng(seed);

  const candidates = readdirSync(lfwDir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort()
    // Four photos are shown; a fifth is left over, so a benchmark can enrol a photo the clip never shows.
    .filter((p) => readdirSync(join(lfwDir, p)).filter((f) => f.endsWith('.jpg')).length >= 5);
  if (candidates.length < count) throw new RangeError(`Expected at least ${count} LFW people with 5 photos in ${lfwDir} but found ${candidates.length}`);
  const chosen: string[] = [];
  while (chosen.length < count) {
    const p = candidates[Math.floor(rand() * candidates.length)] as string;
    if (!chosen.includes(p)) chosen.push(p);
  }
  // Parameters are drawn in a fixed order before any photo loads, so the seed alone decides them.
  const motions = chosen.map((personId, i) => {
    const lane = (i + 0.5) / count;
    return {
      personId,
      baseH: height * (0.3 + rand() * 0.15),
      scaleAmp: 0.15 + rand() * 0.15,
      scaleW: 0.3 + rand() * 0.5,
      phase: rand() * Math.PI * 2,
      cx: width * lane,
      cy: height * (0.4 + rand() * 0.2),
      ax: width * (0.25 + rand() * 0.2),
      ay: height * (0.05 + rand() * 0.1),
      wx: 0.25 + rand() * 0.35,
      wy: 0.3 + rand() * 0.5,
      photoOffset: rand() * photoSeconds,
    };
  });
  const people = await Promise.all(
    motions.map(async (m) => {
      const photos = readdirSync(join(lfwDir, m.personId))
        .filter((f) => f.endsWith('.jpg'))
        .sort()
        .slice(0, 4);
      const regions = await Promise.all(photos.map((f) => loadRegion(join(lfwDir, m.personId, f))));
      return { ...m, photos, regions };
    }),
  );

  const bg = background(width, height, rand);
  const videoPath = `${options.out}.mp4`;
  const truthPath = `${options.out}.truth.json`;
  await mkdir(resolve(options.out, '..'), { recursive: true });
  const writer = await VideoWriter.open(videoPath, {
    width,
    height,
    fps,
    crf: 18,
    ...(options.ffmpegPath === undefined ? {} : { ffmpegPath: options.ffmpegPath }),
  });
  const frameCount = Math.round(seconds * fps);
  const frames: TruthFrame[] = [];
  const frame = new Uint8Array(width * height * 3);
  try {
    for (let n = 0; n < frameCount; n++) {
      const t = n / fps;
      frame.set(bg);
      const placed = people.map((p) => {
        const h = Math.round(p.baseH * (1 + p.scaleAmp * Math.sin(p.scaleW * t + p.phase)));
        const w = Math.round((h * REGION[2]) / REGION[3]);
        const cx = Math.min(width - w / 2, Math.max(w / 2, p.cx + p.ax * Math.sin(p.wx * t + p.phase)));
        const cy = Math.min(height - h / 2, Math.max(h / 2, p.cy + p.ay * Math.sin(p.wy * t + 2 * p.phase)));
        const k = Math.floor((t + p.photoOffset) / photoSeconds) % p.regions.length;
        return { p, x: Math.round(cx - w / 2), y: Math.round(cy - h / 2), w, h, k };
      });
      // Nearer (larger) faces are pasted last, so they occlude the farther ones.
      placed.sort((a, b) => a.h - b.h || a.p.personId.localeCompare(b.p.personId));
      const objects: TruthObject[] = placed.map((q, i) => {
        paste(frame, width, height, resizeRgb(q.p.regions[q.k] as RgbImage, q.w, q.h), q.x, q.y);
        const mask = new Uint8Array(q.w * q.h);
        for (const r of placed.slice(i + 1)) {
          for (let y = Math.max(r.y, q.y); y < Math.min(r.y + r.h, q.y + q.h); y++)
            mask.fill(1, (y - q.y) * q.w + Math.max(r.x, q.x) - q.x, (y - q.y) * q.w + Math.min(r.x + r.w, q.x + q.w) - q.x);
        }
        const covered = mask.reduce((s, v) => s + v, 0);
        const [fx1, fy1, fx2, fy2] = FACE_IN_REGION;
        return {
          personId: q.p.personId,
          box: [q.x, q.y, q.x + q.w, q.y + q.h],
          faceBox: [q.x + fx1 * q.w, q.y + fy1 * q.h, q.x + fx2 * q.w, q.y + fy2 * q.h].map((v) => Math.round(v * 10) / 10) as unknown as Box,
          visible: Math.round((1 - covered / mask.length) * 1000) / 1000,
          photo: q.p.photos[q.k] as string,
        };
      });
      if (options.stampFrameNumber === true) stamp(frame, width, n);
      await writer.write({ width, height, data: frame });
      frames.push({ frame: n, pts: n / fps, objects: objects.sort((a, b) => a.personId.localeCompare(b.personId)) });
    }
  } finally {
    await writer.close();
  }
  const truth: SyntheticTruth = {
    version: 1,
    width,
    height,
    fps,
    frameCount,
    seed,
    people: people.map((p) => ({ personId: p.personId, photos: p.photos })),
    frames,
  };
  await writeFile(truthPath, JSON.stringify(truth));
  return { videoPath, truthPath, truth };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const args = process.argv.slice(2);
  const flag = (name: string, fallback: string): string => {
    const i = args.indexOf(name);
    return i >= 0 && args[i + 1] !== undefined ? (args[i + 1] as string) : fallback;
  };
  const [w, h] = flag('--size', '640x360').split('x').map(Number) as [number, number];
  const people = Number(flag('--people', '2'));
  const seed = Number(flag('--seed', '1'));
  const dir = flag('--out', 'bench-output/video-synth');
  const started = performance.now();
  const made = await makeSyntheticVideo({
    out: join(dir, `synth-${w}x${h}-${people}p-seed${seed}`),
    width: w,
    height: h,
    seconds: Number(flag('--seconds', '10')),
    fps: Number(flag('--fps', '25')),
    people,
    seed,
    stampFrameNumber: args.includes('--stamp'),
  });
  console.log(`${made.videoPath} (${made.truth.frameCount} frames) and ${made.truthPath} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}
