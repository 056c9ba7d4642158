// getSelectorStats() adds the process-wide Driftwatch processor's sliding windows for the selector,
// merged over its series, and says nothing about windows without a processor.
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it } from 'vitest';
import { DriftwatchProcessor, setGlobalProcessor } from '@driftwatch/processor';
import { createSelectorTelemetry } from '@driftwatch/selector';

afterEach(() => setGlobalProcessor(undefined));

describe('getSelectorStats() and the Driftwatch processor', () => {
  it('adds the processor windows of the selector, merged across its primary strategies', () => {
    let now = Date.UTC(2026, 10, 23, 12);
    const processor = new DriftwatchProcessor({ clock: () => now, metricIntervalMs: 0, windows: ['1m', '15m'] });
    const tracerProvider = new BasicTracerProvider({ spanProcessors: [processor] });
    const selectors = createSelectorTelemetry({ tracerProvider, meterProvider: new MeterProvider() });
    const record = (strategy: string, result: 'success' | 'not_found', confidence?: number) =>
      selectors.recordResolution('checkout.submit', { strategy, result, confidence, durationMs: 20, startTime: Date.now() - 20, attempts: [{ strategy, result: result === 'success' ? 'matched' : 'no_match', durationMs: 20 }] });

    record('css', 'success', 0.9);
    expect(selectors.getSelectorStats('checkout.submit')!.windows).toBeUndefined(); // no global processor yet

    setGlobalProcessor(processor);
    now += 10_000;
    record('css', 'success', 0.7);
    now += 10_000;
    record('text', 'not_found');
    const stats = selectors.getSelectorStats('checkout.submit')!;
    expect(stats.uses).toBe(3);
    const m1 = stats.windows!['1m']!;
    // The processor saw all three (it is a span processor from the start); they are two series
    // (primary strategy css and text), merged here.
    expect(m1.count).toBe(3);
    expect(m1.successRatio).toBeCloseTo(2 / 3, 12);
    expect(m1.errorRatioByType).toEqual({ NotFoundError: 1 / 3 });
    expect(m1.meanConfidence).toBeCloseTo(0.8, 12);
    expect(m1.confidenceTrend).toBeCloseTo(-0.02, 12); // 0.9 → 0.7 over two 5 s slots 10 s apart
    expect(Object.keys(stats.windows!)).toEqual(['1m', '15m']);
    expect(processor.aggregate('selector', { 'selector.name': 'checkout.submit' })!.series).toBe(2);
    expect(selectors.getSelectorStats('unknown')).toBeUndefined();
  });
});
