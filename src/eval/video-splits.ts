/**
 * Reader for YouTube Faces `splits.txt` (Wolf, Hassner, Maoz, CVPR 2011): a header line
 * `split number, first name, second name, ..., is same` and then one comma-separated line per pair,
 * `1, Aaron_Eckhart/0, Aaron_Eckhart/1, 1, 1`: split (1-based), two videos as `person/video`, and
 * one or more 0/1 flags of which the last says whether the two videos show the same person.
 */
import { ArcFaceError } from '../core/index.js';
import { readProtocolText } from './protocol-text.js';

/** One pair of videos. */
export interface VideoPair {
  /** 1-based split number as written in the file. */
  readonly split: number;
  /** Video ids, `person/video`, relative to the data folder. */
  readonly a: string;
  readonly b: string;
  readonly same: boolean;
  readonly line: number;
}

const FLAG = /^[01]$/;

/**
 * Parses a YTF-style splits file. Lines may be separated by commas with any spaces; a first line
 * whose first field is not a number is taken as the header; blank lines are ignored.
 *
 * @example
 * parseVideoSplits('split, a, b, same\n1, A/0, A/1, 1\n')[0] // { split: 1, a: 'A/0', b: 'A/1', same: true, line: 2 }
 */
export function parseVideoSplits(text: string, source = 'splits.txt'): VideoPair[] {
  if (typeof text !== 'string') throw new TypeError(`Expected the text of a splits file but received ${typeof text}`);
  const out: VideoPair[] = [];
  let first = true;
  text.split(/\r?\n/).forEach((raw, i) => {
    const number = i + 1;
    const t = raw.trim();
    if (t.length === 0) return;
    const f = t.split(',').map((s) => s.trim());
    const isHeader = first && !/^[0-9]+$/.test(f[0] as string);
    first = false;
    if (isHeader) return;
    const bad = (what: string): never => {
      throw new ArcFaceError('PROTOCOL_INVALID', `${source}:${number}: expected ${what} but received "${t}"`, { details: { line: number } });
    };
    if (f.length < 4) bad('"split, video1, video2, is-same" (at least 4 comma-separated fields)');
    if (!/^[0-9]+$/.test(f[0] as string) || Number(f[0]) < 1) bad('a positive split number in the first field');
    const a = f[1] as string;
    const b = f[2] as string;
    if (a.length === 0 || b.length === 0) bad('two non-empty video ids in fields 2 and 3');
    if (a.split('/').includes('..') || b.split('/').includes('..')) bad('video ids inside the data folder (no "..")');
    const flags = f.slice(3);
    if (!flags.every((x) => FLAG.test(x))) bad('0/1 same-flags after the two videos');
    out.push({ split: Number(f[0]), a, b, same: flags[flags.length - 1] === '1', line: number });
  });
  if (out.length === 0) throw new ArcFaceError('PROTOCOL_INVALID', `${source}: expected at least one pair line but received none`);
  return out;
}

/**
 * Reads and parses a YTF-style splits file.
 *
 * @example
 * const pairs = await readVideoSplits('/data/ytf/splits.txt')
 */
export async function readVideoSplits(path: string): Promise<VideoPair[]> {
  return parseVideoSplits(await readProtocolText(path), path);
}
