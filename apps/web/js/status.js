// The status lines of the on-device pages ("On this device", "Anonymise"): one way to show progress
// and errors, with an error's code first when it has one (`message` also words the device worker's errors).

/** Writes `text` into the element `id`, marked as an error or not. */
export function say(id, text, isError = false) {
  const el = document.getElementById(id);
  el.textContent = text;
  el.classList.toggle('error', isError);
}

/** An error as a line for the user: `CODE: message` for a coded error, else its message. */
export function message(err) {
  return err?.code ? `${err.code}: ${err.message}` : String(err?.message ?? err);
}
