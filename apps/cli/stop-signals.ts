/**
 * How a long-running command is asked to stop: Ctrl-C in a terminal (SIGINT), or a service manager
 * such as systemd or Docker (SIGTERM). Both mean the same: finish what is in hand, write what was
 * seen, exit. The first signal is handled; the handlers are then removed, so a second one ends the
 * process at once, as Node does by default.
 */

/** The signals that ask a command to stop. */
export const STOP_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];

/**
 * Calls `stop` on the first SIGINT or SIGTERM; returns the function that removes the handlers (call it
 * once the work is over, signal or not).
 *
 * @example
 * const abort = new AbortController()
 * const off = onStopSignal(() => abort.abort())
 * try { await work(abort.signal) } finally { off() }
 */
export function onStopSignal(stop: (signal: NodeJS.Signals) => void): () => void {
  const off = (): void => {
    for (const s of STOP_SIGNALS) process.off(s, handler);
  };
  const handler = (signal: NodeJS.Signals): void => {
    off();
    stop(signal);
  };
  for (const s of STOP_SIGNALS) process.on(s, handler);
  return off;
}
