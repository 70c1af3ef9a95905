import { normCrop } from '../align/index.js';
import { type Box, type DetectedFace, type RgbImage, assertInteger, assertNumber, dot } from '../core/index.js';
import { iou, type DetectOptions } from '../detect/index.js';
import type { IdentifyResult } from '../gallery/index.js';
import { faceQuality, withEmbeddingNorm, type FaceQuality } from '../quality/index.js';
import { Tracker, TRACKER_DEFAULTS, TrackIdentity, UnknownLabeler, type Track, type TrackerOptions, type TrackIdentityOptions } from '../track/index.js';
import { contentDifference, contentSignature, ShotChangeDetector, type ShotChangeOptions } from './shot-change.js';
import type { FrameResult, SightingFace, StreamEvent, TrackEndedEvent, TrackIdentifiedEvent, TrackSighting, TrackSuspendedEvent, TrackView } from './events.js';
import { cropBox } from './thumbnail-crop.js';

/**
 * What the stream needs from the models: a detector and an embedder that reports raw norms. A
 * `FaceRecognizer` is one; so is any pair that runs the models elsewhere (worker threads, a browser).
 */
export interface StreamRecognizer {
  readonly detector: { readonly fitSize?: number; detect(image: RgbImage, options?: DetectOptions): Promise<DetectedFace[]> };
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
   * A new frontal face of a track whose cosine to the track's template is below this means the tracker
   * followed another person (a cut the shot detector missed, two faces that crossed): the track ends
   * there and a new one starts, named afresh. Default {@link SPLIT_BELOW}. -1 turns splitting off.
   */
  readonly splitBelow?: number;
  /**
   * A fresh face of a suspended track (re-attached, jumped, touched another) gives the track its name
   * back only when its cosine to the track's template reaches this; between `splitBelow` and this the
   * name stays withheld and the next faces are checked. Default {@link RESUME_ABOVE}.
   */
  readonly resumeAbove?: number;
  /** Shot-change detection (cuts and fades end every track); `false` turns it off. Default: on, {@link SHOT_CHANGE_DEFAULTS}. */
  readonly shotChange?: Partial<ShotChangeOptions> | false;
  /** Give unknown tracks stable `unknown-N` labels and re-find them later in the stream. */
  readonly labelUnknowns?: boolean;
  /** Keep each track's best-quality face crop and hand it to this callback when the track ends. */
  readonly onThumbnail?: (trackId: number, crop: RgbImage) => Promise<string | undefined>;
  /**
   * Keep each track's best `n` embedded faces (aligned crop, embedding, quality) and hand them over
   * with its end in `FrameResult.sightings`, for a sightings store. Default 0: none kept.
   */
  readonly sightingFaces?: number;
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
  /** The frame already shrunk to fit the detector's `fitSize` (a decoder's copy), which the detector then reads. */
  readonly downscaled?: RgbImage;
}

interface TrackState {
  /** The id events and views carry: the tracker's until a split, then a new one. */
  publicId: number;
  identity: TrackIdentity;
  name: string | null;
  label: string;
  decided: boolean;
  best: { quality: number; crop: RgbImage } | undefined;
  /** Best embedded faces, best first (at most `sightingFaces`). */
  faces: SightingFace[];
  firstFrame: number;
  lastFrame: number;
  hits: number;
  /** The box touched another track's since the last embedding: check the face once they part. */
  overlapped: boolean;
  /** Tracker ids of the tracks it touched since its last embedding. */
  partners: Set<number>;
  /** The name is withheld until a fresh face matches the track's template again. */
  suspended: boolean;
  /** The box touched another track's in the last frame. */
  touching: boolean;
  /** Fresh faces in a row that neither matched the template clearly nor split the track. */
  ambiguous: number;
  /** The box of the last matched detection, for the jump test. */
  lastBox: Box | undefined;
  /** Content signature of the last aligned face, for the appearance test. */
  lastLook: Uint8Array | undefined;
  /** Why the name is withheld, and whether a frame's result has shown it withheld yet. */
  reason: TrackSuspendedEvent['reason'];
  announced: boolean;
  /** The shot changed since the track's last matched face. */
  acrossCut: boolean;
}

