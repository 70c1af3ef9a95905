import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Box } from '../src/core/index.js';
import { iou } from '../src/detect/index.js';
import { MOT_DEFAULTS, motMetrics, type MotFrame } from '../src/eval/index.js';
import { openGallery, type Gallery } from '../src/gallery/index.js';
import { FaceRecognizer } from '../src/pipeline/index.js';
import { watchFaces, type StreamEvent, type TrackEndedEvent, type TrackIdentifiedEvent } from '../src/stream/index.js';
import { openVideoSource } from '../src/video/index.js';
import { median, percentile } from './stats.js';
import { defaultLfwDir, makeSyntheticVideo, type SyntheticVideo } from './video-synth.js';

/** Options of {@link benchVideo}. */
export interface VideoBenchOptions {
  readonly shared: string;
  readonly sizes: readonly (readonly [number, number])[];
  readonly seconds: number;
  readonly people: number;
  /** Seconds of the live soak run (looped file, read in real time); 0 skips it. */
  readonly soakSeconds: number;
  readonly log: (line: string) => void;
}

/** Strangers enrolled beside the people of the clips, so naming is a real 1:N decision. */
const DISTRACTORS = 200;

interface RunOutcome {
  readonly frames: number;
  readonly seconds: number;
  readonly events: StreamEvent[];
  readonly mot: MotFrame[];
  readonly recognitions: number;
}

/** Tracks and names faces in a file at the consumer's pace (file mode). */
async function trackedRun(fr: FaceRecognizer, gallery: Gallery, clip: SyntheticVideo): Promise<RunOutcome> {
  const events: StreamEvent[] = [];
  const mot: MotFrame[] = [];
  let frames = 0;
  let recognitions = 0;
  const t0 = performance.now();
  for await (const r of watchFaces(clip.videoPath, { recognizer: fr, gallery })) {
    events.push(...r.events);
    recognitions += r.embedded;
    if (r.image === undefined) continue;
    frames++;
    mot.push({
      truth: truthAt(clip, r.frame),
      ignore: hiddenAt(clip, r.frame),
      tracks: r.tracks.filter((t) => t.detected).map((t) => ({ id: t.trackId, box: t.box })),
    });
  }
  return { frames, seconds: (performance.now() - t0) / 1000, events, mot, recognitions };
}

/** The naive path: detect and embed every face of every frame and identify each one. */
async function naiveRun(
  fr: FaceRecognizer,
  gallery: Gallery,
  clip: SyntheticVideo,
): Promise<{ frames: number; seconds: number; nameChanges: number; recognitions: number }> {
  const source = openVideoSource(clip.videoPath);
  let frames = 0;
  let recognitions = 0;
  const lastName = new Map<string, string>();
  let nameChanges = 0;
  const t0 = performance.now();
  for await (const f of source) {
    frames++;
    const { faces } = await fr.recognize(f.image);
    recognitions += faces.length;
    const truth = truthAt(clip, f.index);
    for (const face of faces) {
      const r = await gallery.identify(face.embedding, { topK: 1 });
      const name = r.decision === 'known' ? (r.candidates[0]?.id ?? 'unknown') : 'unknown';
      const person = bestTruth(truth, face.box);
      if (person === undefined) continue;
      const before = lastName.get(person);
      if (before !== undefined && before !== name) nameChanges++;
      lastName.set(person, name);
    }
  }
  return { frames, seconds: (performance.now() - t0) / 1000, nameChanges, recognitions };
}

function truthAt(clip: SyntheticVideo, frame: number): { id: string; box: Box }[] {
  const f = clip.truth.frames[frame];
  if (f === undefined) return [];
  return f.objects.filter((o) => o.visible >= 0.5).map((o) => ({ id: o.personId, box: o.faceBox }));
}

