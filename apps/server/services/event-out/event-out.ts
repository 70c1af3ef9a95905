/**
 * Events out: one subscriber on the server's event bus hands every message, whatever its type, to
 * each configured sink (MQTT, webhooks) and keeps the streams' states for MQTT's retained topics.
 * Configured by the administrator only (`serve --mqtt`, `--webhook`); no request can add a sink.
 */
import { hostname } from 'node:os';
import { ArcFaceError } from '../../../../src/core/index.js';
import type { EventBus } from '../event-bus.js';
import { MqttSink, type MqttOptions } from './mqtt-sink.js';
import { toOutEvent, topicLevel } from './payload.js';
import type { EventSink, SinkReport } from './sink.js';
import { StreamStates } from './stream-state.js';
import { WebhookSink, type WebhookOptions } from './webhook-sink.js';

/** The administrator's event destinations. */
export interface EventOutOptions {
  /** This server's id in topics and payloads; default the host name. */
  readonly serverId?: string;
  /** The server's address as Home Assistant reaches it, to make snapshot links absolute (`https://faces.home.lan`). */
  readonly publicUrl?: string;
  /** The MQTT broker; none when absent. */
  readonly mqtt?: Omit<MqttOptions, 'serverId' | 'streams'>;
  /** Webhook URLs, each with its own queue. */
  readonly webhooks?: readonly string[];
  /** Key of the webhooks' HMAC-SHA256 signatures; required with webhooks. */
  readonly webhookSecret?: string | Buffer;
  /** Queue, timeout and retry settings shared by the webhooks (defaults: `WEBHOOK_DEFAULTS`). */
  readonly webhookTuning?: Partial<Omit<WebhookOptions, 'url' | 'secret'>>;
}

/**
 * The default server id: the host name as one topic level.
 *
 * @example
 * defaultServerId() // 'kitchen-pi'
 */
export function defaultServerId(): string {
  return topicLevel(hostname());
}

/**
 * Whether the options name any destination.
 *
 * @example
 * hasEventSinks({ webhooks: [] }) // false
 */
export function hasEventSinks(options: EventOutOptions | undefined): boolean {
  return options !== undefined && (options.mqtt !== undefined || (options.webhooks?.length ?? 0) > 0);
}

/**
 * The running sinks and their one subscription to the bus.
 *
 * @example
 * const out = EventOut.start(bus, { mqtt: { url: 'mqtt://127.0.0.1:1883' } }, { streams: ['door'], report })
 * await out.close()
 */
export class EventOut {
  readonly sinks: readonly EventSink[];
  readonly #unsubscribe: () => void;

  private constructor(sinks: readonly EventSink[], unsubscribe: () => void) {
    this.sinks = sinks;
    this.#unsubscribe = unsubscribe;
  }

  /**
   * Starts the sinks the options name and subscribes them to `bus`. Webhooks without a secret are
   * refused (INVALID_ARGUMENT): every delivery is signed.
   *
   * @example
   * const out = EventOut.start(videos.bus, options, { streams: videos.streamNames, report })
   */
  static start(bus: EventBus, options: EventOutOptions, context: { readonly streams: readonly string[]; readonly report: SinkReport }): EventOut {
    const webhooks = options.webhooks ?? [];
    const secret = options.webhookSecret;
    if (webhooks.length > 0 && (secret === undefined || secret.length === 0)) {
      throw new ArcFaceError('INVALID_ARGUMENT', `Expected a webhook secret (--webhook-secret-file) for ${webhooks.length} webhook(s) but received none`);
    }
    const serverId = options.serverId ?? defaultServerId();
    const sinks: EventSink[] = [];
    try {
      if (options.mqtt !== undefined) sinks.push(new MqttSink({ ...options.mqtt, serverId, streams: context.streams }, context.report));
      webhooks.forEach((url, i) => {
        sinks.push(new WebhookSink(`webhook-${i + 1}`, { ...options.webhookTuning, url, secret: secret as string | Buffer }, context.report));
      });
    } catch (err) {
      for (const s of sinks) void s.close();
      throw err instanceof TypeError ? new ArcFaceError('INVALID_ARGUMENT', err.message) : err;
    }
    const states = new StreamStates(serverId, context.streams);
    for (const s of states.all()) for (const sink of sinks) sink.offerState?.(s);
    const payloadContext = { serverId, ...(options.publicUrl === undefined ? {} : { publicUrl: options.publicUrl }) };
    const unsubscribe = bus.subscribe((message) => {
      const out = toOutEvent(message, payloadContext);
      const state = states.apply(message, out);
      for (const sink of sinks) {
        sink.offer(out);
        if (state !== null) sink.offerState?.(state);
      }
    });
    return new EventOut(sinks, unsubscribe);
  }

  /** Stops listening and closes every sink (MQTT says `offline` first). */
  async close(): Promise<void> {
    this.#unsubscribe();
    await Promise.all(this.sinks.map((s) => s.close()));
  }
}
