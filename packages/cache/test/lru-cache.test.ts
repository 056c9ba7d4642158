// lru-cache 11 and 10, real instances: requests, puts, evictions by reason, sizes, stale reads,
// fetch/memo spans and loads, coalescing, sampled hits, key capture and bad input.
import { SpanStatusCode, context, trace } from '@opentelemetry/api';
import { LRUCache as LRU11 } from 'lru-cache';
import { LRUCache as LRU10 } from 'lru-cache-v10';
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { instrumentLruCache, lruCacheOptions } from '../src/lru-cache';
import { CacheConfigError } from '../src/telemetry';
import { base, createHarness, sleep, useHarness } from './harness';

type Ctor = new (options: any) => any;
const versions: Array<[string, Ctor, 11 | 10]> = [
  ['lru-cache 11', LRU11 as unknown as Ctor, 11],
  ['lru-cache 10', LRU10 as unknown as Ctor, 10],
];

const harness = useHarness();
const B = base('users', 'lru-cache');
const req = (operation: string, result: string, value: number) => ({ attributes: { ...B, 'cache.operation': operation, 'cache.result': result }, value });
const put = (result: string, value: number) => ({ attributes: { ...B, 'cache.put.result': result }, value });
const evict = (reason: string, value: number) => ({ attributes: { ...B, 'cache.eviction.reason': reason }, value });

afterEach(() => {
  vi.restoreAllMocks();
});

/** Drives `performance.now()` (the adapter, core and span clocks) from a number the test moves. */
function fakeClock(startMs = 1_000): { advance(ms: number): void } {
  let t = startMs;
  vi.spyOn(performance, 'now').mockImplementation(() => t);
  return {
    advance: (ms: number) => {
      t += ms;
    },
  };
}

