import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildTimeline, timelineCues, type StreamEvent, type TrackEndedEvent } from '../../src/stream/index.js';

function ended(trackId: number, label: string, firstPts: number, lastPts: number, identity: string | null = label): TrackEndedEvent {
  return {
    type: 'track.ended',
    trackId,
    frame: 0,
    pts: lastPts,
    firstFrame: 0,
    lastFrame: 0,
    firstPts,
    lastPts,
    identity,
    name: identity,
    label,
    score: 0.5,
    embeddings: 1,
    hits: 10,
  };
}

test('buildTimeline merges appearances closer than the gap and sorts by first appearance', () => {
  const events: StreamEvent[] = [
    ended(2, 'Bob', 5, 9),
    ended(1, 'Ann', 0, 4),
    ended(3, 'Ann', 4.5, 6),
    ended(4, 'Ann', 20, 22),
    ended(5, 'unknown', 1, 2, null),
  ];
  const t = buildTimeline(events);
  assert.equal(t.tracks, 5);
  assert.deepEqual(
    t.entries.map((e) => e.label),
    ['Ann', 'unknown', 'Bob'],
  );
  const ann = t.entries[0];
  assert.deepEqual(ann?.intervals, [
    { start: 0, end: 6, tracks: [1, 3] },
    { start: 20, end: 22, tracks: [4] },
  ]);
  assert.equal(ann?.seconds, 8);
  assert.equal(t.entries[1]?.identity, null);
  assert.equal(buildTimeline(events, { mergeGapSeconds: 0 }).entries[0]?.intervals.length, 3);
  assert.throws(() => buildTimeline(events, { mergeGapSeconds: -1 }), RangeError);
});

test('timelineCues gives one cue per track, at least minSeconds long, in time order', () => {
  const cues = timelineCues([ended(2, 'Bob', 5, 5), ended(1, 'Ann', 0, 4)]);
  assert.deepEqual(cues, [
    { start: 0, end: 4, text: '#1 Ann' },
    { start: 5, end: 5.5, text: '#2 Bob' },
  ]);
  assert.throws(() => timelineCues([], { minSeconds: Number.NaN }), RangeError);
});
