/**
 * Hand-written SVG plots of an evaluation: the ROC with a log-FAR axis and the genuine/impostor
 * score histograms; and PNG rendering of any SVG through sharp (librsvg).
 */
import sharp from 'sharp';
import type { VerificationMetrics } from './protocol.js';

/** Plot size in pixels (SVG user units); 4:3 reads well in reports and READMEs. */
const WIDTH = 720;
const HEIGHT = 540;
/** Margins leave room for tick labels and axis titles. */
const M = { left: 72, right: 24, top: 48, bottom: 64 } as const;
const FONT = 'font-family="DejaVu Sans, Helvetica, Arial, sans-serif"';

function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/**
 * The 720×540 plot canvas with title, frame and axis titles around `body` (shared by every plot).
 *
 * @example
 * const svg = plotFrame('DET', 'FPIR', 'FNIR', '<circle cx="100" cy="100" r="3"/>')
 */
export function plotFrame(title: string, xTitle: string, yTitle: string, body: string): string {
  return frame(title, xTitle, yTitle, body);
}

/**
 * The plot area's corners: left, top, width, height (SVG units).
 *
 * @example
 * const x = PLOT_AREA.left + u * PLOT_AREA.width
 */
export const PLOT_AREA = Object.freeze({ left: M.left, top: M.top, width: WIDTH - M.left - M.right, height: HEIGHT - M.top - M.bottom });

/**
 * A power of ten as a tick label, e.g. `10⁻³`.
 *
 * @example
 * tickPowerOfTen(-3) // '10⁻³'
 */
export function tickPowerOfTen(e: number): string {
  return powerOfTen(e);
}

