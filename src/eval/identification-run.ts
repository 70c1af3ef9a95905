/**
 * An open-set identification run end to end, through a real {@link Gallery} at its default
 * settings: enrol each person's photos (the enrolment face rule), identify every probe's central
 * face, and measure rank-k, DIR at FPIR and the FPIR/DIR of the threshold the gallery chose.
 *
 * Protocols: an LFW-style labelled folder (`Person/*.jpg`: people with ≥ 2 photos enrol their first
 * photo whose face the enrolment rule accepts and all their other photos are probes; people with one photo are
 * strangers), or a gallery folder and a probes folder (probes whose person is not enrolled are
 * strangers).
 */
import { readdir, rm } from 'node:fs/promises';
import type { Dirent } from 'node:fs';
import { join, resolve } from 'node:path';
import { ArcFaceError, isArcFaceError } from '../core/index.js';
import { openGallery, type ThresholdChoice } from '../gallery/index.js';
import { chooseEnrolmentFace, type EnrolFaceChoice } from '../ingest/index.js';
import type { RecognitionResult } from '../pipeline/index.js';
import type { EmbeddingCache } from './embedding-cache.js';
import { embedImageFiles, readEvalFile, type EmbedProgress } from './embed-files.js';
import type { EvalRecognizer } from './face-embedding.js';
import { detCurve, dirAtFpir, pointAtThreshold, rankK, REPORTED_FPIRS, type IdentificationPoint, type IdentificationScores } from './identification.js';

/** Candidates asked per probe: enough for rank-5. */
const TOP_K = 5;

/** A labelled photo folder: person → absolute photo paths, sorted. */
export type LabelledPhotos = ReadonlyMap<string, readonly string[]>;

/**
 * Reads `dir/Person/*.{jpg,jpeg,png,webp}` into a {@link LabelledPhotos}; `maxPeople` keeps that many
 * people evenly spread over the sorted names (a quick subset with both kinds of people).
 *
 * @example
 * const photos = await readLabelledPhotos('../shared/data/faces/lfw-deepfunneled')
 */
export async function readLabelledPhotos(folder: string, maxPeople?: number): Promise<LabelledPhotos> {
  const dir = resolve(folder);
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (cause) {
    throw new ArcFaceError('FILE_NOT_FOUND', `Expected a folder of Person/photo files at ${dir} but it cannot be read`, { cause });
  }
  let names = entries
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  if (maxPeople !== undefined && maxPeople < names.length) {
    const step = names.length / maxPeople;
    names = Array.from({ length: maxPeople }, (_, i) => names[Math.floor(i * step)] as string);
  }
  const out = new Map<string, string[]>();
  for (const name of names) {
    const files = (await readdir(join(dir, name))).filter((f) => /\.(jpe?g|png|webp)$/i.test(f)).sort();
    if (files.length > 0)
      out.set(
        name,
        files.map((f) => join(dir, name, f)),
      );
  }
  if (out.size === 0) throw new ArcFaceError('FILE_NOT_FOUND', `Expected Person/photo folders in ${dir} but found none`);
  return out;
}

/** A recogniser for identification runs (`FaceRecognizer` satisfies it). */
export interface IdentificationRecognizer extends EvalRecognizer {
  /** The 1:1 threshold (the FPIR threshold never goes below it). */
  readonly threshold: number | undefined;
  recognize(input: Uint8Array, options: { select: 'all' | 'central' | 'largest' }): Promise<RecognitionResult>;
}

/** Options of {@link runIdentification}. */
export interface IdentificationRunOptions {
  /** `lfw`: one labelled folder; `folders`: `gallery` enrolled whole, `probes` searched. */
  readonly protocol:
    | { readonly kind: 'lfw'; readonly photos: LabelledPhotos }
    | { readonly kind: 'folders'; readonly gallery: LabelledPhotos; readonly probes: LabelledPhotos };
  /** SQLite file for the run's gallery (replaced). */
  readonly galleryPath: string;
  readonly cache?: EmbeddingCache;
  /** Target FPIR of the gallery's threshold (default the gallery's, 1 %). */
  readonly fpir?: number;
  readonly face?: EnrolFaceChoice;
  readonly onProgress?: (p: EmbedProgress) => void;
}

/** What {@link runIdentification} measured. */
export interface IdentificationRun {
  readonly scores: IdentificationScores;
  readonly enrolled: number;
  /** Enrolment photos refused, by error code (e.g. MULTIPLE_FACES). */
  readonly enrolSkipped: Readonly<Record<string, number>>;
  /** People with photos for the gallery but none accepted. */
  readonly notEnrolled: number;
  readonly probesWithoutFace: number;
  /** The threshold the gallery chose at its final size. */
  readonly thresholdChoice: ThresholdChoice;
  readonly rank1: number;
  readonly rank5: number;
  readonly dirAtFpir: readonly { readonly fpir: number; readonly point: IdentificationPoint | null }[];
  /** FPIR and DIR at the gallery's default threshold and at the 1:1 threshold. */
  readonly atDefault: IdentificationPoint;
  readonly atOneToOne: IdentificationPoint | null;
  readonly det: readonly IdentificationPoint[];
}

