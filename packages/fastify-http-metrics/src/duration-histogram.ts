import type { Metric, MetricObjectWithValues, MetricValueWithName, Registry } from '@prometheus-io/client';

/**
 * An observation's pointer to its trace, as the client library keeps one per bucket: the last one
 * to land there. Served only in the OpenMetrics format (`# {trace_id="…"} 0.42 1764…`).
 */
export interface Exemplar {
  labelSet: Readonly<Record<string, string>>;
  value: number;
  /** Seconds since the epoch, as the client library writes it. */
  timestamp: number;
}

/**
 * One label set of a {@link DurationHistogram}. Callers look it up once and keep it, so recording an
 * observation is a bucket search and three additions: no label validation, no key string, no lookup.
 */
export class HistogramSeries {
  readonly labels: Readonly<Record<string, string>>;
  readonly #upperBounds: readonly number[];
  /** Not cumulative: slot i counts values in (bound i-1, bound i]; the last slot, values above all bounds. */
  readonly #counts: Float64Array;
  /** The last exemplar of each slot, as #counts; made on the first one. */
  #exemplars: (Exemplar | undefined)[] | undefined;
  #sum = 0;
  #count = 0;

  constructor(labels: Readonly<Record<string, string>>, upperBounds: readonly number[]) {
    this.labels = labels;
    this.#upperBounds = upperBounds;
    this.#counts = new Float64Array(upperBounds.length + 1);
  }

  /** `exemplarLabels`: the observation's trace (trace_id, span_id), kept as its bucket's exemplar. */
  observe(value: number, exemplarLabels?: Readonly<Record<string, string>>): void {
    if (!Number.isFinite(value)) throw new TypeError(`histogram value is not a finite number: ${value}`);
    const bounds = this.#upperBounds;
    let slot = 0;
    while (slot < bounds.length && value > (bounds[slot] as number)) slot++;
    (this.#counts[slot] as number)++;
    this.#sum += value;
    this.#count++;
    if (exemplarLabels !== undefined) {
      this.#exemplars ??= new Array(bounds.length + 1);
      this.#exemplars[slot] = { labelSet: exemplarLabels, value, timestamp: Date.now() / 1000 };
    }
  }

  /**
   * Cumulative counts per upper bound (the `le` buckets), then +Inf, sum and count; the exemplar of
   * each bucket, +Inf last (undefined where none landed).
   */
  snapshot(): {
    cumulative: number[];
    sum: number;
    count: number;
    exemplars: readonly (Exemplar | undefined)[];
  } {
    let running = 0;
    const cumulative = this.#upperBounds.map((_, slot) => {
      running += this.#counts[slot] as number;
      return running;
    });
    return { cumulative, sum: this.#sum, count: this.#count, exemplars: this.#exemplars ?? [] };
  }

  reset(): void {
    this.#exemplars = undefined;
    this.#counts.fill(0);
    this.#sum = 0;
    this.#count = 0;
  }
}

type SharedLabelsValue = MetricValueWithName<string> & {
  sharedLabels: Readonly<Record<string, string>>;
  exemplar?: Exemplar;
};

export interface DurationHistogramOptions<L extends string> {
  name: string;
  help: string;
  labelNames: readonly L[];
  buckets: readonly number[];
  registers: Registry[];
}

/**
 * A Prometheus histogram for the per-request path. @prometheus-io/client's Histogram.observe
 * validates the labels and builds a key string on every call: with it, the request metrics took 7.0%
 * of the webapp's CPU on its fastest route; with this, 1.2% (bench/README.md). The registry still
 * formats and serves it: `get()` and `getForPromString()` return the same metric objects as the
 * client's own Histogram, which is all a registry asks of a metric.
 */
export class DurationHistogram<L extends string> {
  readonly name: string;
  readonly help: string;
  readonly type = 'histogram' as const;
  readonly aggregator = 'sum' as const;
  readonly #labelNames: readonly L[];
  readonly #upperBounds: readonly number[];
  readonly #series = new Map<string, HistogramSeries>();
  /** One `le` label object per bucket, +Inf last: the registry copies before it adds labels. */
  readonly #leLabels: readonly Readonly<Record<string, string | number>>[];

