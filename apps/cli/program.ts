import { Command, CommanderError } from 'commander';
import { registerAnonymizeCommand } from './commands/anonymize.js';
import { registerCalibrateCommand } from './commands/calibrate.js';
import { registerCompareCommand } from './commands/compare.js';
import { registerDetectCommand } from './commands/detect.js';
import { registerEmbedCommand } from './commands/embed.js';
import { registerEvalCommands } from './commands/eval.js';
import { registerGalleryCommands } from './commands/gallery.js';
import { registerJobsCommands } from './commands/jobs.js';
import { registerKeysCommands } from './commands/keys.js';
import { registerModelsInspect } from './commands/models-inspect.js';
import { registerModelsCommands } from './commands/models-registry.js';
import { registerPeopleCommands } from './commands/people.js';
import { registerServeCommand } from './commands/serve.js';
import { registerSightingsCommands } from './commands/sightings.js';
import { registerWatchCommand } from './commands/watch.js';
import { registerWorkerCommand } from './commands/worker.js';
import { type CliContext, EXIT, reportError } from './context.js';

/**
 * Builds the `arcface` program with every command bound to `ctx`. The binary and the in-process
 * tests both go through it, so a command behaves the same whoever calls it.
 *
 * @example
 * const program = buildProgram(contextFromProcess())
 */
export function buildProgram(ctx: CliContext): Command {
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
  registerKeysCommands(program, ctx);
  registerPeopleCommands(program, ctx);
  registerWorkerCommand(program, ctx);
  registerJobsCommands(program, ctx);
  registerSightingsCommands(program, ctx);
  registerAnonymizeCommand(program, ctx);
  const models = program.command('models').description('Inspect, list, add, verify and download models.');
  registerModelsInspect(models, ctx);
  registerModelsCommands(models, ctx);
  return program;
}

/**
 * Runs one `arcface` command line (the words after the program name) and returns its exit code;
 * output goes to `ctx.stdout` / `ctx.stderr`.
 *
 * @example
 * const code = await runArcface(['compare', 'a.jpg', 'b.jpg', '--json'], ctx)
 */
export async function runArcface(args: readonly string[], ctx: CliContext): Promise<number> {
  try {
    await buildProgram(ctx).parseAsync([...args], { from: 'user' });
    return ctx.exitCode ?? EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    return reportError(ctx, err);
  }
}
