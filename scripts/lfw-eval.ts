/**
 * Full LFW evaluation runs (minutes each on a small CPU: run in the background).
 *
 *   npx tsx scripts/lfw-eval.ts [--variant lfw-deepfunneled|lfw] [--detector yunet-n] [--flip] [--limit-folds N]
 *   npx tsx scripts/lfw-eval.ts --all          # both variants × flip off/on × yunet-n / scrfd-500m
 *   npx tsx scripts/lfw-eval.ts --measure-fallback [--variant ...]   # the fallback-square constants
 *   npx tsx scripts/lfw-eval.ts --cli eval pairs --scores FILE       # any eval/calibrate command line
 *
 * Data and models come from ARCFACE_SHARED (default ../shared); reports go to scratch/lfw-eval/<run>/.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Command } from 'commander';
import { contextFromProcess, reportError } from '../apps/cli/context.js';
import { registerCalibrateCommand } from '../apps/cli/commands/calibrate.js';
import { evalLfw, registerEvalCommands } from '../apps/cli/commands/eval.js';
import { estimateNorm } from '../src/align/index.js';
import { FaceRecognizer } from '../src/pipeline/index.js';

const shared = process.env.ARCFACE_SHARED ?? resolve(import.meta.dirname, '..', '..', 'shared');
process.env.ARCFACE_MODELS ??= join(shared, 'models');
const ctx = contextFromProcess();

async function measureFallback(variant: string, people: number): Promise<void> {
  const fr = await FaceRecognizer.create({ locations: ctx.locations });
  const root = join(shared, 'data', 'faces', variant);
  const names = (await readdir(root, { withFileTypes: true }))
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort()
    .slice(0, people);
  const ratio: number[] = [];
  const cy: number[] = [];
  let none = 0;
  for (const name of names) {
    const file = (await readdir(join(root, name))).sort()[0] as string;
    const r = await fr.recognize(new Uint8Array(await readFile(join(root, name, file))), { select: 'central' });
    const face = r.faces[0];
    if (face === undefined) {
      none++;
      continue;
    }
    const [[a, b, tx], [c, d, ty]] = estimateNorm(face.landmarks);
    ratio.push(112 / Math.hypot(a, c) / Math.min(r.width, r.height));
    const det = a * d - b * c;
    cy.push((-c * (56 - tx) + a * (56 - ty)) / det / r.height);
  }
  await fr.dispose();
  const median = (v: number[]): number => [...v].sort((x, y) => x - y)[Math.floor(v.length / 2)] ?? Number.NaN;
  console.log(
    `${variant}: ${names.length} people, ${none} without a face; median square side / image side ${median(ratio).toFixed(3)}, median centre y ${median(cy).toFixed(3)}`,
  );
}

const cliArgs = process.argv[2] === '--cli' ? process.argv.slice(3) : undefined;
const { values } = parseArgs({
  args: cliArgs === undefined ? process.argv.slice(2) : [],
  options: {
    variant: { type: 'string', default: 'lfw-deepfunneled' },
    detector: { type: 'string', default: 'yunet-n' },
    flip: { type: 'boolean', default: false },
    'limit-folds': { type: 'string' },
    all: { type: 'boolean', default: false },
    'measure-fallback': { type: 'boolean', default: false },
  },
});

try {
  if (cliArgs !== undefined) {
    const program = new Command().name('arcface').exitOverride();
    registerEvalCommands(program, ctx);
    registerCalibrateCommand(program, ctx);
    await program.parseAsync(cliArgs, { from: 'user' });
  } else if (values['measure-fallback']) {
    await measureFallback(values.variant, 400);
  } else {
    const runs = values.all
      ? ['lfw-deepfunneled', 'lfw'].flatMap((variant) =>
          ['yunet-n', 'scrfd-500m'].flatMap((detector) => [true, false].map((flip) => ({ variant, detector, flip }))),
        )
      : [{ variant: values.variant, detector: values.detector, flip: values.flip }];
    for (const run of runs) {
      const name = `${run.variant}-${run.detector}-${run.flip ? 'flip' : 'noflip'}`;
      console.log(`\n== ${name}`);
      await evalLfw(ctx, {
        data: join(shared, 'data', 'faces', run.variant),
        detector: run.detector,
        recognizer: 'w600k-mbf-int8',
        flip: run.flip,
        out: join('scratch', 'lfw-eval', name),
        cache: join('scratch', 'lfw-eval', 'cache'),
        ...(values['limit-folds'] === undefined ? {} : { limitFolds: Number(values['limit-folds']) }),
      });
    }
  }
} catch (err) {
  process.exitCode = reportError(ctx, err);
}
