import type { Command } from 'commander';
import { Embedder } from '../../../src/embed/index.js';
import { createFaceDetector, DETECTOR_DEFAULTS, OnnxFaceDetector, type DetectorKind } from '../../../src/detect/index.js';
import { findKnownModel, findKnownModelByFileName, resolveModelPath, sha256File, type KnownModel, type ModelSpecInput } from '../../../src/models/index.js';
import { printJson, type CliContext } from '../context.js';

interface InspectOptions {
  json?: boolean;
  channelOrder?: 'RGB' | 'BGR';
  layout?: 'NCHW' | 'NHWC';
  mean?: string;
  std?: string;
  inputName?: string;
  outputName?: string;
}

const triple = (v: string | undefined): number | number[] | undefined => {
  if (v === undefined) return undefined;
  const parts = v.split(',').map(Number);
  return parts.length === 1 ? parts[0] : parts;
};

/**
 * Builds a contract override from CLI flags shared by commands that load a recogniser.
 *
 * @example
 * specFromFlags({ channelOrder: 'BGR', mean: '0', std: '1' })
 */
export function specFromFlags(o: InspectOptions): ModelSpecInput {
  return Object.fromEntries(
    Object.entries({
      channelOrder: o.channelOrder,
      layout: o.layout,
      mean: triple(o.mean),
      std: triple(o.std),
      inputName: o.inputName,
      outputName: o.outputName,
    }).filter(([, v]) => v !== undefined),
  ) as ModelSpecInput;
}

/**
 * `arcface models inspect <path|name>`: the resolved contract of a recogniser, or of a known detector.
 *
 * @example
 * registerModelsInspect(modelsCommand, ctx)
 */
export function registerModelsInspect(models: Command, ctx: CliContext): void {
  models
    .command('inspect')
    .description(
      'Print the resolved contract of a recogniser (.onnx, NN Archive or registry name): names, layout, channel order, mean/std, sizes, ' +
        'and how each was decided; for a known detector its family, defaults and contract.',
    )
    .argument('<model>', 'path or registry name')
    .option('--channel-order <order>', 'override: RGB or BGR')
    .option('--layout <layout>', 'override: NCHW or NHWC')
    .option('--mean <m>', 'override: one number or three, comma-separated')
    .option('--std <s>', 'override: one number or three, comma-separated')
    .option('--input-name <name>', 'override: input tensor name')
    .option('--output-name <name>', 'override: output tensor name')
    .option('--json', 'compact JSON for machines')
    .action(async (model: string, opts: InspectOptions) => {
      ctx.json = opts.json === true;
      const path = resolveModelPath(model, ctx.locations);
      const detectorKnown = findKnownModel(model) ?? findKnownModelByFileName(path);
      if (detectorKnown !== undefined && detectorKnown.task !== 'recognizer') {
        printJson(ctx, await inspectDetector(detectorKnown, path));
        return;
      }
      const embedder = await Embedder.create(path, { spec: specFromFlags(opts) });
      try {
        const known = findKnownModel(model) ?? findKnownModelByFileName(path);
        printJson(ctx, {
          path,
          name: known?.name ?? null,
          source: embedder.model.source,
          sha256: embedder.model.sha256,
          fingerprint: embedder.fingerprint,
          spec: embedder.model.spec,
          batchExact: embedder.model.batchExact,
          notes: embedder.model.notes,
          licence: known?.licence ?? null,
          threshold: known?.threshold ?? null,
        });
      } finally {
        await embedder.dispose();
      }
    });
}

/** A known detector: it is loaded (so a broken file fails here), then its family, defaults and contract. */
async function inspectDetector(known: KnownModel, path: string): Promise<Record<string, unknown>> {
  const kind = known.task as DetectorKind;
  const detector = await createFaceDetector({ kind, modelPath: path, name: known.name });
  try {
    return {
      path,
      name: known.name,
      task: 'detector',
      kind,
      sha256: await sha256File(path),
      fixedInput: detector instanceof OnnxFaceDetector ? (detector.fixedInput ?? null) : null,
      config: DETECTOR_DEFAULTS[kind],
      contract: known.contract ?? null,
      licence: known.licence,
    };
  } finally {
    await detector.dispose();
  }
}
