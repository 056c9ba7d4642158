import { SpanKind, SpanStatusCode, context, metrics, trace } from '@opentelemetry/api';
import type { Attributes, Context, Histogram, Meter, Span, Tracer } from '@opentelemetry/api';
import {
  ATTR_ERROR_TYPE,
  ATTR_OTEL_METRIC_OVERFLOW,
  ATTR_SELECTOR_ATTEMPT_COUNT,
  ATTR_SELECTOR_ATTEMPT_INDEX,
  ATTR_SELECTOR_CANDIDATES,
  ATTR_SELECTOR_CANDIDATE_SCORES,
  ATTR_SELECTOR_CONFIDENCE,
  ATTR_SELECTOR_CONFIDENCE_THRESHOLD,
  ATTR_SELECTOR_CONTEXT,
  ATTR_SELECTOR_DRIFT_DETECTED,
  ATTR_SELECTOR_DRIFT_KIND,
  ATTR_SELECTOR_ELEMENT_FINGERPRINT,
  ATTR_SELECTOR_ENGINE_NAME,
  ATTR_SELECTOR_FALLBACK_DEPTH,
  ATTR_SELECTOR_FALLBACK_FROM,
  ATTR_SELECTOR_FALLBACK_USED,
  ATTR_SELECTOR_MEMORY_DELTA,
  ATTR_SELECTOR_NAME,
  ATTR_SELECTOR_QUERY,
  ATTR_SELECTOR_RESULT,
  ATTR_SELECTOR_STRATEGIES_ATTEMPTED,
  ATTR_SELECTOR_STRATEGY,
  ATTR_SELECTOR_STRATEGY_PRIMARY,
  ATTR_SELECTOR_STRATEGY_RESULT,
  ATTR_SELECTOR_TIMEOUT,
  ERROR_TYPE_VALUE_OTHER,
  EVENT_SELECTOR_DRIFT,
  METRIC_SELECTOR_CONFIDENCE,
  METRIC_SELECTOR_RESOLUTIONS,
  METRIC_SELECTOR_RESOLUTION_DURATION,
  METRIC_SELECTOR_STRATEGY_ATTEMPTS,
  METRIC_SELECTOR_STRATEGY_DURATION,
  SELECTOR_CONFIDENCE_BUCKETS,
  SELECTOR_DURATION_BUCKETS,
  SELECTOR_RESULT_VALUE_AMBIGUOUS,
  SELECTOR_RESULT_VALUE_ERROR,
  SELECTOR_RESULT_VALUE_LOW_CONFIDENCE,
  SELECTOR_RESULT_VALUE_NOT_FOUND,
  SELECTOR_RESULT_VALUE_SUCCESS,
  SELECTOR_RESULT_VALUE_TIMEOUT,
  SELECTOR_STRATEGY_RESULT_VALUE_AMBIGUOUS,
  SELECTOR_STRATEGY_RESULT_VALUE_ERROR,
  SELECTOR_STRATEGY_RESULT_VALUE_MATCHED,
  SELECTOR_STRATEGY_RESULT_VALUE_NO_MATCH,
  SELECTOR_STRATEGY_RESULT_VALUE_REJECTED,
  SELECTOR_STRATEGY_RESULT_VALUE_SKIPPED,
  SELECTOR_STRATEGY_RESULT_VALUE_TIMEOUT,
  SELECTOR_STRATEGY_RESULT_VALUE_UNSUPPORTED,
  SELECTOR_STRATEGY_VALUE_NONE,
  UNIT_ATTEMPTS,
  UNIT_RATIO,
  UNIT_RESOLUTIONS,
  UNIT_SECONDS,
} from '@driftwatch/semconv';
import { reportDrop } from './diag';
import {
  ERROR_TYPE_ABORT,
  ERROR_TYPE_INVALID_MATCH,
  ERROR_TYPE_LOW_CONFIDENCE,
  ERROR_TYPE_NOT_FOUND,
  ERROR_TYPE_STRICT_MODE,
  ERROR_TYPE_TIMEOUT,
  ERROR_TYPE_UNSUPPORTED,
  SelectorConfigError,
  errorTypeOf,
  isUnsupported,
} from './errors';
import { fingerprint, isDescriptor, similarity } from './fingerprint';
import type {
  AttemptRecord,
  Resolution,
  ResolutionRecord,
  ResolveOptions,
  ReportPeriod,
  SelectorAnomaly,
  SelectorReport,
  SelectorResult,
  SelectorStats,
  SelectorWindowStats,
  SelectorTelemetryOptions,
  StrategyResult,
} from './model';
import { ObservedCounter } from './observed-counter';
import type { CounterCell } from './observed-counter';
import { ResolutionLog, periodOf } from './report';
import { DRIFT_KIND_SETS, Observation, RESULTS, RESULT_CODES, SelectorState } from './state';
import type { AttemptSeries, ResolutionSeries } from './state';
import type { ElementDescriptor, Strategy, StrategyMatch } from './types';
import { PACKAGE_NAME, PACKAGE_VERSION } from './version';

const DEFAULT_TIMEOUT_MS = 5000;
const DEFAULT_THRESHOLD = 0.6;
const DEFAULT_ENGINE = 'custom';
const DEFAULT_MAX_SELECTORS = 1000;

/**
 * A retry round is not started within this many milliseconds of the deadline: timers may fire up to
 * a millisecond early, and a round started then would be cut off at once.
 */
const DEADLINE_SLACK_MS = 1;

/** Playwright's action back-off (`dom.ts` `_retryAction`); the last wait repeats. */
const DEFAULT_RETRY_INTERVALS: readonly number[] = Object.freeze([0, 20, 100, 100, 500]);
/** setTimeout's limit. */
const MAX_TIMEOUT_MS = 2_147_483_647;
/** Metric series with cached attribute sets, over all selectors (the SDK's default cardinality limit). */
const MAX_SERIES = 2000;
/** Attempts kept per resolution for child spans; later ones are counted but get no span. */
const MAX_ATTEMPT_SPANS = 64;
const MAX_QUERY_LENGTH = 256;
const MAX_LABEL_LENGTH = 256;
const MAX_RETRY_INTERVALS = 64;
const MAX_CANDIDATE_SCORES = 5;

const ALWAYS = 0;
const FALLBACK = 1;
const NEVER = 2;

/** Where counts of series beyond the cardinality bound go (OTel SDK convention). */
const OVERFLOW_ATTRIBUTES: Attributes = Object.freeze({ [ATTR_OTEL_METRIC_OVERFLOW]: true });
const NO_DRIFT: readonly never[] = Object.freeze([]);
/** Epoch ms of `performance.now()` = 0 (read once: the getter is not free). */
const TIME_ORIGIN = performance.timeOrigin;

const TELEMETRY_OPTION_KEYS = new Set([
  'tracerProvider',
  'meterProvider',
  'threshold',
  'captureQueries',
  'attemptSpans',
  'measureMemory',
  'engine',
  'maxSelectors',
]);

// ---------------------------------------------------------------------------------------------
// Instruments: created once per meter and shared by every telemetry instance on it, so two
// instances never report the same observable series twice.

interface Instruments {
  readonly resolutions: ObservedCounter;
  readonly attempts: ObservedCounter;
  readonly resolutionDuration: Histogram;
  readonly strategyDuration: Histogram;
  readonly confidence: Histogram;
  /** `selector.strategy.duration` attribute sets per (kind, result); no selector name on them. */
  readonly strategyDurationSets: Map<string, Attributes>;
}

const instrumentsByMeter = new WeakMap<Meter, Instruments>();

function instrumentsFor(meter: Meter): Instruments {
  let inst = instrumentsByMeter.get(meter);
  if (inst) return inst;
  inst = {
    resolutions: new ObservedCounter(meter, METRIC_SELECTOR_RESOLUTIONS, 'Selector resolutions by outcome and winning strategy.', UNIT_RESOLUTIONS),
    attempts: new ObservedCounter(meter, METRIC_SELECTOR_STRATEGY_ATTEMPTS, 'Strategy attempts by outcome.', UNIT_ATTEMPTS),
    resolutionDuration: meter.createHistogram(METRIC_SELECTOR_RESOLUTION_DURATION, {
      description: 'Duration of selector resolutions, retries and fallbacks included.',
      unit: UNIT_SECONDS,
      advice: { explicitBucketBoundaries: [...SELECTOR_DURATION_BUCKETS] },
    }),
    strategyDuration: meter.createHistogram(METRIC_SELECTOR_STRATEGY_DURATION, {
      description: 'Duration of single strategy attempts.',
      unit: UNIT_SECONDS,
      advice: { explicitBucketBoundaries: [...SELECTOR_DURATION_BUCKETS] },
    }),
    confidence: meter.createHistogram(METRIC_SELECTOR_CONFIDENCE, {
      description: 'Confidence of matched elements, 0..1.',
      unit: UNIT_RATIO,
      advice: { explicitBucketBoundaries: [...SELECTOR_CONFIDENCE_BUCKETS] },
    }),
    strategyDurationSets: new Map(),
  };
  instrumentsByMeter.set(meter, inst);
  return inst;
}

