import type { MeterProvider, TracerProvider } from '@opentelemetry/api';
import type { ElementDescriptor } from './types';

/** How a resolution ended (`selector.result`). */
export type SelectorResult = 'success' | 'not_found' | 'ambiguous' | 'timeout' | 'low_confidence' | 'error';

/** How one strategy attempt ended (`selector.strategy.result`). */
export type StrategyResult = 'matched' | 'no_match' | 'ambiguous' | 'timeout' | 'error' | 'rejected' | 'skipped' | 'unsupported';

/** What drifted (`selector.drift.kind`). */
export type DriftKind = 'strategy_change' | 'confidence_drop' | 'fingerprint_change' | 'fallback_rate' | 'ambiguity';

/** Options of {@link createSelectorTelemetry}. Bad values throw `SelectorConfigError`. */
export interface SelectorTelemetryOptions {
  /** Defaults to the global tracer provider. */
  tracerProvider?: TracerProvider;
  /** Defaults to the global meter provider. */
  meterProvider?: MeterProvider;
  /** Confidence acceptance threshold in [0, 1] (default 0.6, Healenium's score cap). */
  threshold?: number;
  /** Record `selector.query` on attempt spans (default false: selector text can hold user data). */
  captureQueries?: boolean;
  /**
   * Child spans per strategy attempt: `'always'`, `'never'`, or `'fallback'` (default): only when
   * more than one attempt was made or an attempt failed, created afterwards from buffered timings.
   */
  attemptSpans?: 'always' | 'fallback' | 'never';
  /** Record `selector.memory.delta`, the heap change during the resolution (default false). */
  measureMemory?: boolean;
  /** Default `selector.engine.name` (default `'custom'`), e.g. `'cheerio'` or `'playwright'`. */
  engine?: string;
  /**
   * Bound on distinct selector names kept in statistics and metric series (default 1000). Names
   * beyond it are still traced; their metrics go to the `otel.metric.overflow=true` series.
   */
  maxSelectors?: number;
}

/** Options of one resolution. Bad values reject the call before any strategy runs. */
export interface ResolveOptions {
  /** Total budget in ms (default 5000). */
  timeout?: number;
  /** Low-cardinality page or context label (`selector.context`). */
  context?: string;
  /** Overrides the telemetry's engine name. */
  engine?: string;
  /** Overrides the acceptance threshold. */
  threshold?: number;
  /** A match of more than one element is accepted instead of `ambiguous` (default false, Playwright's strict mode). */
  allowMultiple?: boolean;
  /**
   * Waits in ms between rounds over the strategy list; the last one repeats until the deadline.
   * Default Playwright's `[0, 20, 100, 100, 500]`. An empty list means one round only (static HTML,
   * where waiting cannot make an element appear).
   */
  retryIntervals?: readonly number[];
  /** Caller abort: the resolution ends with result `error` and `error.type` `AbortError`. */
  signal?: AbortSignal;
}

/** What a resolution found. */
export interface Resolution<T> {
  name: string;
  result: SelectorResult;
  /** The winning strategy's kind, or `'none'`. */
  strategy: string;
  /** The winning strategy's position in the list, or -1. */
  index: number;
  /** What the winning strategy returned for the element. */
  value?: T;
  /** Elements the winning (or the ambiguous) attempt matched; 0 when none. */
  count: number;
  /** The accepted confidence; for `low_confidence`, the best rejected one. */
  confidence?: number;
  fallbackUsed: boolean;
  /** The primary strategy's kind, when a fallback served the resolution. */
  fallbackFrom?: string;
  /** Strategy attempts made (every round counted; skipped strategies not). */
  attempts: number;
  durationMs: number;
  element?: ElementDescriptor;
  fingerprint?: string;
  /** Drift kinds this resolution showed against the selector's baseline. */
  drift: readonly DriftKind[];
  /** `error.type` of a failed resolution. */
  errorType?: string;
}

/** One attempt of an engine that measured itself (see {@link ResolutionRecord}). */
export interface AttemptRecord {
  strategy: string;
  result: StrategyResult;
  durationMs?: number;
  count?: number;
  confidence?: number;
  query?: string;
}

/**
 * A resolution an engine already measured, for {@link SelectorTelemetry.recordResolution}. Every
 * field is optional; a bad field is dropped (and counted) without dropping the rest.
 */
export interface ResolutionRecord {
  /** The winning strategy's kind. */
  strategy?: string;
  /** Wins over `success`; when neither is given, `success` if a strategy is named, else `not_found`. */
  result?: SelectorResult;
  success?: boolean;
  confidence?: number;
  durationMs?: number;
  /** Elements the winning strategy matched. */
  candidates?: number;
  fallbackUsed?: boolean;
  fallbackFrom?: string;
  timeoutMs?: number;
  errorType?: string;
  context?: string;
  engine?: string;
  element?: ElementDescriptor;
  memoryDelta?: number;
  attempts?: readonly AttemptRecord[];
  /** Epoch ms when the resolution started; the span starts then. Default: now − `durationMs`. */
  startTime?: number;
}

