// OpenAIInstrumentation: prototype patching through registerInstrumentations (CommonJS require
// hook) and manuallyInstrument (ES modules), sharing the per-method code with instrumentOpenAI.
import { createRequire } from 'node:module';
import { isWrapped, registerInstrumentations } from '@opentelemetry/instrumentation';
import * as openaiModule from 'openai';
import { describe, expect, it } from 'vitest';
import {
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_GEN_AI_REQUEST_STREAM,
  ATTR_GEN_AI_RESPONSE_FINISH_REASONS,
  ATTR_GEN_AI_RESPONSE_ID,
  ATTR_GEN_AI_RESPONSE_MODEL,
  ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK,
  ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_OUTPUT_TOKENS,
  ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS,
  ATTR_RESILIENCE_RETRY_COUNT,
  METRIC_GEN_AI_CLIENT_OPERATION_DURATION,
} from '@driftwatch/semconv';
import { OpenAIInstrumentation, instrumentOpenAI } from '@driftwatch/llm';
import { createHarness } from './generic-harness';
import { useFakeProvider } from './provider-harness';

const { server, h, serverAttrs } = useFakeProvider();

const messages = [{ role: 'user' as const, content: 'Hello there' }];

function expectedChat(id: string): Record<string, unknown> {
  return {
    [ATTR_GEN_AI_OPERATION_NAME]: 'chat',
    [ATTR_GEN_AI_PROVIDER_NAME]: 'openai',
    [ATTR_GEN_AI_REQUEST_MODEL]: 'gpt-4o-mini',
    ...serverAttrs(),
    [ATTR_RESILIENCE_RETRY_COUNT]: 0,
    [ATTR_GEN_AI_RESPONSE_ID]: id,
    [ATTR_GEN_AI_RESPONSE_MODEL]: 'gpt-4o-mini',
    [ATTR_GEN_AI_RESPONSE_FINISH_REASONS]: ['stop'],
    [ATTR_GEN_AI_USAGE_INPUT_TOKENS]: 2,
    [ATTR_GEN_AI_USAGE_OUTPUT_TOKENS]: 5,
    [ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS]: 0,
    [ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS]: 0,
  };
}

describe('OpenAIInstrumentation', () => {
  it('patches the CommonJS module through registerInstrumentations', async () => {
    const instrumentation = new OpenAIInstrumentation({ cost: false });
    const unregister = registerInstrumentations({
      instrumentations: [instrumentation],
      tracerProvider: h.tracerProvider,
      meterProvider: h.meterProvider,
    });
    try {
      const cjs = createRequire(import.meta.url)('openai') as typeof openaiModule;
      expect(isWrapped(cjs.OpenAI.Chat.Completions.prototype.create)).toBe(true);
      expect(isWrapped(cjs.OpenAI.Responses.prototype.create)).toBe(true);
      expect(isWrapped(cjs.OpenAI.Embeddings.prototype.create)).toBe(true);
      const client = new cjs.OpenAI({ baseURL: server.openaiBaseURL, apiKey: 'test', maxRetries: 0 });

      await client.chat.completions.create({ model: 'gpt-4o-mini', messages });
      expect(h.span('chat gpt-4o-mini').attributes).toStrictEqual(expectedChat('chatcmpl-fake1'));

      h.exporter.reset();
      const stream = await client.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true });
      for await (const _ of stream) {
        // drain
      }
      expect(h.span('chat gpt-4o-mini').attributes).toStrictEqual({
        ...expectedChat('chatcmpl-fake2'),
        [ATTR_GEN_AI_REQUEST_STREAM]: true,
        [ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK]: expect.any(Number),
      });
      expect((await h.metric(METRIC_GEN_AI_CLIENT_OPERATION_DURATION))?.dataPoints).toHaveLength(1);

      instrumentation.disable();
      expect(isWrapped(cjs.OpenAI.Chat.Completions.prototype.create)).toBe(false);
      h.exporter.reset();
      await client.chat.completions.create({ model: 'gpt-4o-mini', messages });
      expect(h.spans()).toStrictEqual([]);
    } finally {
      unregister();
    }
  });

  it('patches an ES module namespace with manuallyInstrument, and defers to an explicit wrapper on the same call', async () => {
    const instrumentation = new OpenAIInstrumentation({ enabled: false, cost: false });
    instrumentation.setTracerProvider(h.tracerProvider);
    instrumentation.setMeterProvider(h.meterProvider);
    instrumentation.manuallyInstrument(openaiModule);
    instrumentation.enable();
    try {
      const client = new openaiModule.default({ baseURL: server.openaiBaseURL, apiKey: 'test', maxRetries: 0 });
      await client.embeddings.create({ model: 'text-embedding-3-small', input: 'one two' });
      await client.responses.create({ model: 'gpt-4.1-mini', input: 'hi' });
      expect(h.spans().map((s) => s.name)).toStrictEqual(['embeddings text-embedding-3-small', 'chat gpt-4.1-mini']);

      h.exporter.reset();
      const other = createHarness();
      instrumentOpenAI(client, { tracerProvider: other.tracerProvider, cost: false });
      await client.chat.completions.create({ model: 'gpt-4o-mini', messages });
      expect(other.spans()).toHaveLength(1);
      expect(h.spans()).toStrictEqual([]);

      instrumentation.disable();
      await new openaiModule.OpenAI({ baseURL: server.openaiBaseURL, apiKey: 'test' }).chat.completions.create({
        model: 'gpt-4o-mini',
        messages,
      });
      expect(h.spans()).toStrictEqual([]);
    } finally {
      instrumentation.disable();
    }
  });
});
