import type { InstrumentationConfig } from '@opentelemetry/instrumentation';
import { StainlessInstrumentation, sdkClientClass } from '../stainless-instrumentation';
import type { StainlessModule, StainlessTargets } from '../stainless-instrumentation';
import type { LlmInstrumentationOptions } from '../types';
import { PACKAGE_NAME } from '../version';
import { chatCompletionsSpec } from './chat';
import { embeddingsSpec } from './embeddings';
import { responsesSpec } from './responses';

/** Configuration of {@link OpenAIInstrumentation}: the instrumentation switch plus the shared options. */
export interface OpenAIInstrumentationConfig
  extends InstrumentationConfig,
    Omit<LlmInstrumentationOptions, 'tracerProvider' | 'meterProvider'> {}

/** `openai` versions whose prototypes and runtime shapes this instrumentation supports. */
export const OPENAI_SUPPORTED_VERSIONS: readonly string[] = ['>=4.0.0 <8'];

/** The prototypes patched in an `openai` module's exports (CJS `require`, or an ESM namespace). */
function targets(moduleExports: unknown): StainlessTargets {
  const OpenAI = sdkClientClass(moduleExports, 'OpenAI') as
    | { Chat?: { Completions?: { prototype?: object } }; Responses?: { prototype?: object }; Embeddings?: { prototype?: object } }
    | undefined;
  return [
    [OpenAI?.Chat?.Completions?.prototype, chatCompletionsSpec],
    [OpenAI?.Responses?.prototype, responsesSpec],
    [OpenAI?.Embeddings?.prototype, embeddingsSpec],
  ];
}

/**
 * OpenTelemetry instrumentation of the `openai` package (majors 4 to 7) for
 * `registerInstrumentations` / the Node SDK: it patches `Chat.Completions`, `Responses` and
 * `Embeddings` prototypes when `openai` is `require`d, with the same per-method code and telemetry
 * as {@link instrumentOpenAI}. For ES modules and bundlers, where the `require` hook does not see
 * the import, pass the imported module to {@link OpenAIInstrumentation.manuallyInstrument}.
 */
export class OpenAIInstrumentation extends StainlessInstrumentation<OpenAIInstrumentationConfig> {
  protected static override readonly sdk: StainlessModule = {
    instrumentationName: `${PACKAGE_NAME}/openai`,
    name: 'openai',
    supportedVersions: OPENAI_SUPPORTED_VERSIONS,
    targets,
  };
}