/** People more than half hidden: MOTChallenge-style "don't care" regions (a detection there is no error). */
function hiddenAt(clip: SyntheticVideo, frame: number): { id: string; box: Box }[] {
  const f = clip.truth.frames[frame];
  if (f === undefined) return [];
  return f.objects.filter((o) => o.visible < 0.5).map((o) => ({ id: o.personId, box: o.faceBox }));
}

function bestTruth(truth: readonly { id: string; box: Box }[], box: Box): string | undefined {
  let best: string | undefined;
  let bestIou: number = MOT_DEFAULTS.iou;
  for (const t of truth) {
    const overlap = iou(t.box, box);
    if (overlap >= bestIou) {
      bestIou = overlap;
      best = t.id;
    }
  }
  return best;
}

/** Enrols one photo of each clip person that the clip does not show, plus distractor people. */
async function buildGallery(fr: FaceRecognizer, path: string, clips: readonly SyntheticVideo[], lfw: string): Promise<Gallery> {
  const g = await openGallery(path, {
    fingerprint: fr.fingerprint,
    embeddingSize: fr.embeddingSize,
    ...(fr.threshold === undefined ? {} : { threshold: fr.threshold }),
  });
  const used = new Map<string, Set<string>>();
  for (const c of clips) for (const p of c.truth.people) used.set(p.personId, new Set([...(used.get(p.personId) ?? []), ...p.photos]));
  for (const [person, photos] of used) {
    const all = (await readdir(join(lfw, person))).sort();
    const held = all.find((f) => !photos.has(join(lfw, person, f)) && !photos.has(f));
    if (held === undefined) throw new Error(`Expected a photo of ${person} that the clip does not use`);
    const r = await fr.recognizeFile(join(lfw, person, held), { select: 'central' });
    const face = r.faces[0];
    if (face === undefined) throw new Error(`No face in the held-out photo ${held}`);
    await g.enroll(person, [face.embedding], { name: person });
  }
  let added = 0;
  for (const person of (await readdir(lfw)).sort()) {
    if (added >= DISTRACTORS) break;
    if (used.has(person)) continue;
    const files = (await readdir(join(lfw, person))).sort();
    const r = await fr.recognizeFile(join(lfw, person, files[0] as string), { select: 'central' });
    if (r.faces[0] === undefined) continue;
    await g.enroll(person, [r.faces[0].embedding], { name: person });
    added++;
  }
  return g;
}

function naming(
  events: readonly StreamEvent[],
  trackToTruth: ReadonlyMap<string | number, string | number>,
): { tracks: number; correct: number; flips: number } {
  const ended = events.filter((e): e is TrackEndedEvent => e.type === 'track.ended');
  const identified = events.filter((e): e is TrackIdentifiedEvent => e.type === 'track.identified');
  let correct = 0;
  let tracks = 0;
  for (const t of ended) {
    const truth = trackToTruth.get(t.trackId);
    if (truth === undefined) continue;
    tracks++;
    if (t.identity === truth) correct++;
  }
  const flips = identified.filter((e) => e.previous !== null && e.identity !== e.previous).length;
  return { tracks, correct, flips };
}

/** Live mode: the file read in real time; latency from a frame's arrival to its result. */
async function liveRun(fr: FaceRecognizer, gallery: Gallery, clip: SyntheticVideo, seconds: number, log: (line: string) => void): Promise<void> {
  const source = openVideoSource(clip.videoPath, { live: true, realtime: true, loop: true });
  const latencies: number[] = [];
  const memory: { t: number; rss: number; heap: number }[] = [];
  const t0 = performance.now();
  let nextSample = 0;
  let frames = 0;
  let dropped = 0;
  for await (const r of watchFaces(source, { recognizer: fr, gallery })) {
    const t = (performance.now() - t0) / 1000;
    if (r.image !== undefined) {
      frames++;
      latencies.push(r.latencyMs);
    }
    dropped = r.dropped;
    if (t >= nextSample) {
      const m = process.memoryUsage();
      memory.push({ t, rss: m.rss, heap: m.heapUsed });
      nextSample += Math.max(1, seconds / 20);
    }
    if (t >= seconds) break;
  }
  await source.close();
  const mb = (b: number): string => (b / 2 ** 20).toFixed(0);
  log(
    `live ${clip.truth.width}×${clip.truth.height}, ${seconds} s looped in real time: ${frames} frames processed, ${dropped} dropped; ` +
      `latency p50 ${median(latencies).toFixed(1)} ms, p95 ${percentile(latencies, 0.95).toFixed(1)} ms`,
  );
  const half = Math.floor(memory.length / 2);
  const early = memory.slice(1, Math.max(2, half));
  const late = memory.slice(half);
  const avg = (xs: readonly { rss: number }[]): number => xs.reduce((s, x) => s + x.rss, 0) / Math.max(1, xs.length);
  log(`memory: RSS ${memory.map((m) => mb(m.rss)).join(' → ')} MB; mean first half ${mb(avg(early))} MB, second half ${mb(avg(late))} MB`);
}

