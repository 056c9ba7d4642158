// node-redis adapter against a real redis-server: the shared suite (redis-suite.ts) plus what is
// specific to node-redis (the tracing channel versus the wrapper-only path of older clients,
// command-option proxies, pools and clusters).
import { Redis } from 'ioredis';
import { createClient, createClientPool } from 'redis';
import { describe, expect, it } from 'vitest';
import { ATTR_CACHE_OPERATION, ATTR_CACHE_RESULT, ATTR_DB_QUERY_TEXT, ATTR_SERVER_PORT, METRIC_CACHE_REQUESTS } from '@driftwatch/semconv';
import { instrumentNodeRedis } from '../src/node-redis';
import { CacheConfigError } from '../src/telemetry';
import { shouldRunRedisTests } from '../../../test/support/redis-server';
import { cacheBase, uniquePrefix, useRedisHarness } from './redis-harness';
import { redisCacheSuite } from './redis-suite';
import type { RedisDriver } from './redis-suite';

const makeClient = (url: string) => createClient({ url });
type Client = ReturnType<typeof makeClient>;

const nodeRedis: RedisDriver<Client> = {
  label: 'node-redis',
  async connect(url) {
    const c = makeClient(url);
    c.on('error', () => undefined);
    await c.connect();
    return c;
  },
  quit: async (c) => void (await c.close()),
  instrument: (c, o) => instrumentNodeRedis(c, o),
  spanName: (cmd) => `redis-${cmd.toUpperCase()}`,
  opName: (cmd) => cmd.toUpperCase(),
  replyErrorType: 'SimpleError',
  get: (c, k) => c.get(k),
  set: (c, k, v, ...o) => c.sendCommand(['SET', k, v, ...o]),
  mget: (c, keys) => c.mGet(keys),
  mset: (c, entries) => c.mSet(entries),
  del: (c, keys) => c.del(keys),
  exists: (c, keys) => c.exists(keys),
  getdel: (c, k) => c.getDel(k),
  hset: (c, k, fields) => c.hSet(k, fields),
  hget: (c, k, f) => c.hGet(k, f),
  hgetall: (c, k) => c.hGetAll(k),
  hmget: (c, k, fields) => c.hmGet(k, fields),
  incr: (c, k) => c.incr(k),
  select: (c, db) => c.select(db),
  flushdb: (c) => c.flushDb(),
  async pipelineGets(c, keys) {
    const m = c.multi();
    for (const k of keys) m.get(k);
    return (await m.execAsPipeline()) as unknown[];
  },
};

/**
 * A client with node-redis's `sendCommand(args)` surface that publishes nothing on the
 * `node-redis:command` channel, as @redis/client before 5.12 (the transport is a real ioredis
 * connection).
 */
class UnpublishedClient {
  readonly options: { socket: { host: string; port: number } };
  constructor(private readonly io: Redis, host: string, port: number) {
    this.options = { socket: { host, port } };
  }
  sendCommand(args: string[]): Promise<unknown> {
    return this.io.call(args[0]!, ...args.slice(1));
  }
}

describe.runIf(shouldRunRedisTests())('instrumentNodeRedis', () => {
  redisCacheSuite(nodeRedis);

  describe('node-redis specifics', () => {
    const { h, server } = useRedisHarness();

    it('commands through withCommandOptions() proxies are recorded (they share the instrumented client)', async () => {
      const c = await nodeRedis.connect(server().url);
      try {
        instrumentNodeRedis(c, { name: 'users', ...h.opts });
        const proxy = c.withCommandOptions({ timeout: 5000 });
        expect(await proxy.get(`${uniquePrefix()}missing`)).toBeNull();
        expect(await h.points(METRIC_CACHE_REQUESTS)).toEqual([
          { attributes: { ...cacheBase('users'), [ATTR_CACHE_OPERATION]: 'get', [ATTR_CACHE_RESULT]: 'miss' }, value: 1 },
        ]);
      } finally {
        await c.close();
      }
    });

    it('without the tracing channel (older clients) the wrapper alone records replies and errors', async () => {
      const io = new Redis(server().url);
      const p = uniquePrefix();
      try {
        await io.set(`${p}a`, '1');
        await io.hset(`${p}h`, 'f', 'v');
        const client = new UnpublishedClient(io, server().host, server().port);
        instrumentNodeRedis(client, { name: 'legacy', ...h.opts });
        expect(await client.sendCommand(['GET', `${p}a`])).toBe('1');
        expect(await client.sendCommand(['GET', `${p}b`])).toBeNull();
        const err = (await client.sendCommand(['GET', `${p}h`]).catch((e: unknown) => e)) as Error;
        expect(err.message).toMatch(/^WRONGTYPE/);
        expect(await h.points(METRIC_CACHE_REQUESTS)).toEqual(
          (
            [
              ['error', 1],
              ['hit', 1],
              ['miss', 1],
            ] as const
          ).map(([r, v]) => ({ attributes: { ...cacheBase('legacy'), [ATTR_CACHE_OPERATION]: 'get', [ATTR_CACHE_RESULT]: r }, value: v })),
        );
        expect(h.spans().map((s) => [s.name, s.attributes[ATTR_DB_QUERY_TEXT], s.attributes[ATTR_SERVER_PORT], s.attributes[ATTR_CACHE_RESULT]])).toEqual([
          ['redis-GET', `GET ${p}b`, server().port, 'miss'],
          ['redis-GET', `GET ${p}h`, server().port, 'error'],
        ]);
      } finally {
        await io.quit();
      }
    });

    it('rejects pools and clusters', () => {
      const pool = createClientPool({ url: server().url });
      expect(() => instrumentNodeRedis(pool as never, { name: 'x' })).toThrow(CacheConfigError);
    });
  });
});
