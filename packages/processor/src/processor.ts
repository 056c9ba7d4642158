/**
 * `DriftwatchProcessor`: a span processor and a metric reader in, a `MetricProducer` and a query API
 * out. Spans and metric points become observations in bounded series of sliding windows; a
 * collection turns the windows into `driftwatch.*` gauges on the user's own readers.
 */
import type { Attributes } from '@opentelemetry/api';
import {
  ATTR_CACHE_RESULT,
  ATTR_ERROR_TYPE,
  CACHE_RESULT_VALUE_ERROR,
  CACHE_RESULT_VALUE_HIT,
  CACHE_RESULT_VALUE_MISS,
  CACHE_RESULT_VALUE_STALE,
  ERROR_TYPE_VALUE_OTHER,
  METRIC_CACHE_REQUESTS,
} from '@driftwatch/semconv';
import { DOMAINS, resolveOptions } from './config';
import type { Domain, ProcessorOptions, ResolvedOptions, WindowPlan } from './config';
import { Extractor, adjustedCount } from './extract';
import type { AttributeMap, InvalidCounts, SpanInput } from './extract';
import { ProcessorMetricReader } from './input-reader';
import type { ResourceLike } from './otel-types';
import { SeriesTable } from './series';
import type { Series } from './series';
import { coveredSeconds, readWindow, windowStats } from './stats';
import type { SeriesStats, WindowStats } from './stats';
import { DerivedMetricProducer } from './producer';
import { logger, warnOnce } from './diag';
import { WindowAggregate } from './aggregate';
import type { Observation } from './aggregate';
import { readStateFile, writeStateFile, stateOf, restoreInto } from './state';
import { logs, SeverityNumber } from '@opentelemetry/api-logs';
import type { Logger, LoggerProvider } from '@opentelemetry/api-logs';
import {
  ATTR_DRIFTWATCH_ANOMALY_EXPECTED,
  ATTR_DRIFTWATCH_ANOMALY_FLAGS,
  ATTR_DRIFTWATCH_ANOMALY_LOWER,
  ATTR_DRIFTWATCH_ANOMALY_RELATED,
  ATTR_DRIFTWATCH_ANOMALY_SCORE,
  ATTR_DRIFTWATCH_ANOMALY_UPPER,
  ATTR_DRIFTWATCH_ANOMALY_VALUE,
  ATTR_DRIFTWATCH_DETECTOR,
  ATTR_DRIFTWATCH_DOMAIN,
  ATTR_DRIFTWATCH_METRIC,
  ATTR_DRIFTWATCH_WINDOW,
  ATTR_EVENT_NAME,
  EVENT_DRIFTWATCH_ANOMALY,
  ATTR_SELECTOR_CONFIDENCE,
  ATTR_SELECTOR_DRIFT_DETECTED,
  ATTR_SELECTOR_DRIFT_KIND,
  EVENT_SELECTOR_DRIFT,
} from '@driftwatch/semconv';
import { AnomalyEngine, resolveAnomalyOptions } from './anomaly/engine';
import type { AnomalyEvent } from './anomaly/engine';
import { DETECTOR_NAMES, createDetector } from './anomaly/index';
import { PACKAGE_NAME, PACKAGE_VERSION } from './version';

/** Self-observability counters. */
export interface ProcessorHealth {
  /** Live series per domain (the overflow series included). */
  series: Record<Domain, number>;
  /** Observations (weighted) that went to each domain's overflow series. */
  overflowed: Record<Domain, number>;
  /** Series dropped after being idle. */
  expired: Record<Domain, number>;
  /** Inputs repaired or dropped, by reason. */
  invalid: Readonly<InvalidCounts>;
}

const CACHE_OBS: Record<string, Observation> = {
  [CACHE_RESULT_VALUE_HIT]: { success: true, hit: true },
  [CACHE_RESULT_VALUE_STALE]: { success: true, hit: true },
  [CACHE_RESULT_VALUE_MISS]: { success: true, hit: false },
};

