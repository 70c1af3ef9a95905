import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import type { ModelLocations } from './registry.js';

/** The variables {@link modelLocationsFromEnv} reads. */
export interface ModelEnvironment {
  readonly ARCFACE_HOME?: string | undefined;
  readonly ARCFACE_MODELS?: string | undefined;
  readonly XDG_CACHE_HOME?: string | undefined;
}

/**
 * Model locations from environment variables, the way the `arcface` command finds models:
 * `ARCFACE_MODELS` (folders split on the path delimiter, searched first) and `ARCFACE_HOME` (the
 * cache `models pull` writes to), whose default follows the XDG base directory spec:
 * `$XDG_CACHE_HOME/arcface`, else `~/.cache/arcface`. The caller passes the environment, so that
 * reading it stays visible (apps pass `process.env`; `FaceRecognizer.create` does so only when it
 * was given no locations).
 *
 * @example
 * const { home, dirs } = modelLocationsFromEnv(process.env)
 */
export function modelLocationsFromEnv(env: ModelEnvironment): ModelLocations {
  const home = env.ARCFACE_HOME ?? join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'arcface');
  const dirs = (env.ARCFACE_MODELS ?? '').split(delimiter).filter((d) => d.length > 0);
  return Object.freeze({ home, dirs: Object.freeze(dirs) });
}
