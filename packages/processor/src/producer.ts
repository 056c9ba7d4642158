/**
 * The output: a `MetricProducer` that the user's readers (Prometheus, periodic OTLP) call at each
 * collection. It returns the derived series as gauges, one point per series, window and (for
 * latency) quantile, plus the processor's own counters.
 */
import type { Attributes } from '@opentelemetry/api';
import {
  ATTR_DRIFTWATCH_DETECTOR,
  ATTR_DRIFTWATCH_METRIC,
  METRIC_DRIFTWATCH_ANOMALY_SCORE,
  ATTR_DRIFTWATCH_DOMAIN,
  ATTR_DRIFTWATCH_QUANTILE,
  ATTR_DRIFTWATCH_REASON,
  ATTR_DRIFTWATCH_WINDOW,
  ATTR_ERROR_TYPE,
  METRIC_DRIFTWATCH_CACHE_HIT_RATIO,
  METRIC_DRIFTWATCH_COST_PER_SUCCESS,
  METRIC_DRIFTWATCH_COST_RATE,
  METRIC_DRIFTWATCH_OBSERVATIONS,
  METRIC_DRIFTWATCH_ERROR_RATIO,
  METRIC_DRIFTWATCH_FALLBACK_RATIO,
  METRIC_DRIFTWATCH_LATENCY,
  METRIC_DRIFTWATCH_PROCESSOR_EXPIRED,
  METRIC_DRIFTWATCH_PROCESSOR_INPUT_INVALID,
  METRIC_DRIFTWATCH_PROCESSOR_OVERFLOW,
  METRIC_DRIFTWATCH_PROCESSOR_SERIES,
  METRIC_DRIFTWATCH_RATE,
  METRIC_DRIFTWATCH_RETRY_MEAN,
  METRIC_DRIFTWATCH_SELECTOR_CONFIDENCE_MEAN,
  METRIC_DRIFTWATCH_SELECTOR_CONFIDENCE_TREND,
  METRIC_DRIFTWATCH_SUCCESS_RATIO,
  METRIC_DRIFTWATCH_TIMEOUT_RATIO,
  METRIC_DRIFTWATCH_TOKENS_RATE,
} from '@driftwatch/semconv';
import { DOMAINS } from './config';
import { coveredSeconds, readWindow } from './stats';
import {
  DATA_POINT_GAUGE,
  DATA_POINT_SUM,
  TEMPORALITY_CUMULATIVE,
  VALUE_TYPE_DOUBLE,
  VALUE_TYPE_INT,
  msToHrTime,
} from './otel-types';
import type { CollectionResult, MetricDataLike, MetricProducer, PointLike } from './otel-types';
import { PACKAGE_NAME, PACKAGE_VERSION } from './version';
import type { DriftwatchProcessor } from './processor';
import type { HrTime } from '@opentelemetry/api';

interface GaugeDef {
  name: string;
  unit: string;
  description: string;
}

/** Every derived gauge, in output order. */
export const DERIVED_GAUGES: readonly GaugeDef[] = [
  { name: METRIC_DRIFTWATCH_OBSERVATIONS, unit: '{observation}', description: 'Observations in the window (calls, resolutions, cache requests), weighted by sampling adjusted counts.' },
  { name: METRIC_DRIFTWATCH_RATE, unit: '{observation}/s', description: 'Observations per second over the window (over the series\' age while it is younger than the window).' },
  { name: METRIC_DRIFTWATCH_SUCCESS_RATIO, unit: '1', description: 'Successful outcomes over all outcomes in the window.' },
  { name: METRIC_DRIFTWATCH_ERROR_RATIO, unit: '1', description: 'Failures of one error.type over all outcomes in the window.' },
  { name: METRIC_DRIFTWATCH_TIMEOUT_RATIO, unit: '1', description: 'Observations that ended in a timeout over all observations in the window.' },
  { name: METRIC_DRIFTWATCH_FALLBACK_RATIO, unit: '1', description: 'Observations served by a fallback over all observations in the window.' },
  { name: METRIC_DRIFTWATCH_RETRY_MEAN, unit: '{retry}', description: 'Mean retries per call, over the calls that reported a retry count.' },
  { name: METRIC_DRIFTWATCH_LATENCY, unit: 's', description: 'Latency quantile over the window, from a base-2 exponential sketch (relative error ≤ 0.54 % at the default scale).' },
  { name: METRIC_DRIFTWATCH_TOKENS_RATE, unit: '{token}/s', description: 'Input plus output tokens per second over the window.' },
  { name: METRIC_DRIFTWATCH_COST_RATE, unit: 'USD/s', description: 'Cost per second over the window.' },
  { name: METRIC_DRIFTWATCH_COST_PER_SUCCESS, unit: 'USD', description: 'All cost in the window (failed calls included) over its successful calls.' },
  { name: METRIC_DRIFTWATCH_CACHE_HIT_RATIO, unit: '1', description: 'Cache hits (stale values served included) over hits and misses in the window.' },
  { name: METRIC_DRIFTWATCH_SELECTOR_CONFIDENCE_MEAN, unit: '1', description: 'Mean selector confidence over the resolutions in the window that reported one.' },
  { name: METRIC_DRIFTWATCH_SELECTOR_CONFIDENCE_TREND, unit: '1/s', description: 'Least-squares slope of selector confidence over the window, per second.' },
  { name: METRIC_DRIFTWATCH_ANOMALY_SCORE, unit: '1', description: 'Latest anomaly score (0 normal … 1 anomalous) of one derived metric of the series, from the detector in driftwatch.detector.' },
];

