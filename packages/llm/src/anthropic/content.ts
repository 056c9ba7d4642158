/**
 * Anthropic request and response content in the GenAI semantic-conventions message shape, for the
 * opt-in `gen_ai.system_instructions`, `gen_ai.input.messages` and `gen_ai.output.messages`. Only
 * computed when content capture is on.
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

/** Content blocks (or a plain string) as message parts. */
export function blocksToParts(content: unknown): MessagePart[] {
  if (typeof content === 'string') return [{ type: 'text', content }];
  if (!Array.isArray(content)) return [];
  const parts: MessagePart[] = [];
  for (const b of content as unknown[]) {
    if (b === null || typeof b !== 'object') continue;
    const block = b as Obj;
    switch (block.type) {
      case 'text':
        parts.push({ type: 'text', content: block.text });
        break;
      case 'thinking':
        parts.push({ type: 'reasoning', content: block.thinking });
        break;
      case 'tool_use':
      case 'server_tool_use':
        parts.push({ type: 'tool_call', id: block.id, name: block.name, arguments: block.input });
        break;
      case 'tool_result': {
        const response = typeof block.content === 'string' ? block.content : blocksToParts(block.content);
        parts.push({ type: 'tool_call_response', id: block.tool_use_id, response });
        break;
      }
      case 'image':
      case 'document': {
        const source = (block.source ?? {}) as Obj;
        const part: MessagePart = { type: source.type === 'url' ? 'uri' : 'blob', modality: block.type === 'image' ? 'image' : 'document' };
        if (source.type === 'url') part['uri'] = source.url;
        else if (typeof source.media_type === 'string') part['mime_type'] = source.media_type;
        parts.push(part);
        break;
      }
      default:
        parts.push({ type: String(block.type ?? 'unknown') });
    }
  }
  return parts;
}

/** The `system` parameter (a string or text blocks). */
export function systemParts(system: unknown): MessagePart[] {
  return blocksToParts(system);
}

/** The `messages` parameter. */
export function inputMessages(messages: unknown): ChatMessage[] {
  if (!Array.isArray(messages)) return [];
  return messages
    .filter((m): m is Obj => m !== null && typeof m === 'object')
    .map((m) => ({ role: String(m.role), parts: blocksToParts(m.content) }));
}

/** A response's content blocks as the one assistant message. */
export function outputMessages(content: unknown, stopReason: string | undefined): ChatMessage[] {
  const message: ChatMessage = { role: 'assistant', parts: blocksToParts(content) };
  if (stopReason) message.finish_reason = stopReason;
  return [message];
}
