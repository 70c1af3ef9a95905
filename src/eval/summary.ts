/**
 * A short plain-text summary of a report for terminals.
 */
import type { EvalReport } from './report.js';

const pct = (v: number | null): string => (v === null ? '—' : `${(100 * v).toFixed(2)}%`);

/**
 * The headline figures of a report, one per line.
 *
 * @example
 * process.stdout.write(summaryText(report))
 */
export function summaryText(r: EvalReport): string {
  const lines: string[] = [];
  const c = r.config;
  const models = [c.detector, c.recognizer].filter((m) => m !== undefined).join(' + ');
  lines.push(`${c.protocol}${models.length > 0 ? ` · ${models}` : ''}${c.flip === undefined ? '' : ` · flip ${c.flip ? 'on' : 'off'}`}`);
  lines.push(`pairs            ${r.counts.pairs} (${r.counts.genuine} genuine, ${r.counts.impostor} impostor), ${r.counts.folds} folds`);
  if (r.counts.items !== undefined) lines.push(`embedded         ${r.counts.items}${r.counts.cachedItems ? ` (${r.counts.cachedItems} from cache)` : ''}`);
  if (r.counts.noFace !== undefined) lines.push(`no face found    ${r.counts.noFace}${c.noFaceHandling === undefined ? '' : ` → ${c.noFaceHandling}`}`);
  const onTestFold = r.counts.folds === 1 ? ' (threshold chosen on the test fold itself: optimistic)' : '';
  lines.push(`accuracy         ${pct(r.accuracy.mean)} ± ${pct(r.accuracy.std)}${onTestFold}`);
  lines.push(`fold thresholds  ${r.accuracy.folds.map((f) => f.threshold.toFixed(2)).join(' ')} (squared L2)`);
  lines.push(`AUC              ${r.auc.toFixed(6)}`);
  lines.push(`EER              ${pct(r.eer.eer)} (cosine ${r.eer.cosine.toFixed(4)})`);
  for (const t of r.tarAtFar) {
    lines.push(`TAR @ FAR ${t.far.toExponential(0).padEnd(6)} ${t.measurable ? pct(t.tar) : `not measurable with ${r.counts.impostor} impostor pairs`}`);
  }
  for (const t of r.thresholds) {
    if (t.measurable) {
      const at = `cosine ≥ ${t.cosine?.toFixed(4)} · distance ≤ ${t.distance?.toFixed(4)} · TAR ${pct(t.tar)} (most lenient threshold with FAR ≤ target)`;
      lines.push(`threshold FAR≤${t.far.toExponential(0).padEnd(5)} ${at}`);
    }
  }
  if (r.timing !== undefined) {
    const ratio = r.timing.recognizerMs > 0 ? ` · ratio ${(r.timing.wallMs / r.timing.recognizerMs).toFixed(2)}` : '';
    const summed = r.timing.workers === undefined ? '' : `, summed over ${r.timing.workers} workers`;
    lines.push(
      `time             wall ${(r.timing.wallMs / 1000).toFixed(1)} s · recognizer only (detect+align+embed${summed}) ${(r.timing.recognizerMs / 1000).toFixed(1)} s${ratio}`,
    );
  }
  return `${lines.join('\n')}\n`;
}
