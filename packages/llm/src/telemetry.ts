import { INVALID_SPAN_CONTEXT, SpanKind, SpanStatusCode, context, metrics, trace } from '@opentelemetry/api';
import type {
  Attributes,
  Context,
  Counter,
  Histogram,
  Meter,
  MetricOptions,
  Span,
  Tracer,
} from '@opentelemetry/api';
import {
  ATTR_ERROR_MESSAGE,
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_AGENT_NAME,
  ATTR_GEN_AI_CONVERSATION_ID,
  ATTR_GEN_AI_EMBEDDINGS_DIMENSION_COUNT,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_REQUEST_CHOICE_COUNT,
  ATTR_GEN_AI_REQUEST_FREQUENCY_PENALTY,
  ATTR_GEN_AI_REQUEST_MAX_TOKENS,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_GEN_AI_REQUEST_PRESENCE_PENALTY,
  ATTR_GEN_AI_REQUEST_SEED,
  ATTR_GEN_AI_REQUEST_STOP_SEQUENCES,
  ATTR_GEN_AI_REQUEST_STREAM,
  ATTR_GEN_AI_REQUEST_TEMPERATURE,
  ATTR_GEN_AI_REQUEST_TOP_K,
  ATTR_GEN_AI_REQUEST_TOP_P,
  ATTR_GEN_AI_RESPONSE_FINISH_REASONS,
  ATTR_GEN_AI_RESPONSE_ID,
  ATTR_GEN_AI_RESPONSE_MODEL,
  ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK,
  ATTR_GEN_AI_TOKEN_TYPE,
  ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_OUTPUT_TOKENS,
  ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS,
  ATTR_LLM_CALL_ID,
  ATTR_LLM_CALL_OUTCOME,
  ATTR_LLM_COST_COMPLETION,
  ATTR_LLM_COST_PROMPT,
  ATTR_LLM_COST_PROMPT_CACHE_READ,
  ATTR_LLM_COST_PROMPT_CACHE_WRITE,
  ATTR_LLM_COST_SOURCE,
  ATTR_LLM_COST_TOTAL,
  ATTR_LLM_COST_UNKNOWN,
  ATTR_LLM_METADATA_PREFIX,
  ATTR_LLM_TASK_TYPE,
  ATTR_LLM_TIER,
  ATTR_OTEL_METRIC_OVERFLOW,
  ATTR_RESILIENCE_ATTEMPT,
  ATTR_RESILIENCE_CIRCUIT_BREAKER_STATE,
  ATTR_RESILIENCE_FALLBACK_CHAIN,
  ATTR_RESILIENCE_FALLBACK_FROM_MODEL,
  ATTR_RESILIENCE_FALLBACK_FROM_PROVIDER,
  ATTR_RESILIENCE_FALLBACK_USED,
  ATTR_RESILIENCE_RETRY_COUNT,
  ATTR_RESILIENCE_RETRY_DELAY,
  ATTR_RESILIENCE_TIMEOUT,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  DEF_GEN_AI_CLIENT_INFERENCE_USAGE_INPUT_TOKENS,
  DEF_GEN_AI_CLIENT_INFERENCE_USAGE_OUTPUT_TOKENS,
  DEF_GEN_AI_CLIENT_OPERATION_DURATION,
  DEF_GEN_AI_CLIENT_OPERATION_TIME_TO_FIRST_CHUNK,
  DEF_GEN_AI_CLIENT_TOKEN_USAGE,
  DEF_LLM_CALLS,
  DEF_LLM_COST,
  DEF_LLM_COST_UNKNOWN,
  DEF_LLM_FALLBACKS,
  DEF_LLM_RETRIES,
  ERROR_TYPE_VALUE_OTHER,
  GEN_AI_TOKEN_TYPE_VALUE_INPUT,
  GEN_AI_TOKEN_TYPE_VALUE_OUTPUT,
  LLM_CALL_OUTCOME_VALUE_ERROR,
  LLM_CALL_OUTCOME_VALUE_SUCCESS,
} from '@driftwatch/semconv';
import type { CircuitBreakerState, MetricDefinition } from '@driftwatch/semconv';
import { Pricer } from './cost';
import { ObservedCounter } from './observed-counter';
import { RateLimitBoard } from './rate-limits';
import { reportDrop, safely } from './diag';
import { getLogicalCall, setLogicalCall, LogicalCallState } from './logical-call';
import { defaultRedactor, safeStringify, truncate } from './redact';
import type { LlmInstrumentationOptions, LlmRequestInfo, LlmResponseInfo, LlmUsage, Redactor } from './types';
import { PACKAGE_NAME, PACKAGE_VERSION } from './version';