describe.each(versions)('%s', (_label, LRUCache, major) => {
  it('counts get hits and misses with no span and no status object on the plain path', async () => {
    const h = harness();
    const cache = instrumentLruCache(new LRUCache({ max: 10 }), { name: 'users', ...h.opts });
    cache.set('a', 1);
    cache.set('b', 2);
    expect(cache.get('a')).toBe(1);
    expect(cache.get('b')).toBe(2);
    expect(cache.get('a')).toBe(1);
    expect(cache.get('zz')).toBeUndefined();
    expect(cache.peek('a')).toBe(1);
    expect(cache.peek('zz')).toBeUndefined();
    expect(cache.has('b')).toBe(true);
    expect(cache.has('zz')).toBe(false);
    expect(await h.points('cache.requests')).toEqual([
      req('get', 'hit', 3),
      req('get', 'miss', 1),
      req('has', 'hit', 1),
      req('has', 'miss', 1),
      req('peek', 'hit', 1),
      req('peek', 'miss', 1),
    ]);
    expect(await h.points('cache.puts')).toEqual([put('add', 2)]);
    expect(h.spans()).toEqual([]);
    expect(await h.histogram('cache.operation.duration')).toEqual([]);
  });

  it('leaves the prototype alone and instruments an instance once', async () => {
    const h = harness();
    const cache = new LRUCache({ max: 10 });
    const other = new LRUCache({ max: 10 });
    instrumentLruCache(cache, { name: 'users', ...h.opts });
    instrumentLruCache(cache, { name: 'users', ...h.opts });
    cache.set('a', 1);
    cache.get('a');
    other.set('a', 1);
    other.get('a');
    expect(Object.keys(cache)).not.toContain('get');
    expect(Object.getPrototypeOf(cache).get).toBe(Object.getPrototypeOf(other).get);
    expect(await h.points('cache.requests')).toEqual([req('get', 'hit', 1)]);
  });

  it('counts puts by result: add, update, replace and rejected (larger than maxEntrySize)', async () => {
    const h = harness();
    const cache = instrumentLruCache(new LRUCache({ max: 10, maxSize: 100, maxEntrySize: 10, sizeCalculation: (v: string) => v.length }), {
      name: 'users',
      ...h.opts,
    });
    cache.set('a', 'x');
    cache.set('a', 'x');
    cache.set('a', 'yy');
    cache.set('b', 'z'.repeat(11));
    expect(cache.has('b')).toBe(false);
    expect(await h.points('cache.puts')).toEqual([put('add', 1), put('rejected', 1), put('replace', 1), put('update', 1)]);
  });

  it('counts evictions by reason through lruCacheOptions, keeping the caller’s dispose hook', async () => {
    const h = harness();
    const disposed: unknown[][] = [];
    const cache = new LRUCache(
      lruCacheOptions({ max: 2, dispose: (v: unknown, k: unknown, r: unknown) => disposed.push([v, k, r]) }, { name: 'users', ...h.opts }),
    );
    instrumentLruCache(cache, { name: 'users', ...h.opts });
    cache.set('a', 1);
    cache.set('b', 2);
    cache.set('c', 3); // evicts a (size)
    cache.set('b', 20); // replaces b
    cache.delete('c'); // explicit
    expect(disposed).toEqual([
      [1, 'a', 'evict'],
      [2, 'b', 'set'],
      [3, 'c', 'delete'],
    ]);
    expect(await h.points('cache.evictions')).toEqual([evict('explicit', 1), evict('replaced', 1), evict('size', 1)]);
    // Puts come from onInsert on lru-cache 11 and from set's status on 10: the same counts.
    expect(await h.points('cache.puts')).toEqual([put('add', 3), put('replace', 1)]);
  });

  it('keeps a caller’s disposeAfter working and counts through it', async () => {
    const h = harness();
    const after: unknown[] = [];
    const cache = new LRUCache(lruCacheOptions({ max: 1, disposeAfter: (_v: unknown, k: unknown) => after.push(k) }, { name: 'users', ...h.opts }));
    cache.set('a', 1);
    cache.set('b', 2);
    cache.clear();
    expect(after).toEqual(['a', 'b']);
    expect(await h.points('cache.evictions')).toEqual([evict('explicit', 1), evict('size', 1)]);
  });

  it('counts expirations through the dispose hook', async () => {
    const h = harness();
    let clock = 1_000;
    const options: Record<string, unknown> = { max: 10, ttl: 50 };
    if (major === 11) Object.assign(options, { perf: { now: () => clock }, ttlResolution: 0 });
    const cache = new LRUCache(lruCacheOptions(options, { name: 'users', ...h.opts }));
    instrumentLruCache(cache, { name: 'users', ...h.opts });
    cache.set('a', 1);
    if (major === 11) clock += 100;
    else await sleep(120);
    expect(cache.get('a')).toBeUndefined();
    expect(await h.points('cache.evictions')).toEqual([evict('expired', 1)]);
    expect(await h.points('cache.requests')).toEqual([req('get', 'miss', 1)]);
  });

  it('infers size evictions without lruCacheOptions, counts deletes, clears and replacements, and misses expirations', async () => {
    const h = harness();
    const cache = instrumentLruCache(new LRUCache({ max: 2, ttl: 30 }), { name: 'users', ...h.opts });
    cache.set('a', 1);
    cache.set('b', 2);
    cache.set('c', 3); // size
    cache.set('b', 20); // replaced
    cache.delete('b'); // explicit
    cache.delete('nope');
    cache.set('d', 4);
    cache.clear(); // 2 explicit
    cache.set('e', 5);
    await sleep(80);
    expect(cache.get('e')).toBeUndefined(); // expired: not seen without the dispose hook
    expect(await h.points('cache.evictions')).toEqual([evict('explicit', 3), evict('replaced', 1), evict('size', 1)]);
  });

  it('infers several size evictions when one add pushes out several entries (maxSize)', async () => {
    const h = harness();
    const cache = instrumentLruCache(new LRUCache({ maxSize: 10, sizeCalculation: (v: string) => v.length }), { name: 'users', ...h.opts });
    cache.set('a', 'xxx');
    cache.set('b', 'xxx');
    cache.set('c', 'xxx');
    cache.set('d', 'x'.repeat(9)); // needs 9 of 10: evicts a, b, c
    expect(cache.size).toBe(1);
    expect(await h.points('cache.evictions')).toEqual([evict('size', 3)]);
  });

  it('reports entry count and limit, storage usage and limit', async () => {
    const h = harness();
    const cache = instrumentLruCache(new LRUCache({ max: 50, maxSize: 1000, sizeCalculation: (v: string) => v.length }), {
      name: 'users',
      ...h.opts,
    });
    cache.set('a', 'x'.repeat(10));
    cache.set('b', 'x'.repeat(32));
    expect(await h.points('cache.entry.count')).toEqual([{ attributes: B, value: 2 }]);
    expect(await h.points('cache.entry.limit')).toEqual([{ attributes: B, value: 50 }]);
    expect(await h.points('cache.storage.usage')).toEqual([{ attributes: B, value: 42 }]);
    expect(await h.points('cache.storage.limit')).toEqual([{ attributes: B, value: 1000 }]);
    cache.clear();
    expect(await h.points('cache.entry.count')).toEqual([{ attributes: B, value: 0 }]);
    expect(await h.points('cache.storage.usage')).toEqual([{ attributes: B, value: 0 }]);
  });

  it('reports no storage for a cache without size tracking', async () => {
    const h = harness();
    instrumentLruCache(new LRUCache({ max: 5 }), { name: 'users', ...h.opts });
    expect(await h.points('cache.entry.count')).toEqual([{ attributes: B, value: 0 }]);
    expect(await h.points('cache.entry.limit')).toEqual([{ attributes: B, value: 5 }]);
    expect(await h.points('cache.storage.usage')).toEqual([]);
    expect(await h.points('cache.storage.limit')).toEqual([]);
  });

  it('counts stale reads when the cache allows stale values or the caller asks for them', async () => {
    const h = harness();
    const staleCache = instrumentLruCache(new LRUCache({ max: 10, ttl: 100, allowStale: true, noDeleteOnStaleGet: true }), { name: 'users', ...h.opts });
    staleCache.set('a', 1);
    expect(staleCache.get('a')).toBe(1);
    await sleep(200);
    expect(staleCache.get('a')).toBe(1);
    expect(staleCache.peek('a')).toBe(1);
    expect(await h.points('cache.requests')).toEqual([req('get', 'hit', 1), req('get', 'stale', 1), req('peek', 'stale', 1)]);

  });

  it('counts a stale value the caller asked for with options, leaving the caller’s options object alone', async () => {
    const h = harness();
    const cache = instrumentLruCache(new LRUCache({ max: 10, ttl: 100 }), { name: 'users', ...h.opts });
    cache.set('a', 1);
    cache.set('b', 2);
    await sleep(200);
    const options = { allowStale: true, noDeleteOnStaleGet: true };
    expect(cache.get('a', options)).toBe(1);
    expect(options).toEqual({ allowStale: true, noDeleteOnStaleGet: true });
    expect(cache.get('b')).toBeUndefined(); // stale, not served: a miss
    const status: Record<string, unknown> = {};
    expect(cache.get('a', { allowStale: true, status })).toBe(1);
    expect(status.get).toBe('stale'); // the caller's own status object is filled as usual
    expect(await h.points('cache.requests')).toEqual([req('get', 'miss', 1), req('get', 'stale', 2)]);
  });

  it('records a fetch miss: a fetch span, a child load span that parents the loader’s spans, a load duration, a put', async () => {
    const h = harness();
    const tracer = h.tracerProvider.getTracer('app');
    const clock = fakeClock();
    const cache = new LRUCache(
      lruCacheOptions(
        {
          max: 10,
          fetchMethod: async (key: string) => {
            const inner = tracer.startSpan('db query');
            clock.advance(50);
            await sleep(1);
            inner.end();
            return `v:${key}`;
          },
        },
        { name: 'users', ...h.opts },
      ),
    );
    instrumentLruCache(cache, { name: 'users', ...h.opts });
    const root = tracer.startSpan('request');
    await context.with(trace.setSpan(context.active(), root), async () => {
      expect(await cache.fetch('a')).toBe('v:a');
    });
    root.end();
    const fetchSpan = h.span('fetch users');
    const load = h.span('load users');
    const inner = h.span('db query');
    expect(fetchSpan.attributes).toEqual({ ...B, 'cache.operation': 'fetch', 'cache.result': 'miss', 'cache.hit': false });
    expect(load.attributes).toEqual({ ...B, 'cache.load.result': 'success' });
    expect(fetchSpan.parentSpanContext?.spanId).toBe(root.spanContext().spanId);
    expect(load.parentSpanContext?.spanId).toBe(fetchSpan.spanContext().spanId);
    expect(inner.parentSpanContext?.spanId).toBe(load.spanContext().spanId);
    expect(fetchSpan.status.code).toBe(SpanStatusCode.UNSET);
    expect(await h.histogram('cache.load.duration')).toEqual([{ attributes: { ...B, 'cache.load.result': 'success' }, count: 1, sum: 0.05 }]);
    expect(await h.points('cache.requests')).toEqual([req('fetch', 'miss', 1)]);
    expect(await h.points('cache.puts')).toEqual([put('add', 1)]);

    // Hits: no span, each adds the average load time (0.05 s) to cache.saved.time.
    expect(await cache.fetch('a')).toBe('v:a');
    expect(cache.get('a')).toBe('v:a');
    expect(cache.get('a')).toBe('v:a');
    expect(h.spans().filter((s) => s.name === 'fetch users')).toHaveLength(1);
    expect(await h.points('cache.requests')).toEqual([req('fetch', 'hit', 1), req('fetch', 'miss', 1), req('get', 'hit', 2)]);
    const saved = await h.points('cache.saved.time');
    expect(saved).toHaveLength(1);
    expect(saved[0]!.attributes).toEqual(B);
    expect(saved[0]!.value).toBeCloseTo(0.15, 10);
  });

  it('records a fetch without lruCacheOptions: the load is timed from dispatch to settlement', async () => {
    const h = harness();
    const clock = fakeClock();
    const cache = instrumentLruCache(
      new LRUCache({
        max: 10,
        fetchMethod: async (key: string) => {
          clock.advance(20);
          return key.toUpperCase();
        },
      }),
      { name: 'users', ...h.opts },
    );
    expect(await cache.fetch('a')).toBe('A');
    expect(h.span('fetch users').attributes).toEqual({ ...B, 'cache.operation': 'fetch', 'cache.result': 'miss', 'cache.hit': false });
    const load = h.span('load users');
    expect(load.attributes).toEqual({ ...B, 'cache.load.result': 'success' });
    expect(load.parentSpanContext?.spanId).toBe(h.span('fetch users').spanContext().spanId);
    expect(await h.histogram('cache.load.duration')).toEqual([{ attributes: { ...B, 'cache.load.result': 'success' }, count: 1, sum: 0.02 }]);
    expect(await h.points('cache.puts')).toEqual([put('add', 1)]);
    expect(cache.get('a')).toBe('A');
    expect(await h.points('cache.saved.time')).toEqual([{ attributes: B, value: 0.02 }]);
  });

  it('records a failing fetch: the host gets the same error, the spans carry error.type, the load fails', async () => {
    for (const linked of [true, false]) {
      const h = createHarness();
      class LoaderError extends Error {
        override name = 'LoaderError';
      }
      const boom = new LoaderError('backend down');
      const options = { max: 10, fetchMethod: async () => Promise.reject(boom) };
      const cache = new LRUCache(linked ? lruCacheOptions(options, { name: 'users', ...h.opts }) : options);
      instrumentLruCache(cache, { name: 'users', ...h.opts });
      await expect(cache.fetch('a')).rejects.toBe(boom);
      const fetchSpan = h.span('fetch users');
      expect(fetchSpan.attributes).toEqual({ ...B, 'cache.operation': 'fetch', 'cache.result': 'miss', 'cache.hit': false, 'error.type': 'LoaderError' });
      expect(fetchSpan.status).toEqual({ code: SpanStatusCode.ERROR, message: 'backend down' });
      const load = h.span('load users');
      expect(load.attributes).toEqual({ ...B, 'cache.load.result': 'failure', 'error.type': 'LoaderError' });
      expect(load.status.code).toBe(SpanStatusCode.ERROR);
      const loads = await h.histogram('cache.load.duration');
      expect(loads.map((p) => [p.attributes, p.count])).toEqual([[{ ...B, 'cache.load.result': 'failure' }, 1]]);
      expect(await h.points('cache.requests')).toEqual([req('fetch', 'miss', 1)]);
      expect(await h.points('cache.puts')).toEqual([]);
    }
  });

  it('marks a fetch that joins a load in flight as coalesced (a miss, not a second load)', async () => {
    const h = harness();
    let calls = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const cache = new LRUCache(
      lruCacheOptions(
        {
          max: 10,
          fetchMethod: async (key: string) => {
            calls++;
            await gate;
            return `v:${key}`;
          },
        },
        { name: 'users', ...h.opts },
      ),
    );
    instrumentLruCache(cache, { name: 'users', ...h.opts });
    const first = cache.fetch('a');
    const second = cache.fetch('a');
    release();
    expect(await Promise.all([first, second])).toEqual(['v:a', 'v:a']);
    expect(calls).toBe(1);
    const spans = h.spans().filter((s) => s.name === 'fetch users');
    expect(spans.map((s) => s.attributes)).toEqual([
      { ...B, 'cache.operation': 'fetch', 'cache.result': 'miss', 'cache.hit': false },
      { ...B, 'cache.operation': 'fetch', 'cache.result': 'miss', 'cache.hit': false, 'cache.coalesced': true },
    ]);
    expect(h.spans().filter((s) => s.name === 'load users')).toHaveLength(1);
    expect(await h.points('cache.requests')).toEqual([req('fetch', 'miss', 2)]);
    expect((await h.histogram('cache.load.duration'))[0]!.count).toBe(1);
  });

  it('serves a stale value from fetch while refreshing: cache.stale on the span, result stale', async () => {
    const h = harness();
    let clock = 1_000;
    let n = 0;
    const options: Record<string, unknown> = { max: 10, ttl: 50, allowStale: true, fetchMethod: async () => `v${++n}` };
    if (major === 11) Object.assign(options, { perf: { now: () => clock }, ttlResolution: 0 });
    const cache = new LRUCache(lruCacheOptions(options, { name: 'users', ...h.opts }));
    instrumentLruCache(cache, { name: 'users', ...h.opts });
    expect(await cache.fetch('a')).toBe('v1');
    if (major === 11) clock += 100;
    else await sleep(120);
    expect(await cache.fetch('a')).toBe('v1');
    await sleep(5);
    expect(cache.peek('a', { allowStale: false })).toBe('v2');
    const spans = h.spans().filter((s) => s.name === 'fetch users');
    expect(spans.map((s) => s.attributes)).toEqual([
      { ...B, 'cache.operation': 'fetch', 'cache.result': 'miss', 'cache.hit': false },
      { ...B, 'cache.operation': 'fetch', 'cache.result': 'stale', 'cache.hit': true, 'cache.stale': true },
    ]);
    expect(h.spans().filter((s) => s.name === 'load users')).toHaveLength(2);
    expect(await h.points('cache.requests')).toEqual([req('fetch', 'miss', 1), req('fetch', 'stale', 1), req('peek', 'hit', 1)]);
  });

  it('gives every second hit a span under hitSpanRatio 0.5', async () => {
    const h = harness();
    const cache = new LRUCache(lruCacheOptions({ max: 10, fetchMethod: async (k: string) => k }, { name: 'users', ...h.opts, hitSpanRatio: 0.5 }));
    instrumentLruCache(cache, { name: 'users', ...h.opts, hitSpanRatio: 0.5 });
    await cache.fetch('a');
    for (let i = 0; i < 4; i++) await cache.fetch('a');
    for (let i = 0; i < 4; i++) cache.get('a');
    const hitSpans = h.spans().filter((s) => s.attributes['cache.result'] === 'hit');
    expect(hitSpans.map((s) => [s.name, s.attributes])).toEqual([
      ['fetch users', { ...B, 'cache.operation': 'fetch', 'cache.result': 'hit', 'cache.hit': true }],
      ['fetch users', { ...B, 'cache.operation': 'fetch', 'cache.result': 'hit', 'cache.hit': true }],
      ['get users', { ...B, 'cache.operation': 'get', 'cache.result': 'hit', 'cache.hit': true }],
      ['get users', { ...B, 'cache.operation': 'get', 'cache.result': 'hit', 'cache.hit': true }],
    ]);
    expect(await h.points('cache.requests')).toEqual([req('fetch', 'hit', 4), req('fetch', 'miss', 1), req('get', 'hit', 4)]);
  });

  it('records no key by default, a 16-hex SHA-256 prefix with captureKeys "hash", the redacted form with a function', async () => {
    const spanKey = async (captureKeys?: 'hash' | ((k: unknown) => string | undefined)) => {
      const h = createHarness();
      const cache = new LRUCache({ max: 10, fetchMethod: async (k: string) => k });
      instrumentLruCache(cache, { name: 'users', ...h.opts, ...(captureKeys ? { captureKeys } : {}) });
      await cache.fetch('user:42');
      return h.span('fetch users').attributes['cache.key'];
    };
    expect(await spanKey()).toBeUndefined();
    expect(await spanKey('hash')).toBe(createHash('sha256').update('user:42').digest('hex').slice(0, 16));
    expect(await spanKey((k) => String(k).replace(/\d+/g, '*'))).toBe('user:*');
  });

  it('forceFetch: a load that yields nothing rejects with lru-cache’s own error, recorded on the span', async () => {
    const h = harness();
    const cache = new LRUCache(lruCacheOptions({ max: 10, fetchMethod: async () => undefined }, { name: 'users', ...h.opts }));
    instrumentLruCache(cache, { name: 'users', ...h.opts });
    await expect(cache.forceFetch('a')).rejects.toThrow('fetch() returned undefined');
    const span = h.span('fetch users');
    expect(span.attributes).toEqual({ ...B, 'cache.operation': 'fetch', 'cache.result': 'miss', 'cache.hit': false, 'error.type': '_OTHER' });
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(await h.points('cache.requests')).toEqual([req('fetch', 'miss', 1)]);
  });

  it('memo: a miss gets a memo span with a child load span; a hit is counted only', async () => {
    for (const linked of [true, false]) {
      const h = createHarness();
      const clock = fakeClock();
      const options = {
        max: 10,
        memoMethod: (k: number) => {
          clock.advance(30);
          return k * 2;
        },
      };
      const cache = new LRUCache(linked ? lruCacheOptions(options, { name: 'users', ...h.opts }) : options);
      instrumentLruCache(cache, { name: 'users', ...h.opts });
      expect(cache.memo(21)).toBe(42);
      expect(cache.memo(21)).toBe(42);
      const memoSpan = h.span('memo users');
      expect(memoSpan.attributes).toEqual({ ...B, 'cache.operation': 'memo', 'cache.result': 'miss', 'cache.hit': false });
      const load = h.span('load users');
      expect(load.attributes).toEqual({ ...B, 'cache.load.result': 'success' });
      expect(load.parentSpanContext?.spanId).toBe(memoSpan.spanContext().spanId);
      expect(await h.points('cache.requests')).toEqual([req('memo', 'hit', 1), req('memo', 'miss', 1)]);
      expect(await h.histogram('cache.load.duration')).toEqual([{ attributes: { ...B, 'cache.load.result': 'success' }, count: 1, sum: 0.03 }]);
      expect(await h.points('cache.puts')).toEqual([put('add', 1)]);
      expect(await h.points('cache.saved.time')).toEqual([{ attributes: B, value: 0.03 }]);
      vi.restoreAllMocks();
    }
  });

  it('memo: a throwing memoMethod reaches the caller unchanged and is a miss with a failed load', async () => {
    const h = harness();
    const boom = new RangeError('cannot compute');
    const cache = new LRUCache(
      lruCacheOptions(
        {
          max: 10,
          memoMethod: () => {
            throw boom;
          },
        },
        { name: 'users', ...h.opts },
      ),
    );
    instrumentLruCache(cache, { name: 'users', ...h.opts });
    let caught: unknown;
    try {
      cache.memo('k');
    } catch (err) {
      caught = err;
    }
    expect(caught).toBe(boom);
    expect(h.span('memo users').attributes).toEqual({ ...B, 'cache.operation': 'memo', 'cache.result': 'miss', 'cache.hit': false, 'error.type': 'RangeError' });
    expect(h.span('load users').attributes).toEqual({ ...B, 'cache.load.result': 'failure', 'error.type': 'RangeError' });
    expect(await h.points('cache.requests')).toEqual([req('memo', 'miss', 1)]);
  });

  it('a set that throws (a sizeCalculation bug) reaches the caller unchanged and is counted as an error', async () => {
    const h = harness();
    const boom = new TypeError('bad size');
    const cache = instrumentLruCache(
      new LRUCache({
        max: 10,
        maxSize: 100,
        sizeCalculation: () => {
          throw boom;
        },
      }),
      { name: 'users', ...h.opts },
    );
    expect(() => cache.set('a', 'x')).toThrow(boom);
    expect(await h.points('cache.requests')).toEqual([req('set', 'error', 1)]);
    const span = h.span('set users');
    expect(span.attributes).toEqual({ ...B, 'cache.operation': 'set', 'cache.result': 'error', 'error.type': 'TypeError' });
    expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: 'bad size' });
    expect(span.events.map((e) => e.name)).toEqual(['exception']);
  });

  it('times in-memory operations with memoryOperationDuration', async () => {
    const h = harness();
    const cache = instrumentLruCache(new LRUCache({ max: 10 }), { name: 'users', ...h.opts, memoryOperationDuration: true });
    cache.set('a', 1);
    cache.get('a');
    cache.get('b');
    cache.delete('a');
    const points = await h.histogram('cache.operation.duration');
    expect(points.map((p) => [p.attributes, p.count])).toEqual([
      [{ ...B, 'cache.operation': 'delete' }, 1],
      [{ ...B, 'cache.operation': 'get', 'cache.result': 'hit' }, 1],
      [{ ...B, 'cache.operation': 'get', 'cache.result': 'miss' }, 1],
      [{ ...B, 'cache.operation': 'set' }, 1],
    ]);
    expect(await h.points('cache.requests')).toEqual([req('get', 'hit', 1), req('get', 'miss', 1)]);
  });

  it('counts a fetched value too large to store as a rejected put', async () => {
    const h = harness();
    const cache = new LRUCache(
      lruCacheOptions({ maxSize: 100, maxEntrySize: 5, sizeCalculation: (v: string) => v.length, fetchMethod: async () => 'x'.repeat(6) }, { name: 'users', ...h.opts }),
    );
    instrumentLruCache(cache, { name: 'users', ...h.opts });
    expect(await cache.fetch('a')).toBe('xxxxxx');
    expect(cache.has('a')).toBe(false);
    expect(await h.points('cache.puts')).toEqual([put('rejected', 1)]);
  });

  it('fetch on a cache without fetchMethod is a read: hits counted, a miss gets a span', async () => {
    const h = harness();
    const cache = instrumentLruCache(new LRUCache({ max: 10 }), { name: 'users', ...h.opts });
    cache.set('a', 1);
    expect(await cache.fetch('a')).toBe(1);
    expect(await cache.fetch('b')).toBeUndefined();
    expect(await h.points('cache.requests')).toEqual([req('fetch', 'hit', 1), req('fetch', 'miss', 1)]);
    expect(h.spans().map((s) => [s.name, s.attributes])).toEqual([['fetch users', { ...B, 'cache.operation': 'fetch', 'cache.result': 'miss', 'cache.hit': false }]]);
    expect(await h.histogram('cache.load.duration')).toEqual([]);
  });

  it('refuses a cache built with lruCacheOptions under another name', () => {
    const h = harness();
    const cache = new LRUCache(lruCacheOptions({ max: 10 }, { name: 'users', ...h.opts }));
    expect(() => instrumentLruCache(cache, { name: 'orders', ...h.opts })).toThrow(
      new CacheConfigError('instrumentLruCache: this cache was built with lruCacheOptions for "users", not "orders"; use the same name'),
    );
  });
});

