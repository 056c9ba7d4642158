// End to end: the processor inside a real SDK pipeline, its derived series served by the upstream
// PrometheusExporter (`metricProducers: [processor.metricProducer]`), checked by `promtool check
// metrics` and scraped by a real Prometheus server whose HTTP API the test queries. The processor
// runs on its default (real-time) clock. Skipped when `prometheus`/`promtool` are missing, unless
// DRIFTWATCH_REQUIRE_E2E=1 (then it fails, naming the Debian package to install).
import { SpanStatusCode } from '@opentelemetry/api';
import type { Attributes, Counter } from '@opentelemetry/api';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DriftwatchProcessor, PACKAGE_NAME, PACKAGE_VERSION } from '@driftwatch/processor';
import { assertPrometheusInstalled, freePort, promtoolCheckMetrics, shouldRunPrometheusTests, startPrometheus } from '../../../test/support/prometheus-server';
import type { PromSample, PrometheusServer } from '../../../test/support/prometheus-server';

const JOB = 'driftwatch';
const SLOT_MS = 5_000; // the 1m and 5m windows' slot
const WINDOWS = ['1m', '5m', '15m', '1h'];

const OPENAI = { 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'gpt-4o-mini' };
const ANTHROPIC = { 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'anthropic', 'gen_ai.request.model': 'claude-3-5-haiku-latest' };
const SELECTOR = { 'selector.name': 'checkout-button', 'selector.strategy.primary': 'css' };
const CACHE = { 'cache.name': 'answers', 'cache.system.name': 'lru-cache', 'cache.operation': 'get' };

// The same dimensions as Prometheus labels (as the exporter sanitises them), without window/job/instance.
const OPENAI_LABELS = { service_name: 'checkout', gen_ai_operation_name: 'chat', gen_ai_provider_name: 'openai', gen_ai_request_model: 'gpt-4o-mini', driftwatch_domain: 'llm' };
const ANTHROPIC_LABELS = { ...OPENAI_LABELS, gen_ai_provider_name: 'anthropic', gen_ai_request_model: 'claude-3-5-haiku-latest' };
const SELECTOR_LABELS = { service_name: 'checkout', selector_name: 'checkout-button', selector_strategy_primary: 'css', driftwatch_domain: 'selector' };
const CACHE_LABELS = { service_name: 'checkout', cache_name: 'answers', cache_operation: 'get', driftwatch_domain: 'cache' };

/** PromQL label matchers for a label map. */
const sel = (labels: Record<string, string>): string =>
  `{${Object.entries(labels)
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(',')}}`;

