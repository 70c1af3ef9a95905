/**
 * Builds the browser bundle `dist/browser/arcface.js` (ESM, from `src/browser.ts`) with esbuild and
 * copies onnxruntime-web's WebAssembly files beside it, so the folder works from any static host.
 * The Node backend files are swapped for their browser twins (the `browser` map in package.json);
 * everything else is the very source Node.js runs.
 *
 * Run: `node --import tsx scripts/build-browser.ts` (part of `npm run build`).
 */
import { copyFileSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist', 'browser');

/**
 * Node backend file → browser backend file (paths under src/, without extension), read from the
 * `browser` map of package.json, which tells other bundlers the same swaps for the compiled files.
 */
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { browser: Record<string, string> };
const toSrc = (p: string): string => p.replace(/^\.\/dist\/src\//, '').replace(/\.js$/, '');
const BROWSER_SWAPS: Readonly<Record<string, string>> = Object.freeze(Object.fromEntries(Object.entries(pkg.browser).map(([k, v]) => [toSrc(k), toSrc(v)])));
if (Object.keys(BROWSER_SWAPS).length === 0) throw new Error('Expected the browser map in package.json but it is empty');

const swapPlugin: Plugin = {
  name: 'arcface-browser-swaps',
  setup(b) {
    b.onResolve({ filter: /^\.\.?\/.*\.js$/ }, (args) => {
      const target = relative(join(root, 'src'), resolve(args.resolveDir, args.path)).replace(/\\/g, '/').replace(/\.js$/, '');
      const swap = BROWSER_SWAPS[target];
      return swap === undefined ? undefined : { path: join(root, 'src', `${swap}.ts`) };
    });
  },
};

mkdirSync(out, { recursive: true });
const result = await build({
  entryPoints: [join(root, 'src', 'browser.ts')],
  outfile: join(out, 'arcface.js'),
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: ['chrome113', 'firefox120', 'safari17'],
  sourcemap: true,
  minify: true,
  legalComments: 'linked',
  metafile: true,
  logLevel: 'warning',
  plugins: [swapPlugin],
});
const nodeInputs = Object.keys(result.metafile.inputs).filter((p) => /node_modules\/(onnxruntime-node|sharp)\/|(^|\/)node:/.test(p));
if (nodeInputs.length > 0) throw new Error(`Expected no Node.js module in the browser bundle but it holds ${nodeInputs.join(', ')}`);

// onnxruntime-web loads its WebAssembly (and the matching .mjs glue) at run time from the bundle's folder.
const ortDist = join(dirname(createRequire(import.meta.url).resolve('onnxruntime-web')), '');
for (const f of readdirSync(ortDist)) {
  if (/^ort-wasm-simd-threaded(\.jsep)?\.(wasm|mjs)$/.test(f)) copyFileSync(join(ortDist, f), join(out, f));
}
const size = statSync(join(out, 'arcface.js')).size;
process.stdout.write(`browser bundle: ${relative(root, join(out, 'arcface.js'))} (${(size / 1024).toFixed(0)} KiB)\n`);
