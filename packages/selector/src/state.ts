import {
  SELECTOR_DRIFT_KIND_VALUE_AMBIGUITY,
  SELECTOR_DRIFT_KIND_VALUE_CONFIDENCE_DROP,
  SELECTOR_DRIFT_KIND_VALUE_FALLBACK_RATE,
  SELECTOR_DRIFT_KIND_VALUE_FINGERPRINT_CHANGE,
  SELECTOR_DRIFT_KIND_VALUE_STRATEGY_CHANGE,
  SELECTOR_RESULT_VALUE_AMBIGUOUS,
  SELECTOR_RESULT_VALUE_ERROR,
  SELECTOR_RESULT_VALUE_LOW_CONFIDENCE,
  SELECTOR_RESULT_VALUE_NOT_FOUND,
  SELECTOR_RESULT_VALUE_SUCCESS,
  SELECTOR_RESULT_VALUE_TIMEOUT,
} from '@driftwatch/semconv';
import type { Attributes } from '@opentelemetry/api';
import { reportDrop } from './diag';
import type { DriftKind, SelectorAnomaly, SelectorResult, SelectorStats, StrategyResult, StrategyStats } from './model';
import type { CounterCell } from './observed-counter';
import type { ElementDescriptor } from './types';
import { NumberWindow, OUTCOME_FAILURE, OUTCOME_FALLBACK, OutcomeWindow, slope, summarize } from './window';

// ---- drift kinds as bits ---------------------------------------------------------------------
export const DRIFT_STRATEGY_CHANGE = 1;
export const DRIFT_CONFIDENCE_DROP = 2;
export const DRIFT_FINGERPRINT_CHANGE = 4;
export const DRIFT_FALLBACK_RATE = 8;
export const DRIFT_AMBIGUITY = 16;
const DRIFT_BITS = [DRIFT_STRATEGY_CHANGE, DRIFT_CONFIDENCE_DROP, DRIFT_FINGERPRINT_CHANGE, DRIFT_FALLBACK_RATE, DRIFT_AMBIGUITY] as const;
const DRIFT_NAMES: readonly DriftKind[] = [
  SELECTOR_DRIFT_KIND_VALUE_STRATEGY_CHANGE,
  SELECTOR_DRIFT_KIND_VALUE_CONFIDENCE_DROP,
  SELECTOR_DRIFT_KIND_VALUE_FINGERPRINT_CHANGE,
  SELECTOR_DRIFT_KIND_VALUE_FALLBACK_RATE,
  SELECTOR_DRIFT_KIND_VALUE_AMBIGUITY,
];

/** The drift kinds of every bit mask, built once and frozen: reading them never allocates. */
export const DRIFT_KIND_SETS: readonly (readonly DriftKind[])[] = Array.from({ length: 32 }, (_, mask) =>
  Object.freeze(DRIFT_NAMES.filter((_n, i) => (mask & DRIFT_BITS[i]!) !== 0)),
);

// ---- tunables (documented in docs/selector.md) -----------------------------------------------
/** Confidence below this floor is a confidence drop (Testim's 70 %). */
export const CONFIDENCE_FLOOR = 0.7;
/** A fall of more than this below the EWMA baseline is a confidence drop. */
export const CONFIDENCE_DROP_DELTA = 0.15;
/** EWMA weight of the newest confidence. */
export const EWMA_ALPHA = 0.2;
/** Clean successful resolutions after which a drift kind is no longer in force (hysteresis). */
export const DRIFT_CLEAR_AFTER = 3;
/** Each half of the outcome window: recent `WINDOW_HALF` resolutions against the `WINDOW_HALF` before. */
export const WINDOW_HALF = 50;
/** The recent window's ratio must be at least this multiple of the earlier window's… */
export const WINDOW_FACTOR = 2;
/** …and at least this much, for a windowed fallback or failure signal. */
export const WINDOW_MIN_RATIO = 0.2;
/** Confidences kept for the trend. */
export const TREND_WINDOW = 100;
/** Minimum samples, and minimum fall of the fitted line across the window, for a falling trend. */
export const TREND_MIN_SAMPLES = 20;
export const TREND_MIN_FALL = 0.1;
/** Durations kept per selector. */
export const DURATION_WINDOW = 1024;
/** Per-strategy duration samples kept for percentiles (smaller: a selector has several strategies). */
export const STRATEGY_DURATION_WINDOW = 256;
/** Strategy kinds tracked per selector. */
const MAX_KINDS = 32;

