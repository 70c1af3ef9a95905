import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { CliContext } from '../../apps/cli/context.js';
import { sharedPath, testOutputDir } from '../helpers/shared.js';

/** A writable stream that keeps what is written. */
export class TextSink extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _enc: BufferEncoding, done: (error?: Error | null) => void): void {
    this.text += chunk.toString();
    done();
  }
}

/** A CLI context over the shared models whose output is captured. */
export function captureContext(): { ctx: CliContext; out: TextSink; err: TextSink } {
  const out = new TextSink();
  const err = new TextSink();
  const ctx: CliContext = { locations: { home: '/nonexistent-arcface-home', dirs: [sharedPath('models')] }, stdout: out, stderr: err, env: {}, json: false };
  return { ctx, out, err };
}

/**
 * The shared golden's pair scores as a plain `{"dist","same"}` scores file (the golden keeps them
 * under "input", beside the expected outputs), written once under test-output.
 */
export async function goldenScoresFile(): Promise<string> {
  const golden = JSON.parse(await readFile(sharedPath('golden', 'lfw-protocol.json'), 'utf8')) as { input: { dist: number[]; same: boolean[] } };
  const dir = testOutputDir('golden-scores');
  await mkdir(dir, { recursive: true });
  const file = join(dir, 'lfw-scores.json');
  await writeFile(file, JSON.stringify({ dist: golden.input.dist, same: golden.input.same }));
  return file;
}
