// Recent faces page: sightings as cards (thumbnail, source, time, decision and score, visitor), with
// filters (source, unknown only, time) and the buttons of the loop: "This is …" enrols the sighting's
// (or its visitor's) good faces into an identity, "Not …" records the match as wrong.
import { api, describeError, setupKeyForm } from './api.js';
import { actor, cardTitle, secondaryButton, textForm } from './cards.js';

setupKeyForm();
const list = document.getElementById('sightings');
const status = document.getElementById('status');
const sourceSelect = document.getElementById('source');
const unknownOnly = document.getElementById('unknown');
const since = document.getElementById('since');

const act = actor(
  status,
  () => refresh(),
  (out) => (out?.culprits ? ` Templates that matched: ${out.culprits.map((c) => `${c.templateId} (${c.score.toFixed(3)})`).join(', ')}.` : ''),
);

async function thumbnail(path, alt) {
  const img = document.createElement('img');
  img.alt = alt;
  if (path) {
    try {
      img.src = URL.createObjectURL(await api.get(path));
    } catch {
      img.alt += ' (no picture)';
    }
  }
  return img;
}

async function renderSighting(s) {
  const who = s.identity ?? s.visitor ?? 'unknown';
  const li = document.createElement('li');
  li.dataset.sighting = String(s.sightingId);
  li.append(cardTitle(who, `(${s.identity === null ? 'unknown' : `score ${s.score.toFixed(3)}`}, ${s.source}, ${new Date(s.seenAt).toLocaleString()})`));
  const row = document.createElement('div');
  row.className = 'faces';
  row.append(await thumbnail(s.thumbnail, `Face of ${who} seen by ${s.source}`));
  li.append(row);
  const note = document.createElement('p');
  note.className = 'muted';
  note.textContent = `${s.faceCount} face${s.faceCount === 1 ? '' : 's'}, ${s.learnableCount} good enough to learn from; decided by ${s.decidedBy}`;
  li.append(note);

  const { form, button: teach } = textForm({
    id: `teach-${s.sightingId}`,
    value: s.identity ?? '',
    label: 'Who is it?',
    submit: 'This is …',
    onSubmit: (identity) => {
      const path = s.visitor ? `/v1/visitors/${s.visitor}/teach` : `/v1/sightings/${s.sightingId}/teach`;
      act(`Teaching ${identity}`, () => api.post(path, { identity }));
    },
  });
  teach.disabled = s.learnableCount === 0;
  if (teach.disabled) teach.title = 'No face of this sighting is good enough to learn from (too small, blurred or turned away)';
  if (s.identity !== null) {
    form.append(secondaryButton(`Not ${s.identity}`, () => act(`Not ${s.identity}`, () => api.post(`/v1/sightings/${s.sightingId}/reject`, {}))));
  }
  li.append(form);
  return li;
}

function query() {
  const q = new URLSearchParams({ limit: '100' });
  if (sourceSelect.value) q.set('source', sourceSelect.value);
  if (unknownOnly.checked) q.set('unknown', 'true');
  if (since.value) q.set('since', String(Date.now() - Number(since.value)));
  return q.toString();
}

async function refresh() {
  const { sightings } = await api.get(`/v1/sightings?${query()}`);
  const sources = new Set([...sourceSelect.options].map((o) => o.value));
  for (const s of sightings) {
    if (sources.has(s.source)) continue;
    sources.add(s.source);
    sourceSelect.append(new Option(s.source, s.source));
  }
  const items = [];
  for (const s of sightings) items.push(await renderSighting(s));
  list.replaceChildren(...items);
  status.textContent =
    sightings.length === 0 ? 'No faces seen yet (or none match the filters).' : `${sightings.length} recent face${sightings.length === 1 ? '' : 's'}.`;
}

document.getElementById('filters').addEventListener('submit', (e) => {
  e.preventDefault();
  refresh().catch((err) => {
    status.textContent = describeError(err);
  });
});
document.getElementById('reprocess').addEventListener('click', () => act('Re-deciding recent faces', () => api.post('/v1/sightings/reprocess', {})));
refresh().catch((err) => {
  status.textContent = describeError(err);
});
