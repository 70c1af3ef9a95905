import * as af from '/arcface/arcface.js';
import { api, describeError, setupKeyForm } from './api.js';
import { cssColour, drawFaces, loadImage } from './draw.js';

setupKeyForm();
/**
 * Camera frames analysed per second at most. Faces are found and followed in this page; only the
 * face of a new track, or of one still unknown (again every {@link RECHECK_UNKNOWN_MS}), or a known
 * one every {@link RECHECK_KNOWN_MS}, is cropped and sent to the server, one request at a time.
 */
const LIVE_FPS = 10;
const RECHECK_UNKNOWN_MS = 2000;
const RECHECK_KNOWN_MS = 10000;
/** Margin around a face box in the crop sent to the server (fraction of the box on each side). */
const CROP_MARGIN = 0.5;
/** The detector's score floor in the camera loop: ByteTrack's second pass keeps weak detections of a followed face. */
const LIVE_DETECTION_SCORE = 0.3;
/** Frames a followed face may go undetected and still be drawn (predicted, dashed): the library's rule. */
const MAX_PREDICTED_FRAMES = af.maxPredictedFrames(1);
const video = document.getElementById('video');
const view = document.getElementById('view');
const result = document.getElementById('result');
const stats = document.getElementById('live-stats');
const startBtn = document.getElementById('start');
const stopBtn = document.getElementById('stop');
let stream = null;
let running = false;
let detector = null;

function labelled(faces) {
  return faces.map((f) => ({
    ...f,
    label: f.match ? `${f.match.name} ${f.match.similarity.toFixed(2)}` : 'unknown',
    colour: f.match ? '#00c853' : '#ffab00',
  }));
}

function summary(faces) {
  if (faces.length === 0) return 'No face found.';
  return faces.map((f) => (f.match ? `${f.match.name} (similarity ${f.match.similarity.toFixed(3)})` : 'unknown person')).join('; ');
}

/** Asks who is in the picture; `record` keeps each face as a sighting (the Recent faces page). */
async function identify(blob, name, record) {
  const form = new FormData();
  form.append('image', blob, name);
  return api.post(record ? '/v1/identify?record=true&source=identify-page' : '/v1/identify', form);
}

document.getElementById('photo').addEventListener('change', async (e) => {
  const file = e.target.files[0];
  if (!file) return;
  result.textContent = 'Identifying…';
  try {
    const img = await loadImage(file);
    drawFaces(view, img, []);
    const r = await identify(file, file.name, true);
    drawFaces(view, img, labelled(r.faces));
    result.textContent = summary(r.faces);
  } catch (err) {
    result.textContent = describeError(err);
  }
});

/** The face detector runs in this page (onnxruntime-web); the model comes from this server by name. */
async function loadDetector() {
  if (detector) return detector;
  const info = af.findKnownModel('yunet-n');
  detector = await af.createFaceDetector({ kind: info.task, modelPath: `/models/${info.fileName}`, name: info.name });
  return detector;
}

/** A JPEG of the face's box with a margin, cut from the frame. */
function cropFace(frame, box) {
  const [x1, y1, x2, y2] = box;
  const mx = (x2 - x1) * CROP_MARGIN;
  const my = (y2 - y1) * CROP_MARGIN;
  const left = Math.max(0, Math.floor(x1 - mx));
  const top = Math.max(0, Math.floor(y1 - my));
  const width = Math.min(frame.width, Math.ceil(x2 + mx)) - left;
  const height = Math.min(frame.height, Math.ceil(y2 + my)) - top;
  const crop = document.createElement('canvas');
  crop.width = width;
  crop.height = height;
  crop.getContext('2d').drawImage(frame, left, top, width, height, 0, 0, width, height);
  return new Promise((res) => crop.toBlob(res, 'image/jpeg', 0.9));
}

function largestFace(faces) {
  return faces.reduce(
    (best, f) => (!best || (f.box[2] - f.box[0]) * (f.box[3] - f.box[1]) > (best.box[2] - best.box[0]) * (best.box[3] - best.box[1]) ? f : best),
    undefined,
  );
}

