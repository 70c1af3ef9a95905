import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isArcFaceError, type ArcFaceError } from '../../src/core/index.js';
import {
  lfwImagePath,
  parseLfwPairs,
  parseLfwPeople,
  parsePairScores,
  parseVideoSplits,
  readLfwPairs,
  readLfwPeople,
  readPairScores,
  readVideoSplits,
  uniqueLfwImages,
} from '../../src/eval/index.js';
import { sharedPath } from '../helpers/shared.js';
import { goldenScoresFile } from './helpers.js';

function invalidAt(line: number | undefined, pattern: RegExp): (e: unknown) => boolean {
  return (e: unknown) => {
    assert.ok(isArcFaceError(e, 'PROTOCOL_INVALID'), `expected PROTOCOL_INVALID, got ${String(e)}`);
    const err = e as ArcFaceError;
    if (line !== undefined) assert.equal(err.details?.line, line, err.message);
    assert.match(err.message, pattern);
    return true;
  };
}

describe('LFW pairs.txt', () => {
  it('reads the real View 2 file: 10 folds of 300 + 300 pairs over 7,701 images', async () => {
    const lfw = await readLfwPairs(sharedPath('data', 'faces', 'lfw', 'pairs.txt'));
    assert.equal(lfw.folds, 10);
    assert.equal(lfw.pairsPerFold, 300);
    assert.equal(lfw.pairs.length, 6000);
    assert.deepEqual(lfw.pairs[0], { fold: 0, same: true, a: { name: 'Abel_Pacheco', index: 1 }, b: { name: 'Abel_Pacheco', index: 4 }, line: 2 });
    const firstDiff = lfw.pairs[300];
    assert.equal(firstDiff?.same, false);
    assert.equal(firstDiff?.line, 302);
    assert.equal(lfw.pairs[5999]?.fold, 9);
    assert.equal(uniqueLfwImages(lfw.pairs).length, 7701);
    // LFW errata: line 114 is a known mislabelled matched pair in fold 1.
    assert.equal(lfw.pairs.find((p) => p.line === 114)?.a.name, 'Janica_Kostelic');
    assert.equal(lfwImagePath({ name: 'Aaron_Eckhart', index: 1 }), 'Aaron_Eckhart/Aaron_Eckhart_0001.jpg');
  });

  it('reads a View 1 file (single count header) and CRLF line ends', async () => {
    const dev = await readLfwPairs(sharedPath('data', 'faces', 'lfw', 'pairsDevTest.txt'));
    assert.equal(dev.folds, 1);
    assert.equal(dev.pairs.length, 2 * dev.pairsPerFold);
    const crlf = parseLfwPairs('1\t1\r\nA\t1\t2\r\nA\t1\tB\t3\r\n');
    assert.deepEqual(crlf.pairs[1]?.b, { name: 'B', index: 3 });
  });

  it('names the line and what was expected for malformed files', () => {
    assert.throws(() => parseLfwPairs(''), invalidAt(undefined, /header/));
    assert.throws(() => parseLfwPairs('10\t300\t5\n'), invalidAt(1, /header/));
    assert.throws(() => parseLfwPairs('ten\t300\n'), invalidAt(1, /number of folds/));
    assert.throws(() => parseLfwPairs('1\t1\nA\t1\t2\n'), invalidAt(2, /expected 2 pair lines/));
    assert.throws(() => parseLfwPairs('1\t1\nA\t1\tB\t2\nA\t1\t2\n'), invalidAt(2, /matched pair "Name<TAB>i<TAB>j"/));
    assert.throws(() => parseLfwPairs('1\t1\nA\t1\t2\nA\t1\t2\n'), invalidAt(3, /mismatched pair/));
    assert.throws(() => parseLfwPairs('1\t1\nA\tx\t2\nA\t1\tB\t2\n'), invalidAt(2, /image number.*"x"/));
    assert.throws(() => parseLfwPairs('1\t1\nA\t0\t2\nA\t1\tB\t2\n', 'my.txt'), invalidAt(2, /^my\.txt:2:/));
  });

  it('reports a missing file as FILE_NOT_FOUND', async () => {
    await assert.rejects(readLfwPairs('/nonexistent/pairs.txt'), (e) => isArcFaceError(e, 'FILE_NOT_FOUND'));
  });
});

