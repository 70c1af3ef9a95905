import sharp from 'sharp';
import { sharedPath } from './shared.js';

/** An LFW deep-funneled photo by person and number. */
export function lfwPhoto(name: string, i: number): string {
  return sharedPath('data', 'faces', 'lfw-deepfunneled', name, `${name}_${String(i).padStart(4, '0')}.jpg`);
}

/**
 * A 900×500 JPEG with a big Colin Powell at the left and a small Tony Blair at the exact centre, so
 * that "largest" and "central" pick different people.
 */
export async function groupPhoto(): Promise<Buffer> {
  const big = await sharp(lfwPhoto('Colin_Powell', 40)).resize(400, 400).toBuffer();
  const small = await sharp(lfwPhoto('Tony_Blair', 18)).resize(150, 150).toBuffer();
  return sharp({ create: { width: 900, height: 500, channels: 3, background: { r: 40, g: 40, b: 40 } } })
    .composite([
      { input: big, left: 0, top: 50 },
      { input: small, left: 375, top: 175 },
    ])
    .jpeg()
    .toBuffer();
}
