/**
 * Reader for LFW `pairs.txt` files (LFW README, "Training, Validation, and Testing").
 * - View 2 (`pairs.txt`): first line `10\t300`: 10 folds, each 300 matched then 300 mismatched pairs.
 * - View 1 (`pairsDevTrain.txt`, `pairsDevTest.txt`): first line `N`: one set of N matched then N mismatched.
 * A matched pair is `Name\ti\tj`, a mismatched pair `Name1\ti\tName2\tj`; image i of Name is the
 * file `Name/Name_%04d.jpg`.
 */
import { ArcFaceError } from '../core/index.js';
import { readProtocolText, splitProtocolLines, type ProtocolLine } from './protocol-text.js';

/** One image of an LFW person: `Name/Name_%04d.jpg`. */
export interface LfwImageRef {
  readonly name: string;
  /** 1-based image number. */
  readonly index: number;
}

/** One pair of `pairs.txt`. */
export interface LfwPair {
  /** 0-based fold (View 1 files have a single fold 0). */
  readonly fold: number;
  readonly same: boolean;
  readonly a: LfwImageRef;
  readonly b: LfwImageRef;
  /** 1-based line number in the file (the header is line 1). */
  readonly line: number;
}

/** A parsed pairs file. */
export interface LfwPairs {
  readonly folds: number;
  /** Matched pairs per fold (the same number of mismatched pairs follows them). */
  readonly pairsPerFold: number;
  /** All pairs in file order: fold by fold, matched then mismatched. */
  readonly pairs: readonly LfwPair[];
}

/**
 * Relative path of an LFW image: `Name/Name_0001.jpg`.
 *
 * @example
 * lfwImagePath({ name: 'Aaron_Eckhart', index: 1 }) // 'Aaron_Eckhart/Aaron_Eckhart_0001.jpg'
 */
export function lfwImagePath(ref: LfwImageRef): string {
  return `${ref.name}/${ref.name}_${String(ref.index).padStart(4, '0')}.jpg`;
}

function positiveInt(text: string, line: ProtocolLine, what: string, source: string): number {
  if (!/^[0-9]+$/.test(text) || Number(text) < 1) {
    throw new ArcFaceError('PROTOCOL_INVALID', `${source}:${line.number}: expected ${what} (a positive integer) but received "${text}"`, {
      details: { line: line.number },
    });
  }
  return Number(text);
}

/**
 * Parses the text of an LFW pairs file. `source` names the file in error messages.
 *
 * @example
 * const { pairs } = parseLfwPairs('1\t1\nA\t1\t2\nA\t1\tB\t1\n')
 */
export function parseLfwPairs(text: string, source = 'pairs.txt'): LfwPairs {
  const lines = splitProtocolLines(text);
  const header = lines[0];
  if (header === undefined) throw new ArcFaceError('PROTOCOL_INVALID', `${source}: expected a header line "folds<TAB>pairs" or "pairs" but the file is empty`);
  if (header.fields.length > 2) {
    throw new ArcFaceError('PROTOCOL_INVALID', `${source}:${header.number}: expected a header "folds<TAB>pairs" or "pairs" but received "${header.text}"`, {
      details: { line: header.number },
    });
  }
  const folds = header.fields.length === 2 ? positiveInt(header.fields[0] as string, header, 'the number of folds', source) : 1;
  const perFold = positiveInt(header.fields[header.fields.length - 1] as string, header, 'the number of pairs per fold', source);
  const body = lines.slice(1);
  const expected = folds * perFold * 2;
  if (body.length !== expected) {
    throw new ArcFaceError(
      'PROTOCOL_INVALID',
      `${source}: expected ${expected} pair lines (${folds} folds × ${perFold} matched + ${perFold} mismatched) after the header but received ${body.length}`,
      { details: { line: (body[body.length - 1] ?? header).number } },
    );
  }
  const pairs = body.map((line, k): LfwPair => {
    const fold = Math.floor(k / (2 * perFold));
    const same = k % (2 * perFold) < perFold;
    const f = line.fields;
    if (same && f.length === 3) {
      const name = f[0] as string;
      const a = { name, index: positiveInt(f[1] as string, line, 'an image number', source) };
      return { fold, same, a, b: { name, index: positiveInt(f[2] as string, line, 'an image number', source) }, line: line.number };
    }
    if (!same && f.length === 4) {
      const a = { name: f[0] as string, index: positiveInt(f[1] as string, line, 'an image number', source) };
      const b = { name: f[2] as string, index: positiveInt(f[3] as string, line, 'an image number', source) };
      return { fold, same, a, b, line: line.number };
    }
    const want = same ? 'a matched pair "Name<TAB>i<TAB>j"' : 'a mismatched pair "Name1<TAB>i<TAB>Name2<TAB>j"';
    throw new ArcFaceError('PROTOCOL_INVALID', `${source}:${line.number}: expected ${want} (fold ${fold + 1}) but received "${line.text}"`, {
      details: { line: line.number },
    });
  });
  return { folds, pairsPerFold: perFold, pairs };
}

/**
 * Reads and parses an LFW pairs file.
 *
 * @example
 * const lfw = await readLfwPairs('/data/lfw/pairs.txt')
 */
export async function readLfwPairs(path: string): Promise<LfwPairs> {
  return parseLfwPairs(await readProtocolText(path), path);
}

/**
 * The distinct images of a pair list, in first-use order.
 *
 * @example
 * const images = uniqueLfwImages(lfw.pairs) // 7,701 for View 2
 */
export function uniqueLfwImages(pairs: readonly LfwPair[]): LfwImageRef[] {
  const seen = new Map<string, LfwImageRef>();
  for (const p of pairs) {
    for (const r of [p.a, p.b]) {
      const key = lfwImagePath(r);
      if (!seen.has(key)) seen.set(key, r);
    }
  }
  return [...seen.values()];
}
