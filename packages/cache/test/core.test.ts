// The core every adapter records through: option checks, recorders and their sharing, the overflow
// series, size sources (including weakly held ones), dropped values, loads, key capture, error types.
import { DiagLogLevel, SpanStatusCode, context, diag, metrics, trace } from '@opentelemetry/api';
import type { DiagLogger } from '@opentelemetry/api';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { getDropCounts } from '../src/diag';
import { CacheConfigError, CacheTelemetry, createCacheTelemetry, errorTypeOf, telemetryFor } from '../src/telemetry';
import { base, sleep, useHarness } from './harness';

const harness = useHarness();
const M = base('a', 'memory');

afterEach(() => {
  diag.disable();
  vi.restoreAllMocks();
});

describe('CacheTelemetry options', () => {
  it('throws a CacheConfigError naming the bad option', () => {
    const bad: Array<[unknown, string]> = [
      [null, 'cache telemetry options must be an object'],
      [{ hitSpanRatio: -0.1 }, 'hitSpanRatio must be a number in [0, 1], got -0.1'],
      [{ hitSpanRatio: Number.NaN }, 'hitSpanRatio must be a number in [0, 1], got NaN'],
      [{ hitSpanRatio: '0.5' }, 'hitSpanRatio must be a number in [0, 1], got 0.5'],
      [{ maxCaches: 0 }, 'maxCaches must be a positive integer, got 0'],
      [{ maxCaches: 1.5 }, 'maxCaches must be a positive integer, got 1.5'],
      [{ captureKeys: true }, "captureKeys must be 'hash' or a function (key) => string | undefined, got true"],
    ];
    for (const [options, message] of bad) {
      let caught: unknown;
      try {
        createCacheTelemetry(options as never);
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(CacheConfigError);
      expect((caught as Error).name).toBe('CacheConfigError');
      expect((caught as Error).message).toBe(message);
    }
  });

  it('refuses a cache without a name or system, or with an empty tier', () => {
    const t = createCacheTelemetry(harness().opts);
    expect(() => t.cache({ name: '', system: 'memory' })).toThrow(new CacheConfigError('cache name must be a non-empty string, got ""'));
    expect(() => t.cache({ name: 'a', system: undefined as never })).toThrow(new CacheConfigError('cache system name must be a non-empty string, got undefined'));
    expect(() => t.cache({ name: 'a', system: 'memory', tier: ' ' })).toThrow(new CacheConfigError('cache tier must be a non-empty string, got " "'));
    expect(() => t.cache(undefined as never)).toThrow(CacheConfigError);
  });
});

describe('recorders', () => {
  it('shares one recorder per system, name and tier; telemetryFor shares one telemetry per provider pair', () => {
    const h = harness();
    const t = telemetryFor(h.opts);
    expect(telemetryFor(h.opts)).toBe(t);
    expect(telemetryFor({ ...h.opts, hitSpanRatio: 0.5 })).not.toBe(t);
    expect(telemetryFor({ telemetry: t, hitSpanRatio: 1 })).toBe(t);
    expect(t.cache({ name: 'a', system: 'memory' })).toBe(t.cache({ name: 'a', system: 'memory' }));
    expect(t.cache({ name: 'a', system: 'memory' })).not.toBe(t.cache({ name: 'a', system: 'keyv' }));
    expect(t.cache({ name: 'a', system: 'memory', tier: 'l1' })).not.toBe(t.cache({ name: 'a', system: 'memory' }));
  });

  it('two telemetries on one meter share its instruments and caches: counts add up, series never collide', async () => {
    const h = harness();
    const plain = createCacheTelemetry(h.opts);
    const sampled = createCacheTelemetry({ ...h.opts, hitSpanRatio: 0.5 });
    expect(sampled.cache({ name: 'a', system: 'memory' })).toBe(plain.cache({ name: 'a', system: 'memory' }));
    for (let i = 0; i < 5; i++) {
      plain.cache({ name: 'a', system: 'memory' }).hit();
      sampled.cache({ name: 'a', system: 'memory' }).hit();
    }
    expect(await h.points('cache.requests')).toEqual([{ attributes: { ...M, 'cache.operation': 'get', 'cache.result': 'hit' }, value: 10 }]);
  });

  it('the default telemetry follows the global meter provider once one is registered', async () => {
    const early = telemetryFor({});
    const h = harness();
    metrics.setGlobalMeterProvider(h.meterProvider);
    try {
      const late = telemetryFor({});
      expect(late).not.toBe(early);
      expect(telemetryFor({})).toBe(late);
      late.cache({ name: 'a', system: 'memory' }).miss();
      expect(await h.points('cache.requests')).toEqual([{ attributes: { ...M, 'cache.operation': 'get', 'cache.result': 'miss' }, value: 1 }]);
    } finally {
      metrics.disable();
    }
  });

  it('reports nothing for a cache with no activity', async () => {
    const h = harness();
    createCacheTelemetry(h.opts).cache({ name: 'a', system: 'memory' });
    for (const name of ['cache.requests', 'cache.puts', 'cache.evictions', 'cache.saved.time', 'cache.entry.count']) expect(await h.points(name)).toEqual([]);
  });

  it('counts every operation/result pair, puts and evictions as exact points', async () => {
    const h = harness();
    const rec = createCacheTelemetry(h.opts).cache({ name: 'a', system: 'memory' });
    rec.hit();
    rec.miss();
    rec.stale();
    rec.request('get_many', 'hit', 3);
    rec.request('delete', 'error');
    rec.put('add', 2);
    rec.put('rejected');
    rec.eviction('collected', 4);
    const r = (op: string, result: string, value: number) => ({ attributes: { ...M, 'cache.operation': op, 'cache.result': result }, value });
    expect(await h.points('cache.requests')).toEqual([r('delete', 'error', 1), r('get', 'hit', 1), r('get', 'miss', 1), r('get', 'stale', 1), r('get_many', 'hit', 3)]);
    expect(await h.points('cache.puts')).toEqual([
      { attributes: { ...M, 'cache.put.result': 'add' }, value: 2 },
      { attributes: { ...M, 'cache.put.result': 'rejected' }, value: 1 },
    ]);
    expect(await h.points('cache.evictions')).toEqual([{ attributes: { ...M, 'cache.eviction.reason': 'collected' }, value: 4 }]);
  });

  it('puts caches beyond maxCaches in one overflow series, with a counted drop', async () => {
    const h = harness();
    const t = createCacheTelemetry({ ...h.opts, maxCaches: 2 });
    const a = t.cache({ name: 'a', system: 'memory' });
    const b = t.cache({ name: 'b', system: 'memory' });
    const c = t.cache({ name: 'c', system: 'memory' });
    const d = t.cache({ name: 'd', system: 'keyv' });
    expect(c).toBe(d);
    for (const rec of [a, b, c, d]) rec.hit();
    expect(await h.points('cache.requests')).toEqual([
      { attributes: { 'cache.name': '_OTHER', 'cache.system.name': 'memory', 'otel.metric.overflow': true, 'cache.operation': 'get', 'cache.result': 'hit' }, value: 2 },
      { attributes: { ...M, 'cache.operation': 'get', 'cache.result': 'hit' }, value: 1 },
      { attributes: { ...base('b', 'memory'), 'cache.operation': 'get', 'cache.result': 'hit' }, value: 1 },
    ]);
    expect(getDropCounts().get('caches beyond maxCaches are counted in the overflow series')).toBe(2);
  });

  it('samples hits deterministically: hitSpanRatio 0.25 is every 4th hit, 0 is none', () => {
    const h = harness();
    const quarter = createCacheTelemetry({ ...h.opts, hitSpanRatio: 0.25 }).cache({ name: 'a', system: 'memory' });
    expect(Array.from({ length: 8 }, () => quarter.sampleHit())).toEqual([false, false, false, true, false, false, false, true]);
    const none = createCacheTelemetry(h.opts).cache({ name: 'b', system: 'memory' });
    expect(Array.from({ length: 4 }, () => none.sampleHit())).toEqual([false, false, false, false]);
    // A cache already registered on the meter keeps the options it was registered with.
    expect(createCacheTelemetry(h.opts).cache({ name: 'a', system: 'memory' })).toBe(quarter);
  });
});

describe('durations and loads', () => {
  it('drops NaN, negative and infinite durations with a counted diag warning', async () => {
    const h = harness();
    const warnings: string[] = [];
    const logger: DiagLogger = {
      error: () => {},
      warn: (...args: unknown[]) => void warnings.push(args.join(' ')),
      info: () => {},
      debug: () => {},
      verbose: () => {},
    };
    diag.setLogger(logger, DiagLogLevel.WARN);
    const rec = createCacheTelemetry(h.opts).cache({ name: 'a', system: 'memory' });
    rec.recordDuration('get', 'hit', Number.NaN);
    rec.recordDuration('get', 'hit', -1);
    rec.recordLoad(Number.POSITIVE_INFINITY, true);
    rec.recordLoad(Number.NaN, false);
    expect(await h.histogram('cache.operation.duration')).toEqual([]);
    expect(await h.histogram('cache.load.duration')).toEqual([]);
    expect(getDropCounts().get('cache operation duration is not a finite non-negative number')).toBe(2);
    expect(getDropCounts().get('cache load duration is not a finite non-negative number')).toBe(2);
    expect(warnings).toEqual([
      '@driftwatch/cache cache operation duration is not a finite non-negative number (further occurrences are counted) NaN',
      '@driftwatch/cache cache load duration is not a finite non-negative number (further occurrences are counted) Infinity',
    ]);
    // A failed load does not move the average load time hits add to cache.saved.time.
    rec.recordLoad(0.2, true);
    rec.recordLoad(5, false);
    rec.hit();
    expect(await h.points('cache.saved.time')).toEqual([{ attributes: M, value: 0.2 }]);
  });

  it('records a write’s duration without cache.result and an error’s with error.type', async () => {
    const h = harness();
    const rec = createCacheTelemetry(h.opts).cache({ name: 'a', system: 'memory' });
    rec.recordDuration('set', undefined, 0.001);
    rec.recordDuration('get', 'error', 0.002, 'TimeoutError');
    const points = await h.histogram('cache.operation.duration');
    expect(points.map((p) => [p.attributes, p.count, p.sum])).toEqual([
      [{ ...M, 'cache.operation': 'get', 'cache.result': 'error', 'error.type': 'TimeoutError' }, 1, 0.002],
      [{ ...M, 'cache.operation': 'set' }, 1, 0.001],
    ]);
  });

  it('traceLoad: a child load span under the given parent, the value or error passed through unchanged', async () => {
    const h = harness();
    const rec = createCacheTelemetry(h.opts).cache({ name: 'a', system: 'memory' });
    const tracer = h.tracerProvider.getTracer('app');
    const root = tracer.startSpan('request');
    const parent = trace.setSpan(context.active(), root);
    expect(rec.traceLoad(() => 7, parent)).toBe(7);
    expect(await rec.traceLoad(async () => 'async', parent)).toBe('async');
    const boom = new SyntaxError('bad row');
    expect(() => rec.traceLoad(() => {
      throw boom;
    }, parent)).toThrow(boom);
    await expect(rec.traceLoad(async () => Promise.reject(boom), parent)).rejects.toBe(boom);
    root.end();
    const loads = h.spans().filter((s) => s.name === 'load a');
    expect(loads.map((s) => [s.attributes, s.status.code, s.parentSpanContext?.spanId])).toEqual([
      [{ ...M, 'cache.load.result': 'success' }, SpanStatusCode.UNSET, root.spanContext().spanId],
      [{ ...M, 'cache.load.result': 'success' }, SpanStatusCode.UNSET, root.spanContext().spanId],
      [{ ...M, 'cache.load.result': 'failure', 'error.type': 'SyntaxError' }, SpanStatusCode.ERROR, root.spanContext().spanId],
      [{ ...M, 'cache.load.result': 'failure', 'error.type': 'SyntaxError' }, SpanStatusCode.ERROR, root.spanContext().spanId],
    ]);
    const loadPoints = await h.histogram('cache.load.duration');
    expect(loadPoints.map((p) => [p.attributes, p.count])).toEqual([
      [{ ...M, 'cache.load.result': 'failure' }, 2],
      [{ ...M, 'cache.load.result': 'success' }, 2],
    ]);
  });
});

describe('size sources', () => {
  it('sums live sources, skips a reader that throws (counted) and values that are not sizes', async () => {
    const h = harness();
    const rec = createCacheTelemetry(h.opts).cache({ name: 'a', system: 'memory' });
    const one = new Map([[1, 1]]);
    const two = new Map([
      [1, 1],
      [2, 2],
    ]);
    rec.addSizeSource(one, { entries: (m) => m.size, entryLimit: () => 10 });
    rec.addSizeSource(two, { entries: (m) => m.size, entryLimit: () => Number.NaN });
    rec.addSizeSource({}, {
      entries: () => {
        throw new Error('reader broke');
      },
    });
    expect(await h.points('cache.entry.count')).toEqual([{ attributes: M, value: 3 }]);
    expect(await h.points('cache.entry.limit')).toEqual([{ attributes: M, value: 10 }]);
    // Read at each collection (two above), counted each time.
    expect(getDropCounts().get('cache entries could not be read')).toBe(2);
  });

  it('stops reporting a source once it has been garbage-collected', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const h = harness();
    const rec = createCacheTelemetry(h.opts).cache({ name: 'a', system: 'memory' });
    const kept = new Map([[1, 1]]);
    rec.addSizeSource(kept, { entries: (m) => m.size });
    (() => {
      rec.addSizeSource(new Map([[1, 1], [2, 2]]), { entries: (m) => m.size });
    })();
    let points = await h.points('cache.entry.count');
    expect(points).toEqual([{ attributes: M, value: 3 }]);
    for (let i = 0; i < 10 && points[0]?.value !== 1; i++) {
      await sleep(0);
      gc();
      points = await h.points('cache.entry.count');
    }
    expect(points).toEqual([{ attributes: M, value: 1 }]);
    expect(kept.size).toBe(1);
  });
});