/**
 * After two faces touched, a face whose embedding is closer to the other track's template by this much
 * (cosine) than to its own means the tracker swapped them: the two tracks' identities are swapped back.
 */
const SWAP_MARGIN = 0.1;

/** Boxes of two tracks closer than this IoU are in contact: the tracker may swap them. */
const CONTACT_IOU = 0.05;

/**
 * Default `splitBelow`, 0.3, for w600k-mbf-int8. Measured on real footage (`../shared/data/video-real`
 * rest/ and cross/ clips, every 6th frame, largest face: 638 faces of 15 people): same-person pairs
 * (21,524, within and across sessions) have cosine min 0.404, p0.1 0.471; different-person pairs
 * (181,679) p99.9 0.243, max 0.313. 0.3 sits above 99.99 % of impostor pairs and below every genuine one.
 */
export const SPLIT_BELOW = 0.3;

/**
 * Default `resumeAbove`, 0.4: below the smallest same-person cosine of the measurement above (0.404) and
 * above the largest different-person one (0.313), so a withheld name comes back only on a clear match.
 */
export const RESUME_ABOVE = 0.4;

/** Fresh faces in the ambiguous band in a row after which the track is split rather than kept suspended. */
const MAX_AMBIGUOUS = 3;

/**
 * A matched box whose centre moved more than this share of its size since the last matched frame, or
 * whose side changed by more than {@link JUMP_SCALE}, jumped (the tracker may have taken another face).
 * Real talking heads (`video-real` rest/ and cross/, 3,786 consecutive-frame pairs) move p99.9 0.17,
 * max 0.22 of the box size per frame and change size by p99.9 1.055, max 1.07.
 */
const JUMP_DISTANCE = 0.5;
const JUMP_SCALE = 1.3;

/**
 * An aligned face whose content signature (16×16 HSV, {@link contentDifference}) differs from the same
 * track's previous frame by at least this is checked against the track at once. Real footage
 * (`video-real`, largest face per frame): consecutive frames of one person differ by p50 2.9, p99 11.5,
 * p99.9 17.1 (6,083 pairs); the faces on the two sides of each of the 26 montage cuts by 24.5 to 52.8.
 * About 1 % of frames of a steady face cost one extra embedding; every measured cut is checked.
 */
