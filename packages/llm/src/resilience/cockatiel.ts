import {
  CIRCUIT_BREAKER_STATE_VALUE_CLOSED,
  CIRCUIT_BREAKER_STATE_VALUE_HALF_OPEN,
  CIRCUIT_BREAKER_STATE_VALUE_ISOLATED,
  CIRCUIT_BREAKER_STATE_VALUE_OPEN,
} from '@driftwatch/semconv';
import type { CircuitBreakerState } from '@driftwatch/semconv';
import { logger, reportDrop, safely } from '../diag';
import type { LlmRequestInfo } from '../types';
import { activeLogicalCall, withLlmCall } from './logical';
import type { WithLlmCallOptions } from './logical';

/*
 * cockatiel is not a dependency: policies are recognised by shape, so any cockatiel 3.x/4.x
 * instance works and nothing is loaded when the adapter is unused.
 */

interface Disposable {
  dispose(): void;
}
type CockatielEvent<T> = (listener: (data: T) => void) => Disposable;

/** Any cockatiel policy (`retry`, `circuitBreaker`, `timeout`, `fallback`, `bulkhead`, `wrap(...)`). */
export interface CockatielPolicy<C = any, A = never> {
  readonly _altReturn?: A;
  execute<T>(fn: (context: C) => PromiseLike<T> | T, signal?: AbortSignal): Promise<T | A>;
}

interface RetryLike {
  onRetry: CockatielEvent<{ delay: number; attempt: number }>;
  onGiveUp: CockatielEvent<unknown>;
}
interface BreakerLike {
  onStateChange: CockatielEvent<number>;
  readonly state: number;
  execute(fn: unknown, signal?: AbortSignal): Promise<unknown>;
}
interface TimeoutLike {
  onTimeout: CockatielEvent<void>;
}
interface FallbackLike {
  onFailure: CockatielEvent<{ handled: boolean }>;
}

/** cockatiel's `CircuitState` enum: Closed, Open, HalfOpen, Isolated. */
const CIRCUIT_STATE: readonly CircuitBreakerState[] = [
  CIRCUIT_BREAKER_STATE_VALUE_CLOSED,
  CIRCUIT_BREAKER_STATE_VALUE_OPEN,
  CIRCUIT_BREAKER_STATE_VALUE_HALF_OPEN,
  CIRCUIT_BREAKER_STATE_VALUE_ISOLATED,
];

/** Maps cockatiel's `CircuitState` to `resilience.circuit_breaker.state`. */
export function cockatielCircuitState(state: number): CircuitBreakerState | undefined {
  return CIRCUIT_STATE[state];
}

function isEvent(v: unknown): boolean {
  return typeof v === 'function';
}

function isRetry(p: any): p is RetryLike {
  return isEvent(p.onRetry) && isEvent(p.onGiveUp);
}
function isBreaker(p: any): p is BreakerLike {
  return isEvent(p.onStateChange) && typeof p.state === 'number' && typeof p.execute === 'function';
}
function isTimeout(p: any): p is TimeoutLike {
  return isEvent(p.onTimeout);
}
/** A FallbackPolicy has no events of its own: a handled failure is exactly when it returns its fallback value. */
function isFallback(p: any): p is FallbackLike {
  if (!isEvent(p.onFailure)) return false;
  if (p.constructor?.name === 'FallbackPolicy') return true;
  return typeof p.value === 'function' && p.executor !== undefined && !isRetry(p) && !isBreaker(p) && !isTimeout(p);
}

/** Every policy inside `policy` (itself included), following `wrap(...)` compositions. */
function policiesOf(policy: unknown, out: object[] = [], depth = 0): object[] {
  if (policy === null || typeof policy !== 'object' || depth > 16) return out;
  out.push(policy);
  const wrapped = (policy as { wrapped?: unknown }).wrapped;
  if (Array.isArray(wrapped)) for (const p of wrapped) policiesOf(p, out, depth + 1);
  return out;
}

/** An observation of one policy; `disposed` once its listeners are removed. */
interface Observation extends Disposable {
  readonly disposed: boolean;
}

/** Per policy: its observation. */
const observed = new WeakMap<object, Observation>();
/** Per policy given to `observeCockatiel`: the handle it returned, valid while none of its observations is disposed. */
const roots = new WeakMap<object, { handle: Disposable; parts: readonly Observation[] }>();

function live(parts: readonly Observation[]): boolean {
  for (const part of parts) if (part.disposed) return false;
  return true;
}

