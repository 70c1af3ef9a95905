import { existsSync } from 'node:fs';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { openGallery, type Gallery } from '../src/gallery/index.js';
import { FaceRecognizer } from '../src/pipeline/index.js';
import { Sightings } from '../src/sightings/index.js';
import { watchFaces } from '../src/stream/index.js';
import { enrolRealPeople, readMontage, shownNames, type MontageSegment } from './video-real.js';

/** A recorded sighting and who was truly on screen during it. */
interface Seen {
  readonly sightingId: number;
  readonly pass: number;
  readonly truth: string;
  readonly stranger: boolean;
}

/** The segment a track spent most of its time in (montages show one person per segment). */
function segmentOf(segments: readonly MontageSegment[], from: number, to: number): MontageSegment | undefined {
  let best: MontageSegment | undefined;
  let overlap = -1;
  for (const s of segments) {
    const o = Math.min(to + 0.04, s.end) - Math.max(from, s.start);
    if (o > overlap) {
      overlap = o;
      best = s;
    }
  }
  return best;
}

/** One playback of a montage as a source: every ended track recorded; returns frames per stranger segment named with `names`. */
async function play(
  fr: FaceRecognizer,
  gallery: Gallery,
  sightings: Sightings,
  video: string,
  source: string,
  segments: readonly MontageSegment[],
  pass: number,
  seen: Seen[],
  taught: ReadonlyMap<string, string>,
): Promise<{
  frames: number;
  wall: number;
  strangerFrames: number;
  strangerNamedRight: number;
  strangerNamedWrong: number;
  enrolledFrames: number;
  enrolledRight: number;
}> {
  const out = { frames: 0, wall: 0, strangerFrames: 0, strangerNamedRight: 0, strangerNamedWrong: 0, enrolledFrames: 0, enrolledRight: 0 };
  const t0 = performance.now();
  for await (const r of watchFaces(video, { recognizer: fr, gallery: sightings.guard(gallery), sightingFaces: sightings.options.facesPerSighting })) {
    for (const t of r.sightings ?? []) {
      const rec = await sightings.record(source, t);
      const seg = segmentOf(segments, t.ended.firstPts, t.ended.lastPts);
      if (rec !== null && seg !== undefined) seen.push({ sightingId: rec.sighting.sightingId, pass, truth: seg.true_identity, stranger: seg.person === null });
    }
    if (r.image === undefined) continue;
    out.frames++;
    const seg = segments.find((s) => r.frame >= s.start_frame && r.frame < s.end_frame);
    if (seg === undefined) continue;
    const names = shownNames(r.tracks).map((n) => n.identity);
    if (seg.person === null) {
      out.strangerFrames++;
      const want = taught.get(seg.true_identity);
      if (want !== undefined && names.includes(want)) out.strangerNamedRight++;
      if (names.some((n) => n !== want)) out.strangerNamedWrong++;
    } else {
      out.enrolledFrames++;
      if (names.includes(seg.person)) out.enrolledRight++;
    }
  }
  out.wall = (performance.now() - t0) / 1000;
  return out;
}

const pct = (a: number, b: number): string => (b === 0 ? 'n/a' : `${((100 * a) / b).toFixed(1)} %`);

/**
 * `npm run bench -- sightings`: the montages of `../shared/data/video-real/` (3 strangers each among
 * the enrolled people) played as sources twice, with the gallery and sightings closed and opened again
 * between (a restart): visitors per true stranger, wrong merges, strangers recognised as the same visitor
 * on the second playback; then "this is X" on each stranger's visitor and a third playback, scored on
 * the names a viewer sees.
 *
 * @example
 * await benchSightings({ shared, log: console.log })
 */
