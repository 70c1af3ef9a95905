import type { IdentityIndex } from './identity-index.js';

/**
 * A built {@link IdentityIndex} plus the identities this process changed since: their rows in the
 * base are ignored (`stale`) and their current templates are searched in a small exact `overlay`.
 * It spares a full reload of the gallery after each enrolment; results equal a fresh rebuild's,
 * up to the order of exactly tied scores.
 *
 * @example
 * const live = new LiveIndex(base, overlay, new Set(['ada']))
 * live.search(query, 5, 3)
 */
export class LiveIndex {
  readonly base: IdentityIndex;
  readonly overlay: IdentityIndex | null;
  readonly stale: ReadonlySet<string>;

  constructor(base: IdentityIndex, overlay: IdentityIndex | null, stale: ReadonlySet<string>) {
    this.base = base;
    this.overlay = overlay;
    this.stale = stale;
  }

  /** Best identities, as {@link IdentityIndex.search}. */
  search(query: Float32Array, topK: number, maxSubCenters: number): { id: string; score: number; subCenter: number }[] {
    if (this.overlay === null && this.stale.size === 0) return this.base.search(query, topK, maxSubCenters);
    // Asking for |stale| more identities keeps topK after the stale ones are dropped.
    const fromBase = this.base.search(query, topK + this.stale.size, maxSubCenters).filter((h) => !this.stale.has(h.id));
    const fromOverlay = this.overlay?.search(query, topK, maxSubCenters) ?? [];
    return [...fromBase, ...fromOverlay].sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)).slice(0, topK);
  }

  /** Number of identities searched: the base's, less those changed here, plus the overlay's. */
  identityCount(): number {
    let n = this.base.identities.size + (this.overlay?.identities.size ?? 0);
    for (const id of this.stale) if (this.base.identities.has(id)) n--;
    return n;
  }

  /** Best trusted sub-centre of one identity, or null when it is absent. */
  scoreIdentity(query: Float32Array, id: string): { score: number; subCenter: number } | null {
    if (this.stale.has(id)) return this.overlay?.scoreIdentity(query, id) ?? null;
    return this.base.scoreIdentity(query, id);
  }

  dispose(): void {
    this.base.dispose();
    this.overlay?.dispose();
  }
}
