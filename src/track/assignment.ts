/**
 * Optimal assignment (the linear sum assignment problem) for the tracker's association step.
 *
 * `solveAssignment` is the Hungarian method in its shortest-augmenting-path form with dual potentials
 * (Kuhn–Munkres as refined by Jonker and Volgenant, "A shortest augmenting path algorithm for dense and
 * sparse linear assignment problems", Computing 38, 1987): O(n²m) for n rows ≤ m columns. Greedy
 * matching is not used anywhere: it fails exactly when two faces cross, the case a tracker is for.
 *
 * `linearAssignment` adds ByteTrack's gate: pairs whose cost exceeds `costLimit` are never matched.
 * ByteTrack (`yolox/tracker/matching.py`, `linear_assignment`) calls `lap.lapjv(cost,
 * extend_cost=True, cost_limit=thresh)`, which pads the matrix with dummy rows and columns of cost
 * `costLimit / 2`, so leaving a row and a column unmatched costs `costLimit`; we build the same padded
 * problem, so the result is the same optimum, not a greedy approximation of it, solved per connected
 * component of the allowed pairs (the optimum is the union of the components' optima).
 */

/** A matched (row, column) pair. */
export type AssignedPair = readonly [row: number, col: number];

/** Result of {@link linearAssignment}. */
export interface AssignmentResult {
  /** Matched pairs, ordered by row. */
  readonly matches: AssignedPair[];
  readonly unmatchedRows: number[];
  readonly unmatchedCols: number[];
}

function checkMatrix(cost: readonly (readonly number[])[]): number {
  if (!Array.isArray(cost)) throw new TypeError(`Expected a cost matrix (array of rows) but received ${typeof cost}`);
  const m = cost.length === 0 ? 0 : (cost[0]?.length ?? 0);
  cost.forEach((row, i) => {
    if (!Array.isArray(row) || row.length !== m) {
      throw new RangeError(`Expected cost row ${i} to have ${m} columns but received ${Array.isArray(row) ? row.length : typeof row}`);
    }
    row.forEach((v, j) => {
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new TypeError(`Expected a finite cost at [${i}][${j}] but received ${String(v)}`);
    });
  });
  return m;
}

/**
 * Minimum-cost assignment of a rectangular matrix: every row is matched when rows ≤ columns, every
 * column otherwise. Returns, for each row, its column or -1.
 *
 * @example
 * solveAssignment([[4, 1], [2, 3]]) // [1, 0] (total 3)
 */
export function solveAssignment(cost: readonly (readonly number[])[]): number[] {
  const m = checkMatrix(cost);
  const n = cost.length;
  if (n === 0 || m === 0) return new Array<number>(n).fill(-1);
  if (n > m) {
    const t = Array.from({ length: m }, (_, j) => Array.from({ length: n }, (_, i) => (cost[i] as readonly number[])[j] as number));
    const colOfT = solveAssignment(t);
    const rowToCol = new Array<number>(n).fill(-1);
    colOfT.forEach((i, j) => {
      if (i >= 0) rowToCol[i] = j;
    });
    return rowToCol;
  }
  // Potentials u (rows), v (columns); p[j] = row matched to column j (1-based, 0 = none); way = path.
  const u = new Float64Array(n + 1);
  const v = new Float64Array(m + 1);
  const p = new Int32Array(m + 1);
  const way = new Int32Array(m + 1);
  for (let i = 1; i <= n; i++) {
    p[0] = i;
    let j0 = 0;
    const minv = new Float64Array(m + 1).fill(Infinity);
    const used = new Uint8Array(m + 1);
    do {
      used[j0] = 1;
      const i0 = p[j0] as number;
      const row = cost[i0 - 1] as readonly number[];
      let delta = Infinity;
      let j1 = 0;
      for (let j = 1; j <= m; j++) {
        if (used[j] === 1) continue;
        const cur = (row[j - 1] as number) - (u[i0] as number) - (v[j] as number);
        if (cur < (minv[j] as number)) {
          minv[j] = cur;
          way[j] = j0;
        }
        if ((minv[j] as number) < delta) {
          delta = minv[j] as number;
          j1 = j;
        }
      }
      for (let j = 0; j <= m; j++) {
        if (used[j] === 1) {
          u[p[j] as number] = (u[p[j] as number] as number) + delta;
          v[j] = (v[j] as number) - delta;
        } else {
          minv[j] = (minv[j] as number) - delta;
        }
      }
      j0 = j1;
    } while (p[j0] !== 0);
    do {
      const j1 = way[j0] as number;
      p[j0] = p[j1] as number;
      j0 = j1;
    } while (j0 !== 0);
  }
  const rowToCol = new Array<number>(n).fill(-1);
  for (let j = 1; j <= m; j++) if ((p[j] as number) > 0) rowToCol[(p[j] as number) - 1] = j - 1;
  return rowToCol;
}

