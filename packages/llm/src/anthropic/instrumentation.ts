import { InstrumentationBase, InstrumentationNodeModuleDefinition } from '@opentelemetry/instrumentation';
import type { InstrumentationConfig } from '@opentelemetry/instrumentation';
import type { MeterProvider, TracerProvider } from '@opentelemetry/api';
import { safely } from '../diag';
import { wrapOperation } from '../stainless';
import { LlmTelemetry } from '../telemetry';
import type { LlmInstrumentationOptions } from '../types';
import { PACKAGE_NAME, PACKAGE_VERSION } from '../version';
import { messagesSpec } from './messages';

/** Configuration of {@link AnthropicInstrumentation}: the instrumentation switch plus the shared options. */
export interface AnthropicInstrumentationConfig
  extends InstrumentationConfig,
    Omit<LlmInstrumentationOptions, 'tracerProvider' | 'meterProvider'> {}

/** `@anthropic-ai/sdk` versions whose prototypes and runtime shapes this instrumentation supports. */
export const ANTHROPIC_SUPPORTED_VERSIONS: readonly string[] = ['>=0.20.0 <2'];

/** `Messages.prototype` in an `@anthropic-ai/sdk` module's exports (CJS `require`, or an ESM namespace). */
function messagesPrototype(moduleExports: unknown): { create: (...a: any[]) => any } | undefined {
  const m = moduleExports as { Anthropic?: unknown; default?: unknown } | undefined;
  const Anthropic = (m?.Anthropic ?? m?.default ?? m) as { Messages?: { prototype?: { create?: unknown } } } | undefined;
  const proto = Anthropic?.Messages?.prototype;
  return proto && typeof proto.create === 'function' ? (proto as { create: (...a: any[]) => any }) : undefined;
}

/**
 * OpenTelemetry instrumentation of `@anthropic-ai/sdk` (0.20 and later, up to 1.x) for
 * `registerInstrumentations` / the Node SDK: it patches `Messages.prototype.create` when the SDK is
 * `require`d, with the same per-method code and telemetry as {@link instrumentAnthropic}. For ES
 * modules and bundlers, pass the imported module to
 * {@link AnthropicInstrumentation.manuallyInstrument}.
 */
export class AnthropicInstrumentation extends InstrumentationBase<AnthropicInstrumentationConfig> {
  private _telemetry: LlmTelemetry | undefined;
  private _tracerProvider: TracerProvider | undefined;
  private _meterProvider: MeterProvider | undefined;

  /** Creates the instrumentation; it enables itself unless `config.enabled` is `false`. */
  constructor(config: AnthropicInstrumentationConfig = {}) {
    super(`${PACKAGE_NAME}/anthropic`, PACKAGE_VERSION, config);
  }

  /** @internal */
  protected init(): InstrumentationNodeModuleDefinition {
    return new InstrumentationNodeModuleDefinition(
      '@anthropic-ai/sdk',
      [...ANTHROPIC_SUPPORTED_VERSIONS],
      (moduleExports: unknown) => {
        this._patch(moduleExports);
        return moduleExports;
      },
      (moduleExports: unknown) => this._unpatch(moduleExports),
    );
  }

  /** Patches an already imported `@anthropic-ai/sdk` module (ESM namespace or CommonJS exports). */
  manuallyInstrument(moduleExports: unknown): void {
    this._patch(moduleExports);
  }

  /** Sets the tracer provider (called by `registerInstrumentations`). */
  override setTracerProvider(tracerProvider: TracerProvider): void {
    super.setTracerProvider(tracerProvider);
    this._tracerProvider = tracerProvider;
    this._telemetry = undefined;
  }

  /** Sets the meter provider (called by `registerInstrumentations`). */
  override setMeterProvider(meterProvider: MeterProvider): void {
    super.setMeterProvider(meterProvider);
    this._meterProvider = meterProvider;
    this._telemetry = undefined;
  }

  /** Replaces the configuration; telemetry is rebuilt on the next call. */
  override setConfig(config: AnthropicInstrumentationConfig = {}): void {
    super.setConfig(config);
    this._telemetry = undefined;
  }

  private readonly _source = (): LlmTelemetry | undefined => {
    if (!this.isEnabled()) return undefined;
    this._telemetry ??= new LlmTelemetry({
      ...this.getConfig(),
      tracerProvider: this._tracerProvider,
      meterProvider: this._meterProvider,
    });
    return this._telemetry;
  };

  private _patch(moduleExports: unknown): void {
    const proto = messagesPrototype(moduleExports);
    if (!proto) return;
    safely(
      '@anthropic-ai/sdk could not be patched',
      () => this._wrap(proto, 'create', (original) => wrapOperation(original, messagesSpec, this._source)),
      undefined,
    );
  }

  private _unpatch(moduleExports: unknown): void {
    const proto = messagesPrototype(moduleExports);
    if (proto) safely('@anthropic-ai/sdk could not be unpatched', () => this._unwrap(proto, 'create'), undefined);
  }
}
