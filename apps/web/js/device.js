// "On this device": the ArcFace.ts browser bundle runs detection, alignment and embedding on this
// device (onnxruntime-web) and keeps the gallery in IndexedDB. The models, the gallery and the live
// stream pipeline live in a worker (`device-worker.js`), so this page's thread only draws and answers
// the user. Nothing here sends an image anywhere: the only requests are for the page, its scripts,
// the bundle and the model files.
import * as af from '/arcface/arcface.js';
import { message, say } from './status.js';
import { cssColour, drawFaces, loadImage } from './draw.js';

const params = new URLSearchParams(location.search);
/** Where the model files are: the server's registry route, or `?models=<url>` for another host. */
const MODEL_BASE_URL = params.get('models') ?? '/models';
/** Camera frames analysed per second at most: enough for live labels, light on a laptop. */
const LIVE_FPS = 5;

const $ = (id) => document.getElementById(id);
/** What the worker reported when its models loaded (names, threshold), or null before. */
let models = null;
let galleryOpen = false;

const worker = new Worker('/js/device-worker.js', { type: 'module' });
const pending = new Map();
let nextCall = 0;
worker.addEventListener('message', (e) => {
  const { id, ok, value, error } = e.data;
  const p = pending.get(id);
  pending.delete(id);
  if (ok) p?.resolve(value);
  else p?.reject(Object.assign(new Error(error.message), error.code ? { code: error.code } : {}));
});
worker.addEventListener('error', (e) => {
  for (const p of pending.values()) p.reject(new Error(`The worker failed: ${e.message}`));
  pending.clear();
});

/** Calls the worker by name; `transfer` hands it objects (a frame's bitmap) without copying. */
function call(name, args = {}, transfer = []) {
  const id = nextCall++;
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject });
    worker.postMessage({ id, call: name, args }, transfer);
  });
}

async function webGpuNote() {
  if (!$('use-webgpu').checked) return '';
  const adapter = navigator.gpu ? await navigator.gpu.requestAdapter().catch(() => null) : null;
  return adapter ? '' : ' WebGPU was asked for but this browser has no WebGPU adapter, so the models run on WebAssembly.';
}

async function start() {
  await stopLive();
  for (const id of ['dev-compare', 'enrol', 'export', 'dev-start']) $(id).disabled = true;
  say('device-status', 'Loading the models…');
  models = null;
  galleryOpen = false;
  let info;
  try {
    info = await call('start', { modelBaseUrl: MODEL_BASE_URL, webgpu: $('use-webgpu').checked });
  } catch (err) {
    say('device-status', `Could not load the face models from ${MODEL_BASE_URL}: ${message(err)}`, true);
    return;
  }
  models = info;
  say('device-status', `Ready: ${info.detector} and ${info.recognizer} run on this device (WebAssembly, ${info.threads}).${await webGpuNote()}`);
  $('licence').hidden = info.notice === undefined;
  $('licence').textContent = info.notice ?? '';
  if (info.galleryError === undefined) {
    galleryOpen = true;
    await listPeople().catch((err) => say('gallery-status', message(err), true));
  } else {
    say('gallery-status', `The gallery in this browser cannot be used: ${info.galleryError}`, true);
  }
  for (const id of ['enrol', 'export', 'dev-start']) $(id).disabled = !galleryOpen;
  updateCompare();
}

async function facesOf(file, select = 'largest') {
  const bytes = new Uint8Array(await file.arrayBuffer());
  return { faces: await call('faces', { bytes, select }, [bytes.buffer]) };
}

// Compare ------------------------------------------------------------------------------------
function updateCompare() {
  $('dev-compare').disabled = !(models && $('dev-file1').files[0] && $('dev-file2').files[0]);
}
for (const i of [1, 2]) $(`dev-file${i}`).addEventListener('change', updateCompare);

$('dev-compare').addEventListener('click', async () => {
  say('dev-result', 'Comparing on this device…');
  try {
    const files = [$('dev-file1').files[0], $('dev-file2').files[0]];
    const results = await Promise.all(files.map((f) => facesOf(f)));
    const threshold = models.threshold;
    const missing = results.findIndex((r) => r.faces.length === 0);
    if (missing >= 0) throw new Error(`No face found in ${files[missing].name}`);
    const score = af.cosine(results[0].faces[0].embedding, results[1].faces[0].embedding);
    const same = score >= threshold;
    for (const [i, r] of results.entries())
      drawFaces($(`dev-canvas${i + 1}`), await loadImage(files[i]), [{ ...r.faces[0], colour: same ? '#00c853' : '#ff1744' }]);
    const result = $('dev-result');
    result.textContent = '';
    result.classList.remove('error');
    const verdict = document.createElement('span');
    verdict.id = 'dev-verdict';
    verdict.className = same ? 'ok' : 'bad';
    verdict.textContent = same ? 'Same person' : 'Different people';
    const detail = document.createElement('span');
    detail.textContent = ` — similarity ${score.toFixed(3)} (threshold ${threshold.toFixed(3)})`;
    result.append(verdict, detail);
  } catch (err) {
    say('dev-result', message(err), true);
  }
});

// Gallery ------------------------------------------------------------------------------------
/** Shows the gallery's people; the list is replaced only once the worker has answered, never shown empty meanwhile. */
async function listPeople() {
  const items = [];
  for (const p of await call('list')) {
    const li = document.createElement('li');
    li.dataset.id = p.id;
    const h = document.createElement('h4');
    h.textContent = `${p.name} (${p.templateCount} photo${p.templateCount === 1 ? '' : 's'})`;
    const del = document.createElement('button');
    del.type = 'button';
    del.className = 'danger';
    del.textContent = `Delete ${p.name}`;
    del.addEventListener('click', async () => {
      await call('remove', { id: p.id });
      await listPeople();
    });
    li.append(h, del);
    items.push(li);
  }
  $('people').replaceChildren(...items);
}

