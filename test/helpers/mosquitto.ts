/**
 * A mosquitto broker of a test's own (Debian's `mosquitto`, installed by `.ci/run`): anonymous, on a
 * loopback port, no persistence, its config in a temporary folder. It can be stopped and started
 * again on the same port, as a broker that restarts.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { freePort } from './redis.js';
import { killOnExit } from './children.js';

/** A running broker. */
export interface TestMosquitto {
  readonly url: string;
  readonly port: number;
  /** Stops the broker (SIGTERM); it forgets its retained messages. */
  stop(): Promise<void>;
  /** Starts it again on the same port. */
  start(): Promise<void>;
  /** Stops it and removes its folder. */
  close(): Promise<void>;
}

/** The broker binary: `mosquitto` on PATH, else Debian's /usr/sbin/mosquitto (not on a user's PATH). */
function mosquittoBin(): string {
  const onPath = spawnSync('mosquitto', ['-h'], { encoding: 'utf8' });
  if (onPath.error === undefined) return 'mosquitto';
  if (existsSync('/usr/sbin/mosquitto')) return '/usr/sbin/mosquitto';
  throw new Error('mosquitto not found: the MQTT tests need it (apt-get install mosquitto; .ci/run installs it)');
}

async function accepting(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/**
 * Starts mosquitto on a free loopback port. Fails loudly, never skips, when the binary is missing.
 * With `persist`, sessions and retained messages survive a stop and start (saved to its folder on
 * exit), as a real broker's do; without, a restarted broker starts empty.
 *
 * @example
 * const broker = await startMosquitto(); … await broker.close()
 */
export async function startMosquitto(
  options: { readonly persist?: boolean; readonly user?: { readonly name: string; readonly password: string } } = {},
): Promise<TestMosquitto> {
  const bin = mosquittoBin();
  const dir = mkdtempSync(join(tmpdir(), 'arcface-mosquitto-'));
  const port = await freePort();
  const conf = join(dir, 'mosquitto.conf');
  const access = ['allow_anonymous true'];
  if (options.user !== undefined) {
    // mosquitto_passwd comes with Debian's mosquitto package.
    const made = spawnSync('mosquitto_passwd', ['-b', '-c', join(dir, 'passwd'), options.user.name, options.user.password], { encoding: 'utf8' });
    if (made.status !== 0) throw new Error(`mosquitto_passwd failed: ${made.stderr ?? made.error?.message}`);
    access.splice(0, 1, 'allow_anonymous false', `password_file ${join(dir, 'passwd')}`);
  }
  // Run as root, mosquitto drops to the `mosquitto` user, which cannot write this folder: it keeps the test's user instead.
  writeFileSync(
    conf,
    [
      `user ${userInfo().username}`,
      `listener ${port} 127.0.0.1`,
      ...access,
      ...(options.persist === true ? ['persistence true', `persistence_location ${dir}/`] : ['persistence false']),
      'log_dest stderr',
      'log_type error',
      'log_type warning',
      '',
    ].join('\n'),
  );
  let child: ChildProcess | undefined;
  let log = '';
  const start = async (): Promise<void> => {
    const c = killOnExit(spawn(bin, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] }));
    child = c;
    c.stderr?.on('data', (d: Buffer) => {
      log = (log + d.toString()).slice(-4000);
    });
    const deadline = Date.now() + 10_000;
    while (!(await accepting(port))) {
      if (c.exitCode !== null) throw new Error(`mosquitto exited with ${c.exitCode}: ${log}`);
      if (Date.now() > deadline) throw new Error(`mosquitto did not listen on port ${port} within 10 s: ${log}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const stop = async (): Promise<void> => {
    const c = child;
    child = undefined;
    if (c === undefined || c.exitCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGTERM');
    await exited;
  };
  await start();
  return {
    url: `mqtt://127.0.0.1:${port}`,
    port,
    stop,
    start,
    async close(): Promise<void> {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
