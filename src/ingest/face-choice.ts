/**
 * Which face of a photo to enrol. A gallery photo is meant to show one person, but news, team and
 * family photos hold several faces; taking the largest one put another person's face into 9 of 383
 * identities of a held-out LFW gallery. So enrolment never picks silently among comparable faces:
 * the `dominant` rule takes a face only when it clearly stands out by size and centrality, and
 * otherwise refuses with `MULTIPLE_FACES`, unless the caller names the face (`largest`, `central`,
 * or a box).
 *
 * Prominence of a face: its box side √(w·h) times (1 − d), d the distance from the box centre to
 * the image centre divided by the half diagonal (0 at the centre, 1 in a corner). The most prominent
 * face is dominant when its prominence is at least {@link DOMINANCE_RATIO} times every other's.
 */
import { ArcFaceError, type Box } from '../core/index.js';
import { iou } from '../detect/index.js';
import { selectFaces } from '../pipeline/index.js';

/**
 * Prominence ratio for dominance. Measured with `scripts/openset-study.ts` on the 7,701 shared LFW
 * photos (yunet-n): 718 photos of people with ≥ 2 photos hold several faces; taking as the labelled
 * face the one that best matches the person's other photos, `largest` took a wrong face in 11,
 * `central` in 1, and the dominant rule at ratio 1.5 in none while leaving 4 (0.6 %) to the caller
 * (ratio 1.2: none wrong, 2 left; 2: 50 left; 3: 290 left). 1.5 keeps a margin over 1.2: two
 * people side by side differ in face size by 10-25 % (docs/identification.md).
 *
 * @example
 * prominence(a.box, w, h) >= DOMINANCE_RATIO * prominence(b.box, w, h) // a dominates b
 */
export const DOMINANCE_RATIO = 1.5;

/** How to choose the face to enrol: a rule, or a box around the wanted face. */
export type EnrolFaceChoice = 'dominant' | 'largest' | 'central' | Box;

/**
 * A face's prominence in a `width`×`height` image (see the module comment).
 *
 * @example
 * prominence([100, 100, 150, 150], 250, 250) // 50 · (1 − 0) = 50
 */
export function prominence(box: Box, width: number, height: number): number {
  const side = Math.sqrt(Math.max(0, box[2] - box[0]) * Math.max(0, box[3] - box[1]));
  const d = Math.hypot((box[0] + box[2]) / 2 - width / 2, (box[1] + box[3]) / 2 - height / 2) / (Math.hypot(width, height) / 2);
  return side * Math.max(0, 1 - d);
}

/**
 * Least overlap (IoU) between a caller's box and a detected face for the face to count as named:
 * 0.3, loose enough for a hand-drawn box around a face, tight enough to miss a neighbour's.
 *
 * @example
 * chooseEnrolmentFace(faces, w, h, [40, 30, 140, 160]) // the face overlapping the box by IoU ≥ BOX_MIN_IOU
 */
export const BOX_MIN_IOU = 0.3;

/**
 * The face to enrol among `faces` of a `width`×`height` image, by `choice` (default `dominant`).
 * Throws `NO_FACE` when there is none (or none overlaps the given box) and `MULTIPLE_FACES` when
 * the dominant rule finds no clearly dominant face; the error's details list the faces' boxes.
 *
 * @example
 * const face = chooseEnrolmentFace(result.faces, result.width, result.height)
 * const named = chooseEnrolmentFace(result.faces, result.width, result.height, [40, 30, 140, 160])
 */
export function chooseEnrolmentFace<T extends { readonly box: Box }>(
  faces: readonly T[],
  width: number,
  height: number,
  choice: EnrolFaceChoice = 'dominant',
  what = 'the image',
): T {
  if (faces.length === 0) throw new ArcFaceError('NO_FACE', `Expected a face in ${what} but none was found`);
  if (Array.isArray(choice)) {
    const box = choice as Box;
    if (box.length !== 4 || !box.every((v) => typeof v === 'number' && Number.isFinite(v)) || box[2] <= box[0] || box[3] <= box[1]) {
      throw new ArcFaceError('INVALID_ARGUMENT', `Expected a face box [x1, y1, x2, y2] with x2 > x1 and y2 > y1 but received ${JSON.stringify(choice)}`);
    }
    const best = faces.reduce((a, f) => (iou(f.box, box) > iou(a.box, box) ? f : a));
    if (iou(best.box, box) < BOX_MIN_IOU) {
      const overlap = iou(best.box, box).toFixed(2);
      throw new ArcFaceError(
        'NO_FACE',
        `Expected a detected face overlapping the box ${JSON.stringify(box)} (IoU ≥ ${BOX_MIN_IOU}) in ${what} but the best overlap is ${overlap}`,
        {
          details: { boxes: faces.map((f) => f.box) },
        },
      );
    }
    return best;
  }
  if (choice === 'largest' || choice === 'central') return selectFaces(faces, choice, width, height)[0] as T;
  if (choice !== 'dominant')
    throw new ArcFaceError('INVALID_ARGUMENT', `Expected the face choice to be dominant, largest, central or a box but received ${JSON.stringify(choice)}`);
  if (faces.length === 1) return faces[0] as T;
  const ranked = [...faces].map((f) => ({ f, p: prominence(f.box, width, height) })).sort((a, b) => b.p - a.p);
  const [first, second] = ranked as [{ f: T; p: number }, { f: T; p: number }];
  if (first.p >= DOMINANCE_RATIO * second.p) return first.f;
  throw new ArcFaceError(
    'MULTIPLE_FACES',
    `Expected one clearly dominant face in ${what} but found ${faces.length} comparable faces (prominence ${first.p.toFixed(1)} vs ${second.p.toFixed(1)}, ` +
      `below ×${DOMINANCE_RATIO}); name the face with a box or choose largest/central`,
    { details: { boxes: ranked.map((r) => r.f.box.map((v) => Math.round(v * 10) / 10)) } },
  );
}

/**
 * The one parser of a face choice given as text, for the CLI (`--select`, `--box`) and the HTTP API
 * (`select`, `box` query parameters): a box `x1,y1,x2,y2` wins over the rule; the rule is dominant
 * (default), largest or central. `names` say how the caller calls the two inputs, for messages.
 *
 * @example
 * parseFaceChoice({ select: 'largest' }) // 'largest'
 * parseFaceChoice({ box: '10,10,120,140' }, { box: '--box', select: '--select' }) // [10, 10, 120, 140]
 */
export function parseFaceChoice(
  given: { select?: string; box?: string },
  names: { select: string; box: string } = { select: 'select', box: 'box' },
): EnrolFaceChoice {
  if (given.box !== undefined) {
    const v = given.box.split(',').map((x) => Number(x.trim()));
    if (v.length !== 4 || !v.every(Number.isFinite) || (v[2] as number) <= (v[0] as number) || (v[3] as number) <= (v[1] as number)) {
      throw new ArcFaceError(
        'INVALID_ARGUMENT',
        `Expected ${names.box} as x1,y1,x2,y2 (4 numbers, x2 > x1 and y2 > y1) but received ${JSON.stringify(given.box)}`,
      );
    }
    return v as unknown as Box;
  }
  const s = given.select ?? 'dominant';
  if (s !== 'dominant' && s !== 'largest' && s !== 'central') {
    throw new ArcFaceError('INVALID_ARGUMENT', `Expected ${names.select} to be dominant, largest or central but received ${JSON.stringify(s)}`);
  }
  return s;
}
