import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import {
  ATTR_ERROR_MESSAGE,
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_GEN_AI_RESPONSE_MODEL,
  ATTR_GEN_AI_USAGE_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_OUTPUT_TOKENS,
  ATTR_LLM_CALL_OUTCOME,
  ATTR_LLM_COST_UNKNOWN,
  ATTR_LLM_TASK_TYPE,
  ATTR_RESILIENCE_ATTEMPT,
  ATTR_RESILIENCE_CIRCUIT_BREAKER_STATE,
  ATTR_RESILIENCE_FALLBACK_CHAIN,
  ATTR_RESILIENCE_FALLBACK_FROM_MODEL,
  ATTR_RESILIENCE_FALLBACK_FROM_PROVIDER,
  ATTR_RESILIENCE_FALLBACK_USED,
  ATTR_RESILIENCE_RETRY_COUNT,
  ATTR_RESILIENCE_RETRY_DELAY,
  ATTR_RESILIENCE_TIMEOUT,
  METRIC_LLM_FALLBACKS,
  METRIC_LLM_RETRIES,
} from '@driftwatch/semconv';
import { fallbackChain, traceLlmCall, withLlmCall } from '@driftwatch/llm';
import { drops, parentId, sleep, useHarness } from './generic-harness';

class OverloadedError extends Error {}

const h = useHarness();

const req = (provider: string, model: string) => ({
  [ATTR_GEN_AI_OPERATION_NAME]: 'chat',
  [ATTR_GEN_AI_PROVIDER_NAME]: provider,
  [ATTR_GEN_AI_REQUEST_MODEL]: model,
});

/** A provider call made through traceLlmCall that fails with `error` or returns usage. */
function providerCall(provider: string, model: string, outcome: Error | { responseModel?: string }) {
  return traceLlmCall({ operation: 'chat', provider, model }, async (call) => {
    await sleep(1);
    if (outcome instanceof Error) throw outcome;
    call.setResponse({ responseModel: outcome.responseModel, usage: { inputTokens: 10, outputTokens: 2 } });
    return `${provider}/${model}`;
  }, h.opts);
}

function attemptSpans() {
  return h
    .spans()
    .filter((s) => s.attributes[ATTR_RESILIENCE_ATTEMPT] !== undefined)
    .sort((a, b) => (a.attributes[ATTR_RESILIENCE_ATTEMPT] as number) - (b.attributes[ATTR_RESILIENCE_ATTEMPT] as number));
}