/**
 * Runs the protocol (see the module comment).
 *
 * @example
 * const run = await runIdentification(fr, { protocol: { kind: 'lfw', photos }, galleryPath: 'out/gallery.db' })
 */
export async function runIdentification(rec: IdentificationRecognizer, o: IdentificationRunOptions): Promise<IdentificationRun> {
  const enrolFrom = o.protocol.kind === 'lfw' ? new Map([...o.protocol.photos].filter(([, ps]) => ps.length >= 2)) : o.protocol.gallery;
  const probes: { label: string; path: string }[] =
    o.protocol.kind === 'lfw'
      ? [...o.protocol.photos].filter(([, ps]) => ps.length === 1).map(([label, ps]) => ({ label, path: ps[0] as string }))
      : [...o.protocol.probes].flatMap(([label, ps]) => ps.map((path) => ({ label, path })));
  const firstOnly = o.protocol.kind === 'lfw';
  await rm(o.galleryPath, { force: true });
  for (const ext of ['-wal', '-shm', '.matrix', '.hnsw']) await rm(`${o.galleryPath}${ext}`, { force: true });
  const g = await openGallery(o.galleryPath, {
    fingerprint: rec.fingerprint,
    embeddingSize: rec.embeddingSize,
    ...(rec.threshold === undefined ? {} : { threshold: rec.threshold }),
  });
  try {
    const skipped: Record<string, number> = {};
    let notEnrolled = 0;
    for (const [label, paths] of enrolFrom) {
      const templates: Float32Array[] = [];
      let enrolledAt = -1;
      for (let i = 0; i < paths.length && !(firstOnly && templates.length > 0); i++) {
        const bytes = await readEvalFile(paths[i] as string);
        try {
          const found = await rec.recognize(bytes, { select: 'all' });
          templates.push(chooseEnrolmentFace(found.faces, found.width, found.height, o.face ?? 'dominant', paths[i]).embedding);
          enrolledAt = i;
        } catch (e) {
          if (!isArcFaceError(e) || e.code.startsWith('MODEL_')) throw e;
          skipped[e.code] = (skipped[e.code] ?? 0) + 1;
        }
      }
      if (templates.length === 0) {
        notEnrolled++;
        continue;
      }
      await g.enroll(label, templates);
      // A photo refused for enrolment is still a probe (its central face), like every other photo but the enrolled one.
      if (firstOnly) {
        paths.forEach((path, i) => {
          if (i !== enrolledAt) probes.push({ label, path });
        });
      }
    }
    const embedded = await embedImageFiles(
      rec,
      '/',
      probes.map((p) => p.path),
      { ...(o.cache === undefined ? {} : { cache: o.cache }), ...(o.onProgress === undefined ? {} : { onProgress: o.onProgress }) },
    );
    const enrolled = new Set((await g.list()).map((i) => i.id));
    const mated: { rank: number; topScore: number; topIsMate: boolean }[] = [];
    const nonMated: number[] = [];
    let thresholdChoice: ThresholdChoice | undefined;
    for (const p of probes) {
      const e = embedded.embeddings.get(p.path);
      if (e === undefined) throw new RangeError(`Expected an embedding of ${p.path} but the run has none`);
      const r = await g.identify(e.embedding, { topK: TOP_K, ...(o.fpir === undefined ? {} : { fpir: o.fpir }) });
      thresholdChoice = r.thresholdChoice;
      const top = r.candidates[0];
      if (enrolled.has(p.label)) {
        const at = r.candidates.findIndex((c) => c.id === p.label);
        mated.push({ rank: at < 0 ? Infinity : at + 1, topScore: top?.score ?? -1, topIsMate: at === 0 });
      } else {
        nonMated.push(top?.score ?? -1);
      }
    }
    thresholdChoice ??= await g.identificationThreshold(o.fpir === undefined ? {} : { fpir: o.fpir });
    const scores: IdentificationScores = { mated, nonMatedTop: Float64Array.from(nonMated), galleryIdentities: enrolled.size };
    return {
      scores,
      enrolled: enrolled.size,
      enrolSkipped: skipped,
      notEnrolled,
      probesWithoutFace: embedded.noFace.length,
      thresholdChoice,
      rank1: rankK(scores, 1),
      rank5: rankK(scores, 5),
      dirAtFpir: REPORTED_FPIRS.map((fpir) => ({ fpir, point: dirAtFpir(scores, fpir) })),
      atDefault: pointAtThreshold(scores, thresholdChoice.threshold),
      atOneToOne: rec.threshold === undefined ? null : pointAtThreshold(scores, rec.threshold),
      det: detCurve(scores),
    };
  } finally {
    await g.close();
  }
}
