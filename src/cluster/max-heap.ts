/**
 * A binary max-heap of (score, a, b, stamp) candidate merges in parallel typed arrays, so a few
 * million entries cost no objects.
 *
 * @example
 * const heap = new MergeHeap(); heap.push(0.8, 1, 2, 0)
 */
export class MergeHeap {
  #score = new Float64Array(1024);
  #a = new Int32Array(1024);
  #b = new Int32Array(1024);
  #stamp = new Float64Array(1024);
  #size = 0;

  get size(): number {
    return this.#size;
  }

  /**
   * Adds an entry.
   *
   * @example
   * heap.push(0.7, 3, 9, 0)
   */
  push(score: number, a: number, b: number, stamp: number): void {
    if (this.#size === this.#score.length) this.#grow();
    let i = this.#size++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if ((this.#score[p] as number) >= score) break;
      this.#move(p, i);
      i = p;
    }
    this.#score[i] = score;
    this.#a[i] = a;
    this.#b[i] = b;
    this.#stamp[i] = stamp;
  }

  /**
   * Removes the best entry into `out` (score, a, b, stamp); false when empty.
   *
   * @example
   * const e = { score: 0, a: 0, b: 0, stamp: 0 }; while (heap.pop(e)) use(e)
   */
  pop(out: { score: number; a: number; b: number; stamp: number }): boolean {
    if (this.#size === 0) return false;
    out.score = this.#score[0] as number;
    out.a = this.#a[0] as number;
    out.b = this.#b[0] as number;
    out.stamp = this.#stamp[0] as number;
    const last = --this.#size;
    const s = this.#score[last] as number;
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= last) break;
      if (c + 1 < last && (this.#score[c + 1] as number) > (this.#score[c] as number)) c++;
      if ((this.#score[c] as number) <= s) break;
      this.#move(c, i);
      i = c;
    }
    this.#move(last, i);
    return true;
  }

  #move(from: number, to: number): void {
    this.#score[to] = this.#score[from] as number;
    this.#a[to] = this.#a[from] as number;
    this.#b[to] = this.#b[from] as number;
    this.#stamp[to] = this.#stamp[from] as number;
  }

  #grow(): void {
    const n = this.#score.length * 2;
    const grow = <T extends Float64Array | Int32Array>(old: T, make: (n: number) => T): T => {
      const x = make(n);
      x.set(old);
      return x;
    };
    this.#score = grow(this.#score, (k) => new Float64Array(k));
    this.#a = grow(this.#a, (k) => new Int32Array(k));
    this.#b = grow(this.#b, (k) => new Int32Array(k));
    this.#stamp = grow(this.#stamp, (k) => new Float64Array(k));
  }
}
