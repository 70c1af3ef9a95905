/**
 * Opens a gallery in this (fresh) process and prints how long until its index is ready, as JSON:
 * what a server or a CLI command pays at start. Used by `bench/gallery.ts`.
 *
 * Run: `npx tsx bench/open-gallery.ts <file.db> <exact|int8|hnsw|auto> <fingerprint> <dim> [M efConstruction]`
 */
import { openGallery, type IndexChoice } from '../src/gallery/index.js';

const [path, index, fingerprint, dim, m, efc] = process.argv.slice(2);
if (path === undefined || index === undefined || fingerprint === undefined || dim === undefined) {
  console.error('usage: open-gallery.ts <file.db> <exact|int8|hnsw|auto> <fingerprint> <dim> [M efConstruction]');
  process.exit(2);
}
const t = performance.now();
const g = await openGallery(path, {
  fingerprint,
  embeddingSize: Number(dim),
  threshold: 0.3,
  index: index as IndexChoice,
  ...(m === undefined ? {} : { hnswM: Number(m) }),
  ...(efc === undefined ? {} : { hnswEfConstruction: Number(efc) }),
});
const info = await g.indexInfo();
const s = (performance.now() - t) / 1000;
await g.close();
console.log(JSON.stringify({ s, kind: info.kind }));