// ---- results as indices ----------------------------------------------------------------------
export const RESULTS: readonly SelectorResult[] = [
  SELECTOR_RESULT_VALUE_SUCCESS,
  SELECTOR_RESULT_VALUE_NOT_FOUND,
  SELECTOR_RESULT_VALUE_AMBIGUOUS,
  SELECTOR_RESULT_VALUE_TIMEOUT,
  SELECTOR_RESULT_VALUE_LOW_CONFIDENCE,
  SELECTOR_RESULT_VALUE_ERROR,
];
export const R_SUCCESS = 0;
export const R_NOT_FOUND = 1;
export const R_AMBIGUOUS = 2;
export const R_TIMEOUT = 3;
export const R_LOW_CONFIDENCE = 4;
export const R_ERROR = 5;

/** Index of each result in {@link RESULTS}. */
export const RESULT_CODES: Readonly<Record<SelectorResult, number>> = Object.freeze({
  success: R_SUCCESS,
  not_found: R_NOT_FOUND,
  ambiguous: R_AMBIGUOUS,
  timeout: R_TIMEOUT,
  low_confidence: R_LOW_CONFIDENCE,
  error: R_ERROR,
});

export function emptyResults(): Record<SelectorResult, number> {
  return { success: 0, not_found: 0, ambiguous: 0, timeout: 0, low_confidence: 0, error: 0 };
}

/**
 * What one resolution showed, handed to {@link SelectorState.observe}. The telemetry reuses one
 * instance (observation is synchronous), so observing allocates nothing.
 *
 * @internal
 */
export class Observation {
  resultCode = R_SUCCESS;
  /** The winner's kind, or `none`. */
  strategy = '';
  /** The winner's position in the list; -1 when none or unknown. */
  depth = -1;
  fallbackUsed = false;
  /** NaN when none. */
  confidence = NaN;
  /** True when `confidence` is an accepted one (false: the best rejected one). */
  accepted = false;
  element: ElementDescriptor | undefined = undefined;
  fingerprint: string | undefined = undefined;
  /** NaN when unknown. */
  durationMs = NaN;
  ambiguousSeen = false;
  /** Epoch ms. */
  endTime = 0;
}

/** Per-kind accumulators. */
class StrategyAccum {
  attempts = 0;
  wins = 0;
  readonly results: Partial<Record<StrategyResult, number>> = {};
  readonly durations = new NumberWindow(STRATEGY_DURATION_WINDOW);
}

/** One metric series of `selector.resolutions` and its histograms' attribute sets. @internal */
export interface ResolutionSeries {
  readonly strategy: string;
  readonly result: SelectorResult;
  readonly fallbackUsed: boolean;
  readonly engine: string;
  readonly context: string | undefined;
  readonly resolutions: CounterCell;
  readonly duration: Attributes;
  readonly confidence: Attributes;
}

/** One metric series of `selector.strategy.attempts` and the `selector.strategy.duration` set. @internal */
export interface AttemptSeries {
  readonly kind: string;
  readonly result: StrategyResult;
  readonly attempts: CounterCell;
  /** The `selector.strategy.duration` set (no selector name). */
  readonly strategyDuration: Attributes;
}

/**
 * Everything kept about one selector name: counts, windows, the drift baseline and state, and its
 * cached metric attribute sets. Bounded: every window has a fixed capacity.
 *
 * @internal
 */
