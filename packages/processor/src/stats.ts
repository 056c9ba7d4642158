/** What a query returns: per series, per window, the derived values (absent when there is nothing to divide by). */
import type { Attributes } from '@opentelemetry/api';
import { WindowAggregate } from './aggregate';
import type { Domain, WindowPlan } from './config';
import type { Series } from './series';
import type { SketchOptions } from './sketch';

export interface WindowStats {
  /** `'1m'`, `'5m'`, … */
  window: string;
  /** Observations in the window (weighted by sampling adjusted counts). */
  count: number;
  /** Observations per second over the time the window covers. */
  rate?: number;
  successRatio?: number;
  errorRatio?: number;
  /** Failures of each `error.type` over all outcomes (at most 64 types). */
  errorRatioByType: Record<string, number>;
  timeoutRatio?: number;
  fallbackRatio?: number;
  meanRetries?: number;
  /** Latency quantiles in seconds, keyed `p50`, `p90`, `p95`, `p99` (per the configured quantiles). */
  latency: Record<string, number>;
  /** The relative-error bound of the latency quantiles. */
  latencyRelativeError?: number;
  tokens: number;
  tokensRate?: number;
  /** USD. */
  cost: number;
  costRate?: number;
  costPerSuccess?: number;
  hitRatio?: number;
  meanConfidence?: number;
  /** Slope of confidence over time, per second. */
  confidenceTrend?: number;
}

export interface SeriesStats {
  domain: Domain;
  /** The series' dimensions (`{ 'otel.metric.overflow': true }` for the overflow series). */
  attributes: Attributes;
  overflow: boolean;
  /** Epoch ms of the series' first observation. */
  startTime: number;
  /** Epoch ms of its latest observation. */
  lastSeen: number;
  windows: Record<string, WindowStats>;
}

/** `0.5` → `'p50'`, `0.999` → `'p99.9'`. */
export const quantileLabel = (q: number): string => `p${Number((q * 100).toPrecision(10))}`;

/** Seconds the window covers at `nowMs` for a series started at `startMs`: at least one slot, at most the window. */
export function coveredSeconds(w: WindowPlan, slotMs: number, startMs: number, nowMs: number): number {
  return Math.min(w.ms, Math.max(slotMs, nowMs - startMs)) / 1000;
}

/** The merged aggregate of one window of a series. */
export function readWindow(series: Series, w: WindowPlan, nowMs: number, sketch: SketchOptions): WindowAggregate {
  const agg = new WindowAggregate(sketch);
  series.rings[w.ring]!.readInto(agg, nowMs, w.slots);
  return agg;
}

export function windowStats(agg: WindowAggregate, w: WindowPlan, covered: number, quantiles: readonly number[]): WindowStats {
  const errorRatioByType: Record<string, number> = {};
  const outcomes = agg.outcomes;
  if (outcomes > 0) for (const [type, n] of agg.errorTypes) errorRatioByType[type] = n / outcomes;
  const latency: Record<string, number> = {};
  if (agg.latency.count > 0) for (const q of quantiles) latency[quantileLabel(q)] = agg.latency.quantile(q);
  const s: WindowStats = { window: w.name, count: agg.count, errorRatioByType, latency, tokens: agg.tokens, cost: agg.cost };
  const set = <K extends keyof WindowStats>(k: K, v: WindowStats[K] | undefined): void => {
    if (v !== undefined) s[k] = v;
  };
  const hasCalls = agg.count > 0;
  set('rate', covered > 0 ? agg.count / covered : undefined);
  set('successRatio', agg.successRatio);
  set('errorRatio', agg.errorRatio);
  set('timeoutRatio', agg.timeoutRatio);
  set('fallbackRatio', agg.fallbackRatio);
  set('meanRetries', agg.meanRetries);
  set('latencyRelativeError', agg.latency.count > 0 ? agg.latency.relativeError : undefined);
  set('tokensRate', covered > 0 && (agg.tokens > 0 || hasCalls) ? agg.tokens / covered : undefined);
  set('costRate', covered > 0 && (agg.cost > 0 || hasCalls) ? agg.cost / covered : undefined);
  set('costPerSuccess', agg.costPerSuccess);
  set('hitRatio', agg.hitRatio);
  set('meanConfidence', agg.meanConfidence);
  set('confidenceTrend', agg.confidenceTrend);
  return s;
}
