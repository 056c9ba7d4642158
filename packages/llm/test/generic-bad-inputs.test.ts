// Bad inputs never throw into the application: each case asserts the exact drops counted and that
// the host's call proceeds.
import { SpanStatusCode } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import {
  ATTR_ERROR_MESSAGE,
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_LLM_CALL_OUTCOME,
  ATTR_LLM_FUNCTION_ARGUMENTS,
  ATTR_LLM_METADATA_PREFIX,
} from '@driftwatch/semconv';
import { recordLlmCall, traceLlmCall, withLlmCall, wrapFunction } from '@driftwatch/llm';
import type { LlmCallRecord } from '@driftwatch/llm';
import { drops, useHarness } from './generic-harness';

const h = useHarness();

const bad = <T>(v: unknown) => v as T;

describe('recordLlmCall with bad records', () => {
  it('drops NaN and negative token counts and numbers, keeping the rest', () => {
    expect(() =>
      recordLlmCall(
        {
          provider: 'openai',
          model: 'gpt-4o',
          latencyMs: Number.NaN,
          inputTokens: Number.NaN,
          outputTokens: -5,
          cacheReadInputTokens: bad<number>('12'),
          retryCount: -1,
          costUsd: Number.POSITIVE_INFINITY,
          timestamp: 'not a date',
          success: true,
        },
        h.opts,
      ),
    ).not.toThrow();
    expect(h.span('chat gpt-4o').attributes).toStrictEqual({
      [ATTR_GEN_AI_OPERATION_NAME]: 'chat',
      [ATTR_GEN_AI_PROVIDER_NAME]: 'openai',
      [ATTR_GEN_AI_REQUEST_MODEL]: 'gpt-4o',
      [ATTR_LLM_CALL_OUTCOME]: 'success',
    });
    expect(drops()).toStrictEqual({
      'invalid record field latencyMs dropped': 1,
      'invalid record field timestamp dropped': 1,
      'invalid record field costUsd dropped': 1,
      'invalid record field retryCount dropped': 1,
      'invalid input token count dropped': 1,
      'invalid output token count dropped': 1,
      'invalid cache-read token count dropped': 1,
    });
  });

  it('records a missing model without one and a non-string provider as _OTHER', () => {
    recordLlmCall(bad<LlmCallRecord>({ provider: 42, latencyMs: 5, success: true, inputTokens: 10, outputTokens: 1 }), h.opts);
    expect(h.span('chat').attributes).toStrictEqual({
      [ATTR_GEN_AI_OPERATION_NAME]: 'chat',
      [ATTR_GEN_AI_PROVIDER_NAME]: '_OTHER',
      [ATTR_LLM_CALL_OUTCOME]: 'success',
      'gen_ai.usage.input_tokens': 10,
      'gen_ai.usage.output_tokens': 1,
      'llm.cost.unknown': true,
    });
    expect(drops()).toStrictEqual({
      'invalid record field provider replaced by _OTHER': 1,
      'invalid record field model dropped': 1,
    });
  });

  it('bounds huge metadata: 100 keys and a 1 MB string', () => {
    const metadata: Record<string, unknown> = { huge: 'm'.repeat(1_000_000) };
    for (let i = 0; i < 99; i++) metadata[`k${i}`] = i;
    recordLlmCall({ provider: 'openai', model: 'gpt-4o', latencyMs: 1, success: true, metadata }, h.opts);
    const attrs = h.span('chat gpt-4o').attributes;
    const meta = Object.keys(attrs).filter((k) => k.startsWith(ATTR_LLM_METADATA_PREFIX));
    expect(meta).toHaveLength(32);
    expect((attrs[`${ATTR_LLM_METADATA_PREFIX}huge`] as string).length).toBeLessThanOrEqual(1024);
    expect(drops()).toStrictEqual({ 'metadata keys beyond the limit dropped': 1 });
  });

  it('records cyclic metadata as bounded JSON with [Circular] markers', () => {
    const cyclic: Record<string, unknown> = { id: 'x' };
    cyclic.me = cyclic;
    recordLlmCall({ provider: 'openai', model: 'gpt-4o', latencyMs: 1, success: true, metadata: { cyclic } }, h.opts);
    expect(h.span('chat gpt-4o').attributes[`${ATTR_LLM_METADATA_PREFIX}cyclic`]).toBe('{"id":"x","me":"[Circular]"}');
    expect(drops()).toStrictEqual({});
  });

  it('drops a non-object record, a non-object metadata and wrongly typed fields', () => {
    expect(() => recordLlmCall(bad<LlmCallRecord>(null), h.opts)).not.toThrow();
    expect(() => recordLlmCall(bad<LlmCallRecord>('record'), h.opts)).not.toThrow();
    recordLlmCall(
      bad<LlmCallRecord>({
        provider: 'openai',
        model: 'gpt-4o',
        latencyMs: 3,
        success: 'yes',
        metadata: ['a'],
        fallbackChain: 'a,b',
        circuitBreakerState: 'melted',
        tier: 7,
      }),
      h.opts,
    );
    expect(h.spans()).toHaveLength(1);
    expect(h.span('chat gpt-4o').attributes[ATTR_LLM_CALL_OUTCOME]).toBe('success');
    expect(drops()).toStrictEqual({
      'invalid call record dropped': 2,
      'invalid record field metadata dropped': 1,
      'invalid record field tier dropped': 1,
      'invalid record field success dropped': 1,
      'invalid record field fallbackChain dropped': 1,
      'invalid record field circuitBreakerState dropped': 1,
    });
  });

  it('a metadata getter that throws loses the request attributes set after it, not the call', () => {
    const metadata = {
      ok: 1,
      get boom(): never {
        throw new Error('getter');
      },
    };
    recordLlmCall({ provider: 'openai', model: 'gpt-4o', latencyMs: 1, success: true, metadata }, h.opts);
    expect(h.spans()).toHaveLength(1);
    expect(drops()).toStrictEqual({ 'request attributes could not be set': 1 });
  });
});

