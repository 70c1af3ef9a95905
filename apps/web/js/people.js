// People page: persons found by clustering as cards of faces; name, hide, merge (drag a title onto
// another card), split (select faces, or drag one face onto another card), "not this person" (the
// selected faces leave their person for good: a constraint every re-cluster honours).
import { api, describeError, setupKeyForm } from './api.js';
import { actor, cardTitle, secondaryButton, textForm } from './cards.js';

setupKeyForm();
const list = document.getElementById('people');
const status = document.getElementById('people-status');
const uploadStatus = document.getElementById('upload-status');
const splitButton = document.getElementById('split');
const rejectButton = document.getElementById('reject');
const showHidden = document.getElementById('show-hidden');
/** Face ids selected for a split. */
const selected = new Set();
/** Faces shown per card. */
const FACES_SHOWN = 24;

function updateSplit() {
  splitButton.disabled = selected.size === 0;
  splitButton.textContent = `Split ${selected.size || ''} selected face${selected.size === 1 ? '' : 's'} into a new person`.replace('  ', ' ');
  rejectButton.disabled = selected.size === 0;
}

async function faceButton(face, personLabel) {
  const b = document.createElement('button');
  b.type = 'button';
  b.dataset.face = String(face.faceId);
  b.draggable = true;
  b.setAttribute('aria-pressed', selected.has(face.faceId) ? 'true' : 'false');
  const img = document.createElement('img');
  img.alt = `${personLabel}, face ${face.faceId} from ${
    face.photo
      .split(/[\\/#]/)
      .filter(Boolean)
      .slice(-2, -1)[0] ?? face.photo
  }`;
  try {
    img.src = URL.createObjectURL(await api.get(`/v1/people/faces/${face.faceId}/thumbnail`));
  } catch {
    img.alt += ' (no picture)';
  }
  b.append(img);
  b.addEventListener('click', () => {
    if (selected.has(face.faceId)) selected.delete(face.faceId);
    else selected.add(face.faceId);
    b.setAttribute('aria-pressed', selected.has(face.faceId) ? 'true' : 'false');
    updateSplit();
  });
  b.addEventListener('dragstart', (e) => e.dataTransfer.setData('application/x-face', String(face.faceId)));
  return b;
}

const act = actor(status, () => refresh());

async function renderPerson(p) {
  const label = p.name ?? `Person ${p.personId}`;
  const li = document.createElement('li');
  li.dataset.person = String(p.personId);
  if (p.hidden) li.classList.add('hidden-person');
  const title = cardTitle(label, `(${p.faceCount} face${p.faceCount === 1 ? '' : 's'})`);
  title.draggable = true;
  title.addEventListener('dragstart', (e) => e.dataTransfer.setData('application/x-person', String(p.personId)));
  li.append(title);
  const { faces } = await api.get(`/v1/people/${p.personId}`);
  const row = document.createElement('div');
  row.className = 'faces';
  row.setAttribute('role', 'group');
  row.setAttribute('aria-label', `Faces of ${label}`);
  for (const f of faces.slice(0, FACES_SHOWN)) row.append(await faceButton(f, label));
  li.append(row);

  const { form } = textForm({
    id: `name-${p.personId}`,
    value: p.name ?? '',
    label: 'Name',
    submit: `Name ${label}`,
    onSubmit: (name) => act(`Naming ${label}`, () => api.post(`/v1/people/${p.personId}/name`, { name })),
  });
  const move = secondaryButton(`Move selected faces to ${label}`, () => {
    if (selected.size > 0)
      act(`Moving faces to ${label}`, () => api.post('/v1/people/split', { faceIds: [...selected], into: p.personId }).then(() => selected.clear()));
  });
  const hide = secondaryButton(p.hidden ? `Show ${label}` : `Hide ${label}`, () =>
    act(p.hidden ? `Showing ${label}` : `Hiding ${label}`, () => api.post(`/v1/people/${p.personId}/hide`, { hidden: !p.hidden })),
  );
  form.append(move, hide);
  li.append(form);

  li.addEventListener('dragover', (e) => {
    e.preventDefault();
    li.classList.add('drop');
  });
  li.addEventListener('dragleave', () => li.classList.remove('drop'));
  li.addEventListener('drop', (e) => {
    e.preventDefault();
    li.classList.remove('drop');
    const face = e.dataTransfer.getData('application/x-face');
    const person = e.dataTransfer.getData('application/x-person');
    if (face) act(`Moving face ${face} to ${label}`, () => api.post('/v1/people/split', { faceIds: [Number(face)], into: p.personId }));
    else if (person && Number(person) !== p.personId)
      act(`Merging person ${person} into ${label}`, () => api.post(`/v1/people/${person}/merge`, { into: p.personId }));
  });
  return li;
}

async function refresh() {
  try {
    const { people } = await api.get(`/v1/people${showHidden.checked ? '?hidden=true' : ''}`);
    const shown = new Set();
    const items = [];
    for (const p of people) {
      items.push(await renderPerson(p));
      shown.add(p.personId);
    }
    list.replaceChildren(...items);
    for (const id of [...selected]) if (!list.querySelector(`[data-face="${id}"]`)) selected.delete(id);
    updateSplit();
    status.textContent = people.length === 0 ? 'No people yet: add photos.' : `${people.length} ${people.length === 1 ? 'person' : 'people'}.`;
  } catch (err) {
    list.replaceChildren();
    status.textContent = describeError(err);
  }
}

splitButton.addEventListener('click', () => act('Splitting', () => api.post('/v1/people/split', { faceIds: [...selected] }).then(() => selected.clear())));
rejectButton.addEventListener('click', () =>
  act('Taking faces out of their person', async () => {
    for (const id of [...selected]) await api.post(`/v1/people/faces/${id}/reject`);
    selected.clear();
  }),
);
document.getElementById('refresh').addEventListener('click', refresh);
document.getElementById('recluster').addEventListener('click', () => act('Re-clustering', () => api.post('/v1/people/recluster')));
showHidden.addEventListener('change', refresh);
document.getElementById('upload-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const files = [...document.getElementById('photo-files').files];
  if (files.length === 0) return;
  uploadStatus.textContent = `Adding ${files.length} photo${files.length === 1 ? '' : 's'}…`;
  try {
    const form = new FormData();
    for (const f of files) form.append('image', f, f.name);
    const r = await api.post('/v1/people/photos', form);
    const fresh = r.photos.filter((p) => !p.faces.some((f) => f.known));
    const known = r.photos.length - fresh.length;
    const faces = fresh.reduce((n, p) => n + p.faces.length, 0);
    const skipped = r.skipped.length ? `; ${r.skipped.length} skipped (${[...new Set(r.skipped.map((s) => s.reason))].join(', ')})` : '';
    const again = known > 0 ? `; ${known} photo${known === 1 ? ' was' : 's were'} already known` : '';
    uploadStatus.textContent = `Added ${faces} face${faces === 1 ? '' : 's'} from ${fresh.length} photo${fresh.length === 1 ? '' : 's'}${again}${skipped}.`;
    e.target.reset();
    await refresh();
  } catch (err) {
    uploadStatus.textContent = describeError(err);
  }
});

refresh();
