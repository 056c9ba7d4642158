// The behaviour both Redis adapters share, run against a real server for each client through a
// small driver: what each command records (exact span attributes and metric points), the span
// policy, prefixes, errors, options and isolation from other clients.
import { SpanKind, SpanStatusCode, context, trace } from '@opentelemetry/api';
import type { Attributes } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import {
  ATTR_CACHE_EVICTION_REASON,
  ATTR_CACHE_HIT,
  ATTR_CACHE_KEY,
  ATTR_CACHE_OPERATION,
  ATTR_CACHE_PUT_RESULT,
  ATTR_CACHE_RESULT,
  ATTR_CACHE_WRITE,
  ATTR_DB_NAMESPACE,
  ATTR_DB_OPERATION_NAME,
  ATTR_DB_QUERY_TEXT,
  ATTR_DB_SYSTEM_NAME,
  ATTR_ERROR_TYPE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  METRIC_CACHE_EVICTIONS,
  METRIC_CACHE_OPERATION_DURATION,
  METRIC_CACHE_PUTS,
  METRIC_CACHE_REQUESTS,
} from '@driftwatch/semconv';
import { CacheConfigError } from '../src/telemetry';
import type { RedisCacheHandle, RedisCacheOptions } from '../src/redis-common';
import { cacheBase, drops, uniquePrefix, useRedisHarness } from './redis-harness';

/** One Redis client library, as the shared suite drives it. */
export interface RedisDriver<C> {
  label: string;
  connect(url: string): Promise<C>;
  quit(c: C): Promise<void>;
  instrument(c: C, options: RedisCacheOptions): RedisCacheHandle;
  /** The span name and `db.operation.name` of a command given in lower case. */
  spanName(cmd: string): string;
  opName(cmd: string): string;
  /** The class of the client's error replies (WRONGTYPE …). */
  replyErrorType: string;
  get(c: C, key: string): Promise<unknown>;
  /** SET with raw options (`NX`, `XX`, `GET`, `EX 60`). */
  set(c: C, key: string, value: string, ...options: string[]): Promise<unknown>;
  mget(c: C, keys: string[]): Promise<unknown>;
  mset(c: C, entries: Record<string, string>): Promise<unknown>;
  del(c: C, keys: string[]): Promise<unknown>;
  exists(c: C, keys: string[]): Promise<unknown>;
  getdel(c: C, key: string): Promise<unknown>;
  hset(c: C, key: string, fields: Record<string, string>): Promise<unknown>;
  hget(c: C, key: string, field: string): Promise<unknown>;
  hgetall(c: C, key: string): Promise<unknown>;
  hmget(c: C, key: string, fields: string[]): Promise<unknown>;
  incr(c: C, key: string): Promise<unknown>;
  select(c: C, db: number): Promise<unknown>;
  flushdb(c: C): Promise<unknown>;
  /** GETs of the keys in one pipeline. */
  pipelineGets(c: C, keys: string[]): Promise<unknown[]>;
}

