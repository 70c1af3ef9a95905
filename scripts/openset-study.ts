/**
 * Open-set identification studies on the shared LFW photos, from the faces that
 * `scripts/openset-embed.ts` embedded (run that first):
 *
 *   npx tsx scripts/openset-study.ts [--variant lfw-deepfunneled] [--detector yunet-n] [--flip] [--write-calibration]
 *
 * - the impostor/genuine tables of every cross-person pair (central face of each photo);
 * - the identification protocol: people with ≥ 2 photos enrol their first photo whose enrolment face
 *   the rule accepts (the others are probes), people with one photo are strangers; rank-1/5, DIR at
 *   FPIR 10/1/0.1 %, FPIR and DIR at the old 1:1 threshold and at the FPIR threshold;
 * - the FPIR formula 1 − (1 − FAR)^N against measured FPIR on random galleries of N people;
 * - a split: tables from half the people, the protocol on the other half;
 * - the enrolment rule on photos with several faces.
 *
 * Prints one JSON object; `--write-calibration` also writes the table to scratch/openset/.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Box } from '../src/core/index.js';
import { dirAtFpir, pointAtThreshold, rankK, scoreCalibration, scoreHistograms, scoreIdentification, type IdentificationScores } from '../src/eval/index.js';
import { identificationThreshold } from '../src/gallery/index.js';
import type { ScoreCalibration } from '../src/models/index.js';
import { chooseEnrolmentFace, prominence, type EnrolFaceChoice } from '../src/ingest/index.js';
import { selectFaces } from '../src/pipeline/index.js';

const { values } = parseArgs({
  options: {
    variant: { type: 'string', default: 'lfw-deepfunneled' },
    detector: { type: 'string', default: 'yunet-n' },
    flip: { type: 'boolean', default: false },
    'write-calibration': { type: 'boolean', default: false },
    'old-threshold': { type: 'string', default: '0.249' },
  },
});
const OLD = Number(values['old-threshold']);
const key = values.flip ? 'ef' : 'e';
const path = resolve(import.meta.dirname, '..', '.arcface-cache', 'openset', `${values.variant}-${values.detector}.jsonl`);

interface Face {
  box: Box;
  score: number;
  emb: Float32Array;
}
interface Photo {
  rel: string;
  person: string;
  w: number;
  h: number;
  faces: Face[];
  fallback: Float32Array | null;
}

const dec = (s: string): Float32Array => {
  const b = Buffer.from(s, 'base64');
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
};
const dot = (a: Float32Array, b: Float32Array): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] as number) * (b[i] as number);
  return s;
};

const photos: Photo[] = [];
for (const line of (await readFile(path, 'utf8')).split('\n')) {
  if (line.length === 0 || !line.endsWith('}')) continue;
  const d = JSON.parse(line) as {
    rel: string;
    w: number;
    h: number;
    faces: { box: number[]; score: number; e: string; ef: string }[];
    fallback?: { e: string; ef: string };
  };
  photos.push({
    rel: d.rel,
    person: d.rel.split('/')[0] as string,
    w: d.w,
    h: d.h,
    faces: d.faces.map((f) => ({ box: f.box as unknown as Box, score: f.score, emb: dec(f[key]) })),
    fallback: d.fallback === undefined ? null : dec(d.fallback[key]),
  });
}
const central = (p: Photo): Float32Array => (p.faces.length === 0 ? (p.fallback as Float32Array) : (selectFaces(p.faces, 'central', p.w, p.h)[0] as Face).emb);
const byPerson = new Map<string, Photo[]>();
for (const p of photos) byPerson.set(p.person, [...(byPerson.get(p.person) ?? []), p]);

function calibrate(subset: readonly Photo[], source: string): ScoreCalibration {
  return scoreCalibration(
    scoreHistograms(
      subset.map(central),
      subset.map((p) => p.person),
    ),
    { source },
  );
}

/** The protocol on `people` with an enrolment rule. */
function protocol(people: readonly string[], rule: EnrolFaceChoice): { scores: IdentificationScores; notEnrolled: number; skippedPhotos: number } {
  const gallery = new Map<string, Float32Array[]>();
  const mated: { label: string; embedding: Float32Array }[] = [];
  const strangers: Float32Array[] = [];
  let notEnrolled = 0;
  let skippedPhotos = 0;
  for (const person of people) {
    const ps = byPerson.get(person) as Photo[];
    if (ps.length === 1) {
      strangers.push(central(ps[0] as Photo));
      continue;
    }
    let enrolled = -1;
    for (let i = 0; i < ps.length && enrolled < 0; i++) {
      const p = ps[i] as Photo;
      try {
        gallery.set(person, [chooseEnrolmentFace(p.faces, p.w, p.h, rule).emb]);
        enrolled = i;
      } catch {
        skippedPhotos++;
      }
    }
    if (enrolled < 0) {
      notEnrolled++;
      continue;
    }
    ps.forEach((p, i) => {
      if (i !== enrolled) mated.push({ label: person, embedding: central(p) });
    });
  }
  return { scores: scoreIdentification(gallery, mated, strangers), notEnrolled, skippedPhotos };
}

