/**
 * keyv 6 (async key-value store over Map, Redis, SQL, ...). {@link instrumentKeyv} replaces the
 * instance's own methods: each call is timed from call to settlement and judged by what it
 * returned (`get` → hit when a value came back; `set` → a put or a rejected write; `has` → hit or
 * miss). keyv turns a store error into an `undefined`/`false` result when the application listens
 * to its `error` event; such errors are recognised through keyv's `stat:error` events (matched to
 * the call by key) and counted as `error`, not as a miss. The adapter never adds an `error`
 * listener itself, since that would change whether keyv rejects.
 */
import { context, trace } from '@opentelemetry/api';
import type { Context, Span } from '@opentelemetry/api';
import { CACHE_SYSTEM_NAME_VALUE_KEYV } from '@driftwatch/semconv';
import { reportDrop } from './diag';
import { CacheConfigError } from './telemetry';
import type { CacheOperation, CacheResult } from './telemetry';
import { REPORTED_ERROR, bind, checkMethods, checkOptions, claim, closeSpan, now, openSpan, replaceMethod, timeOp } from './wrap';
import type { CacheAdapterOptions, Bound } from './wrap';

/** Options of {@link instrumentKeyv}. */
export interface KeyvInstrumentOptions extends CacheAdapterOptions {
  /**
   * The keyv store is remote (Redis, a database, ...): every operation gets a span, active while
   * keyv runs so the store client's own spans nest under it, and a `cache.operation.duration`
   * record. Default false: an in-memory store, where only misses, errors and a sampled share of
   * hits get a span and durations are recorded only with `memoryOperationDuration`.
   */
  remote?: boolean;
}

type AsyncMethod = (this: KeyvLike, ...args: any[]) => Promise<any>;

interface KeyvLike {
  get(key: unknown): Promise<unknown>;
  set(key: unknown, value: unknown, ttl?: number): Promise<unknown>;
  delete(key: unknown): Promise<unknown>;
  clear(): Promise<unknown>;
  on(event: string, listener: (payload: unknown) => void): unknown;
  [method: string]: unknown;
}

/** One call in flight: flagged when keyv reports a store error for one of its keys. */
interface Call {
  errored: boolean;
}

/** Bound on calls tracked for error attribution (beyond it, a swallowed error reads as a miss). */
const MAX_TRACKED_KEYS = 10_000;

const instrumentedKeyv = new WeakMap<object, Bound>();

type Kind = 'read' | 'readMany' | 'write' | 'writeMany' | 'delete' | 'deleteMany' | 'has' | 'hasMany' | 'clear';

const METHODS: ReadonlyArray<readonly [method: string, op: CacheOperation, kind: Kind]> = [
  ['get', 'get', 'read'],
  ['getRaw', 'get', 'read'],
  ['getMany', 'get_many', 'readMany'],
  ['getManyRaw', 'get_many', 'readMany'],
  ['set', 'set', 'write'],
  ['setRaw', 'set', 'write'],
  ['setMany', 'set_many', 'writeMany'],
  ['setManyRaw', 'set_many', 'writeMany'],
  ['delete', 'delete', 'delete'],
  ['deleteMany', 'delete', 'deleteMany'],
  ['has', 'has', 'has'],
  ['hasMany', 'has', 'hasMany'],
  ['clear', 'clear', 'clear'],
];

/**
 * Instruments a keyv instance in place and returns it (instrumenting it again is a no-op):
 * `cache.requests` for `get`/`getRaw` (hit or miss), `getMany`/`getManyRaw` (one request per key)
 * and `has`/`hasMany`; `cache.puts` for `set`/`setMany`/`setRaw`/`setManyRaw` (`add` for a stored
 * value, since keyv cannot tell a new key from an overwrite; `rejected` when keyv returns false);
 * explicit evictions for `delete`/`deleteMany`; `error` for any operation that fails.
 *
 * Throws {@link CacheConfigError} when `keyv` is not a keyv instance or an option is bad.
 */
