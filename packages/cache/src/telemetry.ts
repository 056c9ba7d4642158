/**
 * The core every cache adapter records through. One {@link CacheTelemetry} owns the instruments; each
 * instrumented cache gets a {@link CacheRecorder}, whose hot-path methods are plain number updates
 * (an in-memory hit costs an array increment and no allocation). Counters and gauges are read by
 * observable instruments at collection time; histograms and spans are reserved for the slow paths:
 * loads, misses, errors, remote stores and a configurable share of hits.
 */
import { SpanKind, SpanStatusCode, ValueType, context, metrics, trace } from '@opentelemetry/api';
import type {
  Attributes,
  Context,
  Histogram,
  Meter,
  MeterProvider,
  ObservableResult,
  Span,
  Tracer,
  TracerProvider,
} from '@opentelemetry/api';
import { createHash } from 'node:crypto';
import {
  ATTR_CACHE_EVICTION_REASON,
  ATTR_CACHE_HIT,
  ATTR_CACHE_KEY,
  ATTR_CACHE_LOAD_RESULT,
  ATTR_CACHE_NAME,
  ATTR_CACHE_OPERATION,
  ATTR_CACHE_PUT_RESULT,
  ATTR_CACHE_RESULT,
  ATTR_CACHE_SYSTEM_NAME,
  ATTR_CACHE_TIER,
  ATTR_ERROR_TYPE,
  ATTR_OTEL_METRIC_OVERFLOW,
  CACHE_DURATION_BUCKETS,
  CACHE_LOAD_RESULT_VALUE_FAILURE,
  CACHE_LOAD_RESULT_VALUE_SUCCESS,
  ERROR_TYPE_VALUE_OTHER,
  METRIC_CACHE_ENTRY_COUNT,
  METRIC_CACHE_ENTRY_LIMIT,
  METRIC_CACHE_EVICTIONS,
  METRIC_CACHE_LOAD_DURATION,
  METRIC_CACHE_OPERATION_DURATION,
  METRIC_CACHE_PUTS,
  METRIC_CACHE_REQUESTS,
  METRIC_CACHE_SAVED_TIME,
  METRIC_CACHE_STORAGE_LIMIT,
  METRIC_CACHE_STORAGE_USAGE,
  UNIT_BYTES,
  UNIT_ENTRIES,
  UNIT_EVICTIONS,
  UNIT_PUTS,
  UNIT_REQUESTS,
  UNIT_SECONDS,
} from '@driftwatch/semconv';
import { reportDrop } from './diag';
import { PACKAGE_NAME, PACKAGE_VERSION } from './version';

export type CacheOperation = 'get' | 'set' | 'delete' | 'clear' | 'has' | 'peek' | 'fetch' | 'memo' | 'get_many' | 'set_many';
export type CacheResult = 'hit' | 'miss' | 'stale' | 'error';
export type PutResult = 'add' | 'update' | 'replace' | 'rejected';
export type EvictionReason = 'size' | 'expired' | 'explicit' | 'replaced' | 'collected';

const OPERATIONS: readonly CacheOperation[] = ['get', 'set', 'delete', 'clear', 'has', 'peek', 'fetch', 'memo', 'get_many', 'set_many'];
const RESULTS: readonly CacheResult[] = ['hit', 'miss', 'stale', 'error'];
const PUT_RESULTS: readonly PutResult[] = ['add', 'update', 'replace', 'rejected'];
const EVICTION_REASONS: readonly EvictionReason[] = ['size', 'expired', 'explicit', 'replaced', 'collected'];

const OP_INDEX = Object.fromEntries(OPERATIONS.map((op, i) => [op, i])) as Record<CacheOperation, number>;
const RESULT_INDEX = Object.fromEntries(RESULTS.map((r, i) => [r, i])) as Record<CacheResult, number>;
const PUT_INDEX = Object.fromEntries(PUT_RESULTS.map((r, i) => [r, i])) as Record<PutResult, number>;
const EVICTION_INDEX = Object.fromEntries(EVICTION_REASONS.map((r, i) => [r, i])) as Record<EvictionReason, number>;
const N_RESULTS = RESULTS.length;
/** Operations whose hit hands back the value, sparing a load (`cache.saved.time`). */
const SAVES_LOAD: readonly boolean[] = OPERATIONS.map((op) => op === 'get' || op === 'fetch' || op === 'memo' || op === 'get_many');
const GET_HIT = OP_INDEX.get * N_RESULTS + RESULT_INDEX.hit;
const GET_MISS = OP_INDEX.get * N_RESULTS + RESULT_INDEX.miss;
const GET_STALE = OP_INDEX.get * N_RESULTS + RESULT_INDEX.stale;

