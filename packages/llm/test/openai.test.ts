// The OpenAI client wrapper against the fake provider, non-streaming paths: exact span attributes,
// the GenAI and Driftwatch metrics, and SDK return types (`APIPromise` helpers, `parse`).
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import OpenAI from 'openai';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  ATTR_GEN_AI_EMBEDDINGS_DIMENSION_COUNT,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_OUTPUT_TYPE,
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_REQUEST_ENCODING_FORMATS,
  ATTR_GEN_AI_REQUEST_FREQUENCY_PENALTY,
  ATTR_GEN_AI_REQUEST_MAX_TOKENS,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_GEN_AI_REQUEST_PRESENCE_PENALTY,
  ATTR_GEN_AI_REQUEST_SEED,
  ATTR_GEN_AI_REQUEST_STOP_SEQUENCES,
  ATTR_GEN_AI_REQUEST_TEMPERATURE,
  ATTR_GEN_AI_REQUEST_TOP_P,
  ATTR_GEN_AI_RESPONSE_FINISH_REASONS,
  ATTR_GEN_AI_RESPONSE_ID,
  ATTR_GEN_AI_RESPONSE_MODEL,
  ATTR_GEN_AI_TOKEN_TYPE,
  ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_OUTPUT_TOKENS,
  ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS,
  ATTR_LLM_CALL_OUTCOME,
  ATTR_LLM_COST_COMPLETION,
  ATTR_LLM_COST_PROMPT,
  ATTR_LLM_COST_PROMPT_CACHE_READ,
  ATTR_LLM_COST_SOURCE,
  ATTR_LLM_COST_TOTAL,
  ATTR_LLM_RATE_LIMIT_TYPE,
  ATTR_RESILIENCE_RETRY_COUNT,
  GEN_AI_OUTPUT_TYPE_VALUE_JSON,
  METRIC_GEN_AI_CLIENT_OPERATION_DURATION,
  METRIC_GEN_AI_CLIENT_TOKEN_USAGE,
  METRIC_LLM_CALLS,
  METRIC_LLM_RATE_LIMIT_LIMIT,
  METRIC_LLM_RATE_LIMIT_REMAINING,
} from '@driftwatch/semconv';
import { instrumentOpenAI } from '@driftwatch/llm';
import { OPENAI_LIMITS } from '../../../test/support/fake-llm-server';
import { useFakeProvider } from './provider-harness';

const { server, h, serverAttrs, openai } = useFakeProvider();
let client: OpenAI;
beforeEach(() => {
  client = openai(OpenAI);
});

const messages = [{ role: 'user' as const, content: 'Say hello to the world' }];

