/**
 * A video file, stream, camera or folder of frames anonymised into a video file (Node.js: ffmpeg reads
 * and writes), with the run's report.
 */
import { withDetectorDownscale } from '../stream/index.js';
import { openVideoSource, VideoWriter, type FrameSource, type VideoSourceOptions } from '../video/index.js';
import type { AnonymizeReport } from './policy.js';
import { AnonymizeTally } from './tally.js';
import { VideoAnonymizer, type AnonymizedFrame, type VideoAnonymizerOptions } from './video-anonymizer.js';

/** Options of {@link anonymizeVideo}. */
export interface AnonymizeVideoOptions extends VideoAnonymizerOptions {
  /** Output video (`.mp4`, `.mkv`, `.mov`, `.avi`, `.webm`). */
  readonly output: string;
  /** Source options, used when the source is a path or URL. */
  readonly source?: VideoSourceOptions;
  /** Frame rate of the output. Default: the source's, else 25. */
  readonly fps?: number;
  /** ffmpeg binary of the writer. */
  readonly ffmpegPath?: string;
  /** Stops after the frame in progress; what was processed is still written. */
  readonly signal?: AbortSignal;
  /** Called with every anonymised frame, in order, after it was written. */
  readonly onFrame?: (frame: AnonymizedFrame) => void | Promise<void>;
}

/** Frames of a dropped stretch filled with the last frame, at most this many seconds (as `arcface watch --annotate`). */
const MAX_FILL_SECONDS = 10;

/**
 * Anonymises a video into `options.output` with {@link VideoAnonymizer} and returns the report. Frames
 * are written at their timestamps (a frame a live source dropped repeats the last one). When the source
 * fails mid-way, the frames so far are written and the video closed, then the coded error is raised.
 *
 * @example
 * const report = await anonymizeVideo('party.mp4', { recognizer, output: 'party.anon.mp4', style: 'pixelate' })
 */
export async function anonymizeVideo(source: string | FrameSource, options: AnonymizeVideoOptions): Promise<AnonymizeReport> {
  const anonymizer = new VideoAnonymizer(options);
  const tally = new AnonymizeTally(anonymizer.policy);
  const src = typeof source === 'string' ? openVideoSource(source, withDetectorDownscale(options.recognizer.detector, options.source)) : source;
  const started = performance.now();
  let writer: VideoWriter | undefined;
  let written = 0;
  let fps = options.fps;
  const put = async (frames: readonly AnonymizedFrame[]): Promise<void> => {
    for (const f of frames) {
      tally.add(f, f.undetected);
      if (writer === undefined) {
        fps ??= (await src.info()).fps ?? 25;
        writer = await VideoWriter.open(options.output, {
          width: f.image.width,
          height: f.image.height,
          fps,
          ...(options.ffmpegPath === undefined ? {} : { ffmpegPath: options.ffmpegPath }),
        });
      }
      const rate = fps as number;
      const until = Math.min(Math.max(written + 1, Math.round(f.pts * rate) + 1), written + Math.ceil(MAX_FILL_SECONDS * rate));
      while (written < until) {
        await writer.write(f.image);
        written++;
      }
      await options.onFrame?.(f);
    }
  };
  let failure: unknown;
  try {
    try {
      for await (const frame of src) {
        if (options.signal?.aborted === true) break;
        await put(await anonymizer.push(frame));
      }
    } catch (err) {
      failure = err;
    }
    await put(await anonymizer.finish());
  } finally {
    if (typeof source === 'string') await src.close();
    await (writer as VideoWriter | undefined)?.close();
  }
  if (failure !== undefined) throw failure;
  return tally.report((performance.now() - started) / 1000);
}
