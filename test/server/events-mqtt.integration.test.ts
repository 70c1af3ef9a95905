import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connectAsync, type MqttClient } from 'mqtt';
import { EventBus, type BusMessage, type ServerEvent } from '../../apps/server/services/event-bus.js';
import { EventOut, MqttSink, type OutEvent, type StreamState } from '../../apps/server/services/event-out/index.js';
import { ServerMetrics } from '../../apps/server/plugins/metrics.js';
import { startMosquitto, type TestMosquitto } from '../helpers/mosquitto.js';
import { within } from '../helpers/video-clips.js';

interface Received {
  readonly topic: string;
  readonly text: string;
  readonly retain: boolean;
}

/** A plain MQTT client subscribed to `filter`, keeping every message it receives. */
async function listen(url: string, filter: string, session?: string): Promise<{ client: MqttClient; got: Received[] }> {
  // With a session name: a persistent session that reconnects by itself and gets what was published while it was away.
  const opts = session === undefined ? { reconnectPeriod: 0 } : { clientId: session, clean: false, reconnectPeriod: 100 };
  const client = await within(10_000, connectAsync(url, { ...opts, connectTimeout: 5000 }), 'a test subscriber connecting');
  const got: Received[] = [];
  client.on('message', (topic, payload, packet) => got.push({ topic, text: payload.toString('utf8'), retain: packet.retain }));
  await client.subscribeAsync(filter, { qos: 1 });
  return { client, got };
}

