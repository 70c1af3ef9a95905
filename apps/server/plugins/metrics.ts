/**
 * The server's Prometheus metrics, kept by prom-client (the Prometheus project's listed Node.js
 * client): one registry per app, nothing in the library's global default registry.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * Latency buckets in seconds: the Prometheus client libraries' defaults
 * (prometheus/client_golang `DefBuckets`), which span a fast health check to a slow batch.
 *
 * @example
 * LATENCY_BUCKETS.at(-1) // 10
 */
export const LATENCY_BUCKETS: readonly number[] = Object.freeze([0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]);

/** A gauge read when scraped. */
export interface GaugeSource {
  readonly name: string;
  readonly help: string;
  read(): number | Promise<number>;
}

/**
 * The server's metrics: requests and latency per route, inference time per operation, and gauges
 * (queue depth, gallery size, memory) read at scrape time; a gauge whose read fails shows NaN.
 *
 * @example
 * const m = new ServerMetrics(); m.observeRequest('POST', '/v1/verify', 200, 0.12); await m.render()
 */
export class ServerMetrics {
  readonly #registry = new Registry();
  readonly #requests = new Counter({
    name: 'arcface_http_requests_total',
    help: 'HTTP requests by method, route and status code.',
    labelNames: ['method', 'route', 'status'],
    registers: [this.#registry],
  });
  readonly #latency = new Histogram({
    name: 'arcface_http_request_duration_seconds',
    help: 'HTTP request latency by method and route.',
    labelNames: ['method', 'route'],
    buckets: [...LATENCY_BUCKETS],
    registers: [this.#registry],
  });
  readonly #inference = new Histogram({
    name: 'arcface_inference_duration_seconds',
    help: 'Time a worker spent on one inference job, by operation.',
    labelNames: ['op'],
    buckets: [...LATENCY_BUCKETS],
    registers: [this.#registry],
  });
  readonly #queueWait = new Histogram({
    name: 'arcface_queue_wait_seconds',
    help: 'Time an inference job waited for a worker.',
    labelNames: ['op'],
    buckets: [...LATENCY_BUCKETS],
    registers: [this.#registry],
  });
  readonly #rejected = new Counter({
    name: 'arcface_inference_rejected_total',
    help: 'Inference jobs refused, by reason.',
    labelNames: ['reason'],
    registers: [this.#registry],
  });
  readonly #eventsOut = new Counter({
    name: 'arcface_events_out_total',
    help: 'Events sent to MQTT and webhooks, by sink and outcome (delivered, retried, failed, dropped).',
    labelNames: ['sink', 'outcome'],
    registers: [this.#registry],
  });

  /**
   * Counts one finished request.
   *
   * @example
   * metrics.observeRequest('GET', '/healthz', 200, 0.001)
   */
  observeRequest(method: string, route: string, status: number, seconds: number): void {
    this.#requests.inc({ method, route, status: String(status) });
    this.#latency.observe({ method, route }, seconds);
  }

  /**
   * Records one inference job: its operation, the time it waited and the time it ran.
   *
   * @example
   * metrics.observeInference('verify', 0.002, 0.140)
   */
  observeInference(op: string, waitSeconds: number, runSeconds: number): void {
    this.#queueWait.observe({ op }, waitSeconds);
    this.#inference.observe({ op }, runSeconds);
  }

  /**
   * Counts a refused job (`queue_full`, `timeout`).
   *
   * @example
   * metrics.countRejected('queue_full')
   */
  countRejected(reason: string): void {
    this.#rejected.inc({ reason });
  }

  /**
   * Counts what became of one event at one sink (`mqtt`, `webhook-1`…): `delivered`, `retried` (an
   * attempt failed and another follows), `failed` (given up) or `dropped` (its queue was full).
   *
   * @example
   * metrics.countEventOut('webhook-1', 'dropped')
   */
  countEventOut(sink: string, outcome: string): void {
    this.#eventsOut.inc({ sink, outcome });
  }

  /**
   * Adds a gauge with one value per sink, read at scrape time (queue depths of the event sinks).
   *
   * @example
   * metrics.addSinkGauge('arcface_events_out_queue_depth', 'Events waiting per sink.', () => sinks.map((s) => [s.name, s.queueDepth]))
   */
  addSinkGauge(name: string, help: string, read: () => readonly (readonly [string, number])[]): void {
    new Gauge({
      name,
      help,
      labelNames: ['sink'],
      registers: [this.#registry],
      collect() {
        for (const [sink, value] of read()) this.set({ sink }, value);
      },
    });
  }

  /**
   * Adds a gauge read at scrape time.
   *
   * @example
   * metrics.addGauge({ name: 'arcface_queue_depth', help: 'Jobs waiting.', read: () => pool.queueDepth })
   */
  addGauge(source: GaugeSource): void {
    new Gauge({
      name: source.name,
      help: source.help,
      registers: [this.#registry],
      async collect() {
        try {
          this.set(await source.read());
        } catch {
          this.set(Number.NaN);
        }
      },
    });
  }

  /** The exposition's content type (text format 0.0.4). */
  get contentType(): string {
    return this.#registry.contentType;
  }

  /**
   * The exposition text.
   *
   * @example
   * reply.type(metrics.contentType).send(await metrics.render())
   */
  async render(): Promise<string> {
    return this.#registry.metrics();
  }
}
