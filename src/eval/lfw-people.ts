/**
 * Reader for LFW `people.txt` files (LFW README).
 * - View 2 (`people.txt`): first line the number of folds (10), then per fold a line with the
 *   number of people followed by that many `Name\tcount` lines.
 * - View 1 (`peopleDevTrain.txt`, `peopleDevTest.txt`): first line the number of people, then the lines.
 */
import { ArcFaceError } from '../core/index.js';
import { readProtocolText, splitProtocolLines, type ProtocolLine } from './protocol-text.js';

/** One person of a people file. */
export interface LfwPerson {
  readonly fold: number;
  readonly name: string;
  /** Number of images of the person (`Name_0001.jpg` … `Name_%04d.jpg`). */
  readonly images: number;
  readonly line: number;
}

function count(line: ProtocolLine | undefined, what: string, source: string, after: number): number {
  if (line === undefined) throw new ArcFaceError('PROTOCOL_INVALID', `${source}: expected ${what} after line ${after} but the file ended`);
  const t = line.fields[0] as string;
  if (line.fields.length !== 1 || !/^[0-9]+$/.test(t)) {
    throw new ArcFaceError('PROTOCOL_INVALID', `${source}:${line.number}: expected ${what} (one non-negative integer) but received "${line.text}"`, {
      details: { line: line.number },
    });
  }
  return Number(t);
}

/**
 * Parses an LFW people file. A file whose second line is `Name\tcount` is read as View 1 (one fold).
 *
 * @example
 * const people = parseLfwPeople('1\n2\nA\t3\nB\t1\n')
 */
export function parseLfwPeople(text: string, source = 'people.txt'): LfwPerson[] {
  const lines = splitProtocolLines(text);
  const first = count(lines[0], 'the number of folds or people', source, 0);
  const viewOne = lines[1] !== undefined && lines[1].fields.length === 2;
  const folds = viewOne ? 1 : first;
  const out: LfwPerson[] = [];
  let k = 1;
  for (let fold = 0; fold < folds; fold++) {
    const n = viewOne ? first : count(lines[k++], `the number of people of fold ${fold + 1}`, source, (lines[k - 2] ?? { number: 0 }).number);
    for (let i = 0; i < n; i++) {
      const line = lines[k++];
      if (line === undefined) {
        throw new ArcFaceError('PROTOCOL_INVALID', `${source}: expected ${n} people in fold ${fold + 1} but the file ended after ${i}`);
      }
      const [name, images] = line.fields;
      if (line.fields.length !== 2 || images === undefined || !/^[0-9]+$/.test(images) || Number(images) < 1) {
        throw new ArcFaceError('PROTOCOL_INVALID', `${source}:${line.number}: expected "Name<TAB>count" but received "${line.text}"`, {
          details: { line: line.number },
        });
      }
      out.push({ fold, name: name as string, images: Number(images), line: line.number });
    }
  }
  const extra = lines[k];
  if (extra !== undefined) {
    throw new ArcFaceError('PROTOCOL_INVALID', `${source}:${extra.number}: expected the end of the file after ${folds} fold(s) but received "${extra.text}"`, {
      details: { line: extra.number },
    });
  }
  return out;
}

/**
 * Reads and parses an LFW people file.
 *
 * @example
 * const people = await readLfwPeople('/data/lfw/people.txt')
 */
export async function readLfwPeople(path: string): Promise<LfwPerson[]> {
  return parseLfwPeople(await readProtocolText(path), path);
}
