/**
 * An 8-bit sRGB image, RGB interleaved, row-major, no padding: `data.length === width * height * 3`.
 * Every decoder produces one and every model consumes one.
 */
export interface RgbImage {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

/** A point in image pixels, x then y. */
export type Point = readonly [number, number];

/**
 * Five facial landmarks in ArcFace order: image-left eye, image-right eye, nose tip,
 * image-left mouth corner, image-right mouth corner (InsightFace `face_align.arcface_dst` order).
 */
export type Landmarks5 = readonly [Point, Point, Point, Point, Point];

/** An axis-aligned box in image pixels: `[x1, y1, x2, y2]`. */
export type Box = readonly [number, number, number, number];

/** A 2×3 affine matrix `[[a, b, tx], [c, d, ty]]` mapping source points to destination points. */
export type Affine2x3 = readonly [readonly [number, number, number], readonly [number, number, number]];

/** How a face was found: the detection pass that produced it. */
export interface DetectionPass {
  /** `primary` for the first pass at the configured size, `upscaled`/`tiled`/`rescue` for later passes. */
  readonly kind: 'primary' | 'upscaled' | 'tiled' | 'rescue';
  /** The detector input size of that pass, `[width, height]`. */
  readonly inputSize: readonly [number, number];
}

/** A detected face in original image pixels. */
export interface DetectedFace {
  readonly box: Box;
  readonly score: number;
  readonly landmarks: Landmarks5;
  /** How the face was found (absent for faces that were not found by a detector, e.g. given landmarks). */
  readonly pass?: DetectionPass;
}

/** A unit-length embedding. */
export type Embedding = Float32Array;

/**
 * Checks the shape invariants of an {@link RgbImage} and returns it.
 *
 * @example
 * assertRgbImage({ width: 2, height: 1, data: new Uint8Array(6) })
 */
export function assertRgbImage(name: string, img: unknown): RgbImage {
  if (typeof img !== 'object' || img === null) throw new TypeError(`Expected an RgbImage for ${name} but received ${String(img)}`);
  const { width, height, data } = img as Partial<RgbImage>;
  if (!Number.isInteger(width) || !Number.isInteger(height) || (width as number) < 1 || (height as number) < 1) {
    throw new TypeError(`Expected positive integer width and height for ${name} but received ${String(width)}×${String(height)}`);
  }
  if (!(data instanceof Uint8Array) || data.length !== (width as number) * (height as number) * 3) {
    const got = data instanceof Uint8Array ? `${data.length} bytes` : typeof data;
    throw new TypeError(
      `Expected ${name}.data to be a Uint8Array of ${(width as number) * (height as number) * 3} bytes (RGB ${width}×${height}) but received ${got}`,
    );
  }
  return img as RgbImage;
}

/**
 * A model input or output as the ONNX graph declares it; symbolic dims are strings. The model
 * contract (models/) reads it and the runtime (runtime/) reports it, so it lives below both.
 */
export interface TensorInfo {
  readonly name: string;
  readonly type: string;
  readonly shape: readonly (number | string)[];
}
