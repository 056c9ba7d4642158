/**
 * OpenAI request and response content in the GenAI semantic-conventions message shape
 * (`{ role, parts: [{ type: 'text', content }, { type: 'tool_call', ... }], finish_reason }`), for
 * the opt-in `gen_ai.input.messages`, `gen_ai.output.messages` and `gen_ai.system_instructions`.
 * Only computed when content capture is on.
 *
 * @internal
 */

/** One message part (GenAI conventions v1.41 JSON schema). */
export type MessagePart = Record<string, unknown> & { type: string };

/** One message with its parts. */
export interface ChatMessage {
  role: string;
  parts: MessagePart[];
  finish_reason?: string;
}

type Obj = Record<string, any>;

function isObj(v: unknown): v is Obj {
  return v !== null && typeof v === 'object';
}

/** Parts of a content value: a string, or an array of typed content parts. */
export function contentParts(content: unknown): MessagePart[] {
  if (typeof content === 'string') return [{ type: 'text', content }];
  if (!Array.isArray(content)) return [];
  const parts: MessagePart[] = [];
  for (const p of content) {
    if (typeof p === 'string') parts.push({ type: 'text', content: p });
    else if (!isObj(p)) continue;
    else if (typeof p.text === 'string') parts.push({ type: 'text', content: p.text });
    else if (typeof p.refusal === 'string') parts.push({ type: 'text', content: p.refusal });
    else if (p.type === 'image_url' && isObj(p.image_url)) parts.push({ type: 'uri', modality: 'image', uri: p.image_url.url });
    else if (p.type === 'input_image' && typeof p.image_url === 'string') parts.push({ type: 'uri', modality: 'image', uri: p.image_url });
    else parts.push({ type: String(p.type ?? 'unknown') });
  }
  return parts;
}

function toolCallParts(toolCalls: unknown): MessagePart[] {
  if (!Array.isArray(toolCalls)) return [];
  return toolCalls.filter(isObj).map((tc) => ({
    type: 'tool_call',
    id: tc.id,
    name: tc.function?.name ?? tc.custom?.name,
    arguments: tc.function?.arguments ?? tc.custom?.input,
  }));
}

/** Chat Completions `messages` (system and developer messages stay in the history, as sent). */
export function chatInputMessages(messages: unknown): ChatMessage[] {
  if (!Array.isArray(messages)) return [];
  return messages.filter(isObj).map((m) => {
    if (m.role === 'tool') {
      return { role: 'tool', parts: [{ type: 'tool_call_response', id: m.tool_call_id, response: m.content }] };
    }
    return { role: String(m.role), parts: [...contentParts(m.content), ...toolCallParts(m.tool_calls)] };
  });
}

/** One Chat Completions choice message as an output message. */
export function chatOutputMessage(message: unknown, finishReason: unknown): ChatMessage {
  const m: Obj = isObj(message) ? message : {};
  const out: ChatMessage = {
    role: typeof m.role === 'string' ? m.role : 'assistant',
    parts: [...contentParts(m.content ?? m.refusal ?? undefined), ...toolCallParts(m.tool_calls)],
  };
  if (typeof finishReason === 'string') out.finish_reason = finishReason;
  return out;
}

/** Responses API `input` (a string or a list of items). */
export function responsesInputMessages(input: unknown): ChatMessage[] {
  if (typeof input === 'string') return [{ role: 'user', parts: [{ type: 'text', content: input }] }];
  if (!Array.isArray(input)) return [];
  const out: ChatMessage[] = [];
  for (const item of input) {
    if (!isObj(item)) continue;
    if (item.type === 'function_call') {
      out.push({ role: 'assistant', parts: [{ type: 'tool_call', id: item.call_id, name: item.name, arguments: item.arguments }] });
    } else if (item.type === 'function_call_output') {
      out.push({ role: 'tool', parts: [{ type: 'tool_call_response', id: item.call_id, response: item.output }] });
    } else if (typeof item.role === 'string') {
      out.push({ role: item.role, parts: contentParts(item.content) });
    }
  }
  return out;
}

/** Responses API `output` items as one assistant message. */
export function responsesOutputMessages(output: unknown, finishReason: string | undefined): ChatMessage[] {
  if (!Array.isArray(output)) return [];
  const parts: MessagePart[] = [];
  for (const item of output) {
    if (!isObj(item)) continue;
    if (item.type === 'message') parts.push(...contentParts(item.content));
    else if (item.type === 'function_call') parts.push({ type: 'tool_call', id: item.call_id, name: item.name, arguments: item.arguments });
    else if (item.type === 'reasoning' && Array.isArray(item.summary)) {
      const text = item.summary.map((s: Obj) => (isObj(s) && typeof s.text === 'string' ? s.text : '')).join('\n');
      if (text) parts.push({ type: 'reasoning', content: text });
    }
  }
  const msg: ChatMessage = { role: 'assistant', parts };
  if (finishReason) msg.finish_reason = finishReason;
  return [msg];
}
