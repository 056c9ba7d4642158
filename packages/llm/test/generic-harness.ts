// Test harness for the generic API, decorator, module and resilience tests: a tracer provider with an
// in-memory exporter, a meter provider with a pull reader, and the async-hooks context manager.
import { context } from '@opentelemetry/api';
import type { Attributes } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import type { DataPoint, MetricData } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { getDropCounts, resetDropCounts } from '../src/diag';

class PullReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

export interface Harness {
  exporter: InMemorySpanExporter;
  tracerProvider: BasicTracerProvider;
  meterProvider: MeterProvider;
  spans(): ReadableSpan[];
  span(name: string): ReadableSpan;
  metric(name: string): Promise<MetricData | undefined>;
  points(name: string): Promise<Array<{ attributes: Attributes; value: unknown }>>;
}

export function createHarness(): Harness {
  const exporter = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const reader = new PullReader();
  const meterProvider = new MeterProvider({ readers: [reader] });
  const metric = async (name: string): Promise<MetricData | undefined> => {
    const { resourceMetrics } = await reader.collect();
    for (const sm of resourceMetrics.scopeMetrics) {
      for (const m of sm.metrics) if (m.descriptor.name === name) return m;
    }
    return undefined;
  };
  return {
    exporter,
    tracerProvider,
    meterProvider,
    spans: () => exporter.getFinishedSpans(),
    span: (name) => {
      const found = exporter.getFinishedSpans().filter((s) => s.name === name);
      if (found.length !== 1) throw new Error(`expected one span named "${name}", found ${found.length}`);
      return found[0]!;
    },
    metric,
    points: async (name) => {
      const m = await metric(name);
      return (m?.dataPoints ?? []).map((p: DataPoint<unknown>) => ({ attributes: p.attributes, value: p.value }));
    },
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

/** Drop counts as a plain object, for exact assertions. */
export function drops(): Record<string, number> {
  return Object.fromEntries(getDropCounts());
}

export { resetDropCounts };

/** The span's parent span id (SDK 2.x `parentSpanContext`). */
export function parentId(span: ReadableSpan): string | undefined {
  return span.parentSpanContext?.spanId;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
