// The 0.x line of the Anthropic SDK (installed as `anthropic-v0`) through the same wrappers.
import AnthropicV0 from 'anthropic-v0';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_REQUEST_MAX_TOKENS,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_GEN_AI_REQUEST_STREAM,
  ATTR_GEN_AI_REQUEST_TEMPERATURE,
  ATTR_GEN_AI_REQUEST_TOP_K,
  ATTR_GEN_AI_REQUEST_TOP_P,
  ATTR_GEN_AI_RESPONSE_FINISH_REASONS,
  ATTR_GEN_AI_RESPONSE_ID,
  ATTR_GEN_AI_RESPONSE_MODEL,
  ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK,
  ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_OUTPUT_TOKENS,
  ATTR_RESILIENCE_RETRY_COUNT,
} from '@driftwatch/semconv';
import { AnthropicInstrumentation } from '@driftwatch/llm';
import { useFakeProvider } from './provider-harness';

const { server, h, serverAttrs, anthropic } = useFakeProvider();
let client: AnthropicV0;
beforeEach(() => {
  client = anthropic(AnthropicV0, 1);
});

const params = { model: 'claude-3-5-haiku-latest', max_tokens: 64, messages: [{ role: 'user' as const, content: 'Hi there' }] };

function base(): Record<string, unknown> {
  return {
    [ATTR_GEN_AI_OPERATION_NAME]: 'chat',
    [ATTR_GEN_AI_PROVIDER_NAME]: 'anthropic',
    [ATTR_GEN_AI_REQUEST_MODEL]: 'claude-3-5-haiku-latest',
    ...serverAttrs(),
    [ATTR_GEN_AI_REQUEST_MAX_TOKENS]: 64,
  };
}

describe('@anthropic-ai/sdk 0.x', () => {
  it('records a non-streamed message after an SDK retry', async () => {
    server.enqueue({ status: 529, headers: { 'retry-after-ms': '1' } }, { cachedInputTokens: 1 });
    const message = await client.messages.create({ ...params, temperature: 0.7, top_p: 0.9, top_k: 40 });
    expect(message.id).toBe('msg_fake2');
    expect(h.span('chat claude-3-5-haiku-latest').attributes).toStrictEqual({
      ...base(),
      [ATTR_GEN_AI_REQUEST_TEMPERATURE]: 0.7,
      [ATTR_GEN_AI_REQUEST_TOP_P]: 0.9,
      [ATTR_GEN_AI_REQUEST_TOP_K]: 40,
      [ATTR_RESILIENCE_RETRY_COUNT]: 1,
      [ATTR_GEN_AI_RESPONSE_ID]: 'msg_fake2',
      [ATTR_GEN_AI_RESPONSE_MODEL]: 'claude-3-5-haiku-latest',
      [ATTR_GEN_AI_RESPONSE_FINISH_REASONS]: ['end_turn'],
      [ATTR_GEN_AI_USAGE_INPUT_TOKENS]: 2,
      [ATTR_GEN_AI_USAGE_OUTPUT_TOKENS]: 5,
      [ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS]: 1,
      [ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS]: 0,
    });
  });

  it('records a streamed message, and a mid-stream failure', async () => {
    const stream = await client.messages.create({ ...params, stream: true });
    let text = '';
    for await (const event of stream) {
      if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') text += event.delta.text;
    }
    expect(text).toBe('Hello from the fake provider.');
    expect(h.span('chat claude-3-5-haiku-latest').attributes).toStrictEqual({
      ...base(),
      [ATTR_GEN_AI_REQUEST_STREAM]: true,
      [ATTR_RESILIENCE_RETRY_COUNT]: 0,
      [ATTR_GEN_AI_RESPONSE_ID]: 'msg_fake1',
      [ATTR_GEN_AI_RESPONSE_MODEL]: 'claude-3-5-haiku-latest',
      [ATTR_GEN_AI_RESPONSE_FINISH_REASONS]: ['end_turn'],
      [ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK]: expect.any(Number),
      [ATTR_GEN_AI_USAGE_INPUT_TOKENS]: 2,
      [ATTR_GEN_AI_USAGE_OUTPUT_TOKENS]: 5,
      [ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS]: 0,
      [ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS]: 0,
    });

    h.exporter.reset();
    server.enqueue({ streamErrorAfterChunks: 2 });
    const failing = await client.messages.create({ ...params, stream: true });
    await expect(
      (async () => {
        for await (const _ of failing) {
          // drain until the connection breaks
        }
      })(),
    ).rejects.toBeInstanceOf(Error);
    expect(h.span('chat claude-3-5-haiku-latest').attributes[ATTR_ERROR_TYPE]).toBe('TypeError');
  });

  it('is patched by AnthropicInstrumentation.manuallyInstrument', async () => {
    const module = await import('anthropic-v0');
    const instrumentation = new AnthropicInstrumentation({ enabled: false, cost: false });
    instrumentation.setTracerProvider(h.tracerProvider);
    instrumentation.manuallyInstrument(module);
    instrumentation.enable();
    try {
      const final = await new module.Anthropic({ baseURL: server.anthropicBaseURL, apiKey: 'test' }).messages.stream(params).finalMessage();
      expect(final.stop_reason).toBe('end_turn');
      expect(h.spans().map((s) => [s.name, s.attributes[ATTR_GEN_AI_USAGE_OUTPUT_TOKENS]])).toStrictEqual([['chat claude-3-5-haiku-latest', 5]]);
    } finally {
      instrumentation.disable();
    }
  });
});
