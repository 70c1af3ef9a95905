/**
 * The part of ArcFace.ts that runs in a browser: types, errors, vector math, the ArcFace template,
 * similarity estimation and the affine warp (no Node.js or native imports).
 */
export * from './core/index.js';
export * from './align/index.js';
export { invertAffine, warpAffine } from './image/warp.js';
