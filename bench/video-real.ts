import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { openGallery, type Gallery } from '../src/gallery/index.js';
import { FaceRecognizer } from '../src/pipeline/index.js';
import { maxPredictedFrames, ShotChangeDetector, watchFaces, type FaceStreamOptions, type FrameResult, type TrackView } from '../src/stream/index.js';
import { openVideoSource } from '../src/video/index.js';
import { median } from './stats.js';

/** One segment of a montage's ground truth (`../shared/data/video-real/montage-*.json`). */
export interface MontageSegment {
  readonly start: number;
  readonly end: number;
  /** Enrolled id, or null for a stranger. */
  readonly person: string | null;
  readonly true_identity: string;
  readonly start_frame: number;
  readonly end_frame: number;
}

/** What a viewer saw over one montage, scored frame by frame against the truth. */
export interface MontageScore {
  readonly clip: string;
  readonly frames: number;
  readonly seconds: number;
  /** Frames in which some shown name is not the person in view (any name on a stranger). */
  readonly wrongFrames: number;
  /** Cuts across which a track kept showing the same name. */
  readonly carried: number;
  readonly cuts: number;
  /** Frames of enrolled people's segments in which their own name was shown. */
  readonly namedRight: number;
  readonly enrolledFrames: number;
  /** Stranger segments in which any name was shown. */
  readonly strangersNamed: number;
  readonly strangers: number;
  /** Changes of the track id shown on a segment's face within that segment (fragmentation). */
  readonly idSwitches: number;
  /** Processing rate of the run (frames per wall-clock second). */
  readonly fps: number;
  readonly embedded: number;
}

/** The names a viewer sees in one frame: tracks the renderers draw (matched, or predicted briefly), not suspended. */
export function shownNames(tracks: readonly TrackView[]): { trackId: number; identity: string }[] {
  return tracks
    .filter((t) => (t.detected || t.missedFrames <= maxPredictedFrames(1)) && !t.suspended && t.identity !== null)
    .map((t) => ({ trackId: t.trackId, identity: t.identity as string }));
}

/**
 * Scores one run over a montage. `shown[f]` is what frame f showed; the segment of frame f is the truth.
 * A cut is carried when one track shows the same name in the last frame before the cut and in any frame
 * of the segment after it (montage segments are different people, so the name is wrong on one side).
 */
export function scoreMontage(
  clip: string,
  segments: readonly MontageSegment[],
  shown: readonly (readonly { trackId: number; identity: string }[])[],
  tracksOnFace: readonly (number | undefined)[],
  wallSeconds: number,
  embedded: number,
): MontageScore {
  let wrongFrames = 0;
  let namedRight = 0;
  let enrolledFrames = 0;
  let strangersNamed = 0;
  let carried = 0;
  let idSwitches = 0;
  segments.forEach((seg, k) => {
    let strangerNamed = false;
    let lastTrack: number | undefined;
    for (let f = seg.start_frame; f < seg.end_frame; f++) {
      const names = shown[f] ?? [];
      if (names.some((n) => n.identity !== seg.person)) wrongFrames++;
      if (seg.person === null) {
        if (names.length > 0) strangerNamed = true;
      } else {
        enrolledFrames++;
        if (names.some((n) => n.identity === seg.person)) namedRight++;
      }
      const t = tracksOnFace[f];
      if (t !== undefined) {
        if (lastTrack !== undefined && t !== lastTrack) idSwitches++;
        lastTrack = t;
      }
    }
    if (strangerNamed) strangersNamed++;
    const next = segments[k + 1];
    if (next !== undefined) {
      const before = shown[seg.end_frame - 1] ?? [];
      const after = new Set<string>();
      for (let f = next.start_frame; f < next.end_frame; f++) for (const n of shown[f] ?? []) after.add(`${n.trackId}:${n.identity}`);
      if (before.some((n) => after.has(`${n.trackId}:${n.identity}`))) carried++;
    }
  });
  const frames = shown.length;
  return {
    clip,
    frames,
    seconds: frames / 25,
    wrongFrames,
    carried,
    cuts: Math.max(0, segments.length - 1),
    namedRight,
    enrolledFrames,
    strangersNamed,
    strangers: segments.filter((s) => s.person === null).length,
    idSwitches,
    fps: frames / wallSeconds,
    embedded,
  };
}

