/**
 * Reading OpenAI request parameters and usage objects into the shapes the recorder takes.
 *
 * @internal
 */
import { ATTR_GEN_AI_OUTPUT_TYPE, GEN_AI_OUTPUT_TYPE_VALUE_JSON, GEN_AI_OUTPUT_TYPE_VALUE_TEXT } from '@driftwatch/semconv';
import type { CallRecorder } from '../telemetry';
import type { LlmUsage } from '../types';

/** A number parameter, or undefined. */
export function num(v: unknown): number | undefined {
  return typeof v === 'number' ? v : undefined;
}

/** A string parameter, or undefined. */
export function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** `stop` as a list (OpenAI accepts one string or an array). */
export function stopList(v: unknown): string[] | undefined {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v)) return v.filter((s): s is string => typeof s === 'string');
  return undefined;
}

type Obj = Record<string, any>;

/**
 * Usage of a Chat Completions or Responses result. OpenAI's input counts already include cached
 * tokens; cached and reasoning counts are the reported subsets. Values are passed on as sent: the
 * recorder drops (and counts) anything that is not a finite non-negative number.
 */
export function openaiUsage(u: unknown): LlmUsage | undefined {
  if (u === null || typeof u !== 'object') return undefined;
  const usage = u as Obj;
  const input = usage.prompt_tokens ?? usage.input_tokens;
  const output = usage.completion_tokens ?? usage.output_tokens;
  const inputDetails = (usage.prompt_tokens_details ?? usage.input_tokens_details) as Obj | null | undefined;
  const outputDetails = (usage.completion_tokens_details ?? usage.output_tokens_details) as Obj | null | undefined;
  return {
    inputTokens: input as number | undefined,
    outputTokens: output as number | undefined,
    cacheReadInputTokens: inputDetails?.cached_tokens as number | undefined,
    reasoningOutputTokens: outputDetails?.reasoning_tokens as number | undefined,
  };
}

/** Sets `gen_ai.output.type` from a requested format type (`text`, `json_object`, `json_schema`). */
export function setOutputType(recorder: CallRecorder, formatType: unknown): void {
  if (typeof formatType !== 'string' || !recorder.span.isRecording()) return;
  if (formatType === 'text') recorder.span.setAttribute(ATTR_GEN_AI_OUTPUT_TYPE, GEN_AI_OUTPUT_TYPE_VALUE_TEXT);
  else if (formatType.startsWith('json')) recorder.span.setAttribute(ATTR_GEN_AI_OUTPUT_TYPE, GEN_AI_OUTPUT_TYPE_VALUE_JSON);
}
