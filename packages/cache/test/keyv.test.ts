// keyv 6, real instances: in-memory (Map), a keyv storage adapter that stands for a remote store,
// and one that fails; hits, misses, puts, spans, durations, swallowed and rejected errors, getOrSet.
import { SpanStatusCode, context, trace } from '@opentelemetry/api';
import Keyv from 'keyv';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { instrumentKeyv, keyvGetOrSet } from '../src/keyv';
import { CacheConfigError } from '../src/telemetry';
import { base, useHarness } from './harness';

const harness = useHarness();
const B = base('sessions', 'keyv');
const req = (operation: string, result: string, value: number) => ({ attributes: { ...B, 'cache.operation': operation, 'cache.result': result }, value });
const put = (result: string, value: number) => ({ attributes: { ...B, 'cache.put.result': result }, value });
const spanAttrs = (operation: string, extra: Record<string, unknown>) => ({ ...B, 'cache.operation': operation, ...extra });

afterEach(() => {
  vi.restoreAllMocks();
});

/**
 * A keyv 6 storage adapter (it declares the `expires` capability, so keyv uses it as is) over a Map,
 * with hooks to fail or to trace its calls the way a Redis client instrumentation would.
 */
class TestStore {
  readonly capabilities = { expires: true };
  namespace: string | undefined;
  readonly rows = new Map<string, unknown>();
  failWith: Error | undefined;
  rejectSets = false;
  onCall: ((op: string) => void) | undefined;
  private check(op: string): void {
    this.onCall?.(op);
    if (this.failWith) throw this.failWith;
  }
  async get(key: string): Promise<unknown> {
    this.check('get');
    return this.rows.get(key);
  }
  async getMany(keys: string[]): Promise<unknown[]> {
    this.check('getMany');
    return keys.map((k) => this.rows.get(k));
  }
  async set(key: string, value: unknown): Promise<boolean> {
    this.check('set');
    if (this.rejectSets) return false;
    this.rows.set(key, value);
    return true;
  }
  async setMany(entries: Array<{ key: string; value: unknown }>): Promise<boolean[]> {
    this.check('setMany');
    return entries.map((e) => (this.rows.set(e.key, e.value), true));
  }
  async delete(key: string): Promise<boolean> {
    this.check('delete');
    return this.rows.delete(key);
  }
  async deleteMany(keys: string[]): Promise<boolean[]> {
    this.check('deleteMany');
    return keys.map((k) => this.rows.delete(k));
  }
  async has(key: string): Promise<boolean> {
    this.check('has');
    return this.rows.has(key);
  }
  async hasMany(keys: string[]): Promise<boolean[]> {
    return keys.map((k) => this.rows.has(k));
  }
  async clear(): Promise<void> {
    this.check('clear');
    this.rows.clear();
  }
}

