/**
 * Events to an MQTT broker (MQTT.js): `<prefix>/<server>/events/<type>` per event, a retained
 * state per stream at `<prefix>/<server>/streams/<name>/state`, and a retained availability topic
 * `<prefix>/<server>/status` (`online`, and `offline` as the last will, which the broker publishes
 * when the server vanishes). With discovery on, Home Assistant gets one sensor per stream.
 * Events wait in a bounded queue while the broker is away; MQTT.js reconnects by itself.
 */
import { randomBytes } from 'node:crypto';
import { connect, type MqttClient } from 'mqtt';
import { BoundedQueue } from './bounded-queue.js';
import { topicLevel, type OutEvent } from './payload.js';
import { definedOnly, redactUrl, type EventSink, type SinkReport } from './sink.js';
import type { StreamState } from './stream-state.js';

/** Options of the MQTT sink. */
export interface MqttOptions {
  /** `mqtt://host:port` or `mqtts://…` (a user name as `mqtt://user@host`). */
  readonly url: string;
  /** The broker password (`--mqtt-password-file`), kept off the command line. */
  readonly password?: string;
  /** The server's id, the topic level after the prefix. */
  readonly serverId: string;
  /** First topic level(s); default `arcface`. */
  readonly topicPrefix?: string;
  /** Publish Home Assistant discovery configs under `homeassistant/`. */
  readonly discovery?: boolean;
  /** Streams to announce to Home Assistant (the configured ones). */
  readonly streams?: readonly string[];
  readonly queueSize?: number;
  /** Publishes awaiting the broker's acknowledgement at once. */
  readonly maxInFlight?: number;
  /** Longest wait for the broker's acknowledgement of one publish, and for a connection, ms. */
  readonly timeoutMs?: number;
  /** Wait between two connection attempts, ms. */
  readonly reconnectMs?: number;
}

/**
 * Defaults: topics under `arcface/`; 1,000 events queued; 32 unacknowledged publishes; 10 s to
 * connect or be acknowledged; a new connection attempt every 2 s; keep-alive 30 s (a broker gone
 * silent is noticed within 1.5 × that, the MQTT 3.1.1 rule, §3.1.2.10).
 */
export const MQTT_DEFAULTS = Object.freeze({
  topicPrefix: 'arcface',
  queueSize: 1000,
  maxInFlight: 32,
  timeoutMs: 10_000,
  reconnectMs: 2000,
  keepaliveSeconds: 30,
});

/** Home Assistant's default discovery prefix. */
const DISCOVERY_PREFIX = 'homeassistant';

/**
 * The topics of one server.
 *
 * @example
 * mqttTopics('arcface', 'hall').state('door') // 'arcface/hall/streams/door/state'
 */
export function mqttTopics(prefix: string, serverId: string) {
  const base = `${prefix.replace(/\/+$/, '')}/${topicLevel(serverId)}`;
  return {
    status: `${base}/status`,
    event: (type: string) => `${base}/events/${topicLevel(type)}`,
    state: (stream: string) => `${base}/streams/${topicLevel(stream)}/state`,
    discovery: (stream: string) => `${DISCOVERY_PREFIX}/sensor/${topicLevel(`arcface_${serverId}_${stream}`)}/config`,
  };
}

/**
 * The MQTT sink.
 *
 * @example
 * const sink = new MqttSink({ url: 'mqtt://127.0.0.1:1883', serverId: 'hall', streams: ['door'] }, report)
 */
export class MqttSink implements EventSink {
  readonly name = 'mqtt';
  readonly #o: Required<MqttOptions> & { readonly keepaliveSeconds: number };
  readonly #report: SinkReport;
  readonly #topics: ReturnType<typeof mqttTopics>;
  readonly #client: MqttClient;
  readonly #queue: BoundedQueue<OutEvent>;
  /** The newest state of each stream; `#dirty` names those not yet published on this connection. */
  readonly #states = new Map<string, StreamState>();
  readonly #dirty = new Set<string>();
  #inFlight = 0;
  #closed = false;

