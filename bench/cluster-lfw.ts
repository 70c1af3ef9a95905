/**
 * The LFW photos of the shared data as a labelled clustering set: one embedding per photo (its
 * central face, the face LFW labels), the true label being the folder name. Embeddings come from the
 * evaluation's embedding cache (bench-output/cluster-cache, gitignored), so only the first run embeds.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { EmbeddingCache, embedImageFiles, FALLBACK_METHOD } from '../src/eval/index.js';
import { FaceRecognizer } from '../src/pipeline/index.js';

/** Labelled embeddings of one LFW folder. */
export interface LabelledEmbeddings {
  /** Relative paths `Name/Name_0001.jpg`, sorted. */
  readonly files: readonly string[];
  /** Folder name of each file. */
  readonly labels: readonly string[];
  /** Unit embeddings, one per file. */
  readonly embeddings: readonly Float32Array[];
  /** Files where no face was found (the central fallback face was embedded). */
  readonly noFace: number;
}

/**
 * Lists `root/<Name>/*.jpg`, embeds each photo's central face through the cache and returns them.
 *
 * @example
 * const set = await loadLfwEmbeddings('../shared', 'lfw', 'bench-output/cluster-cache')
 */
export async function loadLfwEmbeddings(
  shared: string,
  variant: string,
  cacheDir: string,
  log: (line: string) => void = () => undefined,
): Promise<LabelledEmbeddings> {
  const root = join(shared, 'data', 'faces', variant);
  const people = (await readdir(root, { withFileTypes: true }))
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
  const files: string[] = [];
  for (const name of people) {
    for (const f of (await readdir(join(root, name))).filter((f) => f.endsWith('.jpg')).sort()) files.push(`${name}/${f}`);
  }
  const fr = await FaceRecognizer.create({ locations: { home: join(cacheDir, 'models-home'), dirs: [join(shared, 'models')] } });
  try {
    const cache = await EmbeddingCache.open(cacheDir, { fingerprint: fr.fingerprint, detector: fr.detector.name, flip: false, fallback: FALLBACK_METHOD });
    let last = 0;
    const r = await embedImageFiles(fr, root, files, {
      cache,
      onProgress: (p) => {
        if (p.elapsedMs - last > 15_000 || p.done === p.total) {
          last = p.elapsedMs;
          if (p.cached < p.done) log(`embedded ${p.done}/${p.total} photos (${p.cached} cached) in ${Math.round(p.elapsedMs / 1000)} s`);
        }
      },
    });
    const embeddings = files.map((f) => (r.embeddings.get(f) as { embedding: Float32Array }).embedding);
    return { files, labels: files.map((f) => f.slice(0, f.indexOf('/'))), embeddings, noFace: r.noFace.length };
  } finally {
    await fr.dispose();
  }
}