const DEFAULT_MAX_CONTENT = 16_384;
const MAX_ERROR_MESSAGE = 512;
const MAX_METADATA_VALUE = 1_024;
const MAX_METADATA_KEYS = 32;
/** Metric attribute sets cached per series (see `_attributeSets`). */
const MAX_CACHED_SERIES = 1024;

interface AttributeSets {
  readonly base: Attributes;
  readonly input: Attributes;
  readonly output: Attributes;
  readonly call: Attributes;
  /** `base` and `call` when the series is cached; the overflow set otherwise. */
  readonly counterBase: Attributes;
  readonly counterCall: Attributes;
}

/** The fields that select a series, and its sets, for the last call (see `_attributeSets`). */
interface LastSeries {
  readonly operation: string;
  readonly provider: string;
  readonly model: string | undefined;
  readonly serverAddress: string | undefined;
  readonly serverPort: number | undefined;
  readonly taskType: string | undefined;
  readonly tier: string | undefined;
  readonly responseModel: string | undefined;
  readonly errorType: string | undefined;
  readonly sets: AttributeSets;
}

/** Where counts of series beyond the cardinality bound go (OTel SDK convention). */
const OVERFLOW_ATTRIBUTES: Attributes = Object.freeze({ [ATTR_OTEL_METRIC_OVERFLOW]: true });

function opts(def: MetricDefinition): MetricOptions {
  const o: MetricOptions = { description: def.description, unit: def.unit };
  if (def.buckets) o.advice = { explicitBucketBoundaries: [...def.buckets] };
  return o;
}

/** A count that is a finite non-negative number, else undefined (bad input is dropped and counted). */
function tokenCount(n: unknown, what: string): number | undefined {
  if (n === undefined || n === null) return undefined;
  if (typeof n === 'number' && Number.isFinite(n) && n >= 0) return Math.round(n);
  reportDrop(`invalid ${what} token count dropped`, n);
  return undefined;
}

function finite(n: unknown): n is number {
  return typeof n === 'number' && Number.isFinite(n);
}

/**
 * A low-cardinality `error.type` for a thrown value: the error class name (e.g. `RateLimitError`,
 * `APIUserAbortError`, `TimeoutError`), or `_OTHER` when there is nothing better.
 */
export function errorTypeOf(err: unknown): string {
  if (err && typeof err === 'object') {
    const name = (err as { constructor?: { name?: unknown } }).constructor?.name;
    if (typeof name === 'string' && name !== '' && name !== 'Object' && name !== 'Error') return name;
    const own = (err as { name?: unknown }).name;
    if (typeof own === 'string' && own !== '' && own !== 'Error') return own;
  }
  return ERROR_TYPE_VALUE_OTHER;
}

const MAX_STACK = 4_096;

/**
 * Marks `span` failed with the host's `error`: `error.type` (`errorType`, else from the error's
 * class), the redacted `error.message` (unless `messageAttribute` is false), an exception event
 * whose message and stack went through the redactor too — a part the redactor fails on is left
 * out, never recorded unredacted — and status ERROR. The caller checks `isRecording()`.
 *
 * @internal
 */
export function recordSpanFailure(
  t: LlmTelemetry,
  span: Span,
  error: unknown,
  errorType: string = errorTypeOf(error),
  messageAttribute = true,
): void {
  span.setAttribute(ATTR_ERROR_TYPE, errorType);
  const text = error instanceof Error ? error.message : typeof error === 'string' ? error : undefined;
  const message = text ? t.redactText(text, MAX_ERROR_MESSAGE) : undefined;
  if (message && messageAttribute) span.setAttribute(ATTR_ERROR_MESSAGE, message);
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    const type = errorTypeOf(error);
    span.recordException({
      // The class name (`RateLimitError`), as `error.type` has it: SDK errors often keep `name` = 'Error'.
      name: type === ERROR_TYPE_VALUE_OTHER ? error.name : type,
      message,
      stack: typeof error.stack === 'string' ? t.redactText(error.stack, MAX_STACK) : undefined,
      code: typeof code === 'string' || typeof code === 'number' ? code : undefined,
    });
  }
  span.setStatus({ code: SpanStatusCode.ERROR, message });
}

/**
 * The instruments and settings one instrumentation uses. Instruments are created once, here;
 * nothing is allocated on a non-recording path beyond the call's own bookkeeping.
 *
 * @internal
 */