describe('instrumentLruCache / lruCacheOptions: bad input', () => {
  it('refuses what is not an lru-cache instance, with a clear CacheConfigError', () => {
    expect(() => instrumentLruCache({} as object, { name: 'users' })).toThrow(CacheConfigError);
    expect(() => instrumentLruCache({} as object, { name: 'users' })).toThrow(
      'instrumentLruCache expects an lru-cache LRUCache instance; an object has no get(), set(), delete(), has(), peek(), clear()',
    );
    expect(() => instrumentLruCache(new Map() as object, { name: 'users' })).toThrow(
      'instrumentLruCache expects an lru-cache LRUCache instance; a Map has no peek()',
    );
    expect(() => instrumentLruCache(null as unknown as object, { name: 'users' })).toThrow('instrumentLruCache expects an lru-cache LRUCache instance, got null');
  });

  it('refuses a missing or empty name and bad hooks', () => {
    const cache = new LRU11({ max: 1 });
    expect(() => instrumentLruCache(cache, undefined as never)).toThrow('instrumentLruCache: options must be an object with at least a name, got undefined');
    expect(() => instrumentLruCache(cache, { name: ' ' })).toThrow(`instrumentLruCache: options.name must be a non-empty string (the cache's name), got string " "`);
    expect(() => instrumentLruCache(cache, { name: 'x', hitSpanRatio: 2 })).toThrow('hitSpanRatio must be a number in [0, 1], got 2');
    expect(() => lruCacheOptions({ max: 1, dispose: 'no' }, { name: 'x' })).toThrow('lruCacheOptions: dispose must be a function when given, got string "no"');
    expect(() => lruCacheOptions(5 as unknown as object, { name: 'x' })).toThrow('lruCacheOptions: the lru-cache options must be an object, got number 5');
  });
});