/**
 * Minimum-cost partial matching in which a pair costing more than `costLimit` is never used and
 * leaving a row and a column unmatched costs `costLimit` (ByteTrack's `linear_assignment`).
 *
 * @example
 * linearAssignment([[0.1, 0.9], [0.95, 0.99]], 0.8) // matches [[0, 0]], unmatchedRows [1], unmatchedCols [1]
 */
export function linearAssignment(cost: readonly (readonly number[])[], costLimit: number): AssignmentResult {
  const m = checkMatrix(cost);
  const n = cost.length;
  if (typeof costLimit !== 'number' || !Number.isFinite(costLimit) || costLimit < 0) {
    throw new RangeError(`Expected a finite non-negative costLimit but received ${String(costLimit)}`);
  }
  if (n === 0 || m === 0) {
    return { matches: [], unmatchedRows: Array.from({ length: n }, (_, i) => i), unmatchedCols: Array.from({ length: m }, (_, j) => j) };
  }
  // The gated problem splits into the connected components of the graph of allowed pairs: rows or
  // columns with no allowed pair stay unmatched, and each component is solved on its own. A crowd of
  // separate faces becomes many 1×1 problems instead of one (n+m)³ one.
  const rowToCol = new Array<number>(n).fill(-1);
  for (const { rows, cols } of components(cost, costLimit)) {
    // Padded problem of lapjv's extend_cost: real block, dummies at costLimit/2, dummy–dummy 0. A pair
    // above the limit gets a cost no optimum chooses (more than leaving both unmatched).
    const r = rows.length;
    const c = cols.length;
    const size = r + c;
    const blocked = costLimit * 2 + 1;
    const padded = Array.from({ length: size }, (_, i) =>
      Array.from({ length: size }, (_, j) => {
        if (i < r && j < c) {
          const v = (cost[rows[i] as number] as readonly number[])[cols[j] as number] as number;
          return v > costLimit ? blocked : v;
        }
        return i >= r && j >= c ? 0 : costLimit / 2;
      }),
    );
    solveAssignment(padded).forEach((j, i) => {
      if (i < r && j >= 0 && j < c) rowToCol[rows[i] as number] = cols[j] as number;
    });
  }
  const matches: AssignedPair[] = [];
  const colUsed = new Uint8Array(m);
  const unmatchedRows: number[] = [];
  for (let i = 0; i < n; i++) {
    const j = rowToCol[i] as number;
    if (j >= 0 && j < m && ((cost[i] as readonly number[])[j] as number) <= costLimit) {
      matches.push([i, j]);
      colUsed[j] = 1;
    } else {
      unmatchedRows.push(i);
    }
  }
  const unmatchedCols: number[] = [];
  for (let j = 0; j < m; j++) if (colUsed[j] === 0) unmatchedCols.push(j);
  return { matches, unmatchedRows, unmatchedCols };
}

/** Connected components (rows, columns) of the bipartite graph of pairs with cost ≤ limit, each with at least one pair. */
function components(cost: readonly (readonly number[])[], limit: number): { rows: number[]; cols: number[] }[] {
  const n = cost.length;
  const m = (cost[0] as readonly number[]).length;
  const parent = Array.from({ length: n + m }, (_, i) => i);
  const find = (x: number): number => {
    let r = x;
    while (parent[r] !== r) r = parent[r] as number;
    while (parent[x] !== r) {
      const next = parent[x] as number;
      parent[x] = r;
      x = next;
    }
    return r;
  };
  const linked = new Uint8Array(n + m);
  for (let i = 0; i < n; i++) {
    const row = cost[i] as readonly number[];
    for (let j = 0; j < m; j++) {
      if ((row[j] as number) > limit) continue;
      linked[i] = 1;
      linked[n + j] = 1;
      parent[find(i)] = find(n + j);
    }
  }
  const byRoot = new Map<number, { rows: number[]; cols: number[] }>();
  for (let k = 0; k < n + m; k++) {
    if (linked[k] === 0) continue;
    const root = find(k);
    let comp = byRoot.get(root);
    if (comp === undefined) {
      comp = { rows: [], cols: [] };
      byRoot.set(root, comp);
    }
    if (k < n) comp.rows.push(k);
    else comp.cols.push(k - n);
  }
  return [...byRoot.values()];
}
