// The previous major of the OpenAI SDK (installed as `openai-v6`) through the same wrappers.
import OpenAIv6 from 'openai-v6';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_REQUEST_MAX_TOKENS,
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
} from '@driftwatch/semconv';
import { OpenAIInstrumentation } from '@driftwatch/llm';
import { useFakeProvider } from './provider-harness';

const { server, h, serverAttrs, openai } = useFakeProvider();
let client: OpenAIv6;
beforeEach(() => {
  client = openai(OpenAIv6, 1);
});

const messages = [{ role: 'user' as const, content: 'Hello from an older client' }];

function base(): Record<string, unknown> {
  return {
    [ATTR_GEN_AI_OPERATION_NAME]: 'chat',
    [ATTR_GEN_AI_PROVIDER_NAME]: 'openai',
    [ATTR_GEN_AI_REQUEST_MODEL]: 'gpt-4o-mini',
    ...serverAttrs(),
  };
}

const usage = {
  [ATTR_GEN_AI_USAGE_INPUT_TOKENS]: 5,
  [ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS]: 0,
  [ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS]: 0,
};

describe('openai 6.x', () => {
  it('records a non-streamed chat completion after an SDK retry', async () => {
    server.enqueue({ status: 429, headers: { 'retry-after': '0' } });
    const completion = await client.chat.completions.create({ model: 'gpt-4o-mini', messages, max_completion_tokens: 2 });
    expect(completion.choices[0]?.finish_reason).toBe('length');
    expect(h.span('chat gpt-4o-mini').attributes).toStrictEqual({
      ...base(),
      [ATTR_GEN_AI_REQUEST_MAX_TOKENS]: 2,
      [ATTR_RESILIENCE_RETRY_COUNT]: 1,
      [ATTR_GEN_AI_RESPONSE_ID]: 'chatcmpl-fake2',
      [ATTR_GEN_AI_RESPONSE_MODEL]: 'gpt-4o-mini',
      [ATTR_GEN_AI_RESPONSE_FINISH_REASONS]: ['length'],
      ...usage,
      [ATTR_GEN_AI_USAGE_OUTPUT_TOKENS]: 2,
    });
  });

  it('records a streamed chat completion with usage', async () => {
    const stream = await client.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe('Hello from the fake provider.');
    expect(h.span('chat gpt-4o-mini').attributes).toStrictEqual({
      ...base(),
      [ATTR_GEN_AI_REQUEST_STREAM]: true,
      [ATTR_RESILIENCE_RETRY_COUNT]: 0,
      [ATTR_GEN_AI_RESPONSE_ID]: 'chatcmpl-fake1',
      [ATTR_GEN_AI_RESPONSE_MODEL]: 'gpt-4o-mini',
      [ATTR_GEN_AI_RESPONSE_FINISH_REASONS]: ['stop'],
      [ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK]: expect.any(Number),
      ...usage,
      [ATTR_GEN_AI_USAGE_OUTPUT_TOKENS]: 5,
    });
  });

  it('ends the span with the error on a mid-stream failure and after an early break', async () => {
    server.enqueue({ streamErrorAfterChunks: 3 });
    const failing = await client.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true });
    await expect(
      (async () => {
        for await (const _ of failing) {
          // drain until the connection breaks
        }
      })(),
    ).rejects.toBeInstanceOf(Error);
    for await (const _ of await client.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true })) break;
    const [failed, left] = h.spans();
    expect(h.spans()).toHaveLength(2);
    expect(failed?.attributes[ATTR_ERROR_TYPE]).toBe('TypeError');
    expect(left?.attributes[ATTR_ERROR_TYPE]).toBeUndefined();
  });

  it('is patched by OpenAIInstrumentation.manuallyInstrument', async () => {
    const module = await import('openai-v6');
    const instrumentation = new OpenAIInstrumentation({ enabled: false, cost: false });
    instrumentation.setTracerProvider(h.tracerProvider);
    instrumentation.manuallyInstrument(module);
    instrumentation.enable();
    try {
      await new module.OpenAI({ baseURL: server.openaiBaseURL, apiKey: 'test' }).embeddings.create({
        model: 'text-embedding-3-small',
        input: 'one',
      });
      expect(h.spans().map((s) => s.name)).toStrictEqual(['embeddings text-embedding-3-small']);
    } finally {
      instrumentation.disable();
    }
  });
});
