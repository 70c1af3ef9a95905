/**
 * Video-pairs verification (YouTube Faces protocol): each video is embedded from up to N uniformly
 * sampled frames; its template is the mean of the frames' unit embeddings, L2-normalised again
 * (the usual YTF baseline: averaging unit features, then comparing by cosine). Frames where no
 * face is found are left out of the mean; a video where no frame has a face uses the mean of the
 * central fallbacks of its frames. Pairs are scored by squared L2 distance and evaluated with the
 * same protocol as LFW, one fold per split.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { ArcFaceError, assertInteger, l2normalize, sha256Digest, type RgbImage } from '../core/index.js';
import { readEvalFile, type EmbedProgress } from './embed-files.js';
import type { EmbeddingCache } from './embedding-cache.js';
import { embedCentralFace, squaredL2, type EvalRecognizer, type ImageEmbedding } from './face-embedding.js';
import { evaluateVerification, type VerificationMetrics } from './protocol.js';
import { decodeVideoFrames, defaultFfmpegPath, probeVideo, resolveVideo, uniformSample } from './video-frames.js';
import type { VideoPair } from './video-splits.js';

/** Default frames per video: YTF videos average 181 frames; 100 keeps most of the signal at half the cost. */
export const DEFAULT_FRAMES_PER_VIDEO = 100;

/** Names the aggregation in reports. */
export const VIDEO_AGGREGATION = 'mean of unit frame embeddings, L2-normalised; frames without a face left out';

/** Options of {@link runVideoEvaluation}. */
export interface VideoEvaluationOptions {
  /** Folder under which video ids (`person/video`) resolve to frame folders or video files. */
  readonly dataDir: string;
  readonly pairs: readonly VideoPair[];
  readonly framesPerVideo?: number;
  readonly cache?: EmbeddingCache;
  readonly ffmpegPath?: string;
  readonly onProgress?: (progress: EmbedProgress) => void;
}

/** One video's template. */
export interface VideoTemplate {
  readonly embedding: Float32Array;
  readonly frames: number;
  readonly framesWithFace: number;
}

/** Result of a video-pairs evaluation. */
export interface VideoEvaluation {
  readonly metrics: VerificationMetrics;
  readonly videos: number;
  readonly frames: number;
  readonly framesNoFace: number;
  /** Videos where no sampled frame had a face. */
  readonly videosNoFace: readonly string[];
  readonly cachedFrames: number;
  readonly dist: readonly number[];
  readonly same: readonly boolean[];
  readonly splits: readonly number[];
  readonly timing: { readonly wallMs: number; readonly recognizerMs: number };
}

/**
 * Contiguous fold ranges, one per split, of pairs sorted by split.
 *
 * @example
 * splitRanges([1, 1, 2]) // [[0, 2], [2, 3]]
 */
export function splitRanges(sortedSplits: readonly number[]): Array<readonly [number, number]> {
  const out: Array<readonly [number, number]> = [];
  let start = 0;
  for (let i = 1; i <= sortedSplits.length; i++) {
    if (i === sortedSplits.length || sortedSplits[i] !== sortedSplits[i - 1]) {
      out.push([start, i]);
      start = i;
    }
  }
  return out;
}

interface Counter {
  cached: number;
  recognizerMs: number;
}

async function embedFrame(
  recognizer: EvalRecognizer,
  key: string,
  input: () => Uint8Array | RgbImage,
  cache: EmbeddingCache | undefined,
  n: Counter,
): Promise<ImageEmbedding> {
  const hit = cache?.get(key);
  if (hit !== undefined) {
    n.cached++;
    return hit;
  }
  const e = await embedCentralFace(recognizer, input());
  n.recognizerMs += e.recognizerMs;
  await cache?.put(key, e);
  return e;
}

/**
 * Embeds one video into a template.
 *
 * @example
 * const t = await embedVideo(recognizer, '/data/ytf', 'Aaron_Eckhart/0', 100)
 */
