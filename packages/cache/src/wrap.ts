/**
 * Helpers the adapters share: the telemetry/recorder pair of one instrumented cache, spans with an
 * explicit start time (a span is often only decided once the operation has finished: a miss, an
 * error, a sampled hit), loads timed after the fact, method replacement and option checks.
 *
 * @internal
 */
import { SpanKind, context, trace } from '@opentelemetry/api';
import type { Attributes, Context, Span } from '@opentelemetry/api';
import { ATTR_CACHE_LOAD_RESULT, CACHE_LOAD_RESULT_VALUE_FAILURE, CACHE_LOAD_RESULT_VALUE_SUCCESS } from '@driftwatch/semconv';
import { reportDrop } from './diag';
import { CacheConfigError, STORE_REPORTED_ERROR, errorTypeOf, telemetryFor } from './telemetry';
import type { CacheOperation, CacheRecorder, CacheResult, CacheTelemetry, TelemetryChoice } from './telemetry';

/** The method signature {@link Reporters.hotGet} wraps. */
type GetMethod<S> = (this: S, key: unknown) => unknown;

/** Monotonic milliseconds (`performance.now()`), the clock of every adapter timing and span time. */
export const now = (): number => performance.now();

/**
 * Stands for an error a store reported without handing it over (keyv with an `error` listener
 * resolves instead of rejecting): the span gets `error.type=_OTHER` and an ERROR status.
 */
export const REPORTED_ERROR = STORE_REPORTED_ERROR;

/** The telemetry and recorder of one instrumented cache. */
export interface Bound {
  readonly t: CacheTelemetry;
  readonly rec: CacheRecorder;
}

/** Options every adapter takes besides the telemetry choice. */
export interface CacheAdapterOptions extends TelemetryChoice {
  /** The cache's name, `cache.name` (low cardinality: one per logical cache, never per key). */
  name: string;
  /** `cache.tier` when this cache is one tier of a tiered cache (`l1`, `l2`, ...). */
  tier?: string;
}

/** Describes a value for an error message. */
export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'function') return `a function${v.name ? ` (${v.name})` : ''}`;
  if (typeof v !== 'object') return `${typeof v} ${JSON.stringify(v) ?? String(v)}`;
  const ctor = (v as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof ctor === 'string' && ctor !== '' && ctor !== 'Object' ? `a ${ctor}` : 'an object';
}

/** Throws {@link CacheConfigError} unless `options` is an object with a non-empty string `name`. */
export function checkOptions(options: unknown, fn: string): asserts options is CacheAdapterOptions {
  if (options === null || typeof options !== 'object') {
    throw new CacheConfigError(`${fn}: options must be an object with at least a name, got ${describe(options)}`);
  }
  const { name, tier } = options as { name?: unknown; tier?: unknown };
  if (typeof name !== 'string' || name.trim() === '') {
    throw new CacheConfigError(`${fn}: options.name must be a non-empty string (the cache's name), got ${describe(name)}`);
  }
  if (tier !== undefined && (typeof tier !== 'string' || tier.trim() === '')) {
    throw new CacheConfigError(`${fn}: options.tier must be a non-empty string when given, got ${describe(tier)}`);
  }
}

/** Throws {@link CacheConfigError} unless `target` has every listed method. */
export function checkMethods(target: unknown, methods: readonly string[], fn: string, expected: string): void {
  if (target === null || (typeof target !== 'object' && typeof target !== 'function')) {
    throw new CacheConfigError(`${fn} expects ${expected}, got ${describe(target)}`);
  }
  const missing = methods.filter((m) => typeof (target as Record<string, unknown>)[m] !== 'function');
  if (missing.length > 0) {
    throw new CacheConfigError(`${fn} expects ${expected}; ${describe(target)} has no ${missing.map((m) => `${m}()`).join(', ')}`);
  }
}

/** The telemetry and recorder for a cache (validates the telemetry options: may throw {@link CacheConfigError}). */
export function bind(options: CacheAdapterOptions, system: string, remote = false): Bound {
  const t = telemetryFor(options);
  const rec = t.cache({ name: options.name, system, tier: options.tier, remote });
  return { t, rec };
}