async function until(check: () => boolean, what: string, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const door = { kind: 'stream', name: 'door' } as const;
const at = (): string => new Date().toISOString();
const status = (s: 'running' | 'failed'): BusMessage => ({
  kind: 'status',
  runId: 'stream:door',
  origin: door,
  at: at(),
  status: s,
  counters: { frames: 10, dropped: 1, reconnects: 0 },
});
const identified = (trackId: number, identity: string | null): BusMessage => ({
  kind: 'event',
  runId: 'stream:door',
  origin: door,
  at: at(),
  event: {
    type: 'track.identified',
    trackId,
    frame: 12,
    pts: 0.48,
    identity,
    name: identity,
    label: identity ?? 'unknown',
    score: 0.61,
    threshold: 0.3,
    thresholdSource: 'fixed',
    previous: null,
    embeddings: 2,
  } as ServerEvent,
});

describe('events to MQTT (a real mosquitto on loopback)', () => {
  let broker: TestMosquitto;
  let bus: EventBus;
  let out: EventOut;
  const metrics = new ServerMetrics();
  const warnings: string[] = [];
  before(async () => {
    broker = await startMosquitto({ persist: true });
    bus = new EventBus();
    out = EventOut.start(
      bus,
      { serverId: 'hall', publicUrl: 'https://faces.home.lan/', mqtt: { url: broker.url, discovery: true, reconnectMs: 200, timeoutMs: 2000 } },
      { streams: ['door'], report: { count: (s, o) => metrics.countEventOut(s, o), warn: (_o, msg) => warnings.push(msg) } },
    );
  });
  after(async () => {
    await out?.close();
    await broker?.close();
  });

  const mqttSink = (): MqttSink => out.sinks[0] as MqttSink;

  it('publishes every event under arcface/<server>/events/<type>, with a Home Assistant-friendly payload, whatever its type', async () => {
    await until(() => mqttSink().connected, 'the sink to connect');
    const sub = await listen(broker.url, 'arcface/hall/events/#');
    bus.publish(status('running'));
    bus.publish(identified(3, 'Alice'));
    // A type this server does not know yet (sightings add it): forwarded as it is.
    bus.publish({
      kind: 'event',
      runId: 'stream:door',
      origin: door,
      at: at(),
      event: { type: 'visitor.seen', name: 'Alice', identity: 'alice', score: 0.7, snapshot: '/v1/sightings/9/face' } as ServerEvent,
    });
    await until(() => sub.got.length >= 3, 'three events');
    await sub.client.endAsync();
    assert.deepEqual(
      sub.got.map((m) => m.topic),
      ['arcface/hall/events/stream.status', 'arcface/hall/events/track.identified', 'arcface/hall/events/visitor.seen'],
    );
    const seen = JSON.parse(sub.got[1]?.text ?? '{}') as OutEvent;
    assert.equal(seen.type, 'track.identified');
    assert.equal(seen.server, 'hall');
    assert.equal(seen.who, 'Alice');
    assert.equal(seen.identity, 'Alice');
    assert.equal(seen.where, 'door');
    assert.equal(seen.source, 'stream');
    assert.equal(seen.score, 0.61);
    assert.equal(seen.snapshot, null);
    assert.ok(!Number.isNaN(Date.parse(seen.when)));
    assert.equal((seen.event as { trackId?: number }).trackId, 3);
    const visitor = JSON.parse(sub.got[2]?.text ?? '{}') as OutEvent;
    assert.equal(visitor.snapshot, 'https://faces.home.lan/v1/sightings/9/face');
    assert.equal(visitor.identity, 'alice');
    assert.equal(
      sub.got.every((m) => !m.retain),
      true,
    );
  });

  it('keeps each stream’s state, the availability and the discovery config retained for a late subscriber', async () => {
    const late = await listen(broker.url, '#');
    await until(
      () => late.got.some((m) => m.topic === 'arcface/hall/streams/door/state') && late.got.some((m) => m.topic === 'arcface/hall/status'),
      'the retained topics',
    );
    await late.client.endAsync();
    const state = JSON.parse(late.got.find((m) => m.topic === 'arcface/hall/streams/door/state')?.text ?? '{}') as StreamState;
    assert.equal(state.status, 'running');
    assert.equal(state.who, 'Alice');
    assert.deepEqual(
      state.present.map((p) => p.trackId),
      [3],
    );
    assert.equal(state.frames, 10);
    assert.equal(late.got.find((m) => m.topic === 'arcface/hall/status')?.text, 'online');
    const discovery = late.got.find((m) => m.topic === 'homeassistant/sensor/arcface_hall_door/config');
    assert.ok(discovery?.retain, 'the discovery config is retained');
    const config = JSON.parse(discovery.text) as Record<string, unknown>;
    assert.equal(config.state_topic, 'arcface/hall/streams/door/state');
    assert.equal(config.availability_topic, 'arcface/hall/status');
    assert.ok(late.got.filter((m) => m.topic.startsWith('arcface/hall/events/')).length === 0, 'events are not retained');
  });

  it('rides out a broker that goes away: publishing never throws, events wait in the bounded queue, the sink reconnects and delivers them', async () => {
    const sub = await listen(broker.url, 'arcface/hall/#', 'test-subscriber');
    await broker.stop();
    await until(() => !mqttSink().connected, 'the sink to notice the broker is gone');
    const t0 = performance.now();
    for (let i = 0; i < 5; i++) bus.publish(identified(10 + i, i % 2 === 0 ? 'Bob' : null));
    assert.ok(performance.now() - t0 < 100, 'publishing with the broker gone returns at once');
    assert.equal(mqttSink().queueDepth, 5);
    await broker.start();
    await until(() => mqttSink().connected, 'the sink to reconnect');
    await until(
      () => sub.got.filter((m) => m.topic === 'arcface/hall/events/track.identified').length >= 5,
      `the queued events after the reconnection (got ${JSON.stringify(sub.got.map((m) => m.topic))}, queue ${mqttSink().queueDepth}, connected ${mqttSink().connected})`,
    );
    // On each connection the sink publishes its availability and the streams' states again.
    await until(() => sub.got.filter((m) => m.topic === 'arcface/hall/status' && m.text === 'online').length >= 2, 'online again');
    await until(() => sub.got.filter((m) => m.topic === 'arcface/hall/streams/door/state').length >= 2, 'the state again');
    await sub.client.endAsync();
    // The broker's acknowledgements may come just after the subscriber has the messages.
    const delivered = async (): Promise<number> =>
      Number(/arcface_events_out_total\{sink="mqtt",outcome="delivered"\} (\d+)/.exec(await metrics.render())?.[1] ?? 0);
    const deadline = Date.now() + 10_000;
    while ((await delivered()) < 8 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    assert.equal(await delivered(), 8, '3 events before the outage and 5 queued during it, each delivered once');
    assert.ok(
      warnings.some((w) => /unreachable/.test(w)),
      'the outage was logged',
    );
  });

  it('drops the oldest events past its queue and counts them, while the broker is away', async () => {
    const small = new MqttSink(
      { url: 'mqtt://127.0.0.1:1', serverId: 'x', queueSize: 3, reconnectMs: 60_000, timeoutMs: 500 },
      { count: (s, o) => metrics.countEventOut(`small-${s}`, o), warn: () => undefined },
    );
    try {
      for (let i = 0; i < 10; i++) small.offer({ id: String(i), type: 't' } as OutEvent);
      assert.equal(small.queueDepth, 3);
      assert.match(await metrics.render(), /arcface_events_out_total\{sink="small-mqtt",outcome="dropped"\} 7/);
    } finally {
      await small.close();
    }
  });

  it('says offline, retained, when it closes', async () => {
    await out.close();
    const late = await listen(broker.url, 'arcface/hall/status');
    await until(() => late.got.length > 0, 'the availability');
    await late.client.endAsync();
    assert.equal(late.got[0]?.text, 'offline');
  });
});

describe('events to an MQTT broker that requires a password', () => {
  it('connects with the password (from --mqtt-password-file) and is refused without it, never crashing', async () => {
    const broker = await startMosquitto({ user: { name: 'arcface', password: 'pw-from-a-file' } });
    const warnings: string[] = [];
    const report = { count: () => undefined, warn: (_o: object, msg: string) => warnings.push(msg) };
    const url = broker.url.replace('mqtt://', 'mqtt://arcface@');
    const good = new MqttSink({ url, serverId: 'auth', password: 'pw-from-a-file', reconnectMs: 200 }, report);
    const bad = new MqttSink({ url, serverId: 'auth', reconnectMs: 200 }, report);
    try {
      await until(() => good.connected, 'the sink with the password to connect');
      await until(() => warnings.some((w) => /MQTT broker error/.test(w)), 'the refusal to be logged');
      assert.equal(bad.connected, false);
      bad.offer({ id: '1', type: 't' } as OutEvent);
      assert.equal(bad.queueDepth, 1);
    } finally {
      await good.close();
      await bad.close();
      await broker.close();
    }
  });
});