/** Marks a failure a store reported without throwing (e.g. an `error` event); see {@link CacheRecorder.endSpan}. */
export const STORE_REPORTED_ERROR: unique symbol = Symbol('driftwatch.cache.store_reported_error');

/** A bad option: thrown when telemetry or an adapter is configured, never at run time. */
export class CacheConfigError extends Error {
  override readonly name = 'CacheConfigError';
}

export interface CacheTelemetryOptions {
  /** Defaults to the global tracer provider. */
  tracerProvider?: TracerProvider;
  /** Defaults to the global meter provider. */
  meterProvider?: MeterProvider;
  /** Share of in-memory hits that get a span, 0..1 (default 0: a hit never creates a span). */
  hitSpanRatio?: number;
  /** Record `cache.operation.duration` for in-memory operations too (default false; remote stores always record it). */
  memoryOperationDuration?: boolean;
  /**
   * Opt-in key capture on spans (never on metrics): `'hash'` records the first 16 hex characters
   * of the key's SHA-256; a function returns the (redacted) string to record, or `undefined` to
   * omit it. Default: keys are never recorded.
   */
  captureKeys?: 'hash' | ((key: unknown) => string | undefined);
  /** Bound on distinct caches (system, name, tier); more are counted in one overflow series. Default 256. */
  maxCaches?: number;
}

/** Live size readers for one cache instance, read at collection time. */
export interface CacheSizeReaders<T extends object> {
  entries?(target: T): number | undefined;
  entryLimit?(target: T): number | undefined;
  storage?(target: T): number | undefined;
  storageLimit?(target: T): number | undefined;
}

export interface CacheRegistration {
  /** The cache's name (low cardinality), `cache.name`. */
  name: string;
  /** `cache.system.name`: `lru-cache`, `keyv`, `redis`, `memory`. */
  system: string;
  /** `cache.tier` in a tiered cache. */
  tier?: string;
  /** A remote store: every operation gets a span and a `cache.operation.duration` record. */
  remote?: boolean;
}

interface SizeSource {
  ref: WeakRef<object>;
  readers: CacheSizeReaders<object>;
}

function validName(v: unknown, what: string): string {
  if (typeof v !== 'string' || v.trim() === '') throw new CacheConfigError(`${what} must be a non-empty string, got ${typeof v === 'string' ? JSON.stringify(v) : typeof v}`);
  return v;
}

/**
 * One instrumented cache (or several instances sharing a name). Hot-path methods (`hit`, `miss`,
 * `request`, `put`, `eviction`) only update numbers; the SDK reads them at collection time.
 */
export class CacheRecorder {
  readonly name: string;
  readonly system: string;
  readonly tier: string | undefined;
  readonly remote: boolean;
  /** @internal */ readonly _requests = new Float64Array(OPERATIONS.length * N_RESULTS);
  /** @internal */ readonly _puts = new Float64Array(PUT_RESULTS.length);
  /** @internal */ readonly _evictions = new Float64Array(EVICTION_REASONS.length);
  /** @internal */ _savedSeconds = 0;
  /** @internal */ _sources: SizeSource[] = [];
  /** @internal */ readonly _base: Attributes;
  private _loadPenalty = 0;
  private _loadCount = 0;
  private _loadTotal = 0;
  private _hitBudget = 0;
  private readonly _t: CacheTelemetry;
  private readonly _durationSets = new Map<string, Attributes>();
  private readonly _durationSlots: Array<Attributes | undefined> = new Array(OPERATIONS.length * (N_RESULTS + 1));
  private _loadSets: [Attributes, Attributes] | undefined;

  /** @internal */
  constructor(t: CacheTelemetry, reg: CacheRegistration, overflow: boolean) {
    this._t = t;
    this.name = reg.name;
    this.system = reg.system;
    this.tier = reg.tier;
    this.remote = reg.remote === true;
    const base: Attributes = { [ATTR_CACHE_NAME]: reg.name, [ATTR_CACHE_SYSTEM_NAME]: reg.system };
    if (reg.tier !== undefined) base[ATTR_CACHE_TIER] = reg.tier;
    if (overflow) base[ATTR_OTEL_METRIC_OVERFLOW] = true;
    this._base = base;
  }

