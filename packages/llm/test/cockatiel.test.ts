// The cockatiel adapter against the real library (cockatiel 4): retry, circuit breaker, fallback,
// timeout and wrap(...) compositions.
import { SpanStatusCode } from '@opentelemetry/api';
import {
  BrokenCircuitError,
  ConsecutiveBreaker,
  ConstantBackoff,
  TaskCancelledError,
  TimeoutStrategy,
  circuitBreaker,
  fallback,
  handleAll,
  handleType,
  retry,
  timeout,
  wrap,
} from 'cockatiel';
import { describe, expect, it } from 'vitest';
import {
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_LLM_CALL_OUTCOME,
  ATTR_RESILIENCE_ATTEMPT,
  ATTR_RESILIENCE_CIRCUIT_BREAKER_STATE,
  ATTR_RESILIENCE_FALLBACK_CHAIN,
  ATTR_RESILIENCE_FALLBACK_FROM_MODEL,
  ATTR_RESILIENCE_FALLBACK_FROM_PROVIDER,
  ATTR_RESILIENCE_FALLBACK_USED,
  ATTR_RESILIENCE_RETRY_COUNT,
  ATTR_RESILIENCE_RETRY_DELAY,
  ATTR_RESILIENCE_TIMEOUT,
  METRIC_LLM_RETRIES,
} from '@driftwatch/semconv';
import { cockatielCircuitState, executeLlmCall, observeCockatiel, traceLlmCall, withLlmCall } from '@driftwatch/llm';
import { attemptsOf, drops, parentSpans, sleep, useHarness } from './generic-harness';

class OverloadedError extends Error {}

const h = useHarness();

const request = { operation: 'chat', provider: 'openai', model: 'gpt-4o' };
const base = {
  [ATTR_GEN_AI_OPERATION_NAME]: 'chat',
  [ATTR_GEN_AI_PROVIDER_NAME]: 'openai',
  [ATTR_GEN_AI_REQUEST_MODEL]: 'gpt-4o',
};

/** An instrumented provider call that fails with `error` or returns 'ok'. */
function call(error?: Error, signal?: AbortSignal, ms = 1) {
  return traceLlmCall(request, async () => {
    await sleep(ms, signal);
    if (error) throw error;
    return 'ok';
  }, h.opts);
}

describe('cockatiel retry', () => {
  it('fails twice then succeeds: three attempt spans and a parent with retry.count=2 and the delays', async () => {
    const policy = retry(handleAll, { maxAttempts: 3, backoff: new ConstantBackoff(10) });
    let n = 0;
    const result = await executeLlmCall(policy, request, ({ attempt }) => {
      n++;
      expect(attempt).toBe(n - 1);
      return call(n < 3 ? new OverloadedError(`try ${n}`) : undefined);
    }, h.opts);
    expect(result).toBe('ok');

    const [parent] = parentSpans(h);
    expect(parent!.attributes).toStrictEqual({
      ...base,
      [ATTR_RESILIENCE_RETRY_COUNT]: 2,
      [ATTR_RESILIENCE_FALLBACK_USED]: false,
      [ATTR_RESILIENCE_FALLBACK_CHAIN]: ['openai/gpt-4o'],
      [ATTR_LLM_CALL_OUTCOME]: 'success',
    });
    const spans = attemptsOf(h, parent!);
    expect(spans.map((s) => [s.attributes[ATTR_RESILIENCE_ATTEMPT], s.attributes[ATTR_RESILIENCE_RETRY_DELAY] ?? null, s.attributes[ATTR_ERROR_TYPE] ?? null])).toStrictEqual([
      [1, null, 'OverloadedError'],
      [2, 0.01, 'OverloadedError'],
      [3, 0.01, null],
    ]);
    expect(await h.points(METRIC_LLM_RETRIES)).toStrictEqual([{ attributes: base, value: 2 }]);
  });

  it('gives up after the last attempt and re-throws the last error', async () => {
    const policy = retry(handleAll, { maxAttempts: 1, backoff: new ConstantBackoff(1) });
    const err = new OverloadedError('still down');
    await expect(executeLlmCall(policy, request, () => call(err), h.opts)).rejects.toBe(err);
    const [parent] = parentSpans(h);
    expect(parent!.attributes[ATTR_RESILIENCE_RETRY_COUNT]).toBe(1);
    expect(parent!.attributes[ATTR_ERROR_TYPE]).toBe('OverloadedError');
    expect(parent!.status.code).toBe(SpanStatusCode.ERROR);
  });
});