export class DriftwatchProcessor {
  /** Register on the MeterProvider (`readers: [..., processor.metricReader]`) to feed metrics-only signals. */
  readonly metricReader: ProcessorMetricReader;
  /** Add to your readers (`metricProducers: [processor.metricProducer]`) to export the derived series. */
  readonly metricProducer: DerivedMetricProducer;
  readonly options: ResolvedOptions;
  private readonly _tables: Record<Domain, SeriesTable>;
  private readonly _extract: Extractor;
  private _lastNow = -Infinity;
  private _nextSweep = -Infinity;
  private readonly _sweepEveryMs: number;
  private _shutdown = false;
  /** Anomaly detection over the series (undefined when turned off). */
  readonly anomaly: AnomalyEngine | undefined;
  private readonly _anomalyWindow: string;
  private _anomalyTimer: ReturnType<typeof setInterval> | undefined;
  /** Per selector series: when each drift kind was last reported. */
  private readonly _driftReported = new WeakMap<Series, Map<string, number>>();
  private readonly _loggerProvider: LoggerProvider | undefined;
  private _logger: { provider: LoggerProvider; logger: Logger } | undefined;

  constructor(options: ProcessorOptions = {}) {
    this.options = resolveOptions(options);
    const o = this.options;
    this._tables = {} as Record<Domain, SeriesTable>;
    for (const d of DOMAINS) this._tables[d] = new SeriesTable(d, o.cardinalityLimit, o.rings, o.sketch, o.expireAfterMs);
    this._extract = new Extractor(o.dimensions, o.maxDurationSeconds);
    this._sweepEveryMs = Math.min(...o.rings.map((r) => r.slotMs));
    this.metricReader = new ProcessorMetricReader(
      (name, attributes, value, resource) => this._onMetricPoint(name, attributes, value, resource),
      o.metricIntervalMs,
      (e) => this._internalError(e),
    );
    this.metricProducer = new DerivedMetricProducer(this);
    const windowNames = o.windows.map((w) => w.name);
    const anomaly = options.anomaly === false ? undefined : resolveAnomalyOptions(options.anomaly ?? {}, DETECTOR_NAMES, windowNames);
    this._anomalyWindow = anomaly?.window ?? windowNames[0]!;
    this.anomaly = anomaly === undefined ? undefined : new AnomalyEngine(anomaly, (name, opts) => createDetector(name, opts));
    this._loggerProvider = options.loggerProvider;
    if (anomaly !== undefined && anomaly.intervalMs > 0) {
      this._anomalyTimer = setInterval(() => {
        this.evaluateAnomalies();
      }, anomaly.intervalMs);
      this._anomalyTimer.unref?.();
    }
  }

  /**
   * Scores every live series now (the timer does this every `anomaly.intervalMs`): updates the
   * `driftwatch.anomaly.score` values, emits a `driftwatch.anomaly` log record per anomaly, and
   * returns them. Never throws; empty when detection is off.
   */
  evaluateAnomalies(): AnomalyEvent[] {
    const engine = this.anomaly;
    if (engine === undefined || this._shutdown) return [];
    try {
      const now = this.now();
      this._sweep(now);
      const plan = this.options.windows.find((w) => w.name === this._anomalyWindow)!;
      const events = engine.evaluate({ series: () => this._allSeries(), stats: (s, t) => this._windowStats(s, plan, t) }, now);
      for (const ev of events) this._emitAnomaly(ev);
      return events;
    } catch (e) {
      this._internalError(e);
      return [];
    }
  }

  /**
   * A selector resolution that carries drift (another strategy serving, a confidence drop, a changed
   * element, ambiguity: the selector package decides) becomes a `driftwatch.anomaly` record per kind,
   * at most once per cool-down per series and kind.
   */
  private _selectorDrift(series: Series, a: AttributeMap, now: number): void {
    const kinds = a[ATTR_SELECTOR_DRIFT_KIND];
    if (!Array.isArray(kinds)) return;
    let last = this._driftReported.get(series);
    if (last === undefined) this._driftReported.set(series, (last = new Map()));
    const confidence = a[ATTR_SELECTOR_CONFIDENCE];
    for (const kind of kinds) {
      if (typeof kind !== 'string' || kind.length > 64) continue;
      const prev = last.get(kind);
      if (prev !== undefined && now - prev < this.anomaly!.options.cooldownMs) continue;
      if (prev === undefined && last.size >= 16) continue;
      last.set(kind, now);
      this._emitAnomaly({
        time: now,
        domain: 'selector',
        attributes: series.attributes,
        metric: EVENT_SELECTOR_DRIFT,
        detector: 'selector',
        ...(typeof confidence === 'number' ? { value: confidence } : {}),
        result: { score: 1, flags: [kind] },
        related: [],
      });
    }
  }