describe('instrumentKeyv', () => {
  it('counts hits, misses, puts, has and deletes of an in-memory keyv; only misses get a span', async () => {
    const h = harness();
    const kv = instrumentKeyv(new Keyv(), { name: 'sessions', ...h.opts });
    expect(await kv.set('a', { user: 1 })).toBe(true);
    expect(await kv.set('b', 'two')).toBe(true);
    expect(await kv.get('a')).toEqual({ user: 1 });
    expect(await kv.get('nope')).toBeUndefined();
    expect(await kv.get(['a', 'b', 'nope'])).toEqual([{ user: 1 }, 'two', undefined]);
    expect(await kv.has('a')).toBe(true);
    expect(await kv.has('nope')).toBe(false);
    expect(await kv.delete('a')).toBe(true);
    expect(await kv.delete('a')).toBe(false);
    await kv.clear();
    expect(await h.points('cache.requests')).toEqual([
      req('get', 'hit', 1),
      req('get', 'miss', 1),
      req('get_many', 'hit', 2),
      req('get_many', 'miss', 1),
      req('has', 'hit', 1),
      req('has', 'miss', 1),
    ]);
    expect(await h.points('cache.puts')).toEqual([put('add', 2)]);
    expect(await h.points('cache.evictions')).toEqual([{ attributes: { ...B, 'cache.eviction.reason': 'explicit' }, value: 1 }]);
    expect(h.spans().map((s) => [s.name, s.attributes])).toEqual([
      ['get sessions', spanAttrs('get', { 'cache.result': 'miss', 'cache.hit': false })],
      ['get_many sessions', spanAttrs('get_many', { 'cache.result': 'miss', 'cache.hit': false })],
    ]);
    expect(await h.histogram('cache.operation.duration')).toEqual([]);
  });

  it('gives a miss span its real start and the caller’s span as parent', async () => {
    const h = harness();
    const kv = instrumentKeyv(new Keyv(), { name: 'sessions', ...h.opts });
    const tracer = h.tracerProvider.getTracer('app');
    const root = tracer.startSpan('request');
    const before = Date.now();
    await context.with(trace.setSpan(context.active(), root), () => kv.get('nope'));
    root.end();
    const span = h.span('get sessions');
    expect(span.parentSpanContext?.spanId).toBe(root.spanContext().spanId);
    const startMs = span.startTime[0] * 1000 + span.startTime[1] / 1e6;
    expect(startMs).toBeGreaterThanOrEqual(before - 5);
    expect(startMs).toBeLessThanOrEqual(Date.now());
  });

  it('counts getMany/setMany/deleteMany/hasMany per key', async () => {
    const h = harness();
    const kv = instrumentKeyv(new Keyv(), { name: 'sessions', ...h.opts });
    expect(
      await kv.setMany([
        { key: 'a', value: 1 },
        { key: 'b', value: 2 },
      ]),
    ).toEqual([true, true]);
    expect(await kv.getMany(['a', 'b', 'c'])).toEqual([1, 2, undefined]);
    expect(await kv.hasMany(['a', 'c'])).toEqual([true, false]);
    expect(await kv.deleteMany(['a', 'c'])).toEqual([true, false]);
    expect(await h.points('cache.requests')).toEqual([req('get_many', 'hit', 2), req('get_many', 'miss', 1), req('has', 'hit', 1), req('has', 'miss', 1)]);
    expect(await h.points('cache.puts')).toEqual([put('add', 2)]);
    expect(await h.points('cache.evictions')).toEqual([{ attributes: { ...B, 'cache.eviction.reason': 'explicit' }, value: 1 }]);
  });

  it('counts a write the store refuses as rejected', async () => {
    const h = harness();
    const store = new TestStore();
    store.rejectSets = true;
    const kv = instrumentKeyv(new Keyv({ store }), { name: 'sessions', ...h.opts });
    expect(await kv.set('a', 1)).toBe(false);
    expect(await h.points('cache.puts')).toEqual([put('rejected', 1)]);
  });

  it('a store error with no error listener: keyv rejects, the caller gets the same error, counted as error', async () => {
    const h = harness();
    const store = new TestStore();
    class RedisDown extends Error {
      override name = 'RedisDown';
    }
    const boom = new RedisDown('connection refused');
    store.failWith = boom;
    const kv = instrumentKeyv(new Keyv({ store }), { name: 'sessions', ...h.opts });
    await expect(kv.get('a')).rejects.toBe(boom);
    await expect(kv.set('a', 1)).rejects.toBe(boom);
    expect(await h.points('cache.requests')).toEqual([req('get', 'error', 1), req('set', 'error', 1)]);
    expect(h.spans().map((s) => [s.name, s.attributes, s.status])).toEqual([
      ['get sessions', spanAttrs('get', { 'cache.result': 'error', 'error.type': 'RedisDown' }), { code: SpanStatusCode.ERROR, message: 'connection refused' }],
      ['set sessions', spanAttrs('set', { 'cache.result': 'error', 'error.type': 'RedisDown' }), { code: SpanStatusCode.ERROR, message: 'connection refused' }],
    ]);
  });

  it('a store error keyv swallows (the app listens to "error") is counted as error, not as a miss', async () => {
    const h = harness();
    const store = new TestStore();
    store.failWith = new Error('timeout');
    const kv = instrumentKeyv(new Keyv({ store }), { name: 'sessions', ...h.opts });
    const seen: unknown[] = [];
    kv.on('error', (err: unknown) => seen.push(err));
    expect(await kv.get('a')).toBeUndefined();
    expect(await kv.getMany(['a', 'b'])).toEqual([undefined, undefined]);
    expect(await kv.set('a', 1)).toBe(false);
    await kv.clear();
    expect(seen).toHaveLength(4);
    expect(await h.points('cache.requests')).toEqual([req('clear', 'error', 1), req('get', 'error', 1), req('get_many', 'error', 2), req('set', 'error', 1)]);
    expect(await h.points('cache.puts')).toEqual([]);
    expect(h.spans().map((s) => [s.name, s.attributes, s.status.code])).toEqual([
      ['get sessions', spanAttrs('get', { 'cache.result': 'error', 'error.type': '_OTHER' }), SpanStatusCode.ERROR],
      ['get_many sessions', spanAttrs('get_many', { 'cache.result': 'error', 'error.type': '_OTHER' }), SpanStatusCode.ERROR],
      ['set sessions', spanAttrs('set', { 'cache.result': 'error', 'error.type': '_OTHER' }), SpanStatusCode.ERROR],
      ['clear sessions', spanAttrs('clear', { 'cache.result': 'error', 'error.type': '_OTHER' }), SpanStatusCode.ERROR],
    ]);
    // The next calls succeed and are not marked.
    store.failWith = undefined;
    expect(await kv.get('a')).toBeUndefined();
    expect(await h.points('cache.requests')).toContainEqual(req('get', 'miss', 1));
  });

  it('remote: every operation gets a span the store client’s spans nest under, and a duration', async () => {
    const h = harness();
    const tracer = h.tracerProvider.getTracer('redis-client');
    const store = new TestStore();
    store.onCall = (op) => tracer.startSpan(`redis ${op}`).end();
    const kv = instrumentKeyv(new Keyv({ store }), { name: 'sessions', remote: true, ...h.opts });
    await kv.set('a', 'x');
    await kv.get('a');
    await kv.get('b');
    await kv.delete('a');
    const names = h.spans().map((s) => s.name);
    expect(names).toEqual(['redis set', 'set sessions', 'redis get', 'get sessions', 'redis get', 'get sessions', 'redis delete', 'delete sessions']);
    const spans = h.spans();
    for (let i = 0; i < spans.length; i += 2) expect(spans[i]!.parentSpanContext?.spanId).toBe(spans[i + 1]!.spanContext().spanId);
    expect(spans.filter((s) => s.name.endsWith('sessions')).map((s) => s.attributes)).toEqual([
      spanAttrs('set', {}),
      spanAttrs('get', { 'cache.result': 'hit', 'cache.hit': true }),
      spanAttrs('get', { 'cache.result': 'miss', 'cache.hit': false }),
      spanAttrs('delete', {}),
    ]);
    const durations = await h.histogram('cache.operation.duration');
    expect(durations.map((p) => [p.attributes, p.count])).toEqual([
      [{ ...B, 'cache.operation': 'delete' }, 1],
      [{ ...B, 'cache.operation': 'get', 'cache.result': 'hit' }, 1],
      [{ ...B, 'cache.operation': 'get', 'cache.result': 'miss' }, 1],
      [{ ...B, 'cache.operation': 'set' }, 1],
    ]);
  });

  it('times in-memory operations only with memoryOperationDuration; samples hits with hitSpanRatio', async () => {
    const h = harness();
    const kv = instrumentKeyv(new Keyv(), { name: 'sessions', ...h.opts, memoryOperationDuration: true, hitSpanRatio: 0.5 });
    await kv.set('a', 1);
    for (let i = 0; i < 4; i++) await kv.get('a');
    expect(h.spans().map((s) => s.attributes)).toEqual([
      spanAttrs('get', { 'cache.result': 'hit', 'cache.hit': true }),
      spanAttrs('get', { 'cache.result': 'hit', 'cache.hit': true }),
    ]);
    const durations = await h.histogram('cache.operation.duration');
    expect(durations.map((p) => [p.attributes, p.count])).toEqual([
      [{ ...B, 'cache.operation': 'get', 'cache.result': 'hit' }, 4],
      [{ ...B, 'cache.operation': 'set' }, 1],
    ]);
  });

  it('keyvGetOrSet: a miss loads under a load span and stores; later hits add the load time to cache.saved.time', async () => {
    const h = harness();
    let t = 5_000;
    vi.spyOn(performance, 'now').mockImplementation(() => t);
    const kv = instrumentKeyv(new Keyv(), { name: 'sessions', ...h.opts });
    const loader = vi.fn(async (key: string) => {
      t += 40;
      return `loaded:${key}`;
    });
    expect(await keyvGetOrSet(kv, 'a', loader)).toBe('loaded:a');
    expect(await keyvGetOrSet(kv, 'a', loader)).toBe('loaded:a');
    expect(await keyvGetOrSet(kv, 'a', loader)).toBe('loaded:a');
    expect(loader).toHaveBeenCalledTimes(1);
    expect(h.span('load sessions').attributes).toEqual({ ...B, 'cache.load.result': 'success' });
    expect(await h.histogram('cache.load.duration')).toEqual([{ attributes: { ...B, 'cache.load.result': 'success' }, count: 1, sum: 0.04 }]);
    expect(await h.points('cache.requests')).toEqual([req('get', 'hit', 2), req('get', 'miss', 1)]);
    expect(await h.points('cache.saved.time')).toEqual([{ attributes: B, value: 0.08 }]);
    await expect(keyvGetOrSet(new Keyv(), 'a', loader)).rejects.toThrow(new CacheConfigError('keyvGetOrSet needs a keyv instance instrumented with instrumentKeyv'));
  });

  it('refuses what is not a keyv instance and a bad remote option', () => {
    expect(() => instrumentKeyv(new Map(), { name: 'x' })).toThrow(new CacheConfigError('instrumentKeyv expects a keyv instance; a Map has no on()'));
    expect(() => instrumentKeyv(new Keyv(), { name: 'x', remote: 'yes' as never })).toThrow('instrumentKeyv: options.remote must be a boolean when given, got string');
  });

  it('instruments a keyv once', async () => {
    const h = harness();
    const kv = new Keyv();
    instrumentKeyv(kv, { name: 'sessions', ...h.opts });
    instrumentKeyv(kv, { name: 'sessions', ...h.opts });
    await kv.get('a');
    expect(await h.points('cache.requests')).toEqual([req('get', 'miss', 1)]);
  });
});
