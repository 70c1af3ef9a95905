import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { CliContext } from '../../apps/cli/context.js';
import { runArcface } from '../../apps/cli/program.js';
import { modelLocationsFromEnv } from '../../src/index.js';
import { REPO_ROOT, sharedPath } from './shared.js';
import { killOnExit } from './children.js';

/** The built CLI entry (npm ci / npm test build it first). */
export const CLI = join(REPO_ROOT, 'dist', 'apps', 'cli', 'main.js');

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** A fresh model home, so licence notices and caches start empty. */
export function freshHome(): string {
  return mkdtempSync(join(tmpdir(), 'arcface-home-'));
}

/** The environment a CLI run sees: the shared models on ARCFACE_MODELS and a fresh home unless given. */
function cliEnv(env: Record<string, string>): Record<string, string | undefined> {
  return { ...process.env, ARCFACE_MODELS: sharedPath('models'), ARCFACE_HOME: env.ARCFACE_HOME ?? freshHome(), ...env };
}

/** A writable stream that keeps what was written, as text. */
class TextSink extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    this.text += chunk.toString();
    done();
  }
}

/**
 * Runs one `arcface` command line in this process, through the same program the binary builds
 * (`runArcface`) with its own context: environment, model locations and captured output.
 */
export async function runCli(args: readonly string[], env: Record<string, string> = {}): Promise<CliRun> {
  const runEnv = cliEnv(env);
  const stdout = new TextSink();
  const stderr = new TextSink();
  const ctx: CliContext = { locations: modelLocationsFromEnv(runEnv), stdout, stderr, env: runEnv, json: false };
  const code = await runArcface(args, ctx);
  return { code, stdout: stdout.text, stderr: stderr.text };
}

/** Runs the real `arcface` binary (built in dist/) with the shared models on ARCFACE_MODELS. */
export async function runCliBinary(args: readonly string[], env: Record<string, string> = {}): Promise<CliRun> {
  if (!existsSync(CLI)) throw new Error(`CLI not built at ${CLI}: run npm run build`);
  return new Promise((resolve, reject) => {
    const child = killOnExit(
      spawn(process.execPath, [CLI, ...args], {
        env: cliEnv(env),
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/**
 * Runs one ES-module script in `count` Node processes at once (concurrent writers) and returns each
 * one's exit code, standard output and standard error, in start order.
 */
export async function runScriptsAtOnce(script: string, count: number): Promise<{ code: number | null; out: string; err: string }[]> {
  return Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<{ code: number | null; out: string; err: string }>((resolve, reject) => {
          const child = killOnExit(spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] }));
          let out = '';
          let err = '';
          child.stdout.on('data', (d: Buffer) => (out += d.toString()));
          child.stderr.on('data', (d: Buffer) => (err += d.toString()));
          child.on('error', reject);
          child.on('close', (code) => resolve({ code, out, err }));
        }),
    ),
  );
}
