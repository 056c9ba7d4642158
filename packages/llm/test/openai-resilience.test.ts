// SDK-internal retries, provider errors, and telemetry failures that must never reach the caller.
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { Meter, MeterProvider, Tracer, TracerProvider } from '@opentelemetry/api';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import {
  ATTR_ERROR_MESSAGE,
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_INPUT_MESSAGES,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_OUTPUT_MESSAGES,
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_GEN_AI_RESPONSE_ID,
  ATTR_GEN_AI_USAGE_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_OUTPUT_TOKENS,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_LLM_CALL_OUTCOME,
  ATTR_LLM_RATE_LIMIT_TYPE,
  ATTR_RESILIENCE_ATTEMPT,
  ATTR_RESILIENCE_RETRY_AFTER,
  ATTR_RESILIENCE_RETRY_COUNT,
  ATTR_RESILIENCE_RETRY_DELAY,
  EVENT_RESILIENCE_RETRY,
  METRIC_GEN_AI_CLIENT_OPERATION_DURATION,
  METRIC_LLM_CALLS,
  METRIC_LLM_RATE_LIMIT_REMAINING,
  METRIC_LLM_RETRIES,
} from '@driftwatch/semconv';
import { withLlmCall } from '@driftwatch/llm';
import type { LlmInstrumentationOptions } from '@driftwatch/llm';
import { OPENAI_LIMITS } from '../../../test/support/fake-llm-server';
import { drops, parentId } from './generic-harness';
import { useFakeProvider } from './provider-harness';

const { server, h, serverAttrs, openai: openaiClient } = useFakeProvider();

function openai(maxRetries: number, options: LlmInstrumentationOptions = {}): OpenAI {
  return openaiClient(OpenAI, maxRetries, { ...h.opts, cost: false, ...options });
}

const body = { model: 'gpt-4o-mini', messages: [{ role: 'user' as const, content: 'Hello there' }] };
const metricBase = {
  [ATTR_GEN_AI_OPERATION_NAME]: 'chat',
  [ATTR_GEN_AI_PROVIDER_NAME]: 'openai',
  [ATTR_GEN_AI_REQUEST_MODEL]: 'gpt-4o-mini',
};