describe('cockatiel circuit breaker', () => {
  it('records closed, then open on the call that breaks it, and BrokenCircuitError while open; half_open then closed on recovery', async () => {
    const breaker = circuitBreaker(handleType(OverloadedError), { halfOpenAfter: 40, breaker: new ConsecutiveBreaker(2) });
    await expect(executeLlmCall(breaker, request, () => call(new OverloadedError('1')), h.opts)).rejects.toThrow('1');
    await expect(executeLlmCall(breaker, request, () => call(new OverloadedError('2')), h.opts)).rejects.toThrow('2');
    const rejected = executeLlmCall(breaker, request, () => call(), h.opts);
    await expect(rejected).rejects.toBeInstanceOf(BrokenCircuitError);

    const [first, second, third] = parentSpans(h);
    expect(first!.attributes[ATTR_RESILIENCE_CIRCUIT_BREAKER_STATE]).toBe('closed');
    expect(attemptsOf(h, first!)[0]!.attributes[ATTR_RESILIENCE_CIRCUIT_BREAKER_STATE]).toBe('closed');
    expect(second!.attributes[ATTR_RESILIENCE_CIRCUIT_BREAKER_STATE]).toBe('open');
    expect(third!.attributes).toStrictEqual({
      ...base,
      [ATTR_RESILIENCE_RETRY_COUNT]: 0,
      [ATTR_RESILIENCE_FALLBACK_USED]: false,
      [ATTR_RESILIENCE_CIRCUIT_BREAKER_STATE]: 'open',
      [ATTR_LLM_CALL_OUTCOME]: 'error',
      [ATTR_ERROR_TYPE]: 'BrokenCircuitError',
    });
    expect(attemptsOf(h, third!)).toStrictEqual([]);

    await sleep(60);
    expect(await executeLlmCall(breaker, request, () => call(), h.opts)).toBe('ok');
    const fourth = parentSpans(h)[3]!;
    expect(attemptsOf(h, fourth)[0]!.attributes[ATTR_RESILIENCE_CIRCUIT_BREAKER_STATE]).toBe('half_open');
    expect(fourth.attributes[ATTR_RESILIENCE_CIRCUIT_BREAKER_STATE]).toBe('closed');
  });

  it('records the isolated state', async () => {
    const breaker = circuitBreaker(handleAll, { halfOpenAfter: 1000, breaker: new ConsecutiveBreaker(5) });
    const isolation = breaker.isolate();
    await expect(executeLlmCall(breaker, request, () => call(), h.opts)).rejects.toThrow();
    isolation.dispose();
    expect(parentSpans(h)[0]!.attributes[ATTR_RESILIENCE_CIRCUIT_BREAKER_STATE]).toBe('isolated');
    expect(parentSpans(h)[0]!.attributes[ATTR_ERROR_TYPE]).toBe('IsolatedCircuitError');
  });

  it('maps every cockatiel CircuitState', () => {
    expect([0, 1, 2, 3, 4].map(cockatielCircuitState)).toStrictEqual(['closed', 'open', 'half_open', 'isolated', undefined]);
  });
});