export class SelectorState {
  readonly spanName: string;
  uses = 0;
  readonly results = [0, 0, 0, 0, 0, 0];
  fallbacks = 0;
  confidenceSum = 0;
  confidenceCount = 0;
  readonly confidences = new NumberWindow(TREND_WINDOW);
  readonly durations = new NumberWindow(DURATION_WINDOW);
  readonly strategies = new Map<string, StrategyAccum>();
  readonly outcomes = new OutcomeWindow(WINDOW_HALF);
  firstSeen = 0;
  lastSeen = 0;

  // Baseline.
  baselineStrategy: string | undefined = undefined;
  baselineDepth = -1;
  lastStrategy: string | undefined = undefined;
  lastFingerprint: string | undefined = undefined;
  lastElement: ElementDescriptor | undefined = undefined;
  ewma = NaN;

  // Drift state, with hysteresis.
  driftActive = 0;
  readonly driftClean = new Uint8Array(DRIFT_BITS.length);
  readonly driftSince = new Float64Array(DRIFT_BITS.length);
  /** True when the last observation changed the drift state (an event is due). */
  driftChanged = false;

  // Metric attribute sets (see SelectorTelemetry).
  readonly resolutionSeries = new Map<string, ResolutionSeries>();
  lastResolutionSeries: ResolutionSeries | undefined = undefined;
  readonly attemptSeries = new Map<string, AttemptSeries>();
  lastAttemptSeries: AttemptSeries | undefined = undefined;
  /** `selector.strategies.attempted` for a single-attempt resolution, per kind. */
  readonly singleAttempted = new Map<string, readonly string[]>();

  constructor(readonly name: string) {
    this.spanName = `resolve ${name}`;
  }

  /** Counts one strategy attempt. */
  recordAttempt(kind: string, result: StrategyResult, durationMs: number): void {
    let acc = this.strategies.get(kind);
    if (acc === undefined) {
      if (this.strategies.size >= MAX_KINDS) {
        reportDrop('strategy kinds beyond the per-selector limit are not kept in statistics');
        return;
      }
      acc = new StrategyAccum();
      this.strategies.set(kind, acc);
    }
    if (result !== 'skipped') acc.attempts++;
    acc.results[result] = (acc.results[result] ?? 0) + 1;
    if (durationMs === durationMs && result !== 'skipped') acc.durations.push(durationMs);
  }

  /**
   * Folds one resolution into the statistics and the baseline; returns the drift kinds (bits) it
   * showed and sets {@link driftChanged} when the drift state in force changed.
   */
  observe(o: Observation): number {
    const code = o.resultCode;
    if (this.uses === 0) this.firstSeen = o.endTime;
    this.uses++;
    this.lastSeen = o.endTime;
    this.results[code]!++;
    if (o.fallbackUsed) this.fallbacks++;
    if (o.durationMs === o.durationMs) this.durations.push(o.durationMs);
    const conf = o.confidence;
    const hasConf = conf === conf;
    if (hasConf) {
      this.confidenceSum += conf;
      this.confidenceCount++;
      this.confidences.push(conf);
    }

    let drift = 0;
    const success = code === R_SUCCESS;
    if (success) {
      const kind = o.strategy;
      const acc = this.strategies.get(kind);
      if (acc) acc.wins++;
      if (this.baselineStrategy === undefined) {
        this.baselineStrategy = kind;
        this.baselineDepth = o.depth;
      } else if (kind !== this.baselineStrategy) {
        if (o.depth === 0 || (o.depth > 0 && this.baselineDepth > o.depth)) {
          // The primary, or a strategy preferred to the baseline, serves: an improvement, not drift.
          this.baselineStrategy = kind;
          this.baselineDepth = o.depth;
        } else {
          drift |= DRIFT_STRATEGY_CHANGE;
        }
      }
      this.lastStrategy = kind;
      const fp = o.fingerprint;
      if (fp !== undefined) {
        if (this.lastFingerprint !== undefined && fp !== this.lastFingerprint) drift |= DRIFT_FINGERPRINT_CHANGE;
        this.lastFingerprint = fp;
        this.lastElement = o.element;
      }
    }
    if (hasConf) {
      const ewma = this.ewma;
      if (conf < CONFIDENCE_FLOOR || (ewma === ewma && ewma - conf > CONFIDENCE_DROP_DELTA)) drift |= DRIFT_CONFIDENCE_DROP;
      if (success && o.accepted) this.ewma = ewma === ewma ? ewma + EWMA_ALPHA * (conf - ewma) : conf;
    }
    if (o.ambiguousSeen || code === R_AMBIGUOUS) drift |= DRIFT_AMBIGUITY;

    const w = this.outcomes;
    w.push((o.fallbackUsed ? OUTCOME_FALLBACK : 0) | (success ? 0 : OUTCOME_FAILURE));
    if (w.full && windowed(w.recentFallbacks, w.earlierFallbacks, w.half)) drift |= DRIFT_FALLBACK_RATE;

    this.driftChanged = false;
    if (drift !== 0 || this.driftActive !== 0) this._updateDriftState(drift, success, o.endTime);
    return drift;
  }

