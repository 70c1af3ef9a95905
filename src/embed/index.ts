export { Embedder, EMBEDDER_DEFAULTS, type EmbedderOptions } from './embedder.js';
export { channelCoefficients, writeCrop, type ChannelCoefficients } from './preprocess.js';
