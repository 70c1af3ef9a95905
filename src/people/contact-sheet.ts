/**
 * A contact sheet of every person for a quick look: one row per person (most faces first) with its
 * label and up to {@link SHEET_DEFAULTS}.facesPerPerson face thumbnails, as a PNG or a standalone
 * HTML page (thumbnails inlined as data URIs).
 */
import sharp, { type OverlayOptions } from 'sharp';
import type { People } from './people.js';

/**
 * Layout of a sheet.
 *
 * @example
 * SHEET_DEFAULTS.facesPerPerson // 10
 */
export const SHEET_DEFAULTS = Object.freeze({ facesPerPerson: 10, thumb: 64, labelWidth: 220, gap: 4 });

interface SheetRow {
  readonly label: string;
  readonly thumbs: Uint8Array[];
}

async function rows(people: People, facesPerPerson: number): Promise<SheetRow[]> {
  const out: SheetRow[] = [];
  for (const p of await people.list()) {
    const faces = (await people.show(p.personId)).faces.slice(0, facesPerPerson);
    const thumbs: Uint8Array[] = [];
    for (const f of faces) {
      const t = await people.faceThumbnail(f.faceId);
      if (t !== null) thumbs.push(t);
    }
    out.push({ label: `#${p.personId} ${p.name ?? '(unnamed)'} · ${p.faceCount} face${p.faceCount === 1 ? '' : 's'}`, thumbs });
  }
  return out;
}

const escapeXml = (s: string): string => s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * The sheet as a PNG image.
 *
 * @example
 * await writeFile('people.png', await contactSheetPng(people))
 */
export async function contactSheetPng(people: People, facesPerPerson = SHEET_DEFAULTS.facesPerPerson): Promise<Buffer> {
  const { thumb, labelWidth, gap } = SHEET_DEFAULTS;
  const list = await rows(people, facesPerPerson);
  const width = labelWidth + facesPerPerson * (thumb + gap) + gap;
  const height = Math.max(1, list.length) * (thumb + gap) + gap;
  const labels = list
    .map(
      (r, i) => `<text x="8" y="${gap + i * (thumb + gap) + thumb / 2 + 5}" font-family="sans-serif" font-size="14" fill="#111">${escapeXml(r.label)}</text>`,
    )
    .join('');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="100%" height="100%" fill="#fff"/>${labels}</svg>`;
  const composites: OverlayOptions[] = [];
  for (const [i, r] of list.entries()) {
    for (const [j, t] of r.thumbs.entries()) {
      composites.push({ input: await sharp(t).resize(thumb, thumb).toBuffer(), left: labelWidth + gap + j * (thumb + gap), top: gap + i * (thumb + gap) });
    }
  }
  return sharp(Buffer.from(svg)).composite(composites).png().toBuffer();
}

/**
 * The sheet as a standalone HTML page.
 *
 * @example
 * await writeFile('people.html', await contactSheetHtml(people))
 */
export async function contactSheetHtml(people: People, facesPerPerson = SHEET_DEFAULTS.facesPerPerson): Promise<string> {
  const list = await rows(people, facesPerPerson);
  const img = (t: Uint8Array): string =>
    `<img width="${SHEET_DEFAULTS.thumb}" height="${SHEET_DEFAULTS.thumb}" alt="" src="data:image/jpeg;base64,${Buffer.from(t).toString('base64')}">`;
  const body = list.map((r) => `<section><h2>${escapeXml(r.label)}</h2>${r.thumbs.map(img).join('')}</section>`).join('\n');
  const style = 'body{font-family:sans-serif}h2{font-size:14px;margin:8px 0 2px}img{margin-right:4px}';
  return `<!doctype html><html lang="en"><meta charset="utf-8"><title>People</title><style>${style}</style><body><h1>People (${list.length})</h1>\n${body}\n</body></html>\n`;
}
