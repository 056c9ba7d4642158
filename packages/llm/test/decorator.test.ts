// `traced` and `wrapFunction`. The test transformer does not lower TC39 decorator syntax, so the
// decorator is exercised three ways: called with the exact runtime arguments of each decorator
// flavour, and on real decorator syntax compiled by the TypeScript compiler (standard decorators
// and `experimentalDecorators`) and then run.
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import {
  ATTR_CODE_FUNCTION_NAME,
  ATTR_ERROR_MESSAGE,
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_AGENT_NAME,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_GEN_AI_USAGE_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_OUTPUT_TOKENS,
  ATTR_LLM_COST_COMPLETION,
  ATTR_LLM_COST_PROMPT,
  ATTR_LLM_COST_SOURCE,
  ATTR_LLM_COST_TOTAL,
  ATTR_LLM_EVENT_TYPE,
  ATTR_LLM_FUNCTION_ARGUMENTS,
  ATTR_LLM_METADATA_PREFIX,
  METRIC_LLM_CALLS,
} from '@driftwatch/semconv';
import { isTracedFunction, traceLlmCall, traced, unwrapFunction, wrapFunction } from '@driftwatch/llm';
import type { TracedOptions } from '@driftwatch/llm';
import { drops, parentId, sleep, useHarness } from './generic-harness';

const h = useHarness();

/** The `context` argument a TC39 method decorator receives. */
function methodContext(name: string | symbol, isStatic = false): ClassMethodDecoratorContext {
  return {
    kind: 'method',
    name,
    static: isStatic,
    private: false,
    access: { has: () => true, get: () => undefined },
    addInitializer: () => {},
    metadata: {},
  } as unknown as ClassMethodDecoratorContext;
}

/** Compiles `source` with the TypeScript compiler and runs it with `traced` and `options` in scope. */
function compileAndRun(source: string, experimentalDecorators: boolean, options: TracedOptions): any {
  const { outputText } = ts.transpileModule(source, {
    compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, experimentalDecorators },
  });
  return new Function('traced', 'options', `${outputText}\nreturn Planner;`)(traced, options);
}

const PLANNER = `
class Planner {
  constructor() { this.prefix = 'plan:'; }
  @traced({ ...options, agent: 'planner', eventType: 'plan' })
  async plan(goal) { await new Promise((r) => setTimeout(r, 1)); return this.prefix + goal; }
  @traced({ ...options, eventType: 'check' })
  check(n) { if (n < 0) throw new RangeError('negative'); return n * 2; }
  @traced({ ...options, eventType: 'lookup' })
  static lookup(id) { return 'id-' + id; }
}`;