  constructor(options: DurationHistogramOptions<L>) {
    const bounds = [...options.buckets];
    if (
      bounds.length === 0 ||
      bounds.some((b, i) => !Number.isFinite(b) || (i > 0 && b <= (bounds[i - 1] as number)))
    ) {
      throw new Error(
        `${options.name}: buckets must be finite and strictly increasing, got ${bounds.join(', ')}`,
      );
    }
    if (options.labelNames.includes('le' as L))
      throw new Error(`${options.name}: "le" is a reserved label name`);
    this.name = options.name;
    this.help = options.help;
    this.#labelNames = [...options.labelNames];
    this.#upperBounds = Object.freeze(bounds);
    this.#leLabels = [...bounds.map((le) => ({ le })), { le: '+Inf' }];
    // A registry reads name, type and getForPromString() or get(), and calls reset(); its types list
    // only the client's own classes.
    for (const registry of options.registers) registry.registerMetric(this as unknown as Metric);
  }

  /** The series for these label values, created on first use. Keep it: it is the fast path. */
  series(labels: Readonly<Record<L, string>>): HistogramSeries {
    const given = Object.keys(labels);
    const missing = this.#labelNames.filter((name) => typeof labels[name] !== 'string');
    const unknown = given.filter((name) => !this.#labelNames.includes(name as L));
    if (missing.length > 0 || unknown.length > 0) {
      throw new Error(
        `${this.name}: labels must be exactly ${this.#labelNames.join(', ')}; got ${given.join(', ') || 'none'}`,
      );
    }
    const key = JSON.stringify(this.#labelNames.map((name) => labels[name]));
    let series = this.#series.get(key);
    if (series === undefined) {
      series = new HistogramSeries({ ...labels }, this.#upperBounds);
      this.#series.set(key, series);
    }
    return series;
  }

  async get(): Promise<MetricObjectWithValues<MetricValueWithName<string>>> {
    const values = this.#values().map(({ sharedLabels, labels, ...value }) => ({
      ...value,
      labels: { ...sharedLabels, ...labels },
    }));
    return { ...this.#metricObject(), values };
  }

  /**
   * What the registry formats when a metric offers it, as the client's own Histogram does: each
   * series' labels as one object shared by its lines, which the registry flattens once and caches,
   * so a render formats only `le` per line. A registry that does not call it uses get().
   */
  async getForPromString(): Promise<MetricObjectWithValues<SharedLabelsValue>> {
    return { ...this.#metricObject(), values: this.#values() };
  }

  #metricObject() {
    return {
      name: this.name,
      help: this.help,
      type: this.type,
      aggregator: this.aggregator,
      collect: () => {},
    };
  }

  #values(): SharedLabelsValue[] {
    const values: SharedLabelsValue[] = [];
    const bucket = `${this.name}_bucket`;
    const none = {};
    for (const series of this.#series.values()) {
      const { cumulative, sum, count, exemplars } = series.snapshot();
      const sharedLabels = series.labels;
      this.#leLabels.forEach((labels, slot) => {
        // Past the last bound, +Inf: every observation.
        const value: SharedLabelsValue = {
          metricName: bucket,
          labels,
          sharedLabels,
          value: cumulative[slot] ?? count,
        };
        const exemplar = exemplars[slot];
        values.push(exemplar ? { ...value, exemplar } : value);
      });
      values.push({ metricName: `${this.name}_sum`, labels: none, sharedLabels, value: sum });
      values.push({ metricName: `${this.name}_count`, labels: none, sharedLabels, value: count });
    }
    return values;
  }

  /** Zeroes every series in place, so series that callers hold keep counting into the exposition. */
  reset(): void {
    for (const series of this.#series.values()) series.reset();
  }
}
