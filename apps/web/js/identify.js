import { api, describeError, setupKeyForm } from './api.js';
import { drawFaces, loadImage } from './draw.js';

setupKeyForm();
/** Frames sent per second at most: 4 keeps a 2-core server responsive and labels fresh. */
const MAX_FPS = 4;
const video = document.getElementById('video');
const view = document.getElementById('view');
const result = document.getElementById('result');
const startBtn = document.getElementById('start');
const stopBtn = document.getElementById('stop');
let stream = null;
let running = false;

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

async function identify(blob, name) {
  const form = new FormData();
  form.append('image', blob, name);
  return api.post('/v1/identify', form);
}

document.getElementById('photo').addEventListener('change', async (e) => {
  const file = e.target.files[0];
  if (!file) return;
  result.textContent = 'Identifying…';
  try {
    const img = await loadImage(file);
    drawFaces(view, img, []);
    const r = await identify(file, file.name);
    drawFaces(view, img, labelled(r.faces));
    result.textContent = summary(r.faces);
  } catch (err) {
    result.textContent = describeError(err);
  }
});

async function loop() {
  const frame = document.createElement('canvas');
  while (running) {
    const started = performance.now();
    frame.width = video.videoWidth;
    frame.height = video.videoHeight;
    if (frame.width > 0) {
      frame.getContext('2d').drawImage(video, 0, 0);
      const blob = await new Promise((res) => frame.toBlob(res, 'image/jpeg', 0.8));
      try {
        const r = await identify(blob, 'frame.jpg');
        if (!running) break;
        drawFaces(view, frame, labelled(r.faces));
        result.textContent = summary(r.faces);
      } catch (err) {
        result.textContent = describeError(err);
      }
    }
    const wait = 1000 / MAX_FPS - (performance.now() - started);
    if (wait > 0) await new Promise((res) => setTimeout(res, wait));
  }
}

startBtn.addEventListener('click', async () => {
  try {
    stream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 }, audio: false });
    video.srcObject = stream;
    await video.play();
    running = true;
    startBtn.disabled = true;
    stopBtn.disabled = false;
    loop();
  } catch (err) {
    result.textContent = `Camera unavailable: ${err.message}`;
  }
});

stopBtn.addEventListener('click', () => {
  running = false;
  stream?.getTracks().forEach((t) => t.stop());
  stream = null;
  startBtn.disabled = false;
  stopBtn.disabled = true;
});
