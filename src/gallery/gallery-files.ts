/**
 * The file operations of `Gallery.export(path)` / `Gallery.import(path)`, in one place so the
 * browser build can swap them (`gallery-files-web.ts`) while the gallery logic stays the same code.
 */
export { readFile, rename, rm, writeFile } from 'node:fs/promises';
export { PRIVATE_FILE_MODE } from './stores/private-file.js';