export class LlmTelemetry {
  readonly tracer: Tracer;
  readonly meter: Meter;
  readonly captureContent: boolean;
  readonly redact: Redactor;
  readonly maxContentLength: number;
  readonly requestStreamUsage: boolean;
  readonly pricer: Pricer | undefined;
  private readonly _duration: Histogram;
  private readonly _tokenUsage: Histogram | undefined;
  private readonly _inputTokens: Counter | undefined;
  private readonly _outputTokens: Counter | undefined;
  private readonly _ttfc: Histogram;
  private readonly _calls: ObservedCounter;
  private readonly _retries: ObservedCounter;
  private readonly _fallbacks: ObservedCounter;
  private readonly _cost: ObservedCounter;
  private readonly _costUnknown: ObservedCounter;
  private readonly _resilienceSets = new Map<string, Attributes>();
  private readonly _rateLimits: RateLimitBoard;
  private readonly _sets = new Map<string, AttributeSets>();
  private _lastSets: LastSeries | undefined;

  constructor(options: LlmInstrumentationOptions = {}) {
    this.tracer = (options.tracerProvider ?? trace.getTracerProvider()).getTracer(PACKAGE_NAME, PACKAGE_VERSION);
    this.meter = (options.meterProvider ?? metrics.getMeterProvider()).getMeter(PACKAGE_NAME, PACKAGE_VERSION);
    this.captureContent = options.captureMessageContent === true;
    this.redact = options.redact ?? defaultRedactor;
    this.maxContentLength = options.maxContentLength ?? DEFAULT_MAX_CONTENT;
    this.requestStreamUsage = options.requestStreamUsage !== false;
    this.pricer = options.cost === false ? undefined : new Pricer(options.prices);
    const m = this.meter;
    this._duration = m.createHistogram(DEF_GEN_AI_CLIENT_OPERATION_DURATION.name, opts(DEF_GEN_AI_CLIENT_OPERATION_DURATION));
    if ((options.metricsVersion ?? '1.41') === '1.41') {
      this._tokenUsage = m.createHistogram(DEF_GEN_AI_CLIENT_TOKEN_USAGE.name, opts(DEF_GEN_AI_CLIENT_TOKEN_USAGE));
    } else {
      this._inputTokens = m.createCounter(
        DEF_GEN_AI_CLIENT_INFERENCE_USAGE_INPUT_TOKENS.name,
        opts(DEF_GEN_AI_CLIENT_INFERENCE_USAGE_INPUT_TOKENS),
      );
      this._outputTokens = m.createCounter(
        DEF_GEN_AI_CLIENT_INFERENCE_USAGE_OUTPUT_TOKENS.name,
        opts(DEF_GEN_AI_CLIENT_INFERENCE_USAGE_OUTPUT_TOKENS),
      );
    }
    this._ttfc = m.createHistogram(
      DEF_GEN_AI_CLIENT_OPERATION_TIME_TO_FIRST_CHUNK.name,
      opts(DEF_GEN_AI_CLIENT_OPERATION_TIME_TO_FIRST_CHUNK),
    );
    // Counters are kept per cached attribute set and reported at collection time (see ObservedCounter).
    this._calls = new ObservedCounter(m, DEF_LLM_CALLS);
    this._retries = new ObservedCounter(m, DEF_LLM_RETRIES);
    this._fallbacks = new ObservedCounter(m, DEF_LLM_FALLBACKS);
    this._cost = new ObservedCounter(m, DEF_LLM_COST);
    this._costUnknown = new ObservedCounter(m, DEF_LLM_COST_UNKNOWN);
    this._rateLimits = new RateLimitBoard(m);
  }

  /**
   * Starts the span of one provider call (an attempt, when a logical call is active) in `parent`.
   * Never throws: a failure here yields a recorder around a non-recording span.
   */
  startCall(
    req: LlmRequestInfo,
    parent: Context = context.active(),
    kind: SpanKind = SpanKind.CLIENT,
    startTime?: number,
  ): CallRecorder {
    return new CallRecorder(this, req, parent, kind, startTime);
  }

  /** Text for a span attribute: redacted and cut to the content limit; dropped if the redactor throws. */
  redactText(text: string, max = this.maxContentLength): string | undefined {
    try {
      return truncate(this.redact(text), max);
    } catch (err) {
      reportDrop('redactor threw; value dropped', err);
      return undefined;
    }
  }

  /** JSON of `value`, redacted and size-limited, for opt-in content attributes. */
  contentAttribute(value: unknown): string | undefined {
    const json = typeof value === 'string' ? value : safeStringify(value, this.maxContentLength);
    return this.redactText(json);
  }

  /**
   * Records rate-limit headroom from provider response headers (OpenAI `x-ratelimit-*`, Anthropic
   * `anthropic-ratelimit-*`). Reads only; the gauges report the latest values at collection time.
   */
  recordRateLimits(provider: string, model: string | undefined, headers: { get(name: string): string | null }): void {
    try {
      this._rateLimits.record(provider, model, headers);
    } catch (err) {
      reportDrop('rate-limit headers could not be read', err);
    }
  }

