import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { ARCFACE_TEMPLATE_112, estimateNorm, normCrop } from '../../src/align/index.js';
import type { Landmarks5 } from '../../src/core/index.js';
import { decodeImage } from '../../src/image/index.js';
import { sharedPath } from '../helpers/shared.js';

interface AlignCase {
  image: string;
  landmarks: [number, number][];
  matrix: [number[], number[]];
  crop: string;
}

const golden = JSON.parse(await readFile(sharedPath('golden', 'align', 'cases.json'), 'utf8')) as {
  template: [number, number][];
  cases: AlignCase[];
};

/**
 * cases.json stores landmarks rounded to 4 decimals, but its matrices were estimated from the
 * unrounded points. Rounding alone (±5e-5 px per coordinate) moves the translation by up to 6.8e-4
 * on these cases (measured by perturbing the stored points), because the translation carries the
 * scale and rotation error times the landmarks' distance from the origin. The linear part is held to
 * 1e-4 as the README asks; the translation to 1e-3. `similarity.test.ts` checks exactness on exact
 * inputs to 1e-9.
 */
const TRANSLATION_TOLERANCE = 1e-3;

describe('alignment reproduces golden/align', () => {
  it('uses the same template as the reference', () => {
    assert.deepEqual(
      ARCFACE_TEMPLATE_112.map((p) => [...p]),
      golden.template,
    );
  });

  it(`has ${golden.cases.length} cases to check`, () => {
    assert.ok(golden.cases.length >= 20);
  });

  for (const [i, c] of golden.cases.entries()) {
    it(`case ${i}: ${c.image}`, async () => {
      const m = estimateNorm(c.landmarks as unknown as Landmarks5);
      for (let r = 0; r < 2; r++) {
        for (let k = 0; k < 3; k++) {
          const got = (m[r] as readonly number[])[k] as number;
          const want = (c.matrix[r] as number[])[k] as number;
          const tol = k === 2 ? TRANSLATION_TOLERANCE : 1e-4;
          assert.ok(Math.abs(got - want) <= tol, `matrix[${r}][${k}] = ${got}, expected ${want} ± ${tol}`);
        }
      }
      const img = await decodeImage(await readFile(sharedPath(c.image)));
      const { crop } = normCrop(img, c.landmarks as unknown as Landmarks5);
      const ref = await decodeImage(await readFile(sharedPath(c.crop)));
      assert.equal(crop.width, ref.width);
      assert.equal(crop.height, ref.height);
      let sum = 0;
      let max = 0;
      for (let j = 0; j < ref.data.length; j++) {
        const d = Math.abs((crop.data[j] as number) - (ref.data[j] as number));
        sum += d;
        if (d > max) max = d;
      }
      const mean = sum / ref.data.length;
      assert.ok(mean <= 1, `mean abs diff ${mean.toFixed(3)} > 1`);
      assert.ok(max <= 12, `max abs diff ${max} > 12`);
    });
  }
});
