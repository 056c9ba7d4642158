import { createContextKey } from '@opentelemetry/api';
import type { Context } from '@opentelemetry/api';
import type { CircuitBreakerState } from '@driftwatch/semconv';

/** Longest `resilience.fallback.chain` recorded; a pathological retry loop must not grow it without limit. */
export const MAX_FALLBACK_CHAIN = 32;

/**
 * State of one logical LLM call (one parent span) that several attempts report into. An attempt
 * is any instrumented provider call made while the logical call's context is active: a retry by
 * cockatiel, opossum or the user's own loop, or a fallback to another provider/model.
 *
 * @internal
 */
export class LogicalCallState {
  /** Attempts started so far. */
  attempts = 0;
  /** Ordered distinct `provider/model` entries tried. */
  readonly chain: string[] = [];
  firstProvider: string | undefined;
  firstModel: string | undefined;
  /** Provider and model of the last attempt that succeeded. */
  servedProvider: string | undefined;
  servedModel: string | undefined;
  /** Model the serving attempt asked for (its response may name a dated version of it). */
  servedRequestModel: string | undefined;
  circuitState: CircuitBreakerState | undefined;
  timedOut = false;
  /**
   * Set when a resilience library served the call from its own fallback (a static value or a
   * function that made no instrumented call), so no attempt shows the switch.
   */
  fallbackInvoked = false;
  /** Seconds waited before the next attempt, set by retry adapters. */
  pendingRetryDelay: number | undefined;

  /** Registers a new attempt and returns its 1-based number. */
  beginAttempt(provider: string, model: string | undefined): number {
    this.attempts++;
    if (this.attempts === 1) {
      this.firstProvider = provider;
      this.firstModel = model;
    }
    const link = model ? `${provider}/${model}` : provider;
    if (this.chain.length === 0 || this.chain[this.chain.length - 1] !== link) {
      if (this.chain.length < MAX_FALLBACK_CHAIN) this.chain.push(link);
    }
    return this.attempts;
  }

  /** Records which provider/model served the call (the last successful attempt). */
  succeeded(provider: string, model: string | undefined, requestModel: string | undefined = model): void {
    this.servedProvider = provider;
    this.servedModel = model;
    this.servedRequestModel = requestModel;
  }

  /** Whether the serving attempt used another provider or model than the first one. */
  get fallbackUsed(): boolean {
    if (this.fallbackInvoked) return true;
    if (this.servedProvider === undefined) {
      return this.chain.length > 1;
    }
    return this.servedProvider !== this.firstProvider || this.servedRequestModel !== this.firstModel;
  }

  /** Attempts after the first. */
  get retryCount(): number {
    return this.attempts > 0 ? this.attempts - 1 : 0;
  }
}

const LOGICAL_CALL_KEY = createContextKey('driftwatch.llm.logical_call');

/** @internal */
export function getLogicalCall(ctx: Context): LogicalCallState | undefined {
  return ctx.getValue(LOGICAL_CALL_KEY) as LogicalCallState | undefined;
}

/** @internal */
export function setLogicalCall(ctx: Context, state: LogicalCallState): Context {
  return ctx.setValue(LOGICAL_CALL_KEY, state);
}
