/**
 * Boundary validators. They throw `TypeError` for the wrong kind of value and `RangeError` for a
 * value out of range, with a message that names the parameter, what was expected and what came.
 */

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return `"${value.length > 40 ? `${value.slice(0, 40)}…` : value}" of type string`;
  if (typeof value === 'object') return `a value of type ${Array.isArray(value) ? 'array' : 'object'}`;
  return `${String(value)} of type ${typeof value}`;
}

/**
 * Checks that `value` is an integer in [min, max] and returns it.
 *
 * @example
 * const batch = assertInteger('batchSize', opts.batchSize, 1, 64)
 */
export function assertInteger(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new TypeError(`Expected an integer between ${min} and ${max} for ${name} but received ${describe(value)}`);
  }
  if (value < min || value > max) {
    throw new RangeError(`Expected an integer between ${min} and ${max} for ${name} but received ${describe(value)}`);
  }
  return value;
}

/**
 * Checks that `value` is a finite number in [min, max] and returns it.
 *
 * @example
 * const t = assertNumber('threshold', 0.3, -1, 1)
 */
export function assertNumber(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new TypeError(`Expected a finite number between ${min} and ${max} for ${name} but received ${describe(value)}`);
  }
  if (value < min || value > max) {
    throw new RangeError(`Expected a number between ${min} and ${max} for ${name} but received ${describe(value)}`);
  }
  return value;
}

/**
 * Checks that `value` is a boolean and returns it.
 *
 * @example
 * const flip = assertBoolean('flip', opts.flip)
 */
export function assertBoolean(name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw new TypeError(`Expected a boolean for ${name} but received ${describe(value)}`);
  return value;
}

/**
 * Checks that `value` is a non-empty string and returns it.
 *
 * @example
 * const id = assertString('id', 'alice')
 */
export function assertString(name: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new TypeError(`Expected a non-empty string for ${name} but received ${describe(value)}`);
  }
  return value;
}

/**
 * Checks that `value` is one of `allowed` and returns it.
 *
 * @example
 * const layout = assertOneOf('layout', 'NCHW', ['NCHW', 'NHWC'] as const)
 */
export function assertOneOf<T extends string>(name: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new TypeError(`Expected one of ${allowed.map((a) => `"${a}"`).join(', ')} for ${name} but received ${describe(value)}`);
  }
  return value as T;
}
