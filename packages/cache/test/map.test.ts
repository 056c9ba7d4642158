// Map-like stores: a real Map, a bounded custom store, a store that answers null, a store whose
// methods throw, and the options.
import { SpanStatusCode } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { getDropCounts } from '../src/diag';
import { instrumentMap } from '../src/map';
import { CacheConfigError } from '../src/telemetry';
import { base, useHarness } from './harness';

const harness = useHarness();
const B = base('sessions', 'memory');
const req = (operation: string, result: string, value: number, b = B) => ({ attributes: { ...b, 'cache.operation': operation, 'cache.result': result }, value });
const put = (result: string, value: number, b = B) => ({ attributes: { ...b, 'cache.put.result': result }, value });
const evict = (reason: string, value: number, b = B) => ({ attributes: { ...b, 'cache.eviction.reason': reason }, value });

/** A bounded store that drops its oldest entry on an add at capacity (like many LRU maps do). */
class BoundedStore<K, V> {
  readonly #m = new Map<K, V>();
  constructor(readonly max: number) {}
  get size(): number {
    return this.#m.size;
  }
  get(k: K): V | undefined {
    return this.#m.get(k);
  }
  has(k: K): boolean {
    return this.#m.has(k);
  }
  set(k: K, v: V): this {
    if (!this.#m.has(k) && this.#m.size >= this.max) this.#m.delete(this.#m.keys().next().value as K);
    this.#m.set(k, v);
    return this;
  }
  delete(k: K): boolean {
    return this.#m.delete(k);
  }
  clear(): void {
    this.#m.clear();
  }
}

describe('instrumentMap', () => {
  it('counts a Map’s reads, puts, deletes and clears, and reports its size', async () => {
    const h = harness();
    const m = instrumentMap(new Map<string, number>(), { name: 'sessions', ...h.opts });
    m.set('a', 1).set('b', 2).set('a', 10);
    expect(m.get('a')).toBe(10);
    expect(m.get('b')).toBe(2);
    expect(m.get('zz')).toBeUndefined();
    expect(m.has('a')).toBe(true);
    expect(m.has('zz')).toBe(false);
    expect(await h.points('cache.entry.count')).toEqual([{ attributes: B, value: 2 }]);
    expect(m.delete('a')).toBe(true);
    expect(m.delete('a')).toBe(false);
    m.set('c', 3);
    m.clear();
    expect(m.size).toBe(0);
    expect(await h.points('cache.requests')).toEqual([req('get', 'hit', 2), req('get', 'miss', 1), req('has', 'hit', 1), req('has', 'miss', 1)]);
    expect(await h.points('cache.puts')).toEqual([put('add', 3), put('replace', 1)]);
    expect(await h.points('cache.evictions')).toEqual([evict('explicit', 3)]);
    expect(await h.points('cache.entry.count')).toEqual([{ attributes: B, value: 0 }]);
    expect(await h.points('cache.entry.limit')).toEqual([]);
    expect(h.spans()).toEqual([]);
    expect(m instanceof Map).toBe(true);
    expect(Object.keys(m)).toEqual([]);
  });

  it('counts size evictions of a bounded store that does not grow on an add', async () => {
    const h = harness();
    const store = instrumentMap(new BoundedStore<string, number>(2), { name: 'sessions', ...h.opts, entryLimit: 2 });
    store.set('a', 1);
    store.set('b', 2);
    store.set('c', 3);
    store.set('c', 4);
    expect(store.get('a')).toBeUndefined();
    expect(await h.points('cache.evictions')).toEqual([evict('size', 1)]);
    expect(await h.points('cache.puts')).toEqual([put('add', 3), put('replace', 1)]);
    expect(await h.points('cache.entry.count')).toEqual([{ attributes: B, value: 2 }]);
    expect(await h.points('cache.entry.limit')).toEqual([{ attributes: B, value: 2 }]);
  });

  it('judges hits with isHit and names the system with system', async () => {
    const h = harness();
    const rows = new Map<string, string>([['a', 'x']]);
    const store = {
      get: (k: string) => rows.get(k) ?? null,
      set: (k: string, v: string) => void rows.set(k, v),
    };
    instrumentMap(store, { name: 'sessions', system: 'sqlite-kv', isHit: (v) => v !== null, ...h.opts });
    expect(store.get('a')).toBe('x');
    expect(store.get('b')).toBeNull();
    store.set('b', 'y');
    const b = base('sessions', 'sqlite-kv');
    expect(await h.points('cache.requests')).toEqual([req('get', 'hit', 1, b), req('get', 'miss', 1, b)]);
    // No has(): a put cannot be told apart from a replacement and counts as add; no size: no entries.
    expect(await h.points('cache.puts')).toEqual([put('add', 1, b)]);
    expect(await h.points('cache.entry.count')).toEqual([]);
  });

  it('counts a read as a miss when isHit throws, with a counted diag drop', async () => {
    const h = harness();
    const m = instrumentMap(new Map([['a', 1]]), {
      name: 'sessions',
      ...h.opts,
      isHit: () => {
        throw new Error('judge broke');
      },
    });
    expect(m.get('a')).toBe(1);
    expect(m.get('a')).toBe(1);
    expect(await h.points('cache.requests')).toEqual([req('get', 'miss', 2)]);
    expect(getDropCounts().get('isHit threw; the read is counted as a miss')).toBe(2);
  });

  it('passes a throwing store’s errors to the caller unchanged and counts each as an error', async () => {
    const h = harness();
    class StoreError extends Error {
      override name = 'StoreError';
    }
    const errors = {
      get: new StoreError('get failed'),
      set: new StoreError('set failed'),
      has: new StoreError('has failed'),
      delete: new StoreError('delete failed'),
      clear: new StoreError('clear failed'),
    };
    const store = {
      get: () => {
        throw errors.get;
      },
      set: () => {
        throw errors.set;
      },
      has: () => {
        throw errors.has;
      },
      delete: () => {
        throw errors.delete;
      },
      clear: () => {
        throw errors.clear;
      },
    };
    instrumentMap(store, { name: 'sessions', ...h.opts });
    const thrown = (fn: () => unknown): unknown => {
      try {
        fn();
      } catch (err) {
        return err;
      }
      return undefined;
    };
    expect(thrown(() => store.get())).toBe(errors.get);
    expect(thrown(() => store.set())).toBe(errors.set);
    expect(thrown(() => store.has())).toBe(errors.has);
    expect(thrown(() => store.delete())).toBe(errors.delete);
    expect(thrown(() => store.clear())).toBe(errors.clear);
    expect(await h.points('cache.requests')).toEqual([
      req('clear', 'error', 1),
      req('delete', 'error', 1),
      req('get', 'error', 1),
      req('has', 'error', 1),
      req('set', 'error', 1),
    ]);
    expect(await h.points('cache.puts')).toEqual([]);
    const spans = h.spans().map((s) => [s.name, s.attributes, s.status]);
    expect(spans).toEqual([
      ['get sessions', { ...B, 'cache.operation': 'get', 'cache.result': 'error', 'error.type': 'StoreError' }, { code: SpanStatusCode.ERROR, message: 'get failed' }],
      ['set sessions', { ...B, 'cache.operation': 'set', 'cache.result': 'error', 'error.type': 'StoreError' }, { code: SpanStatusCode.ERROR, message: 'set failed' }],
      ['has sessions', { ...B, 'cache.operation': 'has', 'cache.result': 'error', 'error.type': 'StoreError' }, { code: SpanStatusCode.ERROR, message: 'has failed' }],
      ['delete sessions', { ...B, 'cache.operation': 'delete', 'cache.result': 'error', 'error.type': 'StoreError' }, { code: SpanStatusCode.ERROR, message: 'delete failed' }],
      ['clear sessions', { ...B, 'cache.operation': 'clear', 'cache.result': 'error', 'error.type': 'StoreError' }, { code: SpanStatusCode.ERROR, message: 'clear failed' }],
    ]);
    // A has() that throws before a set is our own probe: the set still runs (and throws its own error).
    expect(getDropCounts().get('the store threw in has() before set(); the put is counted as add')).toBe(1);
  });

  it('gives every second hit a span under hitSpanRatio 0.5 and times operations on request', async () => {
    const h = harness();
    const m = instrumentMap(new Map([['a', 1]]), { name: 'sessions', ...h.opts, hitSpanRatio: 0.5, memoryOperationDuration: true });
    for (let i = 0; i < 4; i++) m.get('a');
    m.get('nope');
    expect(h.spans().map((s) => [s.name, s.attributes])).toEqual([
      ['get sessions', { ...B, 'cache.operation': 'get', 'cache.result': 'hit', 'cache.hit': true }],
      ['get sessions', { ...B, 'cache.operation': 'get', 'cache.result': 'hit', 'cache.hit': true }],
    ]);
    const durations = await h.histogram('cache.operation.duration');
    expect(durations.map((p) => [p.attributes, p.count])).toEqual([
      [{ ...B, 'cache.operation': 'get', 'cache.result': 'hit' }, 4],
      [{ ...B, 'cache.operation': 'get', 'cache.result': 'miss' }, 1],
    ]);
  });

  it('instruments a store once', async () => {
    const h = harness();
    const m = new Map([['a', 1]]);
    instrumentMap(m, { name: 'sessions', ...h.opts });
    instrumentMap(m, { name: 'sessions', ...h.opts });
    m.get('a');
    expect(await h.points('cache.requests')).toEqual([req('get', 'hit', 1)]);
  });

  it('refuses what is not a Map-like store, and bad options, with a clear CacheConfigError', () => {
    expect(() => instrumentMap({ get: () => 1 }, { name: 'x' })).toThrow(
      new CacheConfigError('instrumentMap expects a Map-like store (an object with get and set methods); an object has no set()'),
    );
    expect(() => instrumentMap('map' as unknown as object, { name: 'x' })).toThrow(
      'instrumentMap expects a Map-like store (an object with get and set methods), got string "map"',
    );
    expect(() => instrumentMap(new Map(), { name: 'x', isHit: true as never })).toThrow(
      'instrumentMap: options.isHit must be a function (value) => boolean when given, got boolean true',
    );
    expect(() => instrumentMap(new Map(), { name: 'x', entryLimit: 0 })).toThrow('instrumentMap: options.entryLimit must be a positive integer when given, got number 0');
    expect(() => instrumentMap(new Map(), { name: 'x', system: '' })).toThrow('instrumentMap: options.system must be a non-empty string when given, got string ""');
    expect(() => instrumentMap(new Map(), { name: 'x', tier: '' })).toThrow('instrumentMap: options.tier must be a non-empty string when given, got string ""');
    expect(() => instrumentMap({ get() {}, set() {}, delete: 4 }, { name: 'x' })).toThrow('instrumentMap: an object has a delete that is not a method (number 4)');
    expect(() => instrumentMap(new Map(), { name: 'x', captureKeys: 'plain' as never })).toThrow(
      "captureKeys must be 'hash' or a function (key) => string | undefined, got plain",
    );
  });

  it('carries cache.tier on every series of a tier', async () => {
    const h = harness();
    const m = instrumentMap(new Map([['a', 1]]), { name: 'sessions', tier: 'l1', ...h.opts });
    m.get('a');
    expect(await h.points('cache.requests')).toEqual([req('get', 'hit', 1, { ...B, 'cache.tier': 'l1' })]);
  });
});