const instrumented = new WeakMap<object, string>();

/**
 * Marks `target` as instrumented by `kind`; returns false when it already was (instrumenting the
 * same instance twice is a no-op).
 */
export function claim(target: object, kind: string): boolean {
  const prev = instrumented.get(target);
  if (prev !== undefined) {
    if (prev !== kind) reportDrop(`cache already instrumented by ${prev}; ${kind} ignored`);
    return false;
  }
  instrumented.set(target, kind);
  return true;
}

/** Replaces a method on the instance itself (own, non-enumerable property); the prototype is untouched. */
export function replaceMethod(target: object, name: string, fn: (...args: any[]) => unknown): void {
  Object.defineProperty(target, name, { value: fn, writable: true, configurable: true, enumerable: false });
}

/** Starts a cache span (see {@link CacheRecorder.startSpan}) at `start`. */
export function openSpan(b: Bound, op: CacheOperation | 'load', key: unknown, start: number, parent: Context, kind: SpanKind = SpanKind.INTERNAL): Span {
  return b.rec.startSpan(op, key, kind, parent, start);
}

/** Completes and ends a cache span at `end` (see {@link CacheRecorder.endSpan}). */
export function closeSpan(b: Bound, span: Span, result: CacheResult | undefined, error: unknown, read: boolean, extra?: Attributes, end: number = now()): void {
  b.rec.endSpan(span, result, error, read, extra, end);
}

/** A whole span in one call: an operation that already finished (errors, sampled hits, misses). */
export function spanAfter(
  b: Bound,
  op: CacheOperation,
  key: unknown,
  start: number,
  parent: Context,
  result: CacheResult,
  error: unknown,
  read: boolean,
  extra?: Attributes,
): Span {
  const span = openSpan(b, op, key, start, parent);
  closeSpan(b, span, result, error, read, extra);
  return span;
}

/**
 * Records a load that was timed from outside the loader: `cache.load.duration` (and the average
 * load time hits add to `cache.saved.time`) and, under `parent`, a `load {cache.name}` span from
 * `start` to `end`.
 */
export function loadAfter(b: Bound, start: number, end: number, parent: Context, failed: boolean, error: unknown): void {
  try {
    b.rec.recordLoad((end - start) / 1000, !failed);
    const span = openSpan(b, 'load', undefined, start, parent);
    if (span.isRecording()) span.setAttribute(ATTR_CACHE_LOAD_RESULT, failed ? CACHE_LOAD_RESULT_VALUE_FAILURE : CACHE_LOAD_RESULT_VALUE_SUCCESS);
    closeSpan(b, span, undefined, failed ? error : undefined, false, undefined, end);
  } catch (err) {
    reportDrop('cache load could not be recorded', err);
  }
}

/** Records one operation's duration in seconds when the recorder times operations. */
export function timeOp(b: Bound, op: CacheOperation, result: CacheResult | undefined, start: number, error?: unknown): void {
  try {
    b.rec.recordDuration(op, result, (now() - start) / 1000, error === undefined ? undefined : errorTypeOf(error));
  } catch (err) {
    reportDrop('cache operation duration could not be recorded', err);
  }
}

/** The error and read reporting of one synchronous in-memory cache (lru-cache, Map-like stores); see {@link reporters}. */
export interface Reporters {
  /** A host error: counted, timed (from `start`, or now when `start` is 0), given a span; the caller re-throws it. */
  readonly failed: (op: CacheOperation, key: unknown, err: unknown, start: number) => void;
  /** After a synchronous read: duration and a sampled hit span. */
  readonly readDone: (op: CacheOperation, key: unknown, result: CacheResult, start: number) => void;
  /**
   * The hot-path `get`, for a cache that neither times operations nor samples hit spans: the
   * original call with the key alone, then one counter update (defined is a hit), with no
   * allocation and no call besides those two. With `slow`, a call that passes options, or on a
   * store that serves stale values (`allowStale: true`), goes to `slow` instead.
   */
  readonly hotGet: <S extends object, O>(
    orig: GetMethod<S>,
    slow?: (self: S, key: unknown, options: O | undefined) => unknown,
  ) => (this: S & { readonly allowStale?: unknown }, key: unknown, options?: O) => unknown;
  /** `has`: a truthy answer is a hit, anything else a miss; arguments pass through unchanged. */
  readonly has: <S extends object>(orig: (this: S, ...args: unknown[]) => unknown) => (this: S, key: unknown, ...rest: unknown[]) => unknown;
}

