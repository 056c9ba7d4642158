// Harness of the Redis adapter tests: a tracer provider with an in-memory exporter, a meter provider
// with a pull reader, the async-hooks context manager, and a real Redis server per test file
// (test/support/redis-server.ts: spawned on a free port, or REDIS_URL).
import { context } from '@opentelemetry/api';
import type { Attributes } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import type { DataPoint, Histogram, MetricData } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { startRedisServer } from '../../../test/support/redis-server';
import type { RedisServer } from '../../../test/support/redis-server';
import { ATTR_CACHE_NAME, ATTR_CACHE_SYSTEM_NAME } from '@driftwatch/semconv';
import { getDropCounts, resetDropCounts } from '../src/diag';

class PullReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

export interface Point {
  attributes: Attributes;
  value: number;
}

export interface Harness {
  exporter: InMemorySpanExporter;
  tracerProvider: BasicTracerProvider;
  meterProvider: MeterProvider;
  /** `{ tracerProvider, meterProvider }`. */
  opts: { tracerProvider: BasicTracerProvider; meterProvider: MeterProvider };
  spans(): ReadableSpan[];
  metric(name: string): Promise<MetricData | undefined>;
  /** Sum and gauge points (value), sorted by attributes. */
  points(name: string): Promise<Point[]>;
  /** Histogram points (value = count), sorted by attributes. */
  counts(name: string): Promise<Point[]>;
}

const codepoints = (x: string, y: string): number => (x < y ? -1 : x > y ? 1 : 0);
const byAttributes = (a: Point, b: Point): number => codepoints(JSON.stringify(sortKeys(a.attributes)), JSON.stringify(sortKeys(b.attributes)));

function sortKeys(a: Attributes): Attributes {
  return Object.fromEntries(Object.entries(a).sort(([x], [y]) => codepoints(x, y)));
}

export function createHarness(): Harness {
  const exporter = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const reader = new PullReader();
  const meterProvider = new MeterProvider({ readers: [reader] });
  const metric = async (name: string): Promise<MetricData | undefined> => {
    const { resourceMetrics } = await reader.collect();
    for (const sm of resourceMetrics.scopeMetrics) for (const m of sm.metrics) if (m.descriptor.name === name) return m;
    return undefined;
  };
  return {
    exporter,
    tracerProvider,
    meterProvider,
    opts: { tracerProvider, meterProvider },
    spans: () => exporter.getFinishedSpans(),
    metric,
    points: async (name) =>
      ((await metric(name))?.dataPoints ?? []).map((p: DataPoint<unknown>) => ({ attributes: p.attributes, value: p.value as number })).sort(byAttributes),
    counts: async (name) =>
      ((await metric(name))?.dataPoints ?? []).map((p: DataPoint<unknown>) => ({ attributes: p.attributes, value: (p.value as Histogram).count })).sort(byAttributes),
  };
}

/**
 * Registers the hooks a Redis test file needs (the context manager and a Redis server for the file,
 * a fresh harness and zeroed drop counts per test) and returns views of the current ones.
 */
export function useRedisHarness(): { h: Harness; server(): RedisServer } {
  let manager: AsyncLocalStorageContextManager | undefined;
  let server: RedisServer | undefined;
  let current: Harness | undefined;
  beforeAll(async () => {
    manager = new AsyncLocalStorageContextManager().enable();
    context.setGlobalContextManager(manager);
    server = await startRedisServer();
  });
  afterAll(async () => {
    context.disable();
    manager?.disable();
    await server?.stop();
  });
  beforeEach(() => {
    current = createHarness();
    resetDropCounts();
  });
  const now = (): Harness => {
    if (!current) throw new Error('the harness is only available inside a test');
    return current;
  };
  const h: Harness = {
    get exporter() {
      return now().exporter;
    },
    get tracerProvider() {
      return now().tracerProvider;
    },
    get meterProvider() {
      return now().meterProvider;
    },
    get opts() {
      return now().opts;
    },
    spans: () => now().spans(),
    metric: (name) => now().metric(name),
    points: (name) => now().points(name),
    counts: (name) => now().counts(name),
  };
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
