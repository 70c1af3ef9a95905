import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { deflateSync } from 'node:zlib';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { decodeImage, decodeImageFile, readImageHeader, resolveDecodeLimits, sniffFormat } from '../../src/image/index.js';
import { sharedPath, testOutputDir } from '../helpers/shared.js';

const jpegPath = sharedPath('data', 'faces', 'lfw-deepfunneled', 'Dan_LaCoutre', 'Dan_LaCoutre_0001.jpg');
const jpeg = await readFile(jpegPath);
const base = await sharp(jpeg).raw().toBuffer({ resolveWithObject: true });

function crc32(buf: Uint8Array): number {
  let c = ~0;
  for (const b of buf) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return ~c >>> 0;
}
function chunk(type: string, data: Uint8Array): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'ascii'), Buffer.from(data)]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}
/** A PNG whose header claims width×height but holds almost no data: a decompression bomb's header. */
function bombPng(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  ihdr[9] = 2;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.alloc(10))),
    chunk('IEND', new Uint8Array()),
  ]);
}

describe('decodeImage', () => {
  it('decodes JPEG to RGB 8-bit', async () => {
    const img = await decodeImage(jpeg);
    assert.equal(img.width, 250);
    assert.equal(img.height, 250);
    assert.equal(img.data.length, 250 * 250 * 3);
  });

  it('decodes PNG, WebP, TIFF, GIF (first frame), AVIF to the same pixels (lossless) or close (lossy)', async () => {
    const raw = sharp(base.data, { raw: { width: base.info.width, height: base.info.height, channels: 3 } });
    const ref = await decodeImage(await raw.clone().png().toBuffer());
    assert.deepEqual(Buffer.from(ref.data), base.data);
    for (const [fmt, buf, tol] of [
      ['webp', await raw.clone().webp({ lossless: true }).toBuffer(), 0],
      ['tiff', await raw.clone().tiff({ compression: 'lzw' }).toBuffer(), 0],
      ['gif', await raw.clone().gif().toBuffer(), 60],
      ['avif', await raw.clone().avif({ quality: 90 }).toBuffer(), 40],
    ] as const) {
      const img = await decodeImage(buf);
      assert.equal(img.width, 250, fmt);
      let sum = 0;
      for (let i = 0; i < img.data.length; i++) sum += Math.abs(img.data[i]! - ref.data[i]!);
      assert.ok(sum / img.data.length <= tol + 0.01, `${fmt}: mean diff ${sum / img.data.length}`);
    }
  });

  it('converts grey, grey+alpha, RGBA, 16-bit and palette images to 3-channel RGB', async () => {
    const grey = await sharp(jpeg).greyscale().png().toBuffer();
    const g = await decodeImage(grey);
    assert.equal(g.data.length, 250 * 250 * 3);
    assert.equal(g.data[0], g.data[1]);
    const rgba = await sharp(jpeg).ensureAlpha(0.5).png().toBuffer();
    assert.equal((await decodeImage(rgba)).data.length, 250 * 250 * 3);
    const sixteen = await sharp(jpeg).png().toColourspace('rgb16').toBuffer();
    const s = await decodeImage(sixteen);
    assert.equal(s.data.length, 250 * 250 * 3);
    const palette = await sharp(jpeg).png({ palette: true, colours: 16 }).toBuffer();
    assert.equal((await decodeImage(palette)).data.length, 250 * 250 * 3);
    const cmyk = await sharp(jpeg).toColourspace('cmyk').jpeg().toBuffer();
    const c = await decodeImage(cmyk);
    assert.equal(c.data.length, 250 * 250 * 3);
  });

  it('applies EXIF orientation', async () => {
    const wide = await sharp({ create: { width: 40, height: 20, channels: 3, background: { r: 255, g: 0, b: 0 } } })
      .jpeg()
      .withMetadata({ orientation: 6 })
      .toBuffer();
    const img = await decodeImage(wide);
    assert.deepEqual([img.width, img.height], [20, 40]);
    const h = await readImageHeader(wide);
    assert.deepEqual([h.orientedWidth, h.orientedHeight], [20, 40]);
  });

  it('refuses empty input with IMAGE_EMPTY', async () => {
    await assert.rejects(decodeImage(new Uint8Array()), { code: 'IMAGE_EMPTY' });
  });

  it('refuses a text file named .jpg with IMAGE_UNSUPPORTED_FORMAT', async () => {
    const dir = testOutputDir('decode');
    await mkdir(dir, { recursive: true });
    await writeFile(`${dir}/notes.jpg`, 'this is a text file, not a photo\n');
    await assert.rejects(decodeImageFile(`${dir}/notes.jpg`), { code: 'IMAGE_UNSUPPORTED_FORMAT' });
  });

  it('refuses SVG and other XML by its first bytes, before any parser, in its own words', async () => {
    for (const text of ['<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9"><<<', '<?xml version="1.0"?><svg/>', '%PDF-1.7']) {
      await assert.rejects(
        decodeImage(Buffer.from(text)),
        (e: Error & { code?: string }) => e.code === 'IMAGE_UNSUPPORTED_FORMAT' && !/xml|glib|svg|rsvg/i.test(e.message),
      );
    }
    assert.equal(sniffFormat(jpeg), 'jpeg');
    assert.equal(sniffFormat(await sharp(jpeg).webp().toBuffer()), 'webp');
  });

  it('keeps decoder messages out of its own: the library text is only in the cause', async () => {
    const err = await decodeImage(jpeg.subarray(0, Math.floor(jpeg.length / 2))).then(
      () => undefined,
      (e: Error) => e,
    );
    assert.ok(err instanceof Error);
    assert.doesNotMatch(err.message, /vips|premature|jpeg:/i);
    assert.ok(err.cause instanceof Error);
  });

  it('refuses truncated JPEG, PNG, WebP and GIF files with IMAGE_TRUNCATED', async () => {
    await assert.rejects(decodeImage(jpeg.subarray(0, Math.floor(jpeg.length / 2))), { code: 'IMAGE_TRUNCATED' });
    for (const buf of [await sharp(jpeg).png().toBuffer(), await sharp(jpeg).webp().toBuffer(), await sharp(jpeg).gif().toBuffer()]) {
      await assert.rejects(decodeImage(buf.subarray(0, Math.floor(buf.length / 2))), { code: 'IMAGE_TRUNCATED' });
    }
  });

  it('refuses a corrupt image with IMAGE_CORRUPT', async () => {
    const bad = Buffer.from(jpeg);
    for (let i = 600; i < bad.length - 200; i += 7) bad[i] = 0xff;
    await assert.rejects(decodeImage(bad), (e: Error & { code?: string }) => e.code === 'IMAGE_CORRUPT' || e.code === 'IMAGE_TRUNCATED');
    const png = await sharp(jpeg).png().toBuffer();
    const badPng = Buffer.from(png);
    badPng.fill(0x41, 100, 400);
    await assert.rejects(decodeImage(badPng), { code: 'IMAGE_CORRUPT' });
  });

  it('refuses a 50000×50000 PNG header before decoding, with IMAGE_TOO_LARGE', async () => {
    const bomb = bombPng(50000, 50000);
    assert.ok(bomb.length < 200);
    const h = await readImageHeader(bomb);
    assert.deepEqual([h.width, h.height], [50000, 50000]);
    await assert.rejects(decodeImage(bomb), (e: Error & { code?: string }) => e.code === 'IMAGE_TOO_LARGE' && /50000×50000/.test(e.message));
  });

  it('honours a configured pixel and byte limit', async () => {
    await assert.rejects(decodeImage(jpeg, { maxPixels: 100 * 100 }), { code: 'IMAGE_TOO_LARGE' });
    await assert.rejects(decodeImage(jpeg, { maxBytes: 100 }), { code: 'IMAGE_TOO_LARGE' });
    assert.throws(() => resolveDecodeLimits({ maxPixels: 0 }), RangeError);
    assert.throws(() => resolveDecodeLimits({ maxPixels: 1.5 }), TypeError);
  });

  it('refuses a missing file with FILE_NOT_FOUND', async () => {
    await assert.rejects(decodeImageFile('/nonexistent/face.jpg'), { code: 'FILE_NOT_FOUND' });
  });
});