export function redisCacheSuite<C>(d: RedisDriver<C>): void {
  const { h, server } = useRedisHarness();

  async function withClients<T>(fn: (c: C, admin: C, p: string) => Promise<T>): Promise<T> {
    const c = await d.connect(server().url);
    const admin = await d.connect(server().url);
    try {
      return await fn(c, admin, uniquePrefix());
    } finally {
      await d.quit(c);
      await d.quit(admin);
    }
  }

  const op = (cmd: string): string => d.opName(cmd);
  const dbAttrs = (cmd: string, query: string): Attributes => ({
    [ATTR_DB_SYSTEM_NAME]: 'redis',
    [ATTR_DB_OPERATION_NAME]: op(cmd),
    [ATTR_DB_QUERY_TEXT]: `${op(cmd)} ${query}`,
    [ATTR_SERVER_ADDRESS]: server().host,
    [ATTR_SERVER_PORT]: server().port,
  });
  const requests = (name: string, rows: Array<[string, string, number]>) =>
    rows.map(([o, r, v]) => ({ attributes: { ...cacheBase(name), [ATTR_CACHE_OPERATION]: o, [ATTR_CACHE_RESULT]: r }, value: v }));
  const onlySpan = () => {
    const spans = h.spans();
    expect(spans.map((s) => s.name)).toHaveLength(1);
    return spans[0]!;
  };

  describe(`${d.label}: reads`, () => {
    it('GET: a hit is counted without a span, a miss gets one CLIENT span with the db.* and cache.* attributes', async () => {
      await withClients(async (c, admin, p) => {
        await d.set(admin, `${p}a`, 'v1');
        d.instrument(c, { name: 'users', ...h.opts });
        expect(await d.get(c, `${p}a`)).toBe('v1');
        expect(h.spans()).toEqual([]);
        expect(await d.get(c, `${p}missing`)).toBeNull();
        const span = onlySpan();
        expect(span.name).toBe(d.spanName('get'));
        expect(span.kind).toBe(SpanKind.CLIENT);
        expect(span.status).toEqual({ code: SpanStatusCode.UNSET });
        expect(span.attributes).toEqual({
          ...dbAttrs('get', `${p}missing`),
          ...cacheBase('users'),
          [ATTR_CACHE_OPERATION]: 'get',
          [ATTR_CACHE_RESULT]: 'miss',
          [ATTR_CACHE_HIT]: false,
        });
        expect(span.parentSpanContext).toBeUndefined();
        expect(await h.points(METRIC_CACHE_REQUESTS)).toEqual(requests('users', [['get', 'hit', 1], ['get', 'miss', 1]]));
        // A hit's duration is not recorded by default (recordHitDuration), a miss's is.
        expect(await h.counts(METRIC_CACHE_OPERATION_DURATION)).toEqual(requests('users', [['get', 'miss', 1]]));
        expect(await h.points(METRIC_CACHE_PUTS)).toEqual([]);
      });
    });

    it('the span covers the command: back-dated to its start and parented to the active span', async () => {
      await withClients(async (c, _admin, p) => {
        d.instrument(c, { name: 'users', ...h.opts });
        const parent = h.tracerProvider.getTracer('test').startSpan('request');
        const before = performance.timeOrigin + performance.now();
        await context.with(trace.setSpan(context.active(), parent), () => d.get(c, `${p}missing`));
        const after = performance.timeOrigin + performance.now();
        parent.end();
        const span = h.spans().find((s) => s.name === d.spanName('get'))!;
        expect(span.parentSpanContext?.spanId).toBe(parent.spanContext().spanId);
        expect(span.spanContext().traceId).toBe(parent.spanContext().traceId);
        const ms = (t: [number, number]): number => t[0] * 1000 + t[1] / 1e6;
        expect(ms(span.startTime)).toBeGreaterThanOrEqual(before - 1);
        expect(ms(span.endTime)).toBeLessThanOrEqual(after + 1);
        expect(ms(span.duration)).toBeGreaterThan(0);
      });
    });

    it('hitSpanRatio samples hits: with 1, every hit gets a span with cache.hit=true', async () => {
      await withClients(async (c, admin, p) => {
        await d.set(admin, `${p}a`, 'v1');
        d.instrument(c, { name: 'users', ...h.opts, hitSpanRatio: 1 });
        await d.get(c, `${p}a`);
        expect(onlySpan().attributes).toEqual({
          ...dbAttrs('get', `${p}a`),
          ...cacheBase('users'),
          [ATTR_CACHE_OPERATION]: 'get',
          [ATTR_CACHE_RESULT]: 'hit',
          [ATTR_CACHE_HIT]: true,
        });
      });
    });

    it('recordHitDuration: hits get a cache.operation.duration record too', async () => {
      await withClients(async (c, admin, p) => {
        await d.set(admin, `${p}a`, 'v1');
        d.instrument(c, { name: 'users', ...h.opts, recordHitDuration: true });
        await d.get(c, `${p}a`);
        await d.get(c, `${p}a`);
        await d.get(c, `${p}missing`);
        expect(h.spans().map((s) => s.attributes[ATTR_CACHE_RESULT])).toEqual(['miss']);
        expect(await h.counts(METRIC_CACHE_OPERATION_DURATION)).toEqual(requests('users', [['get', 'hit', 2], ['get', 'miss', 1]]));
        const hist = (await h.metric(METRIC_CACHE_OPERATION_DURATION))!;
        expect(hist.descriptor.unit).toBe('s');
        for (const pt of hist.dataPoints) expect((pt.value as { min: number }).min).toBeGreaterThan(0);
      });
    });

    it('MGET counts each key: a partial hit is one request per key and a span (it missed)', async () => {
      await withClients(async (c, admin, p) => {
        await d.mset(admin, { [`${p}a`]: '1', [`${p}c`]: '3' });
        d.instrument(c, { name: 'users', ...h.opts });
        expect(await d.mget(c, [`${p}a`, `${p}b`, `${p}c`])).toEqual(['1', null, '3']);
        expect(await h.points(METRIC_CACHE_REQUESTS)).toEqual(requests('users', [['get_many', 'hit', 2], ['get_many', 'miss', 1]]));
        expect(await h.counts(METRIC_CACHE_OPERATION_DURATION)).toEqual(requests('users', [['get_many', 'miss', 1]]));
        const span = onlySpan();
        expect(span.name).toBe(d.spanName('mget'));
        expect(span.attributes).toEqual({
          ...dbAttrs('mget', '[3 other arguments]'),
          ...cacheBase('users'),
          [ATTR_CACHE_OPERATION]: 'get_many',
          [ATTR_CACHE_RESULT]: 'miss',
          [ATTR_CACHE_HIT]: false,
        });
      });
    });

    it('hashes and EXISTS: HGET, HGETALL and HMGET per field, EXISTS per key, GETDEL removes on a hit', async () => {
      await withClients(async (c, admin, p) => {
        await d.hset(admin, `${p}h`, { f1: 'x', f2: 'y' });
        await d.set(admin, `${p}s`, 'v');
        d.instrument(c, { name: 'profiles', ...h.opts });
        expect(await d.hget(c, `${p}h`, 'f1')).toBe('x');
        expect(await d.hget(c, `${p}h`, 'nope')).toBeNull();
        expect(await d.hgetall(c, `${p}h`)).toEqual({ f1: 'x', f2: 'y' });
        expect(await d.hgetall(c, `${p}none`)).toEqual({});
        expect(await d.hmget(c, `${p}h`, ['f2', 'nope', 'f1'])).toEqual(['y', null, 'x']);
        expect(await d.exists(c, [`${p}h`, `${p}none`, `${p}s`])).toBe(2);
        expect(await d.getdel(c, `${p}s`)).toBe('v');
        expect(await d.getdel(c, `${p}s`)).toBeNull();
        expect(await h.points(METRIC_CACHE_REQUESTS)).toEqual(
          requests('profiles', [
            ['get', 'hit', 3],
            ['get', 'miss', 3],
            ['get_many', 'hit', 2],
            ['get_many', 'miss', 1],
            ['has', 'hit', 2],
            ['has', 'miss', 1],
          ]),
        );
        expect(await h.points(METRIC_CACHE_EVICTIONS)).toEqual([
          { attributes: { ...cacheBase('profiles'), [ATTR_CACHE_EVICTION_REASON]: 'explicit' }, value: 1 },
        ]);
        // Spans: the misses only (HGET nope, HGETALL none, HMGET, EXISTS, GETDEL of a gone key).
        expect(h.spans().map((s) => [s.name, s.attributes[ATTR_CACHE_RESULT]])).toEqual([
          [d.spanName('hget'), 'miss'],
          [d.spanName('hgetall'), 'miss'],
          [d.spanName('hmget'), 'miss'],
          [d.spanName('exists'), 'miss'],
          [d.spanName('getdel'), 'miss'],
        ]);
        expect(h.spans()[0]!.attributes[ATTR_DB_QUERY_TEXT]).toBe(`${op('hget')} [2 other arguments]`);
        expect(h.spans()[3]!.attributes[ATTR_DB_QUERY_TEXT]).toBe(`${op('exists')} ${p}h ${p}none ${p}s`);
      });
    });
  });

  describe(`${d.label}: writes and deletes`, () => {
    it('SET counts a put and gets a span with cache.write; DEL counts the entries it removed', async () => {
      await withClients(async (c, admin, p) => {
        await d.set(admin, `${p}old`, 'x');
        d.instrument(c, { name: 'users', ...h.opts });
        expect(await d.set(c, `${p}a`, 'secret-value', 'EX', '60')).toBe('OK');
        expect(await d.del(c, [`${p}a`, `${p}old`, `${p}never`])).toBe(2);
        const [set, del] = h.spans();
        expect(set!.name).toBe(d.spanName('set'));
        expect(set!.attributes).toEqual({
          ...dbAttrs('set', `${p}a [3 other arguments]`),
          ...cacheBase('users'),
          [ATTR_CACHE_OPERATION]: 'set',
          [ATTR_CACHE_WRITE]: true,
        });
        expect(del!.name).toBe(d.spanName('del'));
        expect(del!.attributes).toEqual({
          ...dbAttrs('del', `${p}a ${p}old ${p}never`),
          ...cacheBase('users'),
          [ATTR_CACHE_OPERATION]: 'delete',
        });
        expect(JSON.stringify(h.spans().map((s) => s.attributes))).not.toContain('secret-value');
        expect(await h.points(METRIC_CACHE_PUTS)).toEqual([{ attributes: { ...cacheBase('users'), [ATTR_CACHE_PUT_RESULT]: 'add' }, value: 1 }]);
        expect(await h.points(METRIC_CACHE_EVICTIONS)).toEqual([
          { attributes: { ...cacheBase('users'), [ATTR_CACHE_EVICTION_REASON]: 'explicit' }, value: 2 },
        ]);
        expect(await h.points(METRIC_CACHE_REQUESTS)).toEqual([]);
        expect(await h.counts(METRIC_CACHE_OPERATION_DURATION)).toEqual([
          { attributes: { ...cacheBase('users'), [ATTR_CACHE_OPERATION]: 'delete' }, value: 1 },
          { attributes: { ...cacheBase('users'), [ATTR_CACHE_OPERATION]: 'set' }, value: 1 },
        ]);
      });
    });

    it('put outcomes: SET NX/XX/GET, MSET per key, HSET new versus updated fields', async () => {
      await withClients(async (c, admin, p) => {
        await d.set(admin, `${p}a`, '1');
        d.instrument(c, { name: 'users', ...h.opts });
        expect(await d.set(c, `${p}a`, '2', 'NX')).toBeNull(); // rejected
        expect(await d.set(c, `${p}a`, '2', 'XX')).toBe('OK'); // replace
        expect(await d.set(c, `${p}b`, '1', 'XX')).toBeNull(); // rejected
        expect(await d.set(c, `${p}c`, '1', 'GET')).toBeNull(); // add (was absent)
        expect(await d.set(c, `${p}c`, '2', 'GET')).toBe('1'); // replace
        expect(await d.mset(c, { [`${p}m1`]: '1', [`${p}m2`]: '2' })).toBe('OK'); // add x2
        expect(await d.hset(c, `${p}h`, { f1: 'a', f2: 'b' })).toBe(2); // add x2
        expect(await d.hset(c, `${p}h`, { f2: 'c', f3: 'd' })).toBe(1); // add, replace
        expect(await h.points(METRIC_CACHE_PUTS)).toEqual([
          { attributes: { ...cacheBase('users'), [ATTR_CACHE_PUT_RESULT]: 'add' }, value: 6 },
          { attributes: { ...cacheBase('users'), [ATTR_CACHE_PUT_RESULT]: 'rejected' }, value: 2 },
          { attributes: { ...cacheBase('users'), [ATTR_CACHE_PUT_RESULT]: 'replace' }, value: 3 },
        ]);
        expect(h.spans().map((s) => [s.attributes[ATTR_CACHE_OPERATION], s.attributes[ATTR_CACHE_WRITE]])).toEqual([
          ['set', false],
          ['set', true],
          ['set', false],
          ['set', true],
          ['set', true],
          ['set_many', true],
          ['set', true],
          ['set', true],
        ]);
        expect(h.spans()[5]!.attributes[ATTR_DB_QUERY_TEXT]).toBe(`${op('mset')} ${p}m1 [3 other arguments]`);
        expect(h.spans()[6]!.attributes[ATTR_DB_QUERY_TEXT]).toBe(`${op('hset')} ${p}h f1 [3 other arguments]`);
      });
    });

    it('db.namespace is set for a database other than 0; FLUSHDB is a clear', async () => {
      await withClients(async (c, _admin, p) => {
        await d.select(c, 9);
        d.instrument(c, { name: 'users', ...h.opts });
        await d.get(c, `${p}missing`);
        await d.flushdb(c);
        const [get, clear] = h.spans();
        expect(get!.attributes[ATTR_DB_NAMESPACE]).toBe('9');
        expect(clear!.name).toBe(d.spanName('flushdb'));
        expect(clear!.attributes).toEqual({
          [ATTR_DB_SYSTEM_NAME]: 'redis',
          [ATTR_DB_OPERATION_NAME]: op('flushdb'),
          [ATTR_DB_QUERY_TEXT]: op('flushdb'),
          [ATTR_DB_NAMESPACE]: '9',
          [ATTR_SERVER_ADDRESS]: server().host,
          [ATTR_SERVER_PORT]: server().port,
          ...cacheBase('users'),
          [ATTR_CACHE_OPERATION]: 'clear',
        });
        expect(await h.counts(METRIC_CACHE_OPERATION_DURATION)).toEqual([
          { attributes: { ...cacheBase('users'), [ATTR_CACHE_OPERATION]: 'clear' }, value: 1 },
          ...requests('users', [['get', 'miss', 1]]),
        ]);
      });
    });
  });

  describe(`${d.label}: errors`, () => {
    it('an error reply (WRONGTYPE) is recorded as an error and reaches the caller unchanged', async () => {
      await withClients(async (c, admin, p) => {
        await d.hset(admin, `${p}h`, { f: 'v' });
        const expected = await d.get(admin, `${p}h`).catch((e: unknown) => e);
        d.instrument(c, { name: 'users', ...h.opts });
        const err = await d.get(c, `${p}h`).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(Error);
        expect((err as Error).constructor).toBe((expected as Error).constructor);
        expect((err as Error).message).toBe((expected as Error).message);
        expect((err as Error).message).toMatch(/^WRONGTYPE/);
        const span = onlySpan();
        expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: (err as Error).message });
        expect(span.attributes).toEqual({
          ...dbAttrs('get', `${p}h`),
          ...cacheBase('users'),
          [ATTR_CACHE_OPERATION]: 'get',
          [ATTR_CACHE_RESULT]: 'error',
          [ATTR_ERROR_TYPE]: d.replyErrorType,
        });
        expect(span.events.map((e) => [e.name, e.attributes?.['exception.message']])).toEqual([['exception', (err as Error).message]]);
        expect(await h.points(METRIC_CACHE_REQUESTS)).toEqual(requests('users', [['get', 'error', 1]]));
        expect(await h.counts(METRIC_CACHE_OPERATION_DURATION)).toEqual([
          { attributes: { ...cacheBase('users'), [ATTR_CACHE_OPERATION]: 'get', [ATTR_CACHE_RESULT]: 'error', [ATTR_ERROR_TYPE]: d.replyErrorType }, value: 1 },
        ]);
        // The client keeps working, and so does the telemetry.
        expect(await d.get(c, `${p}none`)).toBeNull();
        expect(await h.points(METRIC_CACHE_REQUESTS)).toEqual(requests('users', [['get', 'error', 1], ['get', 'miss', 1]]));
      });
    });
    it('a failed write is an error request too, with cache.result=error and no cache.write', async () => {
      await withClients(async (c, admin, p) => {
        await d.set(admin, `${p}s`, 'string');
        d.instrument(c, { name: 'users', ...h.opts });
        const err = (await d.hset(c, `${p}s`, { f: 'v' }).catch((e: unknown) => e)) as Error;
        expect(err.message).toMatch(/^WRONGTYPE/);
        expect(onlySpan().attributes).toEqual({
          ...dbAttrs('hset', `${p}s f [1 other arguments]`),
          ...cacheBase('users'),
          [ATTR_CACHE_OPERATION]: 'set',
          [ATTR_CACHE_RESULT]: 'error',
          [ATTR_ERROR_TYPE]: d.replyErrorType,
        });
        expect(await h.points(METRIC_CACHE_REQUESTS)).toEqual(requests('users', [['set', 'error', 1]]));
        expect(await h.points(METRIC_CACHE_PUTS)).toEqual([]);
      });
    });
  });

  describe(`${d.label}: what counts`, () => {
    it('prefixes: only keys under a prefix count (MGET and DEL over the matching keys only)', async () => {
      await withClients(async (c, admin, p) => {
        await d.mset(admin, { [`${p}users:1`]: 'u1', [`${p}other:1`]: 'o1', [`${p}other:2`]: 'o2' });
        d.instrument(c, { name: 'users', ...h.opts, prefixes: [`${p}users:`, `${p}accounts:`] });
        await d.get(c, `${p}users:1`);
        await d.get(c, `${p}users:2`);
        await d.get(c, `${p}other:1`);
        await d.get(c, `${p}other:9`);
        await d.set(c, `${p}other:3`, 'x');
        expect(await d.mget(c, [`${p}other:1`, `${p}users:1`, `${p}other:9`, `${p}accounts:1`])).toEqual(['o1', 'u1', null, null]);
        expect(await d.del(c, [`${p}users:1`, `${p}other:1`, `${p}other:2`])).toBe(3);
        expect(await h.points(METRIC_CACHE_REQUESTS)).toEqual(
          requests('users', [
            ['get', 'hit', 1],
            ['get', 'miss', 1],
            ['get_many', 'hit', 1],
            ['get_many', 'miss', 1],
          ]),
        );
        expect(await h.points(METRIC_CACHE_EVICTIONS)).toEqual([
          { attributes: { ...cacheBase('users'), [ATTR_CACHE_EVICTION_REASON]: 'explicit' }, value: 1 },
        ]);
        expect(await h.points(METRIC_CACHE_PUTS)).toEqual([]);
        expect(h.spans().map((s) => s.name)).toEqual([d.spanName('get'), d.spanName('mget'), d.spanName('del')]);
      });
    });

    it('other commands, and other clients on the same server, record nothing', async () => {
      await withClients(async (c, admin, p) => {
        d.instrument(c, { name: 'users', ...h.opts });
        expect(await d.incr(c, `${p}n`)).toBe(1);
        await d.get(admin, `${p}missing`);
        await d.set(admin, `${p}k`, 'v');
        expect(h.spans()).toEqual([]);
        expect(await h.points(METRIC_CACHE_REQUESTS)).toEqual([]);
        expect(await h.points(METRIC_CACHE_PUTS)).toEqual([]);
        expect(await h.counts(METRIC_CACHE_OPERATION_DURATION)).toEqual([]);
      });
    });

    it('pipelined commands are counted', async () => {
      await withClients(async (c, admin, p) => {
        await d.set(admin, `${p}a`, '1');
        d.instrument(c, { name: 'users', ...h.opts });
        expect(await d.pipelineGets(c, [`${p}a`, `${p}b`, `${p}a`])).toEqual(['1', null, '1']);
        expect(await h.points(METRIC_CACHE_REQUESTS)).toEqual(requests('users', [['get', 'hit', 2], ['get', 'miss', 1]]));
        expect(h.spans().map((s) => [s.name, s.attributes[ATTR_DB_QUERY_TEXT]])).toEqual([[d.spanName('get'), `${op('get')} ${p}b`]]);
      });
    });
  });

  describe(`${d.label}: options`, () => {
    it("spans: 'none' records metrics only", async () => {
      await withClients(async (c, _admin, p) => {
        d.instrument(c, { name: 'users', ...h.opts, spans: 'none' });
        await d.get(c, `${p}missing`);
        await d.set(c, `${p}a`, 'v');
        expect(h.spans()).toEqual([]);
        expect(await h.points(METRIC_CACHE_REQUESTS)).toEqual(requests('users', [['get', 'miss', 1]]));
      });
    });

    it("spans: 'enrich' creates no span of its own when no client instrumentation traces the command", async () => {
      await withClients(async (c, _admin, p) => {
        d.instrument(c, { name: 'users', ...h.opts, spans: 'enrich' });
        await d.get(c, `${p}missing`);
        expect(h.spans()).toEqual([]);
        expect(await h.points(METRIC_CACHE_REQUESTS)).toEqual(requests('users', [['get', 'miss', 1]]));
      });
    });

    it('requireParentSpan: spans only under an active span', async () => {
      await withClients(async (c, _admin, p) => {
        d.instrument(c, { name: 'users', ...h.opts, requireParentSpan: true });
        await d.get(c, `${p}missing`);
        expect(h.spans()).toEqual([]);
        const parent = h.tracerProvider.getTracer('test').startSpan('request');
        await context.with(trace.setSpan(context.active(), parent), () => d.get(c, `${p}missing`));
        parent.end();
        expect(h.spans().map((s) => s.name)).toEqual([d.spanName('get'), 'request']);
        expect(await h.points(METRIC_CACHE_REQUESTS)).toEqual(requests('users', [['get', 'miss', 2]]));
      });
    });

    it('captureKeys records cache.key on spans (never on metrics); a failing key function is a counted drop', async () => {
      await withClients(async (c, _admin, p) => {
        const captureKeys = (k: unknown): string => {
          const s = String(k);
          if (s.endsWith('boom')) throw new Error('no key for you');
          return `k:${s.slice(p.length)}`;
        };
        d.instrument(c, { name: 'users', ...h.opts, captureKeys });
        await d.get(c, `${p}missing`);
        expect(h.spans()[0]!.attributes[ATTR_CACHE_KEY]).toBe('k:missing');
        expect(await d.get(c, `${p}boom`)).toBeNull();
        expect(h.spans()[1]!.attributes[ATTR_CACHE_KEY]).toBeUndefined();
        expect(drops()).toEqual({ 'cache key could not be captured': 1 });
        for (const pt of await h.points(METRIC_CACHE_REQUESTS)) expect(pt.attributes[ATTR_CACHE_KEY]).toBeUndefined();
      });
    });

    it('uninstrument() restores the client; it can be instrumented again, but not twice', async () => {
      await withClients(async (c, _admin, p) => {
        const own = Object.prototype.hasOwnProperty.call(c, 'sendCommand');
        const handle = d.instrument(c, { name: 'users', ...h.opts });
        expect(() => d.instrument(c, { name: 'users', ...h.opts })).toThrow(CacheConfigError);
        handle.uninstrument();
        handle.uninstrument();
        expect(Object.prototype.hasOwnProperty.call(c, 'sendCommand')).toBe(own);
        await d.get(c, `${p}missing`);
        expect(h.spans()).toEqual([]);
        expect(await h.points(METRIC_CACHE_REQUESTS)).toEqual([]);
        const again = d.instrument(c, { name: 'users', ...h.opts });
        await d.get(c, `${p}missing`);
        expect(await h.points(METRIC_CACHE_REQUESTS)).toEqual(requests('users', [['get', 'miss', 1]]));
        expect(again.recorder.name).toBe('users');
        again.uninstrument();
      });
    });

    it('bad options are clear configuration errors', async () => {
      await withClients(async (c) => {
        const bad: Array<[unknown, RegExp]> = [
          [undefined, /options must be an object/],
          [{}, /name must be a non-empty string/],
          [{ name: ' ' }, /name must be a non-empty string/],
          [{ name: 'x', prefixes: [] }, /prefixes must be a non-empty array/],
          [{ name: 'x', prefixes: ['a', ''] }, /prefixes must be a non-empty array/],
          [{ name: 'x', spans: 'all' }, /spans must be 'auto', 'enrich' or 'none'/],
          [{ name: 'x', requireParentSpan: 'yes' }, /requireParentSpan must be a boolean/],
          [{ name: 'x', recordHitDuration: 1 }, /recordHitDuration must be a boolean/],
          [{ name: 'x', hitSpanRatio: 2 }, /hitSpanRatio must be a number in \[0, 1\]/],
        ];
        for (const [options, message] of bad) {
          expect(() => d.instrument(c, options as RedisCacheOptions)).toThrow(CacheConfigError);
          expect(() => d.instrument(c, options as RedisCacheOptions)).toThrow(message);
        }
        expect(() => d.instrument({} as C, { name: 'x' })).toThrow(CacheConfigError);
        expect(() => d.instrument(null as C, { name: 'x' })).toThrow(CacheConfigError);
        // Nothing was left half-installed.
        expect(Object.prototype.hasOwnProperty.call(c, 'sendCommand')).toBe(false);
      });
    });
  });
}