  /** The window whose values the detectors score. */
  get anomalyWindow(): string {
    return this._anomalyWindow;
  }

  /** @internal Every live series of every domain (overflow series included). */
  *_allSeries(): IterableIterator<Series> {
    for (const d of DOMAINS) yield* this._tables[d].all();
  }

  /** The logger, from the configured provider or the global one as it is now (register() sets it after building the processor). */
  private _loggerFor(): Logger {
    const provider = this._loggerProvider ?? logs.getLoggerProvider();
    if (this._logger?.provider !== provider) this._logger = { provider, logger: provider.getLogger(PACKAGE_NAME, PACKAGE_VERSION) };
    return this._logger.logger;
  }

  private _emitAnomaly(ev: AnomalyEvent): void {
    const r = ev.result;
    const attributes: Attributes = {
      [ATTR_EVENT_NAME]: EVENT_DRIFTWATCH_ANOMALY,
      ...ev.attributes,
      [ATTR_DRIFTWATCH_DOMAIN]: ev.domain,
      [ATTR_DRIFTWATCH_WINDOW]: this._anomalyWindow,
      [ATTR_DRIFTWATCH_METRIC]: ev.metric,
      [ATTR_DRIFTWATCH_DETECTOR]: ev.detector,
      [ATTR_DRIFTWATCH_ANOMALY_SCORE]: r.score,
      [ATTR_DRIFTWATCH_ANOMALY_FLAGS]: r.flags,
    };
    if (ev.value !== undefined) attributes[ATTR_DRIFTWATCH_ANOMALY_VALUE] = ev.value;
    if (r.expected !== undefined) attributes[ATTR_DRIFTWATCH_ANOMALY_EXPECTED] = r.expected;
    if (r.lower !== undefined) attributes[ATTR_DRIFTWATCH_ANOMALY_LOWER] = r.lower;
    if (r.upper !== undefined) attributes[ATTR_DRIFTWATCH_ANOMALY_UPPER] = r.upper;
    if (ev.related.length > 0) {
      attributes[ATTR_DRIFTWATCH_ANOMALY_RELATED] = ev.related.map(
        (x) => `${x.domain}|${x.metric}|${Object.entries(x.attributes).map(([k, v]) => `${k}=${String(v)}`).join(',')}|r=${x.correlation.toFixed(2)}|lag=${x.lag}`,
      );
    }
    const dims = Object.entries(ev.attributes).map(([k, v]) => `${k}=${String(v)}`).join(', ');
    const band = r.lower !== undefined && r.upper !== undefined ? ` (expected ${fmt(r.expected)} in [${fmt(r.lower)}, ${fmt(r.upper)}])` : '';
    this._loggerFor().emit({
      eventName: EVENT_DRIFTWATCH_ANOMALY,
      timestamp: ev.time,
      severityNumber: SeverityNumber.WARN,
      severityText: 'WARN',
      body: `${ev.metric} of ${ev.domain} {${dims}} is anomalous: ${fmt(ev.value)}${band}, score ${r.score.toFixed(3)} by ${ev.detector}`,
      attributes,
    });
  }

  /** The processor's time, never going backwards (a backward clock step holds the last time and is counted). */
  now(): number {
    const t = this.options.clock();
    if (t >= this._lastNow) {
      this._lastNow = t;
      return t;
    }
    if (!(t === t)) {
      this._extract.invalid.invalid_value++;
    } else if (this._lastNow - t > 1000) {
      this._extract.invalid.clock_jump++;
    }
    return this._lastNow;
  }

  // ---- SpanProcessor -------------------------------------------------------------------------

  onStart(): void {}

  onEnd(span: SpanInput): void {
    if (this._shutdown) return;
    try {
      const a = span.attributes;
      const x = this._extract;
      const domain = x.domainOf(a);
      if (domain === undefined) return;
      let n = adjustedCount(span);
      if (!(n >= 1 && n < Infinity)) {
        x.invalid.invalid_sampling++;
        n = 1;
      }
      const now = this.now();
      if (now >= this._nextSweep) this._sweep(now);
      const values = x.values(domain, a, span.resource?.attributes);
      const series = this._tables[domain].get(values, () => x.attributes(domain), now);
      this._record(domain, series, now, x.observe(domain, span), n);
      if (domain === 'selector' && a[ATTR_SELECTOR_DRIFT_DETECTED] === true && this.anomaly !== undefined) this._selectorDrift(series, a, now);
    } catch (e) {
      this._internalError(e);
    }
  }

