/**
 * `npm run bench -- anonymize`: how often the anonymiser leaves a true face bare (more than
 * {@link BARE_SHARE} of its area uncovered) and how fast it runs against real time.
 *
 * Variants, side by side: the anonymiser as shipped (tracker with predicted boxes, look-ahead and hold
 * of 5 frames); the same without look-ahead and hold; and "detections only" (each frame's own detector
 * boxes at the cover score, padded alike — what a per-frame blur would do), taken from the shipped run's
 * detector calls, so it sees exactly the same detections.
 *
 * Truth: synthetic clips know every face box (and what hides it). Real footage (`video-real`) has no
 * hand-labelled boxes: the montages' truth is a stronger detector's pass (SCRFD-2.5G, score ≥ 0.5, faces
 * ≥ 2 % of the frame width: the method of `multi/crowd.json`'s own boxes), `multi/crowd` uses its boxes,
 * `cross/` the per-frame largest face of its `.faces.json`. Faces a stronger detector also misses are
 * not counted, so the real figures are a floor of what is left bare.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Box, DetectedFace, RgbImage } from '../src/core/index.js';
import { FaceRecognizer } from '../src/pipeline/index.js';
import { ANONYMIZE_DEFAULTS, padBox, VideoAnonymizer, type AnonymizedFrame, type CoverRect } from '../src/privacy/index.js';
import type { StreamRecognizer } from '../src/stream/index.js';
import { openVideoSource, type VideoFrame } from '../src/video/index.js';
import { BARE_SHARE, bareShare, syntheticBareShares } from './anonymize-coverage.js';
import { makeSyntheticVideo, type SyntheticVideo } from './video-synth.js';

/** The frames a clip is scored on and what a face of frame f is, per clip. */
interface Clip {
  readonly name: string;
  readonly path: string;
  /** Only the first this many frames (the bench's `--anonymize-seconds`). */
  readonly maxFrames?: number;
  /** Share of the worst face left bare in frame f, given that frame's covers. */
  readonly worst: (frame: number, covers: readonly CoverRect[], width: number, height: number) => number;
  /** Frames in which some true face is visible at all (the denominator). */
  readonly framesWithFaces: (frames: number) => number;
  /** A stronger detector's pass gives the truth (montages). */
  readonly strongTruth?: boolean;
}

interface Variant {
  readonly bare: number;
  readonly fps?: number;
}

/** The recogniser with each frame's detections recorded (index = detector call = frame, detectEvery 1). */
function recording(fr: FaceRecognizer, log: DetectedFace[][], time: { seconds: number }): StreamRecognizer {
  return {
    detector: {
      detect: async (image: RgbImage, o) => {
        const t0 = performance.now();
        const faces = await fr.detector.detect(image, o);
        time.seconds += (performance.now() - t0) / 1000;
        log.push(faces);
        return faces;
      },
    },
    embedder: fr.embedder,
  };
}

async function runClip(
  fr: FaceRecognizer,
  clip: Clip,
  lookAhead: number,
  truthDetector?: FaceRecognizer,
  truth?: Box[][],
): Promise<{ out: AnonymizedFrame[]; detections: DetectedFace[][]; seconds: number; detectSeconds: number }> {
  const detections: DetectedFace[][] = [];
  const detect = { seconds: 0 };
  const anon = new VideoAnonymizer({ recognizer: recording(fr, detections, detect), lookAhead, hold: lookAhead });
  const out: AnonymizedFrame[] = [];
  let seconds = 0;
  for await (const f of openVideoSource(clip.path) as AsyncIterable<VideoFrame>) {
    if (clip.maxFrames !== undefined && f.index >= clip.maxFrames) break;
    if (truthDetector !== undefined && truth !== undefined) {
      const minSide = 0.02 * f.image.width;
      truth.push((await truthDetector.detector.detect(f.image, { scoreThreshold: 0.5 })).filter((d) => d.box[2] - d.box[0] >= minSide).map((d) => d.box));
    }
    const t0 = performance.now();
    out.push(...(await anon.push(f)));
    seconds += (performance.now() - t0) / 1000;
  }
  const t0 = performance.now();
  out.push(...(await anon.finish()));
  seconds += (performance.now() - t0) / 1000;
  return { out, detections, seconds, detectSeconds: detect.seconds };
}

