import type { Attributes, Meter, ObservableResult } from '@opentelemetry/api';
import {
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_LLM_RATE_LIMIT_TYPE,
  DEF_LLM_RATE_LIMIT_LIMIT,
  DEF_LLM_RATE_LIMIT_REMAINING,
  GEN_AI_PROVIDER_NAME_VALUE_ANTHROPIC,
} from '@driftwatch/semconv';
import { reportDrop } from './diag';

type HeaderSpec = readonly [type: string, remaining: string, limit: string];

const OPENAI_HEADERS: readonly HeaderSpec[] = [
  ['requests', 'x-ratelimit-remaining-requests', 'x-ratelimit-limit-requests'],
  ['tokens', 'x-ratelimit-remaining-tokens', 'x-ratelimit-limit-tokens'],
];
const ANTHROPIC_HEADERS: readonly HeaderSpec[] = [
  ['requests', 'anthropic-ratelimit-requests-remaining', 'anthropic-ratelimit-requests-limit'],
  ['tokens', 'anthropic-ratelimit-tokens-remaining', 'anthropic-ratelimit-tokens-limit'],
  ['input_tokens', 'anthropic-ratelimit-input-tokens-remaining', 'anthropic-ratelimit-input-tokens-limit'],
  ['output_tokens', 'anthropic-ratelimit-output-tokens-remaining', 'anthropic-ratelimit-output-tokens-limit'],
];

/** Series kept at most; a new series beyond it is dropped and counted. */
const MAX_SERIES = 512;

interface Entry {
  readonly provider: string;
  readonly model: string | undefined;
  readonly specs: readonly HeaderSpec[];
  readonly readings: Array<Reading | undefined>;
}

interface Reading {
  readonly attributes: Attributes;
  remaining: number;
  limit: number;
  reads: number;
}

/**
 * Latest rate-limit headroom per (provider, model, limit type), read from response headers on
 * every response and reported by two observable gauges at collection time. Recording a response
 * is a few header look-ups and number stores: no metric record happens on the call path.
 *
 * @internal
 */
export class RateLimitBoard {
  /** Every reading, for the gauges (bounded by MAX_SERIES). */
  private readonly _series = new Set<Reading>();
  /** Readings per (provider, model); an entry without readings costs a few bytes. */
  private readonly _entries = new Map<string, Entry>();
  private _last: Entry | undefined;

  constructor(meter: Meter) {
    try {
      const remaining = meter.createObservableGauge(DEF_LLM_RATE_LIMIT_REMAINING.name, {
        description: DEF_LLM_RATE_LIMIT_REMAINING.description,
        unit: DEF_LLM_RATE_LIMIT_REMAINING.unit,
      });
      const limit = meter.createObservableGauge(DEF_LLM_RATE_LIMIT_LIMIT.name, {
        description: DEF_LLM_RATE_LIMIT_LIMIT.description,
        unit: DEF_LLM_RATE_LIMIT_LIMIT.unit,
      });
      remaining.addCallback((result: ObservableResult) => {
        for (const r of this._series) if (Number.isFinite(r.remaining)) result.observe(r.remaining, r.attributes);
      });
      limit.addCallback((result: ObservableResult) => {
        for (const r of this._series) if (Number.isFinite(r.limit)) result.observe(r.limit, r.attributes);
      });
    } catch (err) {
      // A broken meter must not stop the calls from being traced.
      reportDrop('rate-limit gauges could not be created', err);
    }
  }

  /** Reads the provider's rate-limit headers; non-numeric values are ignored. */
  record(provider: string, model: string | undefined, headers: { get(name: string): string | null }): void {
    const entry = this._entry(provider, model);
    if (!entry) return;
    for (let i = 0; i < entry.specs.length; i++) {
      const [type, remainingHeader, limitHeader] = entry.specs[i]!;
      const remaining = headers.get(remainingHeader);
      if (remaining === null) continue;
      const reading = entry.readings[i] ?? this._newReading(entry, i, provider, model, type);
      if (!reading) return;
      reading.remaining = Number(remaining);
      // Limits change rarely (a plan upgrade): read them on first sight and every 64th response.
      if (Number.isNaN(reading.limit) || (++reading.reads & 63) === 0) {
        const limit = headers.get(limitHeader);
        if (limit !== null) reading.limit = Number(limit);
      }
    }
  }

  private _entry(provider: string, model: string | undefined): Entry | undefined {
    const last = this._last;
    if (last && last.provider === provider && last.model === model) return last;
    const key = `${provider}\u0000${model ?? ''}`;
    let entry = this._entries.get(key);
    if (!entry) {
      if (this._entries.size >= MAX_SERIES) {
        reportDrop('rate-limit series beyond the limit dropped');
        return undefined;
      }
      const specs = provider === GEN_AI_PROVIDER_NAME_VALUE_ANTHROPIC ? ANTHROPIC_HEADERS : OPENAI_HEADERS;
      entry = { provider, model, specs, readings: new Array<Reading | undefined>(specs.length) };
      this._entries.set(key, entry);
    }
    this._last = entry;
    return entry;
  }

  private _newReading(entry: Entry, index: number, provider: string, model: string | undefined, type: string): Reading | undefined {
    if (this._series.size >= MAX_SERIES) {
      reportDrop('rate-limit series beyond the limit dropped');
      return undefined;
    }
    const attributes: Attributes = { [ATTR_GEN_AI_PROVIDER_NAME]: provider, [ATTR_LLM_RATE_LIMIT_TYPE]: type };
    if (model) attributes[ATTR_GEN_AI_REQUEST_MODEL] = model;
    const reading: Reading = { attributes, remaining: NaN, limit: NaN, reads: 0 };
    this._series.add(reading);
    entry.readings[index] = reading;
    return reading;
  }
}