  async forceFlush(): Promise<void> {
    await this.metricReader.pull();
  }

  /** Stops the reader's timer (idempotent); the windows stay readable. */
  async shutdown(): Promise<void> {
    if (this._shutdown) return;
    this._shutdown = true;
    if (this._anomalyTimer !== undefined) clearInterval(this._anomalyTimer);
    await this.metricReader.shutdown();
  }

  private _record(domain: Domain, series: Series, now: number, o: Observation, n: number): void {
    if (series.overflow) this._tables[domain].overflowed += n;
    if (!series.record(now, o, n)) this._extract.invalid.too_old++;
  }

  private _onMetricPoint(name: string, attributes: AttributeMap, value: number, resource: ResourceLike): void {
    if (name !== METRIC_CACHE_REQUESTS || this._shutdown) return;
    if (!(value >= 0 && value < Infinity)) {
      this._extract.invalid.invalid_value++;
      return;
    }
    if (value === 0) return;
    const result = attributes[ATTR_CACHE_RESULT];
    let o = typeof result === 'string' ? CACHE_OBS[result] : undefined;
    if (o === undefined) {
      if (result !== CACHE_RESULT_VALUE_ERROR) {
        this._extract.invalid.odd_attribute++;
        return;
      }
      const type = attributes[ATTR_ERROR_TYPE];
      o = { success: false, errorType: typeof type === 'string' ? type : ERROR_TYPE_VALUE_OTHER };
    }
    const now = this.now();
    if (now >= this._nextSweep) this._sweep(now);
    const x = this._extract;
    const values = x.values('cache', attributes, resource.attributes);
    const series = this._tables.cache.get(values, () => x.attributes('cache'), now);
    this._record('cache', series, now, o, value);
  }

  private _sweep(now: number): void {
    this._nextSweep = now + this._sweepEveryMs;
    const cutoff = now - this.options.expireAfterMs;
    for (const d of DOMAINS) this._tables[d].expire(cutoff);
  }

  private _internalError(e: unknown): void {
    this._extract.invalid.internal_error++;
    warnOnce('Driftwatch processor: an input could not be processed', e);
  }

  // ---- Query API -------------------------------------------------------------------------------

  /** @internal Series of a domain (the producer and state snapshots read them). */
  _table(domain: Domain): SeriesTable {
    return this._tables[domain];
  }

  /** @internal Drops idle series now. */
  _sweepNow(now: number): void {
    this._sweep(now);
  }

  /** One window of one series. */
  private _windowStats(s: Series, w: WindowPlan, now: number): WindowStats {
    const o = this.options;
    return windowStats(readWindow(s, w, now, o.sketch), w, coveredSeconds(w, o.rings[w.ring]!.slotMs, s.startMs, now), o.quantiles);
  }

  private _statsOf(s: Series, now: number): SeriesStats {
    const windows: Record<string, WindowStats> = {};
    for (const w of this.options.windows) windows[w.name] = this._windowStats(s, w, now);
    return { domain: s.domain, attributes: s.attributes, overflow: s.overflow, startTime: s.startMs, lastSeen: s.lastMs, windows };
  }

  /** Every live series with its window statistics, at the processor's current time. */
  snapshot(filter?: { domain?: Domain }): SeriesStats[] {
    const now = this.now();
    this._sweep(now);
    const out: SeriesStats[] = [];
    for (const d of DOMAINS) {
      if (filter?.domain !== undefined && filter.domain !== d) continue;
      for (const s of this._tables[d].all()) out.push(this._statsOf(s, now));
    }
    return out;
  }