// ---------------------------------------------------------------------------------------------
// Validation

function label(v: unknown, what: string): string {
  if (typeof v !== 'string' || v === '') throw new SelectorConfigError(`${what} must be a non-empty string, got ${describe(v)}`);
  if (v.length > MAX_LABEL_LENGTH) throw new SelectorConfigError(`${what} must be at most ${MAX_LABEL_LENGTH} characters, got ${v.length}`);
  return v;
}

function ratio(v: unknown, what: string): number {
  if (typeof v !== 'number' || !(v >= 0 && v <= 1)) throw new SelectorConfigError(`${what} must be a number in [0, 1], got ${describe(v)}`);
  return v;
}

function bool(v: unknown, what: string): boolean {
  if (typeof v !== 'boolean') throw new SelectorConfigError(`${what} must be a boolean, got ${describe(v)}`);
  return v;
}

function describe(v: unknown): string {
  if (typeof v === 'string') return v === '' ? 'an empty string' : JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  return String(v);
}

function checkTelemetryOptions(o: SelectorTelemetryOptions): void {
  if (o === null || typeof o !== 'object') throw new SelectorConfigError(`selector telemetry options must be an object, got ${describe(o)}`);
  for (const key of Object.keys(o)) {
    if (!TELEMETRY_OPTION_KEYS.has(key)) {
      throw new SelectorConfigError(`unknown selector telemetry option "${key}"; expected one of ${[...TELEMETRY_OPTION_KEYS].join(', ')}`);
    }
  }
  if (o.tracerProvider !== undefined && typeof (o.tracerProvider as { getTracer?: unknown })?.getTracer !== 'function') {
    throw new SelectorConfigError('tracerProvider must be a TracerProvider (an object with getTracer())');
  }
  if (o.meterProvider !== undefined && typeof (o.meterProvider as { getMeter?: unknown })?.getMeter !== 'function') {
    throw new SelectorConfigError('meterProvider must be a MeterProvider (an object with getMeter())');
  }
  if (o.threshold !== undefined) ratio(o.threshold, 'threshold');
  if (o.captureQueries !== undefined) bool(o.captureQueries, 'captureQueries');
  if (o.measureMemory !== undefined) bool(o.measureMemory, 'measureMemory');
  if (o.attemptSpans !== undefined && o.attemptSpans !== 'always' && o.attemptSpans !== 'fallback' && o.attemptSpans !== 'never') {
    throw new SelectorConfigError(`attemptSpans must be 'always', 'fallback' or 'never', got ${describe(o.attemptSpans)}`);
  }
  if (o.engine !== undefined) label(o.engine, 'engine');
  if (o.maxSelectors !== undefined && (typeof o.maxSelectors !== 'number' || !Number.isInteger(o.maxSelectors) || o.maxSelectors < 1)) {
    throw new SelectorConfigError(`maxSelectors must be a positive integer, got ${describe(o.maxSelectors)}`);
  }
}

/** The first problem with the arguments of a resolution, or undefined. */
function checkResolveArguments(name: unknown, strategies: unknown, o: ResolveOptions | undefined): Error | undefined {
  if (typeof name !== 'string' || name === '') return new TypeError(`selector name must be a non-empty string, got ${describe(name)}`);
  if (!Array.isArray(strategies) || strategies.length === 0) {
    return new TypeError(`strategies for selector "${name}" must be a non-empty array of { kind, find } objects, got ${describe(strategies)}`);
  }
  for (let i = 0; i < strategies.length; i++) {
    const s = strategies[i] as Strategy | undefined;
    if (s === null || typeof s !== 'object') return new TypeError(`strategies[${i}] of selector "${name}" must be an object, got ${describe(s)}`);
    if (typeof s.kind !== 'string' || s.kind === '') return new TypeError(`strategies[${i}].kind of selector "${name}" must be a non-empty string, got ${describe(s.kind)}`);
    if (typeof s.find !== 'function') return new TypeError(`strategies[${i}].find of selector "${name}" must be a function`);
  }
  if (o === undefined) return undefined;
  try {
    checkResolveOptions(o);
  } catch (err) {
    return err as Error;
  }
  return undefined;
}

function checkResolveOptions(o: ResolveOptions): void {
  if (o === null || typeof o !== 'object') throw new SelectorConfigError(`resolve options must be an object, got ${describe(o)}`);
  for (const key in o) {
    const v = (o as Record<string, unknown>)[key];
    switch (key) {
      case 'timeout':
        if (v !== undefined && (typeof v !== 'number' || !(v > 0 && v <= MAX_TIMEOUT_MS))) {
          throw new SelectorConfigError(`timeout must be a number of milliseconds in (0, ${MAX_TIMEOUT_MS}], got ${describe(v)}`);
        }
        break;
      case 'context':
        if (v !== undefined) label(v, 'context');
        break;
      case 'engine':
        if (v !== undefined) label(v, 'engine');
        break;
      case 'threshold':
        if (v !== undefined) ratio(v, 'threshold');
        break;
      case 'allowMultiple':
        if (v !== undefined) bool(v, 'allowMultiple');
        break;
      case 'retryIntervals':
        if (v !== undefined) checkIntervals(v);
        break;
      case 'signal':
        if (
          v !== undefined &&
          (v === null || typeof v !== 'object' || typeof (v as AbortSignal).aborted !== 'boolean' || typeof (v as AbortSignal).addEventListener !== 'function')
        ) {
          throw new SelectorConfigError(`signal must be an AbortSignal, got ${describe(v)}`);
        }
        break;
      default:
        throw new SelectorConfigError(
          `unknown resolve option "${key}"; expected one of timeout, context, engine, threshold, allowMultiple, retryIntervals, signal`,
        );
    }
  }
}

function checkIntervals(v: unknown): void {
  if (!Array.isArray(v) || v.length > MAX_RETRY_INTERVALS) {
    throw new SelectorConfigError(`retryIntervals must be an array of at most ${MAX_RETRY_INTERVALS} waits in ms, got ${describe(v)}`);
  }
  for (let i = 0; i < v.length; i++) {
    const w = v[i] as unknown;
    if (typeof w !== 'number' || !(w >= 0 && w <= MAX_TIMEOUT_MS)) {
      throw new SelectorConfigError(`retryIntervals[${i}] must be a number of milliseconds ≥ 0, got ${describe(w)}`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// One attempt, and waiting

/** One strategy attempt: timings (performance.now() ms) and outcome. @internal */
class Attempt {
  end = 0;
  result: StrategyResult = SELECTOR_STRATEGY_RESULT_VALUE_NO_MATCH;
  count = -1;
  confidence = NaN;
  errorType: string | undefined = undefined;
  element: ElementDescriptor | undefined = undefined;
  fingerprint: string | undefined = undefined;
  scores: readonly number[] | undefined = undefined;
  value: unknown = undefined;
  span: Span | undefined = undefined;

  constructor(
    readonly index: number,
    readonly strategy: Strategy<unknown>,
    readonly start: number,
  ) {}
}

const TIMED_OUT = 1;
const ABORTED = 2;

/** How an awaited strategy settled. */
class Settled {
  constructor(
    readonly ok: boolean,
    readonly value: unknown,
  ) {}
}

/**
 * The state of one `resolve()`: inputs, clock, span, attempts so far and the decision. One object,
 * so that a resolution settled in its first round allocates little.
 *
 * @internal
 */
class Run {
  first: Attempt | undefined = undefined;
  /** Every attempt (up to the span limit) once there is more than one, or a skipped one. */
  more: Attempt[] | undefined = undefined;
  made = 0;
  winner: Attempt | undefined = undefined;
  ambiguous: Attempt | undefined = undefined;
  rejected: Attempt | undefined = undefined;
  firstError: string | undefined = undefined;
  result: SelectorResult | undefined = undefined;
  errorType: string | undefined = undefined;
  unsupported: Uint8Array | undefined = undefined;
  /** Rounds waited for so far. */
  round = 0;
  /** Next strategy index of the current round. */
  next = 0;
  /** The current round had a no-match / a timed-out attempt. */
  noMatch = false;
  timedOut = false;
  /** The attempt whose promise is awaited. */
  pending: Attempt | undefined = undefined;
  readonly ctrl = new AbortController();
  readonly deadline: number;

  constructor(
    readonly name: string,
    readonly strategies: readonly Strategy<unknown>[],
    readonly state: SelectorState | undefined,
    readonly span: Span,
    readonly recording: boolean,
    readonly live: boolean,
    readonly runCtx: Context,
    readonly t0: number,
    readonly wallOffset: number,
    readonly timeoutMs: number,
    readonly threshold: number,
    readonly allowMultiple: boolean,
    readonly intervals: readonly number[],
    readonly signal: AbortSignal | undefined,
    readonly engine: string,
    readonly context: string | undefined,
    readonly heap0: number,
  ) {
    this.deadline = t0 + timeoutMs;
  }
}

/**
 * Waits for a strategy's promise, the deadline, or the caller's abort, whichever comes first. The
 * timer is cleared and the listener removed when it settles; a promise that settles later is
 * ignored (its rejection is handled, so it never becomes an unhandled rejection).
 */
function settle(p: PromiseLike<unknown>, ms: number, signal: AbortSignal | undefined): Promise<Settled | typeof TIMED_OUT | typeof ABORTED> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (v: Settled | typeof TIMED_OUT | typeof ABORTED): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      resolve(v);
    };
    const onAbort = (): void => finish(ABORTED);
    const timer = setTimeout(finish, Math.max(0, ms), TIMED_OUT);
    signal?.addEventListener('abort', onAbort);
    Promise.resolve(p).then(
      (v) => finish(new Settled(true, v)),
      (e: unknown) => finish(new Settled(false, e)),
    );
  });
}

