// The opossum adapter against the real library (opossum 10): a breaker opening after failures,
// rejecting while open, recovering through half-open, timing out, and serving a fallback.
import CircuitBreaker from 'opossum';
import { afterAll, describe, expect, it } from 'vitest';
import {
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_GEN_AI_RESPONSE_MODEL,
  ATTR_LLM_CALL_OUTCOME,
  ATTR_RESILIENCE_ATTEMPT,
  ATTR_RESILIENCE_CIRCUIT_BREAKER_STATE,
  ATTR_RESILIENCE_FALLBACK_CHAIN,
  ATTR_RESILIENCE_FALLBACK_FROM_MODEL,
  ATTR_RESILIENCE_FALLBACK_FROM_PROVIDER,
  ATTR_RESILIENCE_FALLBACK_USED,
  ATTR_RESILIENCE_RETRY_COUNT,
  ATTR_RESILIENCE_TIMEOUT,
} from '@driftwatch/semconv';
import { fireLlmCall, observeOpossum, opossumCircuitState, opossumErrorType, traceLlmCall, withLlmCall } from '@driftwatch/llm';
import { attemptsOf, drops, parentSpans, sleep, useHarness } from './generic-harness';

class OverloadedError extends Error {}

const h = useHarness();
const breakers: CircuitBreaker[] = [];
afterAll(() => {
  for (const b of breakers) b.shutdown();
});

const request = { operation: 'chat', provider: 'openai', model: 'gpt-4o' };
const base = {
  [ATTR_GEN_AI_OPERATION_NAME]: 'chat',
  [ATTR_GEN_AI_PROVIDER_NAME]: 'openai',
  [ATTR_GEN_AI_REQUEST_MODEL]: 'gpt-4o',
};

/** An instrumented provider call: fails when `fail`, takes `ms`, stops when `signal` aborts. */
function providerCall(provider: string, model: string, fail: boolean, ms = 1, signal?: AbortSignal) {
  return traceLlmCall({ operation: 'chat', provider, model }, async () => {
    await sleep(ms, signal);
    if (fail) throw new OverloadedError(`${provider} failed`);
    return `${provider}/${model}`;
  }, h.opts);
}

function breaker<TI extends unknown[], TR>(action: (...args: TI) => Promise<TR>, options: CircuitBreaker.Options) {
  const b = new CircuitBreaker(action, options);
  breakers.push(b);
  return b;
}

