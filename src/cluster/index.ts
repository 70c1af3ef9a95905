export { averageLinkage, cannotLinkTags, compactLabels, FULL_DEFAULTS, type AverageLinkageOptions } from './average-linkage.js';
export { CHINESE_WHISPERS_DEFAULTS, chineseWhispers, type ChineseWhispersOptions } from './chinese-whispers.js';
export { GrowingIndex } from './growing-index.js';
export { IMMICH_DEFAULTS, immichClustering, type ImmichOptions } from './immich-clustering.js';
export { INCREMENTAL_DEFAULTS, IncrementalClusterer, type FaceAssignment, type IncrementalOptions } from './incremental.js';
export { scoreClustering, type ClusterScores } from './metrics.js';
export { buildNeighbourGraph, NEIGHBOUR_DEFAULTS, type NeighbourGraph, type NeighbourGraphOptions } from './neighbour-graph.js';
export { gaussian, seededRandom } from './random.js';
export { leaveOneOutLinks, secondLook } from './second-look.js';
