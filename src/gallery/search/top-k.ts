/** One search hit: a row of an index and its cosine score. */
export interface Neighbour {
  readonly row: number;
  readonly score: number;
}

/**
 * A bounded min-heap keeping the `k` best (row, score) pairs seen; no allocation per push. Ties keep
 * the lower row, so results are deterministic across scans.
 *
 * @example
 * const h = new TopK(10); h.push(3, 0.9); h.sorted() // [{ row: 3, score: 0.9 }]
 */
export class TopK {
  readonly k: number;
  private readonly rows: Int32Array;
  private readonly scores: Float64Array;
  private n = 0;

  constructor(k: number) {
    this.k = k;
    this.rows = new Int32Array(k);
    this.scores = new Float64Array(k);
  }

  /** The score a new pair must beat to enter (−∞ while not full). */
  get floor(): number {
    return this.n < this.k ? -Infinity : (this.scores[0] as number);
  }

  /** Offers a pair; kept when among the k best so far. */
  push(row: number, score: number): void {
    if (this.n < this.k) {
      let i = this.n++;
      while (i > 0) {
        const p = (i - 1) >> 1;
        if (!this.worse(row, score, p)) break;
        this.rows[i] = this.rows[p] as number;
        this.scores[i] = this.scores[p] as number;
        i = p;
      }
      this.rows[i] = row;
      this.scores[i] = score;
      return;
    }
    if (!this.better(row, score, 0)) return;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= this.n) break;
      const r = l + 1;
      const c = r < this.n && this.worseAt(r, l) ? r : l;
      if (!this.better(row, score, c)) break;
      this.rows[i] = this.rows[c] as number;
      this.scores[i] = this.scores[c] as number;
      i = c;
    }
    this.rows[i] = row;
    this.scores[i] = score;
  }

  /** The kept pairs, best first. */
  sorted(): Neighbour[] {
    const out: Neighbour[] = [];
    for (let i = 0; i < this.n; i++) out.push({ row: this.rows[i] as number, score: this.scores[i] as number });
    return out.sort((a, b) => b.score - a.score || a.row - b.row);
  }

  private worse(row: number, score: number, at: number): boolean {
    const s = this.scores[at] as number;
    return score < s || (score === s && row > (this.rows[at] as number));
  }

  private better(row: number, score: number, at: number): boolean {
    const s = this.scores[at] as number;
    return score > s || (score === s && row < (this.rows[at] as number));
  }

  private worseAt(a: number, b: number): boolean {
    return this.worse(this.rows[a] as number, this.scores[a] as number, b);
  }
}
