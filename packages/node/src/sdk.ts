import { DiagConsoleLogger, ProxyTracerProvider, context, diag, metrics, propagation, trace } from '@opentelemetry/api';
import { logs } from '@opentelemetry/api-logs';
import { HostMetrics } from '@opentelemetry/host-metrics';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { RuntimeNodeInstrumentation } from '@opentelemetry/instrumentation-runtime-node';
import type { Resource } from '@opentelemetry/resources';
import {
  BatchLogRecordProcessor,
  ConsoleLogRecordExporter,
  LoggerProvider,
  SimpleLogRecordProcessor,
} from '@opentelemetry/sdk-logs';
import type { LogRecordProcessor } from '@opentelemetry/sdk-logs';
import { ConsoleMetricExporter, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import type { IMetricReader } from '@opentelemetry/sdk-metrics';
import { AlwaysOffSampler, BatchSpanProcessor, ConsoleSpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { DriftwatchProcessor, getGlobalProcessor, setGlobalProcessor } from '@driftwatch/processor';
import { existsSync } from 'node:fs';
import { resolveConfig } from './config';
import { DriftwatchConfigError } from './errors';
import { logger } from './diag';
import { createOtlpLogExporter, createOtlpMetricExporter, createOtlpSpanExporter } from './exporters';
import { defaultInstrumentations } from './instrumentations';
import { installProcessHooks, settleWithin } from './process';
import { createPrometheusEndpoint } from './prometheus';
import type { PrometheusEndpoint } from './prometheus';
import { buildResource } from './resource';
import { createSampler } from './sampler';
import { CountingLogRecordExporter, CountingMetricExporter, CountingSpanExporter, ExportStatsRecorder } from './stats';
import type { ExportStats } from './stats';
import type { RegisterOptions, ResolvedConfig } from './types';
import { PACKAGE_NAME, PACKAGE_VERSION } from './version';

/** What `register()` returns: the SDK it built and the controls over it. */
export interface DriftwatchHandle {
  /** False when the SDK is disabled (`OTEL_SDK_DISABLED=true` / `disabled: true`): nothing is exported or registered globally. */
  readonly enabled: boolean;
  /** The settings in force after options, environment and defaults were merged. */
  readonly config: ResolvedConfig;
  readonly resource: Resource;
  readonly tracerProvider: NodeTracerProvider;
  readonly meterProvider: MeterProvider;
  readonly loggerProvider: LoggerProvider;
  /** The Prometheus scrape endpoint, when the `prometheus` metrics exporter is on. */
  readonly prometheus: PrometheusEndpoint | undefined;
  /** The Driftwatch processor deriving the `driftwatch.*` series (undefined when turned off). */
  readonly processor: DriftwatchProcessor | undefined;
  /** Export outcomes per signal, counted from the exporters' result codes. */
  stats(): ExportStats;
  /**
   * Exports everything buffered. Resolves when done or after `timeoutMillis` (default: the
   * shutdown timeout), whichever is first; never rejects (failures are counted and logged).
   */
  forceFlush(options?: { timeoutMillis?: number }): Promise<void>;
  /**
   * Flushes and stops every provider, reader and server, removes the process hooks, unloads the
   * instrumentations and unregisters the globals this handle set. Bounded by the shutdown timeout;
   * idempotent; never rejects.
   */
  shutdown(): Promise<void>;
}

const HANDLE_KEY = Symbol.for('@driftwatch/node.handle');
type GlobalWithHandle = typeof globalThis & { [HANDLE_KEY]?: DriftwatchHandle };

/** The handle of the SDK `register()` (or the `--import` entry) started in this process, if it is still running. */
export function getActiveHandle(): DriftwatchHandle | undefined {
  return (globalThis as GlobalWithHandle)[HANDLE_KEY];
}

/**
 * Builds and starts the OpenTelemetry SDK 2.x for this process: a `NodeTracerProvider`
 * (AsyncLocalStorage context manager, W3C trace-context + baggage propagators), a
 * `MeterProvider` and a `LoggerProvider`, registered as the globals, with the exporters,
 * sampler and resource taken from `options`, then the standard `OTEL_*` variables, then defaults.
 * Also starts host and runtime metrics, the `@driftwatch/llm` instrumentations and the
 * process-exit hooks.
 *
 * Throws `DriftwatchConfigError` when an option or variable is unusable. While a handle is
 * active, a further call returns that handle (with a warning) instead of building a second SDK.
 */
export function register(options: RegisterOptions = {}): DriftwatchHandle {
  const config = resolveConfig(options);
  const processorState = processorStateOption(options.processorState);
  if (config.logLevel !== undefined) {
    diag.setLogger(new DiagConsoleLogger(), { logLevel: config.logLevel, suppressOverrideMessage: true });
  }
  const existing = getActiveHandle();
  if (existing) {
    logger.warn('register() was called while an SDK is already running; returning its handle (call shutdown() on it first to start another)');
    return existing;
  }
  if (config.disabled) return disabledHandle(config, options);

  const recorder = new ExportStatsRecorder();
  const resource = buildResource(config, options.resource);

  // The processor derives its series from every recorded span, before any exporter sees it.
  const processor = config.processor ? new DriftwatchProcessor(typeof options.processor === 'object' ? options.processor : {}) : undefined;
  const metricProducers = processor ? [processor.metricProducer] : [];

  // Traces
  const spanProcessors: SpanProcessor[] = [...(processor ? [processor] : []), ...(options.spanProcessors ?? [])];
  for (const name of config.traces.exporters) {
    if (name === 'otlp') {
      const exporter = new CountingSpanExporter(createOtlpSpanExporter(config.traces.otlp), recorder, name);
      spanProcessors.push(new BatchSpanProcessor(exporter, { ...config.traces.batch }));
    } else if (name === 'console') {
      spanProcessors.push(new SimpleSpanProcessor(new CountingSpanExporter(new ConsoleSpanExporter(), recorder, name)));
    }
  }
  const tracerProvider = new NodeTracerProvider({ resource, sampler: createSampler(config.sampler), spanProcessors });

  // Metrics
  const readers: IMetricReader[] = [];
  let prometheus: (PrometheusEndpoint & { close(): Promise<void> }) | undefined;
  for (const name of config.metrics.exporters) {
    if (name === 'otlp' || name === 'console') {
      const inner = name === 'otlp' ? createOtlpMetricExporter(config.metrics.otlp) : new ConsoleMetricExporter();
      readers.push(
        new PeriodicExportingMetricReader({
          exporter: new CountingMetricExporter(inner, recorder, name),
          exportIntervalMillis: config.metrics.exportIntervalMillis,
          exportTimeoutMillis: config.metrics.exportTimeoutMillis,
          metricProducers,
        }),
      );
    } else if (name === 'prometheus') {
      prometheus = createPrometheusEndpoint(config.metrics.prometheus, metricProducers);
      readers.push(prometheus.exporter);
    }
  }
  readers.push(...(options.metricReaders ?? []));
  if (processor) readers.push(processor.metricReader);
  const meterProvider = new MeterProvider({ resource, readers, views: options.views ?? [] });

  // Logs
  const logProcessors: LogRecordProcessor[] = [...(options.logRecordProcessors ?? [])];
  for (const name of config.logs.exporters) {
    if (name === 'otlp') {
      const exporter = new CountingLogRecordExporter(createOtlpLogExporter(config.logs.otlp), recorder, name);
      logProcessors.push(new BatchLogRecordProcessor({ exporter, ...config.logs.batch }));
    } else if (name === 'console') {
      logProcessors.push(new SimpleLogRecordProcessor({ exporter: new CountingLogRecordExporter(new ConsoleLogRecordExporter(), recorder, name) }));
    }
  }
  const loggerProvider = new LoggerProvider({ resource, processors: logProcessors });

  // Globals: AsyncLocalStorage context manager and W3C propagators come with NodeTracerProvider.register().
  tracerProvider.register();
  metrics.setGlobalMeterProvider(meterProvider);
  logs.setGlobalLoggerProvider(loggerProvider);

  recorder.observe(meterProvider.getMeter(PACKAGE_NAME, PACKAGE_VERSION));
  if (config.hostMetrics) {
    try {
      new HostMetrics({ meterProvider }).start();
    } catch (err) {
      logger.warn('host metrics could not be started', err instanceof Error ? err.message : err);
    }
  }

  const defaults = defaultInstrumentations({ llm: { ...options.llm, captureMessageContent: config.captureMessageContent } });
  const instrumentations: Instrumentation[] =
    typeof options.instrumentations === 'function' ? options.instrumentations(defaults) : [...defaults, ...(options.instrumentations ?? [])];
  if (config.runtimeMetrics) instrumentations.push(new RuntimeNodeInstrumentation({ enabled: false }));
  const unloadInstrumentations = registerInstrumentations({ instrumentations, tracerProvider, meterProvider, loggerProvider });

  let uninstallHooks: (() => void) | undefined;
  let shutdownPromise: Promise<boolean> | undefined;
  const stopState = processor && processorState ? persistProcessorState(processor, processorState) : undefined;

  const forceFlush = async (opts?: { timeoutMillis?: number }): Promise<void> => {
    await settleWithin(
      Promise.allSettled([tracerProvider.forceFlush(), meterProvider.forceFlush(), loggerProvider.forceFlush()]).then((results) => {
        for (const r of results) if (r.status === 'rejected') logger.debug('flush:', r.reason instanceof Error ? r.reason.message : r.reason);
      }),
      opts?.timeoutMillis ?? config.shutdownTimeoutMillis,
      'forceFlush',
    );
  };

  const handle: DriftwatchHandle = {
    enabled: true,
    config,
    resource,
    tracerProvider,
    meterProvider,
    loggerProvider,
    prometheus: prometheus ? { exporter: prometheus.exporter, ready: prometheus.ready } : undefined,
    processor,
    stats: () => recorder.snapshot(),
    forceFlush,
    shutdown: () => shutdown().then(() => undefined),
  };

  /** Resolves false if the providers did not finish within the shutdown timeout. */
  function shutdown(): Promise<boolean> {
    shutdownPromise ??= (async () => {
      uninstallHooks?.();
      await stopState?.().catch((err: unknown) => logger.warn('processor state could not be saved', err instanceof Error ? err.message : err));
      try {
        unloadInstrumentations();
      } catch (err) {
        logger.debug('instrumentations could not be unloaded', err instanceof Error ? err.message : err);
      }
      const done = await settleWithin(
        Promise.allSettled([
          tracerProvider.shutdown(),
          meterProvider.shutdown(),
          loggerProvider.shutdown(),
          prometheus ? prometheus.close() : Promise.resolve(),
        ]).then((results) => {
          for (const r of results) if (r.status === 'rejected') logger.debug('shutdown:', r.reason instanceof Error ? r.reason.message : r.reason);
        }),
        config.shutdownTimeoutMillis,
        'shutdown',
      );
      unregisterGlobals(tracerProvider, meterProvider, loggerProvider);
      const g = globalThis as GlobalWithHandle;
      if (g[HANDLE_KEY] === handle) delete g[HANDLE_KEY];
      if (processor && getGlobalProcessor() === processor) setGlobalProcessor(undefined);
      return done;
    })();
    return shutdownPromise;
  }

  if (config.handleSignals) {
    uninstallHooks = installProcessHooks({ timeoutMillis: config.shutdownTimeoutMillis, flush: forceFlush, shutdown });
  }
  (globalThis as GlobalWithHandle)[HANDLE_KEY] = handle;
  if (processor) setGlobalProcessor(processor);
  logger.debug(
    `started: traces=${config.traces.exporters.join(',')} metrics=${config.metrics.exporters.join(',')} logs=${config.logs.exporters.join(',')}`,
  );
  return handle;
}

/** Validates `options.processorState` (before anything is built). */
function processorStateOption(state: RegisterOptions['processorState']): { path: string; intervalMs: number } | undefined {
  if (state === undefined) return undefined;
  if (state === null || typeof state !== 'object' || typeof state.path !== 'string' || state.path === '') {
    throw new DriftwatchConfigError('options.processorState', state, 'expected { path: string, intervalMs?: number }');
  }
  const intervalMs = state.intervalMs ?? 60_000;
  if (!Number.isInteger(intervalMs) || intervalMs < 1000) {
    throw new DriftwatchConfigError('options.processorState.intervalMs', intervalMs, 'expected an integer of at least 1000 (ms)');
  }
  return { path: state.path, intervalMs };
}

/**
 * Restores the processor's windows from `state.path` when the file exists, then saves them every
 * `intervalMs` (an `unref()`ed timer). Returns the function that stops the timer and saves once more.
 */
function persistProcessorState(processor: DriftwatchProcessor, state: { path: string; intervalMs: number }): () => Promise<void> {
  const intervalMs = state.intervalMs;
  let restoring: Promise<unknown> = Promise.resolve();
  if (existsSync(state.path)) {
    restoring = processor.restoreState(state.path).then(
      (n) => logger.debug(`processor: restored ${n} series from ${state.path}`),
      (err: unknown) => logger.warn(`processor state ${state.path} could not be restored`, err instanceof Error ? err.message : err),
    );
  }
  const save = (): Promise<void> => restoring.then(() => processor.saveState(state.path));
  const timer = setInterval(() => {
    save().catch((err: unknown) => logger.warn('processor state could not be saved', err instanceof Error ? err.message : err));
  }, intervalMs);
  timer.unref();
  return () => {
    clearInterval(timer);
    return save();
  };
}

/** Removes the globals if they are still the ones this handle registered. */
function unregisterGlobals(tp: NodeTracerProvider, mp: MeterProvider, lp: LoggerProvider): void {
  const globalTp = trace.getTracerProvider();
  if (globalTp === tp || (globalTp instanceof ProxyTracerProvider && globalTp.getDelegate() === tp)) {
    trace.disable();
    context.disable();
    propagation.disable();
  }
  if (metrics.getMeterProvider() === mp) metrics.disable();
  if (logs.getLoggerProvider() === lp) logs.disable();
}

/** The SDK-disabled handle: providers that record nothing, registered nowhere. */
function disabledHandle(config: ResolvedConfig, options: RegisterOptions): DriftwatchHandle {
  const resource = buildResource({ ...config, resourceDetectors: [] }, options.resource);
  const tracerProvider = new NodeTracerProvider({ resource, sampler: new AlwaysOffSampler() });
  const meterProvider = new MeterProvider({ resource });
  const loggerProvider = new LoggerProvider({ resource });
  const recorder = new ExportStatsRecorder();
  let shutdownPromise: Promise<void> | undefined;
  return {
    enabled: false,
    config,
    resource,
    tracerProvider,
    meterProvider,
    loggerProvider,
    prometheus: undefined,
    processor: undefined,
    stats: () => recorder.snapshot(),
    forceFlush: () => Promise.resolve(),
    shutdown: () => {
      shutdownPromise ??= Promise.allSettled([tracerProvider.shutdown(), meterProvider.shutdown(), loggerProvider.shutdown()]).then(
        () => undefined,
      );
      return shutdownPromise;
    },
  };
}
