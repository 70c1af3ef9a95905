#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { registerCompareCommand } from './commands/compare.js';
import { registerEmbedCommand } from './commands/embed.js';
import { registerModelsInspect } from './commands/models-inspect.js';
import { registerModelsCommands } from './commands/models-registry.js';
import { contextFromProcess, EXIT, reportError } from './context.js';

const ctx = contextFromProcess();
const program = new Command();
program
  .name('arcface')
  .description('ArcFace face recognition: detect, align, embed, compare, identify and evaluate faces.')
  .version('0.1.0')
  .showHelpAfterError()
  .exitOverride()
  .configureOutput({ writeErr: (s) => ctx.stderr.write(s), writeOut: (s) => ctx.stdout.write(s) })
  .addHelpText(
    'after',
    '\nModels are looked up by name in ARCFACE_MODELS (folders, ":"-separated) and ARCFACE_HOME (default ~/.cache/arcface).\nExit codes: 0 ok, 1 usage, 2 bad input, 3 model problem, 4 no face.',
  );

registerCompareCommand(program, ctx);
registerEmbedCommand(program, ctx);
const models = program.command('models').description('Inspect, list, add, verify and download models.');
registerModelsInspect(models, ctx);
registerModelsCommands(models, ctx);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    process.exitCode = err.exitCode === 0 ? EXIT.ok : EXIT.usage;
  } else {
    process.exitCode = reportError(ctx, err);
  }
}
