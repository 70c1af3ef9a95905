import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { connectAsync, type MqttClient } from 'mqtt';
import type { SyntheticVideo } from '../../bench/video-synth.js';
import type { OutEvent, StreamState } from '../../apps/server/services/event-out/index.js';
import { serve, type RunningServer } from '../../apps/server/server.js';
import { startMosquitto, type TestMosquitto } from '../helpers/mosquitto.js';
import { clipDir, closedPort, serveLoopback, stampedClip, within, type LoopbackStream } from '../helpers/video-clips.js';
import { testLocations } from './helpers.js';

/** The clip's frame rate: the loopback stream sends it in real time (ffmpeg -re). */
const FPS = 25;

/** The stream's counters: frames processed, frames the live source dropped because processing fell behind, reconnections. */
async function streamCounters(url: string): Promise<{ frames: number; dropped: number; reconnects: number }> {
  const body = (await (await fetch(`${url}/v1/streams`)).json()) as { running: { name: string; frames: number; dropped: number; reconnects: number }[] };
  const cam = body.running.find((s) => s.name === 'cam');
  return { frames: cam?.frames ?? 0, dropped: cam?.dropped ?? 0, reconnects: cam?.reconnects ?? 0 };
}

function counter(text: string, sink: string, outcome: string): number {
  return Number(new RegExp(`arcface_events_out_total\\{sink="${sink}",outcome="${outcome}"\\} (\\d+)`).exec(text)?.[1] ?? 0);
}

describe('a configured stream publishes to MQTT with nobody following it, and dead webhooks never slow it down', () => {
  let broker: TestMosquitto;
  let stream: LoopbackStream;
  let server: RunningServer;
  let sub: MqttClient;
  let clip: SyntheticVideo;
  const got: { topic: string; text: string }[] = [];
  const never: import('node:net').Socket[] = [];
  let neverServer: import('node:net').Server;
  before(async () => {
    const dir = await clipDir('events-stream');
    clip = await stampedClip(dir, { seconds: 12, fps: FPS, people: 2, seed: 11 });
    stream = await serveLoopback(clip.videoPath, 'mpegts');
    broker = await startMosquitto();
    sub = await connectAsync(broker.url, { reconnectPeriod: 0 });
    sub.on('message', (topic, payload) => got.push({ topic, text: payload.toString('utf8') }));
    await sub.subscribeAsync('arcface/#', { qos: 1 });
    // One receiver accepts connections and never answers; the other port refuses them.
    const { createServer } = await import('node:net');
    neverServer = createServer((s) => never.push(s));
    await new Promise<void>((resolve) => neverServer.listen(0, '127.0.0.1', resolve));
    const silent = `http://127.0.0.1:${(neverServer.address() as { port: number }).port}/hook`;
    const refused = `http://127.0.0.1:${await closedPort()}/hook`;
    const home = mkdtempSync(join(tmpdir(), 'arcface-events-'));
    writeFileSync(join(home, 'secret'), 'a webhook secret\n', { mode: 0o600 });
    server = await serve({
      host: '127.0.0.1',
      port: 0,
      locations: testLocations(),
      workers: 1,
      auth: false,
      handleSignals: false,
      log: () => undefined,
      logLevel: 'silent',
      videos: { dir: join(home, 'videos'), streams: { cam: stream.url }, streamSource: { reconnectAttempts: 5 }, streamRestartMs: 1000 },
      events: {
        serverId: 'test',
        mqtt: { url: broker.url },
        webhooks: [silent, refused],
        webhookSecret: 'a webhook secret',
        webhookTuning: { queueSize: 1, timeoutMs: 1000, backoffMs: 200 },
      },
    });
  });
  after(async () => {
    await server?.close();
    await sub?.endAsync();
    for (const s of never) s.destroy();
    await new Promise<void>((resolve) => (neverServer === undefined ? resolve() : neverServer.close(() => resolve())));
    await broker?.close();
    await stream?.close();
  });

  it('runs the stream from the start and its events reach MQTT, with the retained state there for a late subscriber', async () => {
    const started = (): OutEvent | undefined => {
      const m = got.find((x) => x.topic === 'arcface/test/events/track.started');
      return m === undefined ? undefined : (JSON.parse(m.text) as OutEvent);
    };
    await within(
      120_000,
      (async () => {
        while (started() === undefined) await new Promise((r) => setTimeout(r, 100));
      })(),
      'a track.started event on MQTT',
    );
    const e = started() as OutEvent;
    assert.equal(e.where, 'cam');
    assert.equal(e.source, 'stream');
    assert.equal(e.server, 'test');
    assert.ok(
      got.some(
        (m) => m.topic === 'arcface/test/events/stream.status' && (JSON.parse(m.text) as OutEvent & { event: { status: string } }).event.status === 'running',
      ),
    );
    const late = await connectAsync(broker.url, { reconnectPeriod: 0 });
    const retained: { topic: string; text: string }[] = [];
    late.on('message', (topic, payload) => retained.push({ topic, text: payload.toString('utf8') }));
    await late.subscribeAsync('arcface/test/streams/+/state', { qos: 1 });
    await within(
      10_000,
      (async () => {
        while (retained.length === 0) await new Promise((r) => setTimeout(r, 50));
      })(),
      'the retained state',
    );
    await late.endAsync();
    const state = JSON.parse(retained[0]?.text ?? '{}') as StreamState;
    assert.equal(retained[0]?.topic, 'arcface/test/streams/cam/state');
    assert.equal(state.stream, 'cam');
    assert.equal(state.status, 'running');
  });

  it('keeps taking frames at the source’s pace while both webhooks are dead, and their bounded queues (one place) drop and count', async () => {
    // Measured past the first frames (processing catches up with what arrived while the models loaded) and
    // over a window without a reconnection (the clip's end): the source sends in real time.
    await within(
      60_000,
      (async () => {
        while ((await streamCounters(server.url)).frames < 2 * FPS) await new Promise((r) => setTimeout(r, 100));
      })(),
      'two seconds of frames',
    );
    let pace = 0;
    let detail = '';
    for (let attempt = 0; attempt < 3; attempt++) {
      const a = await streamCounters(server.url);
      const t0 = performance.now();
      await new Promise((r) => setTimeout(r, 3000));
      const b = await streamCounters(server.url);
      const seconds = (performance.now() - t0) / 1000;
      pace = (b.frames + b.dropped - a.frames - a.dropped) / seconds;
      detail = `${b.frames - a.frames} frames processed and ${b.dropped - a.dropped} dropped in ${seconds.toFixed(1)} s: ${pace.toFixed(1)} fps against the clip's ${FPS}`;
      if (b.reconnects === a.reconnects) break;
    }
    assert.ok(pace >= FPS * 0.7 && pace <= FPS * 1.3, detail);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    assert.ok(counter(metrics, 'mqtt', 'delivered') > 0, 'MQTT delivered events');
    for (const sink of ['webhook-1', 'webhook-2']) {
      assert.equal(counter(metrics, sink, 'delivered'), 0, `${sink} delivered nothing`);
      assert.ok(counter(metrics, sink, 'retried') > 0, `${sink} retried`);
      assert.ok(counter(metrics, sink, 'dropped') > 0, `${sink} dropped past its queue of 1`);
      const depth = Number(new RegExp(`arcface_events_out_queue_depth\\{sink="${sink}"\\} (\\d+)`).exec(metrics)?.[1] ?? -1);
      assert.ok(depth >= 0 && depth <= 1, `${sink} queue depth ${depth}`);
    }
    assert.match(metrics, /arcface_mqtt_connected 1/);
  });
});
