/**
 * A real `arcface serve` process for probe tests: the CLI entry (apps/cli/main.ts through tsx), on
 * 127.0.0.1 with a free port, its stdout (the JSON log) and stderr (status lines) collected.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { connect } from 'node:net';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { killOnExit } from '../helpers/children.js';
import { REPO_ROOT, sharedPath } from '../helpers/shared.js';

/** Longest a test waits for `arcface serve` to listen (ms): loading the models takes seconds here. */
const LISTEN_DEADLINE_MS = 60_000;

/** A running server process. */
export interface ServeProcess {
  readonly url: string;
  readonly port: number;
  readonly child: ChildProcessByStdio<null, Readable, Readable>;
  /** Everything the process wrote to stdout (the log) so far. */
  stdout(): string;
  stderr(): string;
  /** The exit code (or signal name) once the process has ended. */
  readonly exited: Promise<number | string | null>;
  /** SIGTERM and wait for the exit. */
  stop(): Promise<void>;
}

/**
 * Starts `arcface serve --host 127.0.0.1 --port 0 …args` with `home` as ARCFACE_HOME and the shared
 * models; resolves once it prints the address it listens on.
 *
 * @example
 * const srv = await spawnServe(['--gallery', 'g.db', '--keys', 'keys.db'], home)
 */
export async function spawnServe(args: readonly string[], home: string): Promise<ServeProcess> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(REPO_ROOT, 'apps', 'cli', 'main.ts'), 'serve', '--host', '127.0.0.1', '--port', '0', ...args],
    {
      cwd: REPO_ROOT,
      env: { ...process.env, ARCFACE_HOME: home, ARCFACE_MODELS: sharedPath('models') },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  killOnExit(child);
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | string | null>((res) => child.once('exit', (code, signal) => res(code ?? signal)));
  const url = await new Promise<string>((res, rej) => {
    const deadline = Date.now() + LISTEN_DEADLINE_MS;
    const timer = setInterval(() => {
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(err);
      if (m !== null) {
        clearInterval(timer);
        res(m[1] as string);
      } else if (Date.now() > deadline) {
        clearInterval(timer);
        child.kill('SIGKILL');
        rej(new Error(`Expected "listening on" from arcface serve within ${LISTEN_DEADLINE_MS} ms but it did not come; stderr: ${err.slice(-1000)}`));
      }
    }, 25);
    void exited.then((c) => {
      clearInterval(timer);
      rej(new Error(`arcface serve exited with ${String(c)}: ${err}`));
    });
  });
  return {
    url,
    port: Number(new URL(url).port),
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/**
 * Starts `count` servers on the same arguments at once; when one fails to start, the others are
 * stopped before the error is thrown.
 *
 * @example
 * const [a, b] = await spawnServes(2, ['--gallery', 'g.db'], home)
 */
export async function spawnServes(count: number, args: readonly string[], home: string): Promise<ServeProcess[]> {
  const started = await Promise.allSettled(Array.from({ length: count }, () => spawnServe(args, home)));
  const failed = started.find((r) => r.status === 'rejected');
  const running = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  if (failed === undefined) return running;
  await Promise.all(running.map((s) => s.stop()));
  throw failed.reason;
}

/**
 * Writes raw bytes to the server and collects the answer until the server closes the connection
 * (or `waitMs` passes): for requests no HTTP client will send.
 *
 * @example
 * const answer = await rawRequest(port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n')
 */
export function rawRequest(port: number, data: string | Buffer, waitMs = 5000): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    const done = (): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(answer);
    };
    const timer = setTimeout(done, waitMs);
    socket.on('data', (d: Buffer) => (answer += d.toString('latin1')));
    socket.on('close', done);
    socket.on('error', done);
    socket.write(data);
  });
}

/** The JSON body of a raw HTTP answer. */
export function rawJson(answer: string): unknown {
  const i = answer.indexOf('\r\n\r\n');
  return JSON.parse(answer.slice(i + 4));
}
