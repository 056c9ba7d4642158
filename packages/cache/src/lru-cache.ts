/**
 * lru-cache (10 and 11): {@link instrumentLruCache} wraps an existing instance's own methods, and
 * {@link lruCacheOptions} wraps the constructor's hooks (dispose, onInsert, fetchMethod,
 * memoMethod), which lru-cache keeps in private fields, for evictions by reason, exact puts and
 * load spans that are parents of whatever the loader calls.
 *
 * The plain `get(key)` path is a call of the original method plus one counter update: no status
 * object, no allocation, no closure, no map look-up. A status object (lru-cache's own per-call
 * report) is passed only when the caller passed options, the cache serves stale values, or the
 * operation is a write, a fetch or a memo.
 */
import { context, trace } from '@opentelemetry/api';
import type { Attributes, Context, Span } from '@opentelemetry/api';
import { ATTR_CACHE_COALESCED, ATTR_CACHE_STALE, CACHE_SYSTEM_NAME_VALUE_LRU_CACHE } from '@driftwatch/semconv';
import { reportDrop } from './diag';
import { CacheConfigError } from './telemetry';
import type { CacheResult, EvictionReason, PutResult } from './telemetry';
import {
  bind,
  checkMethods,
  checkOptions,
  claim,
  closeSpan,
  describe,
  loadAfter,
  now,
  openSpan,
  replaceMethod,
  reporters,
  syncLoad,
  timeOp,
} from './wrap';
import type { CacheAdapterOptions, Bound } from './wrap';

/** Options of {@link instrumentLruCache} and {@link lruCacheOptions}. */
export type LruCacheInstrumentOptions = CacheAdapterOptions;

/** The fields of lru-cache's `Status` object the adapter reads. */
interface LruStatus {
  get?: string;
  set?: string;
  has?: string;
  peek?: string;
  memo?: string;
  fetch?: string;
  returnedStale?: boolean;
  fetchDispatched?: boolean;
  fetchRejected?: boolean;
  fetchAborted?: boolean;
  fetchUpdated?: boolean;
  [field: string]: unknown;
}

type LruOptions = { status?: LruStatus; allowStale?: boolean; forceRefresh?: boolean; [option: string]: unknown };
type Method = (this: LruLike, ...args: any[]) => any;

/** The structural shape of an lru-cache instance (no dependency on the lru-cache package). */
interface LruLike {
  get(key: unknown, options?: LruOptions): unknown;
  set(key: unknown, value: unknown, options?: LruOptions): unknown;
  delete(key: unknown): boolean;
  has(key: unknown, options?: LruOptions): boolean;
  peek(key: unknown, options?: LruOptions): unknown;
  clear(): void;
  fetch?(key: unknown, options?: LruOptions): Promise<unknown>;
  forceFetch?(key: unknown, options?: LruOptions): Promise<unknown>;
  memo?(key: unknown, options?: LruOptions): unknown;
  getRemainingTTL?(key: unknown): number;
  readonly size: number;
  readonly max?: number;
  readonly maxSize?: number;
  readonly calculatedSize?: number;
  readonly maxEntrySize?: number;
  readonly allowStale?: boolean;
  readonly dispose?: unknown;
  readonly disposeAfter?: unknown;
  readonly onInsert?: unknown;
  readonly fetchMethod?: unknown;
  readonly memoMethod?: unknown;
}

/** What {@link lruCacheOptions} wrapped, shared with {@link instrumentLruCache} through the hooks it returns. */
interface Link extends Bound {
  readonly name: string;
}

const links = new WeakMap<object, Link>();

/** The fetch or memo call in progress (set only during the synchronous part of the original call). */
interface CallState {
  readonly link: Link | undefined;
  readonly op: 'fetch' | 'memo';
  readonly key: unknown;
  readonly start: number;
  readonly parent: Context;
  /** The `fetch`/`memo` span, opened by a wrapped loader when the load starts. */
  span: Span | undefined;
  /** A wrapped loader ran (and records the load itself). */
  loaded: boolean;
}
let current: CallState | undefined;

/**
 * Status objects passed by a fetch or memo in progress: lru-cache 10 forwards them to its own public
 * `get`/`set`/`fetch`, which must then not count a second time.
 */
