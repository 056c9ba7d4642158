import { SpanKind, context, metrics, trace } from '@opentelemetry/api';
import type { Attributes, Span } from '@opentelemetry/api';
import {
  ATTR_CODE_FUNCTION_NAME,
  ATTR_GEN_AI_AGENT_NAME,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_LLM_EVENT_TYPE,
  ATTR_LLM_FUNCTION_ARGUMENTS,
  GEN_AI_OPERATION_NAME_VALUE_CHAT,
  GEN_AI_OPERATION_NAME_VALUE_EXECUTE_TOOL,
  GEN_AI_OPERATION_NAME_VALUE_INVOKE_AGENT,
} from '@driftwatch/semconv';
import { logger, reportDrop } from './diag';
import { endCall, resolveTelemetry, sanitizeRequest, settle } from './generic';
import type { LlmCallOptions } from './generic';
import { safeStringify } from './redact';
import { recordSpanFailure, setMetadataAttributes } from './telemetry';
import type { LlmTelemetry } from './telemetry';
import type { LlmResponseInfo } from './types';

const DEFAULT_MAX_ARGUMENTS = 2_048;

/** Options of {@link traced} and {@link wrapFunction}. */
export interface TracedOptions extends LlmCallOptions {
  /** `gen_ai.agent.name`; also names the span. */
  agent?: string;
  /** The caller's event type (`llm.event.type`), e.g. `plan`, `summarize`. */
  eventType?: string;
  /**
   * `gen_ai.operation.name`. Default: `invoke_agent` when `agent` is set, else `chat` when
   * `provider` is set, else `execute_tool`.
   */
  operation?: string;
  /**
   * The provider the function calls. When set, the span is a CLIENT span recorded like
   * {@link traceLlmCall} (GenAI metrics, cost, an attempt of an enclosing logical call); otherwise
   * it is an INTERNAL span without metrics.
   */
  provider?: string;
  /** `gen_ai.request.model` (with `provider`). */
  model?: string;
  /** Reads usage and response details from the function's result (with `provider`). */
  extract?: (result: any) => LlmResponseInfo | undefined;
  /**
   * Record the function's arguments as `llm.function.arguments`: JSON, redacted with the
   * configured redactor, cut to `maxArgumentsLength`; cycles become `"[Circular]"`. Off by default.
   */
  captureArguments?: boolean;
  /** Longest `llm.function.arguments` in characters (default 2048). */
  maxArgumentsLength?: number;
  /** Name used for `code.function.name` and the span name instead of the function's own. */
  functionName?: string;
  /** Extra span attributes `llm.metadata.<key>`. */
  metadata?: Readonly<Record<string, unknown>>;
}

/** Marks a function made by {@link wrapFunction}; holds the original. */
const ORIGINAL = Symbol.for('driftwatch.llm.traced.original');

/** Whether `fn` was made by {@link wrapFunction} (or {@link traced}). */
export function isTracedFunction(fn: unknown): boolean {
  return typeof fn === 'function' && (fn as unknown as Record<symbol, unknown>)[ORIGINAL] !== undefined;
}

/** The function a traced wrapper calls, or `fn` itself. */
export function unwrapFunction<F extends (...args: any[]) => any>(fn: F): F {
  const original = (fn as unknown as Record<symbol, unknown>)[ORIGINAL];
  return typeof original === 'function' ? (original as F) : fn;
}

function defaultOperation(o: TracedOptions): string {
  if (o.operation) return o.operation;
  if (o.agent) return GEN_AI_OPERATION_NAME_VALUE_INVOKE_AGENT;
  if (o.provider) return GEN_AI_OPERATION_NAME_VALUE_CHAT;
  return GEN_AI_OPERATION_NAME_VALUE_EXECUTE_TOOL;
}

/**
 * The qualified function name: fixed when the wrapper is made, or resolved per call (standard
 * decorators learn the class from `this`).
 */
type NameOf = string | ((self: unknown) => string);

function classNameOf(self: unknown): string | undefined {
  if (typeof self === 'function') return (self as { name?: string }).name || undefined;
  if (self !== null && typeof self === 'object') {
    const name = (self as { constructor?: { name?: unknown } }).constructor?.name;
    return typeof name === 'string' && name !== '' && name !== 'Object' ? name : undefined;
  }
  return undefined;
}

