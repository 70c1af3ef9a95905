import { InvalidArgumentError } from 'commander';

/**
 * A commander parser for an integer option within bounds.
 *
 * @example
 * .option('--batch <n>', 'batch size', parseIntOption('--batch', 1, 256), 8)
 */
export function parseIntOption(name: string, min: number, max: number): (value: string) => number {
  return (value: string): number => {
    const n = /^-?[0-9]+$/.test(value) ? Number(value) : Number.NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max)
      throw new InvalidArgumentError(`Expected an integer between ${min} and ${max} for ${name} but received "${value}"`);
    return n;
  };
}

/**
 * A commander parser for a number option within bounds.
 *
 * @example
 * .option('--threshold <t>', 'cosine threshold', parseNumberOption('--threshold', -1, 1))
 * .option('--far <rate>', 'false accept rate', parseNumberOption('--far', 0, 1, { minExclusive: true }))
 */
export function parseNumberOption(name: string, min: number, max: number, bounds: { readonly minExclusive?: boolean } = {}): (value: string) => number {
  const exclusive = bounds.minExclusive === true;
  return (value: string): number => {
    const n = /^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$/.test(value) ? Number(value) : Number.NaN;
    if (!Number.isFinite(n) || n < min || (exclusive && n === min) || n > max) {
      throw new InvalidArgumentError(`Expected a number between ${min} and ${max}${exclusive ? ` (above ${min})` : ''} for ${name} but received "${value}"`);
    }
    return n;
  };
}

/**
 * A commander parser for an option that takes one of a fixed set of words.
 *
 * @example
 * .option('--select <rule>', 'largest | central', parseChoiceOption('--select', ['largest', 'central'] as const), 'largest')
 */
export function parseChoiceOption<T extends string>(name: string, choices: readonly T[]): (value: string) => T {
  return (value: string): T => {
    const found = choices.find((c) => c === value);
    if (found === undefined) throw new InvalidArgumentError(`Expected one of ${choices.join(', ')} for ${name} but received "${value}"`);
    return found;
  };
}

/**
 * An embedding as a plain array with float32 precision (9 significant digits), for JSON.
 *
 * @example
 * rounded(new Float32Array([0.1])) // [0.1]
 */
export function rounded(v: Float32Array): number[] {
  return Array.from(v, (x) => Number(x.toPrecision(9)));
}
