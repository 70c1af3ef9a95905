import { Writable } from 'node:stream';
import type { CliContext } from '../../apps/cli/context.js';
import { sharedPath } from '../helpers/shared.js';

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