  /** A `get` that found a fresh value. Adds the average load time to `cache.saved.time`. */
  hit(): void {
    this._requests[GET_HIT]!++;
    this._savedSeconds += this._loadPenalty;
  }

  /** A `get` that found nothing. */
  miss(): void {
    this._requests[GET_MISS]!++;
  }

  /** A `get` that returned a stale value. */
  stale(): void {
    this._requests[GET_STALE]!++;
  }

  /** Any read or write request by operation and result. */
  request(op: CacheOperation, result: CacheResult, n = 1): void {
    this._requests[OP_INDEX[op] * N_RESULTS + RESULT_INDEX[result]]! += n;
    // Only reads that hand back the value spare a load (`has` and `peek` hits do not).
    if (result === 'hit' && SAVES_LOAD[OP_INDEX[op]]) this._savedSeconds += this._loadPenalty * n;
  }

  put(result: PutResult, n = 1): void {
    this._puts[PUT_INDEX[result]]! += n;
  }

  eviction(reason: EvictionReason, n = 1): void {
    this._evictions[EVICTION_INDEX[reason]]! += n;
  }

  /** Whether this hit should get a span (`hitSpanRatio`; deterministic: every 1/ratio-th hit). */
  sampleHit(): boolean {
    const ratio = this._t.hitSpanRatio;
    if (ratio <= 0) return false;
    this._hitBudget += ratio;
    if (this._hitBudget < 1) return false;
    this._hitBudget -= 1;
    return true;
  }

  /** Whether in-memory operations record `cache.operation.duration`. */
  get timesOperations(): boolean {
    return this.remote || this._t.memoryOperationDuration;
  }

  /**
   * Starts a span `{op} {cache.name}` carrying the cache's attributes (and the key, when key
   * capture is on). Kind INTERNAL unless given; `startTime` backdates it (an operation that is
   * only known to need a span once it has finished).
   */
  startSpan(op: CacheOperation | 'load', key?: unknown, kind: SpanKind = SpanKind.INTERNAL, parent: Context = context.active(), startTime?: number): Span {
    const span = this._t.tracer.startSpan(`${op} ${this.name}`, { kind, startTime }, parent);
    try {
      if (span.isRecording()) {
        span.setAttribute(ATTR_CACHE_NAME, this.name);
        span.setAttribute(ATTR_CACHE_SYSTEM_NAME, this.system);
        if (op !== 'load') span.setAttribute(ATTR_CACHE_OPERATION, op);
        if (this.tier !== undefined) span.setAttribute(ATTR_CACHE_TIER, this.tier);
        if (key !== undefined && op !== 'load') {
          const k = this._t.keyAttribute(key);
          if (k !== undefined) span.setAttribute(ATTR_CACHE_KEY, k);
        }
      }
    } catch (err) {
      reportDrop('cache span attributes could not be set', err);
    }
    return span;
  }

  /**
   * Sets `cache.result` (and `cache.hit` for reads) and any `extra` attributes on a span and ends
   * it (at `endTime` when given). An error sets `error.type`, the exception and an ERROR status;
   * {@link STORE_REPORTED_ERROR} marks a failure the store reported without an error object.
   */
  endSpan(span: Span, result: CacheResult | undefined, error?: unknown, read = true, extra?: Attributes, endTime?: number): void {
    try {
      if (span.isRecording()) {
        if (result !== undefined) {
          span.setAttribute(ATTR_CACHE_RESULT, result);
          if (read && result !== 'error') span.setAttribute(ATTR_CACHE_HIT, result !== 'miss');
        }
        if (extra !== undefined) span.setAttributes(extra);
        if (error === STORE_REPORTED_ERROR) {
          span.setAttribute(ATTR_ERROR_TYPE, ERROR_TYPE_VALUE_OTHER);
          span.setStatus({ code: SpanStatusCode.ERROR, message: 'the store reported an error' });
        } else if (error !== undefined) {
          span.setAttribute(ATTR_ERROR_TYPE, errorTypeOf(error));
          span.recordException(error instanceof Error ? error : String(error));
          span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
        }
      }
    } catch (err) {
      reportDrop('cache span could not be completed', err);
    }
    span.end(endTime);
  }

