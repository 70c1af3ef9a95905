import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { eventOptionsFrom, type ServeEventCliOptions } from '../../apps/cli/commands/serve-events.js';
import type { BusMessage, ServerEvent } from '../../apps/server/services/event-bus.js';
import { BoundedQueue, mqttTopics, redactUrl, StreamStates, toOutEvent, topicLevel } from '../../apps/server/services/event-out/index.js';

const door = { kind: 'stream', name: 'door' } as const;
const event = (e: Record<string, unknown>): BusMessage => ({
  kind: 'event',
  runId: 'stream:door',
  origin: door,
  at: '2026-12-06T08:00:00.000Z',
  event: e as unknown as ServerEvent,
});

describe('events out: payloads, stream states, topics and options', () => {
  it('never sends a file path as a snapshot, and makes a route absolute only with a public URL', () => {
    const ended = toOutEvent(
      event({ type: 'track.ended', trackId: 1, identity: 'a', name: 'A', label: 'A', score: 0.5, thumbnail: '/var/lib/arcface/thumbs/1.jpg' }),
      { serverId: 's' },
    );
    assert.equal(ended.snapshot, null);
    const relative = toOutEvent(event({ type: 'visitor.seen', thumbnailUrl: '/v1/sightings/4/face' }), { serverId: 's' });
    assert.equal(relative.snapshot, '/v1/sightings/4/face');
    assert.equal(toOutEvent(event({ type: 'visitor.seen', snapshot: '/v1/x' }), { serverId: 's', publicUrl: 'https://h.lan/' }).snapshot, 'https://h.lan/v1/x');
    assert.equal(toOutEvent(event({ type: 'visitor.seen', snapshot: 'file:///etc/passwd' }), { serverId: 's' }).snapshot, null);
    const status = toOutEvent(
      {
        kind: 'status',
        runId: 'v1',
        origin: { kind: 'video', id: 'v1' },
        at: 'now',
        status: 'failed',
        counters: { frames: 1, dropped: 0, reconnects: 0 },
        error: { code: 'VIDEO_TIMEOUT', message: 'm' },
      },
      { serverId: 's' },
    );
    assert.equal(status.type, 'video.status');
    assert.equal(status.where, 'v1');
    assert.deepEqual(status.event, {
      type: 'video.status',
      status: 'failed',
      frames: 1,
      dropped: 0,
      reconnects: 0,
      error: { code: 'VIDEO_TIMEOUT', message: 'm' },
    });
    assert.equal(status.score, null);
  });

  it('folds a stream’s state: who is in view, withheld names, the last known person, the status', () => {
    const states = new StreamStates('s', ['door', 'yard']);
    assert.deepEqual(
      states.all().map((s) => [s.stream, s.status]),
      [
        ['door', 'idle'],
        ['yard', 'idle'],
      ],
    );
    const apply = (m: BusMessage) => states.apply(m, toOutEvent(m, { serverId: 's' }));
    apply(event({ type: 'track.identified', trackId: 1, identity: 'alice', name: 'Alice', label: 'Alice', score: 0.6 }));
    const two = apply(event({ type: 'track.identified', trackId: 2, identity: null, name: null, label: 'unknown', score: 0.1 }));
    assert.equal(two?.who, 'Alice');
    assert.equal(two?.present.length, 2);
    const suspended = apply(event({ type: 'track.suspended', trackId: 1, reason: 'shot', identity: 'alice' }));
    assert.equal(suspended?.who, null, 'a withheld name is nobody known');
    assert.equal(suspended?.present.find((p) => p.trackId === 1)?.who, '?');
    assert.equal(suspended?.last?.identity, 'alice');
    const ended = apply(event({ type: 'track.ended', trackId: 2, identity: null, label: 'unknown', score: 0.1 }));
    assert.deepEqual(
      ended?.present.map((p) => p.trackId),
      [1],
    );
    assert.equal(apply(event({ type: 'shot.changed', frame: 3, pts: 0.1, kind: 'cut', score: 40 })), null, 'a cut changes no state');
    const failed = apply({
      kind: 'status',
      runId: 'stream:door',
      origin: door,
      at: 'later',
      status: 'failed',
      counters: { frames: 9, dropped: 1, reconnects: 5 },
      error: { code: 'VIDEO_STREAM_UNAVAILABLE', message: 'm' },
    });
    assert.equal(failed?.status, 'failed');
    assert.equal(failed?.present.length, 0);
    assert.equal(failed?.error?.code, 'VIDEO_STREAM_UNAVAILABLE');
    assert.equal(failed?.last?.who, 'Alice');
    assert.equal(
      states.apply(
        { kind: 'status', runId: 'v', origin: { kind: 'video', id: 'v' }, at: 'x', status: 'done', counters: { frames: 0, dropped: 0, reconnects: 0 } },
        toOutEvent(event({ type: 't' }), { serverId: 's' }),
      ),
      null,
    );
  });

  it('makes topic levels safe and names the documented topics', () => {
    assert.equal(topicLevel('front door/#+'), 'front_door___');
    assert.equal(topicLevel(''), '_');
    const t = mqttTopics('home/arcface/', 'hall');
    assert.equal(t.status, 'home/arcface/hall/status');
    assert.equal(t.state('door'), 'home/arcface/hall/streams/door/state');
    assert.equal(t.event('track.identified'), 'home/arcface/hall/events/track.identified');
    assert.equal(t.discovery('door'), 'homeassistant/sensor/arcface_hall_door/config');
    assert.equal(redactUrl('https://user:pw@hooks.lan:8443/x?token=1'), 'https://hooks.lan:8443/x');
    assert.equal(redactUrl('not a url'), '(not a URL)');
  });

  it('bounded queue: drops the oldest, refuses a capacity below 1', () => {
    const dropped: number[] = [];
    const q = new BoundedQueue<number>(2, (n) => dropped.push(n));
    for (const n of [1, 2, 3]) q.push(n);
    q.unshift(0);
    assert.deepEqual(dropped, [1, 0]);
    assert.deepEqual(q.drain(), [2, 3]);
    assert.throws(() => new BoundedQueue(0, () => undefined), RangeError);
    assert.throws(() => new BoundedQueue(1.5, () => undefined), RangeError);
  });

  it('serve options: webhooks need a readable, non-empty secret file; a file others can read is warned about', () => {
    const dir = mkdtempSync(join(tmpdir(), 'arcface-events-opts-'));
    const base: ServeEventCliOptions = { mqttTopicPrefix: 'arcface', webhook: [] };
    const warnings: string[] = [];
    const warn = (l: string): void => {
      warnings.push(l);
    };
    assert.equal(eventOptionsFrom(base, warn), undefined);
    assert.deepEqual(eventOptionsFrom({ ...base, mqtt: 'mqtt://b:1883', serverId: 'hall' }, warn), {
      serverId: 'hall',
      mqtt: { url: 'mqtt://b:1883', topicPrefix: 'arcface', discovery: false },
    });
    const hooks = { ...base, webhook: ['https://h.lan/x'] };
    assert.throws(() => eventOptionsFrom(hooks, warn), /--webhook-secret-file/);
    assert.throws(() => eventOptionsFrom({ ...hooks, webhookSecretFile: join(dir, 'missing') }, warn), /ENOENT/);
    writeFileSync(join(dir, 'empty'), '\n', { mode: 0o600 });
    assert.throws(() => eventOptionsFrom({ ...hooks, webhookSecretFile: join(dir, 'empty') }, warn), /is empty/);
    writeFileSync(join(dir, 'secret'), 's3cret\n');
    chmodSync(join(dir, 'secret'), 0o644);
    const o = eventOptionsFrom({ ...hooks, webhookSecretFile: join(dir, 'secret') }, warn);
    assert.equal(o?.webhookSecret?.toString(), 's3cret');
    assert.ok(warnings.some((w) => /can be read by other users/.test(w)));
    writeFileSync(join(dir, 'mqtt-pw'), 'broker pw\n', { mode: 0o600 });
    assert.equal(eventOptionsFrom({ ...base, mqtt: 'mqtt://arcface@b', mqttPasswordFile: join(dir, 'mqtt-pw') }, warn)?.mqtt?.password, 'broker pw');
  });
});
