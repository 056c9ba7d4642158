import type { Instrumentation } from '@opentelemetry/instrumentation';
import { AnthropicInstrumentation, OpenAIInstrumentation } from '@driftwatch/llm';
import type { LlmOptions } from './types';

/** What the default instrumentations are built from. */
export interface DefaultInstrumentationsConfig {
  /** Options for the `@driftwatch/llm` instrumentations (`captureMessageContent` already resolved). */
  llm: LlmOptions;
}

/**
 * The instrumentations `register()` enables unless `options.instrumentations` replaces them: the
 * `@driftwatch/llm` auto-instrumentations of the `openai` and `@anthropic-ai/sdk` clients, both
 * configured with `config.llm`. This is the single place where `register()` and the `--import`
 * entry learn about provider instrumentations.
 *
 * They are created disabled (`enabled: false`): nothing is hooked until `registerInstrumentations`
 * enables them with the SDK's providers, so a default that an `instrumentations` function leaves
 * out never patches anything.
 */
export function defaultInstrumentations(config: DefaultInstrumentationsConfig): Instrumentation[] {
  return [
    new OpenAIInstrumentation({ ...config.llm, enabled: false }),
    new AnthropicInstrumentation({ ...config.llm, enabled: false }),
  ];
}