const passing = new WeakSet<object>();

const DISPOSE_REASONS: Readonly<Record<string, EvictionReason>> = {
  evict: 'size',
  expire: 'expired',
  delete: 'explicit',
  set: 'replaced',
  // An entry dropped because the fetch meant to refresh it returned undefined or was aborted:
  // an invalidation, as Caffeine counts a refresh that yields null (RemovalCause.EXPLICIT).
  fetch: 'explicit',
};

function linkOf(cache: LruLike): Link | undefined {
  for (const hook of [cache.dispose, cache.disposeAfter, cache.onInsert, cache.fetchMethod, cache.memoMethod]) {
    if (typeof hook === 'function') {
      const l = links.get(hook);
      if (l) return l;
    }
  }
  return undefined;
}

function withStatus(o: LruOptions | undefined, st: LruStatus): LruOptions {
  return o === undefined ? { status: st } : o.status === st ? o : { ...o, status: st };
}

/**
 * Returns lru-cache constructor options whose hooks also record telemetry, keeping the caller's
 * own hooks working (they are called with the same arguments, after the count):
 *
 * - `dispose` (or the caller's `disposeAfter` when only that is given): `cache.evictions` by reason
 *   (`evict` → size, `expire` → expired, `delete` → explicit, `set` → replaced, `fetch` → explicit);
 * - `onInsert` (lru-cache 11.1 and later): `cache.puts` for every stored value, including values a
 *   fetch or memo stores;
 * - `fetchMethod` / `memoMethod`: each load under a `load {cache.name}` span that is a child of
 *   the `fetch`/`memo` span, timed for `cache.load.duration`.
 *
 * Use with {@link instrumentLruCache} on the constructed cache (same name) for requests and sizes.
 * Throws {@link CacheConfigError} for bad options.
 */
export function lruCacheOptions<O extends object>(options: O, telemetry: LruCacheInstrumentOptions): O {
  if (options === null || typeof options !== 'object') {
    throw new CacheConfigError(`lruCacheOptions: the lru-cache options must be an object, got ${describe(options)}`);
  }
  checkOptions(telemetry, 'lruCacheOptions');
  const given = options as Record<string, unknown>;
  for (const hook of ['dispose', 'disposeAfter', 'onInsert', 'fetchMethod', 'memoMethod']) {
    if (given[hook] !== undefined && typeof given[hook] !== 'function') {
      throw new CacheConfigError(`lruCacheOptions: ${hook} must be a function when given, got ${describe(given[hook])}`);
    }
  }
  const bound = bind(telemetry, CACHE_SYSTEM_NAME_VALUE_LRU_CACHE);
  const link: Link = { ...bound, name: telemetry.name };
  const { rec } = link;
  const out: Record<string, unknown> = { ...given };

  const countEviction = (reason: unknown): void => {
    const r = typeof reason === 'string' && Object.hasOwn(DISPOSE_REASONS, reason) ? DISPOSE_REASONS[reason] : undefined;
    if (r !== undefined) rec.eviction(r);
  };
  const userDispose = given.dispose as Method | undefined;
  const userDisposeAfter = given.disposeAfter as Method | undefined;
  if (userDispose === undefined && userDisposeAfter !== undefined) {
    out.disposeAfter = function (this: LruLike, value: unknown, key: unknown, reason: unknown): unknown {
      countEviction(reason);
      return userDisposeAfter.call(this, value, key, reason);
    };
    links.set(out.disposeAfter as object, link);
  } else {
    out.dispose = function (this: LruLike, value: unknown, key: unknown, reason: unknown): unknown {
      countEviction(reason);
      return userDispose?.call(this, value, key, reason);
    };
    links.set(out.dispose as object, link);
  }

  const userOnInsert = given.onInsert as Method | undefined;
  out.onInsert = function (this: LruLike, value: unknown, key: unknown, reason: unknown): unknown {
    if (reason === 'add' || reason === 'update' || reason === 'replace') rec.put(reason);
    return userOnInsert?.call(this, value, key, reason);
  };
  links.set(out.onInsert as object, link);

  const userFetch = given.fetchMethod as Method | undefined;
  if (userFetch !== undefined) {
    out.fetchMethod = function (this: LruLike, key: unknown, stale: unknown, fo: unknown): unknown {
      const parent = claimLoad(link, 'fetch', key);
      return rec.traceLoad(() => userFetch.call(this, key, stale, fo), parent);
    };
    links.set(out.fetchMethod as object, link);
  }
  const userMemo = given.memoMethod as Method | undefined;
  if (userMemo !== undefined) {
    out.memoMethod = function (this: LruLike, key: unknown, stale: unknown, mo: unknown): unknown {
      const parent = claimLoad(link, 'memo', key);
      return syncLoad(link, () => userMemo.call(this, key, stale, mo), parent);
    };
    links.set(out.memoMethod as object, link);
  }
  return out as O;
}

