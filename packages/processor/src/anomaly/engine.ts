/**
 * Anomaly detection over the processor's series: every evaluation (default each minute) reads one
 * window of every live series, feeds each of its derived values (success ratio, p95 latency, rate,
 * cost rate, hit ratio, confidence) to that value's own detector, keeps the latest score for the
 * `driftwatch.anomaly.score` gauge, and emits a `driftwatch.anomaly` log record when a score crosses
 * the threshold — with the expected band and the other series that moved with it. Declared series
 * that stop reporting raise an absence anomaly. State lives beside each series (a `WeakMap`), so it
 * goes when the series expires; histories are short fixed rings.
 */
import type { Attributes } from '@opentelemetry/api';
import {
  DRIFTWATCH_ANOMALY_FLAG_VALUE_ABSENCE,
  METRIC_DRIFTWATCH_CACHE_HIT_RATIO,
  METRIC_DRIFTWATCH_COST_RATE,
  METRIC_DRIFTWATCH_LATENCY,
  METRIC_DRIFTWATCH_RATE,
  METRIC_DRIFTWATCH_SELECTOR_CONFIDENCE_MEAN,
  METRIC_DRIFTWATCH_SUCCESS_RATIO,
  METRIC_DRIFTWATCH_TOKENS_RATE,
} from '@driftwatch/semconv';
import type { Domain } from '../config';
import type { Series } from '../series';
import type { WindowStats } from '../stats';
import type { Detector, DetectorResult, DetectorState } from './types';
import { laggedCorrelation } from './trend';

/** A derived value that gets a detector. */
export interface SignalDef {
  /** Short name (`success_ratio`). */
  readonly name: string;
  /** The derived metric it is (`driftwatch.success.ratio`; latency carries its quantile in the name). */
  readonly metric: string;
  readonly pick: (w: WindowStats) => number | undefined;
}

export const SIGNALS: readonly SignalDef[] = [
  { name: 'rate', metric: METRIC_DRIFTWATCH_RATE, pick: (w) => w.rate },
  { name: 'success_ratio', metric: METRIC_DRIFTWATCH_SUCCESS_RATIO, pick: (w) => w.successRatio },
  { name: 'latency_p95', metric: `${METRIC_DRIFTWATCH_LATENCY}.p95`, pick: (w) => w.latency.p95 },
  { name: 'tokens_rate', metric: METRIC_DRIFTWATCH_TOKENS_RATE, pick: (w) => w.tokensRate },
  { name: 'cost_rate', metric: METRIC_DRIFTWATCH_COST_RATE, pick: (w) => w.costRate },
  { name: 'hit_ratio', metric: METRIC_DRIFTWATCH_CACHE_HIT_RATIO, pick: (w) => w.hitRatio },
  { name: 'confidence_mean', metric: METRIC_DRIFTWATCH_SELECTOR_CONFIDENCE_MEAN, pick: (w) => w.meanConfidence },
];

export interface AbsenceRule {
  domain: Domain;
  /** Attributes every matching series has (e.g. `{ 'cache.name': 'answers' }`). */
  match: Attributes;
  /** Silence longer than this is an anomaly. */
  maxSilenceMs: number;
}

/**
 * The processor's default detector: Holt's forecast with a residual band. On the labelled corpus it
 * is the best single detector, about six points below the ensemble (docs/anomaly-detection.md), with
 * ~300 bytes of state instead of ~13 KB; a series keeps one detector per derived value, for every live
 * series. Choose `'ensemble'` where that memory is fine. The engine's cool-down debounces reports.
 */
export const PROCESSOR_DEFAULT_DETECTOR = 'holt';

export interface AnomalyOptions {
  /** Detector name for `createDetector` (default `'holt'`, see `PROCESSOR_DEFAULT_DETECTOR`) and its options. */
  detector?: string;
  detectorOptions?: Record<string, unknown>;
  /** Which signals get detectors (default all of `SIGNALS`). */
  signals?: readonly string[];
  /** The window whose values are scored (default the shortest). */
  window?: string;
  /** Evaluation period (default 60000 ms; 0: only when `evaluateAnomalies()` is called). */
  intervalMs?: number;
  /** Score at and above which an anomaly is reported (default 0.9). */
  threshold?: number;
  /** Minimum time between two reports for one series and signal (default 15 min). */
  cooldownMs?: number;
  /** Points of history kept per series and signal, for correlation (default 32). */
  history?: number;
  /** Declared series and how long they may stay silent. */
  expect?: readonly AbsenceRule[];
}