/** Sleeps `ms`; resolves false early when the caller aborts. */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal === undefined) {
      setTimeout(resolve, ms, true);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return v !== null && typeof v === 'object' && typeof (v as { then?: unknown }).then === 'function';
}

function heapUsed(): number {
  return process.memoryUsage().heapUsed;
}

function truncateQuery(q: string): string {
  return q.length > MAX_QUERY_LENGTH ? q.slice(0, MAX_QUERY_LENGTH) : q;
}

/** Distinct kinds in order of first attempt, skipped ones left out. */
function attemptedKinds(attempts: readonly Attempt[]): string[] {
  const out: string[] = [];
  for (const a of attempts) {
    if (a.result === SELECTOR_STRATEGY_RESULT_VALUE_SKIPPED) continue;
    const k = a.strategy.kind;
    if (!out.includes(k)) out.push(k);
  }
  return out;
}

/**
 * A finished resolution, from `resolve()` or `recordResolution()`, as the statistics (the
 * {@link Observation} part), the resolution log, the metrics and the resolution span take it. One per
 * telemetry instance, refilled for each resolution: nothing is allocated for it.
 *
 * @internal
 */
class Summary extends Observation {
  name = '';
  state: SelectorState | undefined = undefined;
  result: SelectorResult = SELECTOR_RESULT_VALUE_SUCCESS;
  engine = '';
  context: string | undefined = undefined;
  /** The resolution span when it records (its attributes are set), else undefined. */
  span: Span | undefined = undefined;
  primary: string | undefined = undefined;
  attempted: readonly string[] | undefined = undefined;
  attemptCount = 0;
  /** NaN when none applied. */
  threshold = NaN;
  /** NaN when unknown. */
  timeoutMs = NaN;
  /** -1 when unknown. */
  candidates = -1;
  fallbackFrom: string | undefined = undefined;
  /** NaN when unknown. */
  memoryDelta = NaN;
  errorType: string | undefined = undefined;
}

// ---------------------------------------------------------------------------------------------

/**
 * Resolves named selectors through ordered strategies and records what happened: one span per
 * resolution (`resolve {selector.name}`), child spans per attempt, metrics, drift against each
 * selector's baseline, and in-process statistics. Create one per tracer/meter provider pair with
 * {@link createSelectorTelemetry}.
 */
export class SelectorTelemetry {
  readonly threshold: number;
  readonly captureQueries: boolean;
  readonly attemptSpans: 'always' | 'fallback' | 'never';
  readonly measureMemory: boolean;
  readonly engine: string;
  readonly maxSelectors: number;
  private readonly _tracer: Tracer;
  private readonly _inst: Instruments;
  private readonly _mode: number;
  private readonly _states = new Map<string, SelectorState>();
  private readonly _log = new ResolutionLog();
  /** Refilled by each resolution and recorded one before {@link _emit}. */
  private readonly _summary = new Summary();
  /** `selector.strategies.attempted` of a single attempt when the selector has no state. */
  private readonly _singleKinds = new Map<string, readonly string[]>();
  private _series = 0;

  /** Prefer {@link createSelectorTelemetry}; throws `SelectorConfigError` on bad options. */
  constructor(options: SelectorTelemetryOptions = {}) {
    checkTelemetryOptions(options);
    this.threshold = options.threshold ?? DEFAULT_THRESHOLD;
    this.captureQueries = options.captureQueries === true;
    this.attemptSpans = options.attemptSpans ?? 'fallback';
    this._mode = this.attemptSpans === 'always' ? ALWAYS : this.attemptSpans === 'never' ? NEVER : FALLBACK;
    this.measureMemory = options.measureMemory === true;
    this.engine = options.engine ?? DEFAULT_ENGINE;
    this.maxSelectors = options.maxSelectors ?? DEFAULT_MAX_SELECTORS;
    this._tracer = (options.tracerProvider ?? trace.getTracerProvider()).getTracer(PACKAGE_NAME, PACKAGE_VERSION);
    this._inst = instrumentsFor((options.meterProvider ?? metrics.getMeterProvider()).getMeter(PACKAGE_NAME, PACKAGE_VERSION));
  }