/**
 * The reporting helpers of one synchronous in-memory cache: `timed` when its recorder times
 * operations, `sampling` when hit spans are sampled, `isRead` whether an operation is a read (its
 * error span is marked as a read). The recorder is captured in the closures, so the hot path never
 * looks it up.
 */
export function reporters(b: Bound, timed: boolean, sampling: boolean, isRead: (op: CacheOperation) => boolean): Reporters {
  const rec = b.rec;
  const failed = (op: CacheOperation, key: unknown, err: unknown, start: number): void => {
    try {
      rec.request(op, 'error');
      const t0 = start || now();
      if (timed) timeOp(b, op, 'error', t0, err);
      spanAfter(b, op, key, t0, context.active(), 'error', err, isRead(op));
    } catch (e) {
      reportDrop('cache error could not be recorded', e);
    }
  };
  const readDone = (op: CacheOperation, key: unknown, result: CacheResult, start: number): void => {
    try {
      if (timed) timeOp(b, op, result, start);
      if (result === 'hit' && sampling && rec.sampleHit()) spanAfter(b, op, key, start, context.active(), 'hit', undefined, true);
    } catch (e) {
      reportDrop('cache read could not be recorded', e);
    }
  };
  const hotGet = <S extends object, O>(orig: GetMethod<S>, slow?: (self: S, key: unknown, options: O | undefined) => unknown) =>
    function get(this: S & { readonly allowStale?: unknown }, k: unknown, o?: O): unknown {
      if (slow !== undefined && (o !== undefined || this.allowStale === true)) return slow(this, k, o);
      let v: unknown;
      try {
        v = orig.call(this, k);
      } catch (err) {
        failed('get', k, err, 0);
        throw err;
      }
      if (v !== undefined) rec.hit();
      else rec.miss();
      return v;
    };
  const has = <S extends object>(orig: (this: S, ...args: unknown[]) => unknown) =>
    function has(this: S, k: unknown, ...rest: unknown[]): unknown {
      const start = timed || sampling ? now() : 0;
      let r: unknown;
      try {
        r = orig.call(this, k, ...rest);
      } catch (err) {
        failed('has', k, err, start);
        throw err;
      }
      const result: CacheResult = r ? 'hit' : 'miss';
      rec.request('has', result);
      if (timed || sampling) readDone('has', k, result, start);
      return r;
    };
  return { failed, readDone, hotGet, has };
}

/** Whether a value is a thenable (a promise from a host method). */
export function isThenable(v: unknown): v is PromiseLike<unknown> {
  return v !== null && (typeof v === 'object' || typeof v === 'function') && typeof (v as { then?: unknown }).then === 'function';
}

/**
 * Runs a synchronous loader under a `load {cache.name}` span (a child of `parent`, active while
 * the loader runs), recording `cache.load.duration` by success or failure. The loader's value or
 * error passes through unchanged.
 */
export function syncLoad<T>(b: Bound, loader: () => T, parent: Context): T {
  const start = now();
  const span = openSpan(b, 'load', undefined, start, parent);
  let v: T;
  try {
    v = context.with(trace.setSpan(parent, span), loader);
  } catch (err) {
    endLoad(b, span, start, true, err);
    throw err;
  }
  endLoad(b, span, start, false, undefined);
  return v;
}

function endLoad(b: Bound, span: Span, start: number, failed: boolean, error: unknown): void {
  const end = now();
  try {
    b.rec.recordLoad((end - start) / 1000, !failed);
    if (span.isRecording()) span.setAttribute(ATTR_CACHE_LOAD_RESULT, failed ? CACHE_LOAD_RESULT_VALUE_FAILURE : CACHE_LOAD_RESULT_VALUE_SUCCESS);
  } catch (err) {
    reportDrop('cache load could not be recorded', err);
  }
  closeSpan(b, span, undefined, failed ? error : undefined, false, undefined, end);
}