/** One reported anomaly (also emitted as a `driftwatch.anomaly` log record). */
export interface AnomalyEvent {
  time: number;
  domain: Domain;
  attributes: Attributes;
  /** The derived metric (`driftwatch.success.ratio`) or `'absence'`. */
  metric: string;
  detector: string;
  value?: number;
  result: DetectorResult;
  /** Other series whose values moved with this one, best first (at most 5). */
  related: { domain: Domain; attributes: Attributes; metric: string; correlation: number; lag: number }[];
}

class SignalState {
  readonly detector: Detector;
  /** Latest score (NaN before the first). */
  lastScore = Number.NaN;
  lastReport = -Infinity;
  /** History ring of values (one per evaluation; NaN where the window had none), a slice of the series' buffer. */
  private readonly _buf: Float32Array;
  private readonly _base: number;
  private readonly _cap: number;
  head = 0;
  size = 0;

  constructor(detector: Detector, buf: Float32Array, base: number, cap: number) {
    this.detector = detector;
    this._buf = buf;
    this._base = base;
    this._cap = cap;
  }

  push(v: number): void {
    this._buf[this._base + this.head] = v;
    this.head = (this.head + 1) % this._cap;
    if (this.size < this._cap) this.size++;
  }

  /** The history, oldest first. */
  ordered(): Float32Array {
    const n = this.size;
    const out = new Float32Array(n);
    const cap = this._cap;
    const start = (this.head - n + cap) % cap;
    for (let k = 0; k < n; k++) out[k] = this._buf[this._base + ((start + k) % cap)]!;
    return out;
  }
}

/** A series' signal states, with one history buffer shared by all of them. */
interface SeriesStates {
  readonly states: (SignalState | undefined)[];
  readonly history: Float32Array;
}

/** Saved state of one series' detectors (processor state snapshots). */
export type SeriesAnomalyState = Record<string, { detector: DetectorState; history: (number | null)[]; lastReport: number | null; lastScore?: number | null }>;

export interface ResolvedAnomalyOptions {
  detector: string;
  detectorOptions: Record<string, unknown>;
  signals: readonly SignalDef[];
  window: string | undefined;
  intervalMs: number;
  threshold: number;
  cooldownMs: number;
  history: number;
  expect: readonly AbsenceRule[];
}

export function resolveAnomalyOptions(o: AnomalyOptions, detectorNames: readonly string[], windowNames: readonly string[]): ResolvedAnomalyOptions {
  if (o === null || typeof o !== 'object') throw new TypeError('anomaly options must be an object (or false to turn detection off)');
  const detector = o.detector ?? PROCESSOR_DEFAULT_DETECTOR;
  if (!detectorNames.includes(detector)) throw new RangeError(`anomaly.detector: unknown detector '${String(detector)}' (expected one of ${detectorNames.join(', ')})`);
  const names = o.signals ?? SIGNALS.map((s) => s.name);
  if (!Array.isArray(names)) throw new TypeError('anomaly.signals must be an array of signal names');
  const signals = names.map((n) => {
    const s = SIGNALS.find((d) => d.name === n);
    if (s === undefined) throw new RangeError(`anomaly.signals: unknown signal '${String(n)}' (expected ${SIGNALS.map((d) => d.name).join(', ')})`);
    return s;
  });
  if (o.window !== undefined && !windowNames.includes(o.window)) throw new RangeError(`anomaly.window: '${String(o.window)}' is not one of the windows (${windowNames.join(', ')})`);
  const intervalMs = o.intervalMs ?? 60_000;
  if (!Number.isInteger(intervalMs) || intervalMs < 0) throw new RangeError(`anomaly.intervalMs must be a non-negative integer, got ${String(intervalMs)}`);
  const threshold = o.threshold ?? 0.9;
  if (!(threshold > 0 && threshold <= 1)) throw new RangeError(`anomaly.threshold must be in (0, 1], got ${String(threshold)}`);
  const cooldownMs = o.cooldownMs ?? 15 * 60_000;
  if (!Number.isInteger(cooldownMs) || cooldownMs < 0) throw new RangeError(`anomaly.cooldownMs must be a non-negative integer, got ${String(cooldownMs)}`);
  const history = o.history ?? 32;
  if (!Number.isInteger(history) || history < 8 || history > 10_000) throw new RangeError(`anomaly.history must be an integer in 8..10000, got ${String(history)}`);
  const expect = o.expect ?? [];
  if (!Array.isArray(expect)) throw new TypeError('anomaly.expect must be an array of { domain, match, maxSilenceMs }');
  for (const [i, r] of expect.entries()) {
    if (r === null || typeof r !== 'object' || typeof r.match !== 'object' || r.match === null) throw new TypeError(`anomaly.expect[${i}] must be { domain, match, maxSilenceMs }`);
    if (!(Number.isInteger(r.maxSilenceMs) && r.maxSilenceMs > 0)) throw new RangeError(`anomaly.expect[${i}].maxSilenceMs must be a positive integer, got ${String(r.maxSilenceMs)}`);
  }
  return { detector, detectorOptions: o.detectorOptions ?? {}, signals, window: o.window, intervalMs, threshold, cooldownMs, history, expect };
}