export const SELF_METRICS: readonly (GaugeDef & { sum: boolean })[] = [
  { name: METRIC_DRIFTWATCH_PROCESSOR_SERIES, unit: '{series}', description: 'Live derived series per domain, the overflow series included.', sum: false },
  { name: METRIC_DRIFTWATCH_PROCESSOR_OVERFLOW, unit: '{observation}', description: 'Observations recorded into a domain\'s overflow series because its cardinality limit was reached.', sum: true },
  { name: METRIC_DRIFTWATCH_PROCESSOR_EXPIRED, unit: '{series}', description: 'Series dropped after being idle for the expiry time.', sum: true },
  { name: METRIC_DRIFTWATCH_PROCESSOR_INPUT_INVALID, unit: '{input}', description: 'Inputs repaired or dropped by the processor, by reason.', sum: true },
];

const gauge = (d: GaugeDef, points: PointLike<number>[]): MetricDataLike => ({
  descriptor: { name: d.name, unit: d.unit, description: d.description, valueType: VALUE_TYPE_DOUBLE },
  aggregationTemporality: TEMPORALITY_CUMULATIVE,
  dataPointType: DATA_POINT_GAUGE,
  dataPoints: points,
});

/** Stands in until the reader has seen the SDK's resource (the SDK keeps its own resource when merging producer output anyway). */
const EMPTY_RESOURCE = {
  attributes: {},
  merge(other: unknown) {
    return other ?? EMPTY_RESOURCE;
  },
  getRawAttributes: () => [],
};

export class DerivedMetricProducer implements MetricProducer {
  private readonly _p: DriftwatchProcessor;
  private readonly _startMs = Date.now();

  constructor(processor: DriftwatchProcessor) {
    this._p = processor;
  }

  /** The derived series at this moment (pulls the SDK's counters into the windows first). */
  async collect(): Promise<CollectionResult> {
    await this._p.metricReader.pull();
    const errors: unknown[] = [];
    let metrics: MetricDataLike[] = [];
    try {
      metrics = this.build();
    } catch (e) {
      errors.push(e);
    }
    const result = {
      resourceMetrics: {
        resource: this._p.metricReader.resource ?? EMPTY_RESOURCE,
        scopeMetrics: [{ scope: { name: PACKAGE_NAME, version: PACKAGE_VERSION }, metrics }],
      },
      errors,
    };
    return result as unknown as CollectionResult;
  }