  /** Records one operation's duration (`cache.operation.duration`); `result` is left out for a write that succeeded. */
  recordDuration(op: CacheOperation, result: CacheResult | undefined, seconds: number, errorType?: string): void {
    if (!(seconds >= 0) || !Number.isFinite(seconds)) return reportDrop('cache operation duration is not a finite non-negative number', seconds);
    let attrs: Attributes | undefined;
    if (errorType === undefined) {
      // Without an error type the set is one of a fixed few: an array slot, no key to build.
      const i = OP_INDEX[op] * (N_RESULTS + 1) + (result === undefined ? N_RESULTS : RESULT_INDEX[result]);
      attrs = this._durationSlots[i] ??= this._durationAttrs(op, result, undefined);
    } else {
      const key = `${op}|${result}|${errorType}`;
      attrs = this._durationSets.get(key);
      if (!attrs) {
        attrs = this._durationAttrs(op, result, errorType);
        if (this._durationSets.size < 256) this._durationSets.set(key, attrs);
      }
    }
    this._t._operationDuration.record(seconds, attrs);
  }

  private _durationAttrs(op: CacheOperation, result: CacheResult | undefined, errorType: string | undefined): Attributes {
    const attrs: Attributes = { ...this._base, [ATTR_CACHE_OPERATION]: op };
    if (result !== undefined) attrs[ATTR_CACHE_RESULT] = result;
    if (errorType !== undefined) attrs[ATTR_ERROR_TYPE] = errorType;
    return attrs;
  }

  /**
   * Records a load (the miss penalty): `cache.load.duration{cache.load.result}` and the running
   * average that each later hit adds to `cache.saved.time`.
   */
  recordLoad(seconds: number, success: boolean): void {
    if (!(seconds >= 0) || !Number.isFinite(seconds)) return reportDrop('cache load duration is not a finite non-negative number', seconds);
    const sets = (this._loadSets ??= [
      { ...this._base, [ATTR_CACHE_LOAD_RESULT]: CACHE_LOAD_RESULT_VALUE_SUCCESS },
      { ...this._base, [ATTR_CACHE_LOAD_RESULT]: CACHE_LOAD_RESULT_VALUE_FAILURE },
    ]);
    this._t._loadDuration.record(seconds, success ? sets[0] : sets[1]);
    if (success) {
      this._loadCount++;
      this._loadTotal += seconds;
      this._loadPenalty = this._loadTotal / this._loadCount;
    }
  }

  /**
   * Runs a loader under a `load {cache.name}` span (a child of the active span), recording its
   * duration and result. The loader's value or error is passed through unchanged.
   */
  traceLoad<T>(loader: () => T | Promise<T>, parent: Context = context.active()): T | Promise<T> {
    const start = performance.now();
    const span = this.startSpan('load', undefined, SpanKind.INTERNAL, parent);
    const done = (error: unknown, failed: boolean): void => {
      try {
        this.recordLoad((performance.now() - start) / 1000, !failed);
        if (span.isRecording()) span.setAttribute(ATTR_CACHE_LOAD_RESULT, failed ? CACHE_LOAD_RESULT_VALUE_FAILURE : CACHE_LOAD_RESULT_VALUE_SUCCESS);
      } catch (err) {
        reportDrop('cache load could not be recorded', err);
      }
      this.endSpan(span, undefined, failed ? error : undefined);
    };
    let out: T | Promise<T>;
    try {
      out = context.with(trace.setSpan(parent, span), loader);
    } catch (err) {
      done(err, true);
      throw err;
    }
    if (out !== null && typeof out === 'object' && typeof (out as Promise<T>).then === 'function') {
      return (out as Promise<T>).then(
        (v) => (done(undefined, false), v),
        (err: unknown) => {
          done(err, true);
          throw err;
        },
      );
    }
    done(undefined, false);
    return out;
  }

  /**
   * Reports live sizes of one cache instance at collection time. The instance is held weakly:
   * once it is garbage-collected its sizes stop being reported.
   */
  addSizeSource<T extends object>(target: T, readers: CacheSizeReaders<T>): void {
    this._sources.push({ ref: new WeakRef(target), readers: readers as CacheSizeReaders<object> });
  }