const APPEARANCE_CHECK = 12;
/** Columns of the aligned-face signature. */
const LOOK_WIDTH = 16;

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
  readonly #resumeAbove: number;
  readonly #shots: ShotChangeDetector | undefined;
  readonly #sightingFaces: number;
  /** Sightings of the tracks ended since the last result. */
  #ended: TrackSighting[] = [];
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
    this.#splitBelow = assertNumber('splitBelow', options.splitBelow ?? SPLIT_BELOW, -1, 1);
    this.#resumeAbove = assertNumber('resumeAbove', options.resumeAbove ?? Math.max(RESUME_ABOVE, this.#splitBelow), this.#splitBelow, 1);
    this.#shots = options.shotChange === false ? undefined : new ShotChangeDetector(options.shotChange ?? {});
    this.#sightingFaces = assertInteger('sightingFaces', options.sightingFaces ?? 0, 0, 32);
    // Identity options are checked here, not first at the first track.
    new TrackIdentity(options.identity);
  }

  /** Processes one frame; frame indices must increase. `dropped` and `arrived` only label the result. */
  async process(frame: StreamFrame, context: { dropped?: number; arrived?: number } = {}): Promise<FrameResult> {
    const arrived = context.arrived ?? performance.now();
    const { image, index, pts } = frame;
    const recognizer = this.#o.recognizer;
    this.#ptsOf.set(index, pts);
    this.#ptsOf.delete(index - PTS_MEMORY);
    this.#last = { frame: index, pts, width: image.width, height: image.height };
    const events: StreamEvent[] = [];
    // A new shot shows other people, or the same from elsewhere: every track is quarantined, and no name
    // crosses the cut unless the face now under the box matches the track's earlier faces.
    const shot = this.#shots?.push(image);
    if (shot !== undefined) {
      for (const s of this.#states.values()) {
        this.#suspend(s, 'shot');
        s.acrossCut = true;
      }
      events.push({ type: 'shot.changed', frame: index, pts, kind: shot.kind, score: round(shot.score, 3) });
    }
    const detectNow = shot !== undefined || this.#processed % this.#detectEvery === 0;
    this.#processed++;
    const update = detectNow
      ? this.#tracker.update(
          index,
          await recognizer.detector.detect(image, {
            scoreThreshold: this.#detectionScore,
            secondPass: false,
            ...(frame.downscaled === undefined ? {} : { downscaled: frame.downscaled }),
          }),
        )
      : this.#tracker.predict(index);
    for (const t of update.started) {
      const s = this.#stateOf(t);
      events.push({
        type: 'track.started',
        trackId: s.publicId,
        frame: index,
        pts,
        firstFrame: s.firstFrame,
        firstPts: this.#ptsOf.get(s.firstFrame) ?? pts,
        box: roundBox(t.box),
      });
    }
    const contact = touching(update.tracks);
    const recognise = this.#o.gallery !== undefined || this.#labeler !== undefined;
    const wanted: { track: Track<DetectedFace>; state: TrackState; crop: RgbImage; quality: FaceQuality; touching: boolean }[] = [];
    for (const t of update.tracks) {
      const s = this.#stateOf(t);
      const touched = contact.get(t.id);
      // Coming into contact with another track, and parting from it, the tracker may swap the two faces.
      if ((touched !== undefined) !== s.touching) this.#suspend(s, 'contact');
      s.touching = touched !== undefined;
      if (touched !== undefined) {
        s.overlapped = true;
        for (const other of touched) s.partners.add(other);
      }
      if (t.detection === undefined) continue;
      // A track matched again after missing a detection, or whose box leapt, may have taken another face.
      if (s.hits > 0 && index - s.lastFrame > this.#detectEvery) this.#suspend(s, 'reattached');
      else if (s.lastBox !== undefined && jumped(s.lastBox, t.detection.box)) this.#suspend(s, 'jump');
      s.lastBox = t.detection.box;
      s.hits++;
      s.lastFrame = index;
      // With no recognition, nothing can tell that the face after a cut is the one before it (a new
      // shot mostly shows someone else): a track the tracker carries over a cut is split there, so a
      // new shot starts new tracks. A recognising stream checks the face instead (suspended above).
      if (s.acrossCut) {
        s.acrossCut = false;
        if (!recognise) events.push(...(await this.#split(t, s, index, pts)));
      }
      // The crop and its quality serve recognition and thumbnails only.
      if (!recognise && this.#o.onThumbnail === undefined) continue;
      const crop = normCrop(image, t.detection.landmarks, recognizer.embedder.inputSize).crop;
      const quality = faceQuality(t.detection, crop);
      // The face under the box changed look at once (a cut the shot detector missed, another face taken).
      const look = contentSignature(crop, LOOK_WIDTH);
      if (s.lastLook !== undefined && contentDifference(s.lastLook, look) >= APPEARANCE_CHECK) this.#suspend(s, 'appearance');
      s.lastLook = look;
      if (this.#o.onThumbnail !== undefined && (s.best === undefined || quality.overall > s.best.quality)) {
        s.best = { quality: quality.overall, crop: cropBox(image, t.detection.box) };
      }
      // After two faces touched, each is checked again as soon as it is clear of the others: the tracker
      // may have swapped them, and an embedding tells.
      const checkable = s.identity.template !== undefined && s.identity.accepts(quality);
      const touching = contact.has(t.id);
      // Clear of the others, a questioned face is checked at once; while touching, at the recogniser's
      // pace, and only to give a clearly matching face its name back (a half-hidden face decides nothing).
      const recheck =
        checkable && (touching ? s.suspended && pts - s.identity.lastEmbeddedAt >= s.identity.options.minEmbedIntervalSeconds : s.overlapped || s.suspended);
      if (recognise && (recheck || (!touching && s.identity.wantsEmbedding(quality, pts)))) wanted.push({ track: t, state: s, crop, quality, touching });
    }
    if (wanted.length > 0) {
      const { embeddings, norms } = await recognizer.embedder.embedWithNorms(wanted.map((w) => w.crop));
      for (let i = 0; i < wanted.length; i++) {
        const w = wanted[i] as (typeof wanted)[number];
        const embedding = embeddings[i] as Float32Array;
        const quality = withEmbeddingNorm(w.quality, norms[i] as number);
        const frontal = w.state.identity.isFrontal(quality);
        if (!w.touching) {
          w.state.overlapped = false;
          this.#repairSwap(w.state, embedding);
          w.state.partners.clear();
        }
        const template = w.state.identity.template;
        const continuity = template === undefined ? 1 : dot(template, embedding);
        if (continuity < this.#resumeAbove && !(await this.#namesAlone(w.state, embedding))) {
          if (w.touching) {
            // Another face may cover this one: wait until they part before deciding anything.
            w.state.identity.countEmbedding(pts);
            continue;
          }
          // A frontal face unlike the track's earlier ones, and not its identity on its own, is another
          // person; an off-frontal one (weaker evidence) or one in the ambiguous band withholds the name
          // while the next faces are checked.
          const split = (frontal && continuity < this.#splitBelow) || ++w.state.ambiguous >= MAX_AMBIGUOUS;
          if (split) {
            events.push(...(await this.#split(w.track, w.state, index, pts)));
          } else {
            this.#suspend(w.state, 'mismatch');
            w.state.identity.countEmbedding(pts);
            continue;
          }
        }
        // The viewer saw '?': the name shown again is announced even when it is the same.
        const resumed = w.state.announced;
        w.state.suspended = false;
        w.state.announced = false;
        w.state.ambiguous = 0;
        w.state.identity.addEmbedding(embedding, quality, pts);
        this.#keepFace(w.state, { crop: w.crop, embedding, quality });
        if (!frontal && w.state.identity.offFrontalOnly) await this.#vote(w.state, embedding);
        const event = await this.#decide(w.state.publicId, w.state, index, pts, resumed);
        if (event !== undefined) events.push(event);
      }
    }
    for (const t of update.tracks) {
      const s = this.#stateOf(t);
      if (!s.suspended || s.announced) continue;
      s.announced = true;
      events.push({ type: 'track.suspended', trackId: s.publicId, frame: index, pts, reason: s.reason, identity: s.identity.identity });
    }
    for (const t of update.ended) events.push(await this.#endEvent(t.id, index, pts));
    const tracks: TrackView[] = update.tracks.map((t) => {
      const s = this.#stateOf(t);
      return {
        trackId: s.publicId,
        box: roundBox(t.detection?.box ?? t.box),
        detected: t.detection !== undefined,
        missedFrames: t.framesSinceUpdate,
        identity: s.suspended ? null : s.identity.identity,
        name: s.suspended ? null : s.name,
        label: s.suspended ? SUSPENDED_LABEL : s.label,
        score: round(s.identity.score),
        suspended: s.suspended,
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
      ...this.#takeSightings(),
      image,
    };
  }

  /** Keeps a face among the track's best `sightingFaces`. */
  #keepFace(s: TrackState, face: SightingFace): void {
    if (this.#sightingFaces === 0) return;
    s.faces.push(face);
    s.faces.sort((a, b) => b.quality.overall - a.quality.overall);
    if (s.faces.length > this.#sightingFaces) s.faces.length = this.#sightingFaces;
  }

  /** The sightings of tracks ended since the last result, for that result. */
  #takeSightings(): { sightings?: readonly TrackSighting[] } {
    if (this.#ended.length === 0) return {};
    const sightings = this.#ended;
    this.#ended = [];
    return { sightings };
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
    return events.length === 0
      ? undefined
      : { ...last, detected: false, tracks: [], events, dropped: context.dropped ?? 0, latencyMs: 0, embedded: 0, ...this.#takeSightings() };
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
      faces: [],
      firstFrame,
      lastFrame: firstFrame,
      hits: 0,
      overlapped: false,
      partners: new Set(),
      suspended: false,
      touching: false,
      ambiguous: 0,
      lastBox: undefined,
      lastLook: undefined,
      reason: 'mismatch',
      announced: false,
      acrossCut: false,
    };
  }

  /**
   * Withholds a track's name until a fresh face matches it again (tracks with nothing to withhold are
   * left alone). A face checked in the same frame never shows the withheld state; one that cannot be
   * checked yet shows `?`, and a `track.suspended` event says so at the end of the frame.
   */
  #suspend(s: TrackState, reason: TrackSuspendedEvent['reason']): void {
    if (s.suspended || s.identity.template === undefined) return;
    s.suspended = true;
    s.reason = reason;
  }

  /**
   * Whether this face, identified on its own, is the track's identity (at the gallery's threshold): the
   * same person looking different (a new angle, light, a hand in front), not another one.
   */
  async #namesAlone(s: TrackState, embedding: Float32Array): Promise<boolean> {
    const identity = s.identity.identity;
    return identity !== null && (await this.#identifyAlone(embedding)) === identity;
  }

  /** An off-frontal face of a track seen only off-frontal, identified alone: its vote towards the track's name. */
  async #vote(s: TrackState, embedding: Float32Array): Promise<void> {
    if (this.#o.gallery !== undefined) s.identity.vote(await this.#identifyAlone(embedding));
  }

  /** The identity one face names on its own at the gallery's threshold, or null (none, or no gallery). */
  async #identifyAlone(embedding: Float32Array): Promise<string | null> {
    const gallery = this.#o.gallery;
    if (gallery === undefined) return null;
    const r = await gallery.identify(embedding, { topK: 1, ...(this.#fixedThreshold === undefined ? {} : { threshold: this.#fixedThreshold }) });
    const top = r.candidates[0];
    return top !== undefined && top.score >= r.threshold ? top.id : null;
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
    next.lastBox = s.lastBox;
    next.lastLook = s.lastLook;
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
    const ended: TrackEndedEvent = {
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
    if (this.#sightingFaces > 0 && s.hits > 0) this.#ended.push({ ended, faces: s.faces });
    return ended;
  }

  async #decide(trackId: number, s: TrackState, frame: number, pts: number, resumed = false): Promise<StreamEvent | undefined> {
    const template = s.identity.template;
    if (template === undefined) return undefined;
    const before = { identity: s.identity.identity, label: s.label };
    let threshold = this.#fixedThreshold ?? 1;
    let thresholdSource: TrackIdentifiedEvent['thresholdSource'] = 'none';
    const names = new Map<string, string>();
    if (this.#o.gallery !== undefined) {
      const r = await this.#o.gallery.identify(template, {
        topK: this.#topK,
        ...(this.#fixedThreshold === undefined ? {} : { threshold: this.#fixedThreshold }),
      });
      threshold = r.threshold;
      thresholdSource = r.thresholdChoice.source;
      for (const c of r.candidates) names.set(c.id, c.name);
      s.identity.decide(
        r.candidates.map((c) => ({ id: c.id, score: c.score })),
        threshold,
        pts,
      );
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
    if (!first && !resumed && before.identity === identity && before.label === s.label) return undefined;
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

/** What a viewer sees on a track whose name is withheld. */
export const SUSPENDED_LABEL = '?';

/** Whether a matched box moved or rescaled too far since the last matched one to be the same face for sure. */
function jumped(before: Box, now: Box): boolean {
  const side = Math.max(before[2] - before[0], before[3] - before[1], 1);
  const dx = (now[0] + now[2] - before[0] - before[2]) / 2;
  const dy = (now[1] + now[3] - before[1] - before[3]) / 2;
  const scale = Math.max(now[2] - now[0], now[3] - now[1], 1) / side;
  return Math.hypot(dx, dy) > JUMP_DISTANCE * side || scale > JUMP_SCALE || scale < 1 / JUMP_SCALE;
}

const round = (x: number, digits = 6): number => Math.round(x * 10 ** digits) / 10 ** digits;
const roundBox = (b: readonly [number, number, number, number]): [number, number, number, number] => [
  round(b[0], 2),
  round(b[1], 2),
  round(b[2], 2),
  round(b[3], 2),
];

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
