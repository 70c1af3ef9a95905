import { ArcFaceError } from '../core/index.js';
import type { KnownModel } from './known-model.js';
import { findKnownModel, findKnownModelByFileName, KNOWN_MODELS } from './known-models.js';
import type * as NodeRegistry from './registry.js';

/**
 * The browser twin of `registry.ts`: a model "folder" is a URL (`locations.home`, which
 * `FaceRecognizer.create({ modelBaseUrl })` fills), and a registry name resolves to
 * `<home>/<fileName>`. The browser build swaps `registry.ts` for this file; the file is fetched
 * and checked against the registry when the model loads (`fetchModelBytes`).
 */
export type ModelLocations = NodeRegistry.ModelLocations;

/**
 * Checks a {@link ModelLocations} value; `home` is a base URL (absolute, or relative to the page).
 *
 * @example
 * validateModelLocations({ home: '/models', dirs: [] })
 */
export const validateModelLocations: typeof NodeRegistry.validateModelLocations = (value: unknown): ModelLocations => {
  if (typeof value !== 'object' || value === null)
    throw new TypeError(`Expected model locations {home, dirs} but received ${value === null ? 'null' : typeof value}`);
  const { home, dirs } = value as { home?: unknown; dirs?: unknown };
  if (typeof home !== 'string') throw new TypeError(`Expected a base URL string for locations.home but received ${JSON.stringify(home) ?? typeof home}`);
  const list = Array.isArray(dirs) ? dirs : [];
  if (!list.every((d): d is string => typeof d === 'string' && d.length > 0)) {
    throw new TypeError(`Expected an array of URL strings for locations.dirs but received ${JSON.stringify(dirs)}`);
  }
  return Object.freeze({ home: home.replace(/\/+$/, ''), dirs: Object.freeze(list.map((d) => d.replace(/\/+$/, ''))) });
};

/**
 * The URL of a model: a registry name or registry file name under `locations.home`, or a URL given
 * as is (it contains a `/` or ends in `.onnx`). `MODEL_UNKNOWN_NAME` for anything else.
 *
 * @example
 * resolveModelPath('w600k-mbf-int8', { home: 'https://example.org/models', dirs: [] }) // '…/models/w600k_mbf_int8.onnx'
 */
export const resolveModelPath: typeof NodeRegistry.resolveModelPath = (
  nameOrPath: string,
  locations: ModelLocations,
  catalog: readonly KnownModel[] = KNOWN_MODELS,
): string => {
  if (typeof nameOrPath !== 'string' || nameOrPath.length === 0) {
    throw new ArcFaceError('INVALID_ARGUMENT', `Expected a model name or URL but received ${JSON.stringify(nameOrPath) ?? typeof nameOrPath}`);
  }
  const loc = validateModelLocations(locations);
  const model = findKnownModel(nameOrPath, catalog) ?? (nameOrPath.includes('/') ? undefined : findKnownModelByFileName(nameOrPath, catalog));
  if (model === undefined) {
    if (nameOrPath.includes('/') || nameOrPath.toLowerCase().endsWith('.onnx')) return nameOrPath;
    throw new ArcFaceError(
      'MODEL_UNKNOWN_NAME',
      `Expected a known model name or a model URL but received "${nameOrPath}". Known names: ${catalog.map((m) => m.name).join(', ')}`,
      {
        details: { name: nameOrPath },
      },
    );
  }
  if (loc.home === '') {
    throw new ArcFaceError(
      'INVALID_ARGUMENT',
      `Expected modelBaseUrl (the URL of the folder holding ${model.fileName}) to load ${model.name} by name, but none was given`,
    );
  }
  return `${loc.home}/${model.fileName}`;
};