  /** @internal Sums one size reading over the live instances (undefined when none reports it). */
  _readSize(kind: keyof CacheSizeReaders<object>): number | undefined {
    let total: number | undefined;
    let dead = false;
    for (const s of this._sources) {
      const target = s.ref.deref();
      if (target === undefined) {
        dead = true;
        continue;
      }
      const read = s.readers[kind];
      if (!read) continue;
      let v: number | undefined;
      try {
        v = read(target);
      } catch (err) {
        reportDrop(`cache ${kind} could not be read`, err);
        continue;
      }
      if (typeof v === 'number' && Number.isFinite(v) && v >= 0) total = (total ?? 0) + v;
    }
    if (dead) this._sources = this._sources.filter((s) => s.ref.deref() !== undefined);
    return total;
  }
}

/**
 * `error.type` for an error: its `name` when specific, else its string `code`, else its class name
 * (client errors such as node-redis's leave `name` as `Error`), `_OTHER` otherwise.
 */
export function errorTypeOf(error: unknown): string {
  if (error instanceof Error) {
    if (error.name && error.name !== 'Error') return error.name;
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && code !== '') return code;
    const ctor = (error as { constructor?: { name?: unknown } }).constructor?.name;
    if (typeof ctor === 'string' && ctor !== '' && ctor !== 'Error') return ctor;
  }
  return ERROR_TYPE_VALUE_OTHER;
}

/** A meter's instruments and the caches they report, shared by every telemetry on that meter. */
interface MeterState {
  readonly operationDuration: Histogram;
  readonly loadDuration: Histogram;
  readonly recorders: Map<string, CacheRecorder>;
  overflow: CacheRecorder | undefined;
  readonly attrCache: Map<string, Attributes>;
}

const meterStates = new WeakMap<Meter, MeterState>();

/** The instruments of one tracer/meter pair and the caches recorded through them. */
export class CacheTelemetry {
  readonly tracer: Tracer;
  readonly hitSpanRatio: number;
  readonly memoryOperationDuration: boolean;
  /** @internal */ readonly _operationDuration: Histogram;
  /** @internal */ readonly _loadDuration: Histogram;
  private readonly _captureKeys: CacheTelemetryOptions['captureKeys'];
  private readonly _maxCaches: number;
  /** Shared by every telemetry on the same meter: its instruments are registered once per meter. */
  private readonly _state: MeterState;

  constructor(options: CacheTelemetryOptions = {}) {
    if (options === null || typeof options !== 'object') throw new CacheConfigError('cache telemetry options must be an object');
    const ratio = options.hitSpanRatio ?? 0;
    if (typeof ratio !== 'number' || !Number.isFinite(ratio) || ratio < 0 || ratio > 1) {
      throw new CacheConfigError(`hitSpanRatio must be a number in [0, 1], got ${String(ratio)}`);
    }
    const max = options.maxCaches ?? 256;
    if (!Number.isInteger(max) || max < 1) throw new CacheConfigError(`maxCaches must be a positive integer, got ${String(max)}`);
    const ck = options.captureKeys;
    if (ck !== undefined && ck !== 'hash' && typeof ck !== 'function') {
      throw new CacheConfigError(`captureKeys must be 'hash' or a function (key) => string | undefined, got ${String(ck)}`);
    }
    this.hitSpanRatio = ratio;
    this.memoryOperationDuration = options.memoryOperationDuration === true;
    this._captureKeys = ck;
    this._maxCaches = max;
    this.tracer = (options.tracerProvider ?? trace).getTracer(PACKAGE_NAME, PACKAGE_VERSION);
    const meter: Meter = (options.meterProvider ?? metrics).getMeter(PACKAGE_NAME, PACKAGE_VERSION);
    let state = meterStates.get(meter);
    if (!state) {
      state = {
        operationDuration: meter.createHistogram(METRIC_CACHE_OPERATION_DURATION, {
          description: 'Duration of cache operations (remote stores; in-memory ones on request).',
          unit: UNIT_SECONDS,
          advice: { explicitBucketBoundaries: [...CACHE_DURATION_BUCKETS] },
        }),
        loadDuration: meter.createHistogram(METRIC_CACHE_LOAD_DURATION, {
          description: 'Duration of loads on a miss, by success or failure.',
          unit: UNIT_SECONDS,
          advice: { explicitBucketBoundaries: [...CACHE_DURATION_BUCKETS] },
        }),
        recorders: new Map(),
        overflow: undefined,
        attrCache: new Map(),
      };
      meterStates.set(meter, state);
      observeCounters(meter, state);
      observeSizes(meter, state);
    }
    this._state = state;
    this._operationDuration = state.operationDuration;
    this._loadDuration = state.loadDuration;
  }

