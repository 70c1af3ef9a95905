import { normCrop } from '../align/index.js';
import { type DetectedFace, type RgbImage, assertInteger, assertNumber, dot } from '../core/index.js';
import { iou, type DetectOptions } from '../detect/index.js';
import type { IdentifyResult } from '../gallery/index.js';
import { faceQuality, qualityRejection, withEmbeddingNorm, type FaceQuality } from '../quality/index.js';
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
  /**
   * A new face of a track whose cosine to the track's template is below this means the tracker
   * followed another person (two faces crossed): the track ends there and a new one starts, named
   * afresh. Default 0.2, below the default recogniser's 1:1 threshold (0.249 at FAR 1e-3 on LFW), so
   * only faces less alike than an ordinary impostor pair split a track. -1 turns splitting off.
   */
  readonly splitBelow?: number;
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
  /** The id events and views carry: the tracker's until a split, then a new one. */
  publicId: number;
  identity: TrackIdentity;
  name: string | null;
  label: string;
  decided: boolean;
  best: { quality: number; crop: RgbImage } | undefined;
  firstFrame: number;
  lastFrame: number;
  hits: number;
  /** The box touched another track's since the last embedding: check the face once they part. */
  overlapped: boolean;
  /** Tracker ids of the tracks it touched since its last embedding. */
  partners: Set<number>;
}

/**
 * After two faces touched, a face whose embedding is closer to the other track's template by this much
 * (cosine) than to its own means the tracker swapped them: the two tracks' identities are swapped back.
 */
const SWAP_MARGIN = 0.1;

