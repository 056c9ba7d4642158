// A connection drop mid-run, for real: the server is paused (so commands are in flight), killed,
// and restarted on the same port. The host sees exactly the errors an uninstrumented twin client
// sees; each failed command is recorded as an error; nothing crashes; and after the reconnect the
// telemetry keeps working.
import { SpanStatusCode } from '@opentelemetry/api';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { describe, expect, it } from 'vitest';
import { ATTR_CACHE_OPERATION, ATTR_CACHE_RESULT, ATTR_ERROR_TYPE, METRIC_CACHE_OPERATION_DURATION, METRIC_CACHE_REQUESTS } from '@driftwatch/semconv';
import { instrumentIoredis } from '../src/ioredis';
import { instrumentNodeRedis } from '../src/node-redis';
import { errorTypeOf } from '../src/telemetry';
import { shouldRunRedisTests } from '../../../test/support/redis-server';
import { cacheBase, drops, uniquePrefix, useRedisHarness } from './redis-harness';
import type { Point } from './redis-harness';

type Outcome = { ok: true; value: unknown } | { ok: false; type: string; message: string; error: Error };

const settle = (p: Promise<unknown>): Promise<Outcome> =>
  p.then(
    (value) => ({ ok: true as const, value }),
    (e: unknown) => ({ ok: false as const, type: (e as Error).constructor.name, message: (e as Error).message, error: e as Error }),
  );
const comparable = (o: Outcome): unknown => (o.ok ? o : { ok: false, type: o.type, message: o.message });
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** `cache.requests` counts by `operation|result`. */
function requestCounts(points: Point[]): Record<string, number> {
  return Object.fromEntries(points.map((p) => [`${String(p.attributes[ATTR_CACHE_OPERATION])}|${String(p.attributes[ATTR_CACHE_RESULT])}`, p.value]));
}