/** Resolution or attempt times, in ms, over a bounded window of recent samples. */
export interface DurationStats {
  samples: number;
  mean?: number;
  min?: number;
  max?: number;
  p50?: number;
  p90?: number;
  p95?: number;
  p99?: number;
}

/** Per strategy kind, within one selector. */
export interface StrategyStats {
  /** Attempts made with this strategy (skipped ones excluded). */
  attempts: number;
  /** Resolutions it served. */
  wins: number;
  /** Attempts by outcome. */
  results: Partial<Record<StrategyResult, number>>;
  /** Attempt times over the last 1024 attempts. */
  duration: DurationStats;
}

/** In-process statistics of one selector (see {@link SelectorTelemetry.getSelectorStats}). */
export interface SelectorStats {
  name: string;
  /** Resolutions recorded. */
  uses: number;
  results: Record<SelectorResult, number>;
  /** Shares of all resolutions: success, served by a fallback, timeout, ambiguous, and any failure. */
  successRate: number;
  fallbackRate: number;
  timeoutRate: number;
  ambiguousRate: number;
  failureRate: number;
  confidence: {
    /** Confidences seen (accepted ones, and the best rejected one of a `low_confidence` resolution). */
    samples: number;
    mean?: number;
    /** Exponentially weighted mean of accepted confidences (α = 0.2), the drift baseline. */
    ewma?: number;
    /** Least-squares slope per resolution over the last 100 confidences (negative = falling). */
    trend?: number;
  };
  /** Resolution times over the last 1024 resolutions. */
  duration: DurationStats;
  strategies: Record<string, StrategyStats>;
  /** The strategy that normally serves this selector. */
  baselineStrategy?: string;
  lastStrategy?: string;
  lastFingerprint?: string;
  /** The last successfully matched element (a reference for a heuristic strategy). */
  lastElement?: ElementDescriptor;
  /** Drift kinds currently in force (cleared after 3 clean resolutions). */
  drift: readonly DriftKind[];
  /** Epoch ms of the first and the latest resolution. */
  firstSeen: number;
  lastSeen: number;
  /**
   * Sliding-window statistics of this selector from the process-wide Driftwatch processor (set by
   * `register()` or `setGlobalProcessor()`), by window (`'1m'`, `'5m'`, …), merged over its series
   * (services, primary strategies). Absent without a processor, or before it has seen the selector.
   */
  windows?: Record<string, SelectorWindowStats>;
}

/** The processor's statistics of one window (the fields a selector has; see `@driftwatch/processor`). */
export interface SelectorWindowStats {
  window: string;
  count: number;
  rate?: number;
  successRatio?: number;
  errorRatio?: number;
  errorRatioByType: Record<string, number>;
  timeoutRatio?: number;
  fallbackRatio?: number;
  /** Resolution-time quantiles in seconds (`p50`, `p90`, `p95`, `p99`). */
  latency: Record<string, number>;
  meanConfidence?: number;
  /** Slope of confidence over the window, per second. */
  confidenceTrend?: number;
}

/** Kinds of {@link SelectorAnomaly}: the drift kinds plus two windowed signals. */
export type SelectorAnomalyKind = DriftKind | 'failure_rate' | 'confidence_trend';

/** One thing that looks wrong with a selector (see {@link SelectorTelemetry.detectAnomalies}). */
export interface SelectorAnomaly {
  /** The selector name. */
  name: string;
  kind: SelectorAnomalyKind;
  /** `drift`: a drift state in force; `window`: recent window against the earlier one or a trend. */
  source: 'drift' | 'window';
  /** Epoch ms since when a drift state has been in force. */
  since?: number;
  /** The numbers behind it (ratios, counts, slopes, confidences). */
  evidence: Record<string, number>;
  /** One line for humans. */
  message: string;
}

/** A period for {@link SelectorTelemetry.generateReport}; ends are epoch ms or dates, inclusive. */
export interface ReportPeriod {
  from?: number | Date;
  to?: number | Date;
}

/** One selector's line in a {@link SelectorReport}. */
export interface SelectorReportEntry {
  name: string;
  resolutions: number;
  results: Record<SelectorResult, number>;
  successRate: number;
  fallbackRate: number;
  /** Resolutions won per strategy kind. */
  strategies: Record<string, number>;
  confidence: { samples: number; mean?: number; min?: number; trend?: number };
  /** Resolution times in ms. */
  duration: DurationStats;
  /** Resolutions that showed drift, by kind. */
  drift: Partial<Record<DriftKind, number>>;
}

/** A JSON-serialisable summary of the resolutions in a period (see {@link formatReport}). */
export interface SelectorReport {
  /** ISO 8601. */
  generatedAt: string;
  period: { from: string; to: string };
  totals: { resolutions: number; selectors: number; successRate: number; fallbackRate: number; results: Record<SelectorResult, number> };
  selectors: SelectorReportEntry[];
  anomalies: SelectorAnomaly[];
  /** True when the bounded resolution log no longer reaches back to the start of the period. */
  truncated: boolean;
}