describe('instrumentOpenAI: chat completions', () => {
  it('records one CLIENT span with the exact request and response attributes', async () => {
    server.enqueue({ model: 'gpt-4o-mini-2024-07-18', cachedInputTokens: 2 });
    const completion = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages,
      max_tokens: 50,
      temperature: 0.2,
      top_p: 0.9,
      frequency_penalty: 0.1,
      presence_penalty: 0.3,
      stop: ['END'],
      seed: 7,
    });
    expect(completion.choices[0]?.message.content).toBe('Hello from the fake provider.');
    expect(completion._request_id).toBe('req_fake1');

    const span = h.span('chat gpt-4o-mini');
    expect(span.kind).toBe(SpanKind.CLIENT);
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    expect(span.attributes).toStrictEqual({
      [ATTR_GEN_AI_OPERATION_NAME]: 'chat',
      [ATTR_GEN_AI_PROVIDER_NAME]: 'openai',
      [ATTR_GEN_AI_REQUEST_MODEL]: 'gpt-4o-mini',
      ...serverAttrs(),
      [ATTR_GEN_AI_REQUEST_MAX_TOKENS]: 50,
      [ATTR_GEN_AI_REQUEST_TEMPERATURE]: 0.2,
      [ATTR_GEN_AI_REQUEST_TOP_P]: 0.9,
      [ATTR_GEN_AI_REQUEST_FREQUENCY_PENALTY]: 0.1,
      [ATTR_GEN_AI_REQUEST_PRESENCE_PENALTY]: 0.3,
      [ATTR_GEN_AI_REQUEST_STOP_SEQUENCES]: ['END'],
      [ATTR_GEN_AI_REQUEST_SEED]: 7,
      [ATTR_RESILIENCE_RETRY_COUNT]: 0,
      [ATTR_GEN_AI_RESPONSE_ID]: 'chatcmpl-fake1',
      [ATTR_GEN_AI_RESPONSE_MODEL]: 'gpt-4o-mini-2024-07-18',
      [ATTR_GEN_AI_RESPONSE_FINISH_REASONS]: ['stop'],
      [ATTR_GEN_AI_USAGE_INPUT_TOKENS]: 5,
      [ATTR_GEN_AI_USAGE_OUTPUT_TOKENS]: 5,
      [ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS]: 2,
      [ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS]: 0,
    });
  });

  it('records duration, token usage, call outcome and rate-limit headroom', async () => {
    server.enqueue({ model: 'gpt-4o-mini-2024-07-18', content: 'one two three', reasoningTokens: 4 });
    await client.chat.completions.create({ model: 'gpt-4o-mini', messages });

    const common = {
      [ATTR_GEN_AI_OPERATION_NAME]: 'chat',
      [ATTR_GEN_AI_PROVIDER_NAME]: 'openai',
      [ATTR_GEN_AI_REQUEST_MODEL]: 'gpt-4o-mini',
      [ATTR_GEN_AI_RESPONSE_MODEL]: 'gpt-4o-mini-2024-07-18',
      ...serverAttrs(),
    };
    const duration = await h.metric(METRIC_GEN_AI_CLIENT_OPERATION_DURATION);
    expect(duration?.dataPoints.map((p) => p.attributes)).toStrictEqual([common]);
    expect((duration?.dataPoints[0]?.value as { count: number }).count).toBe(1);

    const tokens = await h.points(METRIC_GEN_AI_CLIENT_TOKEN_USAGE);
    expect(tokens.map((p) => [p.attributes, (p.value as { sum: number }).sum])).toStrictEqual([
      [{ ...common, [ATTR_GEN_AI_TOKEN_TYPE]: 'input' }, 5],
      [{ ...common, [ATTR_GEN_AI_TOKEN_TYPE]: 'output' }, 7],
    ]);
    expect(await h.points(METRIC_LLM_CALLS)).toStrictEqual([{ attributes: { ...common, [ATTR_LLM_CALL_OUTCOME]: 'success' }, value: 1 }]);

    const limitAttrs = (type: string) => ({
      [ATTR_GEN_AI_PROVIDER_NAME]: 'openai',
      [ATTR_LLM_RATE_LIMIT_TYPE]: type,
      [ATTR_GEN_AI_REQUEST_MODEL]: 'gpt-4o-mini',
    });
    expect(await h.points(METRIC_LLM_RATE_LIMIT_REMAINING)).toStrictEqual([
      { attributes: limitAttrs('requests'), value: OPENAI_LIMITS.requests - 1 },
      { attributes: limitAttrs('tokens'), value: OPENAI_LIMITS.tokens - 12 },
    ]);
    expect(await h.points(METRIC_LLM_RATE_LIMIT_LIMIT)).toStrictEqual([
      { attributes: limitAttrs('requests'), value: OPENAI_LIMITS.requests },
      { attributes: limitAttrs('tokens'), value: OPENAI_LIMITS.tokens },
    ]);
  });

  it('keeps .withResponse() and .asResponse() working, and .asResponse() leaves the body to the caller', async () => {
    const { data, response, request_id } = await client.chat.completions.create({ model: 'gpt-4o-mini', messages }).withResponse();
    expect(data.id).toBe('chatcmpl-fake1');
    expect(response.status).toBe(200);
    expect(request_id).toBe('req_fake1');

    const raw = await client.chat.completions.create({ model: 'gpt-4o-mini', messages }).asResponse();
    await new Promise((resolve) => setImmediate(resolve));
    expect(h.spans()).toHaveLength(2);
    const body = (await raw.json()) as { id: string };
    expect(body.id).toBe('chatcmpl-fake2');
    const [withResponse, rawSpan] = h.spans();
    expect(withResponse?.attributes[ATTR_GEN_AI_RESPONSE_ID]).toBe('chatcmpl-fake1');
    expect(rawSpan?.attributes).toStrictEqual({
      [ATTR_GEN_AI_OPERATION_NAME]: 'chat',
      [ATTR_GEN_AI_PROVIDER_NAME]: 'openai',
      [ATTR_GEN_AI_REQUEST_MODEL]: 'gpt-4o-mini',
      ...serverAttrs(),
      [ATTR_RESILIENCE_RETRY_COUNT]: 0,
    });
  });

  it('keeps chat.completions.parse() working with a JSON response and records the JSON output type', async () => {
    server.enqueue({ content: '{"city":"Paris","population":2100000}' });
    const schema = {
      type: 'object',
      properties: { city: { type: 'string' }, population: { type: 'number' } },
      required: ['city', 'population'],
      additionalProperties: false,
    };
    const parsed = await client.chat.completions.parse({
      model: 'gpt-4o-mini',
      messages,
      response_format: { type: 'json_schema', json_schema: { name: 'city', schema, strict: true } },
    });
    expect(parsed.choices[0]?.message.parsed).toStrictEqual({ city: 'Paris', population: 2100000 });
    const span = h.span('chat gpt-4o-mini');
    expect(span.attributes[ATTR_GEN_AI_OUTPUT_TYPE]).toBe(GEN_AI_OUTPUT_TYPE_VALUE_JSON);
    expect(span.attributes[ATTR_GEN_AI_USAGE_OUTPUT_TOKENS]).toBe(1);
    expect(h.spans()).toHaveLength(1);
  });

  it('is idempotent: instrumenting twice still gives one span per call', async () => {
    expect(instrumentOpenAI(client, { tracerProvider: h.tracerProvider })).toBe(client);
    await client.chat.completions.create({ model: 'gpt-4o-mini', messages });
    expect(h.spans()).toHaveLength(1);
  });

  it('instruments clients derived with withOptions(), once', async () => {
    const derived = client.withOptions({ timeout: 5_000 });
    await derived.chat.completions.create({ model: 'gpt-4o-mini', messages });
    await derived.withOptions({ maxRetries: 1 }).embeddings.create({ model: 'text-embedding-3-small', input: 'x' });
    expect(h.spans().map((s) => [s.name, s.attributes[ATTR_RESILIENCE_RETRY_COUNT]])).toStrictEqual([
      ['chat gpt-4o-mini', 0],
      ['embeddings text-embedding-3-small', 0],
    ]);
    const remaining = await h.points(METRIC_LLM_RATE_LIMIT_REMAINING);
    expect(remaining.map((p) => p.value)).toStrictEqual([
      OPENAI_LIMITS.requests - 1,
      OPENAI_LIMITS.tokens - 10,
      OPENAI_LIMITS.requests - 2,
      OPENAI_LIMITS.tokens - 11,
    ]);
  });

  it('adds cost attributes from price overrides', async () => {
    const priced = openai(OpenAI, 0, {
      ...h.opts,
      prices: { 'gpt-4o-mini': { inputPerMTok: 1, outputPerMTok: 2, cacheReadPerMTok: 0.5 } },
    });
    server.enqueue({ cachedInputTokens: 1 });
    await priced.chat.completions.create({ model: 'gpt-4o-mini', messages });
    const a = h.span('chat gpt-4o-mini').attributes;
    expect(a[ATTR_LLM_COST_SOURCE]).toBe('override');
    expect(a[ATTR_LLM_COST_PROMPT]).toBeCloseTo((4 * 1 + 1 * 0.5) / 1e6, 12);
    expect(a[ATTR_LLM_COST_PROMPT_CACHE_READ]).toBeCloseTo(0.5 / 1e6, 12);
    expect(a[ATTR_LLM_COST_COMPLETION]).toBeCloseTo(10 / 1e6, 12);
    expect(a[ATTR_LLM_COST_TOTAL]).toBeCloseTo(14.5 / 1e6, 12);
  });
});

