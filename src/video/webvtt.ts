/**
 * WebVTT subtitles (W3C WebVTT, https://www.w3.org/TR/webvtt1/): names on screen for any player.
 */

/** One subtitle: shown from `start` to `end` seconds. */
export interface Cue {
  readonly start: number;
  readonly end: number;
  readonly text: string;
}

/**
 * A time as WebVTT writes it: `HH:MM:SS.mmm` (hours always present, at least two digits).
 *
 * @example
 * vttTime(3725.5) // '01:02:05.500'
 */
export function vttTime(seconds: number): string {
  const ms = Math.round(seconds * 1000);
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = Math.floor((ms % 60_000) / 1000);
  const pad = (v: number, n: number): string => String(v).padStart(n, '0');
  return `${pad(h, 2)}:${pad(m, 2)}:${pad(s, 2)}.${pad(ms % 1000, 3)}`;
}

/** Cue text made safe: `&`, `<`, `>` escaped (so `-->` cannot end a timing line), no blank lines, which would end the cue. */
function escapeCueText(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .split(/\r\n|\r|\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .join('\n');
}

/**
 * Serialises cues as a WebVTT file: the `WEBVTT` header, then the cues sorted by start (then end),
 * times as `HH:MM:SS.mmm`, text escaped. Cues with no text left after escaping are skipped.
 *
 * @example
 * toWebVtt([{ start: 1.2, end: 4, text: 'Alice' }])
 * // 'WEBVTT\n\n00:00:01.200 --> 00:00:04.000\nAlice\n'
 */
export function toWebVtt(cues: readonly Cue[]): string {
  if (!Array.isArray(cues)) throw new TypeError(`Expected an array of cues but received ${typeof cues}`);
  cues.forEach((c, i) => {
    if (typeof c?.start !== 'number' || typeof c.end !== 'number' || !Number.isFinite(c.start) || !Number.isFinite(c.end)) {
      throw new TypeError(`Expected cues[${i}] to have finite start and end seconds but received ${JSON.stringify(c)}`);
    }
    if (c.start < 0 || Math.round(c.end * 1000) <= Math.round(c.start * 1000)) {
      throw new RangeError(`Expected cues[${i}] to start at 0 s or later and end at least 1 ms after it starts but received ${c.start}–${c.end}`);
    }
    if (typeof c.text !== 'string') throw new TypeError(`Expected cues[${i}].text as a string but received ${typeof c.text}`);
  });
  const body = [...cues]
    .sort((a, b) => a.start - b.start || a.end - b.end)
    .map((c) => ({ ...c, text: escapeCueText(c.text) }))
    .filter((c) => c.text !== '')
    .map((c) => `${vttTime(c.start)} --> ${vttTime(c.end)}\n${c.text}\n`);
  return ['WEBVTT\n', ...body].join('\n');
}
