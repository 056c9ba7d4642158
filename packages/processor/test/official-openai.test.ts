// The processor on the spans of the official `@opentelemetry/instrumentation-openai` (not Driftwatch's
// own): the real openai 6 client against a local server speaking the OpenAI wire format, patched by the
// official instrumentation, with the processor as a span processor next to an in-memory exporter.
import { createRequire } from 'node:module';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DriftwatchProcessor } from '@driftwatch/processor';
import { startFakeLlmServer } from '../../../test/support/fake-llm-server';
import type { FakeLlmServer } from '../../../test/support/fake-llm-server';
import type { OpenAIInstrumentation as OfficialInstrumentation } from '@opentelemetry/instrumentation-openai';
import type * as OpenAIv6 from 'openai-v6';

const require = createRequire(import.meta.url);

let server: FakeLlmServer;
beforeAll(async () => {
  server = await startFakeLlmServer();
});
afterAll(async () => {
  await server.close();
});

describe('DriftwatchProcessor on the official openai instrumentation', () => {
  it('derives calls, outcomes, error types, tokens and latency from its GenAI spans', async () => {
    const processor = new DriftwatchProcessor({ metricIntervalMs: 0, windows: ['1m', '5m'] });
    const exporter = new InMemorySpanExporter();
    const tracerProvider = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'support-bot' }),
      spanProcessors: [processor, new SimpleSpanProcessor(exporter)],
    });
    const { OpenAIInstrumentation } = require('@opentelemetry/instrumentation-openai') as { OpenAIInstrumentation: typeof OfficialInstrumentation };
    const mod = require('openai-v6') as typeof OpenAIv6;
    const instrumentation = new OpenAIInstrumentation();
    instrumentation.setTracerProvider(tracerProvider);
    instrumentation.setMeterProvider(new MeterProvider());
    // The module was not loaded through the require hook: patch it as the hook would.
    for (const def of instrumentation.getModuleDefinitions()) def.patch?.(mod, '6.0.0');
    const client = new mod.OpenAI({ apiKey: 'test', baseURL: server.openaiBaseURL, maxRetries: 0 });

    const ask = () => client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Say hi' }] });
    for (let i = 0; i < 3; i++) await ask();
    server.enqueue({ status: 429, errorMessage: 'Rate limit reached' });
    await expect(ask()).rejects.toThrow();
    for (const def of instrumentation.getModuleDefinitions()) def.unpatch?.(mod, '6.0.0');

    const spans = exporter.getFinishedSpans();
    expect(spans).toHaveLength(4);
    const official = spans[0]!.attributes;
    // The processor reads these attribute names as the instrumentation wrote them.
    expect(official['gen_ai.operation.name']).toBe('chat');
    const provider = official['gen_ai.provider.name'] ?? official['gen_ai.system'];
    expect(provider).toBe('openai');
    const tokensPerCall = Number(official['gen_ai.usage.input_tokens'] ?? official['gen_ai.usage.prompt_tokens']) + Number(official['gen_ai.usage.output_tokens'] ?? official['gen_ai.usage.completion_tokens']);
    expect(tokensPerCall).toBeGreaterThan(0);

    const series = processor.snapshot({ domain: 'llm' });
    expect(series).toHaveLength(1);
    expect(series[0]!.attributes).toEqual({ 'service.name': 'support-bot', 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'gpt-4o-mini' });
    const w = series[0]!.windows['1m']!;
    expect(w.count).toBe(4);
    expect(w.successRatio).toBe(0.75);
    const failedType = spans[3]!.attributes['error.type'];
    expect(w.errorRatioByType).toEqual({ [String(failedType ?? '_OTHER')]: 0.25 });
    expect(w.tokens).toBe(3 * tokensPerCall);
    const durations = spans.map((s) => s.duration[0] + s.duration[1] / 1e9).sort((a, b) => a - b);
    expect(Math.abs(w.latency.p50! - durations[1]!) / durations[1]!).toBeLessThanOrEqual(w.latencyRelativeError!);
    expect(processor.health().invalid).toMatchObject({ internal_error: 0, invalid_value: 0, odd_attribute: 0 });
  });
});