/** Enrols each person of `enrol/<id>/` from their frames (the central face of each). */
export async function enrolRealPeople(fr: FaceRecognizer, gallery: Gallery, enrolDir: string): Promise<string[]> {
  const ids = (await readdir(enrolDir)).sort();
  for (const id of ids) {
    const embeddings: Float32Array[] = [];
    for (const file of (await readdir(join(enrolDir, id))).sort()) {
      const r = await fr.recognizeFile(join(enrolDir, id, file), { select: 'largest' });
      const face = r.faces[0];
      if (face !== undefined) embeddings.push(face.embedding);
    }
    if (embeddings.length === 0) throw new Error(`No face in the enrolment frames of ${id}`);
    await gallery.enroll(id, embeddings, { name: id });
  }
  return ids;
}

/** The track on the largest drawn box of a frame (montages show one face at a time). */
function mainTrack(tracks: readonly TrackView[]): number | undefined {
  let best: TrackView | undefined;
  let area = 0;
  for (const t of tracks) {
    if (!t.detected) continue;
    const a = (t.box[2] - t.box[0]) * (t.box[3] - t.box[1]);
    if (a > area) {
      area = a;
      best = t;
    }
  }
  return best?.trackId;
}

/** What one run showed, frame by frame. */
interface ClipRun {
  readonly shown: { trackId: number; identity: string }[][];
  readonly onFace: (number | undefined)[];
  readonly wall: number;
  readonly embedded: number;
}

/** Runs the stream over one clip and records what a viewer saw in each frame. */
async function runClip(fr: FaceRecognizer, gallery: Gallery, video: string, options: Partial<FaceStreamOptions>): Promise<ClipRun> {
  const shown: { trackId: number; identity: string }[][] = [];
  const onFace: (number | undefined)[] = [];
  let embedded = 0;
  const t0 = performance.now();
  for await (const r of watchFaces(video, { recognizer: fr, gallery, ...options }) as AsyncGenerator<FrameResult>) {
    embedded += r.embedded;
    if (r.image === undefined) continue;
    shown[r.frame] = shownNames(r.tracks);
    onFace[r.frame] = mainTrack(r.tracks);
  }
  return { shown, onFace, wall: (performance.now() - t0) / 1000, embedded };
}

/** Runs the stream over one montage and scores it. */
export async function runMontage(
  fr: FaceRecognizer,
  gallery: Gallery,
  video: string,
  segments: readonly MontageSegment[],
  options: Partial<FaceStreamOptions> = {},
): Promise<MontageScore> {
  const r = await runClip(fr, gallery, video, options);
  return scoreMontage(basename(video), segments, r.shown, r.onFace, r.wall, r.embedded);
}

/** Runs the stream over a clip of one person (enrolled: `person`; a stranger: null) and scores it as a one-segment montage. */
export async function runSingle(
  fr: FaceRecognizer,
  gallery: Gallery,
  video: string,
  person: string | null,
  options: Partial<FaceStreamOptions> = {},
): Promise<MontageScore> {
  const r = await runClip(fr, gallery, video, options);
  const segment: MontageSegment = {
    start: 0,
    end: r.shown.length / 25,
    person,
    true_identity: person ?? basename(video),
    start_frame: 0,
    end_frame: r.shown.length,
  };
  return scoreMontage(basename(video), [segment], r.shown, r.onFace, r.wall, r.embedded);
}

/** Reads a montage's truth. */
export async function readMontage(path: string): Promise<MontageSegment[]> {
  return JSON.parse(await readFile(path, 'utf8')) as MontageSegment[];
}