  private _updateDriftState(drift: number, success: boolean, now: number): void {
    for (let i = 0; i < DRIFT_BITS.length; i++) {
      const bit = DRIFT_BITS[i]!;
      if ((drift & bit) !== 0) {
        this.driftClean[i] = 0;
        if ((this.driftActive & bit) === 0) {
          this.driftActive |= bit;
          this.driftSince[i] = now;
          this.driftChanged = true;
        }
      } else if ((this.driftActive & bit) !== 0 && success) {
        // Only a successful resolution is evidence that the drift is over.
        if (++this.driftClean[i]! >= DRIFT_CLEAR_AFTER) {
          this.driftActive &= ~bit;
          this.driftClean[i] = 0;
          this.driftChanged = true;
        }
      }
    }
  }

  /** A snapshot for {@link SelectorTelemetry.getSelectorStats}. */
  snapshot(): SelectorStats {
    const uses = this.uses;
    const r = this.results;
    const results = emptyResults();
    for (let i = 0; i < RESULTS.length; i++) results[RESULTS[i]!] = r[i]!;
    const strategies: Record<string, StrategyStats> = {};
    for (const [kind, acc] of this.strategies) {
      strategies[kind] = { attempts: acc.attempts, wins: acc.wins, results: { ...acc.results }, duration: summarize(acc.durations.values()) };
    }
    const stats: SelectorStats = {
      name: this.name,
      uses,
      results,
      successRate: r[R_SUCCESS]! / uses,
      fallbackRate: this.fallbacks / uses,
      timeoutRate: r[R_TIMEOUT]! / uses,
      ambiguousRate: r[R_AMBIGUOUS]! / uses,
      failureRate: (uses - r[R_SUCCESS]!) / uses,
      confidence: { samples: this.confidenceCount },
      duration: summarize(this.durations.values()),
      strategies,
      drift: DRIFT_KIND_SETS[this.driftActive]!,
      firstSeen: this.firstSeen,
      lastSeen: this.lastSeen,
    };
    if (this.confidenceCount > 0) stats.confidence.mean = this.confidenceSum / this.confidenceCount;
    if (this.ewma === this.ewma) stats.confidence.ewma = this.ewma;
    const trend = slope(this.confidences.values());
    if (trend !== undefined) stats.confidence.trend = trend;
    if (this.baselineStrategy !== undefined) stats.baselineStrategy = this.baselineStrategy;
    if (this.lastStrategy !== undefined) stats.lastStrategy = this.lastStrategy;
    if (this.lastFingerprint !== undefined) stats.lastFingerprint = this.lastFingerprint;
    if (this.lastElement !== undefined) stats.lastElement = this.lastElement;
    return stats;
  }