/**
 * Called by a wrapped loader: when it runs inside an instrumented fetch/memo of its own cache, opens
 * that call's span (from the call's start) and returns it as the load's parent.
 */
function claimLoad(link: Link, op: 'fetch' | 'memo', key: unknown): Context {
  const state = current;
  if (state !== undefined && state.link === link && state.op === op && state.key === key && !state.loaded) {
    state.loaded = true;
    try {
      state.span = openSpan(link, op, key, state.start, state.parent);
      return trace.setSpan(state.parent, state.span);
    } catch (err) {
      reportDrop('cache fetch span could not be started', err);
    }
  }
  return context.active();
}

/**
 * Instruments an existing lru-cache instance (10 or 11) in place and returns it. Its own `get`,
 * `peek`, `has`, `set`, `delete`, `clear`, `fetch`, `forceFetch` and `memo` are replaced by
 * recording versions (the prototype is untouched); instrumenting the same instance again is a
 * no-op. Sizes (`size`, `max`, `calculatedSize`, `maxSize`) are read at collection time.
 *
 * Without {@link lruCacheOptions}, evictions are inferred: a `set` that leaves fewer entries than
 * it should counts size evictions, a `delete`/`clear` explicit ones and a replacing `set` a
 * replaced one; expirations are not seen.
 *
 * Throws {@link CacheConfigError} when `cache` is not an lru-cache instance or an option is bad.
 */
export function instrumentLruCache<C extends object>(cache: C, options: LruCacheInstrumentOptions): C {
  checkMethods(cache, ['get', 'set', 'delete', 'has', 'peek', 'clear'], 'instrumentLruCache', 'an lru-cache LRUCache instance');
  checkOptions(options, 'instrumentLruCache');
  const c = cache as unknown as LruLike;
  if (typeof c.size !== 'number') {
    throw new CacheConfigError(`instrumentLruCache expects an lru-cache LRUCache instance; ${describe(cache)} has no numeric size`);
  }
  const link = linkOf(c);
  if (link !== undefined && link.name !== options.name) {
    throw new CacheConfigError(
      `instrumentLruCache: this cache was built with lruCacheOptions for "${link.name}", not "${options.name}"; use the same name`,
    );
  }
  if (!claim(cache, 'instrumentLruCache')) return cache;
  const b: Bound = link ?? bind(options, CACHE_SYSTEM_NAME_VALUE_LRU_CACHE);
  b.rec.addSizeSource(c, {
    entries: (x) => x.size,
    entryLimit: (x) => x.max || undefined,
    storage: (x) => (x.maxEntrySize ? x.calculatedSize : undefined),
    storageLimit: (x) => x.maxSize || undefined,
  });
  const evictionsByHook = link !== undefined && (links.get(c.dispose as object) === link || links.get(c.disposeAfter as object) === link);
  const putsByHook = link !== undefined && links.get(c.onInsert as object) === link;
  wrapAll(c, b, link, evictionsByHook, putsByHook);
  return cache;
}