describe('withLlmCall', () => {
  it('makes one parent span with one child per attempt (a hand-written retry loop)', async () => {
    const result = await withLlmCall({ operation: 'chat', provider: 'openai', model: 'gpt-4o', taskType: 'summarize' }, async (call) => {
      for (let i = 0; ; i++) {
        try {
          return await providerCall('openai', 'gpt-4o', i === 0 ? new OverloadedError('busy') : {});
        } catch {
          call.setRetryDelay(0.25);
        }
      }
    }, h.opts);
    expect(result).toBe('openai/gpt-4o');

    const spans = h.spans();
    expect(spans).toHaveLength(3);
    const parent = spans.find((s) => s.kind === SpanKind.INTERNAL)!;
    expect(parent.name).toBe('chat gpt-4o');
    expect(parent.attributes).toStrictEqual({
      ...req('openai', 'gpt-4o'),
      [ATTR_LLM_TASK_TYPE]: 'summarize',
      [ATTR_RESILIENCE_RETRY_COUNT]: 1,
      [ATTR_RESILIENCE_FALLBACK_USED]: false,
      [ATTR_RESILIENCE_FALLBACK_CHAIN]: ['openai/gpt-4o'],
      [ATTR_LLM_CALL_OUTCOME]: 'success',
    });
    const [first, second] = attemptSpans();
    expect(first!.kind).toBe(SpanKind.CLIENT);
    expect(first!.attributes).toStrictEqual({
      ...req('openai', 'gpt-4o'),
      [ATTR_RESILIENCE_ATTEMPT]: 1,
      [ATTR_ERROR_TYPE]: 'OverloadedError',
      [ATTR_ERROR_MESSAGE]: 'busy',
    });
    expect(second!.attributes).toStrictEqual({
      ...req('openai', 'gpt-4o'),
      [ATTR_RESILIENCE_ATTEMPT]: 2,
      [ATTR_RESILIENCE_RETRY_DELAY]: 0.25,
      [ATTR_GEN_AI_USAGE_INPUT_TOKENS]: 10,
      [ATTR_GEN_AI_USAGE_OUTPUT_TOKENS]: 2,
      'llm.cost.prompt': 0.000025,
      'llm.cost.completion': 0.00002,
      'llm.cost.total': 0.000045,
      'llm.cost.source': 'catalogue',
    });
    for (const a of [first!, second!]) expect(parentId(a)).toBe(parent.spanContext().spanId);
    expect(await h.points(METRIC_LLM_RETRIES)).toStrictEqual([{ attributes: req('openai', 'gpt-4o'), value: 1 }]);
    expect(await h.points(METRIC_LLM_FALLBACKS)).toStrictEqual([]);
  });

  it('records a fallback to another provider: chain, from.*, served model and the fallback counter', async () => {
    await withLlmCall({ operation: 'chat', provider: 'openai', model: 'gpt-4o' }, async () => {
      try {
        return await providerCall('openai', 'gpt-4o', new OverloadedError('down'));
      } catch {
        return providerCall('anthropic', 'claude-haiku-4-5', { responseModel: 'claude-haiku-4-5-20251001' });
      }
    }, h.opts);
    const parent = h.spans().find((s) => s.kind === SpanKind.INTERNAL)!;
    expect(parent.attributes).toStrictEqual({
      ...req('openai', 'gpt-4o'),
      [ATTR_RESILIENCE_RETRY_COUNT]: 1,
      [ATTR_RESILIENCE_FALLBACK_USED]: true,
      [ATTR_RESILIENCE_FALLBACK_CHAIN]: ['openai/gpt-4o', 'anthropic/claude-haiku-4-5'],
      [ATTR_RESILIENCE_FALLBACK_FROM_PROVIDER]: 'openai',
      [ATTR_RESILIENCE_FALLBACK_FROM_MODEL]: 'gpt-4o',
      [ATTR_GEN_AI_RESPONSE_MODEL]: 'claude-haiku-4-5-20251001',
      [ATTR_LLM_CALL_OUTCOME]: 'success',
    });
    expect(await h.points(METRIC_LLM_FALLBACKS)).toStrictEqual([{ attributes: req('openai', 'gpt-4o'), value: 1 }]);
  });

  it('does not count a dated response model of the requested model as a fallback', async () => {
    await withLlmCall({ operation: 'chat', provider: 'openai', model: 'gpt-4o' }, () =>
      providerCall('openai', 'gpt-4o', { responseModel: 'gpt-4o-2024-08-06' }), h.opts);
    const parent = h.spans().find((s) => s.kind === SpanKind.INTERNAL)!;
    expect(parent.attributes[ATTR_RESILIENCE_FALLBACK_USED]).toBe(false);
    expect(parent.attributes[ATTR_RESILIENCE_RETRY_COUNT]).toBe(0);
  });

  it('lets code the instrumentation does not observe record breaker state, timeouts and fallbacks', async () => {
    await withLlmCall({ operation: 'chat', provider: 'openai', model: 'gpt-4o' }, async (call) => {
      call.setCircuitBreakerState('half_open');
      try {
        await providerCall('openai', 'gpt-4o', new OverloadedError('too slow'));
      } catch {
        call.markTimedOut();
        call.markFallbackUsed();
      }
      expect(call.attempts).toBe(1);
      return 'cached answer';
    }, h.opts);
    const parent = h.spans().find((s) => s.kind === SpanKind.INTERNAL)!;
    expect(parent.attributes).toStrictEqual({
      ...req('openai', 'gpt-4o'),
      [ATTR_RESILIENCE_RETRY_COUNT]: 0,
      [ATTR_RESILIENCE_FALLBACK_USED]: true,
      [ATTR_RESILIENCE_FALLBACK_CHAIN]: ['openai/gpt-4o'],
      [ATTR_RESILIENCE_FALLBACK_FROM_PROVIDER]: 'openai',
      [ATTR_RESILIENCE_FALLBACK_FROM_MODEL]: 'gpt-4o',
      [ATTR_RESILIENCE_CIRCUIT_BREAKER_STATE]: 'half_open',
      [ATTR_RESILIENCE_TIMEOUT]: true,
      [ATTR_LLM_CALL_OUTCOME]: 'success',
    });
    expect(attemptSpans()[0]!.attributes[ATTR_RESILIENCE_CIRCUIT_BREAKER_STATE]).toBe('half_open');
  });

  it('records the failure on the parent and re-throws the host error unchanged', async () => {
    const err = new OverloadedError('all down');
    const p = withLlmCall({ operation: 'chat', provider: 'openai', model: 'gpt-4o' }, () => providerCall('openai', 'gpt-4o', err), {
      ...h.opts,
      errorType: (e) => (e instanceof OverloadedError ? 'overloaded' : undefined),
    });
    await expect(p).rejects.toBe(err);
    const parent = h.spans().find((s) => s.kind === SpanKind.INTERNAL)!;
    expect(parent.attributes).toStrictEqual({
      ...req('openai', 'gpt-4o'),
      [ATTR_RESILIENCE_RETRY_COUNT]: 0,
      [ATTR_RESILIENCE_FALLBACK_USED]: false,
      [ATTR_RESILIENCE_FALLBACK_CHAIN]: ['openai/gpt-4o'],
      [ATTR_LLM_CALL_OUTCOME]: 'error',
      [ATTR_ERROR_TYPE]: 'overloaded',
    });
    expect(parent.status).toStrictEqual({ code: SpanStatusCode.ERROR, message: 'all down' });
    // A synchronous throw is re-thrown as it is too.
    expect(() =>
      withLlmCall({ operation: 'chat', provider: 'openai' }, () => {
        throw err;
      }, h.opts),
    ).toThrow(err);
  });
});

