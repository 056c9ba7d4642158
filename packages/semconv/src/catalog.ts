import {
  GEN_AI_DURATION_BUCKETS,
  GEN_AI_TOKEN_BUCKETS,
  METRIC_GEN_AI_CLIENT_INFERENCE_USAGE_INPUT_TOKENS,
  METRIC_GEN_AI_CLIENT_INFERENCE_USAGE_OUTPUT_TOKENS,
  METRIC_GEN_AI_CLIENT_OPERATION_DURATION,
  METRIC_GEN_AI_CLIENT_OPERATION_TIME_TO_FIRST_CHUNK,
  METRIC_GEN_AI_CLIENT_TOKEN_USAGE,
} from './genai';
import type { GenAiMetricsVersion } from './genai';
import {
  METRIC_LLM_CALLS,
  METRIC_LLM_COST,
  METRIC_LLM_COST_UNKNOWN,
  METRIC_LLM_FALLBACKS,
  METRIC_LLM_RATE_LIMIT_LIMIT,
  METRIC_LLM_RATE_LIMIT_REMAINING,
  METRIC_LLM_RETRIES,
} from './llm';
import { UNIT_CALLS, UNIT_COUNT, UNIT_RETRIES, UNIT_SECONDS, UNIT_TOKENS, UNIT_USD } from './units';

/** What kind of OTel instrument a metric is recorded with. */
export type InstrumentKind = 'counter' | 'histogram' | 'gauge' | 'updowncounter';

/** One metric Driftwatch emits: the single source for instrument creation and README tables. */
export interface MetricDefinition {
  readonly name: string;
  readonly instrument: InstrumentKind;
  readonly unit: string;
  readonly description: string;
  /** Explicit bucket advice for histograms. */
  readonly buckets?: readonly number[];
  /** Integer-valued instrument. */
  readonly integer?: boolean;
}

export const DEF_GEN_AI_CLIENT_OPERATION_DURATION: MetricDefinition = {
  name: METRIC_GEN_AI_CLIENT_OPERATION_DURATION,
  instrument: 'histogram',
  unit: UNIT_SECONDS,
  description: 'GenAI operation duration.',
  buckets: GEN_AI_DURATION_BUCKETS,
};
export const DEF_GEN_AI_CLIENT_TOKEN_USAGE: MetricDefinition = {
  name: METRIC_GEN_AI_CLIENT_TOKEN_USAGE,
  instrument: 'histogram',
  unit: UNIT_TOKENS,
  description: 'Number of input and output tokens used.',
  buckets: GEN_AI_TOKEN_BUCKETS,
  integer: true,
};
export const DEF_GEN_AI_CLIENT_OPERATION_TIME_TO_FIRST_CHUNK: MetricDefinition = {
  name: METRIC_GEN_AI_CLIENT_OPERATION_TIME_TO_FIRST_CHUNK,
  instrument: 'histogram',
  unit: UNIT_SECONDS,
  description: 'Time to receive the first chunk of a streamed response.',
  buckets: GEN_AI_DURATION_BUCKETS,
};
export const DEF_GEN_AI_CLIENT_INFERENCE_USAGE_INPUT_TOKENS: MetricDefinition = {
  name: METRIC_GEN_AI_CLIENT_INFERENCE_USAGE_INPUT_TOKENS,
  instrument: 'counter',
  unit: UNIT_TOKENS,
  description: 'Input tokens used by inference calls.',
  integer: true,
};
export const DEF_GEN_AI_CLIENT_INFERENCE_USAGE_OUTPUT_TOKENS: MetricDefinition = {
  name: METRIC_GEN_AI_CLIENT_INFERENCE_USAGE_OUTPUT_TOKENS,
  instrument: 'counter',
  unit: UNIT_TOKENS,
  description: 'Output tokens produced by inference calls.',
  integer: true,
};
export const DEF_LLM_CALLS: MetricDefinition = {
  name: METRIC_LLM_CALLS,
  instrument: 'counter',
  unit: UNIT_CALLS,
  description: 'LLM provider calls (each attempt of a logical call counts once) by outcome.',
  integer: true,
};
export const DEF_LLM_RETRIES: MetricDefinition = {
  name: METRIC_LLM_RETRIES,
  instrument: 'counter',
  unit: UNIT_RETRIES,
  description: 'Retries made by LLM calls (attempts after the first).',
  integer: true,
};
export const DEF_LLM_FALLBACKS: MetricDefinition = {
  name: METRIC_LLM_FALLBACKS,
  instrument: 'counter',
  unit: UNIT_CALLS,
  description: 'LLM calls served by a fallback provider or model.',
  integer: true,
};
export const DEF_LLM_COST: MetricDefinition = {
  name: METRIC_LLM_COST,
  instrument: 'counter',
  unit: UNIT_USD,
  description: 'Cost of LLM calls in US dollars (priced calls only).',
};
export const DEF_LLM_COST_UNKNOWN: MetricDefinition = {
  name: METRIC_LLM_COST_UNKNOWN,
  instrument: 'counter',
  unit: UNIT_CALLS,
  description: 'LLM calls whose cost could not be priced (no catalogue or override price).',
  integer: true,
};
export const DEF_LLM_RATE_LIMIT_REMAINING: MetricDefinition = {
  name: METRIC_LLM_RATE_LIMIT_REMAINING,
  instrument: 'gauge',
  unit: UNIT_COUNT,
  description: 'Requests or tokens left in the provider rate-limit window, from response headers.',
};
export const DEF_LLM_RATE_LIMIT_LIMIT: MetricDefinition = {
  name: METRIC_LLM_RATE_LIMIT_LIMIT,
  instrument: 'gauge',
  unit: UNIT_COUNT,
  description: 'Provider rate limit for the current window, from response headers.',
};

/** Every metric `@driftwatch/llm` can emit for the given GenAI metric-name generation. */
export function llmMetricDefinitions(version: GenAiMetricsVersion = '1.41'): readonly MetricDefinition[] {
  const tokens =
    version === '1.41'
      ? [DEF_GEN_AI_CLIENT_TOKEN_USAGE]
      : [DEF_GEN_AI_CLIENT_INFERENCE_USAGE_INPUT_TOKENS, DEF_GEN_AI_CLIENT_INFERENCE_USAGE_OUTPUT_TOKENS];
  return [
    DEF_GEN_AI_CLIENT_OPERATION_DURATION,
    ...tokens,
    DEF_GEN_AI_CLIENT_OPERATION_TIME_TO_FIRST_CHUNK,
    DEF_LLM_CALLS,
    DEF_LLM_RETRIES,
    DEF_LLM_FALLBACKS,
    DEF_LLM_COST,
    DEF_LLM_COST_UNKNOWN,
    DEF_LLM_RATE_LIMIT_REMAINING,
    DEF_LLM_RATE_LIMIT_LIMIT,
  ];
}