  /** The metric data of one collection (synchronous; also what tests assert on). */
  build(): MetricDataLike[] {
    const p = this._p;
    const o = p.options;
    const now = p.now();
    p._sweepNow(now);
    const end = msToHrTime(now);
    const points: PointLike<number>[][] = DERIVED_GAUGES.map(() => []);
    const [count, rate, success, error, timeout, fallback, retries, latency, tokens, cost, costPerSuccess, hit, confidence, trend, anomaly] = points as [
      PointLike<number>[], PointLike<number>[], PointLike<number>[], PointLike<number>[], PointLike<number>[], PointLike<number>[], PointLike<number>[],
      PointLike<number>[], PointLike<number>[], PointLike<number>[], PointLike<number>[], PointLike<number>[], PointLike<number>[], PointLike<number>[],
      PointLike<number>[],
    ];
    const qLabels = o.quantiles.map((q) => String(q));
    for (const domain of DOMAINS) {
      for (const s of p._table(domain).all()) {
        const start = msToHrTime(s.startMs);
        for (const w of o.windows) {
          const agg = readWindow(s, w, now, o.sketch);
          if (agg.count === 0 && agg.tokens === 0 && agg.cost === 0) continue;
          const attrs: Attributes = { ...s.attributes, [ATTR_DRIFTWATCH_DOMAIN]: domain, [ATTR_DRIFTWATCH_WINDOW]: w.name };
          const add = (to: PointLike<number>[], value: number | undefined, a: Attributes = attrs): void => {
            if (value !== undefined && Number.isFinite(value)) to.push({ startTime: start, endTime: end, attributes: a, value });
          };
          const covered = coveredSeconds(w, o.rings[w.ring]!.slotMs, s.startMs, now);
          add(count, agg.count);
          add(rate, agg.count / covered);
          add(success, agg.successRatio);
          if (agg.outcomes > 0) for (const [type, n] of agg.errorTypes) add(error, n / agg.outcomes, { ...attrs, [ATTR_ERROR_TYPE]: type });
          add(timeout, agg.timeoutRatio);
          add(fallback, agg.fallbackRatio);
          add(retries, agg.meanRetries);
          if (agg.latency.count > 0) {
            for (let i = 0; i < o.quantiles.length; i++) add(latency, agg.latency.quantile(o.quantiles[i]!), { ...attrs, [ATTR_DRIFTWATCH_QUANTILE]: qLabels[i]! });
          }
          if (agg.tokens > 0) add(tokens, agg.tokens / covered);
          if (agg.cost > 0) add(cost, agg.cost / covered);
          add(costPerSuccess, agg.cost > 0 ? agg.costPerSuccess : undefined);
          add(hit, agg.hitRatio);
          add(confidence, agg.meanConfidence);
          add(trend, agg.confidenceTrend);
        }
      }
    }
    const engine = p.anomaly;
    if (engine !== undefined) {
      const detector = engine.options.detector;
      for (const { series, metric, score } of engine.scores(p._allSeries())) {
        anomaly.push({
          startTime: msToHrTime(series.startMs),
          endTime: end,
          attributes: { ...series.attributes, [ATTR_DRIFTWATCH_DOMAIN]: series.domain, [ATTR_DRIFTWATCH_WINDOW]: p.anomalyWindow, [ATTR_DRIFTWATCH_METRIC]: metric, [ATTR_DRIFTWATCH_DETECTOR]: detector },
          value: score,
        });
      }
    }
    const out: MetricDataLike[] = [];
    DERIVED_GAUGES.forEach((d, i) => {
      if (points[i]!.length > 0) out.push(gauge(d, points[i]!));
    });
    out.push(...this._self(end));
    return out;
  }

  private _self(end: HrTime): MetricDataLike[] {
    const h = this._p.health();
    const start = msToHrTime(this._startMs);
    const byDomain = (v: Record<string, number>): PointLike<number>[] =>
      DOMAINS.map((d) => ({ startTime: start, endTime: end, attributes: { [ATTR_DRIFTWATCH_DOMAIN]: d }, value: v[d]! }));
    const invalid = Object.entries(h.invalid).map(([reason, value]) => ({ startTime: start, endTime: end, attributes: { [ATTR_DRIFTWATCH_REASON]: reason }, value }));
    const values = [byDomain(h.series), byDomain(h.overflowed), byDomain(h.expired), invalid];
    return SELF_METRICS.map((d, i) => ({
      descriptor: { name: d.name, unit: d.unit, description: d.description, valueType: d.name === METRIC_DRIFTWATCH_PROCESSOR_OVERFLOW ? VALUE_TYPE_DOUBLE : VALUE_TYPE_INT },
      aggregationTemporality: TEMPORALITY_CUMULATIVE,
      dataPointType: d.sum ? DATA_POINT_SUM : DATA_POINT_GAUGE,
      dataPoints: values[i]!,
      ...(d.sum ? { isMonotonic: true } : {}),
    }));
  }
}
