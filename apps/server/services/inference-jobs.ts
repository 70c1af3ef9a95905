import { ArcFaceError, asArcFaceError, type DetectedFace, type RgbImage } from '../../../src/core/index.js';
import { decodeImage } from '../../../src/image/index.js';
import { faceThumbnail } from '../../../src/ingest/index.js';
import { compareImages, type CompareSelection, type FaceSelection, type RecognitionResult } from '../../../src/pipeline/index.js';
import type { DetectResult, EmbedResult, EmbeddedFace, EngineInfo, FaceOut, InferenceJob, JobResults, VerifyResult } from './engine.js';

/** The part of FaceRecognizer a worker uses. */
export interface RecognizerLike {
  readonly fingerprint: string;
  readonly embeddingSize: number;
  readonly threshold: number | undefined;
  detect(image: RgbImage): Promise<{ faces: DetectedFace[] }>;
  recognize(image: RgbImage, options: { select?: FaceSelection; includeCrops?: boolean }): Promise<RecognitionResult>;
  dispose(): Promise<void>;
}

/**
 * The info a worker reports once loaded; `fallbackThreshold` stands in when the recogniser has no
 * calibrated threshold.
 *
 * @example
 * const info = engineInfo(recognizer, 0.3)
 */
export function engineInfo(r: RecognizerLike, fallbackThreshold: number): EngineInfo {
  return { fingerprint: r.fingerprint, embeddingSize: r.embeddingSize, threshold: r.threshold ?? fallbackThreshold, calibrated: r.threshold !== undefined };
}

function faceOut(f: DetectedFace): FaceOut {
  return { box: f.box, score: f.score, landmarks: f.landmarks };
}

async function embedOne(r: RecognizerLike, bytes: Uint8Array, maxPixels: number, select: FaceSelection, thumbnails: boolean): Promise<EmbedResult> {
  const image = await decodeImage(bytes, { maxPixels });
  const result = await r.recognize(image, { select, includeCrops: thumbnails });
  const faces: EmbeddedFace[] = [];
  for (const f of result.faces) {
    const base = { ...faceOut(f), embedding: f.embedding };
    faces.push(thumbnails && f.crop !== undefined ? { ...base, thumbnail: await faceThumbnail(f.crop) } : base);
  }
  return { width: result.width, height: result.height, faces };
}

/**
 * Runs one job with a loaded recognizer; the same code runs in a worker thread or in-process.
 *
 * @example
 * const { faces } = await runJob(recognizer, { op: 'detect', image: bytes, maxPixels: 16e6 })
 */
export async function runJob<J extends InferenceJob>(r: RecognizerLike, job: J): Promise<JobResults[J['op']]> {
  switch (job.op) {
    case 'detect': {
      const image = await decodeImage(job.image, { maxPixels: job.maxPixels });
      const { faces } = await r.detect(image);
      const out: DetectResult = { width: image.width, height: image.height, faces: faces.map(faceOut) };
      return out as JobResults[J['op']];
    }
    case 'embed':
      return (await embedOne(r, job.image, job.maxPixels, job.select, job.thumbnails)) as JobResults[J['op']];
    case 'verify': {
      // The library's 1:1 comparison, with the server's decode limit and threshold.
      const decoding = {
        threshold: job.threshold,
        recognize: async (image: Uint8Array | RgbImage, o: { select: CompareSelection }) =>
          r.recognize(image instanceof Uint8Array ? await decodeImage(image, { maxPixels: job.maxPixels }) : image, o),
      };
      const [a, b] = job.images;
      const first = { image: a, label: job.names?.[0] ?? 'the first image (image1)' };
      const second = { image: b, label: job.names?.[1] ?? 'the second image (image2)' };
      const out: VerifyResult = await compareImages(decoding, first, second, { select: job.select });
      return out as JobResults[J['op']];
    }
    default: {
      const never: never = job;
      throw new ArcFaceError('INVALID_ARGUMENT', `Expected a job op of detect, embed or verify but received ${JSON.stringify(never)}`);
    }
  }
}

/** An error as it crosses the thread boundary. */
export interface WireError {
  readonly code: string;
  readonly message: string;
}

/**
 * Turns any thrown value into a coded wire error: ArcFaceError keeps its code, TypeError and
 * RangeError (boundary validation) become INVALID_ARGUMENT, anything else INTERNAL.
 *
 * @example
 * port.postMessage({ id, ok: false, error: toWireError(err) })
 */
export function toWireError(err: unknown): WireError {
  const e = asArcFaceError(err);
  return { code: e.code, message: e.message };
}
