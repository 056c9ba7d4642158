/**
 * From a finished span to (domain, series key, observation, weight). Reads GenAI spans from any
 * instrumentation (current and deprecated attribute names), Driftwatch's resilience attributes and
 * selector resolution spans. Odd values are dropped field by field and counted, never thrown.
 */
import type { Attributes, AttributeValue, HrTime } from '@opentelemetry/api';
import {
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_GEN_AI_RESPONSE_MODEL,
  ATTR_GEN_AI_SYSTEM,
  ATTR_GEN_AI_USAGE_COMPLETION_TOKENS,
  ATTR_GEN_AI_USAGE_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_OUTPUT_TOKENS,
  ATTR_GEN_AI_USAGE_PROMPT_TOKENS,
  ATTR_LLM_CALL_OUTCOME,
  ATTR_LLM_COST_TOTAL,
  ATTR_RESILIENCE_ATTEMPT,
  ATTR_RESILIENCE_FALLBACK_USED,
  ATTR_RESILIENCE_RETRY_COUNT,
  ATTR_RESILIENCE_TIMEOUT,
  ATTR_SELECTOR_ATTEMPT_INDEX,
  ATTR_SELECTOR_CONFIDENCE,
  ATTR_SELECTOR_FALLBACK_USED,
  ATTR_SELECTOR_NAME,
  ATTR_SELECTOR_RESULT,
  ERROR_TYPE_VALUE_OTHER,
  LLM_CALL_OUTCOME_VALUE_ERROR,
  SELECTOR_RESULT_VALUE_SUCCESS,
  SELECTOR_RESULT_VALUE_TIMEOUT,
} from '@driftwatch/semconv';
import type { Observation } from './aggregate';
import type { Domain } from './config';

/**
 * Attributes as read: any value type (API 1.10 widened attribute values to `unknown`; the processor
 * takes only what it understands).
 */
export type AttributeMap = { readonly [key: string]: unknown };

/** The parts of a finished span the processor reads (the SDK's `ReadableSpan`, 2.x and 3.x, has them all). */
export interface SpanInput {
  readonly attributes: AttributeMap;
  readonly status: { readonly code: number };
  readonly duration: HrTime;
  readonly resource?: { readonly attributes: AttributeMap };
  spanContext(): { readonly traceState?: { get(key: string): string | undefined } };
}

/** Counts of repaired or dropped inputs, by reason. */
export interface InvalidCounts {
  negative_duration: number;
  clock_jump: number;
  invalid_value: number;
  odd_attribute: number;
  invalid_sampling: number;
  too_old: number;
  internal_error: number;
}

export const newInvalidCounts = (): InvalidCounts => ({
  negative_duration: 0,
  clock_jump: 0,
  invalid_value: 0,
  odd_attribute: 0,
  invalid_sampling: 0,
  too_old: 0,
  internal_error: 0,
});

const STATUS_ERROR = 2;
const MAX_DIMENSION_LENGTH = 256;
const TIMEOUT_RE = /timeout|timedout|timed_out/i;
const TWO_56 = 2 ** 56;

/**
 * The adjusted count of a span from its W3C `tracestate` (`ot=th:<hex>`, OTEP 235): 1 / sampling
 * probability; 1 when absent; `NaN` when malformed.
 */
export function adjustedCount(span: SpanInput): number {
  const ts = span.spanContext().traceState;
  if (ts === undefined) return 1;
  const ot = ts.get('ot');
  if (ot === undefined) return 1;
  for (const part of ot.split(';')) {
    if (!part.startsWith('th:')) continue;
    const hex = part.slice(3);
    if (!/^[0-9a-f]{1,14}$/.test(hex)) return Number.NaN;
    const threshold = parseInt(hex.padEnd(14, '0'), 16);
    return TWO_56 / (TWO_56 - threshold);
  }
  return 1;
}

function validDimension(v: unknown): v is AttributeValue {
  return typeof v === 'string' ? v.length <= MAX_DIMENSION_LENGTH : typeof v === 'number' ? Number.isFinite(v) : typeof v === 'boolean';
}

export class Extractor {
  readonly invalid: InvalidCounts = newInvalidCounts();
  /** The observation being built (reused: no allocation per span). */
  readonly obs: Observation = {};
  private readonly _dims: Record<Domain, readonly string[]>;
  private readonly _maxDuration: number;
  private readonly _values: (AttributeValue | undefined)[] = [];

  constructor(dims: Record<Domain, readonly string[]>, maxDurationSeconds: number) {
    this._dims = dims;
    this._maxDuration = maxDurationSeconds;
  }

  /** The domain a span feeds, or undefined (spans of other kinds, and selector attempt spans, are not series inputs). */
  domainOf(a: AttributeMap): Domain | undefined {
    if (a[ATTR_GEN_AI_OPERATION_NAME] !== undefined || a[ATTR_GEN_AI_PROVIDER_NAME] !== undefined || a[ATTR_GEN_AI_SYSTEM] !== undefined) return 'llm';
    if (a[ATTR_SELECTOR_NAME] !== undefined && a[ATTR_SELECTOR_ATTEMPT_INDEX] === undefined) return 'selector';
    return undefined;
  }

