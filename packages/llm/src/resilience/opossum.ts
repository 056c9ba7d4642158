import {
  CIRCUIT_BREAKER_STATE_VALUE_CLOSED,
  CIRCUIT_BREAKER_STATE_VALUE_HALF_OPEN,
  CIRCUIT_BREAKER_STATE_VALUE_OPEN,
} from '@driftwatch/semconv';
import type { CircuitBreakerState } from '@driftwatch/semconv';
import { reportDrop, safely } from '../diag';
import { resolveTelemetry } from '../generic';
import type { LlmRequestInfo } from '../types';
import { activeLogicalCall, runLogicalCall } from './logical';
import type { WithLlmCallOptions } from './logical';

/*
 * opossum is not a dependency: a breaker is used through the EventEmitter methods and state
 * getters every opossum version has, so nothing is loaded when the adapter is unused.
 */

/** The parts of an opossum `CircuitBreaker` the adapter uses. */
export interface OpossumBreaker<TI extends unknown[] = unknown[], TR = unknown> {
  readonly opened: boolean;
  readonly halfOpen: boolean;
  readonly closed: boolean;
  on(event: string, listener: (...args: any[]) => void): unknown;
  removeListener(event: string, listener: (...args: any[]) => void): unknown;
  fire(...args: TI): Promise<TR>;
}

interface Disposable {
  dispose(): void;
}

/** The breaker's state as `resilience.circuit_breaker.state`. */
export function opossumCircuitState(breaker: Pick<OpossumBreaker, 'opened' | 'halfOpen' | 'closed'>): CircuitBreakerState | undefined {
  if (breaker.halfOpen) return CIRCUIT_BREAKER_STATE_VALUE_HALF_OPEN;
  if (breaker.opened) return CIRCUIT_BREAKER_STATE_VALUE_OPEN;
  if (breaker.closed) return CIRCUIT_BREAKER_STATE_VALUE_CLOSED;
  return undefined;
}

/** opossum's own error codes, used as `error.type` of a call it failed. */
const OPOSSUM_CODES: ReadonlySet<string> = new Set(['EOPENBREAKER', 'ETIMEDOUT', 'ESEMLOCKED', 'ESHUTDOWN']);

/** `error.type` for an error opossum raised itself (`EOPENBREAKER`, `ETIMEDOUT`, ...); undefined for others. */
export function opossumErrorType(error: unknown): string | undefined {
  const code = error !== null && typeof error === 'object' ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' && OPOSSUM_CODES.has(code) ? code : undefined;
}

const observed = new WeakMap<object, Disposable>();

/**
 * Observes an opossum `CircuitBreaker` and records its state and actions into the logical call
 * active when it acts ({@link withLlmCall}, {@link fireLlmCall}):
 *
 * - `fire`: the breaker's state when a call enters (`closed`/`open`/`half_open`), so attempts the
 *   action starts carry `resilience.circuit_breaker.state`, and so does the logical call;
 * - `open`, `halfOpen`, `close`: state changes caused inside the call;
 * - `reject` (failing fast while open): state `open`;
 * - `timeout`: `resilience.timeout=true`;
 * - `fallback`: `resilience.fallback.used=true` (a fallback that makes instrumented calls also
 *   shows up as further attempts).
 *
 * Spans only, no metrics. Idempotent: observing a breaker twice returns the first handle.
 */
export function observeOpossum(breaker: OpossumBreaker<any, any>): Disposable {
  const existing = observed.get(breaker);
  if (existing) return existing;
  const setState = (state: CircuitBreakerState | undefined): void => {
    const s = activeLogicalCall();
    if (s && state) s.circuitState = state;
  };
  const listeners: Array<[string, (...args: any[]) => void]> = [
    [
      'fire',
      () => {
        try {
          setState(opossumCircuitState(breaker));
        } catch (err) {
          reportDrop('circuit-breaker state could not be read', err);
        }
      },
    ],
    ['open', () => setState(CIRCUIT_BREAKER_STATE_VALUE_OPEN)],
    ['halfOpen', () => setState(CIRCUIT_BREAKER_STATE_VALUE_HALF_OPEN)],
    ['close', () => setState(CIRCUIT_BREAKER_STATE_VALUE_CLOSED)],
    ['reject', () => setState(CIRCUIT_BREAKER_STATE_VALUE_OPEN)],
    [
      'timeout',
      () => {
        const s = activeLogicalCall();
        if (s) s.timedOut = true;
      },
    ],
    [
      'fallback',
      () => {
        const s = activeLogicalCall();
        if (s) s.fallbackInvoked = true;
      },
    ],
  ];
  const added = safely(
    'opossum breaker could not be observed',
    () => {
      for (const [event, listener] of listeners) breaker.on(event, listener);
      return true;
    },
    false,
  );
  const handle: Disposable = {
    dispose() {
      if (observed.get(breaker) !== handle) return;
      observed.delete(breaker);
      for (const [event, listener] of listeners) {
        safely('opossum listener could not be removed', () => breaker.removeListener(event, listener), undefined);
      }
    },
  };
  if (added) observed.set(breaker, handle);
  return handle;
}

/**
 * Fires an opossum breaker as one logical LLM call: observes the breaker (once), opens a logical
 * call ({@link withLlmCall}) and calls `breaker.fire(...args)` inside it. Instrumented calls the
 * action makes are attempts; the parent span gets the breaker state, timeout and fallback, and
 * opossum's own failures get their code as `error.type` (`EOPENBREAKER`, `ETIMEDOUT`, ...).
 * Resolves and rejects exactly as `breaker.fire` does.
 */
export function fireLlmCall<TI extends unknown[], TR>(
  breaker: OpossumBreaker<TI, TR>,
  request: LlmRequestInfo,
  args: TI,
  options?: WithLlmCallOptions,
): Promise<TR> {
  observeOpossum(breaker);
  const custom = options?.errorType;
  return runLogicalCall(
    resolveTelemetry(options),
    request,
    () => breaker.fire(...args),
    custom ? (error) => custom(error) ?? opossumErrorType(error) : opossumErrorType,
  );
}
