import { InstrumentationBase, InstrumentationNodeModuleDefinition } from '@opentelemetry/instrumentation';
import type { InstrumentationConfig } from '@opentelemetry/instrumentation';
import type { MeterProvider, TracerProvider } from '@opentelemetry/api';
import { safely } from '../diag';
import { wrapOperation } from '../stainless';
import type { OperationSpec } from '../stainless';
import { LlmTelemetry } from '../telemetry';
import type { LlmInstrumentationOptions } from '../types';
import { PACKAGE_NAME, PACKAGE_VERSION } from '../version';
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
function targets(moduleExports: unknown): Array<[object, OperationSpec]> {
  const m = moduleExports as { OpenAI?: unknown; default?: unknown } | undefined;
  const OpenAI = (m?.OpenAI ?? m?.default ?? m) as
    | { Chat?: { Completions?: { prototype?: object } }; Responses?: { prototype?: object }; Embeddings?: { prototype?: object } }
    | undefined;
  const out: Array<[object, OperationSpec]> = [];
  const add = (proto: object | undefined, spec: OperationSpec): void => {
    if (proto && typeof (proto as { create?: unknown }).create === 'function') out.push([proto, spec]);
  };
  add(OpenAI?.Chat?.Completions?.prototype, chatCompletionsSpec);
  add(OpenAI?.Responses?.prototype, responsesSpec);
  add(OpenAI?.Embeddings?.prototype, embeddingsSpec);
  return out;
}

/**
 * OpenTelemetry instrumentation of the `openai` package (majors 4 to 7) for
 * `registerInstrumentations` / the Node SDK: it patches `Chat.Completions`, `Responses` and
 * `Embeddings` prototypes when `openai` is `require`d, with the same per-method code and telemetry
 * as {@link instrumentOpenAI}. For ES modules and bundlers, where the `require` hook does not see
 * the import, pass the imported module to {@link OpenAIInstrumentation.manuallyInstrument}.
 */
export class OpenAIInstrumentation extends InstrumentationBase<OpenAIInstrumentationConfig> {
  private _telemetry: LlmTelemetry | undefined;
  private _tracerProvider: TracerProvider | undefined;
  private _meterProvider: MeterProvider | undefined;

  /** Creates the instrumentation; it enables itself unless `config.enabled` is `false`. */
  constructor(config: OpenAIInstrumentationConfig = {}) {
    super(`${PACKAGE_NAME}/openai`, PACKAGE_VERSION, config);
  }

  /** @internal */
  protected init(): InstrumentationNodeModuleDefinition {
    return new InstrumentationNodeModuleDefinition(
      'openai',
      [...OPENAI_SUPPORTED_VERSIONS],
      (moduleExports: unknown) => {
        this._patch(moduleExports);
        return moduleExports;
      },
      (moduleExports: unknown) => this._unpatch(moduleExports),
    );
  }

  /** Patches an already imported `openai` module (ESM namespace or CommonJS exports). */
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
  override setConfig(config: OpenAIInstrumentationConfig = {}): void {
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
    for (const [proto, spec] of targets(moduleExports)) {
      safely(
        'openai could not be patched',
        () => this._wrap(proto as { create: (...a: any[]) => any }, 'create', (original) => wrapOperation(original, spec, this._source)),
        undefined,
      );
    }
  }

  private _unpatch(moduleExports: unknown): void {
    for (const [proto] of targets(moduleExports)) {
      safely('openai could not be unpatched', () => this._unwrap(proto as { create: unknown }, 'create'), undefined);
    }
  }
}