describe('SDK-internal retries', () => {
  it('counts a 429 with retry-after that the SDK retries: one span, retry count 1, one event', async () => {
    server.enqueue({ status: 429, headers: { 'retry-after': '0' } });
    const completion = await openai(2).chat.completions.create(body);
    expect(completion.id).toBe('chatcmpl-fake2');
    expect(server.requests.map((r) => r.headers['x-stainless-retry-count'])).toStrictEqual(['0', '1']);

    expect(h.spans()).toHaveLength(1);
    const span = h.span('chat gpt-4o-mini');
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    expect(span.attributes[ATTR_RESILIENCE_RETRY_COUNT]).toBe(1);
    expect(span.attributes[ATTR_GEN_AI_RESPONSE_ID]).toBe('chatcmpl-fake2');
    expect(span.events.map((e) => [e.name, e.attributes])).toStrictEqual([
      [
        EVENT_RESILIENCE_RETRY,
        {
          [ATTR_RESILIENCE_ATTEMPT]: 2,
          [ATTR_HTTP_RESPONSE_STATUS_CODE]: 429,
          [ATTR_RESILIENCE_RETRY_AFTER]: 0,
          [ATTR_RESILIENCE_RETRY_DELAY]: expect.any(Number),
        },
      ],
    ]);
    expect(await h.points(METRIC_LLM_RETRIES)).toStrictEqual([{ attributes: metricBase, value: 1 }]);
    const remaining = await h.points(METRIC_LLM_RATE_LIMIT_REMAINING);
    expect(remaining.find((p) => p.attributes[ATTR_LLM_RATE_LIMIT_TYPE] === 'requests')?.value).toBe(OPENAI_LIMITS.requests - 2);
  });

  it('records a 500 that exhausts the retries as an error span with error.type', async () => {
    const failure = { status: 500, headers: { 'retry-after-ms': '1' }, errorMessage: 'upstream failed for ops@example.com' };
    server.enqueue(failure, failure, failure);
    const err = await openai(2)
      .chat.completions.create(body)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.InternalServerError);
    expect(server.requests).toHaveLength(3);

    const span = h.span('chat gpt-4o-mini');
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes).toStrictEqual({
      ...metricBase,
      ...serverAttrs(),
      [ATTR_RESILIENCE_RETRY_COUNT]: 2,
      [ATTR_ERROR_TYPE]: 'InternalServerError',
      [ATTR_ERROR_MESSAGE]: '500 upstream failed for [REDACTED:email]',
    });
    expect(span.events.filter((e) => e.name === EVENT_RESILIENCE_RETRY).map((e) => e.attributes?.[ATTR_HTTP_RESPONSE_STATUS_CODE])).toStrictEqual([
      500, 500,
    ]);
    expect(span.events.filter((e) => e.name === EVENT_RESILIENCE_RETRY).map((e) => e.attributes?.[ATTR_RESILIENCE_RETRY_AFTER])).toStrictEqual([
      0.001, 0.001,
    ]);
    const errorAttrs = { ...metricBase, ...serverAttrs(), [ATTR_ERROR_TYPE]: 'InternalServerError' };
    expect((await h.metric(METRIC_GEN_AI_CLIENT_OPERATION_DURATION))?.dataPoints.map((p) => p.attributes)).toStrictEqual([errorAttrs]);
    expect(await h.points(METRIC_LLM_CALLS)).toStrictEqual([{ attributes: { ...errorAttrs, [ATTR_LLM_CALL_OUTCOME]: 'error' }, value: 1 }]);
  });

  it('counts a dropped connection as a retried attempt with the failure type', async () => {
    server.enqueue({ dropConnection: true });
    await openai(1).chat.completions.create(body);
    const span = h.span('chat gpt-4o-mini');
    expect(span.attributes[ATTR_RESILIENCE_RETRY_COUNT]).toBe(1);
    expect(span.events.map((e) => e.attributes)).toStrictEqual([
      { [ATTR_RESILIENCE_ATTEMPT]: 2, [ATTR_ERROR_TYPE]: 'TypeError', [ATTR_RESILIENCE_RETRY_DELAY]: expect.any(Number) },
    ]);
  });

  it('keeps the attempts of concurrent calls apart', async () => {
    server.enqueue({ status: 429, headers: { 'retry-after-ms': '1' }, delayMs: 20 });
    const client = openai(2);
    const ids = await Promise.all(Array.from({ length: 5 }, () => client.chat.completions.create(body).then((c) => c.id)));
    expect(new Set(ids).size).toBe(5);
    const spans = h.spans();
    expect(spans).toHaveLength(5);
    expect(spans.map((s) => s.attributes[ATTR_RESILIENCE_RETRY_COUNT]).sort()).toStrictEqual([0, 0, 0, 0, 1]);
    expect(spans.flatMap((s) => s.events.filter((e) => e.name === EVENT_RESILIENCE_RETRY))).toHaveLength(1);
  });

  it('does not retry a 400 and records BadRequestError', async () => {
    server.enqueue({ status: 400 });
    await expect(openai(2).chat.completions.create(body)).rejects.toBeInstanceOf(OpenAI.BadRequestError);
    const span = h.span('chat gpt-4o-mini');
    expect(span.attributes[ATTR_RESILIENCE_RETRY_COUNT]).toBe(0);
    expect(span.attributes[ATTR_ERROR_TYPE]).toBe('BadRequestError');
    expect(span.events.filter((e) => e.name === EVENT_RESILIENCE_RETRY)).toStrictEqual([]);
  });

  it('leaves an unused client fetch alone: calls outside instrumented methods pass through', async () => {
    const client = openai(0);
    const models = await client.get('/chat/completions').catch((e: unknown) => e);
    expect(models).toBeInstanceOf(OpenAI.NotFoundError);
    expect(h.spans()).toStrictEqual([]);
  });
});

