/**
 * Video anonymised frame by frame over {@link FaceStream}: every detection and every tracked (also
 * predicted) face is covered, frames are held back a few so a face found late is covered before it was
 * found, and a face's cover stays a few frames after it is lost; neither crosses a shot change.
 */
import type { Box, DetectedFace } from '../core/index.js';
import { iou, type DetectOptions } from '../detect/index.js';
import {
  FaceStream,
  type FrameResult,
  type ShotChangeOptions,
  type StreamFrame,
  type StreamGallery,
  type StreamRecognizer,
  type TrackView,
} from '../stream/index.js';
import type { TrackerOptions } from '../track/index.js';
import { checkAnonymizeOptions } from './anonymize-photo.js';
import { coverRegions, padBox, type CoverRect } from './cover.js';
import type { AnonymizedImage, AnonymizePolicy, KeptFace } from './policy.js';

/** Options of {@link VideoAnonymizer}. */
export interface VideoAnonymizerOptions extends Partial<AnonymizePolicy> {
  /** Detector and recogniser (a `FaceRecognizer`); the caller owns it. */
  readonly recognizer: StreamRecognizer;
  /** Identities to name tracks with; required by modes `keep` and `only`. */
  readonly gallery?: StreamGallery;
  /** Cosine for a known identity. Default: the gallery's identification threshold. */
  readonly threshold?: number;
  /** Run the detector every k-th frame (the tracker predicts between; a shot change always runs it). Default 1. */
  readonly detectEvery?: number;
  readonly tracker?: Partial<TrackerOptions>;
  /** Shot-change detection; `false` turns it off (and with it the cut boundary of look-ahead and hold). */
  readonly shotChange?: Partial<ShotChangeOptions> | false;
}

/** One anonymised frame, handed out `lookAhead` frames after it came in. */
export interface AnonymizedFrame extends AnonymizedImage {
  readonly index: number;
  readonly pts: number;
  /** Covered regions with no detection of their face in this frame (predicted, look-ahead, held). */
  readonly undetected: number;
  /** The stream's view of the frame (tracks and events). */
  readonly result: FrameResult;
}

/** A face region to cover in one frame, before padding. */
interface Cover {
  readonly box: Box;
  /** The stream's track id, when the region is a track's. */
  readonly trackId: number | undefined;
  /** Frames since the face was last detected (0: detected in this frame). */
  readonly missed: number;
}

interface Pending {
  readonly frame: StreamFrame;
  readonly result: FrameResult;
  /** Shot number: look-ahead and hold never cross a change. */
  readonly shot: number;
  /** Detector output of this frame (empty when the detector did not run). */
  readonly detections: readonly DetectedFace[];
  /** Final covers (set when the frame leaves; kept for the hold of later frames). */
  covers?: readonly Cover[];
}

/** A detection whose box overlaps a track's detected box by this IoU is that track's face. */
const SAME_FACE_IOU = 0.5;
/** A look-ahead or held cover is not added where a face region already overlaps it by this IoU. */
const FILL_OVERLAP_IOU = 0.1;
/** Most extra padding of a predicted box (the prediction drifts, but a box many times the face hides the frame). */
const MAX_PREDICTED_PAD = 0.5;

/**
 * The anonymiser over a video, one frame at a time and with no I/O (see `anonymizeVideo` for files and
 * streams). `push` returns the frames now final, `lookAhead` frames behind; `finish` the rest.
 *
 * Safety rules: in modes `all` and `keep`, every detection at `coverScore` is covered, as is every
 * track the stream holds, also while it is only predicted; in mode `keep`, a face stays visible only in
 * a frame where its track was detected, is not suspended (`?`) and is named as a consenting identity.
 * In mode `only`, a track named once as a listed identity is covered for all its life, in the frames
 * before it was named within the look-ahead too.
 *
 * @example
 * const anon = new VideoAnonymizer({ recognizer, mode: 'all' })
 * for await (const f of source) for (const out of await anon.push(f)) await writer.write(out.image)
 * for (const out of await anon.finish()) await writer.write(out.image)
 */
export class VideoAnonymizer {
  readonly policy: AnonymizePolicy;
  readonly #stream: FaceStream;
  readonly #pending: Pending[] = [];
  /** Frames already handed out, newest last, for the hold. */
  readonly #history: Pending[] = [];
  readonly #listed: ReadonlySet<string>;
  /** Mode `only`: tracks named as a listed identity at least once. */
  readonly #targets = new Set<number>();
  #lastDetections: DetectedFace[] = [];
  #shot = 0;

