// The GenAI metric-names switch: `1.41` records the token-usage histogram; `genai_latest_experimental`
// records the GenAI repository's input/output token counters instead, and never both.
import { describe, expect, it } from 'vitest';
import {
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_GEN_AI_TOKEN_TYPE,
  METRIC_GEN_AI_CLIENT_INFERENCE_USAGE_INPUT_TOKENS,
  METRIC_GEN_AI_CLIENT_INFERENCE_USAGE_OUTPUT_TOKENS,
  METRIC_GEN_AI_CLIENT_OPERATION_DURATION,
  METRIC_GEN_AI_CLIENT_TOKEN_USAGE,
} from '@driftwatch/semconv';
import { createLlmTelemetry } from '@driftwatch/llm';
import type { GenAiMetricsVersion } from '@driftwatch/semconv';
import { createHarness } from './generic-harness';

const base = {
  [ATTR_GEN_AI_OPERATION_NAME]: 'chat',
  [ATTR_GEN_AI_PROVIDER_NAME]: 'openai',
  [ATTR_GEN_AI_REQUEST_MODEL]: 'gpt-4o-mini',
};

async function recordTwoCalls(metricsVersion: GenAiMetricsVersion) {
  const h = createHarness();
  const t = createLlmTelemetry({ ...h.opts, metricsVersion });
  for (const [input, output] of [
    [12, 5],
    [30, 7],
  ] as const) {
    t.startCall({ operation: 'chat', provider: 'openai', model: 'gpt-4o-mini' }).end({ usage: { inputTokens: input, outputTokens: output } });
  }
  return h;
}

describe('metricsVersion', () => {
  it("'1.41' records gen_ai.client.token.usage by token type and no counters", async () => {
    const h = await recordTwoCalls('1.41');
    const usage = await h.points(METRIC_GEN_AI_CLIENT_TOKEN_USAGE);
    expect(usage.map((p) => [p.attributes, (p.value as { sum: number; count: number }).sum])).toStrictEqual([
      [{ ...base, [ATTR_GEN_AI_TOKEN_TYPE]: 'input' }, 42],
      [{ ...base, [ATTR_GEN_AI_TOKEN_TYPE]: 'output' }, 12],
    ]);
    expect(await h.points(METRIC_GEN_AI_CLIENT_INFERENCE_USAGE_INPUT_TOKENS)).toStrictEqual([]);
    expect(await h.points(METRIC_GEN_AI_CLIENT_INFERENCE_USAGE_OUTPUT_TOKENS)).toStrictEqual([]);
    expect(await h.points(METRIC_GEN_AI_CLIENT_OPERATION_DURATION)).toHaveLength(1);
  });

  it("'genai_latest_experimental' records the input/output token counters instead of the histogram", async () => {
    const h = await recordTwoCalls('genai_latest_experimental');
    expect(await h.points(METRIC_GEN_AI_CLIENT_TOKEN_USAGE)).toStrictEqual([]);
    expect(await h.points(METRIC_GEN_AI_CLIENT_INFERENCE_USAGE_INPUT_TOKENS)).toStrictEqual([{ attributes: base, value: 42 }]);
    expect(await h.points(METRIC_GEN_AI_CLIENT_INFERENCE_USAGE_OUTPUT_TOKENS)).toStrictEqual([{ attributes: base, value: 12 }]);
    expect(await h.points(METRIC_GEN_AI_CLIENT_OPERATION_DURATION)).toHaveLength(1);
  });
});