describe('throwing user hooks', () => {
  const throwingRedactor = (): string => {
    throw new Error('redactor bug');
  };

  it('a redactor that throws drops the value (never recorded unredacted) and the call proceeds', async () => {
    const err = new Error('leaked bob@example.com');
    const p = traceLlmCall({ operation: 'chat', provider: 'openai', model: 'gpt-4o' }, async () => {
      throw err;
    }, { ...h.opts, redact: throwingRedactor });
    await expect(p).rejects.toBe(err);
    const span = h.span('chat gpt-4o');
    expect(span.attributes[ATTR_ERROR_TYPE]).toBe('_OTHER');
    expect(span.attributes[ATTR_ERROR_MESSAGE]).toBeUndefined();
    expect(span.status).toStrictEqual({ code: SpanStatusCode.ERROR });

    // Captured function arguments likewise.
    const fn = wrapFunction((_email: string) => 'done', { ...h.opts, functionName: 'send', captureArguments: true, redact: throwingRedactor });
    expect(fn('bob@example.com')).toBe('done');
    expect(h.span('execute_tool send').attributes[ATTR_LLM_FUNCTION_ARGUMENTS]).toBeUndefined();
    // Nowhere: not in attributes, not in the exception event (message and stack are redacted too).
    expect(span.events.map((e) => e.attributes)).toStrictEqual([{ 'exception.type': 'Error' }]);
    expect(JSON.stringify(h.spans().map((s) => [s.attributes, s.events]))).not.toContain('bob@example.com');
    // Error message, stack trace and arguments: three values dropped.
    expect(drops()).toStrictEqual({ 'redactor threw; value dropped': 3 });
  });

  it('extract, errorType and shouldFallback hooks that throw are counted; results and errors reach the caller', async () => {
    const boom = () => {
      throw new Error('hook bug');
    };
    expect(
      await traceLlmCall({ operation: 'chat', provider: 'openai', model: 'gpt-4o' }, async () => 'result', { ...h.opts, extract: boom }),
    ).toBe('result');
    const err = new RangeError('host');
    await expect(withLlmCall({ operation: 'chat', provider: 'openai' }, async () => Promise.reject(err), { ...h.opts, errorType: boom })).rejects.toBe(err);
    expect(h.spans().find((s) => s.attributes[ATTR_LLM_CALL_OUTCOME] === 'error')!.attributes[ATTR_ERROR_TYPE]).toBe('RangeError');
    expect(drops()).toStrictEqual({ 'response details could not be extracted': 1, 'errorType hook threw': 1 });
  });
});

describe('bad requests and options', () => {
  it('an invalid request is repaired and counted; fn still runs', () => {
    const out = traceLlmCall(bad({ operation: 5, provider: undefined, model: { name: 'x' }, metadata: 'm' }), () => 'ran', h.opts);
    expect(out).toBe('ran');
    expect(h.span('chat').attributes).toStrictEqual({
      [ATTR_GEN_AI_OPERATION_NAME]: 'chat',
      [ATTR_GEN_AI_PROVIDER_NAME]: '_OTHER',
    });
    expect(drops()).toStrictEqual({
      'invalid provider replaced by _OTHER': 1,
      'invalid operation replaced by chat': 1,
      'invalid model dropped': 1,
      'invalid metadata dropped': 1,
    });
  });

  it('invalid price overrides given per call are ignored (counted), the call is recorded', () => {
    const out = traceLlmCall({ operation: 'chat', provider: 'openai', model: 'gpt-4o' }, (call) => {
      call.setResponse({ usage: { inputTokens: 1000, outputTokens: 500 } });
      return 1;
    }, { ...h.opts, prices: { 'gpt-4o': { inputPerMTok: -1, outputPerMTok: 1 } } });
    expect(out).toBe(1);
    expect(h.span('chat gpt-4o').attributes['llm.cost.source']).toBe('catalogue');
    expect(drops()).toStrictEqual({ 'invalid instrumentation options ignored': 1 });
  });

  it('providers that throw do not reach the host', () => {
    const brokenTracer = { getTracer: () => { throw new Error('tracer provider bug'); } };
    const out = traceLlmCall({ operation: 'chat', provider: 'openai' }, () => 'still works', {
      tracerProvider: brokenTracer,
      meterProvider: h.meterProvider,
    });
    expect(out).toBe('still works');
    expect(h.spans()).toHaveLength(0);
    expect(drops()).toStrictEqual({ 'telemetry could not be created; the call is not recorded': 1 });
  });

  it('wrapFunction of a non-function returns it as it is', () => {
    expect(wrapFunction(bad<() => void>(42), h.opts)).toBe(42);
    expect(drops()).toStrictEqual({ 'wrapFunction called with a non-function; returned as it is': 1 });
  });
});
