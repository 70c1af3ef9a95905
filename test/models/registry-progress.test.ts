import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createProgress, formatDuration, type ProgressStream } from '../../apps/cli/progress.js';

/** A sink that records what is written, optionally claiming to be a terminal. */
function sink(isTTY: boolean): ProgressStream & { text: () => string } {
  const chunks: string[] = [];
  return {
    isTTY,
    columns: 80,
    write: (c: string) => {
      chunks.push(c);
      return true;
    },
    text: () => chunks.join(''),
  };
}

function clock(): { now: () => number; advance: (ms: number) => void } {
  let t = 1_000_000;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

describe('createProgress', () => {
  it('prints a plain line every interval and a final line when the stream is not a terminal', () => {
    const out = sink(false);
    const c = clock();
    const bar = createProgress({ total: 10, label: 'embedding', stream: out, now: c.now, lineIntervalMs: 5000 });
    bar.tick();
    for (let i = 0; i < 4; i++) {
      c.advance(1000);
      bar.tick();
    }
    c.advance(1000);
    bar.tick();
    bar.done();
    bar.tick();
    const lines = out.text().trimEnd().split('\n');
    assert.deepEqual(lines, ['embedding: 10% 1/10 ETA 0:00', 'embedding: 60% 6/10 ETA 0:03', 'embedding: 60% 6/10 in 0:05']);
    assert.ok(!out.text().includes('\r'));
  });

  it('redraws one line in place with a bar and ETA on a terminal', () => {
    const out = sink(true);
    const c = clock();
    const bar = createProgress({ total: 4, label: 'files', stream: out, now: c.now });
    c.advance(2000);
    bar.tick();
    c.advance(2000);
    bar.tick();
    bar.done();
    const text = out.text();
    assert.ok(text.startsWith('\rfiles: [######------------------] 25% 1/4 ETA 0:06'));
    assert.ok(text.includes('\rfiles: [############------------] 50% 2/4 ETA 0:04'));
    assert.match(text, /\r[^\r]*50% 2\/4 in 0:04 *\n$/);
    assert.equal(text.split('\n').length, 2);
  });

  it('shows bytes and rate when the total is unknown', () => {
    const out = sink(false);
    const c = clock();
    const bar = createProgress({ label: 'pulling', stream: out, now: c.now, unit: 'bytes' });
    c.advance(1000);
    bar.update(3 * 1024 * 1024);
    bar.done();
    assert.deepEqual(out.text().trimEnd().split('\n'), ['pulling: 3.0 MB 3.0 MB/s', 'pulling: 3.0 MB in 0:01']);
  });

  it('writes nothing when silent (--json)', () => {
    const out = sink(true);
    const bar = createProgress({ total: 3, label: 'x', stream: out, silent: true });
    bar.tick(3);
    bar.done();
    assert.equal(out.text(), '');
  });

  it('rejects invalid parameters', () => {
    assert.throws(() => createProgress({ total: -1, label: 'x', stream: sink(false) }), /Expected a finite total of at least 0 but received -1/);
    assert.throws(() => createProgress({ total: Number.NaN, label: 'x', stream: sink(false) }), RangeError);
    assert.throws(() => createProgress({ label: 3 as unknown as string, stream: sink(false) }), TypeError);
    assert.throws(() => createProgress({ label: 'x', stream: undefined as unknown as ProgressStream }), TypeError);
  });

  it('formats durations', () => {
    assert.equal(formatDuration(0), '0:00');
    assert.equal(formatDuration(75_000), '1:15');
    assert.equal(formatDuration(3_725_000), '1:02:05');
  });
});