describe('wrapFunction', () => {
  it('traces a sync function: INTERNAL span, name and attributes, result unchanged', () => {
    const add = wrapFunction(function add(a: number, b: number) {
      return a + b;
    }, { ...h.opts, eventType: 'math' });
    expect(add(2, 3)).toBe(5);
    expect(add.name).toBe('add');
    expect(add.length).toBe(2);
    const span = h.span('execute_tool add');
    expect(span.kind).toBe(SpanKind.INTERNAL);
    expect(span.attributes).toStrictEqual({
      [ATTR_GEN_AI_OPERATION_NAME]: 'execute_tool',
      [ATTR_LLM_EVENT_TYPE]: 'math',
      [ATTR_CODE_FUNCTION_NAME]: 'add',
    });
  });

  it('traces an async function as an agent and records its failure, re-throwing it unchanged', async () => {
    const err = new RangeError('no plan');
    const plan = wrapFunction(async function plan(goal: string) {
      await sleep(1);
      if (goal === 'fail') throw err;
      return `plan for ${goal}`;
    }, { ...h.opts, agent: 'planner', eventType: 'plan', metadata: { team: 'search' } });
    expect(await plan('x')).toBe('plan for x');
    await expect(plan('fail')).rejects.toBe(err);
    const [ok, failed] = h.spans();
    expect(ok!.name).toBe('invoke_agent planner');
    expect(ok!.attributes).toStrictEqual({
      [ATTR_GEN_AI_OPERATION_NAME]: 'invoke_agent',
      [ATTR_GEN_AI_AGENT_NAME]: 'planner',
      [ATTR_LLM_EVENT_TYPE]: 'plan',
      [ATTR_CODE_FUNCTION_NAME]: 'plan',
      [`${ATTR_LLM_METADATA_PREFIX}team`]: 'search',
    });
    expect(failed!.attributes).toStrictEqual({
      ...ok!.attributes,
      [ATTR_ERROR_TYPE]: 'RangeError',
      [ATTR_ERROR_MESSAGE]: 'no plan',
    });
    expect(failed!.status).toStrictEqual({ code: SpanStatusCode.ERROR, message: 'no plan' });
    // INTERNAL spans record no GenAI metrics.
    expect(await h.points(METRIC_LLM_CALLS)).toStrictEqual([]);
  });

  it('with a provider, records a CLIENT call with GenAI metrics, usage through extract, and cost', async () => {
    const draft = wrapFunction(async function draftReply(_prompt: string) {
      return { text: 'hi', usage: { prompt_tokens: 1000, completion_tokens: 500 } };
    }, {
      ...h.opts,
      provider: 'openai',
      model: 'gpt-4o',
      eventType: 'draft',
      extract: (r: { usage: { prompt_tokens: number; completion_tokens: number } }) => ({
        usage: { inputTokens: r.usage.prompt_tokens, outputTokens: r.usage.completion_tokens },
      }),
    });
    expect((await draft('hello')).text).toBe('hi');
    const span = h.span('chat draftReply');
    expect(span.kind).toBe(SpanKind.CLIENT);
    expect(span.attributes).toStrictEqual({
      [ATTR_GEN_AI_OPERATION_NAME]: 'chat',
      [ATTR_GEN_AI_PROVIDER_NAME]: 'openai',
      [ATTR_GEN_AI_REQUEST_MODEL]: 'gpt-4o',
      [ATTR_LLM_EVENT_TYPE]: 'draft',
      [ATTR_CODE_FUNCTION_NAME]: 'draftReply',
      [ATTR_GEN_AI_USAGE_INPUT_TOKENS]: 1000,
      [ATTR_GEN_AI_USAGE_OUTPUT_TOKENS]: 500,
      [ATTR_LLM_COST_PROMPT]: 0.0025,
      [ATTR_LLM_COST_COMPLETION]: 0.005,
      [ATTR_LLM_COST_TOTAL]: 0.0075,
      [ATTR_LLM_COST_SOURCE]: 'catalogue',
    });
    expect((await h.points(METRIC_LLM_CALLS)).map((p) => p.value)).toStrictEqual([1]);
  });

  it('captures arguments only when asked: JSON, redacted, size-limited, cycle-safe', () => {
    const cyclic: Record<string, unknown> = { name: 'loop' };
    cyclic.self = cyclic;
    const fn = (..._args: unknown[]) => 'ok';
    wrapFunction(fn, { ...h.opts, functionName: 'plain' })({ email: 'bob@example.com' });
    wrapFunction(fn, { ...h.opts, functionName: 'captured', captureArguments: true })(
      { email: 'bob@example.com', key: 'sk-ant-abcdefghijklmnopqrstuvwxyz' },
      cyclic,
      42n,
    );
    wrapFunction(fn, { ...h.opts, functionName: 'huge', captureArguments: true, maxArgumentsLength: 100 })('x'.repeat(1_000_000));
    expect(h.span('execute_tool plain').attributes[ATTR_LLM_FUNCTION_ARGUMENTS]).toBeUndefined();
    expect(h.span('execute_tool captured').attributes[ATTR_LLM_FUNCTION_ARGUMENTS]).toBe(
      '[{"email":"[REDACTED:email]","key":"[REDACTED:api_key]"},{"name":"loop","self":"[Circular]"},"42"]',
    );
    const huge = h.span('execute_tool huge').attributes[ATTR_LLM_FUNCTION_ARGUMENTS] as string;
    expect(huge.length).toBeLessThanOrEqual(100);
    expect(huge.endsWith('…[truncated]')).toBe(true);
    expect(drops()).toStrictEqual({});
  });

  it('is idempotent and keeps the original reachable', () => {
    const fn = () => 1;
    const wrapped = wrapFunction(fn, h.opts);
    expect(wrapFunction(wrapped, h.opts)).toBe(wrapped);
    expect(isTracedFunction(wrapped)).toBe(true);
    expect(isTracedFunction(fn)).toBe(false);
    expect(unwrapFunction(wrapped)).toBe(fn);
  });
});

