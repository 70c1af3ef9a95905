import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';

/** Where models are looked up, from the environment (read here, in apps/, and nowhere in src/). */
export interface ModelLocations {
  /** Cache folder that `arcface models pull/add` write to: `ARCFACE_HOME`, else the user cache dir. */
  readonly home: string;
  /** Extra read-only folders, `ARCFACE_MODELS` split on the path delimiter. */
  readonly dirs: readonly string[];
}

/**
 * Reads `ARCFACE_HOME` and `ARCFACE_MODELS`. The default home follows the XDG base directory spec:
 * `$XDG_CACHE_HOME/arcface`, else `~/.cache/arcface`.
 *
 * @example
 * const { home, dirs } = modelLocationsFromEnv(process.env)
 */
export function modelLocationsFromEnv(env: NodeJS.ProcessEnv): ModelLocations {
  const home = env.ARCFACE_HOME ?? join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'arcface');
  const dirs = (env.ARCFACE_MODELS ?? '').split(delimiter).filter((d) => d.length > 0);
  return Object.freeze({ home, dirs: Object.freeze(dirs) });
}
