/**
 * Child processes a test started (servers, brokers, CLI runs): each one still running when the test
 * process exits is killed then, so a test that fails half-way, or a runner that forces the exit
 * (`--test-force-exit`), leaves nothing running behind it.
 */
import type { ChildProcess } from 'node:child_process';

const live = new Set<ChildProcess>();
let hooked = false;

/**
 * Registers `child` to be killed (SIGKILL) if it is still running when this process exits; returns it.
 *
 * @example
 * const redis = killOnExit(spawn('redis-server', ['--port', '0']))
 */
export function killOnExit<T extends ChildProcess>(child: T): T {
  if (!hooked) {
    hooked = true;
    process.on('exit', () => {
      for (const c of live) c.kill('SIGKILL');
    });
  }
  if (child.exitCode !== null || child.signalCode !== null) return child;
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}
