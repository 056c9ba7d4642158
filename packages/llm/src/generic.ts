import { ProxyTracerProvider, context, createNoopMeter, metrics, trace } from '@opentelemetry/api';
import type { MeterProvider, TracerProvider } from '@opentelemetry/api';
import {
  ATTR_LLM_CALL_OUTCOME,
  CIRCUIT_BREAKER_STATE_VALUE_CLOSED,
  CIRCUIT_BREAKER_STATE_VALUE_HALF_OPEN,
  CIRCUIT_BREAKER_STATE_VALUE_ISOLATED,
  CIRCUIT_BREAKER_STATE_VALUE_OPEN,
  ERROR_TYPE_VALUE_OTHER,
  GEN_AI_OPERATION_NAME_VALUE_CHAT,
  LLM_CALL_OUTCOME_VALUE_ERROR,
  LLM_CALL_OUTCOME_VALUE_SUCCESS,
} from '@driftwatch/semconv';
import type { CircuitBreakerState } from '@driftwatch/semconv';
import { reportDrop, safely } from './diag';
import { MAX_FALLBACK_CHAIN } from './logical-call';
import { LlmTelemetry, setResilienceAttributes } from './telemetry';
import type { CallRecorder } from './telemetry';
import type { LlmInstrumentationOptions, LlmRequestInfo, LlmResponseInfo, LlmUsage } from './types';

/** Options of the generic API: the instrumentation options, or a prepared telemetry instance. */
export interface LlmCallOptions extends LlmInstrumentationOptions {
  /**
   * Instruments and settings made once with {@link createLlmTelemetry}. When given, the other
   * instrumentation options are ignored. The fastest way to call the generic API on a hot path.
   */
  telemetry?: LlmTelemetry;
}

/**
 * Creates the instruments and settings the generic API, decorators and adapters record with.
 * Create one per configuration at start-up and pass it as `telemetry`.
 *
 * @throws Error when a price override is invalid (negative, NaN or missing), naming the model and
 *   field: a configuration error, raised here rather than on a call.
 */
export function createLlmTelemetry(options: LlmInstrumentationOptions = {}): LlmTelemetry {
  return new LlmTelemetry(options);
}

// ---------------------------------------------------------------------------------------------
// Telemetry resolution: instruments are created once per (tracer provider, meter provider,
// settings), never per call.

const MAX_SETTINGS_PER_PROVIDERS = 16;
const byProviders = new WeakMap<TracerProvider, WeakMap<MeterProvider, Map<string, LlmTelemetry>>>();
const objectIds = new WeakMap<object, number>();
let nextObjectId = 1;

function idOf(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value !== 'object' && typeof value !== 'function') return String(value);
  let id = objectIds.get(value);
  if (id === undefined) {
    id = nextObjectId++;
    objectIds.set(value, id);
  }
  return `#${id}`;
}

function settingsKey(o: LlmInstrumentationOptions): string {
  return `${o.captureMessageContent === true ? 1 : 0}|${idOf(o.redact)}|${o.maxContentLength ?? ''}|${idOf(o.prices)}|${
    o.cost === false ? 0 : 1
  }|${o.requestStreamUsage === false ? 0 : 1}|${o.metricsVersion ?? ''}`;
}

/** The key of the default settings: no options and `{}` (or only providers) share one instance. */
const DEFAULT_SETTINGS_KEY = settingsKey({});

/**
 * The telemetry for `options`: `options.telemetry` when given, else a cached instance per
 * (tracer provider, meter provider, settings). Settings objects (`prices`, `redact`) are keyed by
 * identity, so reuse them rather than writing them inline per call. Never throws: invalid price
 * overrides given here are reported through `diag` and ignored.
 *
 * @internal
 */
export function resolveTelemetry(options?: LlmCallOptions): LlmTelemetry {
  if (options?.telemetry) return options.telemetry;
  try {
    return cachedTelemetry(options);
  } catch (err) {
    reportDrop('telemetry could not be created; the call is not recorded', err);
    return noopTelemetry();
  }
}

let noop: LlmTelemetry | undefined;

/** Telemetry that records nothing, for when the user's providers fail us. */
function noopTelemetry(): LlmTelemetry {
  noop ??= new LlmTelemetry({ tracerProvider: new ProxyTracerProvider(), meterProvider: { getMeter: () => createNoopMeter() } });
  return noop;
}

