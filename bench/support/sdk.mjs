// One OTel SDK pipeline per benchmark variant, so that only the instrumentation differs: a
// recording tracer provider with a BatchSpanProcessor in front of an exporter that discards, and
// a meter provider with a reader. Each variant flushes its own pipeline inside its own timed
// batch, so the cost of exporting is charged to the variant that produced the spans.
import { context, propagation } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';

/** A span exporter that only counts what it is given (the cost floor of exporting). */
export class DiscardingSpanExporter {
  exported = 0;
  export(spans, done) {
    this.exported += spans.length;
    done({ code: 0 });
  }
  shutdown() {
    return Promise.resolve();
  }
  forceFlush() {
    return Promise.resolve();
  }
}

let contextReady = false;

/** The process-wide parts every OTel set-up has: the context manager and the propagator. */
export function setUpContext() {
  if (contextReady) return;
  contextReady = true;
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
}

/** A recording pipeline (not registered globally; pass its providers explicitly). */
export function createPipeline() {
  setUpContext();
  const exporter = new DiscardingSpanExporter();
  const tracerProvider = new NodeTracerProvider({
    spanProcessors: [new BatchSpanProcessor(exporter, { maxQueueSize: 65536, maxExportBatchSize: 4096, scheduledDelayMillis: 3_600_000 })],
  });
  const meterProvider = new MeterProvider({
    readers: [
      new PeriodicExportingMetricReader({
        exporter: new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE),
        exportIntervalMillis: 3_600_000,
      }),
    ],
  });
  return {
    tracerProvider,
    meterProvider,
    exporter,
    flush: () => tracerProvider.forceFlush(),
    async shutdown() {
      await tracerProvider.shutdown();
      await meterProvider.shutdown();
    },
  };
}
