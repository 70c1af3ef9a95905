// The models and the gallery of "On this device", in a worker: detection, alignment, embedding and
// the live camera's stream pipeline run here, so the page's own thread stays free to scroll, click and
// draw. The page calls these by name (`{id, call, args}`) and gets `{id, ok, value}` or `{id, ok: false, error}`.
import * as af from '/arcface/arcface.js';
import { deviceThreshold, openDeviceGallery } from './device-gallery.js';
import { message } from './status.js';

let fr = null;
let gallery = null;
let faceStream = null;

function needModels() {
  if (fr === null) throw new Error('The face models are not loaded');
  return fr;
}

function needGallery() {
  if (gallery === null) throw new Error('The gallery in this browser is not open');
  return gallery;
}

/** A face as the page uses it (plain data: it crosses to the page by structured clone). */
function plainFace(f) {
  return { box: f.box, landmarks: f.landmarks, score: f.score, embedding: f.embedding };
}

const calls = {
  /** Loads the models (again, when the WebGPU choice changed) and opens the gallery. */
  async start({ modelBaseUrl, webgpu }) {
    faceStream = null;
    const runtime = webgpu ? { executionProviders: ['webgpu'] } : {};
    await fr?.dispose();
    fr = null;
    fr = await af.FaceRecognizer.create({ modelBaseUrl, runtime });
    const threads = af.webThreadsAvailable()
      ? `${af.resolveRuntimeOptions(runtime).intraOpThreads} threads`
      : 'one thread (this page is not cross-origin isolated)';
    const info = {
      detector: fr.detector.name,
      recognizer: fr.recognizerInfo?.name ?? 'the recogniser',
      threads,
      notice: fr.recognizerInfo ? af.licenceNotice(fr.recognizerInfo) : undefined,
      threshold: deviceThreshold(fr),
      galleryError: undefined,
    };
    try {
      await gallery?.close();
      gallery = null;
      gallery = await openDeviceGallery(fr);
    } catch (err) {
      info.galleryError = message(err);
    }
    return info;
  },
  /** The faces of an image's bytes, the chosen one first. */
  async faces({ bytes, select }) {
    const r = await needModels().recognize(bytes, { select });
    return r.faces.map(plainFace);
  },
  async list() {
    return needGallery().list();
  },
  async remove({ id }) {
    await needGallery().remove(id);
  },
  async enroll({ id, templates, name }) {
    await needGallery().enroll(id, templates, { name, append: true });
  },
  async exportBytes() {
    return needGallery().exportBytes();
  },
  async importBytes({ bytes, name }) {
    return needGallery().importBytes(bytes, { append: true }, name);
  },
  /** One camera frame through the stream pipeline: its overlays (the library's rule) and the faces embedded. */
  async liveFrame({ bitmap, index, pts }) {
    try {
      faceStream ??= new af.FaceStream({ recognizer: needModels(), gallery: needGallery() });
      const image = af.imageSourceToRgb(bitmap, bitmap.width, bitmap.height);
      const r = await faceStream.process({ index, pts, image });
      return { overlays: af.trackOverlays(r.tracks), embedded: r.embedded };
    } finally {
      bitmap.close();
    }
  },
  /** The camera stopped: the next frame starts a new stream (new tracks). */
  async liveStop() {
    faceStream = null;
  },
};

self.addEventListener('message', async (e) => {
  const { id, call, args } = e.data;
  try {
    const fn = calls[call];
    if (fn === undefined) throw new Error(`No call named ${call}`);
    self.postMessage({ id, ok: true, value: await fn(args ?? {}) });
  } catch (err) {
    self.postMessage({ id, ok: false, error: { code: err?.code, message: String(err?.message ?? err) } });
  }
});