function cachedTelemetry(options: LlmCallOptions | undefined): LlmTelemetry {
  const tp = options?.tracerProvider ?? trace.getTracerProvider();
  const mp = options?.meterProvider ?? metrics.getMeterProvider();
  let byMeter = byProviders.get(tp);
  if (!byMeter) {
    byMeter = new WeakMap();
    byProviders.set(tp, byMeter);
  }
  let bySettings = byMeter.get(mp);
  if (!bySettings) {
    bySettings = new Map();
    byMeter.set(mp, bySettings);
  }
  const key = options ? settingsKey(options) : DEFAULT_SETTINGS_KEY;
  let t = bySettings.get(key);
  if (t) return t;
  try {
    t = new LlmTelemetry({ ...options, tracerProvider: tp, meterProvider: mp });
  } catch (err) {
    // Invalid price overrides: record without them. Anything else is the providers' failure.
    if (options?.prices === undefined) throw err;
    t = new LlmTelemetry({ ...options, prices: undefined, tracerProvider: tp, meterProvider: mp });
    reportDrop('invalid instrumentation options ignored', err);
  }
  if (bySettings.size >= MAX_SETTINGS_PER_PROVIDERS) {
    const oldest = bySettings.keys().next();
    if (!oldest.done) bySettings.delete(oldest.value);
  }
  bySettings.set(key, t);
  return t;
}

// ---------------------------------------------------------------------------------------------
// Shared helpers

/** Whether `v` is a native promise (or a subclass such as the OpenAI SDK's `APIPromise`). */
function isPromise(v: unknown): v is Promise<unknown> {
  return v instanceof Promise;
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return v !== null && (typeof v === 'object' || typeof v === 'function') && typeof (v as { then?: unknown }).then === 'function';
}

function recordOk(onOk: (value: unknown) => void, value: unknown): void {
  try {
    onOk(value);
  } catch (err) {
    reportDrop('telemetry could not record a result', err);
  }
}

function recordErr(onErr: (error: unknown) => void, error: unknown): void {
  try {
    onErr(error);
  } catch (err) {
    reportDrop('telemetry could not record a failure', err);
  }
}

/**
 * Runs `fn` and calls `onOk`/`onErr` when it settles, synchronously or asynchronously. The host's
 * value is returned as it is: a native promise (subclasses included) is returned unchanged, with
 * our handlers on a side chain; another thenable is adopted into a native promise, since calling
 * its `then` twice could run its work twice. A sync throw is re-thrown unchanged.
 *
 * @internal
 */
export function settle<T>(run: () => T, onOk: (value: unknown) => void, onErr: (error: unknown) => void): T {
  let result: T;
  try {
    result = run();
  } catch (err) {
    recordErr(onErr, err);
    throw err;
  }
  if (isPromise(result)) {
    result.then(
      (v) => recordOk(onOk, v),
      (e) => recordErr(onErr, e),
    );
    return result;
  }
  if (isThenable(result)) {
    return Promise.resolve(result).then(
      (v) => {
        recordOk(onOk, v);
        return v;
      },
      (e: unknown) => {
        recordErr(onErr, e);
        throw e;
      },
    ) as T;
  }
  recordOk(onOk, result);
  return result;
}

/**
 * Ends `call` as a success with the response details `extract` reads from the result; an
 * `extract` that throws is counted and the call still ends.
 *
 * @internal
 */
export function endCall<R>(
  call: CallRecorder,
  extract: ((result: R) => LlmResponseInfo | undefined) | undefined,
  result: R,
  endTime?: number,
): void {
  let info: LlmResponseInfo | undefined;
  if (extract) {
    try {
      info = extract(result);
    } catch (err) {
      reportDrop('response details could not be extracted', err);
    }
  }
  call.end(info, endTime);
}

function nonEmptyString(v: unknown): v is string {
  return typeof v === 'string' && v !== '';
}

/**
 * Checks the parts of a request every span and metric relies on. Returns the request itself when
 * it is valid (no allocation); otherwise a copy with the invalid fields replaced or removed, each
 * counted through `reportDrop`: a non-string or empty `provider` becomes `_OTHER`, a non-string
 * `operation` becomes `chat`, a non-string `model` is removed.
 *
 * @internal
 */
