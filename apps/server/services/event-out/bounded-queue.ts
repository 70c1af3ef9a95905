/**
 * The queue between the event bus and one sink: a fixed number of places, and when it is full the
 * oldest waiting item makes room for the new one (a late "Alice arrived" is worth more than an old
 * one that could not be delivered), counted as a drop. Putting an item never waits.
 */

/**
 * A first-in first-out queue of at most `capacity` items that drops its oldest item when full.
 *
 * @example
 * const q = new BoundedQueue<string>(2, () => drops++)
 * q.push('a'); q.push('b'); q.push('c') // 'a' dropped
 * q.shift() // 'b'
 */
export class BoundedQueue<T> {
  readonly #items: T[] = [];
  readonly #capacity: number;
  readonly #onDrop: (item: T) => void;

  constructor(capacity: number, onDrop: (item: T) => void) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`Expected an integer of at least 1 for capacity but received ${capacity}`);
    this.#capacity = capacity;
    this.#onDrop = onDrop;
  }

  /** Items waiting. */
  get length(): number {
    return this.#items.length;
  }

  /**
   * Adds an item at the end; drops (and reports) the oldest one first when the queue is full.
   *
   * @example
   * queue.push(event)
   */
  push(item: T): void {
    if (this.#items.length >= this.#capacity) this.#onDrop(this.#items.shift() as T);
    this.#items.push(item);
  }

  /**
   * Takes the oldest item, or undefined when none waits.
   *
   * @example
   * const next = queue.shift()
   */
  shift(): T | undefined {
    return this.#items.shift();
  }

  /**
   * Puts an item back at the front (a delivery to try again), unless the queue has filled meanwhile:
   * then it is dropped and reported.
   *
   * @example
   * queue.unshift(failed)
   */
  unshift(item: T): void {
    if (this.#items.length >= this.#capacity) this.#onDrop(item);
    else this.#items.unshift(item);
  }

  /**
   * Empties the queue and returns what was waiting.
   *
   * @example
   * const left = queue.drain()
   */
  drain(): T[] {
    return this.#items.splice(0);
  }
}
