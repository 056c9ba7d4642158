/**
 * Map-like stores: a `Map`, or any object with `get` and `set` (and optionally `has`, `delete`,
 * `clear`, `size`). {@link instrumentMap} replaces the instance's own methods; a `get` costs the
 * original call plus one counter update.
 */
import { CACHE_SYSTEM_NAME_VALUE_MEMORY } from '@driftwatch/semconv';
import { reportDrop } from './diag';
import { CacheConfigError } from './telemetry';
import { bind, checkMethods, checkOptions, claim, describe, now, replaceMethod, reporters, timeOp } from './wrap';
import type { CacheAdapterOptions } from './wrap';

/** Options of {@link instrumentMap}. */
export interface MapInstrumentOptions extends CacheAdapterOptions {
  /** `cache.system.name` (default `memory`). */
  system?: string;
  /**
   * Whether a value returned by `get` is a hit. Default: `value !== undefined` (a `Map` returns
   * `undefined` for an absent key, so a stored `undefined` counts as a miss).
   */
  isHit?: (value: unknown) => boolean;
  /** The store's entry limit, reported as `cache.entry.limit` (a `Map` has none). */
  entryLimit?: number;
}

interface MapLike {
  get(key: unknown): unknown;
  set(key: unknown, value: unknown): unknown;
  has?(key: unknown): boolean;
  delete?(key: unknown): boolean;
  clear?(): void;
  readonly size?: number;
}
type Method = (this: MapLike, ...args: any[]) => any;

/**
 * Instruments a Map-like store in place and returns it: `get` counts hits and misses, `has` hits
 * and misses, `set` puts (`add` when the key was absent, `replace` when present, decided by the
 * store's own `has` before the write; `add` when the store has no `has`) and size evictions (a
 * bounded store that does not grow on an add), `delete`/`clear` explicit evictions. Entries come
 * from `size` at collection time. Instrumenting the same store again is a no-op.
 *
 * Throws {@link CacheConfigError} when `store` has no `get`/`set` or an option is bad.
 */
export function instrumentMap<M extends object>(store: M, options: MapInstrumentOptions): M {
  checkMethods(store, ['get', 'set'], 'instrumentMap', 'a Map-like store (an object with get and set methods)');
  checkOptions(options, 'instrumentMap');
  const { system = CACHE_SYSTEM_NAME_VALUE_MEMORY, isHit, entryLimit } = options;
  if (typeof system !== 'string' || system.trim() === '') {
    throw new CacheConfigError(`instrumentMap: options.system must be a non-empty string when given, got ${describe(system)}`);
  }
  if (isHit !== undefined && typeof isHit !== 'function') {
    throw new CacheConfigError(`instrumentMap: options.isHit must be a function (value) => boolean when given, got ${describe(isHit)}`);
  }
  if (entryLimit !== undefined && (!Number.isInteger(entryLimit) || entryLimit < 1)) {
    throw new CacheConfigError(`instrumentMap: options.entryLimit must be a positive integer when given, got ${describe(entryLimit)}`);
  }
  for (const m of ['has', 'delete', 'clear']) {
    const f = (store as Record<string, unknown>)[m];
    if (f !== undefined && typeof f !== 'function') {
      throw new CacheConfigError(`instrumentMap: ${describe(store)} has a ${m} that is not a method (${describe(f)})`);
    }
  }
  if (!claim(store, 'instrumentMap')) return store;
  const s = store as unknown as MapLike;
  const b = bind(options, system);
  const { rec, t } = b;
  rec.addSizeSource(s, {
    entries: (x) => (typeof x.size === 'number' ? x.size : undefined),
    entryLimit: () => entryLimit,
  });

  const timed = rec.timesOperations;
  const sampling = t.hitSpanRatio > 0;
  const full = timed || sampling;
  const origGet = s.get as Method;
  const origSet = s.set as Method;
  const origHas = typeof s.has === 'function' ? (s.has as Method) : undefined;
  const origDelete = typeof s.delete === 'function' ? (s.delete as Method) : undefined;
  const origClear = typeof s.clear === 'function' ? (s.clear as Method) : undefined;

  const { failed, readDone, hotGet, has } = reporters(b, timed, sampling, (op) => op === 'get' || op === 'has');
  const hitOf = (v: unknown): boolean => {
    try {
      return isHit!(v) === true;
    } catch (err) {
      reportDrop('isHit threw; the read is counted as a miss', err);
      return false;
    }
  };

  if (!full && isHit === undefined) {
    // The hot path: the original call, then one counter update.
    replaceMethod(s, 'get', hotGet(origGet));
  } else {
    replaceMethod(s, 'get', function get(this: MapLike, k: unknown, ...rest: unknown[]) {
      const start = full ? now() : 0;
      let v: unknown;
      try {
        v = origGet.call(this, k, ...rest);
      } catch (err) {
        failed('get', k, err, start);
        throw err;
      }
      const hit = isHit === undefined ? v !== undefined : hitOf(v);
      if (hit) rec.hit();
      else rec.miss();
      if (full) readDone('get', k, hit ? 'hit' : 'miss', start);
      return v;
    });
  }

  replaceMethod(s, 'set', function set(this: MapLike, k: unknown, v: unknown, ...rest: unknown[]) {
    const start = timed ? now() : 0;
    let existed: boolean | undefined;
    if (origHas !== undefined) {
      try {
        existed = origHas.call(this, k) === true;
      } catch (err) {
        reportDrop('the store threw in has() before set(); the put is counted as add', err);
      }
    }
    const before = this.size;
    let r: unknown;
    try {
      r = origSet.call(this, k, v, ...rest);
    } catch (err) {
      failed('set', k, err, start);
      throw err;
    }
    try {
      rec.put(existed === true ? 'replace' : 'add');
      if (existed === false && typeof before === 'number' && typeof this.size === 'number') {
        const evicted = before + 1 - this.size;
        if (evicted > 0) rec.eviction('size', evicted);
      }
      if (timed) timeOp(b, 'set', undefined, start);
    } catch (err) {
      reportDrop('cache put could not be recorded', err);
    }
    return r;
  });

  if (origHas !== undefined) {
    replaceMethod(s, 'has', has(origHas));
  }

  if (origDelete !== undefined) {
    replaceMethod(s, 'delete', function del(this: MapLike, k: unknown, ...rest: unknown[]) {
      const start = timed ? now() : 0;
      const before = this.size;
      let r: unknown;
      try {
        r = origDelete.call(this, k, ...rest);
      } catch (err) {
        failed('delete', k, err, start);
        throw err;
      }
      // A store whose delete returns nothing useful is judged by its size.
      const removed = typeof r === 'boolean' ? (r ? 1 : 0) : typeof before === 'number' && typeof this.size === 'number' ? before - this.size : 0;
      if (removed > 0) rec.eviction('explicit', removed);
      if (timed) timeOp(b, 'delete', undefined, start);
      return r;
    });
  }

  if (origClear !== undefined) {
    replaceMethod(s, 'clear', function clear(this: MapLike, ...rest: unknown[]) {
      const start = timed ? now() : 0;
      const before = this.size;
      let r: unknown;
      try {
        r = origClear.call(this, ...rest);
      } catch (err) {
        failed('clear', undefined, err, start);
        throw err;
      }
      if (typeof before === 'number' && before > 0) rec.eviction('explicit', before - (typeof this.size === 'number' ? this.size : 0));
      if (timed) timeOp(b, 'clear', undefined, start);
      return r;
    });
  }
  return store;
}