  /** @internal Called by {@link CallRecorder} once, when the call ends. */
  _recordMetrics(
    req: LlmRequestInfo,
    res: LlmResponseInfo | undefined,
    seconds: number,
    ttfc: number | undefined,
    errorType: string | undefined,
    cost: { total: number } | undefined,
    costUnknown: boolean,
  ): void {
    const sets = this._attributeSets(req, res?.responseModel, errorType);
    const attrs = sets.base;
    this._duration.record(seconds, attrs);
    if (ttfc !== undefined) this._ttfc.record(ttfc, attrs);

    const usage = res?.usage;
    if (usage) {
      if (this._tokenUsage) {
        if (usage.inputTokens !== undefined) this._tokenUsage.record(usage.inputTokens, sets.input);
        if (usage.outputTokens !== undefined) this._tokenUsage.record(usage.outputTokens, sets.output);
      } else {
        if (usage.inputTokens !== undefined) this._inputTokens?.add(usage.inputTokens, attrs);
        if (usage.outputTokens !== undefined) this._outputTokens?.add(usage.outputTokens, attrs);
      }
    }
    this._calls.add(1, sets.counterCall);
    if (cost) this._cost.add(cost.total, sets.counterBase);
    else if (costUnknown) this._costUnknown.add(1, sets.counterBase);
  }

  /**
   * The metric attribute sets of one series, built once and reused: a call's metrics cost a map
   * look-up instead of five object builds. Bounded; past the bound sets are built per call.
   */
  private _attributeSets(req: LlmRequestInfo, responseModel: string | undefined, errorType: string | undefined): AttributeSets {
    // Successive calls are usually to the same series: compare its fields before building a key.
    const last = this._lastSets;
    if (
      last &&
      last.operation === req.operation &&
      last.provider === req.provider &&
      last.model === req.model &&
      last.serverAddress === req.serverAddress &&
      last.serverPort === req.serverPort &&
      last.taskType === req.taskType &&
      last.tier === req.tier &&
      last.responseModel === responseModel &&
      last.errorType === errorType
    ) {
      return last.sets;
    }
    const sets = this._lookUpSets(req, responseModel, errorType);
    // Scalars only: holding the request would keep the caller's metadata alive.
    this._lastSets = {
      operation: req.operation,
      provider: req.provider,
      model: req.model,
      serverAddress: req.serverAddress,
      serverPort: req.serverPort,
      taskType: req.taskType,
      tier: req.tier,
      responseModel,
      errorType,
      sets,
    };
    return sets;
  }

  private _lookUpSets(req: LlmRequestInfo, responseModel: string | undefined, errorType: string | undefined): AttributeSets {
    const key = `${req.operation}\u0000${req.provider}\u0000${req.model ?? ''}\u0000${responseModel ?? ''}\u0000${req.serverAddress ?? ''}\u0000${req.serverPort ?? ''}\u0000${errorType ?? ''}\u0000${req.taskType ?? ''}\u0000${req.tier ?? ''}`;
    let sets = this._sets.get(key);
    if (sets) return sets;
    const base: Attributes = {
      [ATTR_GEN_AI_OPERATION_NAME]: req.operation,
      [ATTR_GEN_AI_PROVIDER_NAME]: req.provider,
    };
    if (req.model) base[ATTR_GEN_AI_REQUEST_MODEL] = req.model;
    if (responseModel) base[ATTR_GEN_AI_RESPONSE_MODEL] = responseModel;
    if (req.serverAddress) base[ATTR_SERVER_ADDRESS] = req.serverAddress;
    if (req.serverPort !== undefined) base[ATTR_SERVER_PORT] = req.serverPort;
    if (errorType) base[ATTR_ERROR_TYPE] = errorType;
    const call: Attributes = {
      ...base,
      [ATTR_LLM_CALL_OUTCOME]: errorType ? LLM_CALL_OUTCOME_VALUE_ERROR : LLM_CALL_OUTCOME_VALUE_SUCCESS,
    };
    if (req.taskType) call[ATTR_LLM_TASK_TYPE] = req.taskType;
    if (req.tier) call[ATTR_LLM_TIER] = req.tier;
    const cached = this._sets.size < MAX_CACHED_SERIES;
    if (!cached) reportDrop('LLM metric series beyond the limit counted in the overflow series');
    sets = {
      base,
      input: { ...base, [ATTR_GEN_AI_TOKEN_TYPE]: GEN_AI_TOKEN_TYPE_VALUE_INPUT },
      output: { ...base, [ATTR_GEN_AI_TOKEN_TYPE]: GEN_AI_TOKEN_TYPE_VALUE_OUTPUT },
      call,
      counterBase: cached ? base : OVERFLOW_ATTRIBUTES,
      counterCall: cached ? call : OVERFLOW_ATTRIBUTES,
    };
    if (cached) this._sets.set(key, sets);
    return sets;
  }