function bareFrames(clip: Clip, frames: readonly { covered: readonly CoverRect[] }[], width: number, height: number): number {
  let n = 0;
  frames.forEach((f, i) => {
    if (clip.worst(i, f.covered, width, height) > BARE_SHARE) n++;
  });
  return n;
}

function syntheticClip(v: SyntheticVideo, name: string): Clip {
  return {
    name,
    path: v.videoPath,
    worst: (i, covers, w, h) => Math.max(0, ...syntheticBareShares(v.truth.frames[i] ?? { frame: i, pts: 0, objects: [] }, covers, w, h).map((s) => s.share)),
    framesWithFaces: (frames) => v.truth.frames.slice(0, frames).filter((t) => t.objects.some((o) => o.visible > BARE_SHARE)).length,
  };
}

/** A clip whose truth is per-frame boxes (no occlusion known): a face is bare when > 10 % of its box is uncovered. */
function boxClip(name: string, path: string, boxes: (frame: number) => readonly Box[], strongTruth = false): Clip {
  return {
    name,
    path,
    strongTruth,
    worst: (i, covers, w, h) => Math.max(0, ...boxes(i).map((b) => bareShare(b, [], covers, w, h))),
    framesWithFaces: (frames) => Array.from({ length: frames }, (_, i) => boxes(i).length).filter((n) => n > 0).length,
  };
}

/** Runs one clip through the variants and prints one table row. */
async function measureClip(fr: FaceRecognizer, clip: Clip, log: (line: string) => void, strong?: FaceRecognizer): Promise<void> {
  const truth: Box[][] = [];
  const shipped = await runClip(fr, clip, ANONYMIZE_DEFAULTS.lookAhead, clip.strongTruth === true ? strong : undefined, truth);
  const c: Clip =
    clip.strongTruth === true
      ? { ...boxClip(clip.name, clip.path, (i) => truth[i] ?? []), ...(clip.maxFrames === undefined ? {} : { maxFrames: clip.maxFrames }) }
      : clip;
  const first = shipped.out[0]?.image as RgbImage;
  const { width, height } = first;
  const noLook = await runClip(fr, clip, 0);
  const pad = ANONYMIZE_DEFAULTS.pad;
  const detectionsOnly = shipped.detections.map((faces) => ({
    covered: faces
      .filter((d) => d.score >= ANONYMIZE_DEFAULTS.coverScore)
      .flatMap((d): CoverRect[] => {
        const r = padBox(d.box, pad, width, height);
        return r === undefined ? [] : [r];
      }),
  }));
  const frames = shipped.out.length;
  const variants: Record<string, Variant> = {
    shipped: { bare: bareFrames(c, shipped.out, width, height), fps: frames / shipped.seconds },
    'no look-ahead/hold': { bare: bareFrames(c, noLook.out, width, height), fps: frames / noLook.seconds },
    'detections only': { bare: bareFrames(c, detectionsOnly, width, height) },
  };
  const faces = c.framesWithFaces(frames);
  const cells = Object.values(variants).map((v) => `${v.bare} (${((100 * v.bare) / Math.max(1, faces)).toFixed(2)} %)`);
  const fps = variants.shipped?.fps ?? 0;
  const detectorFps = frames / shipped.detectSeconds;
  log(
    `| ${clip.name} | ${width}×${height} | ${frames} | ${faces} | ${cells.join(' | ')} | ${fps.toFixed(1)} | ${(fps / 25).toFixed(2)}× | ${detectorFps.toFixed(1)} |`,
  );
}

/**
 * The `anonymize` section of `npm run bench`.
 *
 * @example
 * await benchAnonymize({ shared, log: console.log })
 */
