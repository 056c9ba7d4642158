// Test harness for the cache package: a tracer provider with an in-memory exporter, a meter provider
// with a pull reader, and the async-hooks context manager. `useHarness()` registers the per-file and
// per-test hooks and hands out a fresh harness (so each test has its own telemetry and recorders).
import { context } from '@opentelemetry/api';
import type { Attributes, HrTime } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import type { DataPoint, Histogram, MetricData } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { resetDropCounts } from '../src/diag';

class PullReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

export interface Point {
  attributes: Attributes;
  value: number;
}

export interface HistogramPoint {
  attributes: Attributes;
  count: number;
  sum: number;
}

export interface Harness {
  exporter: InMemorySpanExporter;
  tracerProvider: BasicTracerProvider;
  meterProvider: MeterProvider;
  /** `{ tracerProvider, meterProvider }`, the providers every adapter under test takes. */
  opts: { tracerProvider: BasicTracerProvider; meterProvider: MeterProvider };
  spans(): ReadableSpan[];
  /** The one finished span with this name (throws when there is not exactly one). */
  span(name: string): ReadableSpan;
  metric(name: string): Promise<MetricData | undefined>;
  /** Sum/gauge points of a metric, sorted by their attributes. */
  points(name: string): Promise<Point[]>;
  /** Histogram points of a metric, sorted by their attributes. */
  histogram(name: string): Promise<HistogramPoint[]>;
}

const sortKey = (a: { attributes: Attributes }): string => JSON.stringify(a.attributes, Object.keys(a.attributes).sort());
const byAttributes = (a: { attributes: Attributes }, b: { attributes: Attributes }): number => {
  const x = sortKey(a);
  const y = sortKey(b);
  return x < y ? -1 : x > y ? 1 : 0;
};

export function createHarness(): Harness {
  const exporter = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const reader = new PullReader();
  const meterProvider = new MeterProvider({ readers: [reader] });
  const metric = async (name: string): Promise<MetricData | undefined> => {
    const { resourceMetrics, errors } = await reader.collect();
    if (errors.length > 0) throw errors[0];
    for (const sm of resourceMetrics.scopeMetrics) {
      for (const m of sm.metrics) if (m.descriptor.name === name) return m;
    }
    return undefined;
  };
  return {
    exporter,
    tracerProvider,
    meterProvider,
    opts: { tracerProvider, meterProvider },
    spans: () => exporter.getFinishedSpans(),
    span: (name) => {
      const found = exporter.getFinishedSpans().filter((s) => s.name === name);
      if (found.length !== 1) throw new Error(`expected one span named "${name}", found ${found.length}`);
      return found[0]!;
    },
    metric,
    points: async (name) => {
      const m = await metric(name);
      return (m?.dataPoints ?? []).map((p: DataPoint<unknown>) => ({ attributes: p.attributes, value: p.value as number })).sort(byAttributes);
    },
    histogram: async (name) => {
      const m = await metric(name);
      return (m?.dataPoints ?? [])
        .map((p: DataPoint<unknown>) => ({ attributes: p.attributes, count: (p.value as Histogram).count, sum: (p.value as Histogram).sum ?? Number.NaN }))
        .sort(byAttributes);
    },
  };
}

/** Milliseconds between two span times. */
export function ms(start: HrTime, end: HrTime): number {
  return (end[0] - start[0]) * 1000 + (end[1] - start[1]) / 1e6;
}

let manager: AsyncLocalStorageContextManager | undefined;

/**
 * Registers the hooks a test file needs (the context manager for the file; a fresh harness and
 * zeroed drop counters for each test) and returns a getter for the current harness.
 */
export function useHarness(): () => Harness {
  let h: Harness | undefined;
  beforeAll(() => {
    manager = new AsyncLocalStorageContextManager();
    manager.enable();
    context.setGlobalContextManager(manager);
  });
  afterAll(() => {
    context.disable();
    manager?.disable();
    manager = undefined;
  });
  beforeEach(() => {
    resetDropCounts();
    h = createHarness();
  });
  return () => h!;
}

/** The base attributes of every cache series. */
export function base(name: string, system: string): Attributes {
  return { 'cache.name': name, 'cache.system.name': system };
}

export const sleep = (msec: number): Promise<void> => new Promise((r) => setTimeout(r, msec));
