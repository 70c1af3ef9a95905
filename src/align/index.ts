export { ARCFACE_TEMPLATE_112, arcfaceTemplate } from './template.js';
export { estimateSimilarity } from './similarity.js';
export { estimateNorm, normCrop, type AlignedFace } from './norm-crop.js';
