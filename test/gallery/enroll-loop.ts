/**
 * Child process of the crash test: enrols identities of 50 templates each, forever, printing
 * `committed <id>` after each commit, until it is killed.
 */
import { openGallery } from '../../src/gallery/index.js';
import { DIM, FP } from './fixtures.js';
import { near, randomUnit, rng } from './synthetic.js';

const [path, prefix = 'crash'] = process.argv.slice(2);
if (path === undefined) throw new Error('usage: enroll-loop.ts <gallery.db> [id-prefix]');
const g = await openGallery(path, { fingerprint: FP, embeddingSize: DIM, threshold: 0.3 });
const r = rng(prefix.length);
for (let i = 0; ; i++) {
  const base = randomUnit(r, DIM);
  const id = `${prefix}_${i}`;
  await g.enroll(
    id,
    Array.from({ length: 50 }, () => near(r, base, 0.7)),
    { metadata: { i } },
  );
  process.stdout.write(`committed ${id}\n`);
}