  /** @internal Resilience counters, recorded by the logical call (parent span) when it ends. */
  _recordResilience(req: LlmRequestInfo, retries: number, fallback: boolean): void {
    if (retries <= 0 && !fallback) return;
    const key = `${req.operation}\u0000${req.provider}\u0000${req.model ?? ''}`;
    let attrs = this._resilienceSets.get(key);
    if (!attrs) {
      if (this._resilienceSets.size >= MAX_CACHED_SERIES) {
        reportDrop('LLM metric series beyond the limit counted in the overflow series');
        attrs = OVERFLOW_ATTRIBUTES;
      } else {
        attrs = { [ATTR_GEN_AI_OPERATION_NAME]: req.operation, [ATTR_GEN_AI_PROVIDER_NAME]: req.provider };
        if (req.model) attrs[ATTR_GEN_AI_REQUEST_MODEL] = req.model;
        this._resilienceSets.set(key, attrs);
      }
    }
    if (retries > 0) this._retries.add(retries, attrs);
    if (fallback) this._fallbacks.add(1, attrs);
  }
}

function setRequestAttributes(span: Span, req: LlmRequestInfo): void {
  if (req.serverAddress) span.setAttribute(ATTR_SERVER_ADDRESS, req.serverAddress);
  if (req.serverPort !== undefined) span.setAttribute(ATTR_SERVER_PORT, req.serverPort);
  if (req.stream) span.setAttribute(ATTR_GEN_AI_REQUEST_STREAM, true);
  if (finite(req.maxTokens)) span.setAttribute(ATTR_GEN_AI_REQUEST_MAX_TOKENS, req.maxTokens);
  if (finite(req.temperature)) span.setAttribute(ATTR_GEN_AI_REQUEST_TEMPERATURE, req.temperature);
  if (finite(req.topP)) span.setAttribute(ATTR_GEN_AI_REQUEST_TOP_P, req.topP);
  if (finite(req.topK)) span.setAttribute(ATTR_GEN_AI_REQUEST_TOP_K, req.topK);
  if (finite(req.frequencyPenalty)) span.setAttribute(ATTR_GEN_AI_REQUEST_FREQUENCY_PENALTY, req.frequencyPenalty);
  if (finite(req.presencePenalty)) span.setAttribute(ATTR_GEN_AI_REQUEST_PRESENCE_PENALTY, req.presencePenalty);
  if (req.stopSequences && req.stopSequences.length > 0) {
    span.setAttribute(ATTR_GEN_AI_REQUEST_STOP_SEQUENCES, req.stopSequences.map(String));
  }
  if (finite(req.seed)) span.setAttribute(ATTR_GEN_AI_REQUEST_SEED, req.seed);
  if (finite(req.choiceCount) && req.choiceCount !== 1) span.setAttribute(ATTR_GEN_AI_REQUEST_CHOICE_COUNT, req.choiceCount);
  if (req.conversationId) span.setAttribute(ATTR_GEN_AI_CONVERSATION_ID, req.conversationId);
  if (req.agentName) span.setAttribute(ATTR_GEN_AI_AGENT_NAME, req.agentName);
  if (req.callId) span.setAttribute(ATTR_LLM_CALL_ID, req.callId);
  if (req.tier) span.setAttribute(ATTR_LLM_TIER, req.tier);
  if (req.taskType) span.setAttribute(ATTR_LLM_TASK_TYPE, req.taskType);
}

/** Sets `llm.metadata.<key>` attributes: primitives as they are, anything else as bounded JSON. */
export function setMetadataAttributes(span: Span, metadata: Readonly<Record<string, unknown>>): void {
  let n = 0;
  for (const key of Object.keys(metadata)) {
    if (++n > MAX_METADATA_KEYS) {
      reportDrop('metadata keys beyond the limit dropped');
      break;
    }
    const v = metadata[key];
    const name = ATTR_LLM_METADATA_PREFIX + key;
    if (typeof v === 'string') span.setAttribute(name, truncate(v, MAX_METADATA_VALUE));
    else if (typeof v === 'number' || typeof v === 'boolean') span.setAttribute(name, v);
    else if (v !== undefined) span.setAttribute(name, safeStringify(v, MAX_METADATA_VALUE));
  }
}

