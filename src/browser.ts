/**
 * The part of ArcFace.ts that runs in a browser: types, errors, vector math, the ArcFace template,
 * similarity estimation, the affine warp, face quality and the tracker (no Node.js or native imports).
 */
export * from './core/index.js';
export * from './align/index.js';
export * from './quality/index.js';
export * from './track/index.js';
export { invertAffine, warpAffine } from './image/warp.js';
