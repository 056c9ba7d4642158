// The Anthropic client wrapper against the fake provider: Messages JSON and streams, cached-token
// accounting, retries, stream lifecycle, return types, content capture and the instrumentation class.
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import Anthropic from '@anthropic-ai/sdk';
import * as anthropicModule from '@anthropic-ai/sdk';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_INPUT_MESSAGES,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_OUTPUT_MESSAGES,
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_REQUEST_MAX_TOKENS,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_GEN_AI_REQUEST_STOP_SEQUENCES,
  ATTR_GEN_AI_REQUEST_STREAM,
  ATTR_GEN_AI_RESPONSE_FINISH_REASONS,
  ATTR_GEN_AI_RESPONSE_ID,
  ATTR_GEN_AI_RESPONSE_MODEL,
  ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK,
  ATTR_GEN_AI_SYSTEM_INSTRUCTIONS,
  ATTR_GEN_AI_TOKEN_TYPE,
  ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_OUTPUT_TOKENS,
  ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_LLM_RATE_LIMIT_TYPE,
  ATTR_RESILIENCE_ATTEMPT,
  ATTR_RESILIENCE_RETRY_AFTER,
  ATTR_RESILIENCE_RETRY_COUNT,
  ATTR_RESILIENCE_RETRY_DELAY,
  EVENT_RESILIENCE_RETRY,
  METRIC_GEN_AI_CLIENT_TOKEN_USAGE,
  METRIC_LLM_RATE_LIMIT_REMAINING,
} from '@driftwatch/semconv';
import { AnthropicInstrumentation } from '@driftwatch/llm';
import { ANTHROPIC_LIMITS } from '../../../test/support/fake-llm-server';
import { sleep } from './generic-harness';
import { useFakeProvider } from './provider-harness';

const { server, h, serverAttrs, anthropic } = useFakeProvider();
let client: Anthropic;
beforeEach(() => {
  client = anthropic(Anthropic);
});

const params = {
  model: 'claude-haiku-4-5',
  max_tokens: 100,
  system: 'Be brief and friendly',
  messages: [{ role: 'user' as const, content: 'Tell me a very short story please' }],
};

function request(): Record<string, unknown> {
  return {
    [ATTR_GEN_AI_OPERATION_NAME]: 'chat',
    [ATTR_GEN_AI_PROVIDER_NAME]: 'anthropic',
    [ATTR_GEN_AI_REQUEST_MODEL]: 'claude-haiku-4-5',
    ...serverAttrs(),
    [ATTR_GEN_AI_REQUEST_MAX_TOKENS]: 100,
    [ATTR_RESILIENCE_RETRY_COUNT]: 0,
  };
}

/** A completed stream of the default reply. */
function streamed(): Record<string, unknown> {
  return {
    ...request(),
    [ATTR_GEN_AI_REQUEST_STREAM]: true,
    [ATTR_GEN_AI_RESPONSE_ID]: 'msg_fake1',
    [ATTR_GEN_AI_RESPONSE_MODEL]: 'claude-haiku-4-5',
    [ATTR_GEN_AI_RESPONSE_FINISH_REASONS]: ['end_turn'],
    [ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK]: expect.any(Number),
    [ATTR_GEN_AI_USAGE_INPUT_TOKENS]: 11,
    [ATTR_GEN_AI_USAGE_OUTPUT_TOKENS]: 5,
    [ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS]: 0,
    [ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS]: 0,
  };
}

