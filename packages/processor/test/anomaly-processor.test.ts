// Anomaly detection wired into the processor: each evaluation scores the series' derived values,
// the scores become driftwatch.anomaly.score gauges, and an anomaly becomes a driftwatch.anomaly log
// record with the expected band and the related series; declared series that go silent raise an
// absence anomaly.
import { SpanStatusCode } from '@opentelemetry/api';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import type { MetricData } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { describe, expect, it } from 'vitest';
import { DriftwatchProcessor } from '@driftwatch/processor';
import type { ProcessorOptions } from '@driftwatch/processor';
import { PullReader } from '../../../test/support/otel-harness';

const T0 = Date.UTC(2026, 10, 23, 0, 0, 0);
const MIN = 60_000;

function setup(options: ProcessorOptions = {}) {
  let now = T0;
  const logs = new InMemoryLogRecordExporter();
  const loggerProvider = new LoggerProvider({ processors: [new SimpleLogRecordProcessor({ exporter: logs })] });
  const processor = new DriftwatchProcessor({ clock: () => now, metricIntervalMs: 0, loggerProvider, ...options });
  const resource = resourceFromAttributes({ 'service.name': 'checkout' });
  const tracer = new BasicTracerProvider({ resource, spanProcessors: [processor] }).getTracer('t');
  const reader = new PullReader({ metricProducers: [processor.metricProducer] });
  new MeterProvider({ resource, readers: [reader, processor.metricReader] });
  const call = (model: string, ok: boolean, ms: number) => {
    const s = tracer.startSpan('chat', { attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': model }, startTime: now - ms });
    if (!ok) s.setAttributes({ 'error.type': 'RateLimitError' }).setStatus({ code: SpanStatusCode.ERROR });
    s.end(now);
  };
  const collect = async (): Promise<MetricData[]> => (await reader.collect()).resourceMetrics.scopeMetrics.flatMap((sm) => sm.metrics);
  return { processor, logs, call, collect, advance: (ms: number) => (now += ms) };
}

describe('anomaly detection in the processor', () => {
  it('scores each derived value, reports a sudden failure burst once, with its band and the related series', async () => {
    const t = setup({ anomaly: { detector: 'range', signals: ['success_ratio', 'latency_p95', 'rate'], intervalMs: 0, cooldownMs: 30 * MIN } });
    let seed = 3;
    const rnd = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    // Two hours of a steady service: 20 calls a minute, one failure every other minute; a second model alike.
    for (let m = 0; m < 120; m++) {
      for (let k = 0; k < 20; k++) {
        t.advance(3000);
        t.call('gpt-4o-mini', !(k === 7 && m % 2 === 0), 200 + 100 * rnd());
        if (k % 2 === 0) t.call('gpt-4o', !(k === 8 && m % 2 === 1), 400 + 200 * rnd());
      }
      expect(t.processor.evaluateAnomalies().filter((e) => e.metric === 'driftwatch.success.ratio')).toEqual([]);
    }
    // Then gpt-4o-mini fails most of its calls for a few minutes, and gets slow.
    const reported = [];
    for (let m = 0; m < 5; m++) {
      for (let k = 0; k < 20; k++) {
        t.advance(3000);
        t.call('gpt-4o-mini', rnd() > 0.7, 2000 + 500 * rnd());
        if (k % 2 === 0) t.call('gpt-4o', !(k === 8 && m % 2 === 1), 400 + 200 * rnd());
      }
      reported.push(...t.processor.evaluateAnomalies());
    }
    const burst = reported.filter((e) => e.metric === 'driftwatch.success.ratio');
    expect(burst).toHaveLength(1); // one incident, one report (cool-down)
    expect(burst[0]!.attributes['gen_ai.request.model']).toBe('gpt-4o-mini');
    expect(burst[0]!.result.score).toBeGreaterThanOrEqual(0.9);
    expect(burst[0]!.result.lower).toBeDefined();
    expect(burst[0]!.value!).toBeLessThan(burst[0]!.result.lower!);
    // Its latency went up at the same time: the p95 series of the same model is the top related one.
    expect(burst[0]!.related[0]).toMatchObject({ metric: 'driftwatch.latency.p95', attributes: { 'gen_ai.request.model': 'gpt-4o-mini' } });
    expect(reported.some((e) => e.metric === 'driftwatch.latency.p95' && e.attributes['gen_ai.request.model'] === 'gpt-4o-mini')).toBe(true);
    expect(reported.some((e) => e.attributes['gen_ai.request.model'] === 'gpt-4o' && e.metric === 'driftwatch.success.ratio')).toBe(false);

    // The log record.
    const records = t.logs.getFinishedLogRecords().filter((r) => r.attributes['driftwatch.metric'] === 'driftwatch.success.ratio');
    expect(records).toHaveLength(1);
    const rec = records[0]!;
    expect(rec.eventName).toBe('driftwatch.anomaly');
    expect(rec.severityText).toBe('WARN');
    expect(rec.attributes).toMatchObject({
      'event.name': 'driftwatch.anomaly',
      'service.name': 'checkout',
      'gen_ai.request.model': 'gpt-4o-mini',
      'driftwatch.domain': 'llm',
      'driftwatch.window': '1m',
      'driftwatch.detector': 'range',
      'driftwatch.anomaly.flags': ['range_low'],
    });
    expect(rec.attributes['driftwatch.anomaly.related']).toEqual(expect.arrayContaining([expect.stringContaining('llm|driftwatch.latency.p95|')]));
    expect(String(rec.body)).toContain('driftwatch.success.ratio of llm {service.name=checkout');

    // The gauge: one score per series and signal.
    const scores = (await t.collect()).find((m) => m.descriptor.name === 'driftwatch.anomaly.score')!;
    const mini = scores.dataPoints.find((p) => p.attributes['gen_ai.request.model'] === 'gpt-4o-mini' && p.attributes['driftwatch.metric'] === 'driftwatch.success.ratio')!;
    expect(mini.attributes).toMatchObject({ 'driftwatch.detector': 'range', 'driftwatch.window': '1m', 'driftwatch.domain': 'llm' });
    expect(scores.dataPoints.filter((p) => p.attributes['gen_ai.request.model'] === 'gpt-4o').length).toBe(3);
  });

  it('raises an absence anomaly for a declared series that stops reporting, once per silence', () => {
    const t = setup({ anomaly: { intervalMs: 0, expect: [{ domain: 'llm', match: { 'gen_ai.request.model': 'gpt-4o-mini' }, maxSilenceMs: 10 * MIN }] } });
    t.call('gpt-4o-mini', true, 100);
    expect(t.processor.evaluateAnomalies()).toEqual([]);
    t.advance(11 * MIN);
    const [absence] = t.processor.evaluateAnomalies();
    expect(absence).toMatchObject({ metric: 'absence', detector: 'absence', domain: 'llm', value: 660, result: { score: 1, flags: ['absence'] } });
    t.advance(MIN);
    expect(t.processor.evaluateAnomalies()).toEqual([]); // the same silence is reported once
    t.call('gpt-4o-mini', true, 100);
    t.advance(15 * MIN);
    expect(t.processor.evaluateAnomalies().map((e) => e.metric)).toEqual(['absence']); // a new silence
    // A declared series never seen is silent from when watching started.
    const u = setup({ anomaly: { intervalMs: 0, expect: [{ domain: 'cache', match: { 'cache.name': 'answers' }, maxSilenceMs: 5 * MIN }] } });
    expect(u.processor.evaluateAnomalies()).toEqual([]);
    u.advance(6 * MIN);
    expect(u.processor.evaluateAnomalies()[0]).toMatchObject({ metric: 'absence', attributes: { 'cache.name': 'answers' } });
  });

  it('can be turned off, and rejects bad anomaly options at construction', () => {
    const t = setup({ anomaly: false });
    t.call('gpt-4o-mini', true, 100);
    expect(t.processor.anomaly).toBeUndefined();
    expect(t.processor.evaluateAnomalies()).toEqual([]);
    expect(() => new DriftwatchProcessor({ anomaly: { detector: 'nope' } })).toThrow(`anomaly.detector: unknown detector 'nope'`);
    expect(() => new DriftwatchProcessor({ anomaly: { signals: ['latency'] } })).toThrow(`anomaly.signals: unknown signal 'latency'`);
    expect(() => new DriftwatchProcessor({ anomaly: { window: '2m' } })).toThrow(`anomaly.window: '2m' is not one of the windows`);
    expect(() => new DriftwatchProcessor({ anomaly: { threshold: 0 } })).toThrow('anomaly.threshold must be in (0, 1]');
  });
});

describe('anomaly state in processor snapshots', () => {
  it('saves the detectors with the windows, and a restored processor scores exactly like the original', async () => {
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    let now = T0;
    const mk = () => new DriftwatchProcessor({ clock: () => now, metricIntervalMs: 0, anomaly: { intervalMs: 0 } });
    const a = mk();
    const feed = (p: DriftwatchProcessor, ok: boolean, s: number) =>
      p.onEnd({
        attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'gpt-4o-mini' },
        status: { code: ok ? 0 : 2 },
        duration: [0, Math.round(s * 1e9)],
        resource: { attributes: { 'service.name': 'checkout' } },
        spanContext: () => ({}),
      });
    let seed = 5;
    const rnd = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    for (let m = 0; m < 90; m++) {
      for (let k = 0; k < 10; k++) {
        now += 6000;
        feed(a, rnd() > 0.05, 0.2 + 0.1 * rnd());
      }
      a.evaluateAnomalies();
    }
    const dir = mkdtempSync(join(tmpdir(), 'dw-anomaly-'));
    try {
      await a.saveState(join(dir, 'state.json'));
      const b = mk();
      expect(await b.restoreState(join(dir, 'state.json'))).toBe(1);
      // From here both see the same inputs, including an incident; their scores must stay identical.
      for (let m = 0; m < 10; m++) {
        for (let k = 0; k < 10; k++) {
          now += 6000;
          const ok = m < 5 ? true : k % 2 === 0;
          const s = m < 5 ? 0.25 : 1.5;
          feed(a, ok, s);
          feed(b, ok, s);
        }
        const ea = a.evaluateAnomalies();
        const eb = b.evaluateAnomalies();
        expect(eb.map((e) => [e.metric, e.result.score])).toEqual(ea.map((e) => [e.metric, e.result.score]));
        const scores = (p: DriftwatchProcessor) =>
          p.metricProducer
            .build()
            .find((x) => x.descriptor.name === 'driftwatch.anomaly.score')!
            .dataPoints.map((d) => [d.attributes['driftwatch.metric'], d.value]);
        expect(scores(b)).toEqual(scores(a));
        expect(scores(a).length).toBeGreaterThanOrEqual(3);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('selector drift as anomalies', () => {
  it('reports each drift kind a resolution carries, once per cool-down', () => {
    const t = setup({ anomaly: { intervalMs: 0, cooldownMs: 10 * MIN } });
    const p = t.processor;
    const resolve = (drift?: string[]) =>
      p.onEnd({
        attributes: { 'selector.name': 'checkout.submit', 'selector.result': 'success', 'selector.confidence': 0.72, 'selector.strategy.primary': 'css', ...(drift ? { 'selector.drift.detected': true, 'selector.drift.kind': drift } : { 'selector.drift.detected': false }) },
        status: { code: 0 },
        duration: [0, 5e6],
        resource: { attributes: { 'service.name': 'checkout' } },
        spanContext: () => ({}),
      });
    resolve();
    resolve(['strategy_change', 'confidence_drop']);
    resolve(['strategy_change']);
    t.advance(11 * MIN);
    resolve(['strategy_change', 'fingerprint_change']);
    const records = t.logs.getFinishedLogRecords().map((r) => r.attributes);
    expect(records.map((r) => r['driftwatch.anomaly.flags'])).toEqual([['strategy_change'], ['confidence_drop'], ['strategy_change'], ['fingerprint_change']]);
    expect(records[0]).toMatchObject({
      'event.name': 'driftwatch.anomaly',
      'driftwatch.domain': 'selector',
      'driftwatch.metric': 'selector.drift',
      'driftwatch.detector': 'selector',
      'selector.name': 'checkout.submit',
      'driftwatch.anomaly.value': 0.72,
      'driftwatch.anomaly.score': 1,
    });
  });
});
