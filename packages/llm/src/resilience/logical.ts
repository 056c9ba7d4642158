import { INVALID_SPAN_CONTEXT, SpanKind, context, trace } from '@opentelemetry/api';
import type { Context, Span } from '@opentelemetry/api';
import { GEN_AI_OPERATION_NAME_VALUE_CHAT } from '@driftwatch/semconv';
import type { CircuitBreakerState } from '@driftwatch/semconv';
import { reportDrop, safely } from '../diag';
import { endCall, isCircuitBreakerState, resolveTelemetry, sanitizeRequest, settle } from '../generic';
import type { LlmCallOptions } from '../generic';
import { LogicalCallState, getLogicalCall } from '../logical-call';
import { startLogicalCall } from '../telemetry';
import type { LlmTelemetry } from '../telemetry';
import type { LlmRequestInfo, LlmResponseInfo } from '../types';

/**
 * The logical call `withLlmCall` runs its function in: one parent span that every instrumented
 * provider call made inside reports into as an attempt. Resilience code the instrumentation does
 * not observe (a hand-written retry loop, an in-house breaker) records what it did here.
 */
export interface LogicalCall {
  /** The parent span. */
  readonly span: Span;
  /** Attempts (instrumented provider calls) started so far. */
  readonly attempts: number;
  /** Records the circuit-breaker state; attempts started from now on carry it too. */
  setCircuitBreakerState(state: CircuitBreakerState): void;
  /** Marks the logical call as ended by a timeout (`resilience.timeout=true`). */
  markTimedOut(): void;
  /** Marks the call as served by a fallback that made no instrumented call (a cached or static answer). */
  markFallbackUsed(): void;
  /** Seconds waited before the next attempt; the next attempt span carries `resilience.retry.delay`. */
  setRetryDelay(seconds: number): void;
}

/** @internal The handle `fn` receives; the adapters read its state. */
export class LogicalCallHandle implements LogicalCall {
  readonly span: Span;
  /** @internal */
  readonly _state: LogicalCallState;

  constructor(state: LogicalCallState, span: Span) {
    this._state = state;
    this.span = span;
  }

  get attempts(): number {
    return this._state.attempts;
  }

  setCircuitBreakerState(state: CircuitBreakerState): void {
    if (isCircuitBreakerState(state)) this._state.circuitState = state;
    else reportDrop('invalid circuit-breaker state dropped', state);
  }

  markTimedOut(): void {
    this._state.timedOut = true;
  }

  markFallbackUsed(): void {
    this._state.fallbackInvoked = true;
  }

  setRetryDelay(seconds: number): void {
    if (typeof seconds === 'number' && Number.isFinite(seconds) && seconds >= 0) this._state.pendingRetryDelay = seconds;
    else reportDrop('invalid retry delay dropped', seconds);
  }
}

/** Options of {@link withLlmCall}. */
export interface WithLlmCallOptions extends LlmCallOptions {
  /**
   * `error.type` for a failed logical call; the error's class name (or `_OTHER`) when this is
   * absent or returns undefined. If it throws, the default is used and the failure counted.
   */
  errorType?: (error: unknown) => string | undefined;
}

/**
 * Runs `fn` as one logical LLM call: a parent span (kind INTERNAL, named `{operation} {model}`)
 * whose context is active while `fn` runs. Every instrumented provider call made inside (the
 * OpenAI/Anthropic wrappers, {@link traceLlmCall}, {@link recordLlmCall}) becomes a child attempt
 * span with `resilience.attempt`; when `fn` settles the parent gets `resilience.retry.count`,
 * `resilience.fallback.used`, `resilience.fallback.chain`, `resilience.fallback.from.*`, the
 * circuit-breaker state, `resilience.timeout` and `llm.call.outcome`, and the `llm.retries` and
 * `llm.fallbacks` counters are recorded.
 *
 * `request.provider`/`request.model` name what is asked for first. The host's errors are
 * recorded and re-thrown unchanged; a promise returned by `fn` is returned as it is.
 */
export function withLlmCall<T>(request: LlmRequestInfo, fn: (call: LogicalCall) => T, options?: WithLlmCallOptions): T {
  return runLogicalCall(resolveTelemetry(options), request, fn, options?.errorType);
}

/**
 * {@link withLlmCall} with the telemetry resolved and the `errorType` hook passed as it is, for the
 * adapters: no options object is built per call.
 *
 * @internal
 */
export function runLogicalCall<T>(
  t: LlmTelemetry,
  request: LlmRequestInfo,
  fn: (call: LogicalCallHandle) => T,
  classify: ((error: unknown) => string | undefined) | undefined,
): T {
  const req = sanitizeRequest(request);
  let lc: ReturnType<typeof startLogicalCall>;
  try {
    lc = startLogicalCall(t, req);
  } catch (err) {
    reportDrop('logical call could not be started', err);
    return fn(new LogicalCallHandle(new LogicalCallState(), trace.wrapSpanContext(INVALID_SPAN_CONTEXT)));
  }
  const handle = new LogicalCallHandle(lc.state, lc.span);
  return settle(
    () => context.with(lc.context, fn, undefined, handle),
    () => lc.end(),
    (error) => lc.fail(error, classify ? safely('errorType hook threw', () => classify(error), undefined) : undefined),
  );
}

