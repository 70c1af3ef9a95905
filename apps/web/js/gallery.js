import { api, describeError, setupKeyForm } from './api.js';

setupKeyForm();
const list = document.getElementById('subjects');
const listStatus = document.getElementById('list-status');
const enrolStatus = document.getElementById('enrol-status');

function slug(name) {
  const s = name
    .trim()
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
  return s || `person-${Date.now()}`;
}

async function thumbnail(faceId, alt) {
  const img = document.createElement('img');
  img.alt = alt;
  try {
    const blob = await api.get(`/v1/faces/${faceId}/thumbnail`);
    img.src = URL.createObjectURL(blob);
  } catch {
    img.alt = `${alt} (no picture)`;
  }
  return img;
}

async function renderSubject(s) {
  const li = document.createElement('li');
  li.dataset.subject = s.id;
  const title = document.createElement('h4');
  title.textContent = `${s.name} `;
  const meta = document.createElement('span');
  meta.className = 'muted';
  meta.textContent = `(${s.id}, ${s.faceCount} face${s.faceCount === 1 ? '' : 's'})`;
  title.append(meta);
  li.append(title);
  const [{ faces }, audit] = await Promise.all([
    api.get(`/v1/subjects/${encodeURIComponent(s.id)}/faces`),
    api.get(`/v1/subjects/${encodeURIComponent(s.id)}/audit`),
  ]);
  const flagged = new Set(audit.flags.flatMap((f) => f.faceIds));
  const thumbs = document.createElement('div');
  thumbs.className = 'thumbs';
  for (const f of faces) {
    const label = `${s.name}, face ${f.faceId}${f.sourceFile ? ` from ${f.sourceFile}` : ''}`;
    const img = await thumbnail(f.faceId, label);
    if (flagged.has(f.faceId)) img.classList.add('flagged');
    const figure = document.createElement('figure');
    figure.dataset.face = String(f.faceId);
    const remove = document.createElement('button');
    remove.type = 'button';
    remove.className = 'secondary remove-face';
    remove.textContent = 'Remove';
    remove.setAttribute('aria-label', `Remove ${label}`);
    remove.addEventListener('click', async () => {
      if (!confirm(`Remove this photo of ${s.name}?`)) return;
      try {
        await api.del(`/v1/subjects/${encodeURIComponent(s.id)}/faces/${f.faceId}`);
        await refresh();
        listStatus.textContent = `Photo removed from ${s.name}.`;
      } catch (err) {
        listStatus.textContent = describeError(err);
      }
    });
    figure.append(img, remove);
    thumbs.append(figure);
  }
  li.append(thumbs);
  if (audit.flags.length > 0) {
    const ul = document.createElement('ul');
    ul.className = 'flags';
    ul.setAttribute('aria-label', `Audit findings for ${s.name}`);
    for (const flag of audit.flags) {
      const item = document.createElement('li');
      item.textContent = flag.message;
      ul.append(item);
    }
    li.append(ul);
  }
  const del = document.createElement('button');
  del.type = 'button';
  del.className = 'danger';
  del.textContent = `Delete ${s.name}`;
  del.addEventListener('click', async () => {
    if (!confirm(`Delete ${s.name} and all their faces?`)) return;
    try {
      await api.del(`/v1/subjects/${encodeURIComponent(s.id)}`);
      li.remove();
      listStatus.textContent = `${s.name} deleted.`;
    } catch (err) {
      listStatus.textContent = describeError(err);
    }
  });
  li.append(del);
  return li;
}

async function refresh() {
  listStatus.textContent = 'Loading…';
  try {
    const { subjects } = await api.get('/v1/subjects');
    const items = await Promise.all(subjects.map(renderSubject));
    list.replaceChildren(...items);
    listStatus.textContent = subjects.length === 0 ? 'Nobody enrolled yet.' : `${subjects.length} ${subjects.length === 1 ? 'person' : 'people'}.`;
  } catch (err) {
    list.replaceChildren();
    listStatus.textContent = describeError(err);
  }
}

document.getElementById('refresh').addEventListener('click', refresh);
document.getElementById('enrol-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const name = document.getElementById('enrol-name').value.trim();
  const files = [...document.getElementById('enrol-files').files];
  if (!name || files.length === 0) return;
  const id = slug(name);
  enrolStatus.textContent = 'Enrolling…';
  let created = false;
  try {
    try {
      await api.post('/v1/subjects', { id, name });
      created = true;
    } catch (err) {
      if (err.code !== 'IDENTITY_EXISTS') throw err;
    }
    // One photo per request, as `arcface enroll` does: a photo without a face is skipped and
    // reported, the others are enrolled.
    const skipped = [];
    let enrolled = 0;
    let flags = 0;
    for (const f of files) {
      const form = new FormData();
      form.append('image', f, f.name);
      try {
        const r = await api.post(`/v1/subjects/${encodeURIComponent(id)}/faces`, form);
        enrolled += r.faces.length;
        flags = r.audit.flags.length;
      } catch (err) {
        if (!err.code || err.status >= 500 || ['UNAUTHORIZED', 'FORBIDDEN', 'RATE_LIMITED'].includes(err.code)) throw err;
        skipped.push(`${f.name} (${err.code})`);
      }
    }
    if (enrolled === 0 && created) await api.del(`/v1/subjects/${encodeURIComponent(id)}`);
    const parts = [`Enrolled ${enrolled} face${enrolled === 1 ? '' : 's'} for ${name}.`];
    if (skipped.length > 0) parts.push(`Skipped ${skipped.join(', ')}.`);
    if (flags > 0) parts.push(`${flags} audit finding(s).`);
    enrolStatus.textContent = parts.join(' ');
    if (enrolled > 0) e.target.reset();
    await refresh();
  } catch (err) {
    enrolStatus.textContent = describeError(err);
  }
});

refresh();