function keyName(key: string | symbol): string {
  return typeof key === 'symbol' ? `[${key.description ?? ''}]` : key;
}

/**
 * The telemetry a wrapper records with: resolved once, and again only when the global providers
 * it uses are replaced (instruments are never created per call).
 */
function telemetryFor(o: TracedOptions): () => LlmTelemetry {
  if (o.telemetry) {
    const t = o.telemetry;
    return () => t;
  }
  let cached: LlmTelemetry | undefined;
  let cachedTp: unknown;
  let cachedMp: unknown;
  return () => {
    const tp = o.tracerProvider ?? trace.getTracerProvider();
    const mp = o.meterProvider ?? metrics.getMeterProvider();
    if (cached === undefined || tp !== cachedTp || mp !== cachedMp) {
      cached = resolveTelemetry(o);
      cachedTp = tp;
      cachedMp = mp;
    }
    return cached;
  };
}

function argumentsAttribute(t: LlmTelemetry, args: unknown[], max: number): string | undefined {
  return t.redactText(safeStringify(args, max), max);
}

function makeWrapper<F extends (...args: any[]) => any>(fn: F, options: TracedOptions, nameOf: NameOf): F {
  const o = options ?? {};
  const operation = defaultOperation(o);
  const maxArgs = o.maxArgumentsLength !== undefined && o.maxArgumentsLength > 0 ? o.maxArgumentsLength : DEFAULT_MAX_ARGUMENTS;
  const telemetry = telemetryFor(o);
  const extract = o.extract;
  // Fixed per wrapper, so built once: the request of a CLIENT span, and the span name when the
  // function name does not depend on the receiver.
  const request = o.provider
    ? sanitizeRequest({ operation, provider: o.provider, model: o.model, agentName: o.agent, metadata: o.metadata })
    : undefined;
  const fixedSpanName = typeof nameOf === 'string' ? `${operation} ${o.agent || nameOf}` : undefined;

  function traced(this: unknown, ...args: unknown[]): unknown {
    let ctx = context.active();
    let finish: ((value: unknown) => void) | undefined;
    let fail: ((error: unknown) => void) | undefined;
    try {
      const t = telemetry();
      const fname = typeof nameOf === 'string' ? nameOf : nameOf(this);
      const spanName = fixedSpanName ?? `${operation} ${o.agent || fname}`;
      let span: Span;
      if (request) {
        const call = t.startCall(request, ctx, SpanKind.CLIENT);
        span = call.span;
        ctx = call.context;
        finish = (value) => endCall(call, extract, value);
        fail = (error) => call.fail(error);
        try {
          span.updateName(spanName);
        } catch (err) {
          reportDrop('span name could not be set', err);
        }
        if (span.isRecording()) span.setAttributes(functionAttributes(o, fname));
      } else {
        const attrs = functionAttributes(o, fname);
        attrs[ATTR_GEN_AI_OPERATION_NAME] = operation;
        const s = t.tracer.startSpan(spanName, { kind: SpanKind.INTERNAL, attributes: attrs }, ctx);
        span = s;
        ctx = trace.setSpan(ctx, s);
        finish = () => s.end();
        fail = (error) => {
          try {
            if (s.isRecording()) recordSpanFailure(t, s, error);
          } catch (err) {
            reportDrop('traced function failure could not be recorded', err);
          }
          s.end();
        };
        if (o.metadata && s.isRecording()) setMetadataAttributes(s, o.metadata);
      }
      if (o.captureArguments && span.isRecording()) {
        const json = argumentsAttribute(t, args, maxArgs);
        if (json !== undefined) span.setAttribute(ATTR_LLM_FUNCTION_ARGUMENTS, json);
      }
    } catch (err) {
      reportDrop('traced function span could not be started', err);
    }
    // A span that started is ended whatever failed after its start.
    if (!finish || !fail) return fn.apply(this, args);
    return settle(() => context.with(ctx, () => fn.apply(this, args)), finish, fail);
  }

  Object.defineProperty(traced, 'name', { value: fn.name, configurable: true });
  Object.defineProperty(traced, 'length', { value: fn.length, configurable: true });
  Object.defineProperty(traced, ORIGINAL, { value: fn, configurable: true });
  return traced as unknown as F;
}

