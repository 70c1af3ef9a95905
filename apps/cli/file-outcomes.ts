import { isArcFaceError, type ArcFaceError } from '../../src/core/index.js';
import { EXIT, type CliContext } from './context.js';

/** What a many-file command prints for a file it could not process. */
export interface FileFailure {
  readonly file: string;
  readonly error: { readonly code: string; readonly message: string };
}

/**
 * The one rule of every command that takes many images (detect, embed, identify, enroll): a file
 * that fails is reported (in the JSON as `{"file","error":{code,message}}` and on stderr) and the
 * command goes on with the next. The exit code is then that of the first failure (2 for bad input),
 * else 4 when an image had no face, else 0.
 *
 * @example
 * const outcomes = new FileOutcomes(ctx)
 * try { … } catch (e) { results.push(outcomes.failed(file, e)) }
 * outcomes.finish()
 */
export class FileOutcomes {
  readonly #ctx: CliContext;
  #firstError: ArcFaceError | undefined;
  #noFace = 0;

  constructor(ctx: CliContext) {
    this.#ctx = ctx;
  }

  /** Records a failed file and returns its JSON entry; errors that are not coded are rethrown. */
  failed(file: string, err: unknown): FileFailure {
    if (!isArcFaceError(err)) throw err;
    this.#firstError ??= err;
    const line = this.#ctx.json ? JSON.stringify({ file, ...err.toJSON() }) : `arcface: ${file}: ${err.code}: ${err.message}`;
    this.#ctx.stderr.write(`${line}\n`);
    return { file, error: { code: err.code, message: err.message } };
  }

  /** Records how many faces an image had. */
  faces(count: number): void {
    if (count === 0) this.#noFace++;
  }

  /** Sets the command's exit code by the rule above. */
  finish(): void {
    if (this.#firstError !== undefined) this.#ctx.exitCode = this.#firstError.exitCode;
    else if (this.#noFace > 0) this.#ctx.exitCode = EXIT.noFace;
  }
}
