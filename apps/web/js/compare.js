import { api, describeError, setupKeyForm } from './api.js';
import { drawFaces, loadImage } from './draw.js';

setupKeyForm();
const files = [null, null];
const images = [null, null];
const button = document.getElementById('compare');
const result = document.getElementById('result');

async function setFile(i, file) {
  if (!file) return;
  files[i] = file;
  images[i] = await loadImage(file);
  drawFaces(document.getElementById(`canvas${i + 1}`), images[i], []);
  button.disabled = !(files[0] && files[1]);
  result.textContent = '';
}

for (const i of [0, 1]) {
  const input = document.getElementById(`file${i + 1}`);
  input.addEventListener('change', () => setFile(i, input.files[0]).catch(showError));
  const drop = document.getElementById(`drop${i + 1}`);
  drop.addEventListener('dragover', (e) => {
    e.preventDefault();
    drop.classList.add('over');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    setFile(i, e.dataTransfer.files[0]).catch(showError);
  });
}

function showError(err) {
  result.innerHTML = '';
  const p = document.createElement('span');
  p.className = 'error';
  p.textContent = describeError(err);
  result.append(p);
}

button.addEventListener('click', async () => {
  button.disabled = true;
  result.textContent = 'Comparing…';
  try {
    const form = new FormData();
    form.append('image1', files[0], files[0].name);
    form.append('image2', files[1], files[1].name);
    const select = document.getElementById('select').value;
    const r = await api.post(`/v1/verify?select=${encodeURIComponent(select)}`, form);
    r.faces.forEach((f, i) => drawFaces(document.getElementById(`canvas${i + 1}`), images[i], [{ ...f, colour: r.match ? '#00c853' : '#ff1744' }]));
    result.innerHTML = '';
    const verdict = document.createElement('span');
    verdict.className = r.match ? 'ok' : 'bad';
    verdict.id = 'verdict';
    verdict.textContent = r.match ? 'Same person' : 'Different people';
    const detail = document.createElement('span');
    detail.textContent = ` — similarity ${r.similarity.toFixed(3)} (threshold ${r.threshold.toFixed(3)})`;
    result.append(verdict, detail);
    // Say which face was used when a photo held several, so a group photo cannot mislead.
    const counts = (r.faces ?? [])
      .map((f, i) => (f.facesFound > 1 ? `photo ${i + 1}: face ${f.faceIndex + 1} of ${f.facesFound} (${r.select ?? select})` : null))
      .filter(Boolean);
    if (counts.length > 0) {
      const note = document.createElement('p');
      note.id = 'faces-note';
      note.className = 'muted';
      note.textContent = `Several faces found — ${counts.join('; ')}.`;
      result.append(note);
    }
  } catch (err) {
    showError(err);
  } finally {
    button.disabled = !(files[0] && files[1]);
  }
});