/** `# TYPE` lines of an exposition: metric name → type. */
function typesOf(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) out[m[1]!] = m[2]!;
  return out;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe.skipIf(!shouldRunPrometheusTests())('Prometheus scrapes the derived series (real prometheus, promtool)', () => {
  let processor: DriftwatchProcessor | undefined;
  let tracerProvider: BasicTracerProvider | undefined;
  let meterProvider: MeterProvider | undefined;
  let prometheus: PrometheusServer | undefined;
  let exporterPort = 0;
  let exposition = '';
  let scopeLabels: Record<string, string> = {};

  /** The one sample a query returns. */
  const one = async (promql: string): Promise<PromSample> => {
    const r = await prometheus!.query(promql);
    expect(r, promql).toHaveLength(1);
    return r[0]!;
  };
  const value = async (promql: string): Promise<number> => (await one(promql)).value;

  beforeAll(async () => {
    assertPrometheusInstalled(); // fails at once, naming the Debian package, when DRIFTWATCH_REQUIRE_E2E=1 and it is missing
    processor = new DriftwatchProcessor({ cardinalityLimit: 3 });
    const p = processor;
    const resource = resourceFromAttributes({ 'service.name': 'checkout' });
    tracerProvider = new BasicTracerProvider({ resource, spanProcessors: [p] });
    exporterPort = await freePort();
    let exporter: PrometheusExporter | undefined;
    await new Promise<void>((resolve, reject) => {
      exporter = new PrometheusExporter({ host: '127.0.0.1', port: exporterPort, metricProducers: [p.metricProducer] }, (err) => (err ? reject(err) : resolve()));
    });
    meterProvider = new MeterProvider({ resource, readers: [exporter!, p.metricReader] });
    scopeLabels = { otel_scope_name: PACKAGE_NAME, otel_scope_version: PACKAGE_VERSION, job: JOB, instance: `127.0.0.1:${exporterPort}` };

    const tracer = tracerProvider.getTracer('e2e');
    const span = (name: string, attributes: Attributes, ms: number, error = false): void => {
      const end = Date.now();
      const s = tracer.startSpan(name, { attributes, startTime: end - ms });
      if (error) s.setStatus({ code: SpanStatusCode.ERROR });
      s.end(end);
    };
    const requests: Counter = meterProvider.getMeter('e2e-cache').createCounter('cache.requests', { description: 'Cache requests by result.' });

    // Selector resolutions in two consecutive 5 s slots, so the confidence trend is defined:
    // 0.9 and 0.8 in the first, 0.7 and a not_found at 0.2 in the next.
    if (SLOT_MS - (p.now() % SLOT_MS) < 250) await sleep(SLOT_MS - (p.now() % SLOT_MS) + 20);
    const firstSlot = Math.floor(p.now() / SLOT_MS);
    span('resolve checkout-button', { ...SELECTOR, 'selector.result': 'success', 'selector.confidence': 0.9 }, 12);
    span('css checkout-button', { ...SELECTOR, 'selector.strategy': 'css', 'selector.attempt.index': 0 }, 5); // an attempt, not a resolution
    span('resolve checkout-button', { ...SELECTOR, 'selector.result': 'success', 'selector.confidence': 0.8 }, 14);

    // llm, openai: 8 calls of 100..800 ms; 6 succeed (120 tokens, $0.002 each), one rate-limited, one timed out.
    const retries = [0, 2, 0, 0, 1, 0, 0, 1];
    for (let i = 0; i < 8; i++) {
      const base = { ...OPENAI, 'resilience.retry.count': retries[i]! };
      if (i < 6) {
        span('chat gpt-4o-mini', { ...base, 'gen_ai.usage.input_tokens': 100, 'gen_ai.usage.output_tokens': 20, 'llm.cost.total': 0.002, ...(i === 1 ? { 'resilience.fallback.used': true } : {}) }, (i + 1) * 100);
      } else {
        span('chat gpt-4o-mini', { ...base, 'error.type': i === 6 ? 'RateLimitError' : 'APIConnectionTimeoutError' }, (i + 1) * 100, true);
      }
    }
    // llm, anthropic: one success, one untyped failure (error.type _OTHER).
    span('chat claude-3-5-haiku-latest', { ...ANTHROPIC, 'gen_ai.usage.input_tokens': 50, 'gen_ai.usage.output_tokens': 10 }, 300);
    span('chat claude-3-5-haiku-latest', ANTHROPIC, 150, true);
    // A third llm tuple is past the cardinality limit (3, overflow included): it goes to the overflow series.
    span('chat gpt-4.1', { ...OPENAI, 'gen_ai.request.model': 'gpt-4.1' }, 250);
    // Cache requests (a metrics-only signal): 6 hits, 1 stale, 3 misses.
    requests.add(6, { ...CACHE, 'cache.result': 'hit' });
    requests.add(1, { ...CACHE, 'cache.result': 'stale' });
    requests.add(3, { ...CACHE, 'cache.result': 'miss' });

    // Prometheus starts while the test waits for the next slot.
    const starting = startPrometheus({ scrapeTargets: [`http://127.0.0.1:${exporterPort}/metrics`], scrapeIntervalMs: 1000, jobName: JOB });
    starting.catch(() => undefined); // awaited below
    await sleep(SLOT_MS - (p.now() % SLOT_MS) + 20);
    expect(Math.floor(p.now() / SLOT_MS)).toBe(firstSlot + 1);
    span('resolve checkout-button', { ...SELECTOR, 'selector.result': 'success', 'selector.confidence': 0.7 }, 16);
    span('resolve checkout-button', { ...SELECTOR, 'selector.result': 'not_found', 'selector.confidence': 0.2 }, 40, true);
    prometheus = await starting;

    const res = await fetch(`http://127.0.0.1:${exporterPort}/metrics`);
    expect(res.status).toBe(200);
    exposition = await res.text();

    // After that collection (a delta pull), two more misses: only a later scrape can show 7/12.
    requests.add(2, { ...CACHE, 'cache.result': 'miss' });
    await prometheus.waitFor(`driftwatch_cache_hit_ratio${sel({ ...CACHE_LABELS, driftwatch_window: '1m' })}`, (r) => r.length === 1 && r[0]!.value === 7 / 12, 10_000);
  }, 25_000);

  afterAll(async () => {
    await prometheus?.stop();
    await meterProvider?.shutdown();
    await tracerProvider?.shutdown();
    await processor?.shutdown();
  });

  it('serves a /metrics exposition that `promtool check metrics` accepts with no lint', () => {
    expect(promtoolCheckMetrics(exposition)).toEqual({ status: 0, output: '' });
    // The names the exporter gives the processor's metrics: dots become underscores, monotonic sums
    // get `_total`, and units stay in `# UNIT` lines (no unit suffix).
    expect(typesOf(exposition)).toEqual({
      target_info: 'gauge',
      cache_requests_total: 'counter',
      driftwatch_observations: 'gauge',
      driftwatch_rate: 'gauge',
      driftwatch_success_ratio: 'gauge',
      driftwatch_error_ratio: 'gauge',
      driftwatch_timeout_ratio: 'gauge',
      driftwatch_fallback_ratio: 'gauge',
      driftwatch_retry_mean: 'gauge',
      driftwatch_latency: 'gauge',
      driftwatch_tokens_rate: 'gauge',
      driftwatch_cost_rate: 'gauge',
      driftwatch_cost_per_success: 'gauge',
      driftwatch_cache_hit_ratio: 'gauge',
      driftwatch_selector_confidence_mean: 'gauge',
      driftwatch_selector_confidence_trend: 'gauge',
      driftwatch_processor_series: 'gauge',
      driftwatch_processor_overflow_total: 'counter',
      driftwatch_processor_expired_total: 'counter',
      driftwatch_processor_input_invalid_total: 'counter',
    });
    expect(exposition).toContain('# UNIT driftwatch_latency s\n');
    expect(exposition).toContain('# UNIT driftwatch_cost_rate USD/s\n');
  });

  it('Prometheus scrapes the exporter endpoint and the target is healthy', async () => {
    const targets = await prometheus!.targets();
    expect(targets.map((t) => [t.scrapeUrl, t.health, t.lastError, t.labels])).toEqual([
      [`http://127.0.0.1:${exporterPort}/metrics`, 'up', '', { job: JOB, instance: `127.0.0.1:${exporterPort}` }],
    ]);
    expect(await value(`up{job="${JOB}"}`)).toBe(1);
    // The SDK's own counter rides along on the same endpoint (cumulative, all 12 requests).
    expect(await value(`sum(cache_requests_total{job="${JOB}",cache_name="answers"})`)).toBe(12);
  });

  it('llm: success ratio per window, error ratio per error_type, timeout, fallback, retries, cost and tokens', async () => {
    const success = await prometheus!.query(`driftwatch_success_ratio${sel(OPENAI_LABELS)}`);
    expect(success.map((s) => [s.metric.driftwatch_window, s.value]).sort()).toEqual(WINDOWS.map((w) => [w, 0.75]).sort());
    expect((await one(`driftwatch_success_ratio${sel({ ...OPENAI_LABELS, driftwatch_window: '1m' })}`)).metric).toEqual({
      __name__: 'driftwatch_success_ratio',
      ...OPENAI_LABELS,
      driftwatch_window: '1m',
      ...scopeLabels,
    });
    const m1 = { ...OPENAI_LABELS, driftwatch_window: '1m' };
    expect(await value(`driftwatch_observations${sel(m1)}`)).toBe(8);
    const errors = await prometheus!.query(`driftwatch_error_ratio${sel(m1)}`);
    expect(errors.map((s) => [s.metric.error_type, s.value]).sort()).toEqual([
      ['APIConnectionTimeoutError', 0.125],
      ['RateLimitError', 0.125],
    ]);
    expect(await value(`driftwatch_timeout_ratio${sel(m1)}`)).toBe(0.125);
    expect(await value(`driftwatch_fallback_ratio${sel(m1)}`)).toBe(0.125);
    expect(await value(`driftwatch_retry_mean${sel(m1)}`)).toBe(0.5);
    expect(await value(`driftwatch_cost_per_success${sel(m1)}`)).toBeCloseTo(0.002, 12);
    // Rates are over the series' age (at least one 5 s slot, at most the window); tokens and cost
    // share that denominator with the call rate.
    const rate = await value(`driftwatch_rate${sel(m1)}`);
    expect(rate).toBeGreaterThanOrEqual(8 / 60);
    expect(rate).toBeLessThanOrEqual(8 / 5);
    expect(await value(`driftwatch_tokens_rate${sel(m1)} / driftwatch_rate${sel(m1)}`)).toBeCloseTo(720 / 8, 9);
    expect(await value(`driftwatch_cost_rate${sel(m1)} / driftwatch_rate${sel(m1)}`)).toBeCloseTo(0.012 / 8, 12);

    // The second provider is its own series; its untyped failure is `_OTHER`; no retries, no cost reported.
    const a1 = { ...ANTHROPIC_LABELS, driftwatch_window: '1m' };
    expect(await value(`driftwatch_success_ratio${sel(a1)}`)).toBe(0.5);
    expect((await one(`driftwatch_error_ratio${sel(a1)}`)).metric.error_type).toBe('_OTHER');
    expect(await value(`driftwatch_error_ratio${sel(a1)}`)).toBe(0.5);
    expect(await prometheus!.query(`driftwatch_retry_mean${sel(a1)}`)).toEqual([]);
    expect(await prometheus!.query(`driftwatch_cost_rate${sel(a1)}`)).toEqual([]);
  });

  it('llm: latency quantile series carry driftwatch_quantile and match the sketch (within its bound)', async () => {
    const m1 = { ...OPENAI_LABELS, driftwatch_window: '1m' };
    const latency = await prometheus!.query(`driftwatch_latency${sel(m1)}`);
    const byQuantile = Object.fromEntries(latency.map((s) => [s.metric.driftwatch_quantile, s.value]));
    expect(Object.keys(byQuantile).sort()).toEqual(['0.5', '0.9', '0.95', '0.99']);
    expect(latency[0]!.metric).toEqual({ __name__: 'driftwatch_latency', ...m1, driftwatch_quantile: latency[0]!.metric.driftwatch_quantile, ...scopeLabels });
    // Values of rank floor(q × 7) of 0.1..0.8 s: 0.4 s for p50, 0.7 s for p90, p95 and p99.
    const stats = processor!.stats('llm', { 'service.name': 'checkout', ...OPENAI })!.windows['1m']!;
    const bound = stats.latencyRelativeError!;
    expect(bound).toBeLessThan(0.006);
    const expected: Record<string, [number, number]> = { '0.5': [0.4, stats.latency.p50!], '0.9': [0.7, stats.latency.p90!], '0.95': [0.7, stats.latency.p95!], '0.99': [0.7, stats.latency.p99!] };
    for (const [q, [exact, sketched]] of Object.entries(expected)) {
      expect(byQuantile[q], `p${q}`).toBe(sketched);
      expect(Math.abs(byQuantile[q]! - exact) / exact, `p${q}`).toBeLessThanOrEqual(bound);
    }
  });

  it('selector: resolutions only (attempts excluded), success and error ratios, confidence mean and trend', async () => {
    const m1 = { ...SELECTOR_LABELS, driftwatch_window: '1m' };
    expect((await one(`driftwatch_observations${sel(m1)}`)).metric).toEqual({ __name__: 'driftwatch_observations', ...m1, ...scopeLabels });
    expect(await value(`driftwatch_observations${sel(m1)}`)).toBe(4);
    expect(await value(`driftwatch_success_ratio${sel(m1)}`)).toBe(0.75);
    expect((await one(`driftwatch_error_ratio${sel(m1)}`)).metric.error_type).toBe('not_found');
    expect(await value(`driftwatch_error_ratio${sel(m1)}`)).toBe(0.25);
    expect(await value(`driftwatch_selector_confidence_mean${sel(m1)}`)).toBeCloseTo(0.65, 12);
    // Slot means 0.85 then 0.45, 5 s apart: −0.08 per second (in both windows on 5 s slots).
    for (const w of ['1m', '5m']) {
      expect(await value(`driftwatch_selector_confidence_trend${sel({ ...SELECTOR_LABELS, driftwatch_window: w })}`)).toBeCloseTo(-0.08, 9);
    }
    const latency = await prometheus!.query(`driftwatch_latency${sel(m1)}`);
    expect(latency.map((s) => s.metric.driftwatch_quantile).sort()).toEqual(['0.5', '0.9', '0.95', '0.99']);
  });

  it('cache: driftwatch_cache_hit_ratio from cache.requests counters, following new requests between scrapes', async () => {
    const hit = await prometheus!.query(`driftwatch_cache_hit_ratio${sel(CACHE_LABELS)}`);
    expect(hit.map((s) => [s.metric.driftwatch_window, s.value]).sort()).toEqual(WINDOWS.map((w) => [w, 7 / 12]).sort());
    const m1 = { ...CACHE_LABELS, driftwatch_window: '1m' };
    expect((await one(`driftwatch_cache_hit_ratio${sel(m1)}`)).metric).toEqual({ __name__: 'driftwatch_cache_hit_ratio', ...m1, ...scopeLabels });
    expect(await value(`driftwatch_observations${sel(m1)}`)).toBe(12);
    expect(await value(`driftwatch_success_ratio${sel(m1)}`)).toBe(1);
    // The exposition fetched before the last two misses showed 7/10.
    expect(exposition).toMatch(/^driftwatch_cache_hit_ratio\{[^}]*driftwatch_window="1m"[^}]*\} 0\.7$/m);
  });

  it('otel_metric_overflow is only on the overflow series, never on a normal one', async () => {
    const overflow = await one(`driftwatch_observations{otel_metric_overflow="true",driftwatch_window="1m"}`);
    expect(overflow).toMatchObject({
      metric: { __name__: 'driftwatch_observations', otel_metric_overflow: 'true', driftwatch_domain: 'llm', driftwatch_window: '1m', ...scopeLabels },
      value: 1,
    });
    expect(Object.keys(overflow.metric).sort()).toEqual(['__name__', 'driftwatch_domain', 'driftwatch_window', 'instance', 'job', 'otel_metric_overflow', 'otel_scope_name', 'otel_scope_version']);
    const normal = await prometheus!.query(`{__name__=~"driftwatch_.+",driftwatch_window!=""}`);
    const flagged = normal.filter((s) => s.metric.otel_metric_overflow !== undefined);
    expect(normal.length).toBeGreaterThan(flagged.length);
    // Every series with dimensions lacks the label; every series with the label has no dimensions.
    expect(flagged.filter((s) => s.metric.service_name !== undefined)).toEqual([]);
    expect(normal.filter((s) => s.metric.service_name !== undefined && s.metric.otel_metric_overflow === undefined).length).toBe(normal.length - flagged.length);
    expect(flagged.every((s) => s.metric.otel_metric_overflow === 'true' && s.metric.driftwatch_domain === 'llm')).toBe(true);
  });

  it('processor self-metrics: live series, overflow, expired and invalid inputs per domain/reason', async () => {
    const series = await prometheus!.query(`driftwatch_processor_series{job="${JOB}"}`);
    expect(Object.fromEntries(series.map((s) => [s.metric.driftwatch_domain, s.value]))).toEqual({ llm: 3, selector: 1, cache: 1 });
    expect(series.find((s) => s.metric.driftwatch_domain === 'llm')!.metric).toEqual({ __name__: 'driftwatch_processor_series', driftwatch_domain: 'llm', ...scopeLabels });
    const overflow = await prometheus!.query(`driftwatch_processor_overflow_total{job="${JOB}"}`);
    expect(Object.fromEntries(overflow.map((s) => [s.metric.driftwatch_domain, s.value]))).toEqual({ llm: 1, selector: 0, cache: 0 });
    const expired = await prometheus!.query(`driftwatch_processor_expired_total{job="${JOB}"}`);
    expect(Object.fromEntries(expired.map((s) => [s.metric.driftwatch_domain, s.value]))).toEqual({ llm: 0, selector: 0, cache: 0 });
    const invalid = await prometheus!.query(`driftwatch_processor_input_invalid_total{job="${JOB}"}`);
    expect(Object.fromEntries(invalid.map((s) => [s.metric.driftwatch_reason, s.value]))).toEqual({
      negative_duration: 0,
      clock_jump: 0,
      invalid_value: 0,
      odd_attribute: 0,
      invalid_sampling: 0,
      too_old: 0,
      internal_error: 0,
    });
  });
});