function wrapAll(c: LruLike, b: Bound, link: Link | undefined, evictionsByHook: boolean, putsByHook: boolean): void {
  const { rec, t } = b;
  const timed = rec.timesOperations;
  const sampling = t.hitSpanRatio > 0;
  const full = timed || sampling;

  const origGet = c.get as Method;
  const origPeek = c.peek as Method;
  const origHas = c.has as Method;
  const origSet = c.set as Method;
  const origDelete = c.delete as Method;
  const origClear = c.clear as Method;

  const { failed, readDone, hotGet, has } = reporters(b, timed, sampling, (op) => op !== 'set' && op !== 'delete' && op !== 'clear');

  // ---- get / peek: status objects only when stale values can be served -------------------------
  const slowRead = (op: 'get' | 'peek', orig: Method, self: LruLike, k: unknown, o: LruOptions | undefined): unknown => {
    if (o !== undefined && o.status !== undefined && passing.has(o.status)) return orig.call(self, k, o);
    const start = full ? now() : 0;
    const staleable = o !== undefined || self.allowStale === true;
    const st: LruStatus | undefined = staleable ? (o?.status ?? {}) : undefined;
    let v: unknown;
    try {
      v = orig.call(self, k, st === undefined ? o : withStatus(o, st));
    } catch (err) {
      failed(op, k, err, start);
      throw err;
    }
    let result: CacheResult = v === undefined ? 'miss' : 'hit';
    if (result === 'hit' && st !== undefined && isStale(op, st, self, k, o)) result = 'stale';
    if (op === 'get') {
      if (result === 'hit') rec.hit();
      else if (result === 'miss') rec.miss();
      else rec.stale();
    } else rec.request(op, result);
    if (full) readDone(op, k, result, start);
    return v;
  };

  if (full) {
    replaceMethod(c, 'get', function get(this: LruLike, k: unknown, o?: LruOptions) {
      return slowRead('get', origGet, this, k, o);
    });
    replaceMethod(c, 'peek', function peek(this: LruLike, k: unknown, o?: LruOptions) {
      return slowRead('peek', origPeek, this, k, o);
    });
  } else {
    // The hot path: the original call, then one counter update.
    replaceMethod(c, 'get', hotGet<LruLike, LruOptions>(origGet, (self, k, o) => slowRead('get', origGet, self, k, o)));
    replaceMethod(c, 'peek', function peek(this: LruLike, k: unknown, o?: LruOptions) {
      if (o !== undefined || this.allowStale === true) return slowRead('peek', origPeek, this, k, o);
      let v: unknown;
      try {
        v = origPeek.call(this, k);
      } catch (err) {
        failed('peek', k, err, 0);
        throw err;
      }
      rec.request('peek', v !== undefined ? 'hit' : 'miss');
      return v;
    });
  }

  // ---- has: true/false is hit/miss (lru-cache never reports a stale entry as present) ------------
  replaceMethod(c, 'has', has(origHas));

  // ---- set: puts by lru-cache's own verdict; size evictions inferred without the dispose hook ----
  replaceMethod(c, 'set', function set(this: LruLike, k: unknown, v: unknown, o?: LruOptions) {
    if ((o !== undefined && o.status !== undefined && passing.has(o.status)) || isBackgroundFetch(v)) return origSet.call(this, k, v, o);
    const start = timed ? now() : 0;
    const st: LruStatus = o?.status ?? {};
    const before = this.size;
    let r: unknown;
    try {
      r = origSet.call(this, k, v, withStatus(o, st));
    } catch (err) {
      failed('set', k, err, start);
      throw err;
    }
    try {
      countPut(this, st.set, before, 1);
      if (timed) timeOp(b, 'set', undefined, start);
    } catch (err) {
      reportDrop('cache put could not be recorded', err);
    }
    return r;
  });

  const countPut = (self: LruLike, verdict: string | undefined, before: number, adds: number): void => {
    if (verdict === 'add' || verdict === 'update' || verdict === 'replace') {
      if (!putsByHook) rec.put(verdict);
      if (!evictionsByHook) {
        if (verdict === 'replace') rec.eviction('replaced');
        const evicted = before + (verdict === 'add' ? adds : 0) - self.size;
        if (evicted > 0) rec.eviction('size', evicted);
      }
    } else if (verdict === 'miss') {
      // Not stored (larger than maxEntrySize); an entry the key held is dropped.
      rec.put('rejected');
      if (!evictionsByHook && self.size < before) rec.eviction('replaced', before - self.size);
    }
  };

  // ---- delete / clear ------------------------------------------------------------------------------
  replaceMethod(c, 'delete', function del(this: LruLike, k: unknown) {
    const start = timed ? now() : 0;
    let r: boolean;
    try {
      r = origDelete.call(this, k);
    } catch (err) {
      failed('delete', k, err, start);
      throw err;
    }
    if (r && !evictionsByHook) rec.eviction('explicit');
    if (timed) timeOp(b, 'delete', undefined, start);
    return r;
  });
  replaceMethod(c, 'clear', function clear(this: LruLike) {
    const start = timed ? now() : 0;
    const before = this.size;
    let r: unknown;
    try {
      r = origClear.call(this);
    } catch (err) {
      failed('clear', undefined, err, start);
      throw err;
    }
    if (!evictionsByHook && before > 0) rec.eviction('explicit', before);
    if (timed) timeOp(b, 'clear', undefined, start);
    return r;
  });

  // ---- fetch / forceFetch -------------------------------------------------------------------------
  const wrapFetch = (orig: Method) =>
    function fetch(this: LruLike, k: unknown, o?: LruOptions): Promise<unknown> {
      if (o !== undefined && o.status !== undefined && passing.has(o.status)) return orig.call(this, k, o);
      const start = now();
      const parent = context.active();
      const own = o?.status === undefined;
      const st: LruStatus = o?.status ?? {};
      passing.add(st);
      const state: CallState = { link, op: 'fetch', key: k, start, parent, span: undefined, loaded: false };
      const prev = current;
      current = state;
      let p: Promise<unknown>;
      try {
        p = orig.call(this, k, withStatus(o, st));
      } catch (err) {
        current = prev;
        if (!own) passing.delete(st);
        if (state.span === undefined) failed('fetch', k, err, start);
        else {
          rec.request('fetch', 'error');
          closeSpan(b, state.span, 'error', err, true);
        }
        throw err;
      }
      current = prev;
      try {
        afterFetch(state, st, p, own);
      } catch (err) {
        reportDrop('cache fetch could not be recorded', err);
      }
      return p;
    };

  const afterFetch = (state: CallState, st: LruStatus, p: Promise<unknown>, own: boolean): void => {
    const kind = st.fetch;
    const returnedStale = st.returnedStale === true;
    let result: CacheResult;
    if (kind === 'hit') result = 'hit';
    else if (kind === 'get') result = st.get === 'hit' ? 'hit' : returnedStale ? 'stale' : 'miss';
    else result = returnedStale ? 'stale' : 'miss';
    rec.request('fetch', result);

    const loading = kind === 'miss' || kind === 'stale' || kind === 'refresh';
    let span = state.span;
    if (span === undefined && (result !== 'hit' || (sampling && rec.sampleHit()))) span = openSpan(b, 'fetch', state.key, state.start, state.parent);
    // Without a wrapped fetchMethod the load is timed from the dispatch (synchronous, at the call)
    // to the settling of the promise the caller waits on; a refresh behind a stale value is not seen.
    const timeLoad = loading && !state.loaded && st.fetchDispatched === true && !returnedStale;
    let extra: Attributes | undefined;
    if (kind === 'inflight') extra = { [ATTR_CACHE_COALESCED]: true };
    if (returnedStale) extra = { ...extra, [ATTR_CACHE_STALE]: true };
    const settle = (error: unknown, rejected: boolean): void => {
      try {
        const end = now();
        if (!own) passing.delete(st);
        if (timeLoad) {
          const failed = rejected || st.fetchRejected === true || st.fetchAborted === true;
          loadAfter(b, state.start, end, span === undefined ? state.parent : trace.setSpan(state.parent, span), failed, rejected ? error : st.fetchError);
        }
        if (st.fetchUpdated === true && loading) {
          let verdict = st.set as PutResult | 'miss' | undefined;
          if (kind === 'miss' && verdict === 'replace') verdict = 'add'; // lru-cache 10 reports its own placeholder as replaced
          if (verdict === 'miss') rec.put('rejected');
          else if (!putsByHook && (verdict === 'add' || verdict === 'update' || verdict === 'replace')) rec.put(verdict);
        }
        if (timed) timeOp(b, 'fetch', rejected ? 'error' : result, state.start, rejected ? error : undefined);
        if (span !== undefined) closeSpan(b, span, result, rejected ? error : undefined, true, extra, end);
      } catch (err) {
        reportDrop('cache fetch could not be recorded', err);
      }
    };
    p.then(
      () => settle(undefined, false),
      (err: unknown) => settle(err, true),
    );
  };

  if (typeof c.fetch === 'function') replaceMethod(c, 'fetch', wrapFetch(c.fetch as Method));
  if (typeof c.forceFetch === 'function') replaceMethod(c, 'forceFetch', wrapFetch(c.forceFetch as Method));

  // ---- memo ---------------------------------------------------------------------------------------
  if (typeof c.memo === 'function') {
    const origMemo = c.memo as Method;
    replaceMethod(c, 'memo', function memo(this: LruLike, k: unknown, o?: LruOptions) {
      if (o !== undefined && o.status !== undefined && passing.has(o.status)) return origMemo.call(this, k, o);
      const start = now();
      const parent = context.active();
      const own = o?.status === undefined;
      const st: LruStatus = o?.status ?? {};
      passing.add(st);
      const state: CallState = { link, op: 'memo', key: k, start, parent, span: undefined, loaded: false };
      const before = this.size;
      const prev = current;
      current = state;
      let v: unknown;
      let error: unknown;
      let threw = false;
      try {
        v = origMemo.call(this, k, withStatus(o, st));
      } catch (err) {
        threw = true;
        error = err;
      } finally {
        current = prev;
        if (!own) passing.delete(st);
      }
      try {
        afterMemo(this, state, st, o, v, threw, error, before);
      } catch (err) {
        reportDrop('cache memo could not be recorded', err);
      }
      if (threw) throw error;
      return v;
    });
  }

  const afterMemo = (
    self: LruLike,
    state: CallState,
    st: LruStatus,
    o: LruOptions | undefined,
    v: unknown,
    threw: boolean,
    error: unknown,
    before: number,
  ): void => {
    // A miss: a wrapped memoMethod ran; lru-cache 11 says so in `status.memo`; lru-cache 10 only
    // reports its inner get, so a miss is a forced refresh or a get that found nothing.
    const forced = o?.forceRefresh === true;
    let miss: boolean;
    if (state.loaded) miss = true;
    else if (st.memo !== undefined) miss = st.memo === 'miss';
    else if (st.get !== undefined) miss = forced || !(st.get === 'hit' || st.returnedStale === true);
    else miss = !threw;
    const result: CacheResult = threw && !miss ? 'error' : miss ? 'miss' : 'hit';
    rec.request('memo', result);
    const end = now();
    let span = state.span;
    if (span === undefined && (result !== 'hit' || (sampling && rec.sampleHit()))) span = openSpan(b, 'memo', state.key, state.start, state.parent);
    if (miss && !state.loaded) loadAfter(b, state.start, end, span === undefined ? state.parent : trace.setSpan(state.parent, span), threw, error);
    if (miss && !threw && v !== undefined && !putsByHook) {
      // lru-cache 10 reports the memo's write in the status; 11 does not: a memo miss adds the key
      // (absent, or stale and dropped), a forced refresh adds or replaces it.
      const verdict = (st.set as string | undefined) ?? (forced && self.size <= before ? 'replace' : 'add');
      countPut(self, verdict, before, 1);
    }
    if (timed) timeOp(b, 'memo', threw ? 'error' : result, state.start, threw ? error : undefined);
    if (span !== undefined) closeSpan(b, span, result, threw ? error : undefined, true, undefined, end);
  };
}

/** A read returned a stale value: lru-cache's `returnedStale` (get), or an expired TTL (peek reports no flag). */
function isStale(op: 'get' | 'peek', st: LruStatus, self: LruLike, k: unknown, o: LruOptions | undefined): boolean {
  if (op === 'get') return st.returnedStale === true;
  if ((o?.allowStale ?? self.allowStale) !== true || typeof self.getRemainingTTL !== 'function') return false;
  return self.getRemainingTTL(k) < 0;
}

/** lru-cache 10 stores its in-flight fetch promise through the public `set`; that is not a put. */
function isBackgroundFetch(v: unknown): boolean {
  return v instanceof Promise && Object.prototype.hasOwnProperty.call(v, '__abortController');
}
