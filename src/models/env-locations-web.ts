import type { ModelLocations } from './registry.js';

/** The environment variables that locate models (see `env-locations.ts`). */
export interface ModelEnvironment {
  readonly ARCFACE_HOME?: string | undefined;
  readonly ARCFACE_MODELS?: string | undefined;
  readonly XDG_CACHE_HOME?: string | undefined;
}

/**
 * The browser twin of `env-locations.ts`: a page has no environment and no home folder, so there is
 * nothing to look up; pages name their model folder with `modelBaseUrl`.
 *
 * @example
 * modelLocationsFromEnv({}) // { home: '', dirs: [] }
 */
export function modelLocationsFromEnv(_env: ModelEnvironment): ModelLocations {
  return { home: '', dirs: [] };
}