describe('fallbackChain', () => {
  it('tries each step in order inside one logical call, instrumented steps or not', async () => {
    const now = (): number => performance.timeOrigin + performance.now();
    const step: { start?: number; end?: number } = {};
    const result = await fallbackChain(
      [
        {
          provider: 'openai',
          model: 'gpt-4o',
          run: async (): Promise<{ text: string; tokens: number[] }> => {
            step.start = now();
            await sleep(1);
            step.end = now();
            throw new OverloadedError('openai overloaded');
          },
        },
        {
          provider: 'anthropic',
          model: 'claude-sonnet-4-5',
          run: async ({ previousError }) => {
            expect(previousError).toBeInstanceOf(OverloadedError);
            const text = await providerCall('anthropic', 'claude-sonnet-4-5', new OverloadedError('anthropic overloaded'));
            return { text, tokens: [10, 2] };
          },
        },
        {
          provider: 'self-hosted',
          model: 'house-model-7',
          run: async ({ index }) => ({ text: `served by step ${index}`, tokens: [7, 3] }),
          extract: (r) => ({ usage: { inputTokens: r.tokens[0], outputTokens: r.tokens[1] } }),
        },
      ],
      { ...h.opts, request: { taskType: 'summarize' } },
    );
    expect(result.text).toBe('served by step 2');

    const spans = h.spans();
    expect(spans).toHaveLength(4);
    const parent = spans.find((s) => s.kind === SpanKind.INTERNAL)!;
    expect(parent.attributes).toStrictEqual({
      ...req('openai', 'gpt-4o'),
      [ATTR_LLM_TASK_TYPE]: 'summarize',
      [ATTR_RESILIENCE_RETRY_COUNT]: 2,
      [ATTR_RESILIENCE_FALLBACK_USED]: true,
      [ATTR_RESILIENCE_FALLBACK_CHAIN]: ['openai/gpt-4o', 'anthropic/claude-sonnet-4-5', 'self-hosted/house-model-7'],
      [ATTR_RESILIENCE_FALLBACK_FROM_PROVIDER]: 'openai',
      [ATTR_RESILIENCE_FALLBACK_FROM_MODEL]: 'gpt-4o',
      [ATTR_GEN_AI_RESPONSE_MODEL]: 'house-model-7',
      [ATTR_LLM_CALL_OUTCOME]: 'success',
    });
    const attempts = attemptSpans();
    expect(attempts.map((s) => [s.name, s.attributes[ATTR_RESILIENCE_ATTEMPT], s.attributes[ATTR_ERROR_TYPE] ?? null])).toStrictEqual([
      ['chat gpt-4o', 1, 'OverloadedError'],
      ['chat claude-sonnet-4-5', 2, 'OverloadedError'],
      ['chat house-model-7', 3, null],
    ]);
    for (const a of attempts) expect(parentId(a)).toBe(parent.spanContext().spanId);
    // The step with no instrumented call is recorded as its own attempt, covering the step.
    const ms = ([sec, nanos]: [number, number]): number => sec * 1e3 + nanos / 1e6;
    expect(ms(attempts[0]!.startTime)).toBeLessThanOrEqual(step.start! + 0.001);
    expect(ms(attempts[0]!.endTime)).toBeGreaterThanOrEqual(step.end! - 0.001);
    expect(attempts[2]!.attributes).toStrictEqual({
      ...req('self-hosted', 'house-model-7'),
      [ATTR_RESILIENCE_ATTEMPT]: 3,
      [ATTR_GEN_AI_USAGE_INPUT_TOKENS]: 7,
      [ATTR_GEN_AI_USAGE_OUTPUT_TOKENS]: 3,
      [ATTR_LLM_COST_UNKNOWN]: true,
    });
    expect(await h.points(METRIC_LLM_RETRIES)).toStrictEqual([{ attributes: req('openai', 'gpt-4o'), value: 2 }]);
    expect(await h.points(METRIC_LLM_FALLBACKS)).toStrictEqual([{ attributes: req('openai', 'gpt-4o'), value: 1 }]);
  });

  it('rejects with the last error when every step fails, and stops early when shouldFallback says so', async () => {
    const last = new OverloadedError('last');
    await expect(
      fallbackChain(
        [
          { provider: 'a', model: 'm1', run: () => Promise.reject(new Error('first')) },
          { provider: 'b', model: 'm2', run: () => Promise.reject(last) },
        ],
        h.opts,
      ),
    ).rejects.toBe(last);
    const parent = h.spans().find((s) => s.kind === SpanKind.INTERNAL)!;
    expect(parent.attributes[ATTR_LLM_CALL_OUTCOME]).toBe('error');
    expect(parent.attributes[ATTR_ERROR_TYPE]).toBe('OverloadedError');
    expect(parent.attributes[ATTR_RESILIENCE_RETRY_COUNT]).toBe(1);

    const fatal = new TypeError('bad request');
    let secondRan = false;
    await expect(
      fallbackChain(
        [
          { provider: 'a', model: 'm1', run: () => Promise.reject(fatal) },
          { provider: 'b', model: 'm2', run: () => ((secondRan = true), 'x') },
        ],
        { ...h.opts, shouldFallback: (e) => !(e instanceof TypeError) },
      ),
    ).rejects.toBe(fatal);
    expect(secondRan).toBe(false);
    await expect(fallbackChain([], h.opts)).rejects.toThrow(TypeError);
    expect(drops()).toStrictEqual({});
  });
});
