/**
 * The identification DET plot (NIST FRVT 1:N style): FNIR against FPIR, both on log axes, with the
 * reported operating points marked.
 */
import type { IdentificationPoint } from './identification.js';
import { PLOT_AREA, plotFrame, tickPowerOfTen } from './plots.js';

const FONT = 'font-family="DejaVu Sans, Helvetica, Arial, sans-serif"';
const esc = (t: string): string => t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * DET curve as SVG. `curve` from {@link detCurve}; `marks` are labelled points (e.g. DIR at FPIR 1 %,
 * the default threshold); `strangers` and `mated` set the smallest FPIR and FNIR decades shown.
 *
 * @example
 * await writeFile('det.svg', detSvg(detCurve(s), [{ label: 'default', point }], s.nonMatedTop.length, s.mated.length))
 */
export function detSvg(
  curve: readonly IdentificationPoint[],
  marks: readonly { label: string; point: IdentificationPoint }[],
  strangers: number,
  mated: number,
  subtitle = '',
): string {
  const { left, top, width, height } = PLOT_AREA;
  const xMinExp = Math.min(-1, Math.floor(Math.log10(1 / Math.max(1, strangers))));
  const yMinExp = Math.min(-1, Math.floor(Math.log10(1 / Math.max(1, mated))));
  const lx = (v: number, minExp: number): number => (Math.log10(Math.max(v, 10 ** minExp)) - minExp) / -minExp;
  const xOf = (fpir: number): number => left + lx(fpir, xMinExp) * width;
  const yOf = (fnir: number): number => top + (1 - lx(fnir, yMinExp)) * height;
  const parts: string[] = [];
  for (let e = xMinExp; e <= 0; e++) {
    const x = xOf(10 ** e);
    parts.push(`<line x1="${x}" y1="${top}" x2="${x}" y2="${top + height}" stroke="#ddd"/>`);
    parts.push(`<text x="${x}" y="${top + height + 20}" text-anchor="middle" font-size="13" ${FONT}>${tickPowerOfTen(e)}</text>`);
  }
  for (let e = yMinExp; e <= 0; e++) {
    const y = yOf(10 ** e);
    parts.push(`<line x1="${left}" y1="${y}" x2="${left + width}" y2="${y}" stroke="#eee"/>`);
    parts.push(`<text x="${left - 8}" y="${y + 4}" text-anchor="end" font-size="12" ${FONT}>${tickPowerOfTen(e)}</text>`);
  }
  const pts = curve.filter((p) => p.fpir > 0).map((p) => `${xOf(p.fpir).toFixed(2)},${yOf(1 - p.dir).toFixed(2)}`);
  parts.push(`<polyline points="${pts.join(' ')}" fill="none" stroke="#1f77b4" stroke-width="2.2" stroke-linejoin="round"/>`);
  marks.forEach(({ label, point }, i) => {
    const x = xOf(Math.max(point.fpir, 10 ** xMinExp));
    const y = yOf(1 - point.dir);
    parts.push(`<circle cx="${x}" cy="${y}" r="4.5" fill="#d62728"/>`);
    // Labels alternate above-right and below-left of their points, so that neighbours do not collide.
    const above = i % 2 === 0;
    parts.push(
      `<text x="${above ? x + 7 : x - 7}" y="${above ? y - 8 : y + 18}" text-anchor="${above ? 'start' : 'end'}" font-size="12" fill="#d62728" ${FONT}>${esc(label)}</text>`,
    );
  });
  const title = subtitle.length > 0 ? `DET — ${subtitle}` : 'DET (open-set identification)';
  return plotFrame(title, 'False positive identification rate (FPIR, log scale)', 'False negative identification rate (FNIR, log scale)', parts.join('\n'));
}