describe('instrumentAnthropic: messages', () => {
  it('records the exact attributes, counting cached input into gen_ai.usage.input_tokens', async () => {
    server.enqueue({ model: 'claude-haiku-4-5-20251001', cachedInputTokens: 3, cacheCreationInputTokens: 2, reasoningTokens: 2 });
    const message = await client.messages.create({ ...params, stop_sequences: ['###'] });
    expect(message.usage.input_tokens).toBe(6);
    const span = h.span('chat claude-haiku-4-5');
    expect(span.kind).toBe(SpanKind.CLIENT);
    expect(span.attributes).toStrictEqual({
      ...request(),
      [ATTR_GEN_AI_REQUEST_STOP_SEQUENCES]: ['###'],
      [ATTR_GEN_AI_RESPONSE_ID]: 'msg_fake1',
      [ATTR_GEN_AI_RESPONSE_MODEL]: 'claude-haiku-4-5-20251001',
      [ATTR_GEN_AI_RESPONSE_FINISH_REASONS]: ['end_turn'],
      [ATTR_GEN_AI_USAGE_INPUT_TOKENS]: 11,
      [ATTR_GEN_AI_USAGE_OUTPUT_TOKENS]: 7,
      [ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS]: 3,
      [ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS]: 2,
      [ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS]: 2,
    });
    const tokens = await h.points(METRIC_GEN_AI_CLIENT_TOKEN_USAGE);
    expect(tokens.map((p) => [p.attributes[ATTR_GEN_AI_TOKEN_TYPE], (p.value as { sum: number }).sum])).toStrictEqual([
      ['input', 11],
      ['output', 7],
    ]);
    const remaining = await h.points(METRIC_LLM_RATE_LIMIT_REMAINING);
    expect(remaining.map((p) => [p.attributes[ATTR_LLM_RATE_LIMIT_TYPE], p.value])).toStrictEqual([
      ['requests', ANTHROPIC_LIMITS.requests - 1],
      ['tokens', ANTHROPIC_LIMITS.tokens - 18],
      ['input_tokens', ANTHROPIC_LIMITS.inputTokens - 11],
      ['output_tokens', ANTHROPIC_LIMITS.outputTokens - 7],
    ]);
  });

  it('records a streamed message from message_start and message_delta', async () => {
    const stream = await client.messages.create({ ...params, stream: true });
    const types: string[] = [];
    for await (const event of stream) types.push(event.type);
    expect(types).toStrictEqual([
      'message_start',
      'content_block_start',
      ...Array<string>(5).fill('content_block_delta'),
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    expect(h.span('chat claude-haiku-4-5').attributes).toStrictEqual(streamed());
  });

  it('covers the messages.stream() helper with one span', async () => {
    const final = await client.messages.stream(params).finalMessage();
    expect(final.content[0]).toMatchObject({ type: 'text', text: 'Hello from the fake provider.' });
    expect(h.spans()).toHaveLength(1);
    expect(h.span('chat claude-haiku-4-5').attributes).toStrictEqual(streamed());
  });

  it('counts an SDK retry after a 429 with retry-after', async () => {
    const retrying = anthropic(Anthropic, 2, { tracerProvider: h.tracerProvider, cost: false });
    server.enqueue({ status: 429, headers: { 'retry-after-ms': '5' } });
    const message = await retrying.messages.create(params);
    expect(message.id).toBe('msg_fake2');
    const span = h.span('chat claude-haiku-4-5');
    expect(span.attributes[ATTR_RESILIENCE_RETRY_COUNT]).toBe(1);
    expect(span.events.map((e) => [e.name, e.attributes])).toStrictEqual([
      [
        EVENT_RESILIENCE_RETRY,
        {
          [ATTR_RESILIENCE_ATTEMPT]: 2,
          [ATTR_HTTP_RESPONSE_STATUS_CODE]: 429,
          [ATTR_RESILIENCE_RETRY_AFTER]: 0.005,
          [ATTR_RESILIENCE_RETRY_DELAY]: expect.any(Number),
        },
      ],
    ]);
  });

  it('records provider errors with the SDK class name and re-throws them unchanged', async () => {
    server.enqueue({ status: 529 });
    const err = await client.messages.create(params).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.APIError);
    const span = h.span('chat claude-haiku-4-5');
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes[ATTR_ERROR_TYPE]).toBe((err as Error).constructor.name);
  });

  it('records an error the SDK throws synchronously and re-throws it unchanged', () => {
    let thrown: unknown;
    try {
      void client.messages.create({ ...params, max_tokens: 1_000_000 });
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(Anthropic.AnthropicError);
    expect(server.requests).toHaveLength(0);
    const span = h.span('chat claude-haiku-4-5');
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes[ATTR_ERROR_TYPE]).toBe('AnthropicError');
  });

  it('ends the span once on early break, on abort and on a mid-stream failure', async () => {
    server.enqueue({ chunkDelayMs: 5 });
    for await (const _ of await client.messages.create({ ...params, stream: true })) break;

    server.enqueue({ chunkDelayMs: 30 });
    const controller = new AbortController();
    let n = 0;
    for await (const _ of await client.messages.create({ ...params, stream: true }, { signal: controller.signal })) {
      if (++n === 2) controller.abort();
    }

    server.enqueue({ streamErrorAfterChunks: 3 });
    const failing = await client.messages.create({ ...params, stream: true });
    await expect(
      (async () => {
        for await (const _ of failing) {
          // drain until the connection breaks
        }
      })(),
    ).rejects.toBeInstanceOf(Error);

    await sleep(50);
    const [left, aborted, failed] = h.spans();
    expect(h.spans()).toHaveLength(3);
    expect(left?.status.code).toBe(SpanStatusCode.UNSET);
    expect(left?.attributes[ATTR_GEN_AI_RESPONSE_ID]).toBe('msg_fake1');
    expect(aborted?.attributes[ATTR_ERROR_TYPE]).toBe('APIUserAbortError');
    expect(failed?.status.code).toBe(SpanStatusCode.ERROR);
    expect(failed?.attributes[ATTR_ERROR_TYPE]).toBe('TypeError');
  });

  it('keeps .withResponse(), .asResponse() and tee() working', async () => {
    const { data, response } = await client.messages.create(params).withResponse();
    expect(data.id).toBe('msg_fake1');
    expect(response.headers.get('request-id')).toBe('req_fake1');
    const raw = await client.messages.create(params).asResponse();
    expect(((await raw.json()) as { id: string }).id).toBe('msg_fake2');
    const [a, b] = (await client.messages.create({ ...params, stream: true })).tee();
    let countA = 0;
    let countB = 0;
    for await (const _ of a) countA++;
    for await (const _ of b) countB++;
    expect([countA, countB]).toStrictEqual([10, 10]);
    expect(h.spans().map((s) => s.attributes[ATTR_GEN_AI_RESPONSE_ID])).toStrictEqual(['msg_fake1', undefined, 'msg_fake3']);
  });

  it('captures redacted system instructions, input and streamed output when asked', async () => {
    const capturing = anthropic(Anthropic, 0, { tracerProvider: h.tracerProvider, captureMessageContent: true, cost: false });
    const stream = await capturing.messages.create({
      ...params,
      system: [{ type: 'text', text: 'Reply to sam@example.org only' }],
      messages: [{ role: 'user', content: [{ type: 'text', text: 'My key is sk-ant-api03-abcdefghijklmnopqrstuv' }] }],
      stream: true,
    });
    for await (const _ of stream) {
      // drain
    }
    const attributes = h.span('chat claude-haiku-4-5').attributes;
    expect(attributes[ATTR_GEN_AI_SYSTEM_INSTRUCTIONS]).toBe(JSON.stringify([{ type: 'text', content: 'Reply to [REDACTED:email] only' }]));
    expect(attributes[ATTR_GEN_AI_INPUT_MESSAGES]).toBe(
      JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: 'My key is [REDACTED:api_key]' }] }]),
    );
    expect(attributes[ATTR_GEN_AI_OUTPUT_MESSAGES]).toBe(
      JSON.stringify([{ role: 'assistant', parts: [{ type: 'text', content: 'Hello from the fake provider.' }], finish_reason: 'end_turn' }]),
    );
  });
});

describe('AnthropicInstrumentation', () => {
  it('patches Messages.prototype.create of an imported module', async () => {
    const instrumentation = new AnthropicInstrumentation({ enabled: false, cost: false });
    instrumentation.setTracerProvider(h.tracerProvider);
    instrumentation.manuallyInstrument(anthropicModule);
    instrumentation.enable();
    try {
      const plain = new anthropicModule.Anthropic({ baseURL: server.anthropicBaseURL, apiKey: 'test', maxRetries: 0 });
      await plain.messages.create(params);
      for await (const _ of await plain.messages.create({ ...params, stream: true })) {
        // drain
      }
      expect(h.spans().map((s) => [s.name, s.attributes[ATTR_GEN_AI_USAGE_INPUT_TOKENS]])).toStrictEqual([
        ['chat claude-haiku-4-5', 11],
        ['chat claude-haiku-4-5', 11],
      ]);
    } finally {
      instrumentation.disable();
    }
  });
});
