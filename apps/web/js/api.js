// API client of the web page: the key lives in localStorage under "arcface.apiKey" and is sent
// in the x-api-key header. Errors come back as {code, message} and are thrown as ApiError.

const KEY_STORAGE = 'arcface.apiKey';

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export function getKey() {
  return localStorage.getItem(KEY_STORAGE) ?? '';
}

export function setKey(key) {
  if (key) localStorage.setItem(KEY_STORAGE, key);
  else localStorage.removeItem(KEY_STORAGE);
}

async function request(method, path, body) {
  const headers = {};
  const key = getKey();
  if (key) headers['x-api-key'] = key;
  let payload;
  if (body instanceof FormData) payload = body;
  else if (body !== undefined) {
    headers['content-type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  const res = await fetch(path, { method, headers, body: payload });
  const type = res.headers.get('content-type') ?? '';
  if (!res.ok) {
    const err = type.includes('json') ? await res.json() : { code: `HTTP_${res.status}`, message: await res.text() };
    throw new ApiError(res.status, err.code, err.message);
  }
  if (type.includes('json')) return res.json();
  return res.blob();
}

export const api = {
  get: (path) => request('GET', path),
  post: (path, body) => request('POST', path, body),
  patch: (path, body) => request('PATCH', path, body),
  del: (path) => request('DELETE', path),
};

/** A readable sentence for an error, with a hint for the usual key problems. */
export function describeError(err) {
  if (err instanceof ApiError) {
    if (err.status === 401) return `${err.message}. Paste an API key above (create one with: arcface keys create --scope write).`;
    if (err.status === 403) return `${err.message}. This key's scope is too weak for this action.`;
    if (err.status === 429 || err.status === 503) return `${err.message} (the server is busy; try again shortly).`;
    return `${err.code}: ${err.message}`;
  }
  return String(err?.message ? err.message : err);
}

/** Wires the header's API key form present on every page. */
export function setupKeyForm() {
  const form = document.getElementById('key-form');
  const input = document.getElementById('api-key');
  const status = document.getElementById('key-status');
  if (!form || !input) return;
  input.value = getKey();
  status.textContent = getKey() ? 'Key saved in this browser.' : 'No key yet.';
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    setKey(input.value.trim());
    status.textContent = getKey() ? 'Key saved in this browser.' : 'Key removed.';
  });
}
