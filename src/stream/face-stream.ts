import { normCrop } from '../align/index.js';
import type { DetectedFace, RgbImage } from '../core/types.js';
import { assertInteger, assertNumber } from '../core/validate.js';
import type { DetectOptions } from '../detect/index.js';
import type { IdentifyResult } from '../gallery/results.js';
import { faceQuality, type FaceQuality } from '../quality/index.js';
import { Tracker, TRACKER_DEFAULTS, TrackIdentity, UnknownLabeler, type Track, type TrackerOptions, type TrackIdentityOptions } from '../track/index.js';
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

/** Options of {@link FaceStream}. */
export interface FaceStreamOptions {
  /** Detector and recogniser (a `FaceRecognizer`). The caller owns it (it is not disposed). */
  readonly recognizer: StreamRecognizer;
  /** Identities to name tracks with (a `Gallery`). Without one, tracks stay unknown (or `unknown-N` with `labelUnknowns`). */
  readonly gallery?: StreamGallery;
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
}

/** What the stream needs from a gallery: ranked candidates and the threshold that decides. A `Gallery` is one. */
export interface StreamGallery {
  identify(query: Float32Array, opts: { topK?: number; threshold?: number }): Promise<Pick<IdentifyResult, 'threshold' | 'thresholdChoice' | 'candidates'>>;
}

/** One frame handed to {@link FaceStream.process}. */
export interface StreamFrame {
  readonly index: number;
  readonly pts: number;
  readonly image: RgbImage;
}

interface TrackState {
  readonly identity: TrackIdentity;
  name: string | null;
  label: string;
  decided: boolean;
  best: { quality: number; crop: RgbImage } | undefined;
}

/** Frames remembered for pts look-ups of first/last frames (a track dies after at most maxAge frames). */
const PTS_MEMORY = 10_000;

/**
 * The stream pipeline one frame at a time, with no I/O of its own (Node.js and the browser alike):
 * detector → tracker → face quality → recogniser (only when a track's identity logic asks) →
 * identity per track, decided against the gallery with hysteresis. `watchFaces` drives it over a
 * video source; a browser page drives it over camera frames.
 *
 * @example
 * const stream = new FaceStream({ recognizer, gallery })
 * const r = await stream.process({ index: 0, pts: 0, image })
 * const closing = await stream.finish()
 */
export class FaceStream {
  readonly #o: FaceStreamOptions;
  readonly #detectEvery: number;
  readonly #topK: number;
  readonly #fixedThreshold: number | undefined;
  readonly #detectionScore: number;
  readonly #tracker: Tracker<DetectedFace>;
  readonly #labeler: UnknownLabeler | undefined;
  readonly #states = new Map<number, TrackState>();
  readonly #ptsOf = new Map<number, number>();
  #processed = 0;
  #last: { frame: number; pts: number; width: number; height: number } | undefined;

  constructor(options: FaceStreamOptions) {
    if (typeof options !== 'object' || options === null || typeof options.recognizer !== 'object' || options.recognizer === null) {
      throw new TypeError(`Expected options with a recognizer but received ${String(options)}`);
    }
    this.#o = options;
    this.#detectEvery = assertInteger('detectEvery', options.detectEvery ?? 1, 1, 1000);
    this.#topK = assertInteger('topK', options.topK ?? 5, 1, 100);
    this.#fixedThreshold = options.threshold === undefined ? undefined : assertNumber('threshold', options.threshold, -1, 1);
    this.#tracker = new Tracker<DetectedFace>(options.tracker);
    this.#detectionScore = assertNumber('detectionScore', options.detectionScore ?? options.tracker?.lowScore ?? TRACKER_DEFAULTS.lowScore, 0, 1);
    this.#labeler = options.labelUnknowns === true ? new UnknownLabeler() : undefined;
  }