/**
 * The lifecycle of one provider call's span and metrics. Every end path (`end`, `fail`) is
 * idempotent: the span ends exactly once whatever the caller does (complete, break, abort, error).
 */
export class CallRecorder {
  readonly span: Span;
  private readonly _t: LlmTelemetry;
  private readonly _parent: Context;
  private _context: Context | undefined;
  private readonly _req: LlmRequestInfo;
  private readonly _start: number;
  private readonly _startTime: number | undefined;
  private readonly _logical: LogicalCallState | undefined;
  private _firstChunk: number | undefined;
  private _response: LlmResponseInfo | undefined;
  private _ended = false;

  /**
   * `startTime` (epoch milliseconds) records a call that was measured elsewhere: the span starts
   * then, and `end`/`fail` take the matching end time.
   */
  constructor(t: LlmTelemetry, req: LlmRequestInfo, parent: Context, kind: SpanKind, startTime?: number) {
    this._t = t;
    this._req = req;
    this._start = performance.now();
    this._startTime = startTime;
    this._logical = getLogicalCall(parent);
    const name = req.model ? `${req.operation} ${req.model}` : req.operation;
    // Sampling-relevant attributes go in at start, so samplers can see them.
    const attributes: Attributes = {
      [ATTR_GEN_AI_OPERATION_NAME]: req.operation,
      [ATTR_GEN_AI_PROVIDER_NAME]: req.provider,
    };
    if (req.model) attributes[ATTR_GEN_AI_REQUEST_MODEL] = req.model;
    let span: Span;
    try {
      span = t.tracer.startSpan(
        name,
        startTime === undefined ? { kind, attributes } : { kind, attributes, startTime },
        parent,
      );
    } catch (err) {
      reportDrop('span could not be started', err);
      span = trace.wrapSpanContext(trace.getSpanContext(parent) ?? INVALID_SPAN_CONTEXT);
    }
    this.span = span;
    this._parent = parent;
    if (this._logical) {
      const attempt = this._logical.beginAttempt(req.provider, req.model);
      if (span.isRecording()) {
        span.setAttribute(ATTR_RESILIENCE_ATTEMPT, attempt);
        if (this._logical.pendingRetryDelay !== undefined) {
          span.setAttribute(ATTR_RESILIENCE_RETRY_DELAY, this._logical.pendingRetryDelay);
        }
        if (this._logical.circuitState) span.setAttribute(ATTR_RESILIENCE_CIRCUIT_BREAKER_STATE, this._logical.circuitState);
      }
      this._logical.pendingRetryDelay = undefined;
    }
    if (span.isRecording()) {
      try {
        setRequestAttributes(span, req);
        if (req.metadata) setMetadataAttributes(span, req.metadata);
      } catch (err) {
        reportDrop('request attributes could not be set', err);
      }
    }
  }

  /** Context with this call's span active, for running the provider call inside it (built on first use). */
  get context(): Context {
    return (this._context ??= trace.setSpan(this._parent, this.span));
  }

  get ended(): boolean {
    return this._ended;
  }

  /** Marks the first streamed chunk (only the first call counts). */
  firstChunk(): void {
    if (this._firstChunk === undefined && !this._ended) this._firstChunk = performance.now();
  }

  /** Merges response information seen so far (a stream may report it piecewise). */
  setResponse(info: LlmResponseInfo): void {
    if (this._ended) return;
    const prev = this._response;
    if (!prev) {
      this._response = { ...info };
      return;
    }
    for (const k of Object.keys(info) as Array<keyof LlmResponseInfo>) {
      if (info[k] !== undefined) (prev as Record<string, unknown>)[k] = info[k];
    }
  }

  /** Sets an opt-in content attribute if capture is on (value is redacted and size-limited). */
  setContent(attribute: string, value: unknown): void {
    if (!this._t.captureContent || this._ended || !this.span.isRecording()) return;
    safely(
      'content could not be captured',
      () => {
        const text = this._t.contentAttribute(value);
        if (text !== undefined) this.span.setAttribute(attribute, text);
      },
      undefined,
    );
  }

  /** Ends the call as a success. */
  end(info?: LlmResponseInfo, endTime?: number): void {
    if (this._ended) return;
    if (info) this.setResponse(info);
    this._finish(undefined, undefined, endTime);
  }

  /**
   * Ends the call as a failure with the host's error (which the caller re-throws unchanged).
   * `errorType` overrides the class-name default.
   */
  fail(error: unknown, errorType?: string, endTime?: number): void {
    if (this._ended) return;
    this._finish(error, errorType ?? errorTypeOf(error), endTime);
  }

