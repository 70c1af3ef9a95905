import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { xz } from '@napi-rs/lzma';
import { pack } from 'tar-stream';

/** Packs files into a tar (optionally gzip or xz) and writes it; returns its path. */
export async function writeArchive(
  dir: string,
  name: string,
  files: Record<string, Uint8Array | string>,
  compression: 'none' | 'gzip' | 'xz',
): Promise<string> {
  const p = pack();
  for (const [path, content] of Object.entries(files)) p.entry({ name: path }, typeof content === 'string' ? Buffer.from(content) : Buffer.from(content));
  p.finalize();
  const chunks: Buffer[] = [];
  for await (const c of p) chunks.push(c as Buffer);
  const tar = Buffer.concat(chunks);
  const bytes = compression === 'gzip' ? gzipSync(tar) : compression === 'xz' ? await xz.compress(tar) : tar;
  await mkdir(dir, { recursive: true });
  const out = join(dir, name);
  await writeFile(out, bytes);
  return out;
}
