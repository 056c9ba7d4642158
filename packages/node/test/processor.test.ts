// register() attaches the Driftwatch processor by default: its derived series reach the Prometheus
// endpoint and the OTLP metric export with no extra exporter, the handle exposes the query API, it can
// be turned off, and its windows survive a restart through the state file.
import { mkdtempSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LlmTelemetry } from '@driftwatch/llm';
import { getGlobalProcessor } from '@driftwatch/processor';
import { afterEach, describe, expect, it } from 'vitest';
import { register } from '../src/index';
import type { DriftwatchHandle } from '../src/index';
import { attributes, metricsOf, startOtlpReceiver } from './fixtures/otlp-receiver';

let handle: DriftwatchHandle | undefined;
const dirs: string[] = [];

afterEach(async () => {
  await handle?.shutdown();
  handle = undefined;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const quiet = { env: {}, hostMetrics: false, runtimeMetrics: false, handleSignals: false, tracesExporter: 'none', logsExporter: 'none' } as const;
const KEY = { 'service.name': 'checkout', 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'gpt-4o-mini' };

function calls(n: number, failures = 0): void {
  const telemetry = new LlmTelemetry();
  for (let i = 0; i < n; i++) {
    const call = telemetry.startCall({ operation: 'chat', provider: 'openai', model: 'gpt-4o-mini' });
    if (i < failures) call.fail(Object.assign(new Error('rate limited'), { name: 'RateLimitError' }));
    else call.end({ usage: { inputTokens: 100, outputTokens: 20 } });
  }
}

describe('register() and the Driftwatch processor', () => {
  it('is attached by default: derived series on /metrics and the query API on the handle', async () => {
    handle = register({ ...quiet, serviceName: 'checkout', metricsExporter: 'prometheus', prometheus: { host: '127.0.0.1', port: 0 } });
    expect(handle.config.processor).toBe(true);
    expect(getGlobalProcessor()).toBe(handle.processor);
    calls(4, 1);
    const st = handle.processor!.stats('llm', KEY)!;
    expect(st.windows['1m']).toMatchObject({ count: 4, successRatio: 0.75, errorRatioByType: { RateLimitError: 0.25 }, tokens: 360 });

    const text = await (await fetch((await handle.prometheus!.ready).url)).text();
    const line = text.split('\n').find((l) => l.startsWith('driftwatch_success_ratio{') && l.includes('driftwatch_window="1m"'));
    expect(line).toBe(
      'driftwatch_success_ratio{service_name="checkout",gen_ai_operation_name="chat",gen_ai_provider_name="openai",gen_ai_request_model="gpt-4o-mini",driftwatch_domain="llm",driftwatch_window="1m",otel_scope_name="@driftwatch/processor",otel_scope_version="0.1.0"} 0.75',
    );
    expect(text).toMatch(/^driftwatch_latency_seconds\{.*driftwatch_quantile="0\.99".*\} \d/m);
    expect(text).toMatch(/^driftwatch_processor_series\{driftwatch_domain="llm",.*\} 1$/m);
    await handle.shutdown();
    handle = undefined;
    expect(getGlobalProcessor()).toBeUndefined();
  });

  it('adds the derived series to the OTLP metric export', async () => {
    const receiver = await startOtlpReceiver();
    try {
      handle = register({ ...quiet, serviceName: 'checkout', metricsExporter: 'otlp', otlp: { endpoint: receiver.url, protocol: 'http/json' }, metricExportIntervalMillis: 200 });
      calls(2);
      const req = await receiver.waitFor((r) => r.signal === 'metrics' && metricsOf(r.body).some((m) => m.name === 'driftwatch.success.ratio'), 10_000);
      const success = metricsOf(req.body).find((m) => m.name === 'driftwatch.success.ratio')!;
      expect(success.scope).toBe('@driftwatch/processor');
      expect(success.resource['service.name']).toBe('checkout');
      const points = success.metric.gauge.dataPoints.map((p: { attributes: unknown[]; asDouble: number }) => ({ ...attributes(p.attributes as never[]), value: p.asDouble }));
      expect(points).toContainEqual({ ...KEY, 'driftwatch.domain': 'llm', 'driftwatch.window': '5m', value: 1 });
    } finally {
      await handle?.shutdown();
      handle = undefined;
      await receiver.close();
    }
  });

  it('can be turned off by option or DRIFTWATCH_PROCESSOR=false', async () => {
    handle = register({ ...quiet, processor: false, metricsExporter: 'prometheus', prometheus: { host: '127.0.0.1', port: 0 } });
    expect(handle.processor).toBeUndefined();
    calls(1);
    const text = await (await fetch((await handle.prometheus!.ready).url)).text();
    expect(text).not.toContain('driftwatch_');
    await handle.shutdown();
    handle = register({ ...quiet, env: { DRIFTWATCH_PROCESSOR: 'false' }, metricsExporter: 'none' });
    expect(handle.processor).toBeUndefined();
    expect(() => register({ ...quiet, processor: 'yes' as never })).toThrow('options.processor');
  });

  it('passes processor options through and rejects bad ones before building anything', async () => {
    handle = register({ ...quiet, metricsExporter: 'none', processor: { windows: ['30s', '10m'] } });
    expect(handle.processor!.options.windows.map((w) => w.name)).toEqual(['30s', '10m']);
    await handle.shutdown();
    handle = undefined;
    expect(() => register({ ...quiet, metricsExporter: 'none', processor: { cardinalityLimit: 0 } })).toThrow('cardinalityLimit must be an integer of at least 2');
    expect(() => register({ ...quiet, metricsExporter: 'none', processorState: { path: '' } })).toThrow('options.processorState');
  });

  it('saves the windows at shutdown and restores them at the next start', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dw-state-'));
    dirs.push(dir);
    const path = join(dir, 'processor.json');
    handle = register({ ...quiet, serviceName: 'checkout', metricsExporter: 'none', processorState: { path } });
    calls(3, 1);
    await handle.shutdown();
    handle = undefined;
    expect(existsSync(path)).toBe(true);

    handle = register({ ...quiet, serviceName: 'checkout', metricsExporter: 'none', processorState: { path } });
    // The restore runs in the background; it has finished once a save could run.
    await expect.poll(() => handle!.processor!.stats('llm', KEY)?.windows['1h']?.count, { timeout: 5000 }).toBe(3);
    expect(handle.processor!.stats('llm', KEY)!.windows['1h']!.successRatio).toBeCloseTo(2 / 3, 12);
  });
});