async function loop() {
  const frame = document.createElement('canvas');
  const tracker = new af.Tracker();
  /** What the server said of each followed face: `{match, answered, askedAt, pending}`. */
  const known = new Map();
  let index = 0;
  let sent = 0;
  let inFlight = 0;
  const ask = async (track, state) => {
    state.pending = true;
    state.askedAt = performance.now();
    inFlight++;
    sent++;
    try {
      // The first answer for a followed face is kept as a sighting; later checks of it are not.
      const r = await identify(await cropFace(frame, track.detection.box), `face-${track.id}.jpg`, !state.answered);
      const face = largestFace(r.faces);
      state.match = face?.match ?? null;
      state.answered = true;
    } catch (err) {
      result.textContent = describeError(err);
    } finally {
      state.pending = false;
      inFlight--;
    }
  };
  while (running) {
    const started = performance.now();
    frame.width = video.videoWidth;
    frame.height = video.videoHeight;
    if (frame.width > 0) {
      frame.getContext('2d').drawImage(video, 0, 0);
      const image = af.imageSourceToRgb(frame, frame.width, frame.height);
      const update = tracker.update(index++, await detector.detect(image, { scoreThreshold: LIVE_DETECTION_SCORE, secondPass: false }));
      if (!running) break;
      for (const t of update.ended) known.delete(t.id);
      const now = performance.now();
      for (const t of update.tracks) {
        if (!known.has(t.id)) known.set(t.id, { match: null, answered: false, askedAt: -Infinity, pending: false });
        const state = known.get(t.id);
        const due = !state.answered || now - state.askedAt > (state.match ? RECHECK_KNOWN_MS : RECHECK_UNKNOWN_MS);
        if (t.detection && due && !state.pending && inFlight === 0) void ask(t, state);
      }
      // Live truth only, by the library's rule (as annotated videos and the "On this device" page): a
      // solid box for a face seen in this frame, a dashed grey one while it is briefly predicted, none after.
      const shown = update.tracks.filter((t) => t.detection || t.framesSinceUpdate <= MAX_PREDICTED_FRAMES);
      const faces = [...shown.filter((t) => t.detection), ...shown.filter((t) => !t.detection)].map((t) => {
        const state = known.get(t.id);
        if (!t.detection)
          return { box: t.box, label: `#${t.id}${state.match ? ` ${state.match.name}` : ''}`, colour: cssColour(af.ANNOTATION_COLORS.predicted), dashed: true };
        const box = t.detection.box;
        if (!state.answered) return { box, label: `#${t.id} …`, colour: '#90a4ae' };
        return {
          box,
          label: state.match ? `#${t.id} ${state.match.name} ${state.match.similarity.toFixed(2)}` : `#${t.id} unknown`,
          colour: state.match ? '#00c853' : '#ffab00',
          match: state.match,
        };
      });
      drawFaces(view, frame, faces);
      const seen = update.tracks.filter((t) => t.detection);
      const answered = seen.map((t) => known.get(t.id)).filter((s) => s.answered);
      result.textContent = seen.length === 0 ? 'No face found.' : answered.length === 0 ? 'Identifying…' : summary(answered.map((s) => ({ match: s.match })));
      const plural = (n, word) => `${n} ${word}${n === 1 ? '' : 's'}`;
      stats.textContent = `${plural(index, 'frame')}, ${plural(update.tracks.length, 'face')} followed, ${plural(sent, 'face')} sent to the server`;
      stats.dataset.frames = String(index);
      stats.dataset.sent = String(sent);
    }
    const wait = 1000 / LIVE_FPS - (performance.now() - started);
    if (wait > 0) await new Promise((res) => setTimeout(res, wait));
  }
}

startBtn.addEventListener('click', async () => {
  startBtn.disabled = true;
  try {
    result.textContent = 'Loading the face detector…';
    await loadDetector();
    stream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 }, audio: false });
    video.srcObject = stream;
    await video.play();
    running = true;
    stopBtn.disabled = false;
    loop().catch((err) => {
      result.textContent = describeError(err);
    });
  } catch (err) {
    startBtn.disabled = false;
    result.textContent = detector ? `Camera unavailable: ${err.message}` : `The face detector could not be loaded: ${describeError(err)}`;
  }
});

stopBtn.addEventListener('click', () => {
  running = false;
  stream?.getTracks().forEach((t) => t.stop());
  stream = null;
  startBtn.disabled = false;
  stopBtn.disabled = true;
});