describe.runIf(shouldRunRedisTests())('a connection drop mid-run', () => {
  // Its own server even when REDIS_URL names a shared one: these tests kill and restart it.
  const { h, server } = useRedisHarness({ ownServer: true });

  it('ioredis: in-flight and offline commands fail as they would uninstrumented, are counted as errors, and telemetry resumes', async (ctx) => {
    if (!server().spawned) return ctx.skip(); // a REDIS_URL server cannot be killed
    const options = { maxRetriesPerRequest: 1, retryStrategy: () => 50 };
    const c = new Redis(server().url, options);
    const bare = new Redis(server().url, options);
    const admin = new Redis(server().url, { retryStrategy: () => null, maxRetriesPerRequest: 0 });
    for (const r of [c, bare, admin]) r.on('error', () => undefined);
    const p = uniquePrefix();
    try {
      await Promise.all([c.ping(), bare.ping(), admin.set(`${p}a`, '1')]);
      instrumentIoredis(c, { name: 'users', ...h.opts });
      await admin.call('CLIENT', 'PAUSE', '10000', 'ALL');
      const run = (r: Redis): Array<Promise<Outcome>> => [settle(r.get(`${p}a`)), settle(r.get(`${p}b`)), settle(r.set(`${p}c`, 'v'))];
      const inFlight = [run(c), run(bare)];
      await sleep(100);
      await server().kill();
      const offline = [settle(c.get(`${p}a`)), settle(bare.get(`${p}a`))];
      const [mine, theirs] = await Promise.all(inFlight.map((x) => Promise.all(x)));
      const [mineOffline, theirsOffline] = await Promise.all(offline);
      expect(mine!.map(comparable)).toEqual(theirs!.map(comparable));
      expect(comparable(mineOffline!)).toEqual(comparable(theirsOffline!));
      const failures = [...mine!, mineOffline!].filter((o): o is Extract<Outcome, { ok: false }> => !o.ok);
      expect(failures).toHaveLength(4);
      const failedGets = failures.length - 1;
      expect(requestCounts(await h.points(METRIC_CACHE_REQUESTS))).toEqual({ 'get|error': failedGets, 'set|error': 1 });
      const errorSpans = h.spans().filter((s) => s.status.code === SpanStatusCode.ERROR);
      expect(errorSpans.map((s) => s.status.message).sort()).toEqual(failures.map((f) => f.message).sort());
      expect(errorSpans.map((s) => s.attributes[ATTR_ERROR_TYPE]).sort()).toEqual(failures.map((f) => errorTypeOf(f.error)).sort());

      await server().restart();
      await sleep(200);
      h.exporter.reset();
      expect(await c.get(`${p}after`)).toBeNull();
      expect(requestCounts(await h.points(METRIC_CACHE_REQUESTS))).toEqual({ 'get|error': failedGets, 'set|error': 1, 'get|miss': 1 });
      expect(h.spans().map((s) => s.attributes[ATTR_CACHE_RESULT])).toEqual(['miss']);
      expect(drops()).toEqual({});
    } finally {
      c.disconnect();
      bare.disconnect();
      admin.disconnect();
    }
  });

  it('node-redis: in-flight commands fail as they would uninstrumented; queued ones run after the reconnect; both are recorded', async (ctx) => {
    if (!server().spawned) return ctx.skip();
    const make = () => {
      const r = createClient({ url: server().url, socket: { reconnectStrategy: () => 50 } });
      r.on('error', () => undefined);
      return r;
    };
    const c = make();
    const bare = make();
    const admin = createClient({ url: server().url, socket: { reconnectStrategy: false } });
    admin.on('error', () => undefined);
    const p = uniquePrefix();
    try {
      await Promise.all([c.connect(), bare.connect(), admin.connect()]);
      await admin.set(`${p}a`, '1');
      instrumentNodeRedis(c, { name: 'users', ...h.opts });
      await admin.sendCommand(['CLIENT', 'PAUSE', '10000', 'ALL']);
      const run = (r: typeof c): Array<Promise<Outcome>> => [settle(r.get(`${p}a`)), settle(r.get(`${p}b`)), settle(r.set(`${p}c`, 'v'))];
      const inFlight = [run(c), run(bare)];
      await sleep(100);
      await server().kill();
      const [mine, theirs] = await Promise.all(inFlight.map((x) => Promise.all(x)));
      expect(mine!.map(comparable)).toEqual(theirs!.map(comparable));
      const failures = mine!.filter((o): o is Extract<Outcome, { ok: false }> => !o.ok);
      expect(failures).toHaveLength(3);
      expect(requestCounts(await h.points(METRIC_CACHE_REQUESTS))).toEqual({ 'get|error': 2, 'set|error': 1 });
      const errorSpans = h.spans().filter((s) => s.status.code === SpanStatusCode.ERROR);
      expect(errorSpans.map((s) => s.status.message)).toEqual(failures.map((f) => f.message));
      expect((await h.counts(METRIC_CACHE_OPERATION_DURATION)).filter((pt) => pt.attributes[ATTR_CACHE_RESULT] === 'error')).toEqual([
        { attributes: { ...cacheBase('users'), [ATTR_CACHE_OPERATION]: 'get', [ATTR_CACHE_RESULT]: 'error', [ATTR_ERROR_TYPE]: errorTypeOf(failures[0]!.error) }, value: 2 },
        { attributes: { ...cacheBase('users'), [ATTR_CACHE_OPERATION]: 'set', [ATTR_CACHE_RESULT]: 'error', [ATTR_ERROR_TYPE]: errorTypeOf(failures[2]!.error) }, value: 1 },
      ]);

      // Issued while the server is down: queued by the client, run after the reconnect.
      h.exporter.reset();
      const queued = settle(c.get(`${p}queued`));
      const queuedBare = settle(bare.get(`${p}queued`));
      await sleep(100);
      await server().restart();
      expect(comparable(await queued)).toEqual(comparable(await queuedBare));
      expect(comparable(await queued)).toEqual({ ok: true, value: null });
      expect(await c.get(`${p}after`)).toBeNull();
      expect(requestCounts(await h.points(METRIC_CACHE_REQUESTS))).toEqual({ 'get|error': 2, 'set|error': 1, 'get|miss': 2 });
      expect(h.spans().map((s) => s.attributes[ATTR_CACHE_RESULT])).toEqual(['miss', 'miss']);
      expect(drops()).toEqual({});
    } finally {
      await Promise.allSettled([c.close(), bare.close(), admin.close()]);
      c.destroy?.();
      bare.destroy?.();
    }
  });
});
