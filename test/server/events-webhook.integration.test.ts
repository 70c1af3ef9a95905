import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { after, describe, it } from 'node:test';
import { EventBus } from '../../apps/server/services/event-bus.js';
import { EventOut, signWebhook, verifyWebhook, WebhookSink, type OutEvent } from '../../apps/server/services/event-out/index.js';
import { ServerMetrics } from '../../apps/server/plugins/metrics.js';
import { closedPort } from '../helpers/video-clips.js';

interface Delivery {
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

/** A webhook receiver on loopback that answers each delivery with the next status of `answers` (the last one repeats). */
async function receiver(answers: readonly number[] | 'never'): Promise<{ url: string; got: Delivery[]; close(): Promise<void> }> {
  const got: Delivery[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      got.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      if (answers === 'never') return;
      res.writeHead(answers[Math.min(got.length, answers.length) - 1] ?? 200).end();
    });
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/hook?token=abc`,
    got,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function until(check: () => boolean, what: string, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function counter(text: string, sink: string, outcome: string): number {
  return Number(new RegExp(`arcface_events_out_total\\{sink="${sink}",outcome="${outcome}"\\} (\\d+)`).exec(text)?.[1] ?? 0);
}

/** Waits (15 s at most) until the counter reaches `n`, then checks that it is exactly `n` (or at least, when `exact` is false). */
async function untilCount(metrics: ServerMetrics, sink: string, outcome: string, n: number, exact = true): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (counter(await metrics.render(), sink, outcome) < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  const got = counter(await metrics.render(), sink, outcome);
  if (exact) assert.equal(got, n, `${sink} ${outcome}`);
  else assert.ok(got >= n, `${sink} ${outcome}: ${got} < ${n}`);
}

const SECRET = 'correct horse battery staple';
const door = { kind: 'stream', name: 'door' } as const;

describe('events to webhooks (real HTTP receivers on loopback)', () => {
  const closers: (() => Promise<void>)[] = [];
  after(async () => {
    for (const c of closers) await c();
  });

  it('signs each delivery over timestamp and body, verifiable with the secret and with nothing else', async () => {
    const r = await receiver([204]);
    closers.push(r.close);
    const bus = new EventBus();
    const metrics = new ServerMetrics();
    const out = EventOut.start(
      bus,
      { serverId: 'hall', webhooks: [r.url], webhookSecret: SECRET },
      { streams: ['door'], report: { count: (s, o) => metrics.countEventOut(s, o), warn: () => undefined } },
    );
    closers.push(() => out.close());
    bus.publish({
      kind: 'event',
      runId: 'stream:door',
      origin: door,
      at: new Date().toISOString(),
      event: { type: 'visitor.recurring', name: 'Alice', identity: 'alice', score: 0.5 } as never,
    });
    await until(() => r.got.length === 1, 'the delivery');
    const d = r.got[0] as Delivery;
    assert.equal(d.headers['content-type'], 'application/json');
    assert.equal(d.headers['x-arcface-event'], 'visitor.recurring');
    const headers = { timestamp: d.headers['x-arcface-timestamp'] as string, signature: d.headers['x-arcface-signature'] as string };
    assert.match(headers.signature, /^sha256=[0-9a-f]{64}$/);
    assert.equal(verifyWebhook(SECRET, headers, d.body), true);
    assert.equal(verifyWebhook('another secret', headers, d.body), false);
    assert.equal(verifyWebhook(SECRET, headers, d.body.replace('Alice', 'Mallory')), false);
    // A replay an hour later is refused by the timestamp inside the signature.
    assert.equal(verifyWebhook(SECRET, headers, d.body, { now: Number(headers.timestamp) + 3600 }), false);
    const body = JSON.parse(d.body) as OutEvent;
    assert.equal(body.type, 'visitor.recurring');
    assert.equal(body.who, 'Alice');
    assert.equal(body.where, 'door');
    assert.equal(d.headers['x-arcface-delivery'], body.id);
    await untilCount(metrics, 'webhook-1', 'delivered', 1);
  });

  it('retries after failures with growing waits: 500, 500, then 200 is one delivery in three attempts', async () => {
    const r = await receiver([500, 500, 200]);
    closers.push(r.close);
    const metrics = new ServerMetrics();
    const sink = new WebhookSink(
      'webhook-1',
      { url: r.url, secret: SECRET, backoffMs: 100 },
      { count: (s, o) => metrics.countEventOut(s, o), warn: () => undefined },
    );
    closers.push(() => sink.close());
    const t0 = performance.now();
    sink.offer({ id: 'd-1', type: 'track.identified', who: 'Bob' } as OutEvent);
    await until(() => r.got.length === 3, 'three attempts');
    const took = performance.now() - t0;
    await untilCount(metrics, 'webhook-1', 'delivered', 1);
    // Waits of 100 then 200 ms between the attempts (exponential back-off).
    assert.ok(took >= 300, `three attempts took ${took.toFixed(0)} ms, at least the 100 + 200 ms of back-off`);
    assert.deepEqual(
      r.got.map((d) => d.headers['x-arcface-delivery']),
      ['d-1', 'd-1', 'd-1'],
    );
    for (const d of r.got)
      assert.equal(
        verifyWebhook(SECRET, { timestamp: d.headers['x-arcface-timestamp'] as string, signature: d.headers['x-arcface-signature'] as string }, d.body),
        true,
      );
    const text = await metrics.render();
    assert.equal(counter(text, 'webhook-1', 'retried'), 2);
    assert.equal(counter(text, 'webhook-1', 'delivered'), 1);
    assert.equal(counter(text, 'webhook-1', 'failed'), 0);
  });

  it('gives up after its attempts, and not at all on a 4xx refusal, counting each failure', async () => {
    const down = await receiver([503]);
    const refusing = await receiver([403]);
    closers.push(down.close, refusing.close);
    const metrics = new ServerMetrics();
    const report = { count: (s: string, o: string) => metrics.countEventOut(s, o), warn: () => undefined };
    const a = new WebhookSink('down', { url: down.url, secret: SECRET, backoffMs: 10, maxAttempts: 3 }, report);
    const b = new WebhookSink('refusing', { url: refusing.url, secret: SECRET, backoffMs: 10 }, report);
    closers.push(
      () => a.close(),
      () => b.close(),
    );
    a.offer({ id: 'x', type: 't' } as OutEvent);
    b.offer({ id: 'y', type: 't' } as OutEvent);
    await untilCount(metrics, 'down', 'failed', 1);
    await untilCount(metrics, 'refusing', 'failed', 1);
    assert.equal(down.got.length, 3);
    assert.equal(refusing.got.length, 1);
  });

  for (const kind of ['refusing connections', 'never answering'] as const) {
    it(`a receiver ${kind} never holds up the caller: offers return at once, the queue stays bounded, drops are counted`, async () => {
      let url: string;
      if (kind === 'never answering') {
        const r = await receiver('never');
        closers.push(r.close);
        url = r.url;
      } else {
        url = `http://127.0.0.1:${await closedPort()}/hook`;
      }
      const metrics = new ServerMetrics();
      const sink = new WebhookSink(
        'dead',
        { url, secret: SECRET, queueSize: 50, timeoutMs: 300, backoffMs: 50 },
        { count: (s, o) => metrics.countEventOut(s, o), warn: () => undefined },
      );
      closers.push(() => sink.close());
      const t0 = performance.now();
      for (let i = 0; i < 2000; i++) sink.offer({ id: `e${i}`, type: 'track.started' } as OutEvent);
      const offerMs = performance.now() - t0;
      assert.ok(offerMs < 500, `2,000 offers took ${offerMs.toFixed(0)} ms`);
      assert.ok(sink.queueDepth <= 50);
      // One event is in its delivery attempts; the other 1,999 either wait (50) or were dropped.
      assert.equal(counter(await metrics.render(), 'dead', 'dropped'), 2000 - 1 - sink.queueDepth);
      // The attempts time out (never answering) or fail at once (refused), and are retried.
      await untilCount(metrics, 'dead', 'retried', 2, false);
      const c0 = performance.now();
      await sink.close();
      assert.ok(performance.now() - c0 < 1000, 'closing abandons the attempt in flight at once');
    });
  }

  it('refuses webhooks without a secret, and URLs that are not http(s)', () => {
    const bus = new EventBus();
    const report = { count: () => undefined, warn: () => undefined };
    assert.throws(() => EventOut.start(bus, { webhooks: ['http://127.0.0.1:9/x'] }, { streams: [], report }), { code: 'INVALID_ARGUMENT' });
    assert.throws(() => EventOut.start(bus, { webhooks: ['file:///etc/passwd'], webhookSecret: 's' }, { streams: [], report }), { code: 'INVALID_ARGUMENT' });
    assert.equal(bus.size, 0);
    assert.equal(signWebhook('k', 1, 'b'), signWebhook('k', 1, 'b'));
  });
});