  /**
   * The recorder for a cache (created on first use; the same system/name/tier shares one, across
   * every telemetry on the same meter, and keeps the options of the telemetry that created it).
   * Throws {@link CacheConfigError} for a missing name or system.
   */
  cache(reg: CacheRegistration): CacheRecorder {
    validName(reg?.name, 'cache name');
    validName(reg.system, 'cache system name');
    if (reg.tier !== undefined) validName(reg.tier, 'cache tier');
    const key = `${reg.system}\u0000${reg.name}\u0000${reg.tier ?? ''}`;
    const state = this._state;
    let rec = state.recorders.get(key);
    if (rec) return rec;
    if (state.recorders.size >= this._maxCaches) {
      reportDrop('caches beyond maxCaches are counted in the overflow series');
      return (state.overflow ??= new CacheRecorder(this, { name: '_OTHER', system: reg.system, remote: reg.remote }, true));
    }
    rec = new CacheRecorder(this, reg, false);
    state.recorders.set(key, rec);
    return rec;
  }

  /** The key as recorded on spans under `captureKeys`, or `undefined` (the default: never recorded). */
  keyAttribute(key: unknown): string | undefined {
    const ck = this._captureKeys;
    if (ck === undefined) return undefined;
    try {
      if (ck === 'hash') return createHash('sha256').update(typeof key === 'string' ? key : JSON.stringify(key) ?? String(key)).digest('hex').slice(0, 16);
      const v = ck(key);
      return typeof v === 'string' ? v : undefined;
    } catch (err) {
      reportDrop('cache key could not be captured', err);
      return undefined;
    }
  }
}

function* allRecorders(state: MeterState): Iterable<CacheRecorder> {
  yield* state.recorders.values();
  if (state.overflow) yield state.overflow;
}

function attrsOf(state: MeterState, rec: CacheRecorder, key: string, extra: Attributes): Attributes {
  const k = `${rec.system}\u0000${rec.name}\u0000${rec.tier ?? ''}\u0000${rec._base[ATTR_OTEL_METRIC_OVERFLOW] ? 1 : 0}\u0000${key}`;
  let a = state.attrCache.get(k);
  if (!a) {
    a = { ...rec._base, ...extra };
    state.attrCache.set(k, a);
  }
  return a;
}

function observeCounters(meter: Meter, state: MeterState): void {
  const requests = meter.createObservableCounter(METRIC_CACHE_REQUESTS, {
    description: 'Cache requests by operation and result (hit, miss, stale, error).',
    unit: UNIT_REQUESTS,
    valueType: ValueType.INT,
  });
  const puts = meter.createObservableCounter(METRIC_CACHE_PUTS, {
    description: 'Cache writes by result (add, update, replace, rejected).',
    unit: UNIT_PUTS,
    valueType: ValueType.INT,
  });
  const evictions = meter.createObservableCounter(METRIC_CACHE_EVICTIONS, {
    description: 'Entries removed from the cache, by reason (size, expired, explicit, replaced, collected).',
    unit: UNIT_EVICTIONS,
    valueType: ValueType.INT,
  });
  const saved = meter.createObservableCounter(METRIC_CACHE_SAVED_TIME, {
    description: 'Time saved by hits: each hit adds the average load time seen so far.',
    unit: UNIT_SECONDS,
  });
  requests.addCallback((r: ObservableResult) => {
    for (const rec of allRecorders(state)) {
      const a = rec._requests;
      for (let i = 0; i < a.length; i++) {
        if (a[i] === 0) continue;
        const op = OPERATIONS[Math.floor(i / N_RESULTS)]!;
        const result = RESULTS[i % N_RESULTS]!;
        r.observe(a[i]!, attrsOf(state, rec, `r|${op}|${result}`, { [ATTR_CACHE_OPERATION]: op, [ATTR_CACHE_RESULT]: result }));
      }
    }
  });
  puts.addCallback((r: ObservableResult) => {
    for (const rec of allRecorders(state)) {
      rec._puts.forEach((v, i) => {
        if (v > 0) r.observe(v, attrsOf(state, rec, `p|${PUT_RESULTS[i]}`, { [ATTR_CACHE_PUT_RESULT]: PUT_RESULTS[i]! }));
      });
    }
  });
  evictions.addCallback((r: ObservableResult) => {
    for (const rec of allRecorders(state)) {
      rec._evictions.forEach((v, i) => {
        if (v > 0) r.observe(v, attrsOf(state, rec, `e|${EVICTION_REASONS[i]}`, { [ATTR_CACHE_EVICTION_REASON]: EVICTION_REASONS[i]! }));
      });
    }
  });
  saved.addCallback((r: ObservableResult) => {
    for (const rec of allRecorders(state)) if (rec._savedSeconds > 0) r.observe(rec._savedSeconds, rec._base);
  });
}