export function instrumentKeyv<K extends object>(keyv: K, options: KeyvInstrumentOptions): K {
  checkMethods(keyv, ['get', 'set', 'delete', 'clear', 'on'], 'instrumentKeyv', 'a keyv instance');
  checkOptions(options, 'instrumentKeyv');
  if (options.remote !== undefined && typeof options.remote !== 'boolean') {
    throw new CacheConfigError(`instrumentKeyv: options.remote must be a boolean when given, got ${typeof options.remote}`);
  }
  if (!claim(keyv, 'instrumentKeyv')) return keyv;
  const k = keyv as unknown as KeyvLike;
  const remote = options.remote === true;
  const b = bind(options, CACHE_SYSTEM_NAME_VALUE_KEYV, remote);
  instrumentedKeyv.set(keyv, b);
  const { rec, t } = b;
  const timed = rec.timesOperations;
  const sampling = t.hitSpanRatio > 0;

  // ---- error attribution through keyv's stat:error events -------------------------------------
  const pending = new Map<unknown, Call[]>();
  const clears = new Set<Call>();
  k.on('stat:error', (payload: unknown) => {
    try {
      const key = payload !== null && typeof payload === 'object' ? (payload as { key?: unknown }).key : undefined;
      if (key === undefined) for (const c of clears) c.errored = true;
      else for (const c of pending.get(key) ?? []) c.errored = true;
    } catch (err) {
      reportDrop('keyv stat:error could not be attributed', err);
    }
  });
  const track = (call: Call, keys: readonly unknown[] | undefined): void => {
    if (keys === undefined) {
      clears.add(call);
      return;
    }
    if (pending.size + keys.length > MAX_TRACKED_KEYS) return;
    for (const key of keys) {
      const calls = pending.get(key);
      if (calls) calls.push(call);
      else pending.set(key, [call]);
    }
  };
  const untrack = (call: Call, keys: readonly unknown[] | undefined): void => {
    if (keys === undefined) {
      clears.delete(call);
      return;
    }
    for (const key of keys) {
      const calls = pending.get(key);
      if (!calls) continue;
      const i = calls.indexOf(call);
      if (i >= 0) calls.splice(i, 1);
      if (calls.length === 0) pending.delete(key);
    }
  };

  /** Counts one settled call and returns the span's result (`undefined` for a write that succeeded). */
  const count = (op: CacheOperation, kind: Kind, value: unknown, errored: boolean, n: number): CacheResult | undefined => {
    if (errored) {
      rec.request(op, 'error', n);
      return 'error';
    }
    switch (kind) {
      case 'read':
        if (value === undefined) {
          rec.miss();
          return 'miss';
        }
        rec.hit();
        return 'hit';
      case 'readMany':
      case 'hasMany': {
        const values = Array.isArray(value) ? value : [];
        let hits = 0;
        for (const v of values) if (kind === 'readMany' ? v !== undefined : v === true) hits++;
        const misses = values.length - hits;
        const reqOp = kind === 'readMany' ? op : 'has';
        if (hits > 0) rec.request(reqOp, 'hit', hits);
        if (misses > 0) rec.request(reqOp, 'miss', misses);
        return misses > 0 ? 'miss' : 'hit';
      }
      case 'has':
        rec.request('has', value === true ? 'hit' : 'miss');
        return value === true ? 'hit' : 'miss';
      case 'write':
        rec.put(value === false ? 'rejected' : 'add');
        return undefined;
      case 'writeMany': {
        const results = Array.isArray(value) ? value : [];
        const stored = results.filter((r) => r !== false).length;
        if (stored > 0) rec.put('add', stored);
        if (results.length - stored > 0) rec.put('rejected', results.length - stored);
        return undefined;
      }
      case 'delete':
        if (value === true) rec.eviction('explicit');
        return undefined;
      case 'deleteMany': {
        const removed = Array.isArray(value) ? value.filter((r) => r === true).length : value === true ? n : 0;
        if (removed > 0) rec.eviction('explicit', removed);
        return undefined;
      }
      case 'clear':
        return undefined;
    }
  };

  const wrap = (orig: AsyncMethod, op: CacheOperation, kind: Kind) =>
    function instrumented(this: KeyvLike, ...args: unknown[]): Promise<unknown> {
      const first = args[0];
      // keyv forwards an array given to get/delete/has to getMany/deleteMany/hasMany (also wrapped).
      if ((kind === 'read' || kind === 'delete' || kind === 'has') && Array.isArray(first)) return orig.apply(this, args);
      let keys: readonly unknown[] | undefined;
      if (kind === 'clear') keys = undefined;
      else if (kind === 'writeMany') keys = Array.isArray(first) ? first.map((e) => (e !== null && typeof e === 'object' ? (e as { key?: unknown }).key : undefined)) : [];
      else if (kind === 'readMany' || kind === 'deleteMany' || kind === 'hasMany') keys = Array.isArray(first) ? first : [];
      else keys = [first];
      const spanKey = kind === 'clear' ? undefined : kind === 'read' || kind === 'write' || kind === 'delete' || kind === 'has' ? first : keys;
      const n = keys === undefined ? 1 : Math.max(keys.length, 1);
      const start = now();
      const parent = context.active();
      const call: Call = { errored: false };
      let span: Span | undefined;
      let p: Promise<unknown>;
      try {
        track(call, keys);
        if (remote) span = openSpan(b, op, spanKey, start, parent);
      } catch (err) {
        reportDrop('keyv call could not be tracked', err);
      }
      try {
        p = span === undefined ? orig.apply(this, args) : context.with(trace.setSpan(parent, span), () => orig.apply(this, args));
      } catch (err) {
        settle(op, kind, call, keys, spanKey, n, start, parent, span, undefined, err, true);
        throw err;
      }
      return Promise.resolve(p).then(
        (value) => {
          settle(op, kind, call, keys, spanKey, n, start, parent, span, value, undefined, false);
          return value;
        },
        (err: unknown) => {
          settle(op, kind, call, keys, spanKey, n, start, parent, span, undefined, err, true);
          throw err;
        },
      );
    };

  const settle = (
    op: CacheOperation,
    kind: Kind,
    call: Call,
    keys: readonly unknown[] | undefined,
    spanKey: unknown,
    n: number,
    start: number,
    parent: Context,
    span: Span | undefined,
    value: unknown,
    error: unknown,
    rejected: boolean,
  ): void => {
    try {
      untrack(call, keys);
      const errored = rejected || call.errored;
      const err = rejected ? error : errored ? REPORTED_ERROR : undefined;
      const result = count(op, kind, value, errored, n);
      const read = kind === 'read' || kind === 'readMany' || kind === 'has' || kind === 'hasMany';
      if (timed) timeOp(b, op, result, start, err);
      if (span === undefined) {
        const wanted =
          result === 'error' ||
          (result === 'miss' && (kind === 'read' || kind === 'readMany')) ||
          (result === 'hit' && read && sampling && rec.sampleHit());
        if (wanted) span = openSpan(b, op, spanKey, start, parent);
      }
      if (span !== undefined) closeSpan(b, span, result, err, read);
    } catch (e) {
      reportDrop('keyv call could not be recorded', e);
    }
  };

  for (const [method, op, kind] of METHODS) {
    const orig = k[method];
    if (typeof orig === 'function') replaceMethod(k, method, wrap(orig as AsyncMethod, op, kind));
  }
  return keyv;
}

/**
 * Reads `key` from an instrumented keyv; on a miss, runs `loader` under a `load {cache.name}` span
 * (recording `cache.load.duration`, whose average each later hit adds to `cache.saved.time`) and
 * stores a defined result with `ttl`. Concurrent misses each load (no coalescing). The loader's
 * value or error passes through unchanged.
 *
 * Throws {@link CacheConfigError} when `keyv` was not instrumented with {@link instrumentKeyv}.
 */
export async function keyvGetOrSet<V>(
  keyv: object,
  key: string,
  loader: (key: string) => V | Promise<V>,
  options: { ttl?: number } = {},
): Promise<V | undefined> {
  const b = instrumentedKeyv.get(keyv);
  if (b === undefined) throw new CacheConfigError('keyvGetOrSet needs a keyv instance instrumented with instrumentKeyv');
  if (typeof loader !== 'function') throw new CacheConfigError(`keyvGetOrSet: loader must be a function, got ${typeof loader}`);
  const k = keyv as unknown as KeyvLike;
  const cached = (await k.get(key)) as V | undefined;
  if (cached !== undefined) return cached;
  const loaded = await b.rec.traceLoad(() => loader(key));
  if (loaded !== undefined) await k.set(key, loaded, options.ttl);
  return loaded;
}
