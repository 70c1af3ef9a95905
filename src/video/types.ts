/**
 * The contract of video input: frames with their index and presentation timestamp, the header of a
 * source, and the options every source takes. Implementations live in `ffmpeg-source.ts`,
 * `folder-source.ts` and `push-source.ts`.
 */
import type { RgbImage } from '../core/index.js';
import type { VideoContainer } from './container.js';

/** One decoded frame. Results computed from it carry `index` and `pts`, so they never drift from frames. */
export interface VideoFrame {
  /**
   * 0-based index of the frame in the source's sampled sequence, counted before live-mode dropping:
   * a gap between two delivered indices is the number of frames dropped there.
   */
  readonly index: number;
  /**
   * Presentation timestamp in seconds from the start of the source. With `fps` set it is exactly
   * `n / fps` (ffmpeg's fps filter puts frame n at tick n); otherwise it is the stream's own timestamp
   * (ffmpeg's `showinfo` `pts_time`, the container's start time already subtracted, so a player shows
   * the same time). Folders: `index / fps` (25 fps unless set). Push sources: the host's timestamp.
   */
  readonly pts: number;
  readonly image: RgbImage;
  /**
   * The same frame shrunk by the decoder to fit within `downscale` (pixel-area), when that option was
   * given and the source decodes with ffmpeg. A detector reads it instead of resampling `image`.
   */
  readonly downscaled?: RgbImage;
  /**
   * When the frame was complete in this process (`performance.now()` ms): its last byte read from
   * ffmpeg, its image decoded, or its push. Frame-to-result latency is measured from here.
   */
  readonly receivedAt?: number;
}

/** What a source knows once its header is read. */
export interface VideoInfo {
  /** Size of the delivered frames (after `maxSize`). */
  readonly width: number;
  readonly height: number;
  /** Delivered frame rate: `options.fps`, else the stream's declared rate (undefined when unknown). */
  readonly fps: number | undefined;
  /** Duration from the container header; undefined for live streams and push sources. */
  readonly durationSeconds: number | undefined;
  /** True when the source runs in live mode: it never falls behind and drops frames instead. */
  readonly live: boolean;
  /** Decoder name as ffmpeg reports it (`h264`, `vp8`, `mjpeg`…); undefined for folders and push sources. */
  readonly codec: string | undefined;
  /** The input as given, with any `user:password@` in a URL replaced by `***@`. */
  readonly source: string;
}

/** An async sequence of frames from a file, stream, device, folder or host program. */
export interface FrameSource extends AsyncIterable<VideoFrame> {
  /** Resolves when the stream header is known; rejects with the coded error when opening fails. */
  info(): Promise<VideoInfo>;
  /** Frames dropped so far in live mode (always 0 in file mode). */
  readonly dropped: number;
  /** Frames handed to the consumer so far. */
  readonly delivered: number;
  /** Stops ffmpeg / the producer. Idempotent; leaving a `for await` loop early calls it too. */
  close(): Promise<void>;
  /** Times a network stream was opened again after it stopped and delivered frames again (see `reconnectAttempts`). */
  readonly reconnects?: number;
}

/** Options of {@link openVideoSource}. */
export interface VideoSourceOptions {
  /** Sample at this rate (ffmpeg fps filter); default: every frame of the source. */
  readonly fps?: number;
  /** Scale down, keeping the aspect ratio and never up, to fit within `[width, height]`. */
  readonly maxSize?: readonly [number, number];
  /**
   * Also deliver each frame shrunk, keeping the aspect ratio and never up, to fit within `[width, height]`
   * (`frame.downscaled`), scaled by ffmpeg as it decodes (pixel-area). `watchFaces` asks for the detector's
   * size, so the detector never resamples a full frame. Folders and push sources ignore it.
   */
  readonly downscale?: readonly [number, number];
  /**
   * Never fall behind: keep only the newest decoded frame(s) when the consumer is slower and count the
   * rest in `dropped`. Default: true for network streams and devices, false for files and folders.
   */
  readonly live?: boolean;
  /** Frames held for the consumer: live mode keeps the newest `capacity` (default 1); file mode reads this many ahead before pausing ffmpeg (default 4). */
  readonly capacity?: number;
  /** Read a file at its native rate (ffmpeg `-re`), as a camera would deliver it. */
  readonly realtime?: boolean;
  /** Loop a file forever; timestamps keep increasing across loops. */
  readonly loop?: boolean;
  /** A source that gives no frame within this many ms fails with VIDEO_TIMEOUT (default 10000; files only when set). */
  readonly openTimeoutMs?: number;
  /** A live source that gives no data for this many ms mid-way fails with VIDEO_TIMEOUT (default: openTimeoutMs for streams and devices; off for files). */
  readonly readTimeoutMs?: number;
  /** ffmpeg binary; default: `ARCFACE_FFMPEG`, else an `ffmpeg` on PATH, else the bundled one (see `chooseFfmpeg`). */
  readonly ffmpegPath?: string;
  /**
   * How an `rtsp://` stream's RTP packets travel: `tcp` (default: inside the RTSP connection, nothing
   * lost, no UDP ports to open) or `udp` (for servers that offer only UDP).
   */
  readonly rtspTransport?: 'tcp' | 'udp';
  /**
   * Network streams: how many times in a row a stream that stops (ends, stalls or refuses) after its
   * first frame is opened again before its error is raised (default 0: never). Waits between tries
   * start at `reconnectDelayMs` and double, up to 8 s; the count starts again once frames flow.
   */
  readonly reconnectAttempts?: number;
  /** First wait before reopening a stream, in ms (default 500). */
  readonly reconnectDelayMs?: number;
  /**
   * A file of untrusted origin (an upload): decode it with this demuxer only (see
   * `sniffVideoContainer`) and let ffmpeg open nothing but the file itself (`-protocol_whitelist file`),
   * so a playlist or manifest can never make it open a URL or another file.
   */
  readonly container?: VideoContainer;
  /** Largest frame, width × height: ffmpeg's decoder refuses bigger frames before allocating them (VIDEO_TOO_LARGE). */
  readonly maxPixels?: number;
}
