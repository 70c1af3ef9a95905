#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { registerAnonymizeCommand } from './commands/anonymize.js';
import { registerCalibrateCommand } from './commands/calibrate.js';
import { registerCompareCommand } from './commands/compare.js';
import { registerDetectCommand } from './commands/detect.js';
import { registerEmbedCommand } from './commands/embed.js';
import { registerEvalCommands } from './commands/eval.js';
import { registerGalleryCommands } from './commands/gallery.js';
import { registerIngestCommands } from './commands/ingest.js';
import { registerKeysCommands } from './commands/keys.js';
import { registerModelsInspect } from './commands/models-inspect.js';
import { registerModelsCommands } from './commands/models-registry.js';
import { registerPeopleCommands } from './commands/people.js';
import { registerServeCommand } from './commands/serve.js';
import { registerWatchCommand } from './commands/watch.js';
import { contextFromProcess, EXIT, reportError } from './context.js';

const ctx = contextFromProcess();
const program = new Command();
program
  .name('arcface')
  .description('ArcFace face recognition: detect, align, embed, compare, identify, evaluate and serve faces.')
  .version('0.1.0')
  .showHelpAfterError()
  .exitOverride()
  .configureOutput({ writeErr: (s) => ctx.stderr.write(s), writeOut: (s) => ctx.stdout.write(s) })
  .addHelpText(
    'after',
    '\nModels are looked up by name in ARCFACE_MODELS (folders, ":"-separated) and ARCFACE_HOME (default ~/.cache/arcface).\nExit codes: 0 ok, 1 usage, 2 bad input, 3 model problem, 4 no face.',
  );

registerCompareCommand(program, ctx);
registerDetectCommand(program, ctx);
registerEmbedCommand(program, ctx);
registerGalleryCommands(program, ctx);
registerEvalCommands(program, ctx);
registerCalibrateCommand(program, ctx);
registerServeCommand(program, ctx);
registerWatchCommand(program, ctx);
registerAnonymizeCommand(program, ctx);
registerKeysCommands(program, ctx);
registerPeopleCommands(program, ctx);
registerIngestCommands(program, ctx);
const models = program.command('models').description('Inspect, list, add, verify and download models.');
registerModelsInspect(models, ctx);
registerModelsCommands(models, ctx);

try {
  await program.parseAsync(process.argv);
  if (ctx.exitCode !== undefined) process.exitCode = ctx.exitCode;
} catch (err) {
  if (err instanceof CommanderError) {
    process.exitCode = err.exitCode === 0 ? EXIT.ok : EXIT.usage;
  } else {
    process.exitCode = reportError(ctx, err);
  }
}
