// The gallery of this browser (IndexedDB), shared by "On this device" (its worker enrols and names
// people) and "Anonymise" (it names consenting people): one name and one threshold rule for both.
import * as af from '/arcface/arcface.js';

/** The IndexedDB database of the device's gallery. */
const GALLERY_NAME = 'arcface-gallery';
/** Used only when the recogniser has no calibrated threshold (see README, "Thresholds"). */
const FALLBACK_THRESHOLD = 0.3;

/** The identification threshold of a recogniser in these pages. */
export function deviceThreshold(fr) {
  return fr.threshold ?? FALLBACK_THRESHOLD;
}

/** Opens the device's gallery for a recogniser's embeddings; rejects when this browser cannot keep it. */
export async function openDeviceGallery(fr) {
  const store = await af.IndexedDbGalleryStore.open(GALLERY_NAME, { fingerprint: fr.fingerprint, embeddingSize: fr.embeddingSize });
  return af.Gallery.fromStore(store, { fingerprint: fr.fingerprint, embeddingSize: fr.embeddingSize, threshold: deviceThreshold(fr) });
}