describe('inside a logical call', () => {
  it('makes each SDK call one attempt span under the logical call', async () => {
    server.enqueue({ status: 500 });
    const client = openai(0);
    const id = await withLlmCall(
      { operation: 'chat', provider: 'openai', model: 'gpt-4o-mini' },
      async () => {
        try {
          return (await client.chat.completions.create(body)).id;
        } catch {
          return (await client.chat.completions.create(body)).id;
        }
      },
      { ...h.opts, cost: false },
    );
    expect(id).toBe('chatcmpl-fake2');
    const [first, second, parent] = h.spans();
    expect(parent?.kind).toBe(SpanKind.INTERNAL);
    expect(parent?.attributes[ATTR_RESILIENCE_RETRY_COUNT]).toBe(1);
    expect([first, second].map((s) => parentId(s!))).toStrictEqual([parent?.spanContext().spanId, parent?.spanContext().spanId]);
    expect([first, second].map((s) => s?.attributes[ATTR_RESILIENCE_ATTEMPT])).toStrictEqual([1, 2]);
    expect([first, second].map((s) => s?.attributes[ATTR_ERROR_TYPE])).toStrictEqual(['InternalServerError', undefined]);
  });
});

describe('telemetry never breaks the host', () => {
  it('keeps working when the tracer provider throws on startSpan', async () => {
    const throwing: Tracer = {
      startSpan: () => {
        throw new Error('tracer is broken');
      },
      startActiveSpan: () => {
        throw new Error('tracer is broken');
      },
    };
    const tracerProvider: TracerProvider = { getTracer: () => throwing };
    const client = openai(0, { tracerProvider });
    const completion = await client.chat.completions.create(body);
    expect(completion.choices[0]?.message.content).toBe('Hello from the fake provider.');
    const stream = await client.chat.completions.create({ ...body, stream: true });
    let n = 0;
    for await (const _ of stream) n++;
    expect(n).toBe(8);
    expect(drops()['span could not be started']).toBe(2);
  });

  it('keeps working when the meter provider throws on record', async () => {
    const broken = () => ({
      record: () => {
        throw new Error('meter is broken');
      },
      add: () => {
        throw new Error('meter is broken');
      },
    });
    const meter = { createHistogram: broken, createCounter: broken, createGauge: broken } as unknown as Meter;
    const meterProvider: MeterProvider = { getMeter: () => meter };
    const completion = await openai(0, { meterProvider }).chat.completions.create(body);
    expect(completion.id).toBe('chatcmpl-fake1');
    expect(h.spans()).toHaveLength(1);
    expect(drops()['call telemetry could not be recorded']).toBe(1);
  });

  it('drops and counts invalid usage from the provider', async () => {
    server.enqueue({ usageOverride: { prompt_tokens: 'many', completion_tokens: -3 } });
    const completion = await openai(0).chat.completions.create(body);
    expect(completion.usage?.prompt_tokens).toBe('many');
    const span = h.span('chat gpt-4o-mini');
    expect(span.attributes[ATTR_GEN_AI_USAGE_INPUT_TOKENS]).toBeUndefined();
    expect(span.attributes[ATTR_GEN_AI_USAGE_OUTPUT_TOKENS]).toBeUndefined();
    expect(drops()).toStrictEqual({
      'invalid input token count dropped': 1,
      'invalid output token count dropped': 1,
    });
  });

  it('drops captured content when the redactor throws, never the call', async () => {
    const client = openai(0, {
      captureMessageContent: true,
      redact: () => {
        throw new Error('redactor is broken');
      },
    });
    const completion = await client.chat.completions.create(body);
    expect(completion.id).toBe('chatcmpl-fake1');
    const attributes = h.span('chat gpt-4o-mini').attributes;
    expect(attributes[ATTR_GEN_AI_INPUT_MESSAGES]).toBeUndefined();
    expect(attributes[ATTR_GEN_AI_OUTPUT_MESSAGES]).toBeUndefined();
    expect(drops()['redactor threw; value dropped']).toBe(2);
  });
});