/** What the engine needs from the processor. */
export interface AnomalyHost {
  series(): Iterable<Series>;
  /** The scored window of a series at `now`. */
  stats(series: Series, now: number): WindowStats | undefined;
}

/** The last `n` points of a history. */
function recent(h: Float32Array, n: number): Float32Array {
  return h.length <= n ? h : h.subarray(h.length - n);
}

/**
 * How far the last point of `h` is from the median of the (up to) 30 before it, in robust standard
 * deviations (1.4826 · MAD, floored at 1 % of the median's magnitude); 0 without enough history.
 */
function movement(h: Float32Array): number {
  const n = h.length;
  if (n < 6) return 0;
  const last = h[n - 1]!;
  if (!Number.isFinite(last)) return 0;
  const prev = Array.from(h.subarray(Math.max(0, n - 31), n - 1)).filter(Number.isFinite).sort((a, b) => a - b);
  if (prev.length < 5) return 0;
  const med = prev[prev.length >> 1]!;
  const dev = prev.map((v) => Math.abs(v - med)).sort((a, b) => a - b);
  const mad = 1.4826 * dev[dev.length >> 1]!;
  const scale = Math.max(mad, 0.01 * Math.abs(med), 1e-12);
  return Math.abs(last - med) / scale;
}

export class AnomalyEngine {
  readonly options: ResolvedAnomalyOptions;
  /** Per series, its signal states by index in `options.signals` (an array: cheaper than a Map). */
  private readonly _states = new WeakMap<Series, SeriesStates>();
  private readonly _create: (name: string, options: Record<string, unknown>) => Detector;
  /** Per absence rule: when evaluation started watching it, and the last-seen time already reported. */
  private readonly _watchingSince: number[] = [];
  private readonly _reportedFor: number[] = [];
  /** Reports so far. */
  reported = 0;
  /** Detector failures (counted, never thrown). */
  failures = 0;

  constructor(options: ResolvedAnomalyOptions, create: (name: string, options: Record<string, unknown>) => Detector) {
    this.options = options;
    this._create = create;
  }

  /** Scores every live series once at `now`; returns the anomalies reported. */
  evaluate(host: AnomalyHost, now: number): AnomalyEvent[] {
    const o = this.options;
    const out: AnomalyEvent[] = [];
    const hot: { series: Series; signal: SignalDef; state: SignalState; result: DetectorResult; value: number }[] = [];
    const all: { series: Series; signal: SignalDef; state: SignalState }[] = [];
    for (const s of host.series()) {
      const stats = host.stats(s, now);
      if (stats === undefined) continue;
      let entry = this._states.get(s);
      for (let si = 0; si < o.signals.length; si++) {
        const sig = o.signals[si]!;
        const v = sig.pick(stats);
        let st = entry?.states[si];
        if (v === undefined || !Number.isFinite(v)) {
          st?.push(Number.NaN);
          continue;
        }
        if (st === undefined) {
          if (entry === undefined) this._states.set(s, (entry = this._newEntry()));
          st = entry.states[si] = new SignalState(this._create(o.detector, o.detectorOptions), entry.history, si * o.history, o.history);
        }
        let r: DetectorResult;
        try {
          r = st.detector.update(now, v);
        } catch {
          this.failures++;
          continue;
        }
        st.lastScore = r.score;
        st.push(v);
        all.push({ series: s, signal: sig, state: st });
        if (r.score >= o.threshold && now - st.lastReport >= o.cooldownMs) {
          st.lastReport = now;
          hot.push({ series: s, signal: sig, state: st, result: r, value: v });
        }
      }
    }
    for (const h of hot) {
      out.push({
        time: now,
        domain: h.series.domain,
        attributes: h.series.attributes,
        metric: h.signal.metric,
        detector: o.detector,
        value: h.value,
        result: h.result,
        related: this._related(h.state, all),
      });
    }
    out.push(...this._absences(host, now));
    this.reported += out.length;
    return out;
  }

  private _newEntry(): SeriesStates {
    const n = this.options.signals.length;
    return { states: new Array<SignalState | undefined>(n).fill(undefined), history: new Float32Array(n * this.options.history) };
  }

  /** The detectors of a series as plain JSON, or undefined when it has none. */
  saveSeries(series: Series): SeriesAnomalyState | undefined {
    const states = this._states.get(series)?.states;
    if (states === undefined) return undefined;
    const out: SeriesAnomalyState = {};
    for (let si = 0; si < states.length; si++) {
      const st = states[si];
      if (st === undefined) continue;
      out[this.options.signals[si]!.name] = {
        detector: st.detector.toState(),
        history: Array.from(st.ordered(), (v) => (Number.isFinite(v) ? v : null)),
        lastReport: Number.isFinite(st.lastReport) ? st.lastReport : null,
        lastScore: Number.isFinite(st.lastScore) ? st.lastScore : null,
      };
    }
    return out;
  }

