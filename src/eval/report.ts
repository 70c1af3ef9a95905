/**
 * Evaluation reports: `report.json` (every figure, per fold, the configuration and the per-pair
 * scores so it can be re-scored or calibrated), `report.md` (a readable summary) and the plots
 * (`roc.svg/png`, `scores.svg/png`).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { EqualErrorRate, FarThreshold, TarAtFar } from './operating-points.js';
import { histogramSvg, rocSvg, svgToPng } from './plots.js';
import type { VerificationMetrics } from './protocol.js';

/** How the evaluation was made. */
export interface EvalConfig {
  /** `lfw`, `videos` or `scores` (a ready distance file). */
  readonly protocol: 'lfw' | 'videos' | 'scores';
  readonly data?: string;
  readonly pairsFile?: string;
  readonly detector?: string;
  readonly recognizer?: string;
  /** Recogniser facade fingerprint (models + options). */
  readonly fingerprint?: string;
  readonly flip?: boolean;
  /** What was done for images without a detected face. */
  readonly noFaceHandling?: string;
  /** Video protocol: frames per video and how they were combined. */
  readonly framesPerVideo?: number;
  readonly aggregation?: string;
}

/** Counts that qualify the figures. */
export interface EvalCounts {
  readonly folds: number;
  readonly pairs: number;
  readonly genuine: number;
  readonly impostor: number;
  /** Images (or videos) embedded. */
  readonly items?: number;
  /** Images (or video frames) with no detected face, and which (capped list). */
  readonly noFace?: number;
  readonly noFaceItems?: readonly string[];
  readonly cachedItems?: number;
}

/** Wall time against the recogniser-only bound. */
export interface EvalTiming {
  readonly wallMs: number;
  /** Recogniser time in this run, summed over the workers that embedded side by side. */
  readonly recognizerMs: number;
  readonly recordedRecognizerMs?: number;
  /** Worker threads that embedded images side by side, when more than one. */
  readonly workers?: number;
}

/** The content of `report.json`. */
export interface EvalReport {
  readonly format: 'arcface-eval-report';
  readonly version: 1;
  readonly createdAt: string;
  readonly config: EvalConfig;
  readonly counts: EvalCounts;
  readonly accuracy: {
    readonly mean: number;
    readonly std: number;
    readonly folds: ReadonlyArray<{
      fold: number;
      pairs: number;
      threshold: number;
      thresholdCosine: number;
      accuracy: number;
      tar: number | null;
      far: number | null;
    }>;
  };
  readonly auc: number;
  readonly eer: EqualErrorRate;
  readonly tarAtFar: readonly TarAtFar[];
  readonly thresholds: readonly FarThreshold[];
  readonly roc: VerificationMetrics['roc'];
  readonly histogram: VerificationMetrics['histogram'];
  readonly timing?: EvalTiming;
  /** Per-pair squared L2 distances and labels in protocol order. */
  readonly scores: { readonly dist: readonly number[]; readonly same: readonly boolean[] };
}

/** Most no-face items listed by name in a report. */
const NO_FACE_LIST_LIMIT = 200;

/**
 * Assembles a report from metrics and context.
 *
 * @example
 * const report = buildReport(metrics, { config: { protocol: 'scores' }, dist, same })
 */
