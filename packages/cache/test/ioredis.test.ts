// ioredis adapter against a real redis-server: the shared suite (redis-suite.ts) plus what is
// specific to ioredis (offline queue, keyPrefix, MULTI, clusters).
import { Cluster, Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import {
  ATTR_CACHE_OPERATION,
  ATTR_CACHE_RESULT,
  ATTR_DB_QUERY_TEXT,
  ATTR_ERROR_TYPE,
  METRIC_CACHE_OPERATION_DURATION,
  METRIC_CACHE_REQUESTS,
} from '@driftwatch/semconv';
import { instrumentIoredis } from '../src/ioredis';
import { CacheConfigError } from '../src/telemetry';
import { shouldRunRedisTests } from '../../../test/support/redis-server';
import { cacheBase, uniquePrefix, useRedisHarness } from './redis-harness';
import { redisCacheSuite } from './redis-suite';
import type { RedisDriver } from './redis-suite';

const ioredis: RedisDriver<Redis> = {
  label: 'ioredis',
  async connect(url) {
    const c = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await c.connect();
    return c;
  },
  quit: async (c) => void (await c.quit()),
  instrument: (c, o) => instrumentIoredis(c, o),
  spanName: (cmd) => cmd,
  opName: (cmd) => cmd,
  replyErrorType: 'ReplyError',
  get: (c, k) => c.get(k),
  set: (c, k, v, ...o) => c.call('set', k, v, ...o),
  mget: (c, keys) => c.mget(...keys),
  mset: (c, entries) => c.mset(entries),
  del: (c, keys) => c.del(...keys),
  exists: (c, keys) => c.exists(...keys),
  getdel: (c, k) => c.getdel(k),
  hset: (c, k, fields) => c.hset(k, fields),
  hget: (c, k, f) => c.hget(k, f),
  hgetall: (c, k) => c.hgetall(k),
  hmget: (c, k, fields) => c.hmget(k, ...fields),
  incr: (c, k) => c.incr(k),
  select: (c, db) => c.select(db),
  flushdb: (c) => c.flushdb(),
  async pipelineGets(c, keys) {
    const out = await c.pipeline(keys.map((k) => ['get', k])).exec();
    return (out ?? []).map(([err, v]) => {
      if (err) throw err;
      return v;
    });
  },
};

describe.runIf(shouldRunRedisTests())('instrumentIoredis', () => {
  redisCacheSuite(ioredis);

  describe('ioredis specifics', () => {
    const { h, server } = useRedisHarness();

    it('a command queued before the connection is ready is recorded once, from its first call', async () => {
      const c = new Redis(server().url);
      instrumentIoredis(c, { name: 'users', ...h.opts });
      const p = uniquePrefix();
      try {
        expect(c.status).not.toBe('ready');
        expect(await c.get(`${p}missing`)).toBeNull();
        expect(h.spans().map((s) => s.name)).toEqual(['get']);
        expect(await h.points(METRIC_CACHE_REQUESTS)).toEqual([
          { attributes: { ...cacheBase('users'), [ATTR_CACHE_OPERATION]: 'get', [ATTR_CACHE_RESULT]: 'miss' }, value: 1 },
        ]);
      } finally {
        await c.quit();
      }
    });

    it('a command rejected inside sendCommand (offline queue disabled) is recorded as an error', async () => {
      const c = new Redis(server().url, { lazyConnect: true, enableOfflineQueue: false });
      const bare = new Redis(server().url, { lazyConnect: true, enableOfflineQueue: false });
      instrumentIoredis(c, { name: 'users', ...h.opts });
      const expected = (await bare.get('k').catch((e: unknown) => e)) as Error;
      const err = (await c.get('k').catch((e: unknown) => e)) as Error;
      expect(err).toBeInstanceOf(Error);
      expect(err.message).toBe(expected.message);
      expect(await h.counts(METRIC_CACHE_OPERATION_DURATION)).toEqual([
        { attributes: { ...cacheBase('users'), [ATTR_CACHE_OPERATION]: 'get', [ATTR_CACHE_RESULT]: 'error', [ATTR_ERROR_TYPE]: '_OTHER' }, value: 1 },
      ]);
      expect(h.spans()[0]!.status.message).toBe(expected.message);
      c.disconnect();
      bare.disconnect();
    });

    it('prefixes match keys as sent, including the client keyPrefix', async () => {
      const p = uniquePrefix();
      const c = new Redis(server().url, { keyPrefix: `${p}app:` });
      try {
        instrumentIoredis(c, { name: 'users', ...h.opts, prefixes: [`${p}app:users:`] });
        await c.get('users:1');
        await c.get('orders:1');
        expect(h.spans().map((s) => s.attributes[ATTR_DB_QUERY_TEXT])).toEqual([`get ${p}app:users:1`]);
      } finally {
        await c.quit();
      }
    });

    it('commands inside MULTI are not read (their replies are QUEUED); EXEC results reach the caller', async () => {
      const p = uniquePrefix();
      const c = new Redis(server().url);
      try {
        instrumentIoredis(c, { name: 'users', ...h.opts });
        expect(await c.multi().set(`${p}a`, '1').get(`${p}a`).exec()).toEqual([
          [null, 'OK'],
          [null, '1'],
        ]);
        expect(h.spans()).toEqual([]);
        expect(await h.points(METRIC_CACHE_REQUESTS)).toEqual([]);
      } finally {
        await c.quit();
      }
    });

    it('rejects cluster clients', () => {
      const cluster = new Cluster([{ host: '127.0.0.1', port: 1 }], { lazyConnect: true });
      expect(() => instrumentIoredis(cluster as never, { name: 'x' })).toThrow(CacheConfigError);
      cluster.disconnect();
    });
  });
});