describe('opossum', () => {
  it('records closed, open when it opens, EOPENBREAKER while open, and half_open then closed on recovery', async () => {
    const b = breaker((fail: boolean) => providerCall('openai', 'gpt-4o', fail), {
      errorThresholdPercentage: 50,
      volumeThreshold: 2,
      resetTimeout: 50,
      timeout: false,
    });
    await expect(fireLlmCall(b, request, [true], h.opts)).rejects.toBeInstanceOf(OverloadedError);
    await expect(fireLlmCall(b, request, [true], h.opts)).rejects.toBeInstanceOf(OverloadedError);
    expect(b.opened).toBe(true);
    await expect(fireLlmCall(b, request, [false], h.opts)).rejects.toMatchObject({ code: 'EOPENBREAKER' });

    const [first, second, third] = parentSpans(h);
    expect(first!.attributes).toStrictEqual({
      ...base,
      [ATTR_RESILIENCE_RETRY_COUNT]: 0,
      [ATTR_RESILIENCE_FALLBACK_USED]: false,
      [ATTR_RESILIENCE_FALLBACK_CHAIN]: ['openai/gpt-4o'],
      [ATTR_RESILIENCE_CIRCUIT_BREAKER_STATE]: 'closed',
      [ATTR_LLM_CALL_OUTCOME]: 'error',
      [ATTR_ERROR_TYPE]: 'OverloadedError',
    });
    expect(attemptsOf(h, first!)[0]!.attributes[ATTR_RESILIENCE_CIRCUIT_BREAKER_STATE]).toBe('closed');
    expect(second!.attributes[ATTR_RESILIENCE_CIRCUIT_BREAKER_STATE]).toBe('open');
    expect(third!.attributes).toStrictEqual({
      ...base,
      [ATTR_RESILIENCE_RETRY_COUNT]: 0,
      [ATTR_RESILIENCE_FALLBACK_USED]: false,
      [ATTR_RESILIENCE_CIRCUIT_BREAKER_STATE]: 'open',
      [ATTR_LLM_CALL_OUTCOME]: 'error',
      [ATTR_ERROR_TYPE]: 'EOPENBREAKER',
    });
    expect(attemptsOf(h, third!)).toStrictEqual([]);

    await sleep(70);
    expect(b.halfOpen).toBe(true);
    expect(await fireLlmCall(b, request, [false], h.opts)).toBe('openai/gpt-4o');
    const fourth = parentSpans(h)[3]!;
    const [attempt] = attemptsOf(h, fourth);
    expect(attempt!.attributes[ATTR_RESILIENCE_ATTEMPT]).toBe(1);
    expect(attempt!.attributes[ATTR_RESILIENCE_CIRCUIT_BREAKER_STATE]).toBe('half_open');
    expect(fourth.attributes[ATTR_RESILIENCE_CIRCUIT_BREAKER_STATE]).toBe('closed');
    expect(fourth.attributes[ATTR_LLM_CALL_OUTCOME]).toBe('success');
  });

  it('a timeout sets resilience.timeout=true with error.type ETIMEDOUT', async () => {
    const controller = new AbortController();
    const b = breaker(() => providerCall('openai', 'gpt-4o', false, 2000, controller.signal), {
      timeout: 20,
      abortController: controller,
    });
    await expect(fireLlmCall(b, request, [], h.opts)).rejects.toMatchObject({ code: 'ETIMEDOUT' });
    await sleep(5);
    const [parent] = parentSpans(h);
    expect(attemptsOf(h, parent!)[0]!.attributes[ATTR_RESILIENCE_CIRCUIT_BREAKER_STATE]).toBe('closed');
    // With opossum's defaults one failure in one call is over the error threshold: this call opened it.
    expect(b.opened).toBe(true);
    expect(parent!.attributes).toStrictEqual({
      ...base,
      [ATTR_RESILIENCE_RETRY_COUNT]: 0,
      [ATTR_RESILIENCE_FALLBACK_USED]: false,
      [ATTR_RESILIENCE_FALLBACK_CHAIN]: ['openai/gpt-4o'],
      [ATTR_RESILIENCE_CIRCUIT_BREAKER_STATE]: 'open',
      [ATTR_RESILIENCE_TIMEOUT]: true,
      [ATTR_LLM_CALL_OUTCOME]: 'error',
      [ATTR_ERROR_TYPE]: 'ETIMEDOUT',
    });
    expect(attemptsOf(h, parent!)[0]!.attributes[ATTR_ERROR_TYPE]).toBe('DOMException');
  });

  it('a static fallback marks fallback.used; a fallback that calls another provider shows in the chain', async () => {
    const b = breaker((fail: boolean) => providerCall('openai', 'gpt-4o', fail), { timeout: false, volumeThreshold: 10 });
    b.fallback(() => 'cached answer');
    expect(await fireLlmCall(b, request, [true], h.opts)).toBe('cached answer');
    expect(parentSpans(h)[0]!.attributes).toStrictEqual({
      ...base,
      [ATTR_RESILIENCE_RETRY_COUNT]: 0,
      [ATTR_RESILIENCE_FALLBACK_USED]: true,
      [ATTR_RESILIENCE_FALLBACK_CHAIN]: ['openai/gpt-4o'],
      [ATTR_RESILIENCE_FALLBACK_FROM_PROVIDER]: 'openai',
      [ATTR_RESILIENCE_FALLBACK_FROM_MODEL]: 'gpt-4o',
      [ATTR_RESILIENCE_CIRCUIT_BREAKER_STATE]: 'closed',
      [ATTR_LLM_CALL_OUTCOME]: 'success',
    });

    const b2 = breaker((fail: boolean) => providerCall('openai', 'gpt-4o', fail), { timeout: false, volumeThreshold: 10 });
    b2.fallback(() => providerCall('anthropic', 'claude-haiku-4-5', false));
    expect(await fireLlmCall(b2, request, [true], h.opts)).toBe('anthropic/claude-haiku-4-5');
    expect(parentSpans(h)[1]!.attributes).toStrictEqual({
      ...base,
      [ATTR_RESILIENCE_RETRY_COUNT]: 1,
      [ATTR_RESILIENCE_FALLBACK_USED]: true,
      [ATTR_RESILIENCE_FALLBACK_CHAIN]: ['openai/gpt-4o', 'anthropic/claude-haiku-4-5'],
      [ATTR_RESILIENCE_FALLBACK_FROM_PROVIDER]: 'openai',
      [ATTR_RESILIENCE_FALLBACK_FROM_MODEL]: 'gpt-4o',
      [ATTR_GEN_AI_RESPONSE_MODEL]: 'claude-haiku-4-5',
      [ATTR_RESILIENCE_CIRCUIT_BREAKER_STATE]: 'closed',
      [ATTR_LLM_CALL_OUTCOME]: 'success',
    });
  });

  it('observeOpossum records into any logical call, is idempotent, and dispose() removes its listeners', async () => {
    const b = breaker(() => providerCall('openai', 'gpt-4o', false), { timeout: false });
    const events = ['fire', 'open', 'halfOpen', 'close', 'reject', 'timeout', 'fallback'];
    const before = events.map((e) => b.listenerCount(e));
    const handle = observeOpossum(b);
    expect(observeOpossum(b)).toBe(handle);
    expect(events.map((e) => b.listenerCount(e))).toStrictEqual(before.map((n) => n + 1));
    b.open();
    await expect(withLlmCall(request, () => b.fire(), h.opts)).rejects.toMatchObject({ code: 'EOPENBREAKER' });
    expect(parentSpans(h)[0]!.attributes[ATTR_RESILIENCE_CIRCUIT_BREAKER_STATE]).toBe('open');
    // Without fireLlmCall, error.type is the class name unless an errorType hook is given.
    expect(parentSpans(h)[0]!.attributes[ATTR_ERROR_TYPE]).toBe('_OTHER');
    handle.dispose();
    expect(events.map((e) => b.listenerCount(e))).toStrictEqual(before);
    expect(drops()).toStrictEqual({});
  });

  it('maps states and error codes', () => {
    expect(opossumCircuitState({ opened: false, halfOpen: true, closed: false })).toBe('half_open');
    expect(opossumCircuitState({ opened: true, halfOpen: false, closed: false })).toBe('open');
    expect(opossumCircuitState({ opened: false, halfOpen: false, closed: true })).toBe('closed');
    expect(opossumErrorType(Object.assign(new Error('x'), { code: 'ESEMLOCKED' }))).toBe('ESEMLOCKED');
    expect(opossumErrorType(Object.assign(new Error('x'), { code: 'ECONNRESET' }))).toBeUndefined();
  });
});