  /**
   * Restores a series' detectors saved by `saveSeries()` (signals this engine does not score are
   * skipped; a detector of another kind than configured is replaced by a fresh one). Throws a
   * `TypeError` on a malformed entry.
   */
  restoreSeries(series: Series, saved: SeriesAnomalyState, restore: (state: DetectorState) => Detector): void {
    if (saved === null || typeof saved !== 'object') throw new TypeError('anomaly state must be an object keyed by signal');
    const target = this._newEntry();
    const states = target.states;
    let any = false;
    for (let si = 0; si < this.options.signals.length; si++) {
      const sig = this.options.signals[si]!;
      const e = saved[sig.name];
      if (e === undefined) continue;
      if (e === null || typeof e !== 'object' || !Array.isArray(e.history)) throw new TypeError(`anomaly state of ${sig.name} is malformed`);
      const detector = e.detector?.kind === this.options.detector ? restore(e.detector) : this._create(this.options.detector, this.options.detectorOptions);
      const st = new SignalState(detector, target.history, si * this.options.history, this.options.history);
      for (const v of e.history.slice(-this.options.history)) st.push(typeof v === 'number' ? v : Number.NaN);
      if (typeof e.lastReport === 'number') st.lastReport = e.lastReport;
      if (typeof e.lastScore === 'number') st.lastScore = e.lastScore;
      states[si] = st;
      any = true;
    }
    if (any) this._states.set(series, target);
  }

  /** Latest score of every series and signal (for the gauge). */
  *scores(series: Iterable<Series>): IterableIterator<{ series: Series; metric: string; score: number }> {
    for (const s of series) {
      const states = this._states.get(s)?.states;
      if (states === undefined) continue;
      for (let si = 0; si < states.length; si++) {
        const st = states[si];
        if (st !== undefined && st.lastScore === st.lastScore) yield { series: s, metric: this.options.signals[si]!.metric, score: st.lastScore };
      }
    }
  }

  /**
   * Other series that moved with `target`: their latest value left their own recent range (more than
   * 3 robust deviations from the median of their last 30 points), ranked by the lagged correlation of
   * the last 15 points with the target's.
   */
  private _related(target: SignalState, all: readonly { series: Series; signal: SignalDef; state: SignalState }[]): AnomalyEvent['related'] {
    const mine = recent(target.ordered(), 15);
    if (mine.length < 8) return [];
    const found: AnomalyEvent['related'] = [];
    for (const other of all) {
      if (other.state === target) continue;
      const history = other.state.ordered();
      if (movement(history) < 3) continue;
      const c = laggedCorrelation(mine, recent(history, 15), 3);
      if (c === undefined || Math.abs(c.correlation) < 0.5) continue;
      found.push({ domain: other.series.domain, attributes: other.series.attributes, metric: other.signal.metric, correlation: c.correlation, lag: c.lag });
    }
    found.sort((a, b) => Math.abs(b.correlation) - Math.abs(a.correlation));
    return found.slice(0, 5);
  }

  private _absences(host: AnomalyHost, now: number): AnomalyEvent[] {
    const out: AnomalyEvent[] = [];
    this.options.expect.forEach((rule, i) => {
      this._watchingSince[i] ??= now;
      let last = -Infinity;
      let matched: Series | undefined;
      const keys = Object.keys(rule.match);
      for (const s of host.series()) {
        if (s.domain !== rule.domain || !keys.every((k) => s.attributes[k] === rule.match[k])) continue;
        if (s.lastMs > last) {
          last = s.lastMs;
          matched = s;
        }
      }
      // A series never seen (or expired) is silent since evaluation started watching it.
      const since = Math.max(last, this._watchingSince[i]!);
      const silent = now - since;
      if (silent > rule.maxSilenceMs && this._reportedFor[i] !== since) {
        this._reportedFor[i] = since;
        out.push({
          time: now,
          domain: rule.domain,
          attributes: matched?.attributes ?? rule.match,
          metric: DRIFTWATCH_ANOMALY_FLAG_VALUE_ABSENCE,
          detector: DRIFTWATCH_ANOMALY_FLAG_VALUE_ABSENCE,
          value: silent / 1000,
          result: { score: 1, flags: [DRIFTWATCH_ANOMALY_FLAG_VALUE_ABSENCE], expected: 0, lower: 0, upper: rule.maxSilenceMs / 1000 },
          related: [],
        });
      }
    });
    return out;
  }
}
