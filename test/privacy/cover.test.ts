import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isArcFaceError, type RgbImage } from '../../src/core/index.js';
import {
  ANONYMIZE_DEFAULTS,
  assertIdentitiesKnown,
  COVER_STYLES,
  coverRegions,
  identitiesTagged,
  padBox,
  resolveAnonymizePolicy,
} from '../../src/privacy/index.js';

/** A 40×30 frame of a diagonal gradient, so a blur or pixelation changes every covered pixel. */
function gradient(): RgbImage {
  const width = 40;
  const height = 30;
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.set([x * 6, y * 8, (x * y) % 256], (y * width + x) * 3);
  return { width, height, data };
}

describe('covering regions', () => {
  it('padBox grows a box by the share on every side, rounds outwards and clips to the frame', () => {
    assert.deepEqual(padBox([100, 80, 164, 160], 0.25, 640, 360), [84, 60, 180, 180]);
    assert.deepEqual(padBox([-10, 5, 20, 25], 0.5, 30, 30), [0, 0, 30, 30]);
    assert.deepEqual(padBox([10.5, 10.5, 12.2, 12.2], 0, 40, 40), [10, 10, 13, 13]);
    assert.equal(padBox([50, 50, 60, 60], 0, 40, 40), undefined);
    assert.throws(() => padBox([0, 0, 1, 1], -0.1, 10, 10), RangeError);
  });

  for (const style of COVER_STYLES) {
    it(`${style}: pixels inside the region change and none outside does; the input is not changed`, () => {
      const img = gradient();
      const before = new Uint8Array(img.data);
      const out = coverRegions(img, [[8, 6, 28, 22]], style);
      assert.deepEqual(img.data, before, 'input untouched');
      let changedInside = 0;
      for (let y = 0; y < img.height; y++) {
        for (let x = 0; x < img.width; x++) {
          const i = (y * img.width + x) * 3;
          const same = out.data[i] === before[i] && out.data[i + 1] === before[i + 1] && out.data[i + 2] === before[i + 2];
          const inside = x >= 8 && x < 28 && y >= 6 && y < 22;
          if (!inside) assert.ok(same, `(${x}, ${y}) outside the region changed`);
          else if (!same) changedInside++;
        }
      }
      assert.ok(changedInside > 0.8 * 20 * 16, `${changedInside} of 320 pixels inside changed`);
    });
  }

  it('fill paints the region black', () => {
    const out = coverRegions(gradient(), [[0, 0, 4, 4]], 'fill');
    assert.deepEqual([...out.data.subarray(0, 12)], new Array(12).fill(0));
  });

  it('refuses an unknown style and a non-image', () => {
    assert.throws(() => coverRegions(gradient(), [], 'smudge' as never), /style/);
    assert.throws(() => coverRegions({ width: 2, height: 2, data: new Uint8Array(3) }, [], 'blur'), TypeError);
  });
});

describe('anonymise policy', () => {
  it('fills the defaults and copies the ids without duplicates', () => {
    const p = resolveAnonymizePolicy({ mode: 'keep', ids: ['a', 'b', 'a'] });
    assert.deepEqual(p.ids, ['a', 'b']);
    assert.equal(p.style, ANONYMIZE_DEFAULTS.style);
    assert.equal(p.pad, ANONYMIZE_DEFAULTS.pad);
    assert.ok(Object.isFrozen(p));
  });

  it('refuses ids in mode all, none in keep and only, and values out of range', () => {
    assert.ok(
      isArcFaceError(
        catchIt(() => resolveAnonymizePolicy({ mode: 'all', ids: ['a'] })),
        'INVALID_ARGUMENT',
      ),
    );
    assert.ok(
      isArcFaceError(
        catchIt(() => resolveAnonymizePolicy({ mode: 'keep' })),
        'INVALID_ARGUMENT',
      ),
    );
    assert.ok(
      isArcFaceError(
        catchIt(() => resolveAnonymizePolicy({ mode: 'only', ids: [] })),
        'INVALID_ARGUMENT',
      ),
    );
    assert.throws(() => resolveAnonymizePolicy({ mode: 'blur' as never }), /mode/);
    assert.throws(() => resolveAnonymizePolicy({ pad: 5 }), RangeError);
    assert.throws(() => resolveAnonymizePolicy({ lookAhead: 1.5 }), TypeError);
    assert.throws(() => resolveAnonymizePolicy({ mode: 'keep', ids: [''] }), TypeError);
  });

  it('a gallery tag names the identities whose metadata tags hold it; a tag nobody has, or an id not in the gallery, is an error', async () => {
    const gallery = {
      list: async () => [
        { id: 'carol', metadata: { tags: ['consented', 'staff'] } },
        { id: 'alice', metadata: { tags: ['consented'] } },
        { id: 'bob', metadata: {} },
      ],
    };
    assert.deepEqual(await identitiesTagged(gallery, 'consented'), ['alice', 'carol']);
    await assert.rejects(identitiesTagged(gallery, 'consneted'), (e: unknown) => isArcFaceError(e, 'NOT_FOUND'));
    await assertIdentitiesKnown(gallery, ['alice', 'bob']);
    await assert.rejects(
      assertIdentitiesKnown(gallery, ['alice', 'alcie']),
      (e: unknown) => isArcFaceError(e, 'IDENTITY_NOT_FOUND') && /"alcie"/.test((e as Error).message),
    );
  });
});

function catchIt(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  return undefined;
}
