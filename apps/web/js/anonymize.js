// "Anonymise": the browser bundle finds the faces of a photo and covers them in this page, with the
// library's own anonymizePhoto (the same code as `arcface anonymize` and the server's jobs). Nothing is
// uploaded: the only requests are for the page, the bundle and the model files.
import * as af from '/arcface/arcface.js';
import { openDeviceGallery } from './device-gallery.js';
import { message, say } from './status.js';

const params = new URLSearchParams(location.search);
/** Where the model files are: the server's registry route, or `?models=<url>` for another host. */
const MODEL_BASE_URL = params.get('models') ?? '/models';

const $ = (id) => document.getElementById(id);
let fr = null;
let gallery = null;

async function start() {
  try {
    fr = await af.FaceRecognizer.create({ modelBaseUrl: MODEL_BASE_URL });
  } catch (err) {
    say('anon-status', `Could not load the face models from ${MODEL_BASE_URL}: ${message(err)}`, true);
    return;
  }
  const notice = fr.recognizerInfo ? af.licenceNotice(fr.recognizerInfo) : undefined;
  $('licence').hidden = notice === undefined;
  $('licence').textContent = notice ?? '';
  try {
    // The gallery of "On this device", which names consenting people.
    gallery = await openDeviceGallery(fr);
  } catch (err) {
    gallery = null;
    say('anon-result', `The gallery in this browser cannot be used (only "every face" works): ${message(err)}`, true);
  }
  say('anon-status', `Ready: ${fr.detector.name} runs on this device.`);
  update();
}

function update() {
  $('anon-run').disabled = !(fr && $('anon-file').files[0]);
}
$('anon-file').addEventListener('change', update);

/** Paints an RGB image on the canvas at its own size. */
function paint(canvas, image) {
  canvas.width = image.width;
  canvas.height = image.height;
  const rgba = new ImageData(image.width, image.height);
  for (let i = 0, j = 0; j < image.data.length; i += 4, j += 3) {
    rgba.data[i] = image.data[j];
    rgba.data[i + 1] = image.data[j + 1];
    rgba.data[i + 2] = image.data[j + 2];
    rgba.data[i + 3] = 255;
  }
  canvas.getContext('2d').putImageData(rgba, 0, 0);
}

$('anon-run').addEventListener('click', async () => {
  say('anon-result', 'Covering faces on this device…');
  $('anon-download').disabled = true;
  try {
    const mode = $('anon-mode').value;
    const ids = $('anon-ids')
      .value.split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0);
    if (mode !== 'all' && gallery === null) throw new Error('Naming people needs the gallery of this browser, which cannot be used');
    const image = await af.decodeImage(new Uint8Array(await $('anon-file').files[0].arrayBuffer()));
    const started = performance.now();
    const r = await af.anonymizePhoto(image, {
      recognizer: fr,
      mode,
      ids: mode === 'all' ? [] : ids,
      style: $('anon-style').value,
      pad: Number($('anon-pad').value),
      ...(mode === 'all' ? {} : { gallery }),
    });
    const canvas = $('anon-canvas');
    paint(canvas, r.image);
    canvas.dataset.covered = JSON.stringify(r.covered);
    const kept = r.kept.map((k) => `${k.identity ?? 'unknown'} (${k.reason}, ${k.score.toFixed(3)})`).join(', ');
    const took = Math.round(performance.now() - started);
    say(
      'anon-result',
      `${r.covered.length} face${r.covered.length === 1 ? '' : 's'} covered, ${r.kept.length} kept visible${kept ? `: ${kept}` : ''} — ${took} ms on this device.`,
    );
    $('anon-result').dataset.covered = String(r.covered.length);
    $('anon-download').disabled = false;
  } catch (err) {
    say('anon-result', message(err), true);
  }
});

// The covered photo is saved from the canvas (PNG), never from the original file.
$('anon-download').addEventListener('click', () => {
  $('anon-canvas').toBlob((blob) => {
    const link = document.createElement('a');
    link.href = URL.createObjectURL(blob);
    link.download = 'anonymized.png';
    link.click();
    setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
  }, 'image/png');
});

start();