export async function embedVideo(
  recognizer: EvalRecognizer,
  dataDir: string,
  id: string,
  framesPerVideo = DEFAULT_FRAMES_PER_VIDEO,
  opts: { cache?: EmbeddingCache; ffmpegPath?: string; counter?: Counter } = {},
): Promise<VideoTemplate> {
  assertInteger('framesPerVideo', framesPerVideo, 1, 100_000);
  const n = opts.counter ?? { cached: 0, recognizerMs: 0 };
  const src = await resolveVideo(dataDir, id);
  const items: ImageEmbedding[] = [];
  if (src.kind === 'frames') {
    for (const i of uniformSample(src.files.length, framesPerVideo)) {
      const bytes = await readEvalFile(join(src.dir, src.files[i] as string));
      items.push(await embedFrame(recognizer, sha256Digest(bytes), () => bytes, opts.cache, n));
    }
  } else {
    const ffmpeg = opts.ffmpegPath ?? defaultFfmpegPath();
    const videoSha = sha256Digest(await readEvalFile(src.path));
    const info = await probeVideo(src.path, ffmpeg);
    const indices = uniformSample(info.frames, framesPerVideo);
    const keys = indices.map((i) => createHash('sha256').update(`${videoSha}:frame:${i}`).digest('hex'));
    const missing = opts.cache === undefined ? indices : indices.filter((_, k) => opts.cache?.get(keys[k] as string) === undefined);
    const decoded = missing.length === 0 ? [] : await decodeVideoFrames(src.path, info, missing, ffmpeg);
    const byIndex = new Map(missing.map((idx, k) => [idx, decoded[k]]));
    for (const [k, idx] of indices.entries()) {
      const key = keys[k] as string;
      const frame = byIndex.get(idx);
      if (frame !== undefined) items.push(await embedFrame(recognizer, key, () => frame, opts.cache, n));
      else {
        const hit = opts.cache?.get(key);
        // No frame and no cache entry: the stream held fewer frames than the packet count said.
        if (hit !== undefined) {
          n.cached++;
          items.push(hit);
        }
      }
    }
  }
  if (items.length === 0) throw new ArcFaceError('VIDEO_DECODE_FAILED', `Expected at least one frame in video ${id} but none could be read`);
  const withFace = items.filter((e) => !e.fallback);
  const used = withFace.length > 0 ? withFace : items;
  const size = (used[0] as ImageEmbedding).embedding.length;
  const mean = new Float64Array(size);
  for (const e of used) for (let j = 0; j < size; j++) mean[j] = (mean[j] as number) + (e.embedding[j] as number);
  return { embedding: l2normalize(mean), frames: items.length, framesWithFace: withFace.length };
}

/**
 * Runs the video-pairs protocol.
 *
 * @example
 * const pairs = await readVideoSplits('splits.txt')
 * const r = await runVideoEvaluation(recognizer, { dataDir: '/data/ytf/frame_images_DB', pairs })
 */
export async function runVideoEvaluation(recognizer: EvalRecognizer, options: VideoEvaluationOptions): Promise<VideoEvaluation> {
  const t0 = performance.now();
  const framesPerVideo = assertInteger('framesPerVideo', options.framesPerVideo ?? DEFAULT_FRAMES_PER_VIDEO, 1, 100_000);
  const pairs = [...options.pairs].sort((a, b) => a.split - b.split);
  const ids = [...new Set(pairs.flatMap((p) => [p.a, p.b]))];
  const counter: Counter = { cached: 0, recognizerMs: 0 };
  const templates = new Map<string, VideoTemplate>();
  let frames = 0;
  let framesNoFace = 0;
  const videosNoFace: string[] = [];
  for (const id of ids) {
    const t = await embedVideo(recognizer, options.dataDir, id, framesPerVideo, {
      counter,
      ...(options.cache === undefined ? {} : { cache: options.cache }),
      ...(options.ffmpegPath === undefined ? {} : { ffmpegPath: options.ffmpegPath }),
    });
    templates.set(id, t);
    frames += t.frames;
    framesNoFace += t.frames - t.framesWithFace;
    if (t.framesWithFace === 0) videosNoFace.push(id);
    options.onProgress?.({ done: templates.size, total: ids.length, cached: counter.cached, fallback: videosNoFace.length, elapsedMs: performance.now() - t0 });
  }
  const emb = (id: string): Float32Array => (templates.get(id) as VideoTemplate).embedding;
  const dist = pairs.map((p) => squaredL2(emb(p.a), emb(p.b)));
  const same = pairs.map((p) => p.same);
  const splits = pairs.map((p) => p.split);
  const ranges = splitRanges(splits);
  const metrics = evaluateVerification(dist, same, { ranges });
  const timing = { wallMs: performance.now() - t0, recognizerMs: counter.recognizerMs };
  return { metrics, videos: ids.length, frames, framesNoFace, videosNoFace, cachedFrames: counter.cached, dist, same, splits, timing };
}