describe('cockatiel fallback and timeout', () => {
  it('a fallback policy serving its value marks fallback.used', async () => {
    const policy = fallback(handleAll, 'static answer');
    expect(await executeLlmCall(policy, request, () => call(new OverloadedError('down')), h.opts)).toBe('static answer');
    const [parent] = parentSpans(h);
    expect(parent!.attributes).toStrictEqual({
      ...base,
      [ATTR_RESILIENCE_RETRY_COUNT]: 0,
      [ATTR_RESILIENCE_FALLBACK_USED]: true,
      [ATTR_RESILIENCE_FALLBACK_CHAIN]: ['openai/gpt-4o'],
      [ATTR_RESILIENCE_FALLBACK_FROM_PROVIDER]: 'openai',
      [ATTR_RESILIENCE_FALLBACK_FROM_MODEL]: 'gpt-4o',
      [ATTR_LLM_CALL_OUTCOME]: 'success',
    });
    // A successful call through the same policy is not a fallback.
    await executeLlmCall(policy, request, () => call(), h.opts);
    expect(parentSpans(h)[1]!.attributes[ATTR_RESILIENCE_FALLBACK_USED]).toBe(false);
  });

  it('a timeout policy firing sets resilience.timeout=true and fails with TaskCancelledError', async () => {
    const policy = timeout(20, TimeoutStrategy.Aggressive);
    const p = executeLlmCall(policy, request, ({ signal }) => call(undefined, signal, 2000), h.opts);
    await expect(p).rejects.toBeInstanceOf(TaskCancelledError);
    await sleep(5);
    const [parent] = parentSpans(h);
    expect(parent!.attributes).toStrictEqual({
      ...base,
      [ATTR_RESILIENCE_RETRY_COUNT]: 0,
      [ATTR_RESILIENCE_FALLBACK_USED]: false,
      [ATTR_RESILIENCE_FALLBACK_CHAIN]: ['openai/gpt-4o'],
      [ATTR_RESILIENCE_TIMEOUT]: true,
      [ATTR_LLM_CALL_OUTCOME]: 'error',
      [ATTR_ERROR_TYPE]: 'TaskCancelledError',
    });
    expect(attemptsOf(h, parent!)[0]!.attributes[ATTR_ERROR_TYPE]).toBe('DOMException');
  });

  it('observes every policy inside wrap(...): retry over a timeout over a breaker', async () => {
    const policy = wrap(
      retry(handleAll, { maxAttempts: 2, backoff: new ConstantBackoff(5) }),
      timeout(30, TimeoutStrategy.Cooperative),
      circuitBreaker(handleAll, { halfOpenAfter: 1000, breaker: new ConsecutiveBreaker(5) }),
    );
    let n = 0;
    const result = await executeLlmCall(policy, request, ({ signal }) => {
      n++;
      return call(undefined, signal, n === 1 ? 2000 : 1);
    }, h.opts);
    expect(result).toBe('ok');
    const [parent] = parentSpans(h);
    expect(parent!.attributes).toStrictEqual({
      ...base,
      [ATTR_RESILIENCE_RETRY_COUNT]: 1,
      [ATTR_RESILIENCE_FALLBACK_USED]: false,
      [ATTR_RESILIENCE_FALLBACK_CHAIN]: ['openai/gpt-4o'],
      [ATTR_RESILIENCE_CIRCUIT_BREAKER_STATE]: 'closed',
      [ATTR_RESILIENCE_TIMEOUT]: true,
      [ATTR_LLM_CALL_OUTCOME]: 'success',
    });
    expect(attemptsOf(h, parent!).map((s) => [s.attributes[ATTR_RESILIENCE_RETRY_DELAY] ?? null, s.attributes[ATTR_RESILIENCE_CIRCUIT_BREAKER_STATE]])).toStrictEqual([
      [null, 'closed'],
      [0.005, 'closed'],
    ]);
  });
});

describe('observeCockatiel', () => {
  it('records into any active logical call, is idempotent, and dispose() removes the listeners and the execute wrapper', async () => {
    const breaker = circuitBreaker(handleAll, { halfOpenAfter: 1000, breaker: new ConsecutiveBreaker(1) });
    const handle = observeCockatiel(breaker);
    expect(Object.prototype.hasOwnProperty.call(breaker, 'execute')).toBe(true);
    const patched = breaker.execute;
    observeCockatiel(breaker);
    expect(breaker.execute).toBe(patched);

    await expect(withLlmCall(request, () => breaker.execute(() => call(new OverloadedError('x'))), h.opts)).rejects.toThrow('x');
    expect(parentSpans(h)[0]!.attributes[ATTR_RESILIENCE_CIRCUIT_BREAKER_STATE]).toBe('open');

    // Outside a logical call nothing is recorded and nothing breaks.
    await expect(breaker.execute(() => 'y')).rejects.toBeInstanceOf(BrokenCircuitError);

    handle.dispose();
    expect(Object.prototype.hasOwnProperty.call(breaker, 'execute')).toBe(false);
    await expect(withLlmCall(request, () => breaker.execute(() => 'z'), h.opts)).rejects.toBeInstanceOf(BrokenCircuitError);
    expect(parentSpans(h)[1]!.attributes[ATTR_RESILIENCE_CIRCUIT_BREAKER_STATE]).toBeUndefined();
    expect(drops()).toStrictEqual({});
  });
});
