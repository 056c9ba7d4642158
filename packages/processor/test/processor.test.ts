// The processor inside a real SDK pipeline: spans in through onEnd, cache counters in through its own
// metric reader, derived gauges out through a user reader's metricProducers, and the query API.
import { SpanStatusCode, TraceFlags, createTraceState } from '@opentelemetry/api';
import type { Attributes } from '@opentelemetry/api';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import type { MetricData } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { describe, expect, it } from 'vitest';
import { DriftwatchProcessor } from '@driftwatch/processor';
import type { ProcessorOptions } from '@driftwatch/processor';
import { PullReader } from '../../../test/support/otel-harness';

const T0 = Date.UTC(2026, 10, 23, 12, 0, 0);

function setup(options: ProcessorOptions = {}) {
  let now = T0;
  const processor = new DriftwatchProcessor({ clock: () => now, metricIntervalMs: 0, ...options });
  const resource = resourceFromAttributes({ 'service.name': 'checkout' });
  const tracerProvider = new BasicTracerProvider({ resource, spanProcessors: [processor] });
  const user = new PullReader({ metricProducers: [processor.metricProducer] });
  const meterProvider = new MeterProvider({ resource, readers: [user, processor.metricReader] });
  const tracer = tracerProvider.getTracer('test');
  const span = (name: string, attributes: Attributes, ms: number, error = false, traceState?: string) => {
    const start = now - ms;
    const s = tracer.startSpan(name, { attributes, startTime: start }, undefined);
    if (traceState !== undefined) {
      // A span context carrying OTEP 235 sampling information.
      Object.defineProperty(s, 'spanContext', { value: () => ({ traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), traceFlags: TraceFlags.SAMPLED, traceState: createTraceState(traceState) }) });
    }
    if (error) s.setStatus({ code: SpanStatusCode.ERROR });
    s.end(now);
  };
  const collect = async (): Promise<MetricData[]> => {
    const { resourceMetrics, errors } = await user.collect();
    expect(errors).toEqual([]);
    return resourceMetrics.scopeMetrics.flatMap((sm) => sm.metrics);
  };
  return { processor, tracerProvider, meterProvider, span, collect, advance: (ms: number) => (now += ms), nowMs: () => now };
}

const LLM = { 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'gpt-4o-mini' };

