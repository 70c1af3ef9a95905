import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { benchEmbed } from './embed.js';
import { benchPipeline } from './pipeline.js';

const shared = process.env.ARCFACE_SHARED ?? resolve(import.meta.dirname, '..', '..', 'shared');
if (!existsSync(shared)) throw new Error(`Benchmarks need the shared models and data at ${shared} (set ARCFACE_SHARED)`);
const only = new Set(process.argv.slice(2).filter((a) => !a.startsWith('-')));
const want = (name: string): boolean => only.size === 0 || only.has(name);

console.log(`# ArcFace.ts benchmarks — ${new Date().toISOString()}, node ${process.version}, ${(await import('node:os')).cpus().length} cores`);
if (want('embed')) await benchEmbed(shared);
if (want('pipeline')) await benchPipeline(shared);