function frame(title: string, xTitle: string, yTitle: string, body: string): string {
  const pw = WIDTH - M.left - M.right;
  const ph = HEIGHT - M.top - M.bottom;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="#ffffff"/>`,
    // Long titles (model names) shrink rather than run off the canvas.
    `<text x="${WIDTH / 2}" y="28" text-anchor="middle" font-size="${title.length > 60 ? 13 : title.length > 48 ? 15 : 17}" font-weight="bold" ${FONT}>${esc(title)}</text>`,
    body,
    `<rect x="${M.left}" y="${M.top}" width="${pw}" height="${ph}" fill="none" stroke="#333" stroke-width="1"/>`,
    `<text x="${M.left + pw / 2}" y="${HEIGHT - 16}" text-anchor="middle" font-size="14" ${FONT}>${esc(xTitle)}</text>`,
    `<text transform="translate(18 ${M.top + ph / 2}) rotate(-90)" text-anchor="middle" font-size="14" ${FONT}>${esc(yTitle)}</text>`,
    '</svg>',
  ].join('\n');
}

const SUPERSCRIPT: Record<string, string> = { '-': '⁻', '0': '⁰', '1': '¹', '2': '²', '3': '³', '4': '⁴', '5': '⁵', '6': '⁶', '7': '⁷', '8': '⁸', '9': '⁹' };

function powerOfTen(e: number): string {
  if (e === 0) return '1';
  return `10${[...String(e)].map((c) => SUPERSCRIPT[c] ?? c).join('')}`;
}

/**
 * ROC curve as SVG: TAR against FAR on a log axis from the smallest measurable decade to 1, with
 * the TAR@FAR points marked.
 *
 * @example
 * await writeFile('roc.svg', rocSvg(metrics, 'LFW · yunet_n + w600k_mbf'))
 */
export function rocSvg(metrics: VerificationMetrics, subtitle = ''): string {
  const pw = WIDTH - M.left - M.right;
  const ph = HEIGHT - M.top - M.bottom;
  // Smallest decade that the impostor count can resolve (one false accept), at most 1e-1.
  const minExp = Math.min(-1, Math.floor(Math.log10(1 / Math.max(1, metrics.impostor))));
  const xOf = (far: number): number => M.left + ((Math.log10(Math.max(far, 10 ** minExp)) - minExp) / -minExp) * pw;
  const visible = metrics.roc.tar.filter((_, i) => (metrics.roc.far[i] as number) >= 10 ** minExp);
  const lowTar = Math.min(...(visible.length > 0 ? visible : [0]));
  const yMin = Math.max(0, Math.floor((lowTar - 0.02) * 10) / 10);
  const yStep = 1 - yMin <= 0.3 ? 0.02 : 1 - yMin <= 0.6 ? 0.05 : 0.1;
  const yOf = (tar: number): number => M.top + (1 - (tar - yMin) / (1 - yMin)) * ph;
  const parts: string[] = [];
  for (let e = minExp; e <= 0; e++) {
    const x = xOf(10 ** e);
    parts.push(`<line x1="${x}" y1="${M.top}" x2="${x}" y2="${M.top + ph}" stroke="#ddd"/>`);
    parts.push(`<text x="${x}" y="${M.top + ph + 20}" text-anchor="middle" font-size="13" ${FONT}>${powerOfTen(e)}</text>`);
  }
  for (let k = 0; k <= Math.round((1 - yMin) / yStep); k++) {
    const t = yMin + k * yStep;
    const y = yOf(t);
    parts.push(`<line x1="${M.left}" y1="${y}" x2="${M.left + pw}" y2="${y}" stroke="#eee"/>`);
    parts.push(`<text x="${M.left - 8}" y="${y + 4}" text-anchor="end" font-size="12" ${FONT}>${t.toFixed(2)}</text>`);
  }
  // A step curve: between thresholds the TAR holds while FAR grows.
  const pts: string[] = [];
  metrics.roc.far.forEach((far, i) => {
    pts.push(`${xOf(far).toFixed(2)},${yOf(Math.max(yMin, metrics.roc.tar[i] as number)).toFixed(2)}`);
  });
  parts.push(`<polyline points="${pts.join(' ')}" fill="none" stroke="#1f77b4" stroke-width="2.2" stroke-linejoin="round"/>`);
  for (const t of metrics.tarAtFar) {
    if (!t.measurable || t.tar === null || t.achievedFar === null) continue;
    const x = xOf(t.achievedFar);
    const y = yOf(Math.max(yMin, t.tar));
    parts.push(`<circle cx="${x}" cy="${y}" r="4.5" fill="#d62728"/>`);
    // Labels of points in the right quarter go to the left of the point to stay inside the frame.
    const right = x > M.left + 0.75 * pw;
    const label = `TAR ${(100 * t.tar).toFixed(2)}% @ FAR ${t.far.toExponential(0)}`;
    parts.push(
      `<text x="${right ? x - 7 : x + 7}" y="${y + 16}" text-anchor="${right ? 'end' : 'start'}" font-size="12" fill="#d62728" ${FONT}>${label}</text>`,
    );
  }
  const acc = `accuracy ${(100 * metrics.kfold.accuracyMean).toFixed(2)} ± ${(100 * metrics.kfold.accuracyStd).toFixed(2)}%`;
  parts.push(
    `<text x="${M.left + pw - 10}" y="${M.top + ph - 34}" text-anchor="end" font-size="13" ${FONT}>AUC ${metrics.auc.toFixed(5)} · EER ${(100 * metrics.eer.eer).toFixed(2)}%</text>`,
  );
  parts.push(
    `<text x="${M.left + pw - 10}" y="${M.top + ph - 14}" text-anchor="end" font-size="13" ${FONT}>${esc(acc)} · ${metrics.genuine}+${metrics.impostor} pairs</text>`,
  );
  const title = subtitle.length > 0 ? `ROC — ${subtitle}` : 'ROC';
  return frame(title, 'False accept rate (FAR, log scale)', 'True accept rate (TAR)', parts.join('\n'));
}

/**
 * Genuine and impostor cosine-similarity histograms as SVG, each normalised to a fraction of its
 * own pairs so the two classes compare despite different counts; the threshold at FAR 1e-3 (or the
 * smallest reported measurable FAR) is drawn as a dashed line.
 *
 * @example
 * await writeFile('scores.svg', histogramSvg(metrics))
 */
export function histogramSvg(metrics: VerificationMetrics, subtitle = ''): string {
  const pw = WIDTH - M.left - M.right;
  const ph = HEIGHT - M.top - M.bottom;
  const { edges, genuine, impostor } = metrics.histogram;
  const used = edges.slice(0, -1).map((_, i) => (genuine[i] as number) + (impostor[i] as number) > 0);
  const first = Math.max(0, used.indexOf(true) - 1);
  const last = Math.min(used.length - 1, used.lastIndexOf(true) + 1);
  const x0 = edges[first] as number;
  const x1 = edges[last + 1] as number;
  const gTotal = Math.max(1, metrics.genuine);
  const iTotal = Math.max(1, metrics.impostor);
  const gFrac = genuine.map((c) => c / gTotal);
  const iFrac = impostor.map((c) => c / iTotal);
  const yMax = Math.max(...gFrac, ...iFrac, 1e-9) * 1.1;
  const xOf = (c: number): number => M.left + ((c - x0) / (x1 - x0)) * pw;
  const yOf = (f: number): number => M.top + (1 - f / yMax) * ph;
  const parts: string[] = [];
  const xStep = x1 - x0 > 1 ? 0.2 : 0.1;
  for (let c = Math.ceil(x0 / xStep) * xStep; c <= x1 + 1e-9; c += xStep) {
    const x = xOf(c);
    parts.push(`<line x1="${x}" y1="${M.top}" x2="${x}" y2="${M.top + ph}" stroke="#eee"/>`);
    parts.push(`<text x="${x}" y="${M.top + ph + 20}" text-anchor="middle" font-size="12" ${FONT}>${(Math.abs(c) < 1e-9 ? 0 : c).toFixed(1)}</text>`);
  }
  for (let k = 0; k <= 5; k++) {
    const f = (yMax * k) / 5;
    parts.push(`<text x="${M.left - 8}" y="${yOf(f) + 4}" text-anchor="end" font-size="12" ${FONT}>${(100 * f).toFixed(1)}%</text>`);
    parts.push(`<line x1="${M.left}" y1="${yOf(f)}" x2="${M.left + pw}" y2="${yOf(f)}" stroke="#eee"/>`);
  }
  const bars = (frac: number[], colour: string): string => {
    const d: string[] = [];
    for (let i = first; i <= last; i++) {
      const f = frac[i] as number;
      if (f <= 0) continue;
      const xa = xOf(edges[i] as number);
      const xb = xOf(edges[i + 1] as number);
      d.push(`M${xa.toFixed(2)},${yOf(0).toFixed(2)}V${yOf(f).toFixed(2)}H${xb.toFixed(2)}V${yOf(0).toFixed(2)}Z`);
    }
    return `<path d="${d.join('')}" fill="${colour}" fill-opacity="0.45" stroke="${colour}" stroke-width="1"/>`;
  };
  parts.push(bars(iFrac, '#d62728'), bars(gFrac, '#2ca02c'));
  const measurable = metrics.thresholds.filter((t) => t.measurable && t.cosine !== null);
  const marker = measurable.find((t) => t.far === 1e-3) ?? measurable[measurable.length - 1];
  if (marker !== undefined && marker.cosine !== null && marker.cosine >= x0 && marker.cosine <= x1) {
    const x = xOf(marker.cosine);
    parts.push(`<line x1="${x}" y1="${M.top}" x2="${x}" y2="${M.top + ph}" stroke="#333" stroke-dasharray="6 4" stroke-width="1.5"/>`);
    // Half-way down, clear of the legend in the top-left corner.
    const label = `cos ${marker.cosine.toFixed(3)} (FAR ≤ ${marker.far.toExponential(0)})`;
    const ly = M.top + ph / 2;
    parts.push(`<rect x="${x + 3}" y="${ly - 13}" width="${label.length * 7}" height="18" fill="#ffffff" fill-opacity="0.85"/>`);
    parts.push(`<text x="${x + 6}" y="${ly}" font-size="12" ${FONT}>${esc(label)}</text>`);
  }
  const lx = M.left + 14;
  parts.push(`<rect x="${lx - 6}" y="${M.top + 6}" width="350" height="48" fill="#ffffff" fill-opacity="0.9"/>`);
  parts.push(`<rect x="${lx}" y="${M.top + 12}" width="14" height="14" fill="#2ca02c" fill-opacity="0.45" stroke="#2ca02c"/>`);
  parts.push(`<text x="${lx + 20}" y="${M.top + 24}" font-size="13" ${FONT}>genuine (same person), ${metrics.genuine} pairs</text>`);
  parts.push(`<rect x="${lx}" y="${M.top + 34}" width="14" height="14" fill="#d62728" fill-opacity="0.45" stroke="#d62728"/>`);
  parts.push(`<text x="${lx + 20}" y="${M.top + 46}" font-size="13" ${FONT}>impostor (different people), ${metrics.impostor} pairs</text>`);
  const title = subtitle.length > 0 ? `Score distributions — ${subtitle}` : 'Score distributions';
  return frame(title, 'Cosine similarity', 'Fraction of pairs per bin', parts.join('\n'));
}

/**
 * Renders an SVG document to PNG with sharp (librsvg) at 96 dpi: the 720×540 plots become
 * 960×720 pixels, sharp enough for reports.
 *
 * @example
 * await writeFile('roc.png', await svgToPng(rocSvg(metrics)))
 */
export async function svgToPng(svg: string): Promise<Buffer> {
  if (typeof svg !== 'string' || !svg.includes('<svg')) throw new TypeError('Expected an SVG document string but received something else');
  return sharp(Buffer.from(svg, 'utf8'), { density: 96 }).png().toBuffer();
}
