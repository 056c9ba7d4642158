import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { hrTimeToMilliseconds } from '@opentelemetry/core';
import { describe, expect, it } from 'vitest';
import {
  ATTR_ERROR_MESSAGE,
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_REQUEST_MAX_TOKENS,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_GEN_AI_REQUEST_TEMPERATURE,
  ATTR_GEN_AI_RESPONSE_FINISH_REASONS,
  ATTR_GEN_AI_RESPONSE_ID,
  ATTR_GEN_AI_RESPONSE_MODEL,
  ATTR_GEN_AI_TOKEN_TYPE,
  ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_OUTPUT_TOKENS,
  ATTR_LLM_CALL_ID,
  ATTR_LLM_CALL_OUTCOME,
  ATTR_LLM_COST_COMPLETION,
  ATTR_LLM_COST_PROMPT,
  ATTR_LLM_COST_PROMPT_CACHE_READ,
  ATTR_LLM_COST_SOURCE,
  ATTR_LLM_COST_TOTAL,
  ATTR_LLM_COST_UNKNOWN,
  ATTR_LLM_METADATA_PREFIX,
  ATTR_LLM_TASK_TYPE,
  ATTR_LLM_TIER,
  ATTR_RESILIENCE_CIRCUIT_BREAKER_STATE,
  ATTR_RESILIENCE_FALLBACK_CHAIN,
  ATTR_RESILIENCE_FALLBACK_FROM_MODEL,
  ATTR_RESILIENCE_FALLBACK_FROM_PROVIDER,
  ATTR_RESILIENCE_FALLBACK_USED,
  ATTR_RESILIENCE_RETRY_COUNT,
  ATTR_RESILIENCE_TIMEOUT,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  METRIC_GEN_AI_CLIENT_OPERATION_DURATION,
  METRIC_GEN_AI_CLIENT_TOKEN_USAGE,
  METRIC_LLM_CALLS,
  METRIC_LLM_COST,
  METRIC_LLM_COST_UNKNOWN,
  METRIC_LLM_FALLBACKS,
  METRIC_LLM_RETRIES,
} from '@driftwatch/semconv';
import { createLlmTelemetry, recordLlmCall, traceLlmCall } from '@driftwatch/llm';
import { resolveTelemetry } from '../src/generic';
import { createHarness, drops, parentId, useHarness } from './generic-harness';

class RateLimitError extends Error {}

const h = useHarness();

const base = {
  [ATTR_GEN_AI_OPERATION_NAME]: 'chat',
  [ATTR_GEN_AI_PROVIDER_NAME]: 'my-gateway',
  [ATTR_GEN_AI_REQUEST_MODEL]: 'gpt-4o',
};