const r4 = (x: number | undefined): number | null => (x === undefined || Number.isNaN(x) ? null : Math.round(x * 1e4) / 1e4);
function summary(s: IdentificationScores, cal: ScoreCalibration): Record<string, unknown> {
  const policy = identificationThreshold(cal, s.galleryIdentities, { fpir: 0.01, floor: OLD });
  const at = (t: number): Record<string, number | null> => {
    const p = pointAtThreshold(s, t);
    return { threshold: r4(t), fpir: r4(p.fpir), dir: r4(p.dir) };
  };
  return {
    gallery: s.galleryIdentities,
    matedProbes: s.mated.length,
    strangers: s.nonMatedTop.length,
    rank1: r4(rankK(s, 1)),
    rank5: r4(rankK(s, 5)),
    dirAtFpir: Object.fromEntries(
      [0.1, 0.01, 0.001].map((f) => {
        const p = dirAtFpir(s, f);
        return [String(f), p === null ? null : { threshold: r4(p.threshold), fpir: r4(p.fpir), dir: r4(p.dir) }];
      }),
    ),
    oldThreshold: at(OLD),
    fpirThreshold: { ...at(policy.threshold), source: policy.source, pairFar: policy.pairFar },
  };
}

const t0 = performance.now();
const people = [...byPerson.keys()].sort();
const out: Record<string, unknown> = { variant: values.variant, detector: values.detector, flip: values.flip, photos: photos.length, people: people.length };
const calAll = calibrate(photos, `${photos.length} LFW photos`);
out.calibration = {
  impostorPairs: calAll.impostorPairs,
  genuinePairs: calAll.genuinePairs,
  impostor: calAll.impostor.filter((_, i) => i % 5 === 0),
  genuine: calAll.genuine,
};
out.calibrationSeconds = (performance.now() - t0) / 1000;

// Protocol at each enrolment rule, table from all photos (circular: see the split below).
out.protocol = Object.fromEntries(
  (['largest', 'central', 'dominant'] as const).map((rule) => {
    const p = protocol(people, rule);
    return [rule, { ...summary(p.scores, calAll), notEnrolled: p.notEnrolled, skippedPhotos: p.skippedPhotos }];
  }),
);

// Split by people: tables from one half, protocol on the other.
const halves = [people.filter((_, i) => i % 2 === 0), people.filter((_, i) => i % 2 === 1)] as const;
out.split = halves.map((evalHalf, h) => {
  const calHalf = halves[1 - h] as string[];
  const cal = calibrate(
    calHalf.flatMap((n) => byPerson.get(n) as Photo[]),
    'half',
  );
  return summary(protocol(evalHalf, 'dominant').scores, cal);
});

