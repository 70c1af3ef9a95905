/**
 * The best `capacity` (score, item) pairs offered, kept sorted best first by insertion (cheap for the
 * short lists of a neighbour search).
 *
 * @example
 * const top = new TopList(5); top.offer(0.9, 17); top.item(0) // 17
 */
export class TopList {
  readonly capacity: number;
  #scores: Float64Array;
  #items: Int32Array;
  #length = 0;
  #floor = -Infinity;

  constructor(capacity: number) {
    this.capacity = capacity;
    this.#scores = new Float64Array(capacity);
    this.#items = new Int32Array(capacity);
  }

  get length(): number {
    return this.#length;
  }

  /**
   * Empties the list; scores below `floor` will be refused.
   *
   * @example
   * top.reset(0.3)
   */
  reset(floor: number): void {
    this.#length = 0;
    this.#floor = floor;
  }

  /**
   * Offers a pair; kept when it is among the best so far (ties keep the earlier offer first).
   *
   * @example
   * top.offer(0.8, 12)
   */
  offer(score: number, item: number): void {
    if (score < this.#floor) return;
    const n = this.#length;
    if (n === this.capacity && score <= (this.#scores[n - 1] as number)) return;
    let i = n === this.capacity ? n - 1 : n;
    while (i > 0 && (this.#scores[i - 1] as number) < score) {
      this.#scores[i] = this.#scores[i - 1] as number;
      this.#items[i] = this.#items[i - 1] as number;
      i--;
    }
    this.#scores[i] = score;
    this.#items[i] = item;
    if (n < this.capacity) this.#length = n + 1;
  }

  /** The item at rank `i` (0 = best). */
  item(i: number): number {
    return this.#items[i] as number;
  }

  /** The score at rank `i`. */
  score(i: number): number {
    return this.#scores[i] as number;
  }

  /**
   * Copies the list into rows of a graph at `offset`, padding with −1.
   *
   * @example
   * top.writeTo(neighbours, scores, row * k)
   */
  writeTo(items: Int32Array, scores: Float32Array, offset: number): void {
    for (let i = 0; i < this.capacity; i++) {
      items[offset + i] = i < this.#length ? (this.#items[i] as number) : -1;
      scores[offset + i] = i < this.#length ? (this.#scores[i] as number) : 0;
    }
  }
}