describe('LFW people.txt', () => {
  it('reads the real View 2 file: 10 folds', async () => {
    const people = await readLfwPeople(sharedPath('data', 'faces', 'lfw', 'people.txt'));
    assert.equal(new Set(people.map((p) => p.fold)).size, 10);
    assert.equal(people.filter((p) => p.fold === 0).length, 601);
    assert.deepEqual(people[0], { fold: 0, name: 'Abdel_Madi_Shabneh', images: 1, line: 3 });
    assert.equal(people.length, 5749);
  });

  it('reads a View 1 file', async () => {
    const people = await readLfwPeople(sharedPath('data', 'faces', 'lfw', 'peopleDevTrain.txt'));
    assert.equal(people.length, 4038);
    assert.equal(people[0]?.name, 'AJ_Cook');
  });

  it('names the line and what was expected for malformed files', () => {
    assert.throws(() => parseLfwPeople(''), invalidAt(undefined, /number of folds or people/));
    assert.throws(() => parseLfwPeople('2\n1\nA\t1\nx\n'), invalidAt(4, /number of people of fold 2/));
    assert.throws(() => parseLfwPeople('1\n2\nA\t1\nB\tzero\n'), invalidAt(4, /"Name<TAB>count"/));
    assert.throws(() => parseLfwPeople('1\n3\nA\t1\n'), invalidAt(undefined, /expected 3 people in fold 1 but the file ended after 1/));
    assert.throws(() => parseLfwPeople('1\n1\nA\t1\nB\t2\n'), invalidAt(4, /end of the file/));
  });
});

describe('YTF splits.txt', () => {
  const text = 'split number, first name, second name, ground truth, is same\n1, Aaron_Eckhart/0, Aaron_Eckhart/1, 1, 1\n\n1, A/0, B/2, 0, 0\r\n2,C/1,C/3,1\n';

  it('parses header, spaces, CRLF and one or two flags', () => {
    const pairs = parseVideoSplits(text);
    assert.equal(pairs.length, 3);
    assert.deepEqual(pairs[0], { split: 1, a: 'Aaron_Eckhart/0', b: 'Aaron_Eckhart/1', same: true, line: 2 });
    assert.equal(pairs[1]?.same, false);
    assert.deepEqual(pairs[2], { split: 2, a: 'C/1', b: 'C/3', same: true, line: 5 });
    assert.equal(parseVideoSplits('1, A/0, A/1, 1\n').length, 1);
  });

  it('names the line and what was expected for malformed files', () => {
    assert.throws(() => parseVideoSplits('h\n1, A/0, A/1\n'), invalidAt(2, /at least 4/));
    assert.throws(() => parseVideoSplits('h\n0, A/0, A/1, 1\n'), invalidAt(2, /positive split number/));
    assert.throws(() => parseVideoSplits('h\n1, A/0, A/1, yes\n'), invalidAt(2, /0\/1 same-flags/));
    assert.throws(() => parseVideoSplits('h\n1, , A/1, 1\n'), invalidAt(2, /non-empty video ids/));
    assert.throws(() => parseVideoSplits('h\n1, ../x, A/1, 1\n'), invalidAt(2, /inside the data folder/));
    assert.throws(() => parseVideoSplits('header only\n'), invalidAt(undefined, /at least one pair/));
  });

  it('reports a missing file as FILE_NOT_FOUND', async () => {
    await assert.rejects(readVideoSplits('/nonexistent/splits.txt'), (e) => isArcFaceError(e, 'FILE_NOT_FOUND'));
  });
});

describe('pair scores files', () => {
  it('reads a scores file and a plain {dist, same}; a file of another shape is PROTOCOL_INVALID', async () => {
    const s = await readPairScores(await goldenScoresFile());
    assert.equal(s.dist.length, 6000);
    await assert.rejects(readPairScores(sharedPath('golden', 'lfw-protocol.json')), (e) => isArcFaceError(e, 'PROTOCOL_INVALID'));
    assert.deepEqual(parsePairScores({ dist: [0.5], same: [true] }), { dist: [0.5], same: [true] });
    assert.deepEqual(parsePairScores({ scores: { dist: [0.5], same: [false] } }).same, [false]);
  });

  it('rejects malformed scores with PROTOCOL_INVALID', async () => {
    assert.throws(() => parsePairScores([1, 2]), invalidAt(undefined, /JSON object/));
    assert.throws(() => parsePairScores({ d: [] }), invalidAt(undefined, /arrays "dist" and "same"/));
    assert.throws(() => parsePairScores({ dist: [1, 'x'], same: [true, false] }), invalidAt(undefined, /dist\[1\]/));
    assert.throws(() => parsePairScores({ dist: [1], same: [true, false] }), invalidAt(undefined, /equal length/));
    await assert.rejects(readPairScores(sharedPath('data', 'faces', 'lfw', 'pairs.txt')), invalidAt(undefined, /expected JSON/));
  });
});
