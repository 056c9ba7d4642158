// The in-memory OpenTelemetry set-up every package's tests share: a tracer provider with an in-memory
// span exporter, a meter provider with a pull reader, and the async-hooks context manager. Package
// harnesses build on it and add what their tests need.
import { context } from '@opentelemetry/api';
import type { Attributes } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import type { DataPoint, MetricData } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, beforeEach } from 'vitest';

/** A reader whose `collect()` the test calls itself. */
export class PullReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

export interface OtelHarness {
  exporter: InMemorySpanExporter;
  tracerProvider: BasicTracerProvider;
  meterProvider: MeterProvider;
  /** `{ tracerProvider, meterProvider }`, the options the code under test takes. */
  opts: { tracerProvider: BasicTracerProvider; meterProvider: MeterProvider };
  spans(): ReadableSpan[];
  /** The one finished span with this name (throws when there is not exactly one). */
  span(name: string): ReadableSpan;
  /** The metric with this name from a fresh collection (a collection error is thrown). */
  metric(name: string): Promise<MetricData | undefined>;
  /** The metric's points in collection order. */
  points(name: string): Promise<Array<{ attributes: Attributes; value: unknown }>>;
}

export function createOtelHarness(): OtelHarness {
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
    points: async (name) => ((await metric(name))?.dataPoints ?? []).map((p: DataPoint<unknown>) => ({ attributes: p.attributes, value: p.value })),
  };
}

let manager: AsyncLocalStorageContextManager | undefined;

/** Installs the async-hooks context manager (call in beforeAll). */
export function installContextManager(): void {
  manager = new AsyncLocalStorageContextManager();
  manager.enable();
  context.setGlobalContextManager(manager);
}

/** Removes it again (call in afterAll). */
export function removeContextManager(): void {
  context.disable();
  manager?.disable();
  manager = undefined;
}

/**
 * Registers the per-file context manager and, before each test, a fresh harness from `create` (and
 * `beforeEachTest`, e.g. zeroed drop counters); returns a view whose properties and methods always
 * read the current test's harness, so a test file can hold it in a top-level constant.
 */
export function useCurrentHarness<H extends object>(create: () => H, beforeEachTest?: () => void): H {
  let current: H | undefined;
  beforeAll(installContextManager);
  afterAll(removeContextManager);
  beforeEach(() => {
    current = create();
    beforeEachTest?.();
  });
  return new Proxy({} as H, {
    get(_, key) {
      if (!current) throw new Error('the harness is only available inside a test');
      const value: unknown = Reflect.get(current, key);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(current) : value;
    },
  });
}
