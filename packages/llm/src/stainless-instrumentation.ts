/**
 * The `InstrumentationBase` side shared by the OpenAI and Anthropic instrumentations: the `require`
 * hook and {@link StainlessInstrumentation.manuallyInstrument} patch the `create` method of a
 * Stainless SDK's resource prototypes with {@link wrapOperation}, and the telemetry is built from
 * the configuration and providers the instrumentation is given, rebuilt whenever they change.
 *
 * @internal
 */
import { InstrumentationBase, InstrumentationNodeModuleDefinition } from '@opentelemetry/instrumentation';
import type { InstrumentationConfig } from '@opentelemetry/instrumentation';
import type { MeterProvider, TracerProvider } from '@opentelemetry/api';
import { safely } from './diag';
import { wrapOperation } from './stainless';
import type { OperationSpec } from './stainless';
import { LlmTelemetry } from './telemetry';
import type { LlmInstrumentationOptions } from './types';
import { PACKAGE_VERSION } from './version';

/** What a Stainless SDK instrumentation is configured with: the instrumentation switch plus the shared options. */
export type StainlessInstrumentationConfig = InstrumentationConfig & Omit<LlmInstrumentationOptions, 'tracerProvider' | 'meterProvider'>;

/** A resource prototype whose `create` is patched. */
type CreateResource = { create: (...a: any[]) => any };

/**
 * Resource prototypes found in a module's exports, each with the spec of its `create` method; a
 * missing prototype, or one without a `create` function, is skipped.
 */
export type StainlessTargets = ReadonlyArray<readonly [object | undefined, OperationSpec]>;

/** The SDK package an instrumentation patches, and the name the instrumentation reports. */
export interface StainlessModule {
  /** The instrumentation's name (its tracer and meter scope). */
  readonly instrumentationName: string;
  /** The package name the `require` hook matches (e.g. `openai`). */
  readonly name: string;
  /** The package versions whose prototypes and runtime shapes are supported. */
  readonly supportedVersions: readonly string[];
  /** The prototypes to patch in the module's exports (CJS `require`, or an ESM namespace). */
  targets(moduleExports: unknown): StainlessTargets;
}

/**
 * The client class in a Stainless SDK module's exports: the named export `name`, else the default
 * export, else the exports themselves.
 */
export function sdkClientClass(moduleExports: unknown, name: string): unknown {
  const m = moduleExports as Record<string, unknown> | undefined;
  return m?.[name] ?? m?.default ?? m;
}

function patchTargets(sdk: StainlessModule, moduleExports: unknown): Array<[CreateResource, OperationSpec]> {
  const out: Array<[CreateResource, OperationSpec]> = [];
  for (const [proto, spec] of sdk.targets(moduleExports)) {
    if (proto && typeof (proto as { create?: unknown }).create === 'function') out.push([proto as CreateResource, spec]);
  }
  return out;
}

/**
 * An OpenTelemetry instrumentation of one Stainless SDK package for `registerInstrumentations` /
 * the Node SDK. A subclass only sets {@link StainlessInstrumentation.sdk}: the package, its
 * supported versions and the prototypes to patch; everything else is the same for every SDK.
 */
export abstract class StainlessInstrumentation<C extends StainlessInstrumentationConfig> extends InstrumentationBase<C> {
  private _telemetry: LlmTelemetry | undefined;
  private _tracerProvider: TracerProvider | undefined;
  private _meterProvider: MeterProvider | undefined;

  /**
   * The SDK package a subclass patches. A static, because the `InstrumentationBase` constructor
   * already needs it (through `init`), before any instance field is set.
   */
  declare protected static readonly sdk: StainlessModule;

  /** Creates the instrumentation; it enables itself unless `config.enabled` is `false`. */
  constructor(config: C = {} as C) {
    super(new.target.sdk.instrumentationName, PACKAGE_VERSION, config);
  }

  private get _sdk(): StainlessModule {
    return (this.constructor as typeof StainlessInstrumentation).sdk;
  }

  /** @internal */
  protected init(): InstrumentationNodeModuleDefinition {
    const sdk = this._sdk;
    return new InstrumentationNodeModuleDefinition(
      sdk.name,
      [...sdk.supportedVersions],
      (moduleExports: unknown) => {
        this._patch(moduleExports);
        return moduleExports;
      },
      (moduleExports: unknown) => this._unpatch(moduleExports),
    );
  }

  /** Patches an already imported SDK module (ESM namespace or CommonJS exports). */
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
  override setConfig(config: C = {} as C): void {
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
    const sdk = this._sdk;
    for (const [proto, spec] of patchTargets(sdk, moduleExports)) {
      safely(
        `${sdk.name} could not be patched`,
        () => this._wrap(proto, 'create', (original) => wrapOperation(original, spec, this._source)),
        undefined,
      );
    }
  }

  private _unpatch(moduleExports: unknown): void {
    const sdk = this._sdk;
    for (const [proto] of patchTargets(sdk, moduleExports)) {
      safely(`${sdk.name} could not be unpatched`, () => this._unwrap(proto, 'create'), undefined);
    }
  }
}