  constructor(options: VideoAnonymizerOptions) {
    this.policy = checkAnonymizeOptions(options);
    this.#listed = new Set(this.policy.ids);
    const inner = options.recognizer;
    const detector = {
      ...(inner.detector.fitSize === undefined ? {} : { fitSize: inner.detector.fitSize }),
      detect: async (image: Parameters<StreamRecognizer['detector']['detect']>[0], o?: DetectOptions): Promise<DetectedFace[]> => {
        const faces = await inner.detector.detect(image, o);
        this.#lastDetections = faces;
        return faces;
      },
    };
    this.#stream = new FaceStream({
      recognizer: { detector, embedder: inner.embedder },
      detectionScore: this.policy.coverScore,
      ...(options.gallery === undefined ? {} : { gallery: options.gallery }),
      ...(options.threshold === undefined ? {} : { threshold: options.threshold }),
      ...(options.detectEvery === undefined ? {} : { detectEvery: options.detectEvery }),
      ...(options.tracker === undefined ? {} : { tracker: options.tracker }),
      ...(options.shotChange === undefined ? {} : { shotChange: options.shotChange }),
    });
  }

  /** Processes one frame (indices increasing) and returns the frames that are now final, oldest first. */
  async push(frame: StreamFrame): Promise<AnonymizedFrame[]> {
    this.#lastDetections = [];
    const result = await this.#stream.process(frame);
    if (result.events.some((e) => e.type === 'shot.changed')) this.#shot++;
    if (this.policy.mode === 'only') {
      for (const t of result.tracks) if (!t.suspended && t.identity !== null && this.#listed.has(t.identity)) this.#targets.add(t.trackId);
    }
    const detections = result.detected ? this.#lastDetections.filter((d) => d.score >= this.policy.coverScore) : [];
    this.#pending.push({ frame, result, shot: this.#shot, detections });
    const out: AnonymizedFrame[] = [];
    while (this.#pending.length > this.policy.lookAhead) out.push(this.#emit());
    return out;
  }

  /** End of the video: every frame still held back, final. */
  async finish(): Promise<AnonymizedFrame[]> {
    await this.#stream.finish();
    const out: AnonymizedFrame[] = [];
    while (this.#pending.length > 0) out.push(this.#emit());
    return out;
  }

  #emit(): AnonymizedFrame {
    const p = this.#pending.shift() as Pending;
    const { covers, kept } = this.#ownCovers(p);
    const tracksHere = new Set(p.result.tracks.map((t) => t.trackId));
    const occupied: Box[] = [...covers.map((c) => c.box), ...kept.map((k) => k.box)];
    const filled: Cover[] = [];
    // Look-ahead and hold, nearest frames first: a face region of a neighbouring frame of the same shot
    // whose track is not in this frame, and which overlaps no face region here, is covered here too.
    const reach = Math.max(this.policy.lookAhead, this.policy.hold);
    for (let d = 1; d <= reach; d++) {
      const near: Pending[] = [];
      if (d <= this.policy.lookAhead && d - 1 < this.#pending.length) near.push(this.#pending[d - 1] as Pending);
      if (d <= this.policy.hold && d <= this.#history.length) near.push(this.#history[this.#history.length - d] as Pending);
      for (const n of near) {
        if (n.shot !== p.shot) continue;
        for (const c of n.covers ?? this.#ownCovers(n).covers) {
          if (c.trackId !== undefined && tracksHere.has(c.trackId)) continue;
          if (occupied.some((b) => iou(b, c.box) > FILL_OVERLAP_IOU)) continue;
          const cover = { box: c.box, trackId: c.trackId, missed: c.missed + d };
          filled.push(cover);
          occupied.push(c.box);
        }
      }
    }
    p.covers = covers;
    this.#history.push(p);
    if (this.#history.length > this.policy.hold) this.#history.shift();
    const { width, height } = p.frame.image;
    const rects: CoverRect[] = [];
    for (const c of [...covers, ...filled]) {
      const pad = this.policy.pad + Math.min(MAX_PREDICTED_PAD, this.policy.predictedPadPerFrame * c.missed);
      const r = padBox(c.box, pad, width, height);
      if (r !== undefined) rects.push(r);
    }
    const undetected = covers.filter((c) => c.missed > 0).length + filled.length;
    return {
      index: p.frame.index,
      pts: p.frame.pts,
      image: coverRegions(p.frame.image, rects, this.policy.style),
      covered: rects,
      kept: kept.map((k) => k.face),
      undetected,
      result: p.result,
    };
  }

  /** The frame's own face regions: its tracks (detected or predicted) and its detections, as the mode decides. */
  #ownCovers(p: Pending): { covers: Cover[]; kept: { box: Box; face: KeptFace }[] } {
    const mode = this.policy.mode;
    const covers: Cover[] = [];
    const kept: { box: Box; face: KeptFace }[] = [];
    for (const t of p.result.tracks) {
      if (this.#visible(t)) {
        kept.push({ box: t.box, face: { identity: t.identity, score: t.score, reason: mode === 'keep' ? 'consented' : 'not-listed' } });
      } else {
        covers.push({ box: t.box, trackId: t.trackId, missed: t.missedFrames });
      }
    }
    // Detections no detected track holds (tentative tracks, faces the tracker has not taken): unknown
    // faces, covered in `all` and `keep`; in `only` nobody has named them.
    if (mode !== 'only') {
      const held = p.result.tracks.filter((t) => t.detected).map((t) => t.box);
      for (const d of p.detections) if (!held.some((b) => iou(b, d.box) >= SAME_FACE_IOU)) covers.push({ box: d.box, trackId: undefined, missed: 0 });
    }
    return { covers, kept };
  }

  /** Whether a track's face is left visible in this frame. */
  #visible(t: TrackView): boolean {
    if (this.policy.mode === 'all') return false;
    if (this.policy.mode === 'only') return !this.#targets.has(t.trackId);
    // Consent is shown only by a face seen now, whose track's name is not withheld and is consenting.
    return t.detected && !t.suspended && t.identity !== null && this.#listed.has(t.identity);
  }
}
