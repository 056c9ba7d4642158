/**
 * `chat.completions.create` (operation `chat`), streamed or not.
 *
 * @internal
 */
import {
  ATTR_GEN_AI_INPUT_MESSAGES,
  ATTR_GEN_AI_OUTPUT_MESSAGES,
  GEN_AI_OPERATION_NAME_VALUE_CHAT,
  GEN_AI_PROVIDER_NAME_VALUE_OPENAI,
} from '@driftwatch/semconv';
import type { OperationSpec, StreamObserver } from '../stainless';
import type { CallRecorder, LlmTelemetry } from '../telemetry';
import type { LlmResponseInfo } from '../types';
import { chatInputMessages, chatOutputMessage } from './content';
import type { ChatMessage } from './content';
import { num, openaiUsage, setOutputType, stopList, str } from './params';

type Obj = Record<string, any>;

function finishReasons(choices: unknown): string[] {
  if (!Array.isArray(choices)) return [];
  return [...choices]
    .filter((c): c is Obj => c !== null && typeof c === 'object')
    .sort((a, b) => (num(a.index) ?? 0) - (num(b.index) ?? 0))
    .map((c) => c.finish_reason)
    .filter((r): r is string => typeof r === 'string');
}

/** Response info of a `ChatCompletion`. */
function completionInfo(c: Obj): LlmResponseInfo {
  return {
    responseId: str(c.id),
    responseModel: str(c.model),
    finishReasons: finishReasons(c.choices),
    usage: openaiUsage(c.usage),
  };
}

interface ChoiceState {
  text: string;
  toolCalls: Obj[];
  finish?: string;
}

/**
 * Collects a streamed completion: id and model from the chunks, finish reasons per choice, usage
 * from the usage chunk, and (only when content capture is on) the text and tool calls, bounded by
 * the content size limit.
 */
class ChatStreamObserver implements StreamObserver {
  private readonly _recorder: CallRecorder;
  private readonly _capture: boolean;
  private readonly _limit: number;
  private readonly _choices: ChoiceState[] = [];
  private _id: string | undefined;
  private _model: string | undefined;
  private _usage: unknown;

  constructor(recorder: CallRecorder, t: LlmTelemetry) {
    this._recorder = recorder;
    this._capture = t.captureContent && recorder.span.isRecording();
    this._limit = t.maxContentLength;
  }

  chunk(item: unknown): void {
    if (item === null || typeof item !== 'object') return;
    const c = item as Obj;
    this._id ??= str(c.id);
    this._model ??= str(c.model);
    if (c.usage) this._usage = c.usage;
    if (!Array.isArray(c.choices)) return;
    for (const choice of c.choices as Obj[]) {
      const index = num(choice?.index) ?? 0;
      if (index < 0 || index > 127) continue;
      const state = (this._choices[index] ??= { text: '', toolCalls: [] });
      if (typeof choice.finish_reason === 'string') state.finish = choice.finish_reason;
      if (this._capture) this._collect(state, choice.delta);
    }
  }

  private _collect(state: ChoiceState, delta: Obj | undefined): void {
    if (!delta) return;
    if (typeof delta.content === 'string' && state.text.length < this._limit) state.text += delta.content;
    if (!Array.isArray(delta.tool_calls)) return;
    for (const tc of delta.tool_calls as Obj[]) {
      const i = num(tc?.index) ?? 0;
      if (i < 0 || i > 127) continue;
      const call = (state.toolCalls[i] ??= { id: tc.id, type: tc.type, function: { name: '', arguments: '' } });
      if (tc.id) call.id = tc.id;
      if (tc.function?.name) call.function.name += tc.function.name;
      if (tc.function?.arguments && call.function.arguments.length < this._limit) call.function.arguments += tc.function.arguments;
    }
  }

  finish(): void {
    const finishes = this._choices.map((c) => c?.finish).filter((r): r is string => r !== undefined);
    this._recorder.setResponse({
      responseId: this._id,
      responseModel: this._model,
      finishReasons: finishes,
      usage: openaiUsage(this._usage),
    });
    if (this._capture) {
      const messages: ChatMessage[] = [];
      for (const c of this._choices) {
        if (!c) continue;
        const toolCalls = c.toolCalls.filter(Boolean);
        const message = { role: 'assistant', content: c.text || null, tool_calls: toolCalls.length ? toolCalls : undefined };
        messages.push(chatOutputMessage(message, c.finish));
      }
      this._recorder.setContent(ATTR_GEN_AI_OUTPUT_MESSAGES, messages);
    }
  }
}

/**
 * Chat Completions. When `requestStreamUsage` is on (the default) and a streamed request has no
 * `stream_options`, `{ include_usage: true }` is added so that token usage arrives; the API then
 * sends one more chunk at the end, with an empty `choices` array and the `usage` object, and that
 * chunk is delivered to the caller unchanged, exactly as the SDK delivers it to anyone who sets
 * `include_usage` (`chunk.choices[0]` is undefined there). A caller's own `stream_options` are
 * never changed.
 */
export const chatCompletionsSpec: OperationSpec = {
  request(p, server) {
    return {
      operation: GEN_AI_OPERATION_NAME_VALUE_CHAT,
      provider: GEN_AI_PROVIDER_NAME_VALUE_OPENAI,
      model: str(p.model),
      ...server,
      stream: p.stream === true,
      maxTokens: num(p.max_completion_tokens) ?? num(p.max_tokens),
      temperature: num(p.temperature),
      topP: num(p.top_p),
      frequencyPenalty: num(p.frequency_penalty),
      presencePenalty: num(p.presence_penalty),
      stopSequences: stopList(p.stop),
      seed: num(p.seed),
      choiceCount: num(p.n),
    };
  },
  prepare(args, t) {
    const p = args[0] as Obj | undefined;
    if (!t.requestStreamUsage || !p || p.stream !== true || p.stream_options !== undefined) return args;
    return [{ ...p, stream_options: { include_usage: true } }, ...args.slice(1)];
  },
  started(p, recorder, t) {
    setOutputType(recorder, (p.response_format as Obj | undefined)?.type);
    if (t.captureContent) recorder.setContent(ATTR_GEN_AI_INPUT_MESSAGES, chatInputMessages(p.messages));
  },
  result(value, recorder, t) {
    if (value === null || typeof value !== 'object') return;
    const c = value as Obj;
    recorder.setResponse(completionInfo(c));
    if (t.captureContent && Array.isArray(c.choices)) {
      const messages = (c.choices as Obj[]).map((choice) => chatOutputMessage(choice?.message, choice?.finish_reason));
      recorder.setContent(ATTR_GEN_AI_OUTPUT_MESSAGES, messages);
    }
  },
  stream: (recorder, t) => new ChatStreamObserver(recorder, t),
};