  private _finish(error: unknown, errorType: string | undefined, endTime?: number): void {
    this._ended = true;
    try {
      const end = performance.now();
      const seconds =
        endTime !== undefined && this._startTime !== undefined
          ? Math.max(0, (endTime - this._startTime) / 1000)
          : Math.max(0, (end - this._start) / 1000);
      const ttfc = this._firstChunk === undefined ? undefined : (this._firstChunk - this._start) / 1000;
      const span = this.span;
      const recording = span.isRecording();
      const res = this._response;
      const usage = res?.usage ? sanitizeUsage(res.usage) : undefined;
      if (res && usage) res.usage = usage;

      let cost: ReturnType<Pricer['price']> | undefined;
      let costUnknown = false;
      const pricer = this._t.pricer;
      if (pricer && usage && (usage.inputTokens !== undefined || usage.outputTokens !== undefined)) {
        cost = pricer.price(this._req.provider, res?.responseModel ?? this._req.model, usage, res?.reportedCostUsd);
        costUnknown = cost === undefined;
      }

      if (recording) {
        if (res) setResponseAttributes(span, res);
        if (ttfc !== undefined) span.setAttribute(ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK, ttfc);
        if (cost) {
          if (cost.prompt !== undefined) span.setAttribute(ATTR_LLM_COST_PROMPT, cost.prompt);
          if (cost.completion !== undefined) span.setAttribute(ATTR_LLM_COST_COMPLETION, cost.completion);
          span.setAttribute(ATTR_LLM_COST_TOTAL, cost.total);
          if (cost.cacheRead !== undefined) span.setAttribute(ATTR_LLM_COST_PROMPT_CACHE_READ, cost.cacheRead);
          if (cost.cacheWrite !== undefined) span.setAttribute(ATTR_LLM_COST_PROMPT_CACHE_WRITE, cost.cacheWrite);
          span.setAttribute(ATTR_LLM_COST_SOURCE, cost.source);
        } else if (costUnknown) {
          span.setAttribute(ATTR_LLM_COST_UNKNOWN, true);
        }
        if (errorType) recordSpanFailure(this._t, span, error, errorType);
      }
      if (this._logical) {
        if (!errorType) this._logical.succeeded(this._req.provider, res?.responseModel ?? this._req.model, this._req.model);
      }
      this._t._recordMetrics(this._req, res, seconds, ttfc, errorType, cost, costUnknown);
    } catch (err) {
      reportDrop('call telemetry could not be recorded', err);
    } finally {
      try {
        this.span.end(endTime);
      } catch (err) {
        reportDrop('span could not be ended', err);
      }
    }
  }
}

function sanitizeUsage(u: LlmUsage): LlmUsage {
  return {
    inputTokens: tokenCount(u.inputTokens, 'input'),
    outputTokens: tokenCount(u.outputTokens, 'output'),
    cacheReadInputTokens: tokenCount(u.cacheReadInputTokens, 'cache-read'),
    cacheCreationInputTokens: tokenCount(u.cacheCreationInputTokens, 'cache-creation'),
    reasoningOutputTokens: tokenCount(u.reasoningOutputTokens, 'reasoning'),
  };
}

function setResponseAttributes(span: Span, res: LlmResponseInfo): void {
  if (res.responseId) span.setAttribute(ATTR_GEN_AI_RESPONSE_ID, res.responseId);
  if (res.responseModel) span.setAttribute(ATTR_GEN_AI_RESPONSE_MODEL, res.responseModel);
  if (res.finishReasons && res.finishReasons.length > 0) {
    span.setAttribute(ATTR_GEN_AI_RESPONSE_FINISH_REASONS, res.finishReasons.map(String));
  }
  if (finite(res.embeddingDimensions)) span.setAttribute(ATTR_GEN_AI_EMBEDDINGS_DIMENSION_COUNT, res.embeddingDimensions);
  const u = res.usage;
  if (u) {
    if (u.inputTokens !== undefined) span.setAttribute(ATTR_GEN_AI_USAGE_INPUT_TOKENS, u.inputTokens);
    if (u.outputTokens !== undefined) span.setAttribute(ATTR_GEN_AI_USAGE_OUTPUT_TOKENS, u.outputTokens);
    if (u.cacheReadInputTokens !== undefined) span.setAttribute(ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS, u.cacheReadInputTokens);
    if (u.cacheCreationInputTokens !== undefined) {
      span.setAttribute(ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS, u.cacheCreationInputTokens);
    }
    if (u.reasoningOutputTokens !== undefined) span.setAttribute(ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS, u.reasoningOutputTokens);
  }
}

/** What a span says about the resilience of its call (see {@link setResilienceAttributes}). */
export interface ResilienceSummary {
  retryCount?: number;
  fallbackUsed?: boolean;
  chain?: readonly string[];
  /** Provider and model asked for first; recorded only when a fallback served the call. */
  fromProvider?: string;
  fromModel?: string;
  circuitState?: CircuitBreakerState;
  timedOut?: boolean;
}

