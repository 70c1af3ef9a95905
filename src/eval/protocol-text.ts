/**
 * Line splitting and file reading shared by the protocol readers (pairs, people, video splits).
 */
import { readFileBytes } from '../image/index.js';

/** One non-blank line of a protocol file. */
export interface ProtocolLine {
  /** 1-based line number in the file. */
  readonly number: number;
  /** The line without surrounding white space. */
  readonly text: string;
  /** The line split on runs of white space (LFW files use tabs). */
  readonly fields: readonly string[];
}

/**
 * Non-blank lines of `text`, with their 1-based numbers; accepts LF and CRLF.
 *
 * @example
 * splitProtocolLines('10\t300\n\nA\t1\t2\n')[1] // { number: 3, text: 'A\t1\t2', fields: ['A', '1', '2'] }
 */
export function splitProtocolLines(text: string): ProtocolLine[] {
  if (typeof text !== 'string') throw new TypeError(`Expected the text of a protocol file but received ${typeof text}`);
  const out: ProtocolLine[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const t = raw.trim();
    if (t.length > 0) out.push({ number: i + 1, text: t, fields: t.split(/\s+/) });
  });
  return out;
}

/**
 * Reads a UTF-8 protocol file; a missing file is a coded `FILE_NOT_FOUND`.
 *
 * @example
 * const text = await readProtocolText('/data/lfw/pairs.txt')
 */
export async function readProtocolText(path: string): Promise<string> {
  return new TextDecoder().decode(await readFileBytes(path, 'a protocol file'));
}
