import { normCrop } from '../align/index.js';
import type { DetectedFace, RgbImage } from '../core/types.js';
import { assertInteger, assertNumber } from '../core/validate.js';
import type { Gallery } from '../gallery/index.js';
import type { DetectOptions } from '../detect/index.js';
import { faceQuality, type FaceQuality } from '../quality/index.js';
import { Tracker, TRACKER_DEFAULTS, TrackIdentity, UnknownLabeler, type Track, type TrackerOptions, type TrackIdentityOptions } from '../track/index.js';
import { openVideoSource, type FrameSource, type VideoFrame, type VideoSourceOptions } from '../video/index.js';
import type { FrameResult, StreamEvent, TrackEndedEvent, TrackIdentifiedEvent, TrackView } from './events.js';
import { cropBox } from './thumbnail-crop.js';

/**
 * What the stream needs from the models: a detector and an embedder that reports raw norms. A
 * `FaceRecognizer` is one; so is any pair that runs the models elsewhere (worker threads, a browser).
 */
export interface StreamRecognizer {
  readonly detector: { detect(image: RgbImage, options?: DetectOptions): Promise<DetectedFace[]> };
  readonly embedder: {
    readonly inputSize: number;
    embedWithNorms(crops: readonly RgbImage[]): Promise<{ readonly embeddings: readonly Float32Array[]; readonly norms: readonly number[] }>;
  };
}

/** Options of {@link watchFaces}. */
export interface WatchFacesOptions {
  /** Detector and recogniser (a `FaceRecognizer`). The caller owns it (it is not disposed). */
  readonly recognizer: StreamRecognizer;
  /** Identities to name tracks with. Without one, tracks stay unknown (or `unknown-N` with `labelUnknowns`). */
  readonly gallery?: Gallery;
  /** Cosine for a known identity. Default: the gallery's identification threshold. */
  readonly threshold?: number;
  /** Gallery candidates per decision. Default 5. */
  readonly topK?: number;
  /** Run the detector on every k-th processed frame; the tracker predicts between. Default 1. */
  readonly detectEvery?: number;
  /**
   * The detector's score floor for this stream. ByteTrack's second pass needs the low-score
   * detections that a still-image threshold would drop. Default: the tracker's `lowScore`.
   */
  readonly detectionScore?: number;
  readonly tracker?: Partial<TrackerOptions>;
  readonly identity?: Partial<TrackIdentityOptions>;
  /** Give unknown tracks stable `unknown-N` labels and re-find them later in the stream. */
  readonly labelUnknowns?: boolean;
  /** Keep each track's best-quality face crop and hand it to this callback when the track ends. */
  readonly onThumbnail?: (trackId: number, crop: RgbImage) => Promise<string | undefined>;
  /** Source options, used when `source` is a path or URL. */
  readonly source?: VideoSourceOptions;
  /** Stops the stream after the frame in progress. */
  readonly signal?: AbortSignal;
}

interface TrackState {
  readonly identity: TrackIdentity;
  name: string | null;
  label: string;
  decided: boolean;
  best: { quality: number; crop: RgbImage } | undefined;
}

/** A frame as the sources deliver it, with the arrival time some sources add. */
type TimedFrame = VideoFrame & { readonly receivedAt?: number };

/** Frames remembered for pts look-ups of first/last frames (a track dies after at most maxAge frames). */
const PTS_MEMORY = 10_000;

/**
 * Recognises faces in a video file, a network stream, a camera or pushed frames: detector → tracker
 * → face quality → recogniser (only on frames the track's identity logic selects) → identity per
 * track, decided against the gallery with hysteresis. Yields one result per processed frame, tagged
 * with that frame's index and timestamp, and the track events that happened at it. A file is read
 * at the pace of the consumer; a live source drops frames instead of falling behind (`dropped`).
 * When the source ends, a last result carries the `track.ended` events of the tracks still alive;
 * when it fails mid-way, that result comes first and the coded error is raised after it.
 *
 * @example
 * for await (const r of watchFaces('clip.mp4', { recognizer, gallery })) {
 *   for (const e of r.events) console.log(JSON.stringify(e))
 * }
 */