  /**
   * Tries `strategies` in order, in rounds with Playwright's back-off, until one matches exactly one
   * element (or more, with `allowMultiple`) with a confidence at or above the threshold, or the
   * time budget runs out. Never rejects once the arguments are valid: failures are a
   * {@link Resolution} with a `result` other than `success`. Bad arguments reject with a
   * `TypeError` (name, strategies) or `SelectorConfigError` (options) before any strategy runs.
   */
  resolve<T>(name: string, strategies: readonly Strategy<T>[], options?: ResolveOptions): Promise<Resolution<T>> {
    const problem = checkResolveArguments(name, strategies, options);
    if (problem !== undefined) return Promise.reject(problem);
    try {
      const run = this._open(name, strategies as readonly Strategy<unknown>[], options);
      // The first round runs synchronously: a resolution whose strategies answer at once never
      // enters an async function.
      const pending = this._step(run);
      if (pending === undefined && run.result !== undefined) return Promise.resolve(this._finish(run)) as Promise<Resolution<T>>;
      return this._continue(run, pending) as Promise<Resolution<T>>;
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** Starts a resolution: its state, its span and its clock. */
  private _open(name: string, strategies: readonly Strategy<unknown>[], o: ResolveOptions | undefined): Run {
    const state = this._stateFor(name);
    const parent = context.active();
    // One clock for the resolution span and its attempt spans: wall-clock start, monotonic offsets.
    const wall0 = Date.now();
    const t0 = performance.now();
    const span = this._tracer.startSpan(state !== undefined ? state.spanName : `resolve ${name}`, { kind: SpanKind.INTERNAL, startTime: wall0 }, parent);
    const recording = span.isRecording();
    const timeoutMs = o?.timeout ?? DEFAULT_TIMEOUT_MS;
    return new Run(
      name,
      strategies,
      state,
      span,
      recording,
      recording && this._mode === ALWAYS,
      recording ? trace.setSpan(parent, span) : parent,
      t0,
      wall0 - t0,
      timeoutMs,
      o?.threshold ?? this.threshold,
      o?.allowMultiple === true,
      o?.retryIntervals ?? DEFAULT_RETRY_INTERVALS,
      o?.signal,
      o?.engine ?? this.engine,
      o?.context,
      this.measureMemory ? heapUsed() : 0,
    );
  }

  /**
   * Runs the current round from `run.next` on, synchronously. Returns the promise of a strategy
   * that answered with one (the attempt is `run.pending`); otherwise undefined, with `run.result`
   * set when the resolution is decided, or unset when the round ended and the resolver must wait.
   */
  private _step(run: Run): PromiseLike<unknown> | undefined {
    const strategies = run.strategies;
    const n = strategies.length;
    for (let i = run.next; i < n; i++) {
      if (run.unsupported !== undefined && run.unsupported[i] === 1) continue;
      const now = run.made === 0 ? run.t0 : performance.now();
      if (run.signal?.aborted) {
        run.result = SELECTOR_RESULT_VALUE_ERROR;
        run.errorType = ERROR_TYPE_ABORT;
        return undefined;
      }
      if (now >= run.deadline) {
        if (i === run.next && run.round > 0 && run.next === 0) {
          // A retry round that would start at the deadline (a timer may fire a little early, or the
          // event loop late): the previous round's answer stands.
          this._outOfBudget(run);
          return undefined;
        }
        // The budget ran out before every strategy could answer.
        this._skipFrom(run, i, now);
        run.result = SELECTOR_RESULT_VALUE_TIMEOUT;
        run.errorType = ERROR_TYPE_TIMEOUT;
        return undefined;
      }
      const s = strategies[i]!;
      const a = new Attempt(i, s, now);
      run.made++;
      if (run.first === undefined) run.first = a;
      else {
        if (run.more === undefined) run.more = [run.first];
        if (run.more.length < MAX_ATTEMPT_SPANS) run.more.push(a);
      }
      let found: unknown;
      let thrown = false;
      try {
        if (run.live) {
          a.span = this._tracer.startSpan(`${s.kind} ${run.name}`, { kind: SpanKind.INTERNAL, startTime: run.wallOffset + now }, run.runCtx);
          found = context.with(trace.setSpan(run.runCtx, a.span), s.find, s, run.ctrl.signal, run.deadline - now);
        } else if (run.recording) {
          found = context.with(run.runCtx, s.find, s, run.ctrl.signal, run.deadline - now);
        } else {
          found = s.find(run.ctrl.signal, run.deadline - now);
        }
      } catch (err) {
        thrown = true;
        found = err;
      }
      if (!thrown && isThenable(found)) {
        run.pending = a;
        run.next = i + 1;
        return found;
      }
      a.end = performance.now();
      this._settleAttempt(run, a, thrown, found);
      if (run.result !== undefined) return undefined;
    }
    this._roundEnd(run);
    return undefined;
  }

  /** Classifies an attempt that answered (or threw), records it, and notes what it means for the round. */
  private _settleAttempt(run: Run, a: Attempt, thrown: boolean, found: unknown): void {
    if (thrown) {
      if (isUnsupported(found)) {
        a.result = SELECTOR_STRATEGY_RESULT_VALUE_UNSUPPORTED;
        if (run.unsupported === undefined) run.unsupported = new Uint8Array(run.strategies.length);
        run.unsupported[a.index] = 1;
      } else {
        const type = errorTypeOf(found);
        a.errorType = type;
        if (type === ERROR_TYPE_TIMEOUT) {
          a.result = SELECTOR_STRATEGY_RESULT_VALUE_TIMEOUT;
          run.timedOut = true;
        } else {
          a.result = SELECTOR_STRATEGY_RESULT_VALUE_ERROR;
          if (run.firstError === undefined) run.firstError = type;
        }
      }
    } else {
      try {
        this._classify(a, found, run.state, run.threshold, run.allowMultiple);
      } catch (err) {
        // A match we cannot read (a descriptor whose getters throw, say) is the strategy's fault.
        reportDrop(`strategy "${a.strategy.kind}" returned a match that could not be read; attempt recorded as an error`, err);
        a.result = SELECTOR_STRATEGY_RESULT_VALUE_ERROR;
        a.errorType = ERROR_TYPE_INVALID_MATCH;
      }
    }
    this._attemptDone(run, a);
    switch (a.result) {
      case SELECTOR_STRATEGY_RESULT_VALUE_MATCHED:
        run.winner = a;
        run.result = SELECTOR_RESULT_VALUE_SUCCESS;
        break;
      case SELECTOR_STRATEGY_RESULT_VALUE_NO_MATCH:
        run.noMatch = true;
        break;
      case SELECTOR_STRATEGY_RESULT_VALUE_AMBIGUOUS:
        if (run.ambiguous === undefined) run.ambiguous = a;
        break;
      case SELECTOR_STRATEGY_RESULT_VALUE_REJECTED:
        if (run.rejected === undefined || a.confidence > run.rejected.confidence) run.rejected = a;
        break;
      case SELECTOR_STRATEGY_RESULT_VALUE_ERROR:
        if (a.errorType === ERROR_TYPE_INVALID_MATCH && run.firstError === undefined) run.firstError = ERROR_TYPE_INVALID_MATCH;
        break;
      default:
    }
  }

  /** A round ended with no winner: decide, or leave the result unset to wait and try again. */
  private _roundEnd(run: Run): void {
    if (run.ambiguous !== undefined) {
      // Strict mode: more elements will not become fewer by waiting.
      run.result = SELECTOR_RESULT_VALUE_AMBIGUOUS;
      run.errorType = ERROR_TYPE_STRICT_MODE;
    } else if (run.rejected !== undefined) {
      run.result = SELECTOR_RESULT_VALUE_LOW_CONFIDENCE;
      run.errorType = ERROR_TYPE_LOW_CONFIDENCE;
    } else if (!run.noMatch && !run.timedOut) {
      // Every strategy failed or is unsupported: waiting will not help.
      run.result = SELECTOR_RESULT_VALUE_ERROR;
      run.errorType = run.firstError ?? ERROR_TYPE_UNSUPPORTED;
    } else if (run.intervals.length === 0) {
      this._outOfBudget(run);
    }
  }

  /** The budget is spent: `timeout` when the last round had a timed-out attempt, else `not_found`. */
  private _outOfBudget(run: Run): void {
    run.result = run.timedOut ? SELECTOR_RESULT_VALUE_TIMEOUT : SELECTOR_RESULT_VALUE_NOT_FOUND;
    run.errorType = run.timedOut ? ERROR_TYPE_TIMEOUT : ERROR_TYPE_NOT_FOUND;
  }

  /** Records the strategies from `from` on as skipped: the budget ran out before their turn. */
  private _skipFrom(run: Run, from: number, at: number): void {
    for (let j = from; j < run.strategies.length; j++) {
      if (run.unsupported !== undefined && run.unsupported[j] === 1) continue;
      const skipped = new Attempt(j, run.strategies[j]!, at);
      skipped.end = at;
      skipped.result = SELECTOR_STRATEGY_RESULT_VALUE_SKIPPED;
      this._attemptDone(run, skipped);
      if (run.more === undefined) run.more = run.first !== undefined ? [run.first] : [];
      if (run.more.length < MAX_ATTEMPT_SPANS) run.more.push(skipped);
    }
  }

  /** The asynchronous part of a resolution: awaited strategies and the waits between rounds. */
  private async _continue(run: Run, pending: PromiseLike<unknown> | undefined): Promise<Resolution<unknown>> {
    for (;;) {
      if (pending !== undefined) {
        const settled = await settle(pending, run.deadline - performance.now(), run.signal);
        const a = run.pending!;
        run.pending = undefined;
        pending = undefined;
        a.end = performance.now();
        if (settled === TIMED_OUT) {
          // Abandoned at the deadline: abort it, skip the rest of the round.
          a.result = SELECTOR_STRATEGY_RESULT_VALUE_TIMEOUT;
          a.errorType = ERROR_TYPE_TIMEOUT;
          run.ctrl.abort(new DOMException(`selector "${run.name}" timed out after ${run.timeoutMs} ms`, ERROR_TYPE_TIMEOUT));
          this._attemptDone(run, a);
          this._skipFrom(run, a.index + 1, a.end);
          run.result = SELECTOR_RESULT_VALUE_TIMEOUT;
          run.errorType = ERROR_TYPE_TIMEOUT;
        } else if (settled === ABORTED) {
          a.result = SELECTOR_STRATEGY_RESULT_VALUE_ERROR;
          a.errorType = ERROR_TYPE_ABORT;
          run.ctrl.abort(run.signal?.reason);
          this._attemptDone(run, a);
          run.result = SELECTOR_RESULT_VALUE_ERROR;
          run.errorType = ERROR_TYPE_ABORT;
        } else {
          this._settleAttempt(run, a, !settled.ok, settled.value);
          if (run.result === undefined) pending = this._step(run);
        }
      } else if (run.result === undefined) {
        // The round ended with no decision: wait, then start the next one.
        const intervals = run.intervals;
        const wait = intervals[run.round < intervals.length ? run.round : intervals.length - 1]!;
        run.round++;
        const left = run.deadline - performance.now();
        if (left > 0 && !(await sleep(Math.min(wait, left), run.signal))) {
          run.result = SELECTOR_RESULT_VALUE_ERROR;
          run.errorType = ERROR_TYPE_ABORT;
        } else if (left <= 0 || performance.now() >= run.deadline - DEADLINE_SLACK_MS) {
          this._outOfBudget(run);
        } else {
          run.next = 0;
          run.noMatch = false;
          run.timedOut = false;
          pending = this._step(run);
        }
      } else {
        return this._finish(run);
      }
    }
  }

  /** Ends a resolution: statistics, drift, metrics, span attributes; returns what it found. */
  private _finish(run: Run): Resolution<unknown> {
    const end = performance.now();
    const durationMs = end - run.t0;
    const result = run.result!;
    const winner = run.winner;
    const ambiguous = run.ambiguous;
    const best = winner ?? (result === SELECTOR_RESULT_VALUE_LOW_CONFIDENCE ? run.rejected : undefined);
    const fallbackUsed = winner !== undefined && winner.index > 0;
    const fallbackFrom = fallbackUsed ? run.strategies[0]!.kind : undefined;
    const element = winner?.element;
    const errorType = run.errorType;
    let fp: string | undefined;
    let drift = 0;
    try {
      fp = winner?.fingerprint ?? (element !== undefined ? fingerprint(element) : undefined);
      const recording = run.recording;
      const first = run.first;
      const more = run.more;
      const s = this._summary;
      s.name = run.name;
      s.state = run.state;
      s.result = result;
      s.strategy = winner !== undefined ? winner.strategy.kind : SELECTOR_STRATEGY_VALUE_NONE;
      s.depth = winner !== undefined ? winner.index : -1;
      s.fallbackUsed = fallbackUsed;
      s.confidence = best !== undefined ? best.confidence : NaN;
      s.accepted = winner !== undefined;
      s.element = element;
      s.fingerprint = fp;
      s.durationMs = durationMs;
      s.ambiguousSeen = ambiguous !== undefined;
      s.endTime = TIME_ORIGIN + end;
      s.engine = run.engine;
      s.context = run.context;
      s.span = recording ? run.span : undefined;
      s.primary = run.strategies[0]!.kind;
      s.attempted = !recording
        ? undefined
        : more !== undefined
          ? attemptedKinds(more)
          : first !== undefined
            ? this._single(run.state, first.strategy.kind)
            : [];
      s.attemptCount = run.made;
      s.threshold = run.threshold;
      s.timeoutMs = run.timeoutMs;
      s.candidates = winner !== undefined ? winner.count : ambiguous !== undefined ? ambiguous.count : -1;
      s.fallbackFrom = fallbackFrom;
      s.memoryDelta = recording && this.measureMemory ? heapUsed() - run.heap0 : NaN;
      s.errorType = errorType;
      drift = this._emit(s);
      if (recording && this._mode === FALLBACK && (more !== undefined || (first !== undefined && first !== winner))) {
        for (const a of more ?? [first!]) this._retroAttemptSpan(a, run.name, run.runCtx, run.wallOffset);
      }
    } catch (err) {
      reportDrop('selector telemetry failed while recording a resolution', err);
    }
    run.span.end(run.wallOffset + end);
    return {
      name: run.name,
      result,
      strategy: winner !== undefined ? winner.strategy.kind : SELECTOR_STRATEGY_VALUE_NONE,
      index: winner !== undefined ? winner.index : -1,
      value: winner?.value,
      count: winner !== undefined ? winner.count : ambiguous !== undefined ? ambiguous.count : 0,
      confidence: best !== undefined ? best.confidence : undefined,
      fallbackUsed,
      fallbackFrom,
      attempts: run.made,
      durationMs,
      element,
      fingerprint: fp,
      drift: drift !== 0 ? DRIFT_KIND_SETS[drift]! : NO_DRIFT,
      errorType,
    };
  }

  /**
   * What `resolve()` and `recordResolution()` share once a resolution is summed up: statistics and
   * drift, the resolution log, the resolution metrics and the resolution span's attributes (when
   * `s.span` is set, i.e. it records). Returns the drift kinds (bits) the resolution showed.
   */
  private _emit(s: Summary): number {
    const state = s.state;
    const result = s.result;
    const code = RESULT_CODES[result];
    s.resultCode = code;
    const drift = state !== undefined ? state.observe(s) : 0;
    this._log.push(s.endTime, s.name, code, s.strategy, s.fallbackUsed, s.confidence, s.durationMs, drift);

    // Metrics.
    const series = this._resolutionSeries(state, s.strategy, result, s.fallbackUsed, s.engine, s.context);
    const inst = this._inst;
    if (series !== undefined) series.resolutions.value++;
    else this._overflowCell().value++;
    if (s.durationMs === s.durationMs) inst.resolutionDuration.record(s.durationMs / 1000, series !== undefined ? series.duration : OVERFLOW_ATTRIBUTES);
    if (s.accepted) inst.confidence.record(s.confidence, series !== undefined ? series.confidence : OVERFLOW_ATTRIBUTES);

    // Span.
    const span = s.span;
    if (span === undefined) return drift;
    s.span = undefined;
    span.setAttribute(ATTR_SELECTOR_NAME, s.name);
    span.setAttribute(ATTR_SELECTOR_ENGINE_NAME, s.engine);
    span.setAttribute(ATTR_SELECTOR_STRATEGY, s.strategy);
    if (s.primary !== undefined) span.setAttribute(ATTR_SELECTOR_STRATEGY_PRIMARY, s.primary);
    if (s.attempted !== undefined) span.setAttribute(ATTR_SELECTOR_STRATEGIES_ATTEMPTED, s.attempted as string[]);
    span.setAttribute(ATTR_SELECTOR_ATTEMPT_COUNT, s.attemptCount);
    if (s.threshold === s.threshold) span.setAttribute(ATTR_SELECTOR_CONFIDENCE_THRESHOLD, s.threshold);
    span.setAttribute(ATTR_SELECTOR_FALLBACK_USED, s.fallbackUsed);
    span.setAttribute(ATTR_SELECTOR_RESULT, result);
    if (s.timeoutMs === s.timeoutMs) span.setAttribute(ATTR_SELECTOR_TIMEOUT, s.timeoutMs / 1000);
    if (s.accepted) span.setAttribute(ATTR_SELECTOR_CONFIDENCE, s.confidence);
    if (s.depth >= 0) span.setAttribute(ATTR_SELECTOR_FALLBACK_DEPTH, s.depth);
    if (s.candidates >= 0) span.setAttribute(ATTR_SELECTOR_CANDIDATES, s.candidates);
    if (s.fallbackFrom !== undefined) span.setAttribute(ATTR_SELECTOR_FALLBACK_FROM, s.fallbackFrom);
    if (s.context !== undefined) span.setAttribute(ATTR_SELECTOR_CONTEXT, s.context);
    if (s.fingerprint !== undefined) span.setAttribute(ATTR_SELECTOR_ELEMENT_FINGERPRINT, s.fingerprint);
    span.setAttribute(ATTR_SELECTOR_DRIFT_DETECTED, drift !== 0);
    if (drift !== 0) span.setAttribute(ATTR_SELECTOR_DRIFT_KIND, DRIFT_KIND_SETS[drift]! as unknown as string[]);
    if (s.memoryDelta === s.memoryDelta) span.setAttribute(ATTR_SELECTOR_MEMORY_DELTA, s.memoryDelta);
    if (s.errorType !== undefined) {
      span.setAttribute(ATTR_ERROR_TYPE, s.errorType);
      span.setStatus({ code: SpanStatusCode.ERROR });
    }
    if (state !== undefined && state.driftChanged) this._driftEvent(span, state, s.strategy, s.confidence, s.fingerprint);
    return drift;
  }

  /** Classifies what a strategy returned (count, confidence, element). */
  private _classify(a: Attempt, found: unknown, state: SelectorState | undefined, threshold: number, allowMultiple: boolean): void {
    const m = found as StrategyMatch<unknown> | null | undefined;
    const count = m !== null && typeof m === 'object' ? m.count : undefined;
    if (typeof count !== 'number' || !(count >= 0) || count === Infinity || !Number.isInteger(count)) {
      reportDrop(`strategy "${a.strategy.kind}" returned no valid { count }; attempt recorded as an error`, count);
      a.result = SELECTOR_STRATEGY_RESULT_VALUE_ERROR;
      a.errorType = ERROR_TYPE_INVALID_MATCH;
      return;
    }
    const match = m!;
    a.count = count;
    if (count === 0) {
      a.result = SELECTOR_STRATEGY_RESULT_VALUE_NO_MATCH;
      return;
    }
    const scores = match.candidateScores;
    if (scores !== undefined) a.scores = scores;
    if (count > 1 && !allowMultiple) {
      a.result = SELECTOR_STRATEGY_RESULT_VALUE_AMBIGUOUS;
      return;
    }
    let el = match.element;
    if (el !== undefined && !isDescriptor(el)) {
      reportDrop('strategy element is not a descriptor { tag, … }; dropped', typeof el);
      el = undefined;
    }
    let c = match.confidence;
    if (c !== undefined && (typeof c !== 'number' || !(c >= 0 && c <= 1))) {
      reportDrop('strategy confidence outside [0, 1] dropped', c);
      c = undefined;
    }
    if (el !== undefined) {
      a.element = el;
      a.fingerprint = fingerprint(el);
    }
    if (c === undefined) {
      // No confidence of the engine's own: how alike the element is to the last good one.
      const prev = state?.lastElement;
      if (prev === undefined || el === undefined || el === prev || a.fingerprint === state!.lastFingerprint) c = 1;
      else c = similarity(prev, el);
    }
    a.confidence = c;
    a.value = match.value;
    a.result = c >= threshold ? SELECTOR_STRATEGY_RESULT_VALUE_MATCHED : SELECTOR_STRATEGY_RESULT_VALUE_REJECTED;
  }

  /** Per-attempt metrics and statistics; ends a live attempt span. */
  private _attemptDone(run: Run, a: Attempt): void {
    try {
      const state = run.state;
      const kind = a.strategy.kind;
      const ms = a.end - a.start;
      const series = this._attemptSeries(state, kind, a.result);
      if (series !== undefined) series.attempts.value++;
      else this._overflowAttemptCell().value++;
      if (a.result !== SELECTOR_STRATEGY_RESULT_VALUE_SKIPPED) {
        this._inst.strategyDuration.record(ms / 1000, series !== undefined ? series.strategyDuration : this._strategyDurationSet(kind, a.result));
      }
      if (state !== undefined) state.recordAttempt(kind, a.result, ms);
      if (run.live) {
        if (a.span === undefined) {
          a.span = this._tracer.startSpan(`${kind} ${run.name}`, { kind: SpanKind.INTERNAL, startTime: run.wallOffset + a.start }, run.runCtx);
        }
        this._attemptAttributes(a.span, a, run.name);
        a.span.end(run.wallOffset + a.end);
      }
    } catch (err) {
      reportDrop('selector telemetry failed while recording an attempt', err);
    }
  }

  /** A child span made afterwards from an attempt's buffered timings ('fallback' mode). */
  private _retroAttemptSpan(a: Attempt, name: string, runCtx: Context, wallOffset: number): void {
    const span = this._tracer.startSpan(`${a.strategy.kind} ${name}`, { kind: SpanKind.INTERNAL, startTime: wallOffset + a.start }, runCtx);
    this._attemptAttributes(span, a, name);
    span.end(wallOffset + a.end);
  }

  private _attemptAttributes(span: Span, a: Attempt, name: string): void {
    if (!span.isRecording()) return;
    span.setAttribute(ATTR_SELECTOR_NAME, name);
    span.setAttribute(ATTR_SELECTOR_STRATEGY, a.strategy.kind);
    span.setAttribute(ATTR_SELECTOR_ATTEMPT_INDEX, a.index);
    span.setAttribute(ATTR_SELECTOR_STRATEGY_RESULT, a.result);
    if (a.count >= 0) span.setAttribute(ATTR_SELECTOR_CANDIDATES, a.count);
    if (a.confidence === a.confidence) span.setAttribute(ATTR_SELECTOR_CONFIDENCE, a.confidence);
    if (a.scores !== undefined) {
      const scores: number[] = [];
      for (const s of a.scores) {
        if (scores.length === MAX_CANDIDATE_SCORES) break;
        if (typeof s === 'number' && Number.isFinite(s)) scores.push(s);
      }
      if (scores.length > 0) span.setAttribute(ATTR_SELECTOR_CANDIDATE_SCORES, scores);
    }
    const q = a.strategy.query;
    if (this.captureQueries && typeof q === 'string' && q !== '') span.setAttribute(ATTR_SELECTOR_QUERY, truncateQuery(q));
    if (a.errorType !== undefined) {
      span.setAttribute(ATTR_ERROR_TYPE, a.errorType);
      span.setStatus({ code: SpanStatusCode.ERROR });
    }
  }

  private _driftEvent(span: Span, state: SelectorState, strategy: string, confidence: number, fp: string | undefined): void {
    const attrs: Attributes = {
      [ATTR_SELECTOR_NAME]: state.name,
      [ATTR_SELECTOR_DRIFT_DETECTED]: state.driftActive !== 0,
      [ATTR_SELECTOR_DRIFT_KIND]: DRIFT_KIND_SETS[state.driftActive]! as unknown as string[],
      [ATTR_SELECTOR_STRATEGY]: strategy,
    };
    if (confidence === confidence) attrs[ATTR_SELECTOR_CONFIDENCE] = confidence;
    if (fp !== undefined) attrs[ATTR_SELECTOR_ELEMENT_FINGERPRINT] = fp;
    span.addEvent(EVENT_SELECTOR_DRIFT, attrs);
  }

  /** The per-name state, created on first use while there is room; undefined past `maxSelectors`. */
  private _stateFor(name: string): SelectorState | undefined {
    let state = this._states.get(name);
    if (state === undefined) {
      if (this._states.size >= this.maxSelectors) {
        reportDrop('selector names beyond maxSelectors are traced but not kept in statistics (metrics go to the overflow series)');
        return undefined;
      }
      state = new SelectorState(name);
      this._states.set(name, state);
    }
    return state;
  }

  private _single(state: SelectorState | undefined, kind: string): readonly string[] {
    const cache = state !== undefined ? state.singleAttempted : this._singleKinds;
    let list = cache.get(kind);
    if (list === undefined) {
      list = Object.freeze([kind]);
      if (cache.size < 64) cache.set(kind, list);
    }
    return list;
  }

  /** The resolution series' cells and attribute sets, built once per series; undefined past the bound. */
  private _resolutionSeries(
    state: SelectorState | undefined,
    strategy: string,
    result: SelectorResult,
    fallbackUsed: boolean,
    engine: string,
    ctxLabel: string | undefined,
  ): ResolutionSeries | undefined {
    if (state === undefined) return undefined;
    const last = state.lastResolutionSeries;
    if (
      last !== undefined &&
      last.strategy === strategy &&
      last.result === result &&
      last.fallbackUsed === fallbackUsed &&
      last.engine === engine &&
      last.context === ctxLabel
    ) {
      return last;
    }
    const key = `${strategy}\u0000${result}\u0000${fallbackUsed ? 1 : 0}\u0000${engine}\u0000${ctxLabel ?? ''}\u0000${ctxLabel === undefined ? 0 : 1}`;
    let series = state.resolutionSeries.get(key);
    if (series === undefined) {
      if (this._series >= MAX_SERIES) {
        reportDrop('selector metric series beyond the limit counted in the overflow series');
        return undefined;
      }
      this._series++;
      const name = state.name;
      const counter: Attributes = {
        [ATTR_SELECTOR_NAME]: name,
        [ATTR_SELECTOR_STRATEGY]: strategy,
        [ATTR_SELECTOR_RESULT]: result,
        [ATTR_SELECTOR_FALLBACK_USED]: fallbackUsed,
        [ATTR_SELECTOR_ENGINE_NAME]: engine,
      };
      if (ctxLabel !== undefined) counter[ATTR_SELECTOR_CONTEXT] = ctxLabel;
      series = {
        strategy,
        result,
        fallbackUsed,
        engine,
        context: ctxLabel,
        resolutions: this._inst.resolutions.cell(`${name}\u0000${key}`, Object.freeze(counter)),
        duration: Object.freeze({ [ATTR_SELECTOR_NAME]: name, [ATTR_SELECTOR_RESULT]: result, [ATTR_SELECTOR_STRATEGY]: strategy }),
        confidence: Object.freeze({ [ATTR_SELECTOR_NAME]: name, [ATTR_SELECTOR_STRATEGY]: strategy }),
      };
      state.resolutionSeries.set(key, series);
    }
    state.lastResolutionSeries = series;
    return series;
  }

  private _attemptSeries(state: SelectorState | undefined, kind: string, result: StrategyResult): AttemptSeries | undefined {
    if (state === undefined) return undefined;
    const last = state.lastAttemptSeries;
    if (last !== undefined && last.kind === kind && last.result === result) return last;
    const key = `${kind}\u0000${result}`;
    let series = state.attemptSeries.get(key);
    if (series === undefined) {
      if (this._series >= MAX_SERIES) {
        reportDrop('selector metric series beyond the limit counted in the overflow series');
        return undefined;
      }
      this._series++;
      const attrs = Object.freeze({ [ATTR_SELECTOR_NAME]: state.name, [ATTR_SELECTOR_STRATEGY]: kind, [ATTR_SELECTOR_STRATEGY_RESULT]: result });
      series = {
        kind,
        result,
        attempts: this._inst.attempts.cell(`${state.name}\u0000${key}`, attrs),
        strategyDuration: this._strategyDurationSet(kind, result),
      };
      state.attemptSeries.set(key, series);
    }
    state.lastAttemptSeries = series;
    return series;
  }

  private _strategyDurationSet(kind: string, result: StrategyResult): Attributes {
    const sets = this._inst.strategyDurationSets;
    const key = `${kind}\u0000${result}`;
    let attrs = sets.get(key);
    if (attrs === undefined) {
      if (sets.size >= MAX_SERIES) return OVERFLOW_ATTRIBUTES;
      attrs = Object.freeze({ [ATTR_SELECTOR_STRATEGY]: kind, [ATTR_SELECTOR_STRATEGY_RESULT]: result });
      sets.set(key, attrs);
    }
    return attrs;
  }

  private _overflowCell(): CounterCell {
    return this._inst.resolutions.cell('\u0000overflow', OVERFLOW_ATTRIBUTES);
  }

  private _overflowAttemptCell(): CounterCell {
    return this._inst.attempts.cell('\u0000overflow', OVERFLOW_ATTRIBUTES);
  }

  // -------------------------------------------------------------------------------------------

  /**
   * Records a resolution an engine measured itself: the same span (backdated to `startTime`, or to
   * now − `durationMs`), metrics, statistics and drift as {@link resolve}. Never throws: a bad
   * field is dropped with a counted diag warning; a non-string name drops the whole record.
   */
  recordResolution(name: string, record: ResolutionRecord): void {
    try {
      this._record(name, record);
    } catch (err) {
      reportDrop('selector telemetry failed while recording a resolution', err);
    }
  }

  private _record(name: string, record: ResolutionRecord): void {
    if (typeof name !== 'string' || name === '') {
      reportDrop('recordResolution: selector name is not a non-empty string; record dropped', typeof name);
      return;
    }
    if (record === null || typeof record !== 'object') {
      reportDrop('recordResolution: record is not an object; record dropped', typeof record);
      return;
    }
    const r = record;
    const strategy = optLabel(r.strategy, 'strategy');
    let result = r.result;
    if (result !== undefined && !RESULTS.includes(result)) {
      drop('result', result);
      result = undefined;
    }
    let success = r.success;
    if (success !== undefined && typeof success !== 'boolean') {
      drop('success', success);
      success = undefined;
    }
    if (result !== undefined && success !== undefined && (result === SELECTOR_RESULT_VALUE_SUCCESS) !== success) {
      reportDrop('recordResolution: `success` disagrees with `result`; `result` kept');
    }
    const errorTypeIn = optLabel(r.errorType, 'errorType');
    if (result === undefined) {
      if (success === true) result = SELECTOR_RESULT_VALUE_SUCCESS;
      else if (success === false) {
        result =
          errorTypeIn === ERROR_TYPE_TIMEOUT ? SELECTOR_RESULT_VALUE_TIMEOUT : errorTypeIn !== undefined ? SELECTOR_RESULT_VALUE_ERROR : SELECTOR_RESULT_VALUE_NOT_FOUND;
      } else result = strategy !== undefined && strategy !== SELECTOR_STRATEGY_VALUE_NONE ? SELECTOR_RESULT_VALUE_SUCCESS : SELECTOR_RESULT_VALUE_NOT_FOUND;
    }
    const ok = result === SELECTOR_RESULT_VALUE_SUCCESS;
    const winnerKind = ok ? (strategy ?? 'custom') : SELECTOR_STRATEGY_VALUE_NONE;
    const confidence = optNumber(r.confidence, 'confidence', 0, 1);
    const durationMs = optNumber(r.durationMs, 'durationMs', 0, Infinity);
    const candidates = optCount(r.candidates, 'candidates');
    let fallbackUsed = r.fallbackUsed;
    if (fallbackUsed !== undefined && typeof fallbackUsed !== 'boolean') {
      drop('fallbackUsed', fallbackUsed);
      fallbackUsed = undefined;
    }
    const fallbackFrom = optLabel(r.fallbackFrom, 'fallbackFrom');
    const timeoutMs = optNumber(r.timeoutMs, 'timeoutMs', Number.MIN_VALUE, Infinity);
    const ctxLabel = optLabel(r.context, 'context');
    const engine = optLabel(r.engine, 'engine') ?? this.engine;
    let element = r.element;
    if (element !== undefined && !isDescriptor(element)) {
      drop('element', typeof element);
      element = undefined;
    }
    const memoryDelta = optNumber(r.memoryDelta, 'memoryDelta', -Infinity, Infinity);
    let startTime = r.startTime;
    if (startTime !== undefined && (typeof startTime !== 'number' || !Number.isFinite(startTime) || startTime < 0)) {
      drop('startTime', startTime);
      startTime = undefined;
    }
    const attempts = this._recordedAttempts(r.attempts);

    // Where the winner stands in the attempts, when they say.
    let depth = -1;
    let primary: string | undefined;
    const kinds: string[] = [];
    let made = 0;
    if (attempts !== undefined) {
      for (const a of attempts) {
        if (a.result !== SELECTOR_STRATEGY_RESULT_VALUE_SKIPPED) made++;
        if (!kinds.includes(a.strategy) && a.result !== SELECTOR_STRATEGY_RESULT_VALUE_SKIPPED) kinds.push(a.strategy);
      }
      primary = attempts[0]?.strategy;
      if (ok) {
        const at = attempts.findIndex((a) => a.result === SELECTOR_STRATEGY_RESULT_VALUE_MATCHED && a.strategy === winnerKind);
        if (at >= 0) depth = kinds.indexOf(winnerKind);
      }
    } else if (ok) {
      made = 1;
      kinds.push(winnerKind);
    }
    const used = fallbackUsed ?? (fallbackFrom !== undefined || depth > 0);
    if (ok && depth < 0 && !used) depth = 0;
    const from = used ? (fallbackFrom ?? (primary !== undefined && primary !== winnerKind ? primary : undefined)) : undefined;
    if (primary === undefined) primary = used ? from : ok ? winnerKind : undefined;

    const now = Date.now();
    const startMs = startTime ?? (durationMs !== undefined ? now - durationMs : now);
    // Without a duration the span has none: it marks when the resolution happened.
    const endMs = durationMs !== undefined ? startMs + durationMs : startMs;
    const fp = element !== undefined ? fingerprint(element) : undefined;
    const errorType = ok ? undefined : (errorTypeIn ?? FAILURE_ERROR_TYPES[result]);

    const state = this._stateFor(name);
    // As in resolve(): without a confidence of the engine's own, how alike the element is to the last good one.
    let conf = confidence ?? NaN;
    if (ok && conf !== conf) {
      const prev = state?.lastElement;
      conf = prev === undefined || element === undefined || fp === state!.lastFingerprint ? 1 : similarity(prev, element);
    }
    // A success that names its strategy but not its attempts was one matched attempt of that strategy.
    let counted = attempts;
    if (counted === undefined && ok && strategy !== undefined) {
      const implied: AttemptRecord = { strategy: winnerKind, result: SELECTOR_STRATEGY_RESULT_VALUE_MATCHED, confidence: conf };
      if (durationMs !== undefined) implied.durationMs = durationMs;
      if (candidates !== undefined) implied.count = candidates;
      counted = [implied];
    }
    if (counted !== undefined) {
      for (const a of counted) {
        const series = this._attemptSeries(state, a.strategy, a.result);
        if (series !== undefined) series.attempts.value++;
        else this._overflowAttemptCell().value++;
        if (a.durationMs !== undefined && a.result !== SELECTOR_STRATEGY_RESULT_VALUE_SKIPPED) {
          this._inst.strategyDuration.record(a.durationMs / 1000, this._strategyDurationSet(a.strategy, a.result));
        }
        if (state !== undefined) state.recordAttempt(a.strategy, a.result, a.durationMs ?? NaN);
      }
    }
    const parent = context.active();
    const span = this._tracer.startSpan(state !== undefined ? state.spanName : `resolve ${name}`, { kind: SpanKind.INTERNAL, startTime: new Date(startMs) }, parent);
    const recording = span.isRecording();
    const s = this._summary;
    s.name = name;
    s.state = state;
    s.result = result;
    s.strategy = winnerKind;
    s.depth = ok ? depth : -1;
    s.fallbackUsed = used && ok;
    s.confidence = conf;
    s.accepted = ok;
    s.element = ok ? element : undefined;
    s.fingerprint = ok ? fp : undefined;
    s.durationMs = durationMs ?? NaN;
    s.ambiguousSeen = result === SELECTOR_RESULT_VALUE_AMBIGUOUS || (attempts?.some((a) => a.result === SELECTOR_STRATEGY_RESULT_VALUE_AMBIGUOUS) ?? false);
    s.endTime = endMs;
    s.engine = engine;
    s.context = ctxLabel;
    s.span = recording ? span : undefined;
    s.primary = primary;
    s.attempted = kinds.length > 0 ? kinds : undefined;
    s.attemptCount = made;
    // A record carries no threshold of its own, and this instance's is not applied to it.
    s.threshold = NaN;
    s.timeoutMs = timeoutMs ?? NaN;
    s.candidates = candidates ?? -1;
    s.fallbackFrom = used && ok ? from : undefined;
    s.memoryDelta = memoryDelta ?? NaN;
    s.errorType = errorType;
    this._emit(s);
    if (recording && counted !== undefined && this._mode !== NEVER && (counted.length > 1 || this._mode === ALWAYS || counted[0]?.result !== SELECTOR_STRATEGY_RESULT_VALUE_MATCHED)) {
      const runCtx = trace.setSpan(parent, span);
      // Laid end to end from the start: an engine that measured attempts rarely says when each began.
      let cursor = startMs;
      const index = new Map<string, number>();
      const lastIndex = counted.length - 1;
      for (let i = 0; i <= lastIndex; i++) {
        const a = counted[i]!;
        if (!index.has(a.strategy)) index.set(a.strategy, index.size);
        const child = this._tracer.startSpan(`${a.strategy} ${name}`, { kind: SpanKind.INTERNAL, startTime: new Date(cursor) }, runCtx);
        if (child.isRecording()) {
          child.setAttribute(ATTR_SELECTOR_NAME, name);
          child.setAttribute(ATTR_SELECTOR_STRATEGY, a.strategy);
          child.setAttribute(ATTR_SELECTOR_ATTEMPT_INDEX, index.get(a.strategy)!);
          child.setAttribute(ATTR_SELECTOR_STRATEGY_RESULT, a.result);
          if (a.count !== undefined) child.setAttribute(ATTR_SELECTOR_CANDIDATES, a.count);
          if (a.confidence !== undefined) child.setAttribute(ATTR_SELECTOR_CONFIDENCE, a.confidence);
          if (this.captureQueries && a.query !== undefined) child.setAttribute(ATTR_SELECTOR_QUERY, truncateQuery(a.query));
          if (a.result === SELECTOR_STRATEGY_RESULT_VALUE_ERROR || a.result === SELECTOR_STRATEGY_RESULT_VALUE_TIMEOUT) {
            // Attempts carry no error type of their own; the record's describes the last one.
            const type = i === lastIndex && errorTypeIn !== undefined ? errorTypeIn : a.result === SELECTOR_STRATEGY_RESULT_VALUE_TIMEOUT ? ERROR_TYPE_TIMEOUT : ERROR_TYPE_VALUE_OTHER;
            child.setAttribute(ATTR_ERROR_TYPE, type);
            child.setStatus({ code: SpanStatusCode.ERROR });
          }
        }
        cursor += a.durationMs ?? 0;
        child.end(new Date(cursor));
      }
    }
    span.end(new Date(endMs));
  }

  /** Checks recorded attempts; a bad attempt is dropped, a bad optional field of one is dropped. */
  private _recordedAttempts(list: unknown): AttemptRecord[] | undefined {
    if (list === undefined) return undefined;
    if (!Array.isArray(list)) {
      drop('attempts', typeof list);
      return undefined;
    }
    const out: AttemptRecord[] = [];
    for (const raw of list as unknown[]) {
      if (out.length >= MAX_ATTEMPT_SPANS) {
        reportDrop('recordResolution: attempts beyond the limit dropped');
        break;
      }
      const a = raw as AttemptRecord | null;
      if (a === null || typeof a !== 'object' || typeof a.strategy !== 'string' || a.strategy === '') {
        drop('attempt (no strategy)', typeof a);
        continue;
      }
      if (!STRATEGY_RESULTS.has(a.result)) {
        drop('attempt result', a.result);
        continue;
      }
      const clean: AttemptRecord = { strategy: a.strategy, result: a.result };
      const d = optNumber(a.durationMs, 'attempt durationMs', 0, Infinity);
      if (d !== undefined) clean.durationMs = d;
      const c = optCount(a.count, 'attempt count');
      if (c !== undefined) clean.count = c;
      const conf = optNumber(a.confidence, 'attempt confidence', 0, 1);
      if (conf !== undefined) clean.confidence = conf;
      if (a.query !== undefined) {
        if (typeof a.query === 'string') clean.query = a.query;
        else drop('attempt query', typeof a.query);
      }
      out.push(clean);
    }
    return out.length > 0 ? out : undefined;
  }

  // -------------------------------------------------------------------------------------------

  /**
   * In-process statistics of one selector, or undefined when it was never resolved (or is beyond
   * `maxSelectors`). Computed from this instance's own bounded state.
   */
  getSelectorStats(name: string): SelectorStats | undefined {
    const stats = this._states.get(name)?.snapshot();
    if (stats !== undefined) {
      const windows = processorWindows(name);
      if (windows !== undefined) stats.windows = windows;
    }
    return stats;
  }

  /** Drift states in force and windowed signals, over every selector this instance has seen. */
  detectAnomalies(): SelectorAnomaly[] {
    const out: SelectorAnomaly[] = [];
    for (const state of this._states.values()) state.anomalies(out);
    return out;
  }

  /**
   * A JSON-serialisable report of the resolutions in `period` (ends inclusive; default: everything
   * the bounded log still holds), with per-selector statistics and the current anomalies of the
   * selectors in it. Render it with {@link formatReport}.
   */
  generateReport(period?: ReportPeriod): SelectorReport {
    const { from, to } = periodOf(period);
    return this._log.report(from, to, this.detectAnomalies(), Date.now());
  }
}

/** The process-wide Driftwatch processor, read through its `Symbol.for` slot (no dependency on the package). */
interface ProcessorQuery {
  aggregate(domain: 'selector', match: Record<string, unknown>): { windows: Record<string, SelectorWindowStats> } | undefined;
}
const PROCESSOR_KEY = Symbol.for('@driftwatch/processor.global');

function processorWindows(name: string): Record<string, SelectorWindowStats> | undefined {
  const processor = (globalThis as { [PROCESSOR_KEY]?: ProcessorQuery })[PROCESSOR_KEY];
  if (processor === undefined || typeof processor.aggregate !== 'function') return undefined;
  try {
    return processor.aggregate('selector', { [ATTR_SELECTOR_NAME]: name })?.windows;
  } catch (err) {
    reportDrop('processor windows could not be read', err);
    return undefined;
  }
}

const FAILURE_ERROR_TYPES: Record<SelectorResult, string> = {
  success: '',
  not_found: ERROR_TYPE_NOT_FOUND,
  ambiguous: ERROR_TYPE_STRICT_MODE,
  timeout: ERROR_TYPE_TIMEOUT,
  low_confidence: ERROR_TYPE_LOW_CONFIDENCE,
  error: ERROR_TYPE_VALUE_OTHER,
};

const STRATEGY_RESULTS = new Set<unknown>([
  SELECTOR_STRATEGY_RESULT_VALUE_MATCHED,
  SELECTOR_STRATEGY_RESULT_VALUE_NO_MATCH,
  SELECTOR_STRATEGY_RESULT_VALUE_AMBIGUOUS,
  SELECTOR_STRATEGY_RESULT_VALUE_TIMEOUT,
  SELECTOR_STRATEGY_RESULT_VALUE_ERROR,
  SELECTOR_STRATEGY_RESULT_VALUE_REJECTED,
  SELECTOR_STRATEGY_RESULT_VALUE_SKIPPED,
  SELECTOR_STRATEGY_RESULT_VALUE_UNSUPPORTED,
]);

function drop(field: string, value: unknown): void {
  reportDrop(`recordResolution: invalid ${field} dropped`, value);
}

function optLabel(v: unknown, field: string): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'string' && v !== '' && v.length <= MAX_LABEL_LENGTH) return v;
  drop(field, typeof v === 'string' ? `string of length ${v.length}` : typeof v);
  return undefined;
}