export function buildReport(
  metrics: VerificationMetrics,
  ctx: { config: EvalConfig; dist: readonly number[]; same: readonly boolean[]; counts?: Partial<EvalCounts>; timing?: EvalTiming },
): EvalReport {
  const nullIfNaN = (v: number): number | null => (Number.isNaN(v) ? null : v);
  const noFaceItems = ctx.counts?.noFaceItems?.slice(0, NO_FACE_LIST_LIMIT);
  return {
    format: 'arcface-eval-report',
    version: 1,
    createdAt: new Date().toISOString(),
    config: ctx.config,
    counts: {
      ...ctx.counts,
      ...(noFaceItems === undefined ? {} : { noFaceItems }),
      folds: metrics.kfold.folds.length,
      pairs: metrics.pairs,
      genuine: metrics.genuine,
      impostor: metrics.impostor,
    },
    accuracy: {
      mean: metrics.kfold.accuracyMean,
      std: metrics.kfold.accuracyStd,
      folds: metrics.kfold.folds.map((f) => ({
        fold: f.fold + 1,
        pairs: f.end - f.start,
        threshold: f.bestThreshold,
        thresholdCosine: 1 - f.bestThreshold / 2,
        accuracy: f.accuracy,
        tar: nullIfNaN(f.tar),
        far: nullIfNaN(f.far),
      })),
    },
    auc: metrics.auc,
    eer: metrics.eer,
    tarAtFar: metrics.tarAtFar,
    thresholds: metrics.thresholds,
    roc: metrics.roc,
    histogram: metrics.histogram,
    ...(ctx.timing === undefined ? {} : { timing: ctx.timing }),
    scores: { dist: ctx.dist, same: ctx.same },
  };
}

const pct = (v: number | null, digits = 2): string => (v === null ? '—' : `${(100 * v).toFixed(digits)} %`);

/**
 * A readable Markdown summary of a report.
 *
 * @example
 * await writeFile('report.md', reportMarkdown(report))
 */
export function reportMarkdown(r: EvalReport): string {
  const c = r.config;
  const lines: string[] = [`# Verification report (${c.protocol})`, '', '| | |', '| --- | --- |'];
  const row = (k: string, v: string | number | boolean | undefined): void => {
    if (v !== undefined) lines.push(`| ${k} | ${String(v)} |`);
  };
  row('data', c.data);
  row('pairs file', c.pairsFile);
  row('detector', c.detector);
  row('recognizer', c.recognizer);
  row('fingerprint', c.fingerprint === undefined ? undefined : `\`${c.fingerprint}\``);
  row('flip augmentation', c.flip);
  row('frames per video', c.framesPerVideo);
  row('aggregation', c.aggregation);
  row('pairs', `${r.counts.pairs} (${r.counts.genuine} genuine, ${r.counts.impostor} impostor) in ${r.counts.folds} folds`);
  row(
    'threshold chosen on',
    r.counts.folds === 1
      ? 'the test fold itself (one fold leaves no other pairs to choose on, so the accuracy is optimistic)'
      : `the other ${r.counts.folds - 1} folds, for each held-out fold`,
  );
  row('items embedded', r.counts.items);
  if (r.counts.noFace !== undefined) row('no face found', `${r.counts.noFace}${c.noFaceHandling === undefined ? '' : ` — ${c.noFaceHandling}`}`);
  row('served from cache', r.counts.cachedItems);
  lines.push('', '## Figures', '', '| figure | value |', '| --- | --- |');
  lines.push(`| **accuracy (${r.counts.folds}-fold)** | **${pct(r.accuracy.mean)} ± ${pct(r.accuracy.std)}** |`);
  lines.push(`| AUC | ${r.auc.toFixed(6)} |`);
  lines.push(`| EER | ${pct(r.eer.eer)} (distance ${r.eer.distance.toFixed(4)}, cosine ${r.eer.cosine.toFixed(4)}) |`);
  for (const t of r.tarAtFar) {
    const value = t.measurable ? `${pct(t.tar)} (at FAR ${t.achievedFar?.toExponential(2)})` : `not measurable with ${r.counts.impostor} impostor pairs`;
    lines.push(`| TAR @ FAR ${t.far.toExponential(0)}, ROC point nearest the target (InsightFace's reading) | ${value} |`);
  }
  lines.push(
    '',
    '## Thresholds reaching a target FAR',
    '',
    'The most lenient threshold whose FAR does not exceed the target (what `arcface calibrate` gives). Its TAR can be',
    "higher than the figure above: InsightFace's reading stops at the bottom of the ROC step nearest the target.",
    '',
    '| FAR ≤ | cosine ≥ | distance ≤ | TAR there | FAR there |',
    '| --- | --- | --- | --- | --- |',
  );
  for (const t of r.thresholds) {
    if (!t.measurable) lines.push(`| ${t.far.toExponential(0)} | not measurable | | | |`);
    else lines.push(`| ${t.far.toExponential(0)} | ${t.cosine?.toFixed(4)} | ${t.distance?.toFixed(4)} | ${pct(t.tar)} | ${t.achievedFar?.toExponential(2)} |`);
  }
  lines.push('', '## Folds', '', '| fold | pairs | threshold (distance) | threshold (cosine) | accuracy |', '| --- | --- | --- | --- | --- |');
  for (const f of r.accuracy.folds) lines.push(`| ${f.fold} | ${f.pairs} | ${f.threshold.toFixed(2)} | ${f.thresholdCosine.toFixed(3)} | ${pct(f.accuracy)} |`);
  if (r.timing !== undefined) {
    const ratio = r.timing.recognizerMs > 0 ? (r.timing.wallMs / r.timing.recognizerMs).toFixed(2) : '—';
    const seconds = (ms: number): string => (ms / 1000).toFixed(1);
    const summed = r.timing.workers === undefined ? '' : `, summed over ${r.timing.workers} workers`;
    lines.push(
      '',
      '## Time',
      '',
      `Wall ${seconds(r.timing.wallMs)} s; recogniser only (detect + align + embed${summed}) ${seconds(r.timing.recognizerMs)} s in this run; ratio ${ratio}.`,
    );
    if (r.timing.recordedRecognizerMs !== undefined)
      lines.push(`Recogniser time recorded for all items (cache hits included): ${(r.timing.recordedRecognizerMs / 1000).toFixed(1)} s.`);
  }
  lines.push('', '![ROC](roc.png)', '', '![Score distributions](scores.png)', '');
  lines.push(
    'Protocol: InsightFace `eval/verification.py` — squared L2 distance of unit embeddings, contiguous unshuffled folds, ' +
      'threshold grid 0.00…3.99 chosen on the other folds (first best, same when distance < threshold). ' +
      'TAR@FAR is read, as InsightFace does, at the first ROC point (sklearn `roc_curve`, drop_intermediate) whose FAR is nearest the target — ' +
      'at the bottom of a vertical step, so it can be lower than the TAR of the threshold table, which gives the most lenient threshold with FAR ≤ target.',
    '',
  );
  return lines.join('\n');
}