export function sanitizeRequest(req: LlmRequestInfo): LlmRequestInfo {
  if (req !== null && typeof req === 'object' && nonEmptyString(req.provider) && nonEmptyString(req.operation)) {
    if (req.model === undefined || typeof req.model === 'string') {
      if (req.metadata === undefined || isRecord(req.metadata)) return req;
    }
  }
  const src: Partial<LlmRequestInfo> = req !== null && typeof req === 'object' ? req : {};
  const out: LlmRequestInfo = { ...src, operation: src.operation as string, provider: src.provider as string };
  if (!nonEmptyString(out.provider)) {
    reportDrop('invalid provider replaced by _OTHER', out.provider);
    out.provider = ERROR_TYPE_VALUE_OTHER;
  }
  if (!nonEmptyString(out.operation)) {
    reportDrop('invalid operation replaced by chat', out.operation);
    out.operation = GEN_AI_OPERATION_NAME_VALUE_CHAT;
  }
  if (out.model !== undefined && typeof out.model !== 'string') {
    reportDrop('invalid model dropped', out.model);
    delete out.model;
  }
  if (out.metadata !== undefined && !isRecord(out.metadata)) {
    reportDrop('invalid metadata dropped');
    delete out.metadata;
  }
  return out;
}

function isRecord(v: unknown): v is Readonly<Record<string, unknown>> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

// ---------------------------------------------------------------------------------------------
// traceLlmCall

/** Options of {@link traceLlmCall}. */
export interface TraceLlmCallOptions<T> extends LlmCallOptions {
  /**
   * Reads usage and response details from the call's result when it succeeds (after `fn`'s own
   * `call.setResponse(...)`, whose values it overrides field by field). If it throws, the details
   * are dropped and counted; the result still reaches the caller.
   */
  extract?: (result: Awaited<T>) => LlmResponseInfo | undefined;
}

/**
 * Traces one call to any LLM provider or gateway: starts a CLIENT span `{operation} {model}`,
 * runs `fn` with the span active (so instrumented calls inside become its children), and ends the
 * span when `fn` returns or its promise settles. `fn` reports usage and response details with
 * `call.setResponse(...)` (or return them through `options.extract`).
 *
 * Inside {@link withLlmCall} the call is one attempt of the logical call. The host's errors are
 * recorded and re-thrown unchanged; a promise returned by `fn` is returned as it is.
 */
export function traceLlmCall<T>(
  request: LlmRequestInfo,
  fn: (call: CallRecorder) => T,
  options?: TraceLlmCallOptions<T>,
): T {
  const t = resolveTelemetry(options);
  const call = t.startCall(sanitizeRequest(request));
  const extract = options?.extract;
  return settle(
    () => context.with(call.context, fn, undefined, call),
    (value) => endCall(call, extract, value as Awaited<T>),
    (error) => call.fail(error),
  );
}

// ---------------------------------------------------------------------------------------------
// recordLlmCall

/**
 * One LLM call measured by the caller (a gateway log line, a queue message, a batch import).
 * Every field but `provider`, `model`, `latencyMs` and `success` is optional.
 */
export interface LlmCallRecord {
  /** The caller's id of the call (`llm.call.id`, spans only). */
  callId?: string;
  /** When the call started: a Date, epoch milliseconds or an ISO-8601 string. Default: now minus latency. */
  timestamp?: Date | number | string;
  /** Provider that served the call (`gen_ai.provider.name`). */
  provider: string;
  /** Model requested from that provider (`gen_ai.request.model`). */
  model: string;
  /** `gen_ai.operation.name`; default `chat`. */
  operation?: string;
  tier?: string;
  taskType?: string;
  inputTokens?: number;
  outputTokens?: number;
  cacheReadInputTokens?: number;
  cacheCreationInputTokens?: number;
  reasoningOutputTokens?: number;
  /** Cost the provider or gateway reported, in USD; wins over the price catalogue. */
  costUsd?: number;
  /** Duration of the call in milliseconds. */
  latencyMs: number;
  /** Whether a fallback provider or model served the call. */
  fallbackUsed?: boolean;
  /** `provider/model` entries tried, in order, the serving one last. */
  fallbackChain?: readonly string[];
  /** Provider originally asked for, when a fallback served the call. */
  originalProvider?: string;
  /** Model originally asked for, when a fallback served the call. */
  originalModel?: string;
  /** Retries the call needed (attempts minus one). */
  retryCount?: number;
  /** Circuit-breaker state seen by the call. */
  circuitBreakerState?: CircuitBreakerState;
  /** Whether a timeout ended the call. */
  timedOut?: boolean;
  success: boolean;
  /** Low-cardinality error class, e.g. `RateLimitError`; `_OTHER` when a failure names none. */
  errorType?: string;
  /** Error text; redacted and truncated before it is recorded. */
  errorMessage?: string;
  responseModel?: string;
  responseId?: string;
  finishReasons?: string[];
  serverAddress?: string;
  serverPort?: number;
  agentName?: string;
  conversationId?: string;
  /** Extra span attributes `llm.metadata.<key>` (bounded; never on metrics). */
  metadata?: Readonly<Record<string, unknown>>;
}

