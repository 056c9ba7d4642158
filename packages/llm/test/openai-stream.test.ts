// Streaming through the instrumented OpenAI client: usage, time to first chunk, and a span that
// ends exactly once however the caller leaves the stream (completion, error, break, abort, tee).
import { SpanStatusCode } from '@opentelemetry/api';
import OpenAI from 'openai';
import { Stream } from 'openai/streaming';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  ATTR_ERROR_TYPE,
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
  METRIC_GEN_AI_CLIENT_OPERATION_TIME_TO_FIRST_CHUNK,
} from '@driftwatch/semconv';
import { sleep } from './generic-harness';
import { useFakeProvider } from './provider-harness';

const { server, h, serverAttrs, openai } = useFakeProvider();
let client: OpenAI;
beforeEach(() => {
  client = openai(OpenAI);
});

const messages = [{ role: 'user' as const, content: 'Stream a greeting please' }];
const streamed = { model: 'gpt-4o-mini', messages, stream: true as const };

function requestAttrs(): Record<string, unknown> {
  return {
    [ATTR_GEN_AI_OPERATION_NAME]: 'chat',
    [ATTR_GEN_AI_PROVIDER_NAME]: 'openai',
    [ATTR_GEN_AI_REQUEST_MODEL]: 'gpt-4o-mini',
    ...serverAttrs(),
    [ATTR_GEN_AI_REQUEST_STREAM]: true,
    [ATTR_RESILIENCE_RETRY_COUNT]: 0,
  };
}

function completeAttrs(): Record<string, unknown> {
  return {
    ...requestAttrs(),
    [ATTR_GEN_AI_RESPONSE_ID]: 'chatcmpl-fake1',
    [ATTR_GEN_AI_RESPONSE_MODEL]: 'gpt-4o-mini',
    [ATTR_GEN_AI_RESPONSE_FINISH_REASONS]: ['stop'],
    [ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK]: expect.any(Number),
    [ATTR_GEN_AI_USAGE_INPUT_TOKENS]: 4,
    [ATTR_GEN_AI_USAGE_OUTPUT_TOKENS]: 5,
    [ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS]: 0,
    [ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS]: 0,
  };
}

