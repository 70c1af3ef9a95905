import { mkdir, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { ArcFaceError } from '../../../src/core/index.js';
import {
  detSvg,
  EmbeddingCache,
  FALLBACK_METHOD,
  readLabelledPhotos,
  runIdentification,
  svgToPng,
  type IdentificationPoint,
  type IdentificationRun,
} from '../../../src/eval/index.js';
import { FaceRecognizer, RECOGNIZER_DEFAULTS } from '../../../src/pipeline/index.js';
import { noticeLicence, printJson, type CliContext } from '../context.js';
import { createProgress } from '../progress.js';
import { parseIntOption, parseNumberOption } from './options.js';

interface IdentifyEvalOptions {
  data?: string;
  galleryDir?: string;
  probesDir?: string;
  maxPeople?: number;
  fpir?: number;
  detector: string;
  recognizer: string;
  flip?: boolean;
  out: string;
  cache?: string;
  json?: boolean;
}

const pct = (x: number | null | undefined): string => (x === null || x === undefined || Number.isNaN(x) ? 'n/a' : `${(100 * x).toFixed(2)} %`);
const r6 = (x: number): number => Math.round(x * 1e6) / 1e6;
const pointJson = (p: IdentificationPoint | null): Record<string, number> | null =>
  p === null ? null : { threshold: r6(p.threshold), fpir: r6(p.fpir), dir: r6(p.dir) };

/** The report object of `eval identify` (report.json). */
function reportOf(run: IdentificationRun, config: Record<string, unknown>, wallMs: number): Record<string, unknown> {
  return {
    protocol: 'identification',
    config,
    counts: {
      galleryIdentities: run.enrolled,
      notEnrolled: run.notEnrolled,
      enrolSkipped: run.enrolSkipped,
      matedProbes: run.scores.mated.length,
      nonMatedProbes: run.scores.nonMatedTop.length,
      probesWithoutFace: run.probesWithoutFace,
    },
    threshold: run.thresholdChoice,
    metrics: {
      rank1: r6(run.rank1),
      rank5: r6(run.rank5),
      dirAtFpir: run.dirAtFpir.map((d) => ({ targetFpir: d.fpir, ...(pointJson(d.point) ?? { measurable: false }) })),
      atDefaultThreshold: pointJson(run.atDefault),
      atOneToOneThreshold: pointJson(run.atOneToOne),
    },
    det: run.det.map((p) => [r6(p.threshold), r6(p.fpir), r6(1 - p.dir)]),
    timing: { wallMs: Math.round(wallMs) },
  };
}

function markdown(run: IdentificationRun, title: string): string {
  const rows = run.dirAtFpir.map(
    (d) =>
      `| DIR at FPIR ${d.fpir * 100} % | ${d.point === null ? 'not measurable (too few strangers)' : `${pct(d.point.dir)} (cosine ${d.point.threshold.toFixed(4)})`} |`,
  );
  return [
    `# Open-set identification — ${title}`,
    '',
    `Gallery: ${run.enrolled} identities (${run.notEnrolled} people without an accepted enrolment photo; skipped photos ${JSON.stringify(run.enrolSkipped)}).`,
    `Probes: ${run.scores.mated.length} mated, ${run.scores.nonMatedTop.length} strangers (${run.probesWithoutFace} without a detected face: central fallback).`,
    '',
    '| measure | value |',
    '|---|---|',
    `| rank-1 | ${pct(run.rank1)} |`,
    `| rank-5 | ${pct(run.rank5)} |`,
    ...rows,
    `| default threshold | cosine ${run.thresholdChoice.threshold} (${run.thresholdChoice.source}): FPIR ${pct(run.atDefault.fpir)}, DIR ${pct(run.atDefault.dir)} |`,
    ...(run.atOneToOne === null
      ? []
      : [`| 1:1 threshold | cosine ${run.atOneToOne.threshold}: FPIR ${pct(run.atOneToOne.fpir)}, DIR ${pct(run.atOneToOne.dir)} |`]),
    '',
    `Threshold: ${run.thresholdChoice.reason}.`,
    '',
    'FPIR: share of strangers whose best score reaches the threshold. DIR (= 1 − FNIR): share of mated probes whose best candidate is their person at or above it.',
    '',
    '![DET](det.png)',
    '',
  ].join('\n');
}

/**
 * `arcface eval identify`: open-set identification through a real gallery at its defaults.
 *
 * @example
 * await evalIdentify(ctx, { data: '../shared/data/faces/lfw-deepfunneled', detector: 'yunet-n', recognizer: 'w600k-mbf-int8', out: 'out/identify' })
 */
export async function evalIdentify(ctx: CliContext, o: IdentifyEvalOptions): Promise<Record<string, unknown>> {
  const t0 = performance.now();
  if ((o.data === undefined) === (o.galleryDir === undefined || o.probesDir === undefined)) {
    throw new ArcFaceError(
      'INVALID_ARGUMENT',
      'Expected either --data DIR (an LFW-style labelled folder) or both --gallery-dir and --probes-dir but received ' +
        `${[o.data && '--data', o.galleryDir && '--gallery-dir', o.probesDir && '--probes-dir'].filter(Boolean).join(', ') || 'none'}`,
    );
  }
  const protocol =
    o.data !== undefined
      ? { kind: 'lfw' as const, photos: await readLabelledPhotos(o.data, o.maxPeople) }
      : {
          kind: 'folders' as const,
          gallery: await readLabelledPhotos(o.galleryDir as string, o.maxPeople),
          probes: await readLabelledPhotos(o.probesDir as string),
        };
  await noticeLicence(ctx, o.recognizer);
  await noticeLicence(ctx, o.detector);
  const fr = await FaceRecognizer.create({ locations: ctx.locations, detector: o.detector, recognizer: o.recognizer, flip: o.flip === true });
  let bar: ReturnType<typeof createProgress> | undefined;
  try {
    const cache = await EmbeddingCache.open(o.cache ?? join(o.out, 'cache'), {
      fingerprint: fr.fingerprint,
      detector: fr.detector.name,
      flip: o.flip === true,
      fallback: FALLBACK_METHOD,
    });
    await mkdir(o.out, { recursive: true });
    const run = await runIdentification(fr, {
      protocol,
      galleryPath: join(o.out, 'gallery.db'),
      cache,
      ...(o.fpir === undefined ? {} : { fpir: o.fpir }),
      onProgress: (p) => {
        bar ??= createProgress({ total: p.total, label: 'eval identify', stream: ctx.stderr, silent: ctx.json });
        bar.update(p.done, p.total);
      },
    });
    bar?.done();
    const source = o.data ?? `${o.galleryDir} + ${o.probesDir}`;
    const title = `${basename(resolve(o.data ?? o.probesDir ?? '.'))} · ${o.detector} + ${o.recognizer}${o.flip === true ? ' · flip' : ''}`;
    const config = {
      data: source,
      maxPeople: o.maxPeople ?? null,
      detector: o.detector,
      recognizer: o.recognizer,
      fingerprint: fr.fingerprint,
      flip: o.flip === true,
    };
    const report = reportOf(run, config, performance.now() - t0);
    // The default threshold's point sits next to DIR at its target FPIR: order them apart for the labels.
    const target = run.thresholdChoice.targetFpir ?? 0.01;
    const dirMarks = [...run.dirAtFpir]
      .sort((a, b) => Math.abs(Math.log(a.fpir / target)) - Math.abs(Math.log(b.fpir / target)))
      .flatMap((d) => (d.point === null ? [] : [{ label: `DIR ${pct(d.point.dir)} @ FPIR ${d.fpir * 100} %`, point: d.point }]));
    const marks = [
      { label: `default: cosine ${run.thresholdChoice.threshold}, FPIR ${pct(run.atDefault.fpir)}, DIR ${pct(run.atDefault.dir)}`, point: run.atDefault },
      ...dirMarks,
    ];
    const svg = detSvg(run.det, marks, run.scores.nonMatedTop.length, run.scores.mated.length, title);
    const files = { json: join(o.out, 'report.json'), markdown: join(o.out, 'report.md'), detSvg: join(o.out, 'det.svg'), detPng: join(o.out, 'det.png') };
    await writeFile(files.json, `${JSON.stringify(report, null, 1)}\n`);
    await writeFile(files.markdown, markdown(run, title));
    await writeFile(files.detSvg, svg);
    await writeFile(files.detPng, await svgToPng(svg));
    const { det: _det, ...summary } = report;
    if (ctx.json) printJson(ctx, { ...summary, files });
    else ctx.stdout.write(`${markdown(run, title).split('\n![DET]')[0]}\nreport ${files.markdown} · ${files.json} · plot ${files.detPng}\n`);
    return report;
  } finally {
    bar?.done();
    await fr.dispose();
  }
}

/**
 * Registers `arcface eval identify` under the `eval` command.
 *
 * @example
 * registerEvalIdentify(program.command('eval'), ctx)
 */
export function registerEvalIdentify(evalCmd: Command, ctx: CliContext): void {
  evalCmd
    .command('identify')
    .description(
      'Open-set identification (1:N) through a gallery at its defaults: rank-1/5, DIR at FPIR 10/1/0.1 %, FPIR and DIR at the default and 1:1 thresholds, DET plot.',
    )
    .option(
      '--data <dir>',
      'LFW-style folder (Person/*.jpg): people with 2+ photos enrol their first accepted photo, the rest are probes; people with one photo are strangers',
    )
    .option('--gallery-dir <dir>', 'Person/*.jpg folder to enrol (every photo)')
    .option('--probes-dir <dir>', 'Person/*.jpg probes; people not enrolled are strangers')
    .option('--max-people <n>', 'keep this many people, evenly spread over the sorted names (a quick subset)', parseIntOption('--max-people', 2, 10_000_000))
    .option('--fpir <rate>', 'target FPIR of the default threshold (default 0.01)', parseNumberOption('--fpir', 1e-9, 0.5))
    .option('-d, --detector <name|path>', 'face detector: registry name or known file', RECOGNIZER_DEFAULTS.detector)
    .option('-r, --recognizer <name|path>', 'recogniser: registry name, .onnx file or NN Archive', RECOGNIZER_DEFAULTS.recognizer)
    .option('--flip', 'flip augmentation for probes and enrolment')
    .option('-o, --out <dir>', 'folder for report.json, report.md, det.svg/png and the run gallery', 'arcface-eval/identify')
    .option('--cache <dir>', 'embedding cache folder (default <out>/cache)')
    .option('--json', 'print the report summary as JSON on stdout and no progress')
    .action(async (opts: IdentifyEvalOptions) => {
      ctx.json = opts.json === true;
      await evalIdentify(ctx, opts);
    });
}