const CIRCUIT_STATES: ReadonlySet<unknown> = new Set<CircuitBreakerState>([
  CIRCUIT_BREAKER_STATE_VALUE_CLOSED,
  CIRCUIT_BREAKER_STATE_VALUE_OPEN,
  CIRCUIT_BREAKER_STATE_VALUE_HALF_OPEN,
  CIRCUIT_BREAKER_STATE_VALUE_ISOLATED,
]);

/** Whether `v` is a `resilience.circuit_breaker.state` value. @internal */
export function isCircuitBreakerState(v: unknown): v is CircuitBreakerState {
  return CIRCUIT_STATES.has(v);
}

const USAGE_FIELDS = ['inputTokens', 'outputTokens', 'cacheReadInputTokens', 'cacheCreationInputTokens', 'reasoningOutputTokens'] as const;

function optString(rec: Record<string, unknown>, key: string): string | undefined {
  const v = rec[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  reportDrop(`invalid record field ${key} dropped`, v);
  return undefined;
}

function optCount(rec: Record<string, unknown>, key: string): number | undefined {
  const v = rec[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return v;
  reportDrop(`invalid record field ${key} dropped`, v);
  return undefined;
}

function optBoolean(rec: Record<string, unknown>, key: string): boolean | undefined {
  const v = rec[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'boolean') return v;
  reportDrop(`invalid record field ${key} dropped`, v);
  return undefined;
}

function startTimeOf(ts: unknown, latencyMs: number): number {
  const now = Date.now();
  if (ts === undefined || ts === null) return now - latencyMs;
  const ms = ts instanceof Date ? ts.getTime() : typeof ts === 'number' ? ts : typeof ts === 'string' ? Date.parse(ts) : NaN;
  if (Number.isFinite(ms) && ms >= 0) return ms;
  reportDrop('invalid record field timestamp dropped', ts);
  return now - latencyMs;
}

/**
 * Records a call the caller measured itself: one CLIENT span starting at `timestamp` and ending
 * `latencyMs` later, with the GenAI, cost and resilience attributes, and the same metrics as a
 * traced call (duration, tokens, `llm.calls`, cost, `llm.retries`, `llm.fallbacks`).
 *
 * Never throws. Invalid fields are dropped and counted (`getDropCounts()`), and the rest is
 * recorded: NaN or negative numbers are removed; a missing or non-string `provider` is recorded as
 * `_OTHER`; a missing `model` leaves the span named by the operation alone and the cost unknown; a
 * non-boolean `success` is derived from whether an `errorType` or `errorMessage` is present.
 * The span's parent is the active span (a call recorded inside {@link withLlmCall} is one of its
 * attempts).
 */
export function recordLlmCall(record: LlmCallRecord, options?: LlmCallOptions): void {
  safely('call record could not be recorded', () => record_(record, options), undefined);
}

function record_(record: LlmCallRecord, options: LlmCallOptions | undefined): void {
  if (record === null || typeof record !== 'object') {
    reportDrop('invalid call record dropped', record);
    return;
  }
  const rec = record as unknown as Record<string, unknown>;
  const t = resolveTelemetry(options);

  let provider = rec.provider;
  if (!nonEmptyString(provider)) {
    reportDrop('invalid record field provider replaced by _OTHER', provider);
    provider = ERROR_TYPE_VALUE_OTHER;
  }
  const model = rec.model;
  const validModel = nonEmptyString(model) ? model : undefined;
  if (validModel === undefined) reportDrop('invalid record field model dropped', model);
  const operation = optString(rec, 'operation') || GEN_AI_OPERATION_NAME_VALUE_CHAT;

  let latencyMs = optCount(rec, 'latencyMs');
  if (latencyMs === undefined) {
    if (rec.latencyMs === undefined) reportDrop('invalid record field latencyMs dropped', undefined);
    latencyMs = 0;
  }
  const start = startTimeOf(rec.timestamp, latencyMs);

  let metadata: Readonly<Record<string, unknown>> | undefined;
  if (rec.metadata !== undefined && rec.metadata !== null) {
    if (isRecord(rec.metadata)) metadata = rec.metadata;
    else reportDrop('invalid record field metadata dropped', rec.metadata);
  }
  const port = optCount(rec, 'serverPort');
  const req: LlmRequestInfo = {
    operation,
    provider: provider as string,
    model: validModel,
    callId: optString(rec, 'callId'),
    tier: optString(rec, 'tier'),
    taskType: optString(rec, 'taskType'),
    serverAddress: optString(rec, 'serverAddress'),
    serverPort: port === undefined ? undefined : Math.round(port),
    agentName: optString(rec, 'agentName'),
    conversationId: optString(rec, 'conversationId'),
    metadata,
  };

  // Token counts go through the recorder's own validation (NaN/negative dropped and counted).
  const usage: LlmUsage = {};
  let hasUsage = false;
  for (const key of USAGE_FIELDS) {
    const v = rec[key];
    if (v !== undefined && v !== null) {
      (usage as Record<string, unknown>)[key] = v;
      hasUsage = true;
    }
  }
  const response: LlmResponseInfo = {};
  if (hasUsage) response.usage = usage;
  const responseModel = optString(rec, 'responseModel');
  if (responseModel) response.responseModel = responseModel;
  const responseId = optString(rec, 'responseId');
  if (responseId) response.responseId = responseId;
  if (rec.finishReasons !== undefined && rec.finishReasons !== null) {
    if (Array.isArray(rec.finishReasons)) response.finishReasons = rec.finishReasons.filter((r): r is string => typeof r === 'string');
    else reportDrop('invalid record field finishReasons dropped', rec.finishReasons);
  }
  const cost = optCount(rec, 'costUsd');
  if (cost !== undefined) response.reportedCostUsd = cost;

  const errorType = optString(rec, 'errorType');
  const errorMessage = optString(rec, 'errorMessage');
  let success = optBoolean(rec, 'success');
  if (success === undefined) success = errorType === undefined && errorMessage === undefined;

  const retryCount = optCount(rec, 'retryCount');
  const fallbackUsed = optBoolean(rec, 'fallbackUsed');
  const timedOut = optBoolean(rec, 'timedOut');
  const originalProvider = optString(rec, 'originalProvider');
  const originalModel = optString(rec, 'originalModel');
  let chain: string[] | undefined;
  if (rec.fallbackChain !== undefined && rec.fallbackChain !== null) {
    if (Array.isArray(rec.fallbackChain)) {
      chain = rec.fallbackChain.filter((c): c is string => typeof c === 'string').slice(0, MAX_FALLBACK_CHAIN);
      if (chain.length !== rec.fallbackChain.length) reportDrop('invalid record field fallbackChain entries dropped');
    } else {
      reportDrop('invalid record field fallbackChain dropped', rec.fallbackChain);
    }
  }
  let circuit: CircuitBreakerState | undefined;
  if (rec.circuitBreakerState !== undefined && rec.circuitBreakerState !== null) {
    if (isCircuitBreakerState(rec.circuitBreakerState)) {
      circuit = rec.circuitBreakerState;
    } else {
      reportDrop('invalid record field circuitBreakerState dropped', rec.circuitBreakerState);
    }
  }

  const call = t.startCall(req, context.active(), undefined, start);
  const span = call.span;
  if (span.isRecording()) {
    span.setAttribute(ATTR_LLM_CALL_OUTCOME, success ? LLM_CALL_OUTCOME_VALUE_SUCCESS : LLM_CALL_OUTCOME_VALUE_ERROR);
    setResilienceAttributes(span, {
      retryCount: retryCount === undefined ? undefined : Math.round(retryCount),
      fallbackUsed,
      chain,
      fromProvider: originalProvider,
      fromModel: originalModel,
      circuitState: circuit,
      timedOut,
    });
  }
  const end = start + latencyMs;
  if (success) call.end(response, end);
  else {
    call.setResponse(response);
    call.fail(errorMessage, errorType || ERROR_TYPE_VALUE_OTHER, end);
  }
  // Resilience counters are keyed by what was asked for first, as for a logical call.
  const asked: LlmRequestInfo =
    fallbackUsed && (originalProvider || originalModel)
      ? { operation, provider: originalProvider ?? req.provider, model: originalModel ?? req.model }
      : req;
  t._recordResilience(asked, retryCount === undefined ? 0 : Math.round(retryCount), fallbackUsed === true);
}