describe('instrumentOpenAI: responses and embeddings', () => {
  it('records a responses.create call', async () => {
    const response = await client.responses.create({
      model: 'gpt-4.1-mini',
      input: 'Write one short line',
      instructions: 'Be brief',
      max_output_tokens: 3,
      temperature: 0.5,
    });
    expect(response.output_text).toBe('Hello from the');
    expect(h.span('chat gpt-4.1-mini').attributes).toStrictEqual({
      [ATTR_GEN_AI_OPERATION_NAME]: 'chat',
      [ATTR_GEN_AI_PROVIDER_NAME]: 'openai',
      [ATTR_GEN_AI_REQUEST_MODEL]: 'gpt-4.1-mini',
      ...serverAttrs(),
      [ATTR_GEN_AI_REQUEST_MAX_TOKENS]: 3,
      [ATTR_GEN_AI_REQUEST_TEMPERATURE]: 0.5,
      [ATTR_RESILIENCE_RETRY_COUNT]: 0,
      [ATTR_GEN_AI_RESPONSE_ID]: 'resp_fake1',
      [ATTR_GEN_AI_RESPONSE_MODEL]: 'gpt-4.1-mini',
      [ATTR_GEN_AI_RESPONSE_FINISH_REASONS]: ['max_output_tokens'],
      [ATTR_GEN_AI_USAGE_INPUT_TOKENS]: 6,
      [ATTR_GEN_AI_USAGE_OUTPUT_TOKENS]: 3,
      [ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS]: 0,
      [ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS]: 0,
    });
  });

  it('records embeddings with the returned vector length, decoded from the SDK default base64', async () => {
    const result = await client.embeddings.create({ model: 'text-embedding-3-small', input: ['alpha beta', 'gamma'], dimensions: 16 });
    expect(result.data[0]?.embedding).toHaveLength(16);
    expect(server.requests[0]?.body.encoding_format).toBe('base64');
    const expected = {
      [ATTR_GEN_AI_OPERATION_NAME]: 'embeddings',
      [ATTR_GEN_AI_PROVIDER_NAME]: 'openai',
      [ATTR_GEN_AI_REQUEST_MODEL]: 'text-embedding-3-small',
      ...serverAttrs(),
      [ATTR_RESILIENCE_RETRY_COUNT]: 0,
      [ATTR_GEN_AI_RESPONSE_MODEL]: 'text-embedding-3-small',
      [ATTR_GEN_AI_EMBEDDINGS_DIMENSION_COUNT]: 16,
      [ATTR_GEN_AI_USAGE_INPUT_TOKENS]: 3,
    };
    expect(h.span('embeddings text-embedding-3-small').attributes).toStrictEqual(expected);

    h.exporter.reset();
    await client.embeddings.create({ model: 'text-embedding-3-small', input: 'delta', encoding_format: 'float' });
    expect(h.span('embeddings text-embedding-3-small').attributes).toStrictEqual({
      ...expected,
      [ATTR_GEN_AI_REQUEST_ENCODING_FORMATS]: ['float'],
      [ATTR_GEN_AI_EMBEDDINGS_DIMENSION_COUNT]: 8,
      [ATTR_GEN_AI_USAGE_INPUT_TOKENS]: 1,
    });
  });
});
