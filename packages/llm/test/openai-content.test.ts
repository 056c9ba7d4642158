// Opt-in content capture for the OpenAI client: off by default, redacted when on.
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import {
  ATTR_GEN_AI_INPUT_MESSAGES,
  ATTR_GEN_AI_OUTPUT_MESSAGES,
  ATTR_GEN_AI_SYSTEM_INSTRUCTIONS,
} from '@driftwatch/semconv';
import { useFakeProvider } from './provider-harness';

const { server, h, openai } = useFakeProvider();

function client(captureMessageContent: boolean): OpenAI {
  return openai(OpenAI, 0, { tracerProvider: h.tracerProvider, captureMessageContent, cost: false });
}

const secretMessages = [
  { role: 'system' as const, content: 'You are terse.' },
  { role: 'user' as const, content: 'Email jane.doe@example.com with key sk-proj-abcdefghijklmnop1234' },
];
const redactedInput = JSON.stringify([
  { role: 'system', parts: [{ type: 'text', content: 'You are terse.' }] },
  { role: 'user', parts: [{ type: 'text', content: 'Email [REDACTED:email] with key [REDACTED:api_key]' }] },
]);
const output = JSON.stringify([
  { role: 'assistant', parts: [{ type: 'text', content: 'Hello from the fake provider.' }], finish_reason: 'stop' },
]);

describe('content capture', () => {
  it('records no content by default', async () => {
    await client(false).chat.completions.create({ model: 'gpt-4o-mini', messages: secretMessages });
    const attributes = h.span('chat gpt-4o-mini').attributes;
    expect(attributes[ATTR_GEN_AI_INPUT_MESSAGES]).toBeUndefined();
    expect(attributes[ATTR_GEN_AI_OUTPUT_MESSAGES]).toBeUndefined();
    expect(JSON.stringify(attributes)).not.toContain('example.com');
  });

  it('records redacted input and output messages when on', async () => {
    await client(true).chat.completions.create({ model: 'gpt-4o-mini', messages: secretMessages });
    const attributes = h.span('chat gpt-4o-mini').attributes;
    expect(attributes[ATTR_GEN_AI_INPUT_MESSAGES]).toBe(redactedInput);
    expect(attributes[ATTR_GEN_AI_OUTPUT_MESSAGES]).toBe(output);
    expect(attributes[ATTR_GEN_AI_SYSTEM_INSTRUCTIONS]).toBeUndefined();
  });

  it('assembles streamed output', async () => {
    const stream = await client(true).chat.completions.create({ model: 'gpt-4o-mini', messages: secretMessages, stream: true });
    for await (const _ of stream) {
      // drain
    }
    const attributes = h.span('chat gpt-4o-mini').attributes;
    expect(attributes[ATTR_GEN_AI_INPUT_MESSAGES]).toBe(redactedInput);
    expect(attributes[ATTR_GEN_AI_OUTPUT_MESSAGES]).toBe(output);
  });

  it('records tool calls and tool results as parts', async () => {
    server.enqueue({
      body: {
        id: 'chatcmpl-tools',
        object: 'chat.completion',
        created: 0,
        model: 'gpt-4o-mini',
        choices: [
          {
            index: 0,
            finish_reason: 'tool_calls',
            message: {
              role: 'assistant',
              content: null,
              tool_calls: [{ id: 'call_2', type: 'function', function: { name: 'weather', arguments: '{"city":"Oslo"}' } }],
            },
          },
        ],
        usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 },
      },
    });
    await client(true).chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [
        { role: 'user', content: 'Weather?' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'weather', arguments: '{}' } }] },
        { role: 'tool', tool_call_id: 'call_1', content: 'sunny' },
      ],
    });
    const attributes = h.span('chat gpt-4o-mini').attributes;
    expect(JSON.parse(attributes[ATTR_GEN_AI_INPUT_MESSAGES] as string)).toStrictEqual([
      { role: 'user', parts: [{ type: 'text', content: 'Weather?' }] },
      { role: 'assistant', parts: [{ type: 'tool_call', id: 'call_1', name: 'weather', arguments: '{}' }] },
      { role: 'tool', parts: [{ type: 'tool_call_response', id: 'call_1', response: 'sunny' }] },
    ]);
    expect(JSON.parse(attributes[ATTR_GEN_AI_OUTPUT_MESSAGES] as string)).toStrictEqual([
      {
        role: 'assistant',
        parts: [{ type: 'tool_call', id: 'call_2', name: 'weather', arguments: '{"city":"Oslo"}' }],
        finish_reason: 'tool_calls',
      },
    ]);
  });

  it('records Responses API instructions as system instructions', async () => {
    await client(true).responses.create({
      model: 'gpt-4.1-mini',
      instructions: 'Answer as jane.doe@example.com would',
      input: [{ role: 'user', content: 'Hi' }],
    });
    const attributes = h.span('chat gpt-4.1-mini').attributes;
    expect(attributes[ATTR_GEN_AI_SYSTEM_INSTRUCTIONS]).toBe(JSON.stringify([{ type: 'text', content: 'Answer as [REDACTED:email] would' }]));
    expect(attributes[ATTR_GEN_AI_INPUT_MESSAGES]).toBe(JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: 'Hi' }] }]));
    expect(attributes[ATTR_GEN_AI_OUTPUT_MESSAGES]).toBe(output);
  });
});
