/**
 * `responses.create` (operation `chat`), streamed or not. The Responses API has no per-choice
 * finish reason; the span gets one derived from the response: `stop`, `tool_call` when the output
 * ends in a function call, the `incomplete_details.reason` (e.g. `max_output_tokens`) of an
 * incomplete response, or the status of a failed or cancelled one.
 *
 * @internal
 */
import {
  ATTR_GEN_AI_INPUT_MESSAGES,
  ATTR_GEN_AI_OUTPUT_MESSAGES,
  ATTR_GEN_AI_SYSTEM_INSTRUCTIONS,
  GEN_AI_OPERATION_NAME_VALUE_CHAT,
  GEN_AI_PROVIDER_NAME_VALUE_OPENAI,
} from '@driftwatch/semconv';
import type { OperationSpec, StreamObserver } from '../stainless';
import type { CallRecorder, LlmTelemetry } from '../telemetry';
import { responsesInputMessages, responsesOutputMessages } from './content';
import { num, openaiUsage, setOutputType, str } from './params';

type Obj = Record<string, any>;

function finishReason(r: Obj): string | undefined {
  const status = r.status;
  if (status === 'incomplete') return str(r.incomplete_details?.reason) ?? status;
  if (status === 'failed' || status === 'cancelled') return status;
  if (status !== 'completed') return undefined;
  const output = Array.isArray(r.output) ? (r.output as Obj[]) : [];
  return output[output.length - 1]?.type === 'function_call' ? 'tool_call' : 'stop';
}

/** Records a `Response` object (the JSON result, or the one in a stream's final event). */
function recordResponse(r: Obj, recorder: CallRecorder, t: LlmTelemetry): void {
  const reason = finishReason(r);
  recorder.setResponse({
    responseId: str(r.id),
    responseModel: str(r.model),
    finishReasons: reason ? [reason] : undefined,
    usage: openaiUsage(r.usage),
  });
  if (t.captureContent) recorder.setContent(ATTR_GEN_AI_OUTPUT_MESSAGES, responsesOutputMessages(r.output, reason));
}

const FINAL_EVENTS = new Set(['response.completed', 'response.incomplete', 'response.failed']);

/** Reads id and model from `response.created` and everything else from the final event. */
class ResponsesStreamObserver implements StreamObserver {
  private readonly _recorder: CallRecorder;
  private readonly _t: LlmTelemetry;
  private _final: Obj | undefined;

  constructor(recorder: CallRecorder, t: LlmTelemetry) {
    this._recorder = recorder;
    this._t = t;
  }

  chunk(item: unknown): void {
    if (item === null || typeof item !== 'object') return;
    const e = item as Obj;
    const response = e.response as Obj | undefined;
    if (!response || typeof response !== 'object') return;
    if (FINAL_EVENTS.has(e.type)) this._final = response;
    else this._recorder.setResponse({ responseId: str(response.id), responseModel: str(response.model) });
  }

  finish(): void {
    if (this._final) recordResponse(this._final, this._recorder, this._t);
  }
}

/** The Responses API. */
export const responsesSpec: OperationSpec = {
  request(p, server) {
    const conversation = p.conversation as unknown;
    return {
      operation: GEN_AI_OPERATION_NAME_VALUE_CHAT,
      provider: GEN_AI_PROVIDER_NAME_VALUE_OPENAI,
      model: str(p.model),
      ...server,
      stream: p.stream === true,
      maxTokens: num(p.max_output_tokens),
      temperature: num(p.temperature),
      topP: num(p.top_p),
      conversationId: typeof conversation === 'string' ? conversation : str((conversation as Obj | null)?.id),
    };
  },
  started(p, recorder, t) {
    setOutputType(recorder, (p.text as Obj | undefined)?.format?.type);
    if (!t.captureContent) return;
    if (typeof p.instructions === 'string') {
      recorder.setContent(ATTR_GEN_AI_SYSTEM_INSTRUCTIONS, [{ type: 'text', content: p.instructions }]);
    }
    recorder.setContent(ATTR_GEN_AI_INPUT_MESSAGES, responsesInputMessages(p.input));
  },
  result(value, recorder, t) {
    if (value !== null && typeof value === 'object') recordResponse(value as Obj, recorder, t);
  },
  stream: (recorder, t) => new ResponsesStreamObserver(recorder, t),
};