// Formula vs measurement on random galleries of N people (first photo each), other people's first photos as strangers.
let seed = 12345;
const rand = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
out.formula = [10, 100, 300, 1000, 2000].map((n) => {
  const reps = n >= 1000 ? 3 : 5;
  const fpirs: number[] = [];
  const thresholds: number[] = [];
  const simulated: number[] = [];
  for (let r = 0; r < reps; r++) {
    const order = [...people].sort(() => rand() - 0.5);
    const inGallery = order.slice(0, n);
    const strangers = order.slice(n, n + 2000).map((s) => central((byPerson.get(s) as Photo[])[0] as Photo));
    const g = inGallery.map((s) => central((byPerson.get(s) as Photo[])[0] as Photo));
    const t = identificationThreshold(calAll, n, { fpir: 0.01 }).threshold;
    const tops = strangers.map((e) => Math.max(...g.map((x) => dot(x, e)))).sort((a, b) => b - a);
    fpirs.push(tops.filter((x) => x >= t).length / tops.length);
    thresholds.push(t);
    simulated.push(tops[Math.floor(0.01 * tops.length)] as number);
  }
  const mean = (v: number[]): number | null => r4(v.reduce((a, b) => a + b, 0) / v.length);
  return { n, formulaThreshold: mean(thresholds), measuredFpir: mean(fpirs), maxFpir: r4(Math.max(...fpirs)), simulatedThresholdAt1pct: mean(simulated) };
});

// Enrolment rule on photos with several faces: the "true" face best matches the person's other photos.
const rules = ['largest', 'central', 'dominant'] as const;
const ratios = [1.2, 1.5, 2, 3];
const tally: Record<string, { correct: number; wrong: number; skipped: number }> = {};
let multi = 0;
let undecided = 0;
for (const [, ps] of byPerson) {
  if (ps.length < 2) continue;
  for (const p of ps) {
    if (p.faces.length < 2) continue;
    const others = ps.filter((q) => q !== p).map(central);
    const ref = new Float32Array(others[0]?.length ?? 0);
    for (const e of others) e.forEach((v, i) => (ref[i] = (ref[i] as number) + v));
    const sims = p.faces.map((f) => dot(f.emb, ref) / Math.sqrt(dot(ref, ref)));
    const best = sims.indexOf(Math.max(...sims));
    if ((sims[best] as number) < 0.3) {
      undecided++;
      continue;
    }
    multi++;
    const truth = p.faces[best] as Face;
    const judge = (name: string, pick: () => Face): void => {
      const t = (tally[name] ??= { correct: 0, wrong: 0, skipped: 0 });
      try {
        if (pick() === truth) t.correct++;
        else t.wrong++;
      } catch {
        t.skipped++;
      }
    };
    for (const rule of rules) judge(rule, () => chooseEnrolmentFace(p.faces, p.w, p.h, rule));
    const ranked = [...p.faces].sort((a, b) => prominence(b.box, p.w, p.h) - prominence(a.box, p.w, p.h));
    for (const ratio of ratios) {
      judge(`prominence x${ratio}`, () => {
        const [a, b] = ranked as [Face, Face];
        if (prominence(a.box, p.w, p.h) >= ratio * prominence(b.box, p.w, p.h)) return a;
        throw new Error('skip');
      });
    }
    judge('most prominent', () => ranked[0] as Face);
  }
}
out.enrolmentRule = { multiFacePhotosOfPeopleWithTwoPlus: multi, noFaceMatchesThePerson: undecided, tally };
out.seconds = (performance.now() - t0) / 1000;
if (values['write-calibration']) {
  const dir = resolve(import.meta.dirname, '..', 'scratch', 'openset');
  await mkdir(dir, { recursive: true });
  const file = join(dir, `calibration-${values.variant}-${values.detector}${values.flip ? '-flip' : ''}.json`);
  await writeFile(file, JSON.stringify(calAll, null, 1));
  out.calibrationFile = file;
}
console.log(JSON.stringify(out, null, 1));