export async function benchAnonymize(o: { shared: string; only?: string; seconds?: number; log: (line: string) => void }): Promise<void> {
  const { shared, log } = o;
  const maxFrames = o.seconds === undefined ? undefined : Math.round(o.seconds * 25);
  const measure = async (fr: FaceRecognizer, clip: Clip, l: (line: string) => void, strong?: FaceRecognizer): Promise<void> => {
    if (o.only !== undefined && !o.only.split(',').some((part) => clip.name.includes(part))) return;
    await measureClip(fr, maxFrames === undefined ? clip : { ...clip, maxFrames }, l, strong);
  };
  const fr = await FaceRecognizer.create({ locations: { dirs: [join(shared, 'models')] } });
  const strong = await FaceRecognizer.create({ locations: { dirs: [join(shared, 'models')] }, detector: 'scrfd-2.5g' });
  try {
    if (maxFrames !== undefined) log(`Each clip cut to its first ${o.seconds} s (--anonymize-seconds).`);
    log(
      `Detector ${fr.detector.name}, cover score ${ANONYMIZE_DEFAULTS.coverScore}, pad ${ANONYMIZE_DEFAULTS.pad}, look-ahead/hold ${ANONYMIZE_DEFAULTS.lookAhead} frames.`,
    );
    log(
      `A frame is bare when a true face shows more than ${BARE_SHARE * 100} % of its area uncovered; columns give bare frames (share of frames with a face).`,
    );
    log('fps: frames per second of the shipped anonymiser (decode excluded, covers drawn, no encoding); ×RT against 25 fps;');
    log("detector fps: the same run's detector calls alone, the bound the anonymiser runs against on this machine now.");
    log('');
    log('| clip | size | frames | frames with a face | shipped | no look-ahead/hold | detections only | fps | ×RT | detector fps |');
    log('|---|---|---|---|---|---|---|---|---|---|');
    const lfwDir = join(shared, 'data', 'faces', 'lfw-deepfunneled');
    const dir = join(process.cwd(), 'test-output', 'bench-anonymize');
    for (const [people, seed] of [
      [2, 1],
      [4, 2],
      [4, 3],
    ] as const) {
      const v = await makeSyntheticVideo({ out: join(dir, `synth-${people}-${seed}`), width: 640, height: 360, seconds: 10, fps: 25, people, seed, lfwDir });
      await measure(fr, syntheticClip(v, `synthetic ${people} people, seed ${seed}`), log);
    }
    const real = join(shared, 'data', 'video-real');
    const crowd = JSON.parse(await readFile(join(real, 'multi', 'crowd.json'), 'utf8')) as { faces_per_frame: [number, number[][]][] };
    const crowdBoxes = new Map(crowd.faces_per_frame.map(([f, boxes]) => [f, boxes.map((b) => [b[0], b[1], b[2], b[3]] as Box)]));
    await measure(
      fr,
      boxClip('real multi/crowd (its boxes)', join(real, 'multi', 'crowd.mp4'), (i) => crowdBoxes.get(i) ?? []),
      log,
    );
    for (const id of ['obama-2', 'obama-3', 'feifeili-3']) {
      const faces = JSON.parse(await readFile(join(real, 'cross', `${id}.faces.json`), 'utf8')) as { boxes: number[][] };
      const byFrame = new Map(faces.boxes.filter((b) => typeof b[1] === 'number' && b[6] !== 0).map((b) => [b[0] as number, [b[1], b[2], b[3], b[4]] as Box]));
      await measure(
        fr,
        boxClip(`real cross/${id} (largest face)`, join(real, 'cross', `${id}.mp4`), (i) => (byFrame.has(i) ? [byFrame.get(i) as Box] : [])),
        log,
      );
    }
    for (const k of [1, 2, 3]) {
      await measure(
        fr,
        boxClip(`real montage-A-${k} (SCRFD-2.5G pass, hard cuts)`, join(real, `montage-A-${k}.mp4`), () => [], true),
        log,
        strong,
      );
    }
  } finally {
    await strong.dispose();
    await fr.dispose();
  }
}
