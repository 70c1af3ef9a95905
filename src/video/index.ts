export { openVideoSource, validateVideoSourceOptions } from './open-video-source.js';
export { createPushSource, DEFAULT_PUSH_CAPACITY, type PushSource, type PushSourceOptions } from './push-source.js';
export { DEFAULT_FOLDER_FPS, FRAME_EXTENSIONS, listFrameFiles, naturalCompare } from './folder-source.js';
export { DEFAULT_FILE_CAPACITY, DEFAULT_OPEN_TIMEOUT_MS } from './ffmpeg-source.js';
export { DEFAULT_RECONNECT_DELAY_MS, MAX_RECONNECT_DELAY_MS, ReconnectingFrameSource, reconnectDelay, type ReconnectPolicy } from './reconnecting-source.js';
export {
  bundledFfmpegPath,
  chooseFfmpeg,
  defaultFfmpegPath,
  ffmpegVersion,
  redactSource,
  runFfmpeg,
  type FfmpegChoice,
  type FfmpegOrigin,
  type FfmpegRun,
} from './ffmpeg.js';
export { CONTAINER_SNIFF_BYTES, sniffVideoContainer, VIDEO_CONTAINERS, type VideoContainer } from './container.js';
export { drawOverlays, DEFAULT_OVERLAY_COLOR, type Overlay } from './draw-overlays.js';
export { placeLabels, type LabelPlacement, type LabelRequest } from './label-layout.js';
export { VideoWriter, type VideoWriterOptions } from './video-writer.js';
export { toWebVtt, vttTime, type Cue } from './webvtt.js';
export { fitWithin, resizeRgb } from './resize.js';
export type { FrameSource, VideoFrame, VideoInfo, VideoSourceOptions } from './types.js';
