import { readdirSync } from 'node:fs';
import sharp from 'sharp';
import type { DetectedFace, RgbImage } from '../../src/core/index.js';
import { createFaceDetector, DETECTOR_PRESETS, type FaceDetector } from '../../src/detect/index.js';
import { decodeImage, decodeImageFile } from '../../src/image/index.js';
import { sharedPath } from '../helpers/shared.js';

/** Every staged detector, by preset name. */
export const ALL_DETECTORS = ['yunet-n', 'yunet-s', 'yunet-2023mar', 'scrfd-500m', 'scrfd-2.5g', 'retinaface-mnet025'] as const;

/** Path of a staged detector model; throws when the shared folder lacks it. */
export function detectorPath(name: string): string {
  const preset = DETECTOR_PRESETS[name];
  if (preset === undefined) throw new Error(`unknown detector ${name}`);
  return sharedPath('models', preset.file);
}

/** A detector on one thread (the test machine is shared). */
export async function openDetector(name: string): Promise<FaceDetector> {
  const preset = DETECTOR_PRESETS[name];
  if (preset === undefined) throw new Error(`unknown detector ${name}`);
  return createFaceDetector({ kind: preset.kind, modelPath: detectorPath(name), name }, { intraOpThreads: 1 });
}

/**
 * An LFW image, `variant` `lfw` (150²) or `lfw-deepfunneled` (250²); without `index`, the person's
 * first image in the staged set (which holds only the images `pairs.txt` uses).
 */
export function lfwPath(variant: 'lfw' | 'lfw-deepfunneled', person: string, index?: number): string {
  if (index === undefined) {
    const first = readdirSync(sharedPath('data', 'faces', variant, person))
      .filter((f) => f.endsWith('.jpg'))
      .sort()[0];
    if (first === undefined) throw new Error(`no image of ${person} in ${variant}`);
    return sharedPath('data', 'faces', variant, person, first);
  }
  return sharedPath('data', 'faces', variant, person, `${person}_${String(index).padStart(4, '0')}.jpg`);
}

export async function lfwImage(variant: 'lfw' | 'lfw-deepfunneled', person: string, index?: number): Promise<RgbImage> {
  return decodeImageFile(lfwPath(variant, person, index));
}

/** The centre `size`² of a deep-funneled LFW image, resized to `out`² pixels, as raw RGB. */
export async function faceTile(person: string, out: number, size = 150): Promise<Buffer> {
  const off = Math.round((250 - size) / 2);
  return sharp(lfwPath('lfw-deepfunneled', person)).extract({ left: off, top: off, width: size, height: size }).resize(out, out).removeAlpha().png().toBuffer();
}

/** Composites PNG tiles onto a flat canvas and decodes it as an {@link RgbImage}. */
export async function canvas(
  width: number,
  height: number,
  tiles: readonly { input: Buffer; left: number; top: number }[],
  background = { r: 90, g: 110, b: 100 },
): Promise<RgbImage> {
  const png = await sharp({ create: { width, height, channels: 3, background } })
    .composite(tiles.map((t) => ({ input: t.input, left: t.left, top: t.top })))
    .png()
    .toBuffer();
  return decodeImage(png);
}

/** Asserts-friendly summary of a face: centre of the box. */
export function centre(f: DetectedFace): [number, number] {
  return [(f.box[0] + f.box[2]) / 2, (f.box[1] + f.box[3]) / 2];
}

/** True when every landmark lies inside the box, grown by `slack` of its size on each side. */
export function landmarksInsideBox(f: DetectedFace, slack = 0.05): boolean {
  const w = f.box[2] - f.box[0];
  const h = f.box[3] - f.box[1];
  return f.landmarks.every(([x, y]) => x >= f.box[0] - slack * w && x <= f.box[2] + slack * w && y >= f.box[1] - slack * h && y <= f.box[3] + slack * h);
}

/** Eyes above the nose, nose above the mouth corners, left points left of right points. */
export function landmarksSane(f: DetectedFace): boolean {
  const [le, re, nose, lm, rm] = f.landmarks;
  const eyeY = Math.max(le[1], re[1]);
  return le[0] < re[0] && lm[0] < rm[0] && eyeY < nose[1] && nose[1] < Math.min(lm[1], rm[1]);
}