  constructor(options: MqttOptions, report: SinkReport) {
    if (!/^mqtts?:\/\//i.test(options.url)) throw new TypeError(`Expected an mqtt:// or mqtts:// URL for the broker but received "${redactUrl(options.url)}"`);
    this.#o = { discovery: false, streams: [], password: '', ...MQTT_DEFAULTS, ...definedOnly(options) };
    this.#report = report;
    this.#topics = mqttTopics(this.#o.topicPrefix, this.#o.serverId);
    this.#queue = new BoundedQueue<OutEvent>(this.#o.queueSize, () => report.count(this.name, 'dropped'));
    this.#client = connect(this.#o.url, {
      clientId: `arcface-${topicLevel(this.#o.serverId)}-${randomBytes(4).toString('hex')}`,
      clean: true,
      keepalive: this.#o.keepaliveSeconds,
      connectTimeout: this.#o.timeoutMs,
      reconnectPeriod: this.#o.reconnectMs,
      // Nothing is queued by MQTT.js while offline: this sink's own bounded queue holds events.
      queueQoSZero: false,
      will: { topic: this.#topics.status, payload: Buffer.from('offline'), qos: 1, retain: true },
      ...(this.#o.password === '' ? {} : { password: this.#o.password }),
    });
    this.#client.on('connect', () => this.#onConnect());
    this.#client.on('error', (err) => report.warn({ sink: this.name, url: redactUrl(this.#o.url), err: err.message }, 'MQTT broker error'));
    this.#client.on('offline', () => report.warn({ sink: this.name, url: redactUrl(this.#o.url) }, 'MQTT broker unreachable; reconnecting'));
  }

  get queueDepth(): number {
    return this.#queue.length;
  }

  /** Whether the broker is connected now. */
  get connected(): boolean {
    return this.#client.connected;
  }

  offer(event: OutEvent): void {
    if (this.#closed) return;
    this.#queue.push(event);
    this.#pump();
  }

  offerState(state: StreamState): void {
    if (this.#closed) return;
    this.#states.set(state.stream, state);
    this.#dirty.add(state.stream);
    this.#pump();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const _ of this.#queue.drain()) this.#report.count(this.name, 'dropped');
    if (this.#client.connected) await this.#publish(this.#topics.status, 'offline', true).catch(() => undefined);
    // A clean disconnect within the timeout, else the socket is dropped (the broker then sends the will).
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => this.#client.end(true, {}, () => resolve()), this.#o.timeoutMs);
      this.#client.end(false, {}, () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  #onConnect(): void {
    void this.#publish(this.#topics.status, 'online', true).catch(() => undefined);
    if (this.#o.discovery)
      for (const s of this.#o.streams) void this.#publish(this.#topics.discovery(s), JSON.stringify(this.#discoveryConfig(s)), true).catch(() => undefined);
    for (const s of this.#states.keys()) this.#dirty.add(s);
    this.#pump();
  }

  /** Sends states first (the newest of each), then queued events, while the broker is connected and acknowledging. */
  #pump(): void {
    while (this.#client.connected && !this.#closed && this.#inFlight < this.#o.maxInFlight) {
      const stream = this.#dirty.values().next();
      if (!stream.done) {
        this.#dirty.delete(stream.value);
        const state = this.#states.get(stream.value) as StreamState;
        this.#send(this.#topics.state(stream.value), JSON.stringify(state), true, () => this.#dirty.add(stream.value));
        continue;
      }
      const event = this.#queue.shift();
      if (event === undefined) return;
      this.#send(this.#topics.event(event.type), JSON.stringify(event), false, undefined, true);
    }
  }

  #send(topic: string, payload: string, retain: boolean, onFail: (() => void) | undefined, counted = false): void {
    this.#inFlight++;
    this.#publish(topic, payload, retain)
      .then(
        () => {
          if (counted) this.#report.count(this.name, 'delivered');
        },
        (err: Error) => {
          if (counted) this.#report.count(this.name, 'failed');
          this.#report.warn({ sink: this.name, topic, err: err.message }, 'MQTT publish failed');
          onFail?.();
        },
      )
      .finally(() => {
        this.#inFlight = Math.max(0, this.#inFlight - 1);
        this.#pump();
      });
  }

  /** One QoS 1 publish, settled by the broker's acknowledgement or by the timeout. */
  #publish(topic: string, payload: string, retain: boolean): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`Expected the broker to acknowledge within ${this.#o.timeoutMs} ms but it did not`)), this.#o.timeoutMs);
      this.#client.publish(topic, payload, { qos: 1, retain }, (err) => {
        clearTimeout(timer);
        if (err === undefined || err === null) resolve();
        else reject(err);
      });
    });
  }

  /** A Home Assistant MQTT sensor for one stream: its value is who is there now, its attributes the whole state. */
  #discoveryConfig(stream: string): Record<string, unknown> {
    const sid = topicLevel(this.#o.serverId);
    return {
      name: `${stream} face`,
      unique_id: topicLevel(`arcface_${sid}_${stream}`),
      state_topic: this.#topics.state(stream),
      value_template: "{{ value_json.who if value_json.who else 'nobody' }}",
      json_attributes_topic: this.#topics.state(stream),
      availability_topic: this.#topics.status,
      payload_available: 'online',
      payload_not_available: 'offline',
      icon: 'mdi:face-recognition',
      device: { identifiers: [`arcface_${sid}`], name: `ArcFace ${this.#o.serverId}`, manufacturer: 'ArcFace.ts' },
    };
  }
}