/** `gen_ai.agent.name`, `llm.event.type` and `code.function.name` of one traced call. */
function functionAttributes(o: TracedOptions, fname: string): Attributes {
  const attrs: Attributes = {};
  if (o.agent) attrs[ATTR_GEN_AI_AGENT_NAME] = o.agent;
  if (o.eventType) attrs[ATTR_LLM_EVENT_TYPE] = o.eventType;
  attrs[ATTR_CODE_FUNCTION_NAME] = fname;
  return attrs;
}

/**
 * Wraps a plain function (sync or async) in a span named `{operation} {agent or function name}`
 * with `gen_ai.operation.name`, `gen_ai.agent.name`, `llm.event.type` and `code.function.name`.
 * The span is active while the function runs, so traced functions and LLM calls made inside are
 * its children. The result (a promise included) and the function's own errors reach the caller
 * unchanged. Wrapping a wrapped function returns it as it is.
 */
export function wrapFunction<F extends (...args: any[]) => any>(fn: F, options: TracedOptions = {}): F {
  if (typeof fn !== 'function') {
    reportDrop('wrapFunction called with a non-function; returned as it is', typeof fn);
    return fn;
  }
  if (isTracedFunction(fn)) return fn;
  return makeWrapper(fn, options, options.functionName || fn.name || 'anonymous');
}

/**
 * A method decorator that works with both decorator implementations TypeScript offers:
 * TC39 standard decorators `(value, context)` and `experimentalDecorators` `(target, key, descriptor)`.
 */
export interface TracedDecorator {
  <F extends (...args: any[]) => any>(value: F, context: ClassMethodDecoratorContext): F;
  (target: object, propertyKey: string | symbol, descriptor: PropertyDescriptor): PropertyDescriptor;
}

function isStandardContext(v: unknown): v is { kind: string; name: string | symbol; static?: boolean } {
  return v !== null && typeof v === 'object' && typeof (v as { kind?: unknown }).kind === 'string' && 'name' in v;
}

/**
 * Traces a class method like {@link wrapFunction} does a function. Works as a TC39 standard
 * decorator and as a legacy `experimentalDecorators` one (told apart at runtime by the arguments).
 * `code.function.name` is `Class.method`: the declaring class with legacy decorators, the class
 * of the receiver with standard decorators (which do not expose the class to method decorators).
 *
 * ```ts
 * class Planner {
 *   @traced({ agent: 'planner', eventType: 'plan' })
 *   async plan(goal: string) { ... }
 * }
 * ```
 */
export function traced(options: TracedOptions = {}): TracedDecorator {
  function decorator(target: any, keyOrContext: any, descriptor?: PropertyDescriptor): any {
    if (isStandardContext(keyOrContext)) {
      if (keyOrContext.kind !== 'method' || typeof target !== 'function') {
        logger.debug(`@traced applies to methods; ${keyOrContext.kind} ${keyName(keyOrContext.name)} left as it is`);
        return undefined;
      }
      if (isTracedFunction(target)) return target;
      if (options.functionName) return makeWrapper(target, options, options.functionName);
      const method = keyName(keyOrContext.name);
      return makeWrapper(target, options, (self) => {
        const cls = classNameOf(self);
        return cls ? `${cls}.${method}` : method;
      });
    }
    if (descriptor && typeof descriptor.value === 'function') {
      if (isTracedFunction(descriptor.value)) return descriptor;
      const method = options.functionName || keyName(keyOrContext as string | symbol);
      const cls = classNameOf(target);
      const qualified = options.functionName ? method : cls ? `${cls}.${method}` : method;
      descriptor.value = makeWrapper(descriptor.value, options, qualified);
      return descriptor;
    }
    logger.debug(`@traced applies to methods; ${String(keyOrContext)} left as it is`);
    return descriptor;
  }
  return decorator as TracedDecorator;
}