describe('traced: runtime shapes of both decorator flavours', () => {
  it('TC39 standard: (value, context) returns a replacement method; the class comes from the receiver', async () => {
    class Planner {
      prefix = 'plan:';
      async plan(goal: string) {
        return this.prefix + goal;
      }
    }
    const replacement = traced({ ...h.opts, agent: 'planner', eventType: 'plan' })(Planner.prototype.plan, methodContext('plan'));
    expect(replacement).not.toBe(Planner.prototype.plan);
    Planner.prototype.plan = replacement;
    expect(await new Planner().plan('x')).toBe('plan:x');
    expect(h.span('invoke_agent planner').attributes).toStrictEqual({
      [ATTR_GEN_AI_OPERATION_NAME]: 'invoke_agent',
      [ATTR_GEN_AI_AGENT_NAME]: 'planner',
      [ATTR_LLM_EVENT_TYPE]: 'plan',
      [ATTR_CODE_FUNCTION_NAME]: 'Planner.plan',
    });
  });

  it('legacy experimentalDecorators: (target, key, descriptor) returns the descriptor with the method replaced', () => {
    class Checker {
      check(n: number) {
        return n * 2;
      }
    }
    const descriptor = Object.getOwnPropertyDescriptor(Checker.prototype, 'check')!;
    const original = descriptor.value;
    const out = traced({ ...h.opts, eventType: 'check' })(Checker.prototype, 'check', descriptor);
    expect(out).toBe(descriptor);
    expect(out.value).not.toBe(original);
    Object.defineProperty(Checker.prototype, 'check', out);
    expect(new Checker().check(4)).toBe(8);
    expect(h.span('execute_tool Checker.check').attributes[ATTR_CODE_FUNCTION_NAME]).toBe('Checker.check');
  });

  it('leaves what is not a method alone', () => {
    const value = () => 1;
    expect(traced(h.opts)(value, { kind: 'field', name: 'x' } as unknown as ClassMethodDecoratorContext)).toBeUndefined();
    const descriptor: PropertyDescriptor = { get: () => 1, configurable: true };
    expect(traced(h.opts)({}, 'x', descriptor)).toBe(descriptor);
    expect(descriptor.get).toBeDefined();
  });
});

describe('traced: real decorator syntax compiled by TypeScript', () => {
  for (const experimental of [false, true]) {
    it(`${experimental ? 'experimentalDecorators' : 'standard decorators'}: async, sync, throwing and static methods`, async () => {
      const Planner = compileAndRun(PLANNER, experimental, h.opts);
      const planner = new Planner();
      expect(await planner.plan('ship')).toBe('plan:ship');
      expect(planner.check(3)).toBe(6);
      expect(() => planner.check(-1)).toThrow(RangeError);
      expect(Planner.lookup(7)).toBe('id-7');

      expect(h.span('invoke_agent planner').attributes).toStrictEqual({
        [ATTR_GEN_AI_OPERATION_NAME]: 'invoke_agent',
        [ATTR_GEN_AI_AGENT_NAME]: 'planner',
        [ATTR_LLM_EVENT_TYPE]: 'plan',
        [ATTR_CODE_FUNCTION_NAME]: 'Planner.plan',
      });
      const checks = h.spans().filter((s) => s.name === 'execute_tool Planner.check');
      expect(checks.map((s) => s.attributes[ATTR_ERROR_TYPE] ?? null)).toStrictEqual([null, 'RangeError']);
      expect(h.span('execute_tool Planner.lookup').attributes[ATTR_LLM_EVENT_TYPE]).toBe('lookup');
    });
  }
});

describe('trace context through nested wrapped calls', () => {
  it('a traced method calling a traced function calling traceLlmCall gives a three-level tree', async () => {
    const summarize = wrapFunction(async function summarize(text: string) {
      await sleep(1);
      return traceLlmCall({ operation: 'chat', provider: 'openai', model: 'gpt-4o' }, async () => `summary of ${text}`, h.opts);
    }, { ...h.opts, eventType: 'summarize' });
    class Researcher {
      async run(topic: string) {
        return summarize(topic);
      }
    }
    const d = Object.getOwnPropertyDescriptor(Researcher.prototype, 'run')!;
    Object.defineProperty(Researcher.prototype, 'run', traced({ ...h.opts, agent: 'researcher' })(Researcher.prototype, 'run', d));

    expect(await new Researcher().run('otel')).toBe('summary of otel');
    const root = h.span('invoke_agent researcher');
    const tool = h.span('execute_tool summarize');
    const llm = h.span('chat gpt-4o');
    expect(parentId(root)).toBeUndefined();
    expect(parentId(tool)).toBe(root.spanContext().spanId);
    expect(parentId(llm)).toBe(tool.spanContext().spanId);
    expect(new Set([root, tool, llm].map((s) => s.spanContext().traceId)).size).toBe(1);
  });
});