function observeSizes(meter: Meter, state: MeterState): void {
  const gauges: Array<[string, string, keyof CacheSizeReaders<object>, string]> = [
    [METRIC_CACHE_ENTRY_COUNT, 'Entries in the cache.', 'entries', UNIT_ENTRIES],
    [METRIC_CACHE_ENTRY_LIMIT, 'Maximum number of entries the cache holds.', 'entryLimit', UNIT_ENTRIES],
    [METRIC_CACHE_STORAGE_USAGE, "Storage the cache's entries use, in bytes or the cache's own size units.", 'storage', UNIT_BYTES],
    [METRIC_CACHE_STORAGE_LIMIT, 'Maximum storage of the cache.', 'storageLimit', UNIT_BYTES],
  ];
  for (const [name, description, kind, unit] of gauges) {
    const g = meter.createObservableUpDownCounter(name, { description, unit, valueType: ValueType.INT });
    g.addCallback((r: ObservableResult) => {
      for (const rec of allRecorders(state)) {
        const v = rec._readSize(kind);
        if (v !== undefined) r.observe(v, rec._base);
      }
    });
  }
}

let globalDefault: CacheTelemetry | undefined;
/** The global meter provider the default telemetry was built on. */
let globalDefaultProvider: MeterProvider | undefined;

/** Options of an adapter: an explicit telemetry, or the options to build one from. */
export interface TelemetryChoice extends CacheTelemetryOptions {
  /** A telemetry to record through (shares its instruments and caches). */
  telemetry?: CacheTelemetry;
}

type TelemetryKey = [TracerProvider | undefined, MeterProvider | undefined, number | undefined, boolean | undefined, CacheTelemetryOptions['captureKeys'], number | undefined];

/** Telemetries built by {@link telemetryFor}, one per distinct providers-and-options (bounded). */
const built: Array<{ key: TelemetryKey; telemetry: CacheTelemetry }> = [];
const MAX_BUILT = 64;

/**
 * The telemetry an adapter records through (only the {@link TelemetryChoice} fields of `options`
 * are read, so an adapter may pass its whole options object): the given one, or the one built for
 * the same providers and options, so that every cache configured alike shares one set of
 * instruments (two sets would report colliding series).
 */
export function telemetryFor(options: TelemetryChoice = {}): CacheTelemetry {
  if (options.telemetry) return options.telemetry;
  const { tracerProvider, meterProvider, hitSpanRatio, memoryOperationDuration, captureKeys, maxCaches } = options;
  const key: TelemetryKey = [tracerProvider, meterProvider, hitSpanRatio, memoryOperationDuration, captureKeys, maxCaches];
  if (key.every((v) => v === undefined)) {
    // Rebuilt when the global provider changed (a cache instrumented after `register()` reports
    // even when an earlier one was instrumented before it, on the no-op provider).
    const current = metrics.getMeterProvider();
    if (!globalDefault || globalDefaultProvider !== current) {
      globalDefault = new CacheTelemetry();
      globalDefaultProvider = current;
    }
    return globalDefault;
  }
  const found = built.find((e) => e.key.every((v, i) => v === key[i]));
  if (found) return found.telemetry;
  const telemetry = new CacheTelemetry({ tracerProvider, meterProvider, hitSpanRatio, memoryOperationDuration, captureKeys, maxCaches });
  if (built.length >= MAX_BUILT) built.shift();
  built.push({ key, telemetry });
  return telemetry;
}

/** Creates a telemetry (validating the options; throws {@link CacheConfigError}). */
export function createCacheTelemetry(options: CacheTelemetryOptions = {}): CacheTelemetry {
  return new CacheTelemetry(options);
}