/**
 * `npm run bench -- video`: synthetic clips of LFW people moving, scaling, crossing and occluding
 * each other (ground truth from the generator), tracked and named against a gallery of held-out
 * photos plus distractors, side by side with the naive path (detect + embed every face of every frame).
 *
 * @example
 * await benchVideo({ shared, sizes: [[640, 360]], seconds: 20, people: 4, soakSeconds: 60, log: console.log })
 */
export async function benchVideo(o: VideoBenchOptions): Promise<void> {
  const lfw = defaultLfwDir();
  const dir = join(import.meta.dirname, '..', 'bench-output', 'video');
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const fr = await FaceRecognizer.create({ locations: { home: join(dir, 'home'), dirs: [join(o.shared, 'models')] } });
  try {
    const clips: SyntheticVideo[] = [];
    for (const [w, h] of o.sizes) {
      clips.push(await makeSyntheticVideo({ out: join(dir, `clip-${w}x${h}`), width: w, height: h, seconds: o.seconds, people: o.people, seed: 1 }));
    }
    const gallery = await buildGallery(fr, join(dir, 'gallery.db'), clips, lfw);
    o.log(`gallery: ${clips[0]?.truth.people.length ?? 0} clip people (held-out photos) + ${DISTRACTORS} distractors`);
    o.log('| size | path | frames/s | × real time | IDSW | Frag | IDF1 | MOTA | tracks | named correctly | name changes | recogniser calls/track |');
    o.log('|---|---|---|---|---|---|---|---|---|---|---|---|');
    for (const clip of clips) {
      const fps = clip.truth.fps;
      const tracked = await trackedRun(fr, gallery, clip);
      const naive = await naiveRun(fr, gallery, clip);
      const m = motMetrics(tracked.mot);
      const n = naming(tracked.events, m.trackToTruth);
      const tfps = tracked.frames / tracked.seconds;
      const nfps = naive.frames / naive.seconds;
      const size = `${clip.truth.width}×${clip.truth.height}`;
      o.log(
        `| ${size} | tracked | ${tfps.toFixed(1)} | ${(tfps / fps).toFixed(2)} | ${m.idSwitches} | ${m.fragmentations} | ${m.idf1.toFixed(3)} | ${m.mota.toFixed(3)} | ` +
          `${n.tracks} | ${n.correct}/${n.tracks} | ${n.flips} | ${(tracked.recognitions / Math.max(1, n.tracks)).toFixed(1)} |`,
      );
      o.log(`| ${size} | naive | ${nfps.toFixed(1)} | ${(nfps / fps).toFixed(2)} | | | | | | | ${naive.nameChanges} | ${naive.recognitions} calls |`);
      o.log(`${size}: tracked/naive frames/s ratio ${(tfps / nfps).toFixed(2)}`);
    }
    if (o.soakSeconds > 0 && clips[0] !== undefined) await liveRun(fr, gallery, clips[0], o.soakSeconds, o.log);
    await gallery.close();
  } finally {
    await fr.dispose();
  }
}