function optNumber(v: unknown, field: string, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'number' && v >= min && v <= max && Number.isFinite(v)) return v;
  drop(field, v);
  return undefined;
}

function optCount(v: unknown, field: string): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return v;
  drop(field, v);
  return undefined;
}

/** Creates a {@link SelectorTelemetry}; throws `SelectorConfigError` with a specific message on bad options. */
export function createSelectorTelemetry(options?: SelectorTelemetryOptions): SelectorTelemetry {
  return new SelectorTelemetry(options);
}

// Convenience functions over a default instance (global providers), created on first use and again
// when the global meter provider changes (the API's meters do not follow a provider registered after
// them), so that an SDK registered after the first call is still picked up; the in-process statistics
// start afresh then.
let defaultTelemetry: SelectorTelemetry | undefined;
let defaultProvider: unknown;

function defaults(): SelectorTelemetry {
  const provider = metrics.getMeterProvider();
  if (!defaultTelemetry || provider !== defaultProvider) {
    defaultTelemetry = new SelectorTelemetry();
    defaultProvider = provider;
  }
  return defaultTelemetry;
}

/** {@link SelectorTelemetry.resolve} on the default instance (global tracer and meter providers). */
export function resolve<T>(name: string, strategies: readonly Strategy<T>[], options?: ResolveOptions): Promise<Resolution<T>> {
  return defaults().resolve(name, strategies, options);
}

/** {@link SelectorTelemetry.recordResolution} on the default instance. Never throws. */
export function recordResolution(name: string, record: ResolutionRecord): void {
  try {
    defaults().recordResolution(name, record);
  } catch (err) {
    reportDrop('selector telemetry failed while recording a resolution', err);
  }
}

/** {@link SelectorTelemetry.getSelectorStats} on the default instance. */
export function getSelectorStats(name: string): SelectorStats | undefined {
  return defaults().getSelectorStats(name);
}

/** {@link SelectorTelemetry.detectAnomalies} on the default instance. */
export function detectAnomalies(): SelectorAnomaly[] {
  return defaults().detectAnomalies();
}

/** {@link SelectorTelemetry.generateReport} on the default instance. */
export function generateReport(period?: ReportPeriod): SelectorReport {
  return defaults().generateReport(period);
}

/** @internal Forgets the default instance (tests). */
export function resetDefaultSelectorTelemetry(): void {
  defaultTelemetry = undefined;
}