describe('instrumentOpenAI: streamed chat completions', () => {
  it('requests usage, delivers the usage chunk unchanged, and records usage and time to first chunk', async () => {
    const stream = await client.chat.completions.create(streamed);
    expect(stream).toBeInstanceOf(Stream);
    expect(stream.controller).toBeInstanceOf(AbortController);
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(server.requests[0]?.body.stream_options).toStrictEqual({ include_usage: true });
    expect(chunks).toHaveLength(8);
    expect(chunks[7]?.choices).toStrictEqual([]);
    expect(chunks[7]?.usage?.prompt_tokens).toBe(4);
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe('Hello from the fake provider.');

    expect(h.spans()).toHaveLength(1);
    expect(h.span('chat gpt-4o-mini').attributes).toStrictEqual(completeAttrs());
    const ttfc = await h.metric(METRIC_GEN_AI_CLIENT_OPERATION_TIME_TO_FIRST_CHUNK);
    expect(ttfc?.dataPoints).toHaveLength(1);
    expect(ttfc?.dataPoints[0]?.attributes).toStrictEqual({
      [ATTR_GEN_AI_OPERATION_NAME]: 'chat',
      [ATTR_GEN_AI_PROVIDER_NAME]: 'openai',
      [ATTR_GEN_AI_REQUEST_MODEL]: 'gpt-4o-mini',
      [ATTR_GEN_AI_RESPONSE_MODEL]: 'gpt-4o-mini',
      ...serverAttrs(),
    });
  });

  it("respects the caller's stream_options, and requestStreamUsage: false", async () => {
    for await (const _ of await client.chat.completions.create({ ...streamed, stream_options: { include_usage: false } })) {
      // drain
    }
    expect(server.requests[0]?.body.stream_options).toStrictEqual({ include_usage: false });
    const plain = openai(OpenAI, 0, { tracerProvider: h.tracerProvider, requestStreamUsage: false, cost: false });
    const chunks = [];
    for await (const chunk of await plain.chat.completions.create(streamed)) chunks.push(chunk);
    expect(server.requests[1]?.body.stream_options).toBeUndefined();
    expect(chunks).toHaveLength(7);
    const [first, second] = h.spans();
    const noUsage = { ...completeAttrs() };
    delete noUsage[ATTR_GEN_AI_USAGE_INPUT_TOKENS];
    delete noUsage[ATTR_GEN_AI_USAGE_OUTPUT_TOKENS];
    delete noUsage[ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS];
    delete noUsage[ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS];
    expect(first?.attributes).toStrictEqual(noUsage);
    expect(second?.attributes).toStrictEqual({ ...noUsage, [ATTR_GEN_AI_RESPONSE_ID]: 'chatcmpl-fake2' });
  });

  it('ends the span with the error when the connection breaks mid-stream, exactly once', async () => {
    server.enqueue({ streamErrorAfterChunks: 2 });
    const stream = await client.chat.completions.create(streamed);
    const seen: unknown[] = [];
    const error = await (async () => {
      try {
        for await (const chunk of stream) seen.push(chunk);
      } catch (err) {
        return err;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(TypeError);
    expect(seen).toHaveLength(2);
    await sleep(20);
    expect(h.spans()).toHaveLength(1);
    const span = h.span('chat gpt-4o-mini');
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes[ATTR_ERROR_TYPE]).toBe('TypeError');
    expect(span.attributes[ATTR_GEN_AI_RESPONSE_ID]).toBe('chatcmpl-fake1');
    expect(span.attributes[ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK]).toEqual(expect.any(Number));
  });

  it('ends the span once when the caller breaks out early', async () => {
    server.enqueue({ chunkDelayMs: 5 });
    const stream = await client.chat.completions.create(streamed);
    let n = 0;
    for await (const _ of stream) {
      if (++n === 2) break;
    }
    expect(stream.controller.signal.aborted).toBe(true);
    await sleep(50);
    expect(h.spans()).toHaveLength(1);
    const span = h.span('chat gpt-4o-mini');
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    expect(span.attributes).toStrictEqual({
      ...requestAttrs(),
      [ATTR_GEN_AI_RESPONSE_ID]: 'chatcmpl-fake1',
      [ATTR_GEN_AI_RESPONSE_MODEL]: 'gpt-4o-mini',
      [ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK]: expect.any(Number),
    });
  });

  it('ends the span as APIUserAbortError when the caller aborts mid-stream', async () => {
    server.enqueue({ chunkDelayMs: 30 });
    const controller = new AbortController();
    const stream = await client.chat.completions.create(streamed, { signal: controller.signal });
    let n = 0;
    for await (const _ of stream) {
      if (++n === 1) controller.abort();
    }
    await sleep(20);
    expect(h.spans()).toHaveLength(1);
    const span = h.span('chat gpt-4o-mini');
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes[ATTR_ERROR_TYPE]).toBe('APIUserAbortError');
  });

  it('ends the span as APIUserAbortError when the caller aborts before the response', async () => {
    server.enqueue({ delayMs: 300 });
    const controller = new AbortController();
    const pending = client.chat.completions.create(streamed, { signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    await expect(pending).rejects.toBeInstanceOf(OpenAI.APIUserAbortError);
    expect(h.spans()).toHaveLength(1);
    expect(h.span('chat gpt-4o-mini').attributes[ATTR_ERROR_TYPE]).toBe('APIUserAbortError');
  });

  it('keeps .withResponse() working on a stream', async () => {
    const { data: stream, response } = await client.chat.completions.create(streamed).withResponse();
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    let n = 0;
    for await (const _ of stream) n++;
    expect(n).toBe(8);
    expect(h.span('chat gpt-4o-mini').attributes).toStrictEqual(completeAttrs());
  });

  it('feeds both tee() branches and ends the span once', async () => {
    const stream = await client.chat.completions.create(streamed);
    const [left, right] = stream.tee();
    const read = async (s: typeof left) => {
      let text = '';
      for await (const c of s) text += c.choices[0]?.delta.content ?? '';
      return text;
    };
    expect(await read(left)).toBe('Hello from the fake provider.');
    expect(await read(right)).toBe('Hello from the fake provider.');
    expect(h.spans()).toHaveLength(1);
    expect(h.span('chat gpt-4o-mini').attributes).toStrictEqual(completeAttrs());
  });

  it('keeps toReadableStream() working', async () => {
    const stream = await client.chat.completions.create(streamed);
    const reader = stream.toReadableStream().getReader();
    const decoder = new TextDecoder();
    let text = '';
    for (let r = await reader.read(); !r.done; r = await reader.read()) text += decoder.decode(r.value as Uint8Array);
    expect(text.trim().split('\n')).toHaveLength(8);
    expect(h.span('chat gpt-4o-mini').attributes).toStrictEqual(completeAttrs());
  });
});

describe('instrumentOpenAI: streamed responses', () => {
  it('records id, model, finish reason and usage from the stream events', async () => {
    const stream = await client.responses.create({ model: 'gpt-4.1-mini', input: 'Write one short line', stream: true });
    const types: string[] = [];
    for await (const event of stream) types.push(event.type);
    expect(types[0]).toBe('response.created');
    expect(types.at(-1)).toBe('response.completed');
    expect(h.span('chat gpt-4.1-mini').attributes).toStrictEqual({
      [ATTR_GEN_AI_OPERATION_NAME]: 'chat',
      [ATTR_GEN_AI_PROVIDER_NAME]: 'openai',
      [ATTR_GEN_AI_REQUEST_MODEL]: 'gpt-4.1-mini',
      ...serverAttrs(),
      [ATTR_GEN_AI_REQUEST_STREAM]: true,
      [ATTR_RESILIENCE_RETRY_COUNT]: 0,
      [ATTR_GEN_AI_RESPONSE_ID]: 'resp_fake1',
      [ATTR_GEN_AI_RESPONSE_MODEL]: 'gpt-4.1-mini',
      [ATTR_GEN_AI_RESPONSE_FINISH_REASONS]: ['stop'],
      [ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK]: expect.any(Number),
      [ATTR_GEN_AI_USAGE_INPUT_TOKENS]: 4,
      [ATTR_GEN_AI_USAGE_OUTPUT_TOKENS]: 5,
      [ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS]: 0,
      [ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS]: 0,
    });
  });

  it('covers the responses.stream() helper', async () => {
    const runner = client.responses.stream({ model: 'gpt-4.1-mini', input: 'Write one short line' });
    const final = await runner.finalResponse();
    expect(final.output_text).toBe('Hello from the fake provider.');
    expect(h.spans()).toHaveLength(1);
    expect(h.span('chat gpt-4.1-mini').attributes[ATTR_GEN_AI_USAGE_OUTPUT_TOKENS]).toBe(5);
  });
});
