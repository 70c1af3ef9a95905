/** A stream progress is written to: stderr in the CLI. `isTTY` decides between a live bar and periodic lines. */
export interface ProgressStream {
  write(chunk: string): boolean;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

/** Options of {@link createProgress}. */
export interface ProgressOptions {
  /** Number of items (or bytes) expected; `undefined` or 0 when unknown (no percentage, no ETA). */
  readonly total?: number;
  readonly label: string;
  readonly stream: ProgressStream;
  /** `--json` mode: write nothing at all, so stderr stays clean for machines. */
  readonly silent?: boolean;
  /** `bytes` shows sizes in KB/MB/GB; `items` (default) shows counts. */
  readonly unit?: 'items' | 'bytes';
  /** Gap between lines when the stream is not a terminal; default {@link PROGRESS_DEFAULTS}. */
  readonly lineIntervalMs?: number;
  /** Clock in ms, injectable for tests; `Date.now` by default. */
  readonly now?: () => number;
}

/** A running progress display. */
export interface Progress {
  /** Adds `n` (default 1) to the count done. */
  tick(n?: number): void;
  /** Sets the count done (e.g. bytes received so far). */
  update(done: number, total?: number): void;
  /** Writes the final state and ends the line; later calls do nothing. */
  done(): void;
}

/**
 * Timing of the progress writer. A terminal bar is redrawn at most 10 times a second (fast enough to
 * look live, cheap enough for tight loops); a log file gets one line every 5 seconds.
 */
export const PROGRESS_DEFAULTS = Object.freeze({ redrawMs: 100, lineIntervalMs: 5000, barWidth: 24 });

function formatCount(n: number, unit: 'items' | 'bytes'): string {
  if (unit === 'items') return String(Math.round(n));
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}

/**
 * A duration as `m:ss` or `h:mm:ss`.
 *
 * @example
 * formatDuration(75_000) // '1:15'
 */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/**
 * A progress bar with ETA for commands that process many files or download large ones. On a
 * terminal it redraws one line in place; otherwise it prints a plain line every few seconds and a
 * final line; in `silent` (`--json`) mode it writes nothing.
 *
 * @example
 * const bar = createProgress({ total: files.length, label: 'embedding', stream: process.stderr, silent: ctx.json })
 * for (const f of files) { await work(f); bar.tick() }
 * bar.done()
 */
export function createProgress(options: ProgressOptions): Progress {
  if (typeof options.label !== 'string') throw new TypeError(`Expected a string for label but received ${typeof options.label}`);
  if (options.total !== undefined && !(Number.isFinite(options.total) && options.total >= 0)) {
    throw new RangeError(`Expected a finite total of at least 0 but received ${options.total}`);
  }
  if (typeof options.stream?.write !== 'function') throw new TypeError('Expected a writable stream for stream but received none');
  const now = options.now ?? Date.now;
  const unit = options.unit ?? 'items';
  const tty = options.stream.isTTY === true;
  const lineInterval = options.lineIntervalMs ?? PROGRESS_DEFAULTS.lineIntervalMs;
  const start = now();
  let total = options.total !== undefined && options.total > 0 ? options.total : undefined;
  let count = 0;
  let lastDraw = Number.NEGATIVE_INFINITY;
  let finished = false;
  let drawnWidth = 0;

  const describe = (final: boolean): string => {
    const elapsed = now() - start;
    const parts: string[] = [];
    if (total !== undefined) {
      const frac = Math.min(1, count / total);
      if (tty) {
        const filled = Math.round(frac * PROGRESS_DEFAULTS.barWidth);
        parts.push(`[${'#'.repeat(filled)}${'-'.repeat(PROGRESS_DEFAULTS.barWidth - filled)}]`);
      }
      parts.push(`${Math.floor(frac * 100)}%`, `${formatCount(count, unit)}/${formatCount(total, unit)}`);
      if (final) parts.push(`in ${formatDuration(elapsed)}`);
      else if (count > 0 && count < total) parts.push(`ETA ${formatDuration((elapsed / count) * (total - count))}`);
    } else {
      parts.push(formatCount(count, unit));
      if (final) parts.push(`in ${formatDuration(elapsed)}`);
      else if (elapsed > 0 && unit === 'bytes') parts.push(`${formatCount(Math.round((count / elapsed) * 1000), unit)}/s`);
    }
    return `${options.label}: ${parts.join(' ')}`;
  };

  const draw = (final: boolean): void => {
    if (options.silent === true) return;
    const t = now();
    if (!final && t - lastDraw < (tty ? PROGRESS_DEFAULTS.redrawMs : lineInterval)) return;
    lastDraw = t;
    const text = describe(final);
    if (tty) {
      const max = (options.stream.columns ?? 80) - 1;
      const line = text.length > max ? text.slice(0, max) : text;
      options.stream.write(`\r${line}${' '.repeat(Math.max(0, drawnWidth - line.length))}${final ? '\n' : ''}`);
      drawnWidth = line.length;
    } else {
      options.stream.write(`${text}\n`);
    }
  };

  return {
    tick(n = 1): void {
      if (finished) return;
      count += n;
      draw(false);
    },
    update(done: number, newTotal?: number): void {
      if (finished) return;
      count = done;
      if (newTotal !== undefined && newTotal > 0) total = newTotal;
      draw(false);
    },
    done(): void {
      if (finished) return;
      finished = true;
      draw(true);
    },
  };
}
