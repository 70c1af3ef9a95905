/**
 * Worker-thread entry for one video job or live stream: loads its own FaceRecognizer, opens the
 * gallery read-only by location, runs `watchFaces` and posts every frame's events; for an
 * anonymisation job it runs `anonymizeVideo` into the job's output file instead, posts one frame
 * message per frame (no events: names of the people in the video are not handed out) and the report.
 * Messages out: `{ type: 'frame', frame, pts, dropped, reconnects, events, closing }` (`closing` on the result that
 * only ends the tracks still alive), `{ type: 'done' }`,
 * `{ type: 'error', error }`. Message in: `'stop'` ends the stream after the frame in progress.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openGallery, type Gallery } from '../../../src/gallery/index.js';
import { FaceRecognizer } from '../../../src/pipeline/index.js';
import { anonymizeVideo, assertIdentitiesKnown, identitiesTagged, type AnonymizeMode, type CoverStyle } from '../../../src/privacy/index.js';
import { Sightings } from '../../../src/sightings/index.js';
import { watchFaces, withDetectorDownscale } from '../../../src/stream/index.js';
import { openVideoSource, type FrameSource, type VideoSourceOptions } from '../../../src/video/index.js';
import { toWireError } from './inference-jobs.js';
import { boundedSource, type VideoLimits } from './video-limits.js';
import type { WorkerConfig } from './worker-pool.js';

/** What an anonymisation job covers (`POST /v1/anonymize` query): a client never names a file. */
export interface AnonymizeTask {
  readonly mode: AnonymizeMode;
  /** Identities kept (`keep`) or covered (`only`). */
  readonly ids: readonly string[];
  /** Mode `keep`: the identities of the server's gallery tagged so, resolved in the worker. */
  readonly keepTag?: string;
  readonly style: CoverStyle;
  readonly pad: number;
}

/** What a video worker is started with. */
export interface VideoWorkerData {
  readonly config: WorkerConfig;
  readonly galleryLocation: string | undefined;
  readonly source: string;
  readonly sourceOptions: VideoSourceOptions;
  readonly detectEvery: number;
  readonly threshold: number | undefined;
  /** Best faces kept per ended track and posted with the frame (sightings); 0: none. */
  readonly sightingFaces: number;
  /** Frames and seconds of media allowed (uploads); absent for live streams. */
  readonly limits?: Pick<VideoLimits, 'maxFrames' | 'maxDurationSeconds'>;
  /** An anonymisation job: the task, and the job folder's file the covered video is written to. */
  readonly anonymize?: { readonly task: AnonymizeTask; readonly output: string };
}

async function main(): Promise<void> {
  const port = parentPort;
  if (port === null) throw new Error('Expected to run as a worker thread but parentPort is null');
  const data = workerData as VideoWorkerData;
  const abort = new AbortController();
  port.on('message', (m: unknown) => {
    if (m === 'stop') abort.abort();
  });
  let fr: FaceRecognizer | undefined;
  let gallery: Gallery | undefined;
  let sightings: Sightings | undefined;
  let source: FrameSource | undefined;
  try {
    const cfg = data.config;
    fr = await FaceRecognizer.create({
      ...(cfg.detector === undefined ? {} : { detector: cfg.detector }),
      ...(cfg.recognizer === undefined ? {} : { recognizer: cfg.recognizer }),
      ...(cfg.locations === undefined ? {} : { locations: cfg.locations }),
      runtime: { intraOpThreads: cfg.intraOpThreads },
    });
    if (data.galleryLocation !== undefined) {
      const threshold = fr.threshold ?? cfg.threshold;
      gallery = await openGallery(data.galleryLocation, { fingerprint: fr.fingerprint, embeddingSize: fr.embeddingSize, threshold });
      // Sightings are recorded by the service; here they only turn away the look-alikes of "not X".
      if (data.sightingFaces > 0) sightings = await Sightings.open(gallery);
    }
    // Opened here rather than by watchFaces, so that its limits apply and its reconnection count can be reported.
    const opened = openVideoSource(data.source, withDetectorDownscale(fr.detector, data.sourceOptions));
    const src = data.limits === undefined ? opened : boundedSource(opened, data.limits);
    source = src;
    const job = data.anonymize;
    if (job !== undefined) {
      const { keepTag, ...task } = job.task;
      const ids = keepTag === undefined ? task.ids : await identitiesTagged(gallery as Gallery, keepTag);
      if (task.mode !== 'all') await assertIdentitiesKnown(gallery as Gallery, ids);
      const report = await anonymizeVideo(src, {
        ...task,
        ids,
        recognizer: fr,
        output: job.output,
        signal: abort.signal,
        ...(data.sourceOptions.ffmpegPath === undefined ? {} : { ffmpegPath: data.sourceOptions.ffmpegPath }),
        ...(gallery === undefined ? {} : { gallery }),
        ...(data.threshold === undefined ? {} : { threshold: data.threshold }),
        onFrame: (f) =>
          port.postMessage({ type: 'frame', frame: f.index, pts: f.pts, dropped: src.dropped, reconnects: 0, events: [], tracks: 0, closing: false }),
      });
      port.postMessage({ type: 'report', report });
      port.postMessage({ type: 'done' });
      return;
    }
    for await (const r of watchFaces(src, {
      recognizer: fr,
      detectEvery: data.detectEvery,
      signal: abort.signal,
      ...(gallery === undefined ? {} : { gallery: sightings === undefined ? gallery : sightings.guard(gallery) }),
      ...(data.sightingFaces > 0 ? { sightingFaces: data.sightingFaces } : {}),
      ...(data.threshold === undefined ? {} : { threshold: data.threshold }),
    })) {
      const reconnects = opened.reconnects ?? 0;
      port.postMessage({
        type: 'frame',
        frame: r.frame,
        pts: r.pts,
        dropped: r.dropped,
        reconnects,
        events: r.events,
        tracks: r.tracks.length,
        closing: r.image === undefined,
        ...(r.sightings === undefined ? {} : { sightings: r.sightings }),
      });
    }
    port.postMessage({ type: 'done' });
  } catch (err) {
    port.postMessage({ type: 'error', error: toWireError(err) });
  } finally {
    await source?.close().catch(() => undefined);
    await sightings?.close().catch(() => undefined);
    await gallery?.close().catch(() => undefined);
    await fr?.dispose().catch(() => undefined);
    // The message listener would keep the thread alive: close the port so the worker exits.
    port.close();
  }
}

void main();