describe('DriftwatchProcessor in an SDK pipeline', () => {
  it('derives per-window call statistics from GenAI spans and exports them as gauges', async () => {
    const t = setup();
    t.span('chat gpt-4o-mini', { ...LLM, 'gen_ai.usage.input_tokens': 100, 'gen_ai.usage.output_tokens': 20, 'llm.cost.total': 0.002, 'resilience.retry.count': 0 }, 200);
    t.advance(1000);
    t.span('chat gpt-4o-mini', { ...LLM, 'gen_ai.usage.input_tokens': 300, 'gen_ai.usage.output_tokens': 30, 'llm.cost.total': 0.004, 'resilience.retry.count': 2, 'resilience.fallback.used': true }, 400);
    t.advance(1000);
    t.span('chat gpt-4o-mini', { ...LLM, 'error.type': 'RateLimitError', 'resilience.retry.count': 1 }, 50, true);
    t.advance(1000);
    t.span('chat gpt-4o-mini', { ...LLM, 'error.type': 'APIConnectionTimeoutError' }, 600, true);

    const st = t.processor.stats('llm', { 'service.name': 'checkout', ...LLM })!;
    expect(st.attributes).toEqual({ 'service.name': 'checkout', ...LLM });
    const m1 = st.windows['1m']!;
    expect(m1.count).toBe(4);
    expect(m1.successRatio).toBe(0.5);
    expect(m1.errorRatio).toBe(0.5);
    expect(m1.errorRatioByType).toEqual({ RateLimitError: 0.25, APIConnectionTimeoutError: 0.25 });
    expect(m1.timeoutRatio).toBe(0.25);
    expect(m1.fallbackRatio).toBe(0.25);
    expect(m1.meanRetries).toBe(1);
    expect(m1.tokens).toBe(450);
    expect(m1.cost).toBeCloseTo(0.006, 12);
    expect(m1.costPerSuccess).toBeCloseTo(0.003, 12);
    // The series is 3 s old but younger than a slot (5 s): the rate is over one slot.
    expect(m1.rate).toBeCloseTo(4 / 5, 12);
    // Rank floor(0.99 × 3) = 2 of [0.05, 0.2, 0.4, 0.6]: 0.4, within the bound.
    expect(Math.abs(m1.latency.p99! - 0.4) / 0.4).toBeLessThanOrEqual(m1.latencyRelativeError!);
    expect(Math.abs(m1.latency.p50! - 0.2) / 0.2).toBeLessThanOrEqual(m1.latencyRelativeError!);
    expect(Object.keys(st.windows)).toEqual(['1m', '5m', '15m', '1h']);

    const metrics = await t.collect();
    const names = metrics.map((m) => m.descriptor.name);
    expect(names).toEqual(expect.arrayContaining(['driftwatch.observations', 'driftwatch.rate', 'driftwatch.success.ratio', 'driftwatch.error.ratio', 'driftwatch.latency', 'driftwatch.tokens.rate', 'driftwatch.cost.rate', 'driftwatch.cost.per_success', 'driftwatch.processor.series']));
    const success = metrics.find((m) => m.descriptor.name === 'driftwatch.success.ratio')!;
    expect(success.dataPoints.map((p) => [p.attributes['driftwatch.window'], p.value])).toEqual([
      ['1m', 0.5],
      ['5m', 0.5],
      ['15m', 0.5],
      ['1h', 0.5],
    ]);
    expect(success.dataPoints[0]!.attributes).toEqual({ 'service.name': 'checkout', ...LLM, 'driftwatch.domain': 'llm', 'driftwatch.window': '1m' });
    const errors = metrics.find((m) => m.descriptor.name === 'driftwatch.error.ratio')!;
    expect(errors.dataPoints.filter((p) => p.attributes['driftwatch.window'] === '1m').map((p) => [p.attributes['error.type'], p.value])).toEqual([
      ['RateLimitError', 0.25],
      ['APIConnectionTimeoutError', 0.25],
    ]);
    const latency = metrics.find((m) => m.descriptor.name === 'driftwatch.latency')!;
    expect(latency.dataPoints.filter((p) => p.attributes['driftwatch.window'] === '1m').map((p) => p.attributes['driftwatch.quantile'])).toEqual(['0.5', '0.9', '0.95', '0.99']);
  });

  it('counts a logical call once: provider attempts inside it add their tokens and cost only', () => {
    const t = setup();
    t.span('chat gpt-4o', { ...LLM, 'gen_ai.request.model': 'gpt-4o', 'resilience.attempt': 1, 'gen_ai.usage.input_tokens': 10, 'gen_ai.usage.output_tokens': 5, 'llm.cost.total': 0.01 }, 100, true);
    t.span('chat gpt-4o', { ...LLM, 'gen_ai.request.model': 'gpt-4o', 'resilience.attempt': 2, 'gen_ai.usage.input_tokens': 10, 'gen_ai.usage.output_tokens': 5, 'llm.cost.total': 0.01 }, 100);
    t.span('chat gpt-4o', { ...LLM, 'gen_ai.request.model': 'gpt-4o', 'llm.call.outcome': 'success', 'resilience.retry.count': 1 }, 250);
    const w = t.processor.stats('llm', { 'service.name': 'checkout', ...LLM, 'gen_ai.request.model': 'gpt-4o' })!.windows['5m']!;
    expect([w.count, w.successRatio, w.tokens, w.meanRetries]).toEqual([1, 1, 30, 1]);
    expect(w.cost).toBeCloseTo(0.02, 12);
    expect(w.costPerSuccess).toBeCloseTo(0.02, 12);
  });

  it('reads the official openai instrumentation\'s attributes (gen_ai.system, deprecated token names)', () => {
    const t = setup();
    t.span('chat gpt-4o-mini', { 'gen_ai.operation.name': 'chat', 'gen_ai.system': 'openai', 'gen_ai.request.model': 'gpt-4o-mini', 'gen_ai.usage.prompt_tokens': 7, 'gen_ai.usage.completion_tokens': 3 }, 80);
    const st = t.processor.stats('llm', { 'service.name': 'checkout', ...LLM });
    expect(st?.windows['1m']).toMatchObject({ count: 1, successRatio: 1, tokens: 10 });
  });

  it('weights sampled spans by their adjusted count (tracestate ot=th)', () => {
    const t = setup();
    // th:8 → rejection threshold 1/2: sampling probability 0.5, adjusted count 2.
    t.span('chat gpt-4o-mini', LLM, 100, false, 'ot=th:8');
    // th:c → probability 0.25, adjusted count 4.
    t.span('chat gpt-4o-mini', LLM, 100, true, 'ot=th:c;rv:abcdef01234567');
    const w = t.processor.stats('llm', { 'service.name': 'checkout', ...LLM })!.windows['1m']!;
    expect(w.count).toBe(6);
    expect(w.successRatio).toBeCloseTo(2 / 6, 12);
  });

  it('derives selector success, fallback, timeout and confidence (mean and trend) from resolution spans only', () => {
    const t = setup();
    const sel = { 'selector.name': 'checkout-button', 'selector.strategy.primary': 'css' };
    for (let i = 0; i < 6; i++) {
      t.span('resolve checkout-button', { ...sel, 'selector.result': 'success', 'selector.confidence': 0.9 - i * 0.1, 'selector.fallback.used': i > 3 }, 20);
      // An attempt span is not a resolution.
      t.span('css checkout-button', { ...sel, 'selector.attempt.index': 0, 'selector.strategy': 'css' }, 10);
      t.advance(5000);
    }
    t.span('resolve checkout-button', { ...sel, 'selector.result': 'timeout', 'error.type': 'TimeoutError' }, 3000, true);
    const w = t.processor.stats('selector', { 'service.name': 'checkout', ...sel })!.windows['1m']!;
    expect(w.count).toBe(7);
    expect(w.successRatio).toBeCloseTo(6 / 7, 12);
    expect(w.timeoutRatio).toBeCloseTo(1 / 7, 12);
    expect(w.fallbackRatio).toBeCloseTo(2 / 7, 12);
    expect(w.meanConfidence).toBeCloseTo(0.65, 12);
    // Confidence falls 0.1 per 5 s slot: −0.02 per second.
    expect(w.confidenceTrend).toBeCloseTo(-0.02, 12);
  });

  it('turns cache.requests counters (a metrics-only signal) into cache series with a hit ratio', async () => {
    const t = setup();
    const requests = t.meterProvider.getMeter('cache').createCounter('cache.requests');
    const attrs = { 'cache.name': 'answers', 'cache.system.name': 'lru-cache', 'cache.operation': 'get' };
    requests.add(6, { ...attrs, 'cache.result': 'hit' });
    requests.add(1, { ...attrs, 'cache.result': 'stale' });
    requests.add(3, { ...attrs, 'cache.result': 'miss' });
    await t.processor.forceFlush();
    requests.add(2, { ...attrs, 'cache.result': 'miss' });
    t.advance(2000);
    await t.collect(); // a collection pulls the counters in first
    const w = t.processor.stats('cache', { 'service.name': 'checkout', 'cache.name': 'answers', 'cache.operation': 'get' })!.windows['1m']!;
    expect([w.count, w.hitRatio, w.successRatio]).toEqual([12, 7 / 12, 1]);
    requests.add(1, { ...attrs, 'cache.result': 'error', 'error.type': 'ECONNREFUSED' });
    await t.processor.forceFlush();
    const w2 = t.processor.stats('cache', { 'service.name': 'checkout', 'cache.name': 'answers', 'cache.operation': 'get' })!.windows['1m']!;
    expect(w2.count).toBe(13);
    expect(w2.errorRatioByType).toEqual({ ECONNREFUSED: 1 / 13 });
  });

  it('windows forget what has aged out, and idle series expire and restart with a new start time', () => {
    const t = setup({ windows: ['1m', '5m'] });
    t.span('chat gpt-4o-mini', LLM, 100);
    const key = { 'service.name': 'checkout', ...LLM };
    const first = t.processor.stats('llm', key)!;
    t.advance(2 * 60_000);
    const later = t.processor.stats('llm', key)!;
    expect([later.windows['1m']!.count, later.windows['5m']!.count]).toEqual([0, 1]);
    t.advance(4 * 60_000);
    expect(t.processor.stats('llm', key)).toBeUndefined();
    expect(t.processor.health().expired.llm).toBe(1);
    t.span('chat gpt-4o-mini', LLM, 100);
    const restarted = t.processor.stats('llm', key)!;
    expect(restarted.startTime).toBeGreaterThan(first.startTime);
    expect(restarted.windows['5m']!.count).toBe(1);
  });

  it('caps series per domain: new keys beyond the limit go to one overflow series, nothing lost', async () => {
    const t = setup({ cardinalityLimit: 10 });
    for (let i = 0; i < 25; i++) t.span('chat', { ...LLM, 'gen_ai.request.model': `model-${i}` }, 10);
    const h = t.processor.health();
    expect(h.series.llm).toBe(10);
    expect(h.overflowed.llm).toBe(16);
    const overflow = t.processor.stats('llm', { 'otel.metric.overflow': true })!;
    expect(overflow.windows['1m']!.count).toBe(16);
    const total = t.processor.snapshot({ domain: 'llm' }).reduce((n, s) => n + s.windows['1m']!.count, 0);
    expect(total).toBe(25);
    const metrics = await t.collect();
    const counts = metrics.find((m) => m.descriptor.name === 'driftwatch.observations')!;
    expect(counts.dataPoints.filter((p) => p.attributes['otel.metric.overflow'] === true && p.attributes['driftwatch.window'] === '1m').map((p) => p.value)).toEqual([16]);
  });

  it('repairs and counts bad input, never throwing: negative durations, clock jumps, NaN and odd attributes', () => {
    const t = setup();
    const p = t.processor;
    const base = { attributes: LLM, status: { code: 0 }, resource: { attributes: {} }, spanContext: () => ({}) };
    p.onEnd({ ...base, duration: [-1, 0] });
    p.onEnd({ ...base, duration: [400_000, 0] });
    p.onEnd({ ...base, duration: [0, 1e6], attributes: { ...LLM, 'gen_ai.usage.input_tokens': Number.NaN, 'llm.cost.total': -1, 'resilience.retry.count': 'two' as unknown as number } });
    p.onEnd({ ...base, duration: [0, 1e6], attributes: { ...LLM, 'gen_ai.request.model': ['a', 'b'] } });
    p.onEnd({ ...base, duration: [0, 1e6], spanContext: () => ({ traceState: { get: () => 'th:zz' } }) });
    p.onEnd({ ...base, duration: [0, 1e6], get attributes(): Attributes { throw new Error('broken span'); } } as never);
    p.onEnd(null as never);
    expect(p.health().invalid).toEqual({ negative_duration: 1, clock_jump: 1, invalid_value: 3, odd_attribute: 1, invalid_sampling: 1, too_old: 0, internal_error: 2 });
    const w = p.stats('llm', { 'service.name': undefined as never, ...LLM })!.windows['1m']!;
    // Negative duration clamped to 0; the clock jump is counted but not a latency (the largest latency is 1 ms).
    expect(w.count).toBe(4);
    expect(w.latency.p99).toBe(0.001);
    // The processor's clock going back holds the last time.
    t.advance(-60_000);
    p.onEnd({ ...base, duration: [0, 1e6] });
    expect(p.health().invalid.clock_jump).toBe(2);
    expect(p.stats('llm', { ...LLM })!.windows['1m']!.count).toBe(5);
  });

  it('rejects bad options with a message naming the field', () => {
    expect(() => new DriftwatchProcessor({ windows: ['5 minutes'] })).toThrow(`windows[0] must be a duration like '30s', '5m' or '1h', got "5 minutes"`);
    expect(() => new DriftwatchProcessor({ cardinalityLimit: 1 })).toThrow('cardinalityLimit must be an integer of at least 2, got 1');
    expect(() => new DriftwatchProcessor({ dimensions: { llm: ['user.id'] } })).toThrow(`dimensions.llm: 'user.id' is not an allowed dimension`);
    expect(() => new DriftwatchProcessor({ quantiles: [0.5, 1] })).toThrow('quantiles must be numbers strictly between 0 and 1');
    expect(() => new DriftwatchProcessor({ windows: ['1m', '60s'] })).toThrow('windows must be distinct');
  });

  it('lays out the default windows on two rings of 60 slots', () => {
    const p = new DriftwatchProcessor({ metricIntervalMs: 0 });
    expect(p.options.rings).toEqual([
      { slotMs: 60_000, slots: 60 },
      { slotMs: 5_000, slots: 60 },
    ]);
    expect(p.options.windows.map((w) => [w.name, w.ring, w.slots])).toEqual([
      ['1m', 1, 12],
      ['5m', 1, 60],
      ['15m', 0, 15],
      ['1h', 0, 60],
    ]);
  });
});