/** Boxes of two tracks closer than this IoU are in contact: the tracker may swap them. */
const CONTACT_IOU = 0.05;

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
  readonly #splitBelow: number;
  #nextPublicId = 1;
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
    this.#splitBelow = assertNumber('splitBelow', options.splitBelow ?? 0.2, -1, 1);
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
      const s = this.#stateOf(t);
      events.push({ type: 'track.started', trackId: s.publicId, frame: index, pts, firstFrame: s.firstFrame, firstPts: this.#ptsOf.get(s.firstFrame) ?? pts, box: roundBox(t.box) });
    }
    const contact = touching(update.tracks);
    const recognise = this.#o.gallery !== undefined || this.#labeler !== undefined;
    const wanted: { track: Track<DetectedFace>; state: TrackState; crop: RgbImage; quality: FaceQuality }[] = [];
    for (const t of update.tracks) {
      const s = this.#stateOf(t);
      const touched = contact.get(t.id);
      if (touched !== undefined) {
        s.overlapped = true;
        for (const other of touched) s.partners.add(other);
      }
      if (t.detection === undefined) continue;
      s.hits++;
      s.lastFrame = index;
      // The crop and its quality serve recognition and thumbnails only.
      if (!recognise && this.#o.onThumbnail === undefined) continue;
      const crop = normCrop(image, t.detection.landmarks, recognizer.embedder.inputSize).crop;
      const quality = faceQuality(t.detection, crop);
      if (this.#o.onThumbnail !== undefined && (s.best === undefined || quality.overall > s.best.quality)) {
        s.best = { quality: quality.overall, crop: cropBox(image, t.detection.box) };
      }
      // After two faces touched, each is checked again as soon as it is clear of the others: the tracker
      // may have swapped them, and an embedding tells.
      const recheck = s.overlapped && !contact.has(t.id) && s.identity.template !== undefined && qualityRejection(quality, this.#o.identity?.limits) === undefined;
      if (recognise && (recheck || s.identity.wantsEmbedding(quality, pts))) wanted.push({ track: t, state: s, crop, quality });
    }
    if (wanted.length > 0) {
      const { embeddings, norms } = await recognizer.embedder.embedWithNorms(wanted.map((w) => w.crop));
      for (let i = 0; i < wanted.length; i++) {
        const w = wanted[i] as (typeof wanted)[number];
        const embedding = embeddings[i] as Float32Array;
        w.state.overlapped = false;
        this.#repairSwap(w.state, embedding);
        w.state.partners.clear();
        const template = w.state.identity.template;
        if (template !== undefined && dot(template, embedding) < this.#splitBelow) events.push(...(await this.#split(w.track, w.state, index, pts)));
        w.state.identity.addEmbedding(embedding, withEmbeddingNorm(w.quality, norms[i] as number), pts);
        const event = await this.#decide(w.state.publicId, w.state, index, pts);
        if (event !== undefined) events.push(event);
      }
    }
    for (const t of update.ended) events.push(await this.#endEvent(t.id, index, pts));
    const tracks: TrackView[] = update.tracks.map((t) => {
      const s = this.#stateOf(t);
      return {
        trackId: s.publicId,
        box: roundBox(t.detection?.box ?? t.box),
        detected: t.detection !== undefined,
        missedFrames: t.framesSinceUpdate,
        identity: s.identity.identity,
        name: s.name,
        label: s.label,
        score: round(s.identity.score),
        suspended: false,
      };
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
    for (const t of this.#tracker.finish()) events.push(await this.#endEvent(t.id, last.frame, last.pts));
    return events.length === 0 ? undefined : { ...last, detected: false, tracks: [], events, dropped: context.dropped ?? 0, latencyMs: 0, embedded: 0 };
  }

  #stateOf(t: Track<DetectedFace>): TrackState {
    let s = this.#states.get(t.id);
    if (s === undefined) {
      s = this.#newState(t.firstFrame);
      this.#states.set(t.id, s);
    }
    return s;
  }

  #newState(firstFrame: number): TrackState {
    return {
      publicId: this.#nextPublicId++,
      identity: new TrackIdentity(this.#o.identity),
      name: null,
      label: 'unknown',
      decided: false,
      best: undefined,
      firstFrame,
      lastFrame: firstFrame,
      hits: 0,
      overlapped: false,
      partners: new Set(),
    };
  }

  /**
   * Two tracks that touched come apart with each other's face (the tracker followed the wrong box): when
   * this face is clearly closer to a partner's template than to its own, the two states trade places,
   * so each person keeps the id and the name they had before they met.
   */
  #repairSwap(s: TrackState, embedding: Float32Array): void {
    const own = s.identity.template;
    if (own === undefined) return;
    const ownScore = dot(own, embedding);
    let best: TrackState | undefined;
    let bestScore = Math.max(ownScore + SWAP_MARGIN, this.#splitBelow);
    for (const id of s.partners) {
      const other = this.#states.get(id);
      const template = other?.identity.template;
      if (other === undefined || other === s || template === undefined) continue;
      const score = dot(template, embedding);
      if (score > bestScore) {
        best = other;
        bestScore = score;
      }
    }
    if (best === undefined) return;
    const mine = { ...s };
    Object.assign(s, best);
    Object.assign(best, mine);
  }

  /** The tracker followed another face: the track so far ends, and the face now seen starts a new one. */
  async #split(t: Track<DetectedFace>, s: TrackState, frame: number, pts: number): Promise<StreamEvent[]> {
    const before = { ...s, lastFrame: Math.max(s.firstFrame, s.lastFrame === frame ? this.#previousFrame(frame) : s.lastFrame), hits: Math.max(0, s.hits - 1) };
    const ended = await this.#endedFrom(before, frame, pts);
    const next = this.#newState(frame);
    next.hits = 1;
    Object.assign(s, next);
    return [ended, { type: 'track.started', trackId: next.publicId, frame, pts, firstFrame: frame, firstPts: pts, box: roundBox(t.detection?.box ?? t.box) }];
  }

  #previousFrame(frame: number): number {
    let f = frame - 1;
    while (f >= 0 && !this.#ptsOf.has(f)) f--;
    return Math.max(0, f);
  }

  async #endEvent(trackerId: number, frame: number, pts: number): Promise<TrackEndedEvent> {
    const s = this.#states.get(trackerId) ?? this.#newState(frame);
    this.#states.delete(trackerId);
    return this.#endedFrom(s, frame, pts);
  }

  async #endedFrom(s: TrackState, frame: number, pts: number): Promise<TrackEndedEvent> {
    const thumbnail = s.best !== undefined && this.#o.onThumbnail !== undefined ? await this.#o.onThumbnail(s.publicId, s.best.crop) : undefined;
    return {
      type: 'track.ended',
      trackId: s.publicId,
      frame,
      pts,
      firstFrame: s.firstFrame,
      lastFrame: s.lastFrame,
      firstPts: this.#ptsOf.get(s.firstFrame) ?? pts,
      lastPts: this.#ptsOf.get(s.lastFrame) ?? pts,
      identity: s.identity.identity,
      name: s.name,
      label: s.label,
      score: round(s.identity.score),
      embeddings: s.identity.embeddings,
      hits: s.hits,
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

/** For each track whose box touches others (IoU above {@link CONTACT_IOU}), the ids it touches. */
function touching(tracks: readonly Track<DetectedFace>[]): Map<number, Set<number>> {
  const out = new Map<number, Set<number>>();
  const link = (a: number, b: number): void => {
    const set = out.get(a) ?? new Set<number>();
    set.add(b);
    out.set(a, set);
  };
  for (let i = 0; i < tracks.length; i++) {
    for (let j = i + 1; j < tracks.length; j++) {
      const a = tracks[i] as Track<DetectedFace>;
      const b = tracks[j] as Track<DetectedFace>;
      if (iou(a.box, b.box) > CONTACT_IOU) {
        link(a.id, b.id);
        link(b.id, a.id);
      }
    }
  }
  return out;
}