  /**
   * The statistics of one series: `attributes` name its dimensions (as configured for the domain;
   * those left out are matched as absent). `{ 'otel.metric.overflow': true }` names the overflow series.
   */
  stats(domain: Domain, attributes: Attributes): SeriesStats | undefined {
    const table = this._tables[domain];
    if (table === undefined) throw new RangeError(`stats: unknown domain '${String(domain)}' (expected ${DOMAINS.join(', ')})`);
    const now = this.now();
    this._sweep(now);
    if (attributes['otel.metric.overflow'] === true) {
      const o = table.overflowSeries;
      return o === undefined ? undefined : this._statsOf(o, now);
    }
    const s = table.find(this._extract.valuesOf(domain, attributes));
    return s === undefined ? undefined : this._statsOf(s, now);
  }

  /**
   * The windows of every live series of `domain` whose attributes include all of `match`, merged as
   * one (counts add up, latency sketches merge exactly; rates cover the time since the earliest of
   * them started). Undefined when no series matches. E.g. every model of one provider, or one
   * selector across services: `aggregate('selector', { 'selector.name': 'checkout.submit' })`.
   */
  aggregate(domain: Domain, match: Attributes): { series: number; windows: Record<string, WindowStats> } | undefined {
    const table = this._tables[domain];
    if (table === undefined) throw new RangeError(`aggregate: unknown domain '${String(domain)}' (expected ${DOMAINS.join(', ')})`);
    const now = this.now();
    this._sweep(now);
    const keys = Object.keys(match);
    const matched: Series[] = [];
    for (const s of table.all()) if (keys.every((k) => s.attributes[k] === match[k])) matched.push(s);
    if (matched.length === 0) return undefined;
    const o = this.options;
    const start = Math.min(...matched.map((s) => s.startMs));
    const windows: Record<string, WindowStats> = {};
    for (const w of o.windows) {
      const agg = new WindowAggregate(o.sketch);
      for (const s of matched) s.rings[w.ring]!.readInto(agg, now, w.slots);
      windows[w.name] = windowStats(agg, w, coveredSeconds(w, o.rings[w.ring]!.slotMs, start, now), o.quantiles);
    }
    return { series: matched.length, windows };
  }

  health(): ProcessorHealth {
    const series = {} as Record<Domain, number>;
    const overflowed = {} as Record<Domain, number>;
    const expired = {} as Record<Domain, number>;
    for (const d of DOMAINS) {
      series[d] = this._tables[d].size;
      overflowed[d] = this._tables[d].overflowed;
      expired[d] = this._tables[d].expired;
    }
    return { series, overflowed, expired, invalid: { ...this._extract.invalid } };
  }

  // ---- State snapshots -------------------------------------------------------------------------

  /** Writes the windows of every live series to `path` (atomically: a temporary file, then a rename). */
  async saveState(path: string): Promise<void> {
    await writeStateFile(path, stateOf(this, this.now()));
  }

  /**
   * Restores series saved by `saveState()`: their windows continue where they left off (slots that
   * have aged out meanwhile are simply outside every window). Returns how many series were restored.
   * Throws when the file is unreadable or was written with a different window layout.
   */
  async restoreState(path: string): Promise<number> {
    const state = await readStateFile(path);
    const n = restoreInto(this, state, this.now());
    logger.debug(`restored ${n} series from ${path}`);
    return n;
  }

  /** @internal The dimension values of a series' attributes (state restore). */
  _valuesOf(domain: Domain, attributes: Attributes): unknown[] {
    return this._extract.valuesOf(domain, attributes);
  }

}

const fmt = (v: number | undefined): string => (v === undefined ? '?' : Number.isInteger(v) ? String(v) : v.toPrecision(4));

const GLOBAL_KEY = Symbol.for('@driftwatch/processor.global');
type GlobalWithProcessor = typeof globalThis & { [GLOBAL_KEY]?: DriftwatchProcessor };

/**
 * Makes `processor` the process-wide one that other Driftwatch packages ask for windowed statistics
 * (the selector package's `getSelectorStats()` adds its windows); `undefined` clears it. `register()`
 * sets it for the processor it attaches. The slot is a `Symbol.for` key on `globalThis`, so packages
 * read it without depending on this one.
 */
export function setGlobalProcessor(processor: DriftwatchProcessor | undefined): void {
  const g = globalThis as GlobalWithProcessor;
  if (processor === undefined) delete g[GLOBAL_KEY];
  else g[GLOBAL_KEY] = processor;
}

/** The process-wide processor, if one was set. */
export function getGlobalProcessor(): DriftwatchProcessor | undefined {
  return (globalThis as GlobalWithProcessor)[GLOBAL_KEY];
}
