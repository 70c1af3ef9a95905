/**
 * ArcFace.ts public API (Node.js): decode → detect → align → embed → verify / identify, plus
 * evaluation and galleries. Each folder's barrel is the public surface of its concept.
 */
export * from './core/index.js';
export * from './image/index.js';
export * from './runtime/index.js';
export * from './models/index.js';
export * from './detect/index.js';
export * from './align/index.js';
export * from './embed/index.js';
export * from './pipeline/index.js';
export * from './gallery/index.js';
export * from './eval/index.js';
export * from './quality/index.js';
export * from './cluster/index.js';
export * from './people/index.js';