describe('traceLlmCall', () => {
  it('records a successful call: CLIENT span, GenAI attributes, cost, and metrics', async () => {
    const result = await traceLlmCall(
      {
        operation: 'chat',
        provider: 'my-gateway',
        model: 'gpt-4o',
        callId: 'c-1',
        tier: 'premium',
        taskType: 'summarize',
        serverAddress: 'gw.internal',
        serverPort: 8443,
        temperature: 0.2,
        maxTokens: 256,
      },
      async (call) => {
        call.setResponse({
          responseId: 'r-1',
          responseModel: 'gpt-4o-2024-08-06',
          finishReasons: ['stop'],
          usage: { inputTokens: 1000, outputTokens: 500 },
        });
        return 'answer';
      },
      h.opts,
    );
    expect(result).toBe('answer');
    const span = h.span('chat gpt-4o');
    expect(span.kind).toBe(SpanKind.CLIENT);
    expect(span.status).toStrictEqual({ code: SpanStatusCode.UNSET });
    expect(span.attributes).toStrictEqual({
      ...base,
      [ATTR_SERVER_ADDRESS]: 'gw.internal',
      [ATTR_SERVER_PORT]: 8443,
      [ATTR_GEN_AI_REQUEST_MAX_TOKENS]: 256,
      [ATTR_GEN_AI_REQUEST_TEMPERATURE]: 0.2,
      [ATTR_LLM_CALL_ID]: 'c-1',
      [ATTR_LLM_TIER]: 'premium',
      [ATTR_LLM_TASK_TYPE]: 'summarize',
      [ATTR_GEN_AI_RESPONSE_ID]: 'r-1',
      [ATTR_GEN_AI_RESPONSE_MODEL]: 'gpt-4o-2024-08-06',
      [ATTR_GEN_AI_RESPONSE_FINISH_REASONS]: ['stop'],
      [ATTR_GEN_AI_USAGE_INPUT_TOKENS]: 1000,
      [ATTR_GEN_AI_USAGE_OUTPUT_TOKENS]: 500,
      [ATTR_LLM_COST_PROMPT]: 0.0025,
      [ATTR_LLM_COST_COMPLETION]: 0.005,
      [ATTR_LLM_COST_TOTAL]: 0.0075,
      [ATTR_LLM_COST_SOURCE]: 'catalogue',
    });

    const metricAttrs = {
      ...base,
      [ATTR_GEN_AI_RESPONSE_MODEL]: 'gpt-4o-2024-08-06',
      [ATTR_SERVER_ADDRESS]: 'gw.internal',
      [ATTR_SERVER_PORT]: 8443,
    };
    expect(await h.points(METRIC_LLM_CALLS)).toStrictEqual([
      {
        attributes: { ...metricAttrs, [ATTR_LLM_CALL_OUTCOME]: 'success', [ATTR_LLM_TASK_TYPE]: 'summarize', [ATTR_LLM_TIER]: 'premium' },
        value: 1,
      },
    ]);
    expect(await h.points(METRIC_LLM_COST)).toStrictEqual([{ attributes: metricAttrs, value: 0.0075 }]);
    const tokens = await h.points(METRIC_GEN_AI_CLIENT_TOKEN_USAGE);
    expect(tokens.map((p) => [p.attributes[ATTR_GEN_AI_TOKEN_TYPE], (p.value as { sum: number }).sum])).toStrictEqual([
      ['input', 1000],
      ['output', 500],
    ]);
    const duration = await h.points(METRIC_GEN_AI_CLIENT_OPERATION_DURATION);
    expect(duration).toHaveLength(1);
    expect(duration[0]!.attributes).toStrictEqual(metricAttrs);
  });

  it('records the host error and re-throws it unchanged (async and sync)', async () => {
    const err = new RateLimitError('slow down');
    const rejected = traceLlmCall({ operation: 'chat', provider: 'my-gateway', model: 'gpt-4o' }, async () => {
      throw err;
    }, h.opts);
    await expect(rejected).rejects.toBe(err);
    expect(() =>
      traceLlmCall({ operation: 'embeddings', provider: 'my-gateway', model: 'text-embedding-3-small' }, () => {
        throw err;
      }, h.opts),
    ).toThrow(err);

    const chat = h.span('chat gpt-4o');
    expect(chat.attributes).toStrictEqual({
      ...base,
      [ATTR_ERROR_TYPE]: 'RateLimitError',
      [ATTR_ERROR_MESSAGE]: 'slow down',
    });
    expect(chat.status).toStrictEqual({ code: SpanStatusCode.ERROR, message: 'slow down' });
    expect(chat.events.map((e) => e.name)).toStrictEqual(['exception']);
    const exception = chat.events[0]!.attributes!;
    expect([exception['exception.type'], exception['exception.message']]).toStrictEqual(['RateLimitError', 'slow down']);
    expect(String(exception['exception.stacktrace'])).toContain('slow down');
    expect(h.span('embeddings text-embedding-3-small').attributes[ATTR_ERROR_TYPE]).toBe('RateLimitError');
    const calls = await h.points(METRIC_LLM_CALLS);
    expect(calls.map((p) => [p.attributes[ATTR_GEN_AI_OPERATION_NAME], p.attributes[ATTR_LLM_CALL_OUTCOME], p.attributes[ATTR_ERROR_TYPE]])).toStrictEqual([
      ['chat', 'error', 'RateLimitError'],
      ['embeddings', 'error', 'RateLimitError'],
    ]);
  });

  it('returns what fn returns: sync values stay sync, promises (subclasses included) are the same object', async () => {
    const req = { operation: 'chat', provider: 'my-gateway', model: 'gpt-4o' };
    expect(traceLlmCall(req, () => 42, h.opts)).toBe(42);

    class TaggedPromise<T> extends Promise<T> {
      readonly tag = 'sdk';
    }
    const p = new TaggedPromise<string>((resolve) => setTimeout(() => resolve('late'), 5));
    const returned = traceLlmCall(req, () => p, h.opts);
    expect(returned).toBe(p);
    expect(returned.tag).toBe('sdk');
    expect(h.spans()).toHaveLength(1); // the sync call; the async one is still open
    expect(await returned).toBe('late');
    await Promise.resolve();
    expect(h.spans()).toHaveLength(2);

    // A non-native thenable is adopted once (its `then` is not called twice).
    let thenCalls = 0;
    const thenable = {
      then(resolve: (v: string) => void) {
        thenCalls++;
        resolve('thenable');
      },
    };
    expect(await traceLlmCall(req, () => thenable, h.opts)).toBe('thenable');
    expect(thenCalls).toBe(1);
    expect(h.spans()).toHaveLength(3);
  });

  it('runs fn inside the span context, so nested calls become children', async () => {
    await traceLlmCall({ operation: 'chat', provider: 'router', model: 'outer' }, async () => {
      await new Promise((r) => setTimeout(r, 1));
      return traceLlmCall({ operation: 'chat', provider: 'openai', model: 'inner' }, async () => 'x', h.opts);
    }, h.opts);
    const outer = h.span('chat outer');
    const inner = h.span('chat inner');
    expect(parentId(inner)).toBe(outer.spanContext().spanId);
    expect(inner.spanContext().traceId).toBe(outer.spanContext().traceId);
  });

  it('reads usage through extract, marks unknown prices, and records reported costs as total only', async () => {
    await traceLlmCall({ operation: 'chat', provider: 'my-gateway', model: 'house-model-7' }, async () => ({ used: [10, 3] }), {
      ...h.opts,
      extract: (r) => ({ usage: { inputTokens: r.used[0], outputTokens: r.used[1] } }),
    });
    expect(h.span('chat house-model-7').attributes).toStrictEqual({
      [ATTR_GEN_AI_OPERATION_NAME]: 'chat',
      [ATTR_GEN_AI_PROVIDER_NAME]: 'my-gateway',
      [ATTR_GEN_AI_REQUEST_MODEL]: 'house-model-7',
      [ATTR_GEN_AI_USAGE_INPUT_TOKENS]: 10,
      [ATTR_GEN_AI_USAGE_OUTPUT_TOKENS]: 3,
      [ATTR_LLM_COST_UNKNOWN]: true,
    });
    expect(await h.points(METRIC_LLM_COST_UNKNOWN)).toStrictEqual([
      {
        attributes: {
          [ATTR_GEN_AI_OPERATION_NAME]: 'chat',
          [ATTR_GEN_AI_PROVIDER_NAME]: 'my-gateway',
          [ATTR_GEN_AI_REQUEST_MODEL]: 'house-model-7',
        },
        value: 1,
      },
    ]);

    await traceLlmCall({ operation: 'chat', provider: 'openrouter', model: 'house-model-7' }, (call) => {
      call.setResponse({ usage: { inputTokens: 10, outputTokens: 3 }, reportedCostUsd: 0.0004 });
      return null;
    }, h.opts);
    const reported = h.spans().find((s) => s.attributes[ATTR_GEN_AI_PROVIDER_NAME] === 'openrouter')!;
    expect(reported.attributes[ATTR_LLM_COST_TOTAL]).toBe(0.0004);
    expect(reported.attributes[ATTR_LLM_COST_SOURCE]).toBe('reported');
    expect(reported.attributes[ATTR_LLM_COST_PROMPT]).toBeUndefined();
    expect(reported.attributes[ATTR_LLM_COST_COMPLETION]).toBeUndefined();
    expect(drops()).toStrictEqual({});
  });

  it('creates instruments once per providers and settings, not per call', () => {
    const a = resolveTelemetry(h.opts);
    expect(resolveTelemetry({ ...h.opts })).toBe(a);
    const prices = { m: { inputPerMTok: 1, outputPerMTok: 1 } };
    const withPrices = resolveTelemetry({ ...h.opts, prices });
    expect(withPrices).not.toBe(a);
    expect(resolveTelemetry({ ...h.opts, prices })).toBe(withPrices);
    expect(resolveTelemetry({ ...h.opts, captureMessageContent: true })).not.toBe(a);
    expect(resolveTelemetry(createHarness())).not.toBe(a);
    const own = createLlmTelemetry(h.opts);
    expect(resolveTelemetry({ telemetry: own })).toBe(own);
  });

  it('uses a telemetry instance passed as an option', async () => {
    const telemetry = createLlmTelemetry({
      tracerProvider: h.tracerProvider,
      meterProvider: h.meterProvider,
      prices: { 'house-model-7': { inputPerMTok: 1, outputPerMTok: 2 } },
    });
    await traceLlmCall({ operation: 'chat', provider: 'my-gateway', model: 'house-model-7' }, (call) => {
      call.setResponse({ usage: { inputTokens: 1_000_000, cacheReadInputTokens: 1_000_000, outputTokens: 1_000_000 } });
    }, { telemetry });
    const attrs = h.span('chat house-model-7').attributes;
    expect(attrs[ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS]).toBe(1_000_000);
    expect([attrs[ATTR_LLM_COST_PROMPT], attrs[ATTR_LLM_COST_PROMPT_CACHE_READ], attrs[ATTR_LLM_COST_TOTAL], attrs[ATTR_LLM_COST_SOURCE]]).toStrictEqual([
      1,
      1,
      3,
      'override',
    ]);
  });
});

