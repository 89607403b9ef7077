/**
 * Hot-path metrics for prom-client registries: series are bound once per label set and then
 * updated with plain arithmetic (prom-client's own observe copies and hashes its labels on every
 * call, a measurable share of an in-process KV read). They render through prom-client's registry
 * like its own metrics (both formats).
 */
import type { Registry } from 'prom-client';

type Labels = Record<string, string>;
type Value = { metricName: string; labels: Labels; value: number };

/** One bound histogram series: observe with {@link observe}. */
export interface HistogramSeries {
  readonly labels: Labels;
  readonly counts: Float64Array;
  sum: number;
  count: number;
}

/** A histogram whose series are bound up front (see the module comment). */
export class FastHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly series: HistogramSeries[] = [];

  constructor(readonly name: string, readonly help: string, private readonly upper: readonly number[], registry: Registry) {
    registry.registerMetric(this as never);
  }

  /** A new series with these labels (bind once, keep it). */
  bind(labels: Labels = {}): HistogramSeries {
    const s: HistogramSeries = { labels, counts: new Float64Array(this.upper.length), sum: 0, count: 0 };
    this.series.push(s);
    return s;
  }

  /** Records `value` in `series` (no allocation). */
  observe(series: HistogramSeries, value: number): void {
    const upper = this.upper;
    for (let i = 0; i < upper.length; i++) {
      if (value <= upper[i]!) {
        series.counts[i]!++;
        break;
      }
    }
    series.sum += value;
    series.count++;
  }

  /** prom-client's collection hook: cumulative buckets, `+Inf`, `_sum` and `_count` per series. */
  async get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: Value[] }> {
    const values: Value[] = [];
    for (const s of this.series) {
      let cumulative = 0;
      for (let i = 0; i < this.upper.length; i++) {
        cumulative += s.counts[i]!;
        values.push({ metricName: `${this.name}_bucket`, labels: { ...s.labels, le: String(this.upper[i]) }, value: cumulative });
      }
      values.push({ metricName: `${this.name}_bucket`, labels: { ...s.labels, le: '+Inf' }, value: s.count });
      values.push({ metricName: `${this.name}_sum`, labels: s.labels, value: s.sum });
      values.push({ metricName: `${this.name}_count`, labels: s.labels, value: s.count });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }
}

/** One bound counter series: `series.value++`. */
export interface CounterSeries {
  readonly labels: Labels;
  value: number;
}

/** A counter whose series are bound up front (see the module comment). */
export class FastCounter {
  readonly type = 'counter';
  readonly aggregator = 'sum';
  private readonly series: CounterSeries[] = [];

  constructor(readonly name: string, readonly help: string, registry: Registry) {
    registry.registerMetric(this as never);
  }

  /** A new series with these labels (bind once, keep it). */
  bind(labels: Labels = {}): CounterSeries {
    const s: CounterSeries = { labels, value: 0 };
    this.series.push(s);
    return s;
  }

  /** prom-client's collection hook. */
  async get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: Value[] }> {
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values: this.series.map((s) => ({ metricName: this.name, labels: s.labels, value: s.value })) };
  }
}