/** Prints per-clip rows and a total row. */
function logTable(scores: readonly MontageScore[], log: (line: string) => void): void {
  log('| clip | s | wrong name s | cuts carried | enrolled named right | strangers named | ID switches | fps | embeddings |');
  log('|---|---|---|---|---|---|---|---|---|');
  for (const s of scores) {
    log(
      `| ${s.clip} | ${s.seconds.toFixed(1)} | ${(s.wrongFrames / 25).toFixed(2)} | ${s.carried}/${s.cuts} | ${pct(s.namedRight, s.enrolledFrames)} | ` +
        `${s.strangersNamed}/${s.strangers} | ${s.idSwitches} | ${s.fps.toFixed(1)} | ${s.embedded} |`,
    );
  }
  const sum = (f: (s: MontageScore) => number): number => scores.reduce((a, s) => a + f(s), 0);
  log(
    `| total | ${sum((s) => s.seconds).toFixed(1)} | ${(sum((s) => s.wrongFrames) / 25).toFixed(2)} (${pct(
      sum((s) => s.wrongFrames),
      sum((s) => s.frames),
    )}) | ` +
      `${sum((s) => s.carried)}/${sum((s) => s.cuts)} | ${pct(
        sum((s) => s.namedRight),
        sum((s) => s.enrolledFrames),
      )} | ` +
      `${sum((s) => s.strangersNamed)}/${sum((s) => s.strangers)} | ${sum((s) => s.idSwitches)} | ${median(scores.map((s) => s.fps)).toFixed(1)} (median) | ${sum((s) => s.embedded)} |`,
  );
}

/** Tracks over the montages when nothing is named: which cross the cuts, and whether unknown labels stay with one person. */
export interface UnnamedScore {
  readonly cuts: number;
  /** Cuts with a track matched in the last frame before the cut and again in the segment after it. */
  readonly crossed: number;
  readonly segments: number;
  readonly tracks: number;
  /** `labelUnknowns` labels shown on the faces of more than one person. */
  readonly sharedLabels: number;
  readonly labels: number;
}

/**
 * Runs each montage with no gallery, with and without `labelUnknowns`: tracks that cross a cut (a
 * track id matched on both sides), tracks started, and unknown labels shown on two people's faces.
 */
async function runUnnamed(
  fr: FaceRecognizer,
  videos: readonly { video: string; segments: readonly MontageSegment[] }[],
  labelUnknowns: boolean,
): Promise<UnnamedScore> {
  let cuts = 0;
  let crossed = 0;
  let segments = 0;
  let tracks = 0;
  let sharedLabels = 0;
  let labels = 0;
  for (const { video, segments: segs } of videos) {
    const ids: Set<number>[] = [];
    const shownLabels: string[][] = [];
    for await (const r of watchFaces(video, { recognizer: fr, labelUnknowns }) as AsyncGenerator<FrameResult>) {
      const matched = r.tracks.filter((t) => t.detected);
      ids[r.frame] = new Set(matched.map((t) => t.trackId));
      shownLabels[r.frame] = matched.filter((t) => !t.suspended && t.label !== 'unknown').map((t) => t.label);
      tracks += r.events.filter((e) => e.type === 'track.started').length;
    }
    const people = new Map<string, Set<string>>();
    segs.forEach((seg, k) => {
      for (let f = seg.start_frame; f < seg.end_frame; f++) {
        for (const l of shownLabels[f] ?? []) people.set(l, (people.get(l) ?? new Set()).add(seg.true_identity));
      }
      const next = segs[k + 1];
      if (next === undefined) return;
      cuts++;
      const after = new Set<number>();
      for (let f = next.start_frame; f < next.end_frame; f++) for (const id of ids[f] ?? []) after.add(id);
      if ([...(ids[seg.end_frame - 1] ?? [])].some((id) => after.has(id))) crossed++;
    });
    segments += segs.length;
    labels += people.size;
    sharedLabels += [...people.values()].filter((p) => p.size > 1).length;
  }
  return { cuts, crossed, segments, tracks, sharedLabels, labels };
}

/** Median milliseconds of {@link ShotChangeDetector.push} per frame of a clip. */
async function shotChangeCost(video: string): Promise<string> {
  const shots = new ShotChangeDetector();
  const ms: number[] = [];
  let cuts = 0;
  let size = '';
  for await (const f of openVideoSource(video)) {
    size = `${f.image.width}×${f.image.height}`;
    const t0 = performance.now();
    if (shots.push(f.image) !== undefined) cuts++;
    ms.push(performance.now() - t0);
  }
  return `${median(ms).toFixed(2)} ms per ${size} frame (median of ${ms.length}), ${cuts} shot changes found`;
}

