// The parts the People and Recent faces pages build their cards from: a title with a muted note, a
// one-field form (labelled input and submit button), a secondary button, and the "act" wrapper that
// says what is being done, refreshes the list and says how it went.
import { describeError } from './api.js';

/** An `<h3>` of `text` followed by a muted note. */
export function cardTitle(text, note) {
  const title = document.createElement('h3');
  title.textContent = `${text} `;
  const meta = document.createElement('span');
  meta.className = 'muted';
  meta.textContent = note;
  title.append(meta);
  return title;
}

/**
 * A form of one required text field (at most 200 characters) with its label and a submit button;
 * `onSubmit` gets the trimmed value when it is not empty.
 */
export function textForm({ id, value, label, submit, onSubmit }) {
  const form = document.createElement('form');
  const input = document.createElement('input');
  input.type = 'text';
  input.required = true;
  input.maxLength = 200;
  input.id = id;
  input.value = value;
  const inputLabel = document.createElement('label');
  inputLabel.htmlFor = id;
  inputLabel.textContent = label;
  const button = document.createElement('button');
  button.type = 'submit';
  button.textContent = submit;
  form.append(inputLabel, input, button);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const text = input.value.trim();
    if (text) onSubmit(text);
  });
  return { form, button };
}

/** A secondary (not submitting) button. */
export function secondaryButton(text, onClick) {
  const b = document.createElement('button');
  b.type = 'button';
  b.className = 'secondary';
  b.textContent = text;
  b.addEventListener('click', onClick);
  return b;
}

/**
 * `act(what, fn)` for a page: says "what…" in `status`, runs `fn`, refreshes the page's list, then says
 * "what: done." (with `done(out)` after it) or the error.
 */
export function actor(status, refresh, done = () => '') {
  return async (what, fn) => {
    status.textContent = `${what}…`;
    try {
      const out = await fn();
      await refresh();
      status.textContent = `${what}: done.${done(out)}`;
    } catch (err) {
      status.textContent = describeError(err);
    }
  };
}