/**
 * Sets the `resilience.*` attributes of a logical call (or of a call measured elsewhere) on `span`.
 * The caller checks `isRecording()`.
 *
 * @internal
 */
export function setResilienceAttributes(span: Span, r: ResilienceSummary): void {
  if (r.retryCount !== undefined) span.setAttribute(ATTR_RESILIENCE_RETRY_COUNT, r.retryCount);
  if (r.fallbackUsed !== undefined) span.setAttribute(ATTR_RESILIENCE_FALLBACK_USED, r.fallbackUsed);
  if (r.chain && r.chain.length > 0) span.setAttribute(ATTR_RESILIENCE_FALLBACK_CHAIN, [...r.chain]);
  if (r.fallbackUsed) {
    if (r.fromProvider) span.setAttribute(ATTR_RESILIENCE_FALLBACK_FROM_PROVIDER, r.fromProvider);
    if (r.fromModel) span.setAttribute(ATTR_RESILIENCE_FALLBACK_FROM_MODEL, r.fromModel);
  }
  if (r.circuitState) span.setAttribute(ATTR_RESILIENCE_CIRCUIT_BREAKER_STATE, r.circuitState);
  if (r.timedOut) span.setAttribute(ATTR_RESILIENCE_TIMEOUT, true);
}

/**
 * Starts a logical call: a parent span (kind INTERNAL) that attempts made inside `ctx` report into.
 * The returned `end`/`fail` set the resilience totals on the parent and record the retry and
 * fallback counters.
 *
 * @internal Used by the public `withLlmCall` API and the resilience adapters.
 */
export function startLogicalCall(
  t: LlmTelemetry,
  req: LlmRequestInfo,
  parent: Context = context.active(),
): {
  state: LogicalCallState;
  span: Span;
  context: Context;
  end: () => void;
  /** `errorType` overrides the class-name default of `error.type`. */
  fail: (error: unknown, errorType?: string) => void;
} {
  const state = new LogicalCallState();
  const name = req.model ? `${req.operation} ${req.model}` : req.operation;
  const attributes: Attributes = {
    [ATTR_GEN_AI_OPERATION_NAME]: req.operation,
    [ATTR_GEN_AI_PROVIDER_NAME]: req.provider,
  };
  if (req.model) attributes[ATTR_GEN_AI_REQUEST_MODEL] = req.model;
  const span = t.tracer.startSpan(name, { kind: SpanKind.INTERNAL, attributes }, parent);
  if (span.isRecording()) {
    safely(
      'request attributes could not be set',
      () => {
        if (req.callId) span.setAttribute(ATTR_LLM_CALL_ID, req.callId);
        if (req.tier) span.setAttribute(ATTR_LLM_TIER, req.tier);
        if (req.taskType) span.setAttribute(ATTR_LLM_TASK_TYPE, req.taskType);
        if (req.agentName) span.setAttribute(ATTR_GEN_AI_AGENT_NAME, req.agentName);
        if (req.metadata) setMetadataAttributes(span, req.metadata);
      },
      undefined,
    );
  }
  const ctx = setLogicalCall(trace.setSpan(parent, span), state);
  let ended = false;
  const finish = (error: unknown, failed: boolean, errorType?: string): void => {
    if (ended) return;
    ended = true;
    try {
      const fallback = state.fallbackUsed;
      if (span.isRecording()) {
        setResilienceAttributes(span, {
          retryCount: state.retryCount,
          fallbackUsed: fallback,
          chain: state.chain,
          fromProvider: state.firstProvider,
          fromModel: state.firstModel,
          circuitState: state.circuitState,
          timedOut: state.timedOut,
        });
        if (fallback && state.servedModel) span.setAttribute(ATTR_GEN_AI_RESPONSE_MODEL, state.servedModel);
        span.setAttribute(ATTR_LLM_CALL_OUTCOME, failed ? LLM_CALL_OUTCOME_VALUE_ERROR : LLM_CALL_OUTCOME_VALUE_SUCCESS);
        // The parent carries the type and the exception; `error.message` stays on the attempt.
        if (failed) recordSpanFailure(t, span, error, errorType ?? errorTypeOf(error), false);
      }
      t._recordResilience(req, state.retryCount, fallback);
    } catch (err) {
      reportDrop('logical call telemetry could not be recorded', err);
    } finally {
      span.end();
    }
  };
  return { state, span, context: ctx, end: () => finish(undefined, false), fail: (e, type) => finish(e, true, type) };
}
