/**
 * The per-run report of the anonymiser, counted frame by frame.
 */
import type { AnonymizedImage, AnonymizePolicy, AnonymizeReport, KeptFace } from './policy.js';

/**
 * Counts what an anonymiser run covered and kept, frame by frame, and writes the report.
 *
 * @example
 * const tally = new AnonymizeTally(policy)
 * tally.add(frame, 1)
 * const report = tally.report(seconds)
 */
export class AnonymizeTally {
  readonly #policy: AnonymizePolicy;
  readonly #kept = new Map<string, { identity: string | null; frames: number; reason: KeptFace['reason'] }>();
  #frames = 0;
  #covered = 0;
  #undetected = 0;
  #keptFaces = 0;

  constructor(policy: AnonymizePolicy) {
    this.#policy = policy;
  }

  /** Adds one photo or frame; `undetected` of its covered regions had no detection in that frame. */
  add(image: AnonymizedImage, undetected = 0): void {
    this.#frames++;
    this.#covered += image.covered.length;
    this.#undetected += undetected;
    this.#keptFaces += image.kept.length;
    for (const k of image.kept) {
      const key = `${k.reason}\u0000${k.identity ?? ''}`;
      const entry = this.#kept.get(key) ?? { identity: k.identity, frames: 0, reason: k.reason };
      entry.frames++;
      this.#kept.set(key, entry);
    }
  }

  /** The report so far, with the wall time the run took. */
  report(seconds: number): AnonymizeReport {
    const round = (x: number): number => Math.round(x * 1000) / 1000;
    return {
      mode: this.#policy.mode,
      style: this.#policy.style,
      frames: this.#frames,
      facesCovered: this.#covered,
      coveredWithoutDetection: this.#undetected,
      facesKept: this.#keptFaces,
      kept: [...this.#kept.values()].sort((a, b) => b.frames - a.frames || String(a.identity).localeCompare(String(b.identity))),
      seconds: round(seconds),
      framesPerSecond: round(this.#frames / Math.max(seconds, 1e-9)),
    };
  }
}