describe('recordLlmCall', () => {
  it('records a measured call with explicit timing, resilience attributes and counters', async () => {
    const timestamp = new Date('2026-01-02T03:04:05.000Z');
    recordLlmCall(
      {
        callId: 'call-42',
        timestamp,
        provider: 'anthropic',
        model: 'claude-haiku-4-5',
        tier: 'economy',
        taskType: 'classify',
        inputTokens: 1200,
        outputTokens: 80,
        costUsd: 0.0021,
        latencyMs: 1500,
        fallbackUsed: true,
        fallbackChain: ['openai/gpt-4o', 'anthropic/claude-haiku-4-5'],
        originalProvider: 'openai',
        originalModel: 'gpt-4o',
        retryCount: 2,
        circuitBreakerState: 'open',
        success: true,
      },
      h.opts,
    );
    const span = h.span('chat claude-haiku-4-5');
    expect(span.kind).toBe(SpanKind.CLIENT);
    expect(hrTimeToMilliseconds(span.startTime)).toBe(timestamp.getTime());
    expect(hrTimeToMilliseconds(span.endTime)).toBe(timestamp.getTime() + 1500);
    expect(span.attributes).toStrictEqual({
      [ATTR_GEN_AI_OPERATION_NAME]: 'chat',
      [ATTR_GEN_AI_PROVIDER_NAME]: 'anthropic',
      [ATTR_GEN_AI_REQUEST_MODEL]: 'claude-haiku-4-5',
      [ATTR_LLM_CALL_ID]: 'call-42',
      [ATTR_LLM_TIER]: 'economy',
      [ATTR_LLM_TASK_TYPE]: 'classify',
      [ATTR_LLM_CALL_OUTCOME]: 'success',
      [ATTR_RESILIENCE_RETRY_COUNT]: 2,
      [ATTR_RESILIENCE_FALLBACK_USED]: true,
      [ATTR_RESILIENCE_FALLBACK_CHAIN]: ['openai/gpt-4o', 'anthropic/claude-haiku-4-5'],
      [ATTR_RESILIENCE_FALLBACK_FROM_PROVIDER]: 'openai',
      [ATTR_RESILIENCE_FALLBACK_FROM_MODEL]: 'gpt-4o',
      [ATTR_RESILIENCE_CIRCUIT_BREAKER_STATE]: 'open',
      [ATTR_GEN_AI_USAGE_INPUT_TOKENS]: 1200,
      [ATTR_GEN_AI_USAGE_OUTPUT_TOKENS]: 80,
      [ATTR_LLM_COST_TOTAL]: 0.0021,
      [ATTR_LLM_COST_SOURCE]: 'reported',
    });

    const served = {
      [ATTR_GEN_AI_OPERATION_NAME]: 'chat',
      [ATTR_GEN_AI_PROVIDER_NAME]: 'anthropic',
      [ATTR_GEN_AI_REQUEST_MODEL]: 'claude-haiku-4-5',
    };
    const asked = { [ATTR_GEN_AI_OPERATION_NAME]: 'chat', [ATTR_GEN_AI_PROVIDER_NAME]: 'openai', [ATTR_GEN_AI_REQUEST_MODEL]: 'gpt-4o' };
    expect(await h.points(METRIC_LLM_RETRIES)).toStrictEqual([{ attributes: asked, value: 2 }]);
    expect(await h.points(METRIC_LLM_FALLBACKS)).toStrictEqual([{ attributes: asked, value: 1 }]);
    expect(await h.points(METRIC_LLM_COST)).toStrictEqual([{ attributes: served, value: 0.0021 }]);
    expect(await h.points(METRIC_LLM_CALLS)).toStrictEqual([
      { attributes: { ...served, [ATTR_LLM_CALL_OUTCOME]: 'success', [ATTR_LLM_TASK_TYPE]: 'classify', [ATTR_LLM_TIER]: 'economy' }, value: 1 },
    ]);
    const duration = await h.points(METRIC_GEN_AI_CLIENT_OPERATION_DURATION);
    expect(duration).toHaveLength(1);
    expect((duration[0]!.value as { sum: number; count: number }).sum).toBe(1.5);
    expect(drops()).toStrictEqual({});
  });

  it('records a failed call with a redacted, truncated error message and the timeout flag', async () => {
    recordLlmCall(
      {
        provider: 'openai',
        model: 'gpt-4o-mini',
        operation: 'chat',
        latencyMs: 30_000,
        timedOut: true,
        success: false,
        errorType: 'APIConnectionTimeoutError',
        errorMessage: `timed out for bob@example.com with key sk-proj-abcdefghijklmnopqrstuvwxyz ${'x'.repeat(2000)}`,
        metadata: { region: 'eu-west-1', attempt: 3 },
      },
      h.opts,
    );
    const span = h.span('chat gpt-4o-mini');
    const message = span.attributes[ATTR_ERROR_MESSAGE] as string;
    expect(message.startsWith('timed out for [REDACTED:email] with key [REDACTED:api_key] xxx')).toBe(true);
    expect(message.endsWith('…[truncated]')).toBe(true);
    expect(message.length).toBeLessThanOrEqual(512);
    expect(span.status).toStrictEqual({ code: SpanStatusCode.ERROR, message });
    expect(span.attributes).toStrictEqual({
      [ATTR_GEN_AI_OPERATION_NAME]: 'chat',
      [ATTR_GEN_AI_PROVIDER_NAME]: 'openai',
      [ATTR_GEN_AI_REQUEST_MODEL]: 'gpt-4o-mini',
      [`${ATTR_LLM_METADATA_PREFIX}region`]: 'eu-west-1',
      [`${ATTR_LLM_METADATA_PREFIX}attempt`]: 3,
      [ATTR_LLM_CALL_OUTCOME]: 'error',
      [ATTR_RESILIENCE_TIMEOUT]: true,
      [ATTR_ERROR_TYPE]: 'APIConnectionTimeoutError',
      [ATTR_ERROR_MESSAGE]: message,
    });
    expect(await h.points(METRIC_LLM_CALLS)).toStrictEqual([
      {
        attributes: {
          [ATTR_GEN_AI_OPERATION_NAME]: 'chat',
          [ATTR_GEN_AI_PROVIDER_NAME]: 'openai',
          [ATTR_GEN_AI_REQUEST_MODEL]: 'gpt-4o-mini',
          [ATTR_ERROR_TYPE]: 'APIConnectionTimeoutError',
          [ATTR_LLM_CALL_OUTCOME]: 'error',
        },
        value: 1,
      },
    ]);
    expect(await h.points(METRIC_LLM_RETRIES)).toStrictEqual([]);
  });

  it('a failure without an error type is recorded as _OTHER; a missing timestamp means it ended now', () => {
    const before = Date.now();
    recordLlmCall({ provider: 'p', model: 'm', latencyMs: 200, success: false }, h.opts);
    const span = h.span('chat m');
    expect(span.attributes[ATTR_ERROR_TYPE]).toBe('_OTHER');
    const end = hrTimeToMilliseconds(span.endTime);
    expect(end).toBeGreaterThanOrEqual(before);
    expect(end - hrTimeToMilliseconds(span.startTime)).toBe(200);
  });

  it('becomes a child of the active span', async () => {
    traceLlmCall({ operation: 'chat', provider: 'router', model: 'outer' }, () => {
      recordLlmCall({ provider: 'openai', model: 'gpt-4o', latencyMs: 10, success: true }, h.opts);
    }, h.opts);
    expect(parentId(h.span('chat gpt-4o'))).toBe(h.span('chat outer').spanContext().spanId);
  });
});