function observeOne(p: object): Disposable | undefined {
  const disposables: Disposable[] = [];
  let restore: (() => void) | undefined;
  if (isRetry(p)) {
    disposables.push(
      p.onRetry((e) => {
        const s = activeLogicalCall();
        if (s && typeof e?.delay === 'number' && Number.isFinite(e.delay)) s.pendingRetryDelay = Math.max(0, e.delay) / 1000;
      }),
      p.onGiveUp(() => {
        const s = activeLogicalCall();
        if (s) s.pendingRetryDelay = undefined;
      }),
    );
  }
  if (isBreaker(p)) {
    disposables.push(
      p.onStateChange((state) => {
        const s = activeLogicalCall();
        const mapped = cockatielCircuitState(state);
        if (s && mapped) s.circuitState = mapped;
      }),
    );
    // No event fires when an open circuit rejects a call, so the state is read on entry: attempts
    // started inside carry it, and a call rejected with BrokenCircuitError records `open`.
    const hadOwn = Object.prototype.hasOwnProperty.call(p, 'execute');
    const original = p.execute;
    const patched = function (this: BreakerLike, fn: unknown, signal?: AbortSignal): Promise<unknown> {
      try {
        const s = activeLogicalCall();
        const mapped = s && cockatielCircuitState(this.state);
        if (mapped) s.circuitState = mapped;
      } catch (err) {
        reportDrop('circuit-breaker state could not be read', err);
      }
      return original.call(this, fn, signal);
    };
    (p as BreakerLike).execute = patched;
    restore = () => {
      if (p.execute !== patched) return;
      if (hadOwn) p.execute = original;
      else delete (p as Partial<BreakerLike>).execute;
    };
  }
  if (isTimeout(p)) {
    disposables.push(
      p.onTimeout(() => {
        const s = activeLogicalCall();
        if (s) s.timedOut = true;
      }),
    );
  }
  if (isFallback(p)) {
    disposables.push(
      p.onFailure((e) => {
        const s = activeLogicalCall();
        if (s && e?.handled) s.fallbackInvoked = true;
      }),
    );
  }
  if (disposables.length === 0 && !restore) return undefined;
  return {
    dispose() {
      for (const d of disposables) safely('cockatiel listener could not be removed', () => d.dispose(), undefined);
      restore?.();
    },
  };
}

/**
 * Observes a cockatiel policy (or a `wrap(...)` of several) and records what it does into the
 * logical call active when it acts ({@link withLlmCall}, {@link executeLlmCall}):
 *
 * - retry `onRetry`: the delay before the next attempt (`resilience.retry.delay` on that attempt);
 *   `onGiveUp` clears it. Attempts themselves are counted by the instrumented calls.
 * - circuit breaker `onStateChange` (break, reset, half-open, isolate): `resilience.circuit_breaker.state`
 *   as `closed`/`open`/`half_open`/`isolated`, on the logical call and on attempts started after;
 *   the state is also read when the breaker is entered, since a rejected call fires no event.
 *   For that the breaker's `execute` is wrapped on the instance; `dispose()` restores it.
 * - timeout `onTimeout`: `resilience.timeout=true`.
 * - fallback: cockatiel 4 has no `onFallback` event; a handled `onFailure` of a FallbackPolicy is
 *   exactly when it returns its fallback value, so that marks `resilience.fallback.used=true`.
 *
 * cockatiel emits these events inside `policy.execute`, so the active context is the caller's.
 * Idempotent: observing a policy twice returns the first handle (until it is disposed), so calling
 * this on every call costs a look-up.
 */
export function observeCockatiel(policy: CockatielPolicy<any, any>): Disposable {
  const known = roots.get(policy);
  if (known && live(known.parts)) return known.handle;
  const parts: Observation[] = [];
  const own = safely(
    'cockatiel policy could not be observed',
    () => {
      for (const p of policiesOf(policy)) {
        const existing = observed.get(p);
        if (existing) {
          parts.push(existing);
          continue;
        }
        const handle = observeOne(p);
        if (!handle) {
          logger.debug('cockatiel policy not recognised; nothing observed', (p as { constructor?: { name?: string } }).constructor?.name);
          continue;
        }
        const once = {
          disposed: false,
          dispose() {
            if (once.disposed) return;
            once.disposed = true;
            observed.delete(p);
            handle.dispose();
          },
        };
        observed.set(p, once);
        parts.push(once);
      }
      return true;
    },
    false,
  );
  if (!own) return { dispose() {} };
  const handle: Disposable = {
    dispose() {
      if (roots.get(policy)?.handle === handle) roots.delete(policy);
      for (const part of parts) part.dispose();
    },
  };
  roots.set(policy, { handle, parts });
  return handle;
}

/** Options of {@link executeLlmCall}. */
export interface ExecuteLlmCallOptions extends WithLlmCallOptions {
  /** Passed to `policy.execute` (cancels retries, timeouts and the call). */
  signal?: AbortSignal;
}

/**
 * Runs `fn` through a cockatiel policy as one logical LLM call: observes the policy (once), opens
 * a logical call ({@link withLlmCall}) and calls `policy.execute(fn, signal)` inside it. Each
 * instrumented call `fn` makes is an attempt; the parent span gets the retry count, delays,
 * breaker state, timeout and fallback. Resolves and rejects exactly as `policy.execute` does
 * (e.g. with cockatiel's `BrokenCircuitError`, recorded as `error.type`).
 */
export function executeLlmCall<T, C, A>(
  policy: CockatielPolicy<C, A>,
  request: LlmRequestInfo,
  fn: (context: C) => PromiseLike<T> | T,
  options?: ExecuteLlmCallOptions,
): Promise<T | A> {
  observeCockatiel(policy);
  const signal = options?.signal;
  return withLlmCall(request, () => policy.execute(fn, signal), options);
}
