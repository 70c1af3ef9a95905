import { type ArcFaceError, isArcFaceError, type RgbImage, assertInteger } from '../core/index.js';
import { readImageBytes } from '../image/index.js';
import type { FaceRecognizer, RecognizeOptions } from './face-recognizer.js';
import type { RecognitionResult } from './types.js';

/** The outcome for one file: a result, or the coded error that stopped it (the stream goes on). */
export interface FileResult {
  readonly file: string;
  readonly result?: RecognitionResult;
  readonly error?: ArcFaceError;
}

/** Options of {@link recognizeFiles}. */
export interface RecognizeFilesOptions extends RecognizeOptions {
  /** Files read and decoded ahead of inference (1..64). Default 4. */
  readonly prefetch?: number;
}

/**
 * Recognises many files in order, reading and decoding the next ones (sharp, on libuv's thread pool)
 * while the current one is in the models, so decoding overlaps inference. A bad file yields its
 * error and the stream continues.
 *
 * @example
 * for await (const r of recognizeFiles(fr, paths, { select: 'central' })) console.log(r.file, r.result?.faces.length)
 */
export async function* recognizeFiles(recognizer: FaceRecognizer, files: readonly string[], options: RecognizeFilesOptions = {}): AsyncGenerator<FileResult> {
  const prefetch = options.prefetch === undefined ? 4 : assertInteger('prefetch', options.prefetch, 1, 64);
  const load = async (file: string): Promise<RgbImage> => recognizer.decode(await readImageBytes(file));
  const pending: Promise<RgbImage>[] = [];
  let next = 0;
  const fill = (): void => {
    while (next < files.length && pending.length < prefetch) {
      const p = load(files[next] as string);
      p.catch(() => undefined);
      pending.push(p);
      next++;
    }
  };
  fill();
  for (let i = 0; i < files.length; i++) {
    const file = files[i] as string;
    const decoded = pending.shift() as Promise<RgbImage>;
    fill();
    try {
      const image = await decoded;
      yield { file, result: await recognizer.recognize(image, options) };
    } catch (err) {
      if (!isArcFaceError(err)) throw err;
      yield { file, error: err };
    }
  }
}