export async function* watchFaces(source: string | FrameSource, options: WatchFacesOptions): AsyncGenerator<FrameResult, void, undefined> {
  const recognizer = options.recognizer;
  const detectEvery = assertInteger('detectEvery', options.detectEvery ?? 1, 1, 1000);
  const topK = assertInteger('topK', options.topK ?? 5, 1, 100);
  const fixedThreshold = options.threshold === undefined ? undefined : assertNumber('threshold', options.threshold, -1, 1);
  const tracker = new Tracker<DetectedFace>(options.tracker);
  const detectionScore = assertNumber('detectionScore', options.detectionScore ?? trackerLowScore(options.tracker), 0, 1);
  const labeler = options.labelUnknowns === true ? new UnknownLabeler() : undefined;
  const recognise = options.gallery !== undefined || labeler !== undefined;
  const gallery = options.gallery;
  const src = typeof source === 'string' ? openVideoSource(source, options.source) : source;
  const states = new Map<number, TrackState>();
  const ptsOf = new Map<number, number>();
  let processed = 0;
  let last: { frame: number; pts: number; width: number; height: number } | undefined;

  const stateOf = (id: number): TrackState => {
    let s = states.get(id);
    if (s === undefined) {
      s = { identity: new TrackIdentity(options.identity), name: null, label: 'unknown', decided: false, best: undefined };
      states.set(id, s);
    }
    return s;
  };
  const endEvent = async (t: Track<DetectedFace>, frame: number, pts: number): Promise<TrackEndedEvent> => {
    const s = stateOf(t.id);
    states.delete(t.id);
    const thumbnail = s.best !== undefined && options.onThumbnail !== undefined ? await options.onThumbnail(t.id, s.best.crop) : undefined;
    return {
      type: 'track.ended',
      trackId: t.id,
      frame,
      pts,
      firstFrame: t.firstFrame,
      lastFrame: t.lastFrame,
      firstPts: ptsOf.get(t.firstFrame) ?? pts,
      lastPts: ptsOf.get(t.lastFrame) ?? pts,
      identity: s.identity.identity,
      name: s.name,
      label: s.label,
      score: round(s.identity.score),
      embeddings: s.identity.embeddings,
      hits: t.hits,
      ...(thumbnail === undefined ? {} : { thumbnail }),
    };
  };

  let failure: unknown;
  try {
    try {
      for await (const f of src as AsyncIterable<TimedFrame>) {
        if (options.signal?.aborted === true) break;
        const arrived = f.receivedAt ?? performance.now();
        const { image } = f;
        ptsOf.set(f.index, f.pts);
        ptsOf.delete(f.index - PTS_MEMORY);
        last = { frame: f.index, pts: f.pts, width: image.width, height: image.height };
        const detectNow = processed % detectEvery === 0;
        processed++;
        const update = detectNow ? tracker.update(f.index, await recognizer.detector.detect(image, { scoreThreshold: detectionScore, secondPass: false })) : tracker.predict(f.index);
        const events: StreamEvent[] = [];
        for (const t of update.started) {
          events.push({ type: 'track.started', trackId: t.id, frame: f.index, pts: f.pts, firstFrame: t.firstFrame, firstPts: ptsOf.get(t.firstFrame) ?? f.pts, box: roundBox(t.box) });
        }
        const wanted: { track: Track<DetectedFace>; state: TrackState; crop: RgbImage; quality: FaceQuality }[] = [];
        for (const t of update.tracks) {
          const s = stateOf(t.id);
          if (t.detection === undefined) continue;
          const crop = normCrop(image, t.detection.landmarks, recognizer.embedder.inputSize).crop;
          const quality = faceQuality(t.detection, crop);
          if (options.onThumbnail !== undefined && (s.best === undefined || quality.overall > s.best.quality)) {
            s.best = { quality: quality.overall, crop: cropBox(image, t.detection.box) };
          }
          if (recognise && s.identity.wantsEmbedding(quality, f.pts)) wanted.push({ track: t, state: s, crop, quality });
        }
        if (wanted.length > 0) {
          const { embeddings, norms } = await recognizer.embedder.embedWithNorms(wanted.map((w) => w.crop));
          for (let i = 0; i < wanted.length; i++) {
            const w = wanted[i] as (typeof wanted)[number];
            const detection = w.track.detection as DetectedFace;
            w.state.identity.addEmbedding(embeddings[i] as Float32Array, faceQuality(detection, w.crop, norms[i]), f.pts);
            const event = await decide(w.track.id, w.state, f.index, f.pts);
            if (event !== undefined) events.push(event);
          }
        }
        for (const t of update.ended) events.push(await endEvent(t, f.index, f.pts));
        const tracks: TrackView[] = update.tracks.map((t) => {
          const s = stateOf(t.id);
          return { trackId: t.id, box: roundBox(t.detection?.box ?? t.box), detected: t.detection !== undefined, identity: s.identity.identity, name: s.name, label: s.label, score: round(s.identity.score) };
        });
        yield {
          frame: f.index,
          pts: f.pts,
          width: image.width,
          height: image.height,
          detected: detectNow,
          tracks,
          events,
          dropped: src.dropped,
          latencyMs: round(performance.now() - arrived, 3),
          embedded: wanted.length,
          image,
        };
      }
    } catch (err) {
      // The source failed mid-way (truncated file, a stream that ended or stalled): the tracks still
      // alive end here, so a consumer keeps a complete record of what was seen, then the error is raised.
      failure = err;
    }
    if (last !== undefined) {
      const events: StreamEvent[] = [];
      for (const t of tracker.finish()) events.push(await endEvent(t, last.frame, last.pts));
      if (events.length > 0) yield { ...last, detected: false, tracks: [], events, dropped: src.dropped, latencyMs: 0, embedded: 0 };
    }
    if (failure !== undefined) throw failure;
  } finally {
    if (typeof source === 'string') await src.close();
  }

  async function decide(trackId: number, s: TrackState, frame: number, pts: number): Promise<StreamEvent | undefined> {
    const template = s.identity.template;
    if (template === undefined) return undefined;
    const before = { identity: s.identity.identity, label: s.label };
    let threshold = fixedThreshold ?? 1;
    let thresholdSource: TrackIdentifiedEvent['thresholdSource'] = 'none';
    const names = new Map<string, string>();
    if (gallery !== undefined) {
      const r = await gallery.identify(template, { topK, ...(fixedThreshold === undefined ? {} : { threshold: fixedThreshold }) });
      threshold = r.threshold;
      thresholdSource = r.thresholdChoice.source;
      for (const c of r.candidates) names.set(c.id, c.name);
      s.identity.decide(r.candidates.map((c) => ({ id: c.id, score: c.score })), threshold, pts);
    } else {
      s.identity.decide([], threshold, pts);
    }
    const identity = s.identity.identity;
    if (identity !== null) {
      s.name = names.get(identity) ?? s.name ?? identity;
      s.label = s.name;
    } else if (labeler !== undefined) {
      s.name = null;
      s.label = labeler.label(template);
    } else {
      s.name = null;
      s.label = 'unknown';
    }
    const first = !s.decided;
    s.decided = true;
    if (!first && before.identity === identity && before.label === s.label) return undefined;
    return {
      type: 'track.identified',
      trackId,
      frame,
      pts,
      identity,
      name: s.name,
      label: s.label,
      score: round(s.identity.score),
      threshold: round(threshold),
      thresholdSource,
      previous: before.identity,
      embeddings: s.identity.embeddings,
    };
  }
}

function trackerLowScore(options: Partial<TrackerOptions> | undefined): number {
  return options?.lowScore ?? TRACKER_DEFAULTS.lowScore;
}

const round = (x: number, digits = 6): number => Math.round(x * 10 ** digits) / 10 ** digits;
const roundBox = (b: readonly [number, number, number, number]): [number, number, number, number] => [round(b[0], 2), round(b[1], 2), round(b[2], 2), round(b[3], 2)];