/** Paths written by {@link writeReport}. */
export interface ReportFiles {
  readonly json: string;
  readonly markdown: string;
  readonly rocSvg: string;
  readonly rocPng: string;
  readonly scoresSvg: string;
  readonly scoresPng: string;
}

/**
 * Writes `report.json`, `report.md`, `roc.svg/png` and `scores.svg/png` into `dir`.
 *
 * @example
 * const files = await writeReport('out/lfw', report, metrics, 'LFW · yunet_n + mbf')
 */
export async function writeReport(dir: string, report: EvalReport, metrics: VerificationMetrics, subtitle = ''): Promise<ReportFiles> {
  await mkdir(dir, { recursive: true });
  const files: ReportFiles = {
    json: join(dir, 'report.json'),
    markdown: join(dir, 'report.md'),
    rocSvg: join(dir, 'roc.svg'),
    rocPng: join(dir, 'roc.png'),
    scoresSvg: join(dir, 'scores.svg'),
    scoresPng: join(dir, 'scores.png'),
  };
  const roc = rocSvg(metrics, subtitle);
  const hist = histogramSvg(metrics, subtitle);
  await writeFile(files.json, `${JSON.stringify(report, null, 1)}\n`);
  await writeFile(files.markdown, reportMarkdown(report));
  await writeFile(files.rocSvg, roc);
  await writeFile(files.scoresSvg, hist);
  await writeFile(files.rocPng, await svgToPng(roc));
  await writeFile(files.scoresPng, await svgToPng(hist));
  return files;
}