const pct = (a: number, b: number): string => (b === 0 ? 'n/a' : `${((100 * a) / b).toFixed(1)} %`);

/**
 * `npm run bench -- video-real`: every montage of `../shared/data/video-real/` (real talking-head clips
 * joined by hard cuts at the same place in the frame, strangers among them), with the ten enrolled
 * people enrolled from their three frames each, scored frame by frame on the names a viewer sees.
 *
 * @example
 * await benchVideoReal({ shared, log: console.log })
 */
export async function benchVideoReal(o: { shared: string; log: (line: string) => void; options?: Partial<FaceStreamOptions> }): Promise<MontageScore[]> {
  const data = join(o.shared, 'data', 'video-real');
  if (!existsSync(data)) throw new Error(`The real-footage benchmark needs ${data}`);
  const dir = join(import.meta.dirname, '..', 'bench-output', 'video-real');
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const fr = await FaceRecognizer.create({ locations: { home: join(dir, 'home'), dirs: [join(o.shared, 'models')] } });
  const gallery = await openGallery(join(dir, 'gallery.sqlite'), {
    fingerprint: fr.fingerprint,
    embeddingSize: fr.embeddingSize,
    ...(fr.threshold === undefined ? {} : { threshold: fr.threshold }),
  });
  try {
    const ids = await enrolRealPeople(fr, gallery, join(data, 'enrol'));
    o.log(`gallery: ${ids.length} people from 3 frames each (${join(data, 'enrol')})`);
    const montages = (await readdir(data)).filter((f) => /^montage-.*\.mp4$/.test(f)).sort();
    if (montages.length === 0) throw new Error(`No montage-*.mp4 in ${data}`);
    const variants: [string, Partial<FaceStreamOptions>][] = [
      ['as shipped', {}],
      ['without shot-change detection', { shotChange: false }],
    ];
    const scores: MontageScore[] = [];
    for (const [label, variant] of variants) {
      o.log(`\n### Montages, ${label}`);
      const rows: MontageScore[] = [];
      for (const m of montages) {
        const segments = await readMontage(join(data, m.replace(/\.mp4$/, '.json')));
        rows.push(await runMontage(fr, gallery, join(data, m), segments, { ...o.options, ...variant }));
      }
      logTable(rows, o.log);
      if (scores.length === 0) scores.push(...rows);
    }
    o.log('\n### Montages without a gallery (nothing named: tracks across cuts, and with labelUnknowns the labels each person got)');
    const unnamed = await Promise.all(
      montages.map(async (m) => ({ video: join(data, m), segments: await readMontage(join(data, m.replace(/\.mp4$/, '.json'))) })),
    );
    o.log('| run | cuts crossed by a track | tracks started | segments | unknown labels on two people |');
    o.log('|---|---|---|---|---|');
    for (const labelUnknowns of [false, true]) {
      const u = await runUnnamed(fr, unnamed, labelUnknowns);
      o.log(
        `| ${labelUnknowns ? 'labelUnknowns' : 'tracks only'} | ${u.crossed}/${u.cuts} | ${u.tracks} | ${u.segments} | ${labelUnknowns ? `${u.sharedLabels}/${u.labels}` : 'n/a'} |`,
      );
    }
    o.log('\n### Single-person clips (rest/: the later three quarters of each enrolment clip, strangers among them; cross/: another video)');
    const singles: MontageScore[] = [];
    for (const dir of ['rest', 'cross']) {
      for (const f of (await readdir(join(data, dir))).filter((x) => x.endsWith('.mp4')).sort()) {
        const id = basename(f, '.mp4').replace(/-\d+$/, '');
        singles.push(await runSingle(fr, gallery, join(data, dir, f), ids.includes(id) ? id : null, o.options));
      }
    }
    logTable(singles, o.log);
    o.log(`\nshot-change detector alone: ${await shotChangeCost(join(data, montages[0] as string))}`);
    return scores;
  } finally {
    await gallery.close();
    await fr.dispose();
  }
}
