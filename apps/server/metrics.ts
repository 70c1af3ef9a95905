/**
 * Prometheus text exposition (format 0.0.4), written by hand: counters, histograms and gauges
 * read at scrape time. One instance per app; nothing module-level.
 */

/**
 * Latency buckets in seconds: the Prometheus client libraries' defaults
 * (prometheus/client_golang `DefBuckets`), which span a fast health check to a slow batch.
 *
 * @example
 * LATENCY_BUCKETS.at(-1) // 10
 */
export const LATENCY_BUCKETS: readonly number[] = Object.freeze([0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]);

type Labels = Readonly<Record<string, string>>;

interface HistogramSeries {
  readonly labels: Labels;
  readonly counts: number[];
  sum: number;
  count: number;
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function labelText(labels: Labels, extra?: [string, string]): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
  if (extra !== undefined) parts.push(`${extra[0]}="${escapeLabel(extra[1])}"`);
  return parts.length === 0 ? '' : `{${parts.join(',')}}`;
}

function seriesKey(labels: Labels): string {
  return JSON.stringify(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)));
}

/** A histogram with fixed buckets, one series per label set. */
class Histogram {
  readonly #series = new Map<string, HistogramSeries>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly buckets: readonly number[],
  ) {}

  observe(labels: Labels, value: number): void {
    const key = seriesKey(labels);
    let s = this.#series.get(key);
    if (s === undefined) {
      s = { labels, counts: this.buckets.map(() => 0), sum: 0, count: 0 };
      this.#series.set(key, s);
    }
    for (let i = 0; i < this.buckets.length; i++) if (value <= (this.buckets[i] as number)) s.counts[i] = (s.counts[i] as number) + 1;
    s.sum += value;
    s.count += 1;
  }

  render(out: string[]): void {
    out.push(`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`);
    for (const s of this.#series.values()) {
      this.buckets.forEach((b, i) => out.push(`${this.name}_bucket${labelText(s.labels, ['le', String(b)])} ${s.counts[i] as number}`));
      out.push(`${this.name}_bucket${labelText(s.labels, ['le', '+Inf'])} ${s.count}`);
      out.push(`${this.name}_sum${labelText(s.labels)} ${s.sum}`, `${this.name}_count${labelText(s.labels)} ${s.count}`);
    }
  }
}

/** A monotonically increasing counter, one series per label set. */
class Counter {
  readonly #series = new Map<string, { labels: Labels; value: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}

  inc(labels: Labels, by = 1): void {
    const key = seriesKey(labels);
    const s = this.#series.get(key);
    if (s === undefined) this.#series.set(key, { labels, value: by });
    else s.value += by;
  }

  render(out: string[]): void {
    out.push(`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`);
    for (const s of this.#series.values()) out.push(`${this.name}${labelText(s.labels)} ${s.value}`);
  }
}

/** A gauge read when scraped. */
export interface GaugeSource {
  readonly name: string;
  readonly help: string;
  read(): number | Promise<number>;
}

/**
 * The server's metrics: requests and latency per route, inference time per operation, and gauges
 * (queue depth, gallery size, memory) read at scrape time.
 *
 * @example
 * const m = new ServerMetrics(); m.observeRequest('POST', '/v1/verify', 200, 0.12); await m.render()
 */
export class ServerMetrics {
  readonly #requests = new Counter('arcface_http_requests_total', 'HTTP requests by method, route and status code.');
  readonly #latency = new Histogram('arcface_http_request_duration_seconds', 'HTTP request latency by method and route.', LATENCY_BUCKETS);
  readonly #inference = new Histogram('arcface_inference_duration_seconds', 'Time a worker spent on one inference job, by operation.', LATENCY_BUCKETS);
  readonly #queueWait = new Histogram('arcface_queue_wait_seconds', 'Time an inference job waited for a worker.', LATENCY_BUCKETS);
  readonly #rejected = new Counter('arcface_inference_rejected_total', 'Inference jobs refused, by reason.');
  readonly #gauges: GaugeSource[] = [];

  /**
   * Counts one finished request.
   *
   * @example
   * metrics.observeRequest('GET', '/healthz', 200, 0.001)
   */
  observeRequest(method: string, route: string, status: number, seconds: number): void {
    const labels = { method, route };
    this.#requests.inc({ method, route, status: String(status) });
    this.#latency.observe(labels, seconds);
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
   * Adds a gauge read at scrape time.
   *
   * @example
   * metrics.addGauge({ name: 'arcface_queue_depth', help: 'Jobs waiting.', read: () => pool.queueDepth })
   */
  addGauge(source: GaugeSource): void {
    this.#gauges.push(source);
  }

  /**
   * The exposition text.
   *
   * @example
   * reply.type('text/plain; version=0.0.4').send(await metrics.render())
   */
  async render(): Promise<string> {
    const out: string[] = [];
    this.#requests.render(out);
    this.#latency.render(out);
    this.#inference.render(out);
    this.#queueWait.render(out);
    this.#rejected.render(out);
    for (const g of this.#gauges) {
      let value: number;
      try {
        value = await g.read();
      } catch {
        value = Number.NaN;
      }
      out.push(`# HELP ${g.name} ${g.help}`, `# TYPE ${g.name} gauge`, `${g.name} ${Number.isNaN(value) ? 'NaN' : value}`);
    }
    return `${out.join('\n')}\n`;
  }
}
