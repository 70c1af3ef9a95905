import { spawn, type ChildProcess } from 'node:child_process';
import { CLI, freshHome } from '../helpers/cli.js';
import { sharedPath } from '../helpers/shared.js';
import { killOnExit } from '../helpers/children.js';

/** A running `arcface worker` child process and the JSON events it printed. */
export interface WorkerProcess {
  readonly child: ChildProcess;
  readonly events: { event: string; jobId?: string; file?: string; reason?: string }[];
  readonly stderr: () => string;
  /** Resolves when the worker printed `count` events named `event` (rejects when it exits first). */
  waitFor(event: string, count?: number, timeoutMs?: number): Promise<void>;
  /** Resolves with the exit code (or the signal name). */
  readonly exited: Promise<number | string>;
}

/** Starts `arcface worker --json` with the shared models and `args`. */
export function startWorker(args: readonly string[]): WorkerProcess {
  const child = killOnExit(
    spawn(process.execPath, [CLI, 'worker', '--json', ...args], {
      env: { ...process.env, ARCFACE_MODELS: sharedPath('models'), ARCFACE_HOME: freshHome() },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  const events: { event: string; jobId?: string; file?: string; reason?: string }[] = [];
  let err = '';
  let pending = '';
  const waiters = new Set<() => void>();
  child.stdout?.resume();
  child.stderr?.on('data', (d: Buffer) => {
    err += d.toString();
    pending += d.toString();
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      if (!line.startsWith('{')) continue;
      try {
        const e = JSON.parse(line) as { event?: unknown };
        if (typeof e.event === 'string') events.push(e as { event: string });
      } catch {
        // Not an event line (a notice): ignored.
      }
    }
    for (const w of waiters) w();
  });
  const exited = new Promise<number | string>((resolve) => child.once('close', (code, signal) => resolve(code ?? signal ?? -1)));
  return {
    child,
    events,
    stderr: () => err,
    exited,
    waitFor(event, count = 1, timeoutMs = 60_000) {
      return new Promise<void>((resolve, reject) => {
        const check = (): void => {
          if (events.filter((e) => e.event === event).length >= count) {
            done();
            resolve();
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`worker printed no ${count}× "${event}" within ${timeoutMs} ms:\n${err}`));
        }, timeoutMs);
        const done = (): void => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        void exited.then((code) => {
          if (!waiters.has(check)) return;
          done();
          reject(new Error(`worker exited (${code}) before ${count}× "${event}":\n${err}`));
        });
        waiters.add(check);
        check();
      });
    },
  };
}
