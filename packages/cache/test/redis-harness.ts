// Harness of the Redis adapter tests: a tracer provider with an in-memory exporter, a meter provider
// with a pull reader, the async-hooks context manager, and a real Redis server per test file
// (test/support/redis-server.ts: spawned on a free port, or REDIS_URL).
import type { Attributes } from '@opentelemetry/api';
import { afterAll, beforeAll } from 'vitest';
import { startRedisServer } from '../../../test/support/redis-server';
import type { RedisServer } from '../../../test/support/redis-server';
import { useCurrentHarness } from '../../../test/support/otel-harness.ts';
import { ATTR_CACHE_NAME, ATTR_CACHE_SYSTEM_NAME } from '@driftwatch/semconv';
import { getDropCounts, resetDropCounts } from '../src/diag';
import { createHarness as createCacheHarness } from './harness';
import type { Harness as CacheHarness, Point } from './harness';

export type { Point };

export interface Harness extends Pick<CacheHarness, 'exporter' | 'tracerProvider' | 'meterProvider' | 'opts' | 'spans' | 'metric' | 'points'> {
  /** Histogram points (value = count), sorted by attributes. */
  counts(name: string): Promise<Point[]>;
}

export function createHarness(): Harness {
  const h = createCacheHarness();
  return {
    ...h,
    counts: async (name) => (await h.histogram(name)).map((p) => ({ attributes: p.attributes, value: p.count })),
  };
}

/**
 * Registers the hooks a Redis test file needs (the context manager and a Redis server for the file,
 * a fresh harness and zeroed drop counts per test) and returns views of the current ones.
 */
export function useRedisHarness(options: { ownServer?: boolean } = {}): { h: Harness; server(): RedisServer } {
  let server: RedisServer | undefined;
  const h = useCurrentHarness(createHarness, resetDropCounts);
  beforeAll(async () => {
    server = await startRedisServer({ own: options.ownServer });
  });
  afterAll(async () => {
    await server?.stop();
  });
  return {
    h,
    server: () => {
      if (!server) throw new Error('the Redis server is only available inside a test');
      return server;
    },
  };
}

let seq = 0;
/** A key prefix no other test uses (the server may be shared through REDIS_URL). */
export function uniquePrefix(): string {
  return `dw${process.pid}x${Date.now().toString(36)}x${++seq}:`;
}

/** Drop counts as a plain object. */
export function drops(): Record<string, number> {
  return Object.fromEntries(getDropCounts());
}

/** The attributes every cache series of one cache carries. */
export function cacheBase(name: string): Attributes {
  return { [ATTR_CACHE_NAME]: name, [ATTR_CACHE_SYSTEM_NAME]: 'redis' };
}
