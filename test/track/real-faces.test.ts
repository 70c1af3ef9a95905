/**
 * The stream core on real faces without video: frames composed from LFW photos (two faces crossing,
 * the front one hiding the other), the real detector, the tracker, face quality, the real recogniser
 * only when a track wants an embedding, and per-track identity against a two-person gallery built
 * from other photos of the same people.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { normCrop } from '../../src/align/index.js';
import { dot } from '../../src/core/index.js';
import type { DetectedFace, RgbImage } from '../../src/core/types.js';
import { FaceRecognizer } from '../../src/pipeline/index.js';
import { faceQuality } from '../../src/quality/index.js';
import { TrackIdentity, Tracker, type IdentityCandidate } from '../../src/track/index.js';
import { sharedPath } from '../helpers/shared.js';

const lfw = (name: string, i: number): string => sharedPath('data', 'faces', 'lfw-deepfunneled', name, `${name}_${String(i).padStart(4, '0')}.jpg`);
const W = 640;
const H = 360;
const TILE = 150;
const FRAMES = 75;
const FPS = 25;
/** Tile top-left per frame: A moves right, B left and in front; they cross around frame 37. */
const tileA = (f: number): [number, number] => [20 + 6 * f, 90];
const tileB = (f: number): [number, number] => [W - TILE - 20 - 6 * f, 110];

describe('tracking and identity on real faces', () => {
  let fr: FaceRecognizer;
  let tiles: Buffer[];
  let gallery: { id: string; embedding: Float32Array }[];
  before(async () => {
    fr = await FaceRecognizer.create({ locations: { home: '/nonexistent-arcface-home', dirs: [sharedPath('models')] } });
    tiles = await Promise.all([lfw('Colin_Powell', 40), lfw('Tony_Blair', 18)].map((f) => sharp(f).resize(TILE, TILE).png().toBuffer()));
    gallery = [
      { id: 'Colin_Powell', embedding: (await fr.recognizeFile(lfw('Colin_Powell', 49), { select: 'central' })).faces[0]!.embedding },
      { id: 'Tony_Blair', embedding: (await fr.recognizeFile(lfw('Tony_Blair', 32), { select: 'central' })).faces[0]!.embedding },
    ];
  });
  after(async () => fr.dispose());

  async function frame(f: number): Promise<RgbImage> {
    const [ax, ay] = tileA(f);
    const [bx, by] = tileB(f);
    const { data, info } = await sharp({ create: { width: W, height: H, channels: 3, background: { r: 90, g: 100, b: 110 } } })
      .composite([
        { input: tiles[0]!, left: ax, top: ay },
        { input: tiles[1]!, left: bx, top: by },
      ])
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
  }

  it('two crossing faces keep their track ids and names, with few recogniser calls', async () => {
    const tracker = new Tracker<DetectedFace>();
    const identities = new Map<number, TrackIdentity>();
    const changes = new Map<number, number>();
    const idsOnTile: Set<number>[] = [new Set(), new Set()];
    let hiddenFrames = 0;
    for (let f = 0; f < FRAMES; f++) {
      const image = await frame(f);
      // Stream mode: a low detector threshold feeds the tracker's low-score pass.
      const { faces } = await fr.detect(image, { scoreThreshold: 0.3 });
      if (faces.length < 2) hiddenFrames++;
      const { tracks } = tracker.update(f, faces);
      for (const t of tracks) {
        // Ground truth: the tile whose centre is nearest the track's box centre.
        const cx = (t.box[0] + t.box[2]) / 2;
        const dA = Math.abs(cx - (tileA(f)[0] + TILE / 2));
        const dB = Math.abs(cx - (tileB(f)[0] + TILE / 2));
        if (Math.min(dA, dB) < 40 && Math.abs(dA - dB) > 40) idsOnTile[dA < dB ? 0 : 1]!.add(t.id);
        const det = t.detection;
        if (det === undefined) continue;
        const who = identities.get(t.id) ?? new TrackIdentity();
        identities.set(t.id, who);
        const crop = normCrop(image, det.landmarks, fr.embedder.inputSize).crop;
        const pts = f / FPS;
        if (!who.wantsEmbedding(faceQuality(det, crop), pts)) continue;
        const { embeddings, norms } = await fr.embedder.embedWithNorms([crop]);
        who.addEmbedding(embeddings[0]!, faceQuality(det, crop, norms[0]), pts);
        const cands: IdentityCandidate[] = gallery.map((g) => ({ id: g.id, score: dot(g.embedding, who.template!) })).sort((a, b) => b.score - a.score);
        if (who.decide(cands, fr.threshold!, pts).changed) changes.set(t.id, (changes.get(t.id) ?? 0) + 1);
      }
    }
    const ended = tracker.finish();
    assert.ok(hiddenFrames >= 3, `the rear face is hidden for a while (${hiddenFrames} frames)`);
    assert.deepEqual(
      idsOnTile.map((s) => [...s]),
      [[1], [2]],
      'each face keeps one track id through the crossing',
    );
    assert.deepEqual(
      ended.map((t) => t.id),
      [1, 2],
    );
    assert.equal(identities.get(1)!.identity, 'Colin_Powell');
    assert.equal(identities.get(2)!.identity, 'Tony_Blair');
    assert.deepEqual([changes.get(1), changes.get(2)], [1, 1], 'named once, never renamed');
    for (const who of identities.values()) assert.ok(who.embeddings <= FRAMES / 5, `${who.embeddings} recogniser calls`);
  });
});
