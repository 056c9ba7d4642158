/**
 * Anthropic `messages.create` (operation `chat`), streamed or not; `messages.stream()` and
 * `messages.parse()` go through it.
 *
 * Anthropic reports `input_tokens` without the cached part, while `gen_ai.usage.input_tokens`
 * includes cached tokens, so the span's input count is `input_tokens + cache_read_input_tokens +
 * cache_creation_input_tokens`, and the two cache counts are recorded as its subsets.
 *
 * @internal
 */
import {
  ATTR_GEN_AI_INPUT_MESSAGES,
  ATTR_GEN_AI_OUTPUT_MESSAGES,
  ATTR_GEN_AI_OUTPUT_TYPE,
  ATTR_GEN_AI_SYSTEM_INSTRUCTIONS,
  GEN_AI_OPERATION_NAME_VALUE_CHAT,
  GEN_AI_OUTPUT_TYPE_VALUE_JSON,
  GEN_AI_PROVIDER_NAME_VALUE_ANTHROPIC,
} from '@driftwatch/semconv';
import type { OperationSpec, StreamObserver } from '../stainless';
import type { CallRecorder, LlmTelemetry } from '../telemetry';
import type { LlmUsage } from '../types';
import { inputMessages, outputMessages, systemParts } from './content';

type Obj = Record<string, any>;

function num(v: unknown): number | undefined {
  return typeof v === 'number' ? v : undefined;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function finite(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : 0;
}

/** Usage in the conventions' terms; counts are passed on as sent, so invalid ones are dropped and counted. */
function anthropicUsage(u: Obj | undefined | null): LlmUsage | undefined {
  if (!u || typeof u !== 'object') return undefined;
  const input = u.input_tokens as unknown;
  return {
    inputTokens: (typeof input === 'number' ? input + finite(u.cache_read_input_tokens) + finite(u.cache_creation_input_tokens) : input) as
      | number
      | undefined,
    outputTokens: u.output_tokens as number | undefined,
    cacheReadInputTokens: (u.cache_read_input_tokens ?? undefined) as number | undefined,
    cacheCreationInputTokens: (u.cache_creation_input_tokens ?? undefined) as number | undefined,
    reasoningOutputTokens: (u.output_tokens_details?.thinking_tokens ?? undefined) as number | undefined,
  };
}

interface Block {
  type: string;
  text: string;
  id?: string;
  name?: string;
  json: string;
}

/**
 * Collects a streamed message: id, model and input usage from `message_start`, the stop reason
 * and final usage from `message_delta`, and (only when content capture is on) the content blocks
 * from `content_block_start` / `content_block_delta`, bounded by the content size limit.
 */
class MessagesStreamObserver implements StreamObserver {
  private readonly _recorder: CallRecorder;
  private readonly _capture: boolean;
  private readonly _limit: number;
  private readonly _blocks: Block[] = [];
  private _usage: Obj = {};
  private _stop: string | undefined;

  constructor(recorder: CallRecorder, t: LlmTelemetry) {
    this._recorder = recorder;
    this._capture = t.captureContent && recorder.span.isRecording();
    this._limit = t.maxContentLength;
  }

  chunk(item: unknown): void {
    if (item === null || typeof item !== 'object') return;
    const e = item as Obj;
    if (e.type === 'message_start' && e.message) {
      this._recorder.setResponse({ responseId: str(e.message.id), responseModel: str(e.message.model) });
      this._mergeUsage(e.message.usage);
    } else if (e.type === 'message_delta') {
      if (typeof e.delta?.stop_reason === 'string') this._stop = e.delta.stop_reason;
      this._mergeUsage(e.usage);
    } else if (this._capture) {
      this._collect(e);
    }
  }

  private _mergeUsage(u: unknown): void {
    if (!u || typeof u !== 'object') return;
    for (const [k, v] of Object.entries(u)) if (v !== null && v !== undefined) this._usage[k] = v;
  }

  private _collect(e: Obj): void {
    const index = num(e.index);
    if (index === undefined || index < 0 || index > 255) return;
    if (e.type === 'content_block_start' && e.content_block) {
      const b = e.content_block as Obj;
      this._blocks[index] = { type: String(b.type), text: typeof b.text === 'string' ? b.text : '', id: b.id, name: b.name, json: '' };
      return;
    }
    const block = this._blocks[index];
    if (e.type !== 'content_block_delta' || !block || !e.delta) return;
    const piece = e.delta.text ?? e.delta.thinking ?? undefined;
    if (typeof piece === 'string' && block.text.length < this._limit) block.text += piece;
    if (typeof e.delta.partial_json === 'string' && block.json.length < this._limit) block.json += e.delta.partial_json;
  }

  finish(): void {
    this._recorder.setResponse({
      finishReasons: this._stop ? [this._stop] : undefined,
      usage: Object.keys(this._usage).length ? anthropicUsage(this._usage) : undefined,
    });
    if (!this._capture) return;
    const blocks = this._blocks.filter(Boolean).map((b) => {
      if (b.type === 'tool_use') return { type: 'tool_use', id: b.id, name: b.name, input: b.json };
      if (b.type === 'thinking') return { type: 'thinking', thinking: b.text };
      return { type: b.type, text: b.text };
    });
    this._recorder.setContent(ATTR_GEN_AI_OUTPUT_MESSAGES, outputMessages(blocks, this._stop));
  }
}

/** The Messages API. */
export const messagesSpec: OperationSpec = {
  request(p, server) {
    return {
      operation: GEN_AI_OPERATION_NAME_VALUE_CHAT,
      provider: GEN_AI_PROVIDER_NAME_VALUE_ANTHROPIC,
      model: str(p.model),
      ...server,
      stream: p.stream === true,
      maxTokens: num(p.max_tokens),
      temperature: num(p.temperature),
      topP: num(p.top_p),
      topK: num(p.top_k),
      stopSequences: Array.isArray(p.stop_sequences) ? p.stop_sequences.filter((s: unknown) => typeof s === 'string') : undefined,
    };
  },
  started(p, recorder, t) {
    const format = (p.output_config as Obj | undefined)?.format ?? p.output_format;
    if (format && recorder.span.isRecording()) recorder.span.setAttribute(ATTR_GEN_AI_OUTPUT_TYPE, GEN_AI_OUTPUT_TYPE_VALUE_JSON);
    if (!t.captureContent) return;
    if (p.system !== undefined) recorder.setContent(ATTR_GEN_AI_SYSTEM_INSTRUCTIONS, systemParts(p.system));
    recorder.setContent(ATTR_GEN_AI_INPUT_MESSAGES, inputMessages(p.messages));
  },
  result(value, recorder, t) {
    if (value === null || typeof value !== 'object') return;
    const m = value as Obj;
    const stop = str(m.stop_reason);
    recorder.setResponse({
      responseId: str(m.id),
      responseModel: str(m.model),
      finishReasons: stop ? [stop] : undefined,
      usage: anthropicUsage(m.usage),
    });
    if (t.captureContent) recorder.setContent(ATTR_GEN_AI_OUTPUT_MESSAGES, outputMessages(m.content, stop));
  },
  stream: (recorder, t) => new MessagesStreamObserver(recorder, t),
};