/**
 * The logical call active in `ctx`, if any: what resilience adapters record into.
 *
 * @internal
 */
export function activeLogicalCall(ctx: Context = context.active()): LogicalCallState | undefined {
  return getLogicalCall(ctx);
}

// ---------------------------------------------------------------------------------------------
// fallbackChain

/** What a {@link FallbackStep}'s `run` is told. */
export interface FallbackStepInfo {
  /** 0-based position of the step in the chain. */
  index: number;
  provider: string;
  model: string | undefined;
  /** The error the previous step failed with (undefined for the first step). */
  previousError: unknown;
}

/** One provider/model to try in {@link fallbackChain}. */
export interface FallbackStep<T> {
  provider: string;
  model?: string;
  /** `gen_ai.operation.name` of this step; default: the chain's operation. */
  operation?: string;
  /** Makes the call. Use an instrumented client (or {@link traceLlmCall}) inside to get a detailed attempt span. */
  run: (info: FallbackStepInfo) => T | PromiseLike<T>;
  /** Reads usage and response details from the result, for a step whose call is not instrumented. */
  extract?: (result: T) => LlmResponseInfo | undefined;
}

/** Options of {@link fallbackChain}. */
export interface FallbackChainOptions extends WithLlmCallOptions {
  /** Attributes of the logical call (operation, tier, task type, call id, metadata...); provider and model come from the first step. */
  request?: Partial<Omit<LlmRequestInfo, 'provider' | 'model'>>;
  /**
   * Whether a failed step moves on to the next one; default: always. Return false to fail the
   * logical call with that error at once (e.g. for a request the next provider would reject too).
   */
  shouldFallback?: (error: unknown, index: number) => boolean;
}

function epochNow(): number {
  return performance.timeOrigin + performance.now();
}

/**
 * Tries each step in order inside one logical call ({@link withLlmCall}) and resolves with the
 * first result; if every step fails, rejects with the last step's error, unchanged.
 *
 * Each step is one attempt of the logical call. A step whose `run` makes instrumented calls is
 * represented by those calls' spans; a step that makes none is recorded as an attempt span of its
 * own (kind CLIENT, covering the step, with `extract`'s usage), so the chain, the fallback
 * attributes and the retry count are right either way.
 */
export function fallbackChain<T>(steps: ReadonlyArray<FallbackStep<T>>, options?: FallbackChainOptions): Promise<T> {
  if (!Array.isArray(steps) || steps.length === 0) {
    return Promise.reject(new TypeError('fallbackChain needs at least one step'));
  }
  const first = steps[0]!;
  const operation = options?.request?.operation ?? first.operation ?? GEN_AI_OPERATION_NAME_VALUE_CHAT;
  const req: LlmRequestInfo = { ...options?.request, operation, provider: first.provider, model: first.model };
  const t = resolveTelemetry(options);
  const shouldFallback = options?.shouldFallback;
  return runLogicalCall(
    t,
    req,
    async (call) => {
      const state = call._state;
      const logicalContext = context.active();
      let previousError: unknown;
      for (let index = 0; index < steps.length; index++) {
        const step = steps[index]!;
        const before = state.attempts;
        const started = epochNow();
        try {
          const value = await step.run({ index, provider: step.provider, model: step.model, previousError });
          if (state.attempts === before) recordStep(t, logicalContext, step, operation, started, { value });
          return value;
        } catch (error) {
          if (state.attempts === before) recordStep(t, logicalContext, step, operation, started, { error });
          previousError = error;
          const next =
            index < steps.length - 1 &&
            (!shouldFallback || safely('shouldFallback hook threw', () => shouldFallback(error, index) !== false, true));
          if (!next) throw error;
        }
      }
      throw previousError;
    },
    options?.errorType,
  );
}

/** An attempt span for a step that made no instrumented call, covering the step's run. */
function recordStep<T>(
  t: LlmTelemetry,
  parent: Context,
  step: FallbackStep<T>,
  operation: string,
  started: number,
  outcome: { value: T } | { error: unknown },
): void {
  safely(
    'fallback step could not be recorded',
    () => {
      const req = sanitizeRequest({ operation: step.operation ?? operation, provider: step.provider, model: step.model });
      const call = t.startCall(req, parent, SpanKind.CLIENT, started);
      const end = epochNow();
      if ('error' in outcome) call.fail(outcome.error, undefined, end);
      else endCall(call, step.extract, outcome.value, end);
    },
    undefined,
  );
}