  /** Drift states in force and windowed signals, for {@link SelectorTelemetry.detectAnomalies}. */
  anomalies(out: SelectorAnomaly[]): void {
    const name = this.name;
    const w = this.outcomes;
    const half = w.half;
    for (let i = 0; i < DRIFT_BITS.length; i++) {
      const bit = DRIFT_BITS[i]!;
      if ((this.driftActive & bit) === 0) continue;
      const kind = DRIFT_NAMES[i]!;
      const since = this.driftSince[i]!;
      switch (bit) {
        case DRIFT_STRATEGY_CHANGE:
          out.push({
            name,
            kind,
            source: 'drift',
            since,
            evidence: { fallbackRate: this.fallbacks / this.uses, resolutions: this.uses },
            message: `${name}: served by "${this.lastStrategy}" instead of its baseline "${this.baselineStrategy}"`,
          });
          break;
        case DRIFT_CONFIDENCE_DROP: {
          const last = this.confidences.size > 0 ? this.confidences.values()[this.confidences.size - 1]! : NaN;
          const evidence: Record<string, number> = { floor: CONFIDENCE_FLOOR, delta: CONFIDENCE_DROP_DELTA };
          if (last === last) evidence.confidence = last;
          if (this.ewma === this.ewma) evidence.ewma = this.ewma;
          out.push({ name, kind, source: 'drift', since, evidence, message: `${name}: confidence ${fmt(last)} against a baseline of ${fmt(this.ewma)}` });
          break;
        }
        case DRIFT_FINGERPRINT_CHANGE:
          out.push({ name, kind, source: 'drift', since, evidence: { resolutions: this.uses }, message: `${name}: the matched element changed` });
          break;
        case DRIFT_FALLBACK_RATE:
          out.push({
            name,
            kind,
            source: 'drift',
            since,
            evidence: ratios(w.recentFallbacks, w.earlierFallbacks, half),
            message: `${name}: fallback ratio ${fmt(w.recentFallbacks / half)} in the last ${half} resolutions against ${fmt(w.earlierFallbacks / half)} before`,
          });
          break;
        default:
          out.push({ name, kind, source: 'drift', since, evidence: { ambiguous: this.results[R_AMBIGUOUS]!, resolutions: this.uses }, message: `${name}: a strategy matched more than one element` });
      }
    }
    if (w.full) {
      if ((this.driftActive & DRIFT_FALLBACK_RATE) === 0 && windowed(w.recentFallbacks, w.earlierFallbacks, half)) {
        out.push({
          name,
          kind: SELECTOR_DRIFT_KIND_VALUE_FALLBACK_RATE,
          source: 'window',
          evidence: ratios(w.recentFallbacks, w.earlierFallbacks, half),
          message: `${name}: fallback ratio ${fmt(w.recentFallbacks / half)} in the last ${half} resolutions against ${fmt(w.earlierFallbacks / half)} before`,
        });
      }
      if (windowed(w.recentFailures, w.earlierFailures, half)) {
        out.push({
          name,
          kind: 'failure_rate',
          source: 'window',
          evidence: ratios(w.recentFailures, w.earlierFailures, half),
          message: `${name}: failure ratio ${fmt(w.recentFailures / half)} in the last ${half} resolutions against ${fmt(w.earlierFailures / half)} before`,
        });
      }
    }
    const values = this.confidences.values();
    const trend = slope(values);
    if (trend !== undefined && values.length >= TREND_MIN_SAMPLES && -trend * (values.length - 1) >= TREND_MIN_FALL) {
      let mean = 0;
      for (const v of values) mean += v;
      mean /= values.length;
      const fall = -trend * (values.length - 1);
      out.push({
        name,
        kind: 'confidence_trend',
        source: 'window',
        evidence: { slope: trend, fall, samples: values.length, mean },
        message: `${name}: confidence falling by ${fmt(fall)} over the last ${values.length} resolutions`,
      });
    }
  }
}

/** The windowed rule: recent ≥ max(k × earlier, min ratio). */
function windowed(recent: number, earlier: number, half: number): boolean {
  const r = recent / half;
  return r >= WINDOW_MIN_RATIO && r >= (WINDOW_FACTOR * earlier) / half;
}

function ratios(recent: number, earlier: number, half: number): Record<string, number> {
  return { recentRatio: recent / half, earlierRatio: earlier / half, window: half, factor: WINDOW_FACTOR };
}

function fmt(n: number): string {
  return n === n ? n.toFixed(2) : 'n/a';
}
