import type { InstrumentationConfig } from '@opentelemetry/instrumentation';
import { StainlessInstrumentation, sdkClientClass } from '../stainless-instrumentation';
import type { StainlessModule, StainlessTargets } from '../stainless-instrumentation';
import type { LlmInstrumentationOptions } from '../types';
import { PACKAGE_NAME } from '../version';
import { messagesSpec } from './messages';

/** Configuration of {@link AnthropicInstrumentation}: the instrumentation switch plus the shared options. */
export interface AnthropicInstrumentationConfig
  extends InstrumentationConfig,
    Omit<LlmInstrumentationOptions, 'tracerProvider' | 'meterProvider'> {}

/** `@anthropic-ai/sdk` versions whose prototypes and runtime shapes this instrumentation supports. */
export const ANTHROPIC_SUPPORTED_VERSIONS: readonly string[] = ['>=0.20.0 <2'];

/** `Messages.prototype` in an `@anthropic-ai/sdk` module's exports (CJS `require`, or an ESM namespace). */
function targets(moduleExports: unknown): StainlessTargets {
  const Anthropic = sdkClientClass(moduleExports, 'Anthropic') as { Messages?: { prototype?: object } } | undefined;
  return [[Anthropic?.Messages?.prototype, messagesSpec]];
}

/**
 * OpenTelemetry instrumentation of `@anthropic-ai/sdk` (0.20 and later, up to 1.x) for
 * `registerInstrumentations` / the Node SDK: it patches `Messages.prototype.create` when the SDK is
 * `require`d, with the same per-method code and telemetry as {@link instrumentAnthropic}. For ES
 * modules and bundlers, pass the imported module to
 * {@link AnthropicInstrumentation.manuallyInstrument}.
 */
export class AnthropicInstrumentation extends StainlessInstrumentation<AnthropicInstrumentationConfig> {
  protected static override readonly sdk: StainlessModule = {
    instrumentationName: `${PACKAGE_NAME}/anthropic`,
    name: '@anthropic-ai/sdk',
    supportedVersions: ANTHROPIC_SUPPORTED_VERSIONS,
    targets,
  };
}