$('enrol').addEventListener('click', async () => {
  const name = $('enrol-name').value.trim();
  const files = [...$('enrol-files').files];
  if (!name || files.length === 0) return say('gallery-status', 'Give a name and at least one photo.', true);
  say('gallery-status', `Enrolling ${name}…`);
  try {
    const templates = [];
    const skipped = [];
    for (const f of files) {
      const face = (await facesOf(f)).faces[0];
      if (face === undefined) skipped.push(f.name);
      else
        templates.push({
          embedding: face.embedding,
          sourceFile: f.name,
          detScore: face.score,
          faceSize: Math.max(face.box[2] - face.box[0], face.box[3] - face.box[1]),
        });
    }
    if (templates.length === 0) throw new Error(`No face found in ${skipped.join(', ')}`);
    const id = name.replace(/\s+/g, '_');
    await call('enroll', { id, templates, name });
    // The status says "Enrolled" once the list shows it.
    await listPeople();
    say(
      'gallery-status',
      `Enrolled ${name}: ${templates.length} photo${templates.length === 1 ? '' : 's'}${skipped.length ? `; no face in ${skipped.join(', ')}` : ''}.`,
    );
  } catch (err) {
    say('gallery-status', message(err), true);
  }
});

$('export').addEventListener('click', async () => {
  const { bytes, identities, templates } = await call('exportBytes');
  const a = document.createElement('a');
  a.href = URL.createObjectURL(new Blob([bytes], { type: 'application/octet-stream' }));
  a.download = 'gallery.afg';
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
  say('gallery-status', `Exported ${identities} people, ${templates} photos.`);
});

$('import-file').addEventListener('change', async () => {
  const file = $('import-file').files[0];
  if (!file) return;
  try {
    const bytes = new Uint8Array(await file.arrayBuffer());
    const r = await call('importBytes', { bytes, name: file.name }, [bytes.buffer]);
    await listPeople();
    say('gallery-status', `Imported ${r.identities} people, ${r.templates} photos from ${file.name}.`);
  } catch (err) {
    say('gallery-status', message(err), true);
  }
});

// Live camera --------------------------------------------------------------------------------
let stream = null;
let timer = null;

/**
 * The stream pipeline of `arcface watch`, in the worker: faces are followed by the tracker and a face is
 * embedded only when its track is new, its face got clearly better, or every few seconds; its name is
 * decided on the track's template with hysteresis, so it does not flicker.
 */
let liveIndex = 0;
let liveEmbeddings = 0;
/** The canvas each camera frame is copied into, analysed from and drawn from. */
let liveCanvas = null;
/** The frame in the worker now, awaited before the camera stops or the models reload. */
let liveBusy = Promise.resolve();

async function liveFrame() {
  const video = $('dev-video');
  if (!stream || video.videoWidth === 0) return;
  const started = performance.now();
  // The frame is copied once and both analysed and drawn from the copy: boxes are drawn on the very
  // frame they were found in, never on a later one the video has moved on to.
  liveCanvas ??= document.createElement('canvas');
  const frame = liveCanvas;
  frame.width = video.videoWidth;
  frame.height = video.videoHeight;
  frame.getContext('2d').drawImage(video, 0, 0);
  const bitmap = await createImageBitmap(frame);
  const done = call('liveFrame', { bitmap, index: liveIndex, pts: liveIndex / LIVE_FPS }, [bitmap]);
  liveBusy = done.catch(() => undefined);
  const r = await done;
  if (!stream) return;
  liveIndex++;
  liveEmbeddings += r.embedded;
  // The library's rule, as in annotated videos: boxes of faces seen in this frame, briefly a dashed
  // predicted one, never a lost track; '?' while a name is withheld.
  const labelled = r.overlays.map((o) => ({ box: o.box, label: o.label, colour: cssColour(o.color), dashed: o.dashed }));
  drawFaces($('dev-view'), frame, labelled);
  say('live-result', labelled.length ? labelled.map((f) => f.label).join(', ') : 'No face');
  const stats = $('live-stats');
  if (stats) {
    stats.textContent = `${liveIndex} frames, ${liveEmbeddings} faces embedded`;
    stats.dataset.frames = String(liveIndex);
    stats.dataset.embedded = String(liveEmbeddings);
  }
  timer = setTimeout(() => liveFrame().catch((err) => say('live-result', message(err), true)), Math.max(0, 1000 / LIVE_FPS - (performance.now() - started)));
}

$('dev-start').addEventListener('click', async () => {
  try {
    stream = await navigator.mediaDevices.getUserMedia({ video: true, audio: false });
    const video = $('dev-video');
    video.srcObject = stream;
    await video.play();
    $('dev-start').disabled = true;
    $('dev-stop').disabled = false;
    liveFrame().catch((err) => say('live-result', message(err), true));
  } catch (err) {
    say('live-result', `The camera cannot be used: ${message(err)}`, true);
  }
});

/** Stops the camera and, once the frame in the worker is done, its stream (the next start has new tracks). */
async function stopLive() {
  clearTimeout(timer);
  for (const t of stream?.getTracks() ?? []) t.stop();
  stream = null;
  liveIndex = 0;
  liveEmbeddings = 0;
  await liveBusy;
  await call('liveStop').catch(() => undefined);
}

$('dev-stop').addEventListener('click', async () => {
  await stopLive();
  $('dev-start').disabled = !galleryOpen;
  $('dev-stop').disabled = true;
});

$('use-webgpu').addEventListener('change', () => start());
start();