describe('key capture and error types', () => {
  it('hashes keys of any type, passes a function’s redaction through, never records when off', () => {
    const h = harness();
    const off = createCacheTelemetry(h.opts);
    expect(off.keyAttribute('user:1')).toBeUndefined();
    const hashed = createCacheTelemetry({ ...h.opts, captureKeys: 'hash' });
    expect(hashed.keyAttribute('user:1')).toMatch(/^[0-9a-f]{16}$/);
    expect(hashed.keyAttribute({ id: 1 })).toBe(hashed.keyAttribute({ id: 1 }));
    expect(hashed.keyAttribute({ id: 1 })).not.toBe(hashed.keyAttribute({ id: 2 }));
    const broken = createCacheTelemetry({
      ...h.opts,
      captureKeys: () => {
        throw new Error('redactor broke');
      },
    });
    expect(broken.keyAttribute('x')).toBeUndefined();
    expect(getDropCounts().get('cache key could not be captured')).toBe(1);
    const redacted = createCacheTelemetry({ ...h.opts, captureKeys: (k) => (typeof k === 'string' ? k.split(':')[0] : undefined) });
    expect(redacted.keyAttribute('user:1')).toBe('user');
    expect(redacted.keyAttribute(1)).toBeUndefined();
  });

  it('names an error by its class, then its code, else _OTHER', () => {
    expect(errorTypeOf(new TypeError('x'))).toBe('TypeError');
    expect(errorTypeOf(Object.assign(new Error('x'), { code: 'ECONNRESET' }))).toBe('ECONNRESET');
    expect(errorTypeOf(new Error('x'))).toBe('_OTHER');
    expect(errorTypeOf('a string')).toBe('_OTHER');
    class StoreReplyError extends Error {}
    expect(errorTypeOf(new StoreReplyError('x'))).toBe('StoreReplyError');
  });

  it('is a class instances of which are telemetry', () => {
    expect(createCacheTelemetry(harness().opts)).toBeInstanceOf(CacheTelemetry);
  });
});