export async function benchSightings(o: { shared: string; log: (line: string) => void; montages?: number }): Promise<void> {
  const data = join(o.shared, 'data', 'video-real');
  if (!existsSync(data)) throw new Error(`The sightings benchmark needs ${data}`);
  const dir = join(import.meta.dirname, '..', 'bench-output', 'sightings');
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const fr = await FaceRecognizer.create({ locations: { home: join(dir, 'home'), dirs: [join(o.shared, 'models')] } });
  const location = join(dir, 'gallery.sqlite');
  const open = async (): Promise<{ gallery: Gallery; sightings: Sightings }> => {
    const gallery = await openGallery(location, {
      fingerprint: fr.fingerprint,
      embeddingSize: fr.embeddingSize,
      ...(fr.threshold === undefined ? {} : { threshold: fr.threshold }),
    });
    return { gallery, sightings: await Sightings.open(gallery) };
  };
  let { gallery, sightings } = await open();
  const restart = async (): Promise<void> => {
    await sightings.close();
    await gallery.close();
    ({ gallery, sightings } = await open());
  };
  try {
    const ids = await enrolRealPeople(fr, gallery, join(data, 'enrol'));
    const montages = (await readdir(data))
      .filter((f) => /^montage-.*\.mp4$/.test(f))
      .sort()
      .slice(0, o.montages ?? Number.MAX_SAFE_INTEGER);
    o.log(`gallery: ${ids.length} people from 3 frames each; montages ${montages.join(', ')}; load average ${loadavg()[0]?.toFixed(1)}`);
    const seen: Seen[] = [];
    const none = new Map<string, string>();
    const playAll = async (pass: number, taught: ReadonlyMap<string, string>) => {
      const rows = [];
      for (const m of montages) {
        const segments = await readMontage(join(data, m.replace(/\.mp4$/, '.json')));
        rows.push({ m, ...(await play(fr, gallery, sightings, join(data, m), m.replace(/\.mp4$/, ''), segments, pass, seen, taught)) });
      }
      return rows;
    };
    const first = await playAll(1, none);
    await restart();
    const second = await playAll(2, none);
    const visitorOf = new Map((await sightings.list({ limit: 100_000 })).map((s) => [s.sightingId, s.visitorId]));
    const strangers = [...new Set(seen.filter((s) => s.stranger).map((s) => s.truth))].sort();
    o.log('\n| stranger | sightings (pass 1 / 2) | named as someone | visitors | same visitor on pass 2 | main visitor |');
    o.log('|---|---|---|---|---|---|');
    const main = new Map<string, number>();
    for (const who of strangers) {
      const mine = seen.filter((s) => s.truth === who);
      const vs = mine.map((s) => visitorOf.get(s.sightingId) ?? null);
      const visitors = new Set(vs.filter((v): v is number => v !== null));
      const count = new Map<number, number>();
      for (const v of vs) if (v !== null) count.set(v, (count.get(v) ?? 0) + 1);
      const top = [...count.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
      if (top !== undefined) main.set(who, top);
      const pass1 = new Set(
        mine
          .filter((s) => s.pass === 1)
          .map((s) => visitorOf.get(s.sightingId))
          .filter((v) => v !== null),
      );
      const pass2 = mine
        .filter((s) => s.pass === 2)
        .map((s) => visitorOf.get(s.sightingId))
        .filter((v) => v !== null);
      o.log(
        `| ${who} | ${mine.filter((s) => s.pass === 1).length} / ${mine.filter((s) => s.pass === 2).length} | ${vs.filter((v) => v === null).length} | ${visitors.size} | ` +
          `${pct(pass2.filter((v) => pass1.has(v)).length, pass2.length)} | ${top === undefined ? '–' : `visitor-${top}`} |`,
      );
    }
    const members = new Map<number, Set<string>>();
    for (const s of seen) {
      const v = visitorOf.get(s.sightingId);
      if (v === null || v === undefined) continue;
      members.set(v, (members.get(v) ?? new Set()).add(s.truth));
    }
    const mixed = [...members.entries()].filter(([, who]) => who.size > 1);
    o.log(
      `\nvisitors: ${members.size} for ${strangers.length} strangers (any beyond them hold unknown tracks of enrolled people); ` +
        `wrong merges (a visitor holding two people): ${mixed.length}` +
        (mixed.length === 0 ? '' : ` — ${mixed.map(([v, who]) => `visitor-${v}: ${[...who].join('+')}`).join('; ')}`),
    );
    const taught = new Map<string, string>();
    for (const [who, v] of main) {
      const r = await sightings.teach({ visitorId: v }, { id: `taught-${who}` }).catch((e: unknown) => ({ error: (e as Error).message }));
      if ('error' in r) o.log(`teach ${who} (visitor-${v}): ${r.error}`);
      else taught.set(who, r.identity);
    }
    await restart();
    const third = await playAll(3, taught);
    o.log('\n| pass | frames | wall s | fps | enrolled named right | stranger frames named right (taught) | stranger frames with a wrong name |');
    o.log('|---|---|---|---|---|---|---|');
    for (const [pass, rows] of [
      [1, first],
      [2, second],
      [3, third],
    ] as const) {
      const sum = (f: (r: (typeof rows)[number]) => number): number => rows.reduce((a, r) => a + f(r), 0);
      o.log(
        `| ${pass}${pass === 3 ? ' (after "this is X")' : ''} | ${sum((r) => r.frames)} | ${sum((r) => r.wall).toFixed(1)} | ${(sum((r) => r.frames) / sum((r) => r.wall)).toFixed(1)} | ` +
          `${pct(
            sum((r) => r.enrolledRight),
            sum((r) => r.enrolledFrames),
          )} | ${
            pass === 3
              ? pct(
                  sum((r) => r.strangerNamedRight),
                  sum((r) => r.strangerFrames),
                )
              : '–'
          } | ` +
          `${pct(
            sum((r) => r.strangerNamedWrong),
            sum((r) => r.strangerFrames),
          )} |`,
      );
    }
    o.log(`\nload average at the end ${loadavg()[0]?.toFixed(1)}`);
  } finally {
    await sightings.close();
    await gallery.close();
    await fr.dispose();
  }
}
