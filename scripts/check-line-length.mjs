#!/usr/bin/env node
// Fails when a tracked source line is longer than MAX_LINE characters: long lines hide structure
// (../shared/DESIGN.md, "let a formatter decide"). Plain Node, no dependencies, so `npm run lint` is fast.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** The project's hard limit; the formatter wraps at 160 (biome.jsonc). */
const MAX_LINE = 200;
const EXTENSIONS = ['.ts', '.js', '.mjs', '.css', '.html'];

const files = execFileSync('git', ['ls-files'], { encoding: 'utf8' })
  .split('\n')
  .filter((f) => EXTENSIONS.some((e) => f.endsWith(e)));
const long = [];
for (const file of files) {
  readFileSync(file, 'utf8')
    .split('\n')
    .forEach((line, i) => {
      if (line.length > MAX_LINE) long.push(`${file}:${i + 1}: ${line.length} characters`);
    });
}
if (long.length > 0) {
  process.stderr.write(`Expected lines of at most ${MAX_LINE} characters but found ${long.length}:\n${long.join('\n')}\n`);
  process.exit(1);
}
process.stdout.write(`line length: ${files.length} files, no line over ${MAX_LINE} characters\n`);