describe('series keys', () => {
  it('never merge distinct tuples: absent vs empty, numbers vs strings, separators inside values', () => {
    let now = T0;
    const p = new DriftwatchProcessor({ clock: () => now, metricIntervalMs: 0, windows: ['1m', '5m'] });
    const base = { status: { code: 0 }, duration: [0, 1e6] as [number, number], resource: { attributes: {} }, spanContext: () => ({}) };
    const tuples = [
      { ...LLM, 'llm.task.type': '' },
      { ...LLM },
      { ...LLM, 'gen_ai.request.model': 'a\u001fb', 'llm.task.type': 'c' },
      { ...LLM, 'gen_ai.request.model': 'a', 'llm.task.type': 'b\u001fc' },
      { ...LLM, 'llm.task.type': 1 },
      { ...LLM, 'llm.task.type': '1' },
    ];
    for (const attributes of tuples) p.onEnd({ ...base, attributes });
    expect(p.health().series.llm).toBe(6);
    expect(p.snapshot({ domain: 'llm' }).map((s) => s.windows['1m']!.count)).toEqual([1, 1, 1, 1, 1, 1]);
    now += 2 * 3_600_000;
    expect(p.health().series.llm).toBe(6);
    p.onEnd({ ...base, attributes: tuples[0]! });
    expect(p.health()).toMatchObject({ series: { llm: 1 }, expired: { llm: 6 } });
    expect(p.stats('llm', tuples[0]!)!.windows['1m']!.count).toBe(1);
  });
});
