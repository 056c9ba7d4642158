// The convenience functions run on a default instance created on first use with the global
// providers; this file registers global providers once (vitest runs each file in its own process).
import { metrics, trace } from '@opentelemetry/api';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { ATTR_SELECTOR_ENGINE_NAME, ATTR_SELECTOR_RESULT, METRIC_SELECTOR_RESOLUTIONS } from '@driftwatch/semconv';
import { detectAnomalies, formatReport, generateReport, getSelectorStats, recordResolution, resolve } from '@driftwatch/selector';
import { fixed } from './harness';

class PullReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

describe('convenience functions over the default instance', () => {
  it('pick up a meter provider registered after an earlier call', async () => {
    // Before any SDK: recorded nowhere, no error.
    recordResolution('early.call', { strategy: 'css', durationMs: 1 });
    const reader = new PullReader();
    metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
    recordResolution('late.call', { strategy: 'css', durationMs: 1 });
    const { resourceMetrics } = await reader.collect();
    const counter = resourceMetrics.scopeMetrics.flatMap((s) => s.metrics).find((m) => m.descriptor.name === METRIC_SELECTOR_RESOLUTIONS)!;
    expect(counter.dataPoints.map((p) => p.value)).toEqual([1]);
    metrics.disable();
  });

  it('use the global tracer and meter providers registered before first use', async () => {
    const exporter = new InMemorySpanExporter();
    trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));
    const reader = new PullReader();
    metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));

    const r = await resolve('home.search', [fixed('css', { count: 1 })]);
    expect(r.result).toBe('success');
    recordResolution('home.search', { result: 'not_found', durationMs: 3 });
    await expect(resolve('', [fixed('css', { count: 1 })])).rejects.toThrow(TypeError);

    expect(exporter.getFinishedSpans().map((s) => [s.name, s.attributes[ATTR_SELECTOR_RESULT], s.attributes[ATTR_SELECTOR_ENGINE_NAME]])).toEqual([
      ['resolve home.search', 'success', 'custom'],
      ['resolve home.search', 'not_found', 'custom'],
    ]);
    const { resourceMetrics } = await reader.collect();
    const counter = resourceMetrics.scopeMetrics.flatMap((s) => s.metrics).find((m) => m.descriptor.name === METRIC_SELECTOR_RESOLUTIONS)!;
    expect(counter.dataPoints.map((p) => [p.attributes[ATTR_SELECTOR_RESULT], p.value])).toEqual([
      ['success', 1],
      ['not_found', 1],
    ]);
    expect(getSelectorStats('home.search')).toMatchObject({ uses: 2, successRate: 0.5 });
    expect(detectAnomalies()).toEqual([]);
    const report = generateReport();
    expect(report.totals.resolutions).toBe(2);
    expect(formatReport(report)).toContain('| home.search | 2 | 1 | 1 |');
  });
});