  /** Processes one frame; frame indices must increase. `dropped` and `arrived` only label the result. */
  async process(frame: StreamFrame, context: { dropped?: number; arrived?: number } = {}): Promise<FrameResult> {
    const arrived = context.arrived ?? performance.now();
    const { image, index, pts } = frame;
    const recognizer = this.#o.recognizer;
    this.#ptsOf.set(index, pts);
    this.#ptsOf.delete(index - PTS_MEMORY);
    this.#last = { frame: index, pts, width: image.width, height: image.height };
    const detectNow = this.#processed % this.#detectEvery === 0;
    this.#processed++;
    const update = detectNow
      ? this.#tracker.update(index, await recognizer.detector.detect(image, { scoreThreshold: this.#detectionScore, secondPass: false }))
      : this.#tracker.predict(index);
    const events: StreamEvent[] = [];
    for (const t of update.started) {
      events.push({ type: 'track.started', trackId: t.id, frame: index, pts, firstFrame: t.firstFrame, firstPts: this.#ptsOf.get(t.firstFrame) ?? pts, box: roundBox(t.box) });
    }
    const recognise = this.#o.gallery !== undefined || this.#labeler !== undefined;
    const wanted: { track: Track<DetectedFace>; state: TrackState; crop: RgbImage; quality: FaceQuality }[] = [];
    for (const t of update.tracks) {
      const s = this.#stateOf(t.id);
      if (t.detection === undefined) continue;
      const crop = normCrop(image, t.detection.landmarks, recognizer.embedder.inputSize).crop;
      const quality = faceQuality(t.detection, crop);
      if (this.#o.onThumbnail !== undefined && (s.best === undefined || quality.overall > s.best.quality)) {
        s.best = { quality: quality.overall, crop: cropBox(image, t.detection.box) };
      }
      if (recognise && s.identity.wantsEmbedding(quality, pts)) wanted.push({ track: t, state: s, crop, quality });
    }
    if (wanted.length > 0) {
      const { embeddings, norms } = await recognizer.embedder.embedWithNorms(wanted.map((w) => w.crop));
      for (let i = 0; i < wanted.length; i++) {
        const w = wanted[i] as (typeof wanted)[number];
        const detection = w.track.detection as DetectedFace;
        w.state.identity.addEmbedding(embeddings[i] as Float32Array, faceQuality(detection, w.crop, norms[i]), pts);
        const event = await this.#decide(w.track.id, w.state, index, pts);
        if (event !== undefined) events.push(event);
      }
    }
    for (const t of update.ended) events.push(await this.#endEvent(t, index, pts));
    const tracks: TrackView[] = update.tracks.map((t) => {
      const s = this.#stateOf(t.id);
      return { trackId: t.id, box: roundBox(t.detection?.box ?? t.box), detected: t.detection !== undefined, identity: s.identity.identity, name: s.name, label: s.label, score: round(s.identity.score) };
    });
    return {
      frame: index,
      pts,
      width: image.width,
      height: image.height,
      detected: detectNow,
      tracks,
      events,
      dropped: context.dropped ?? 0,
      latencyMs: round(performance.now() - arrived, 3),
      embedded: wanted.length,
      image,
    };
  }

  /**
   * Ends every track still alive (end of stream); the result carries their `track.ended` events,
   * or is undefined when no frame was processed or no track was alive.
   */
  async finish(context: { dropped?: number } = {}): Promise<FrameResult | undefined> {
    const last = this.#last;
    if (last === undefined) return undefined;
    const events: StreamEvent[] = [];
    for (const t of this.#tracker.finish()) events.push(await this.#endEvent(t, last.frame, last.pts));
    return events.length === 0 ? undefined : { ...last, detected: false, tracks: [], events, dropped: context.dropped ?? 0, latencyMs: 0, embedded: 0 };
  }

  #stateOf(id: number): TrackState {
    let s = this.#states.get(id);
    if (s === undefined) {
      s = { identity: new TrackIdentity(this.#o.identity), name: null, label: 'unknown', decided: false, best: undefined };
      this.#states.set(id, s);
    }
    return s;
  }

  async #endEvent(t: Track<DetectedFace>, frame: number, pts: number): Promise<TrackEndedEvent> {
    const s = this.#stateOf(t.id);
    this.#states.delete(t.id);
    const thumbnail = s.best !== undefined && this.#o.onThumbnail !== undefined ? await this.#o.onThumbnail(t.id, s.best.crop) : undefined;
    return {
      type: 'track.ended',
      trackId: t.id,
      frame,
      pts,
      firstFrame: t.firstFrame,
      lastFrame: t.lastFrame,
      firstPts: this.#ptsOf.get(t.firstFrame) ?? pts,
      lastPts: this.#ptsOf.get(t.lastFrame) ?? pts,
      identity: s.identity.identity,
      name: s.name,
      label: s.label,
      score: round(s.identity.score),
      embeddings: s.identity.embeddings,
      hits: t.hits,
      ...(thumbnail === undefined ? {} : { thumbnail }),
    };
  }

  async #decide(trackId: number, s: TrackState, frame: number, pts: number): Promise<StreamEvent | undefined> {
    const template = s.identity.template;
    if (template === undefined) return undefined;
    const before = { identity: s.identity.identity, label: s.label };
    let threshold = this.#fixedThreshold ?? 1;
    let thresholdSource: TrackIdentifiedEvent['thresholdSource'] = 'none';
    const names = new Map<string, string>();
    if (this.#o.gallery !== undefined) {
      const r = await this.#o.gallery.identify(template, { topK: this.#topK, ...(this.#fixedThreshold === undefined ? {} : { threshold: this.#fixedThreshold }) });
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
    } else if (this.#labeler !== undefined) {
      s.name = null;
      s.label = this.#labeler.label(template);
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

const round = (x: number, digits = 6): number => Math.round(x * 10 ** digits) / 10 ** digits;
const roundBox = (b: readonly [number, number, number, number]): [number, number, number, number] => [round(b[0], 2), round(b[1], 2), round(b[2], 2), round(b[3], 2)];