  /** A dimension value: span attribute, then resource attribute (with the deprecated GenAI names as fallbacks). */
  private _lookup(name: string, a: AttributeMap, r: AttributeMap | undefined): unknown {
    let v = a[name];
    if (v === undefined) {
      if (name === ATTR_GEN_AI_PROVIDER_NAME) v = a[ATTR_GEN_AI_SYSTEM];
      else if (name === ATTR_GEN_AI_REQUEST_MODEL) v = a[ATTR_GEN_AI_RESPONSE_MODEL];
      if (v === undefined && r !== undefined) v = r[name];
    }
    return v;
  }

  /**
   * The dimension values of `domain` on these attributes, in dimension order (`undefined` where
   * absent). The returned array is reused by the next call.
   */
  values(domain: Domain, a: AttributeMap, r: AttributeMap | undefined): readonly (AttributeValue | undefined)[] {
    const dims = this._dims[domain];
    const values = this._values;
    values.length = dims.length;
    for (let i = 0; i < dims.length; i++) {
      const v = this._lookup(dims[i]!, a, r);
      if (v === undefined || validDimension(v)) values[i] = v;
      else {
        this.invalid.odd_attribute++;
        values[i] = undefined;
      }
    }
    return values;
  }

  /** The dimension values of `domain` named in an attributes object (a query, a restored series). */
  valuesOf(domain: Domain, attributes: AttributeMap): unknown[] {
    return this._dims[domain].map((d) => attributes[d]);
  }

  /** The attributes of the values built last (only the dimensions present). */
  attributes(domain: Domain): Attributes {
    const dims = this._dims[domain];
    const out: Attributes = {};
    for (let i = 0; i < dims.length; i++) {
      const v = this._values[i];
      if (v !== undefined) out[dims[i]!] = v;
    }
    return out;
  }

  /** A non-negative finite number attribute, or undefined (counted when present but unusable). */
  private _num(v: unknown): number | undefined {
    if (v === undefined) return undefined;
    if (typeof v === 'number' && v >= 0 && v < Infinity) return v;
    this.invalid.invalid_value++;
    return undefined;
  }

  /** Latency in seconds from the span's duration: negative clamped to 0, beyond the bound left out; both counted. */
  private _latency(d: HrTime): number | undefined {
    const s = d[0] + d[1] / 1e9;
    if (s >= 0 && s <= this._maxDuration) return s;
    if (s < 0) {
      this.invalid.negative_duration++;
      return 0;
    }
    if (Number.isNaN(s)) this.invalid.invalid_value++;
    else this.invalid.clock_jump++;
    return undefined;
  }

  /** Fills `this.obs` for a span of `domain`. */
  observe(domain: Domain, span: SpanInput): Observation {
    const o = this.obs;
    o.latency = o.errorType = o.timeout = o.fallback = o.retries = o.tokens = o.cost = o.hit = o.confidence = o.uncounted = undefined;
    const a = span.attributes;
    if (domain === 'llm') {
      const tokensIn = this._num(a[ATTR_GEN_AI_USAGE_INPUT_TOKENS] ?? a[ATTR_GEN_AI_USAGE_PROMPT_TOKENS]);
      const tokensOut = this._num(a[ATTR_GEN_AI_USAGE_OUTPUT_TOKENS] ?? a[ATTR_GEN_AI_USAGE_COMPLETION_TOKENS]);
      if (tokensIn !== undefined || tokensOut !== undefined) o.tokens = (tokensIn ?? 0) + (tokensOut ?? 0);
      o.cost = this._num(a[ATTR_LLM_COST_TOTAL]);
      if (a[ATTR_RESILIENCE_ATTEMPT] !== undefined) {
        // A provider attempt inside a logical call: its usage and cost are real, its outcome is the logical call's.
        o.uncounted = true;
        o.success = undefined;
        return o;
      }
      const failed = span.status.code === STATUS_ERROR || a[ATTR_LLM_CALL_OUTCOME] === LLM_CALL_OUTCOME_VALUE_ERROR;
      o.success = !failed;
      o.latency = this._latency(span.duration);
      const type = a[ATTR_ERROR_TYPE];
      if (failed) o.errorType = typeof type === 'string' && type.length <= MAX_DIMENSION_LENGTH ? type : ERROR_TYPE_VALUE_OTHER;
      o.timeout = a[ATTR_RESILIENCE_TIMEOUT] === true || (failed && o.errorType !== undefined && TIMEOUT_RE.test(o.errorType)) ? true : undefined;
      o.fallback = a[ATTR_RESILIENCE_FALLBACK_USED] === true ? true : undefined;
      o.retries = this._num(a[ATTR_RESILIENCE_RETRY_COUNT]);
      return o;
    }
    // selector resolution
    const result = a[ATTR_SELECTOR_RESULT];
    const failed = result !== undefined ? result !== SELECTOR_RESULT_VALUE_SUCCESS : span.status.code === STATUS_ERROR;
    o.success = !failed;
    o.latency = this._latency(span.duration);
    if (failed) {
      const type = a[ATTR_ERROR_TYPE] ?? result;
      o.errorType = typeof type === 'string' && type.length <= MAX_DIMENSION_LENGTH ? type : ERROR_TYPE_VALUE_OTHER;
    }
    o.timeout = result === SELECTOR_RESULT_VALUE_TIMEOUT ? true : undefined;
    o.fallback = a[ATTR_SELECTOR_FALLBACK_USED] === true ? true : undefined;
    const c = a[ATTR_SELECTOR_CONFIDENCE];
    if (c !== undefined) {
      if (typeof c === 'number' && c >= 0 && c <= 1) o.confidence = c;
      else this.invalid.invalid_value++;
    }
    return o;
  }
}
