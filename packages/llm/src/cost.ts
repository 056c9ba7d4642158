import { calcPrice, findProvider } from '@pydantic/genai-prices';
import type {
  ConditionalPrice,
  ModelPrice as CataloguePrice,
  Provider as CatalogueProvider,
  TieredPrices,
} from '@pydantic/genai-prices';
import {
  LLM_COST_SOURCE_VALUE_CATALOGUE,
  LLM_COST_SOURCE_VALUE_OVERRIDE,
  LLM_COST_SOURCE_VALUE_REPORTED,
} from '@driftwatch/semconv';
import { reportDrop } from './diag';
import type { LlmUsage, ModelPrice } from './types';

/**
 * The cost of one call in USD.
 *
 * `prompt` covers every input token (uncached, cache-read and cache-write); `cacheRead` and
 * `cacheWrite` are the parts of `prompt` spent on cached input. `total` is `prompt + completion`,
 * plus any per-request fee the catalogue lists for the model.
 *
 * When the provider or gateway reported the cost itself (`source: 'reported'`), only `total` is
 * known: providers report one number, so `prompt` and `completion` are absent rather than guessed.
 */
export interface CostBreakdown {
  prompt?: number;
  completion?: number;
  total: number;
  cacheRead?: number;
  cacheWrite?: number;
  source: 'catalogue' | 'override' | 'reported';
}

/** Largest number of (provider, model) resolutions kept; the oldest is evicted first. */
const MAX_CACHED_MODELS = 512;
const PER_MTOK = 1_000_000;
/** A trailing release date: `-20240806` or `-2024-08-06`. */
const DATE_SUFFIX = /-(?:\d{8}|\d{4}-\d{2}-\d{2})$/;

type Resolution =
  /** The caller's price, in the catalogue's shape. */
  | { readonly kind: 'override'; readonly prices: CataloguePrice }
  | {
      readonly kind: 'catalogue';
      /** The catalogue provider reduced to the matched model. */
      readonly provider: CatalogueProvider;
      readonly modelId: string;
      /**
       * The model's prices when they do not depend on the time of day: one price table, or tables
       * that take effect on start dates (latest first). Undefined: priced through `calcPrice`.
       */
      readonly schedule: ReadonlyArray<{ readonly from: number; readonly prices: CataloguePrice }> | undefined;
    }
  | null;

const PRICE_FIELDS = ['inputPerMTok', 'outputPerMTok', 'cacheReadPerMTok', 'cacheWritePerMTok'] as const;
const REQUIRED_FIELDS: ReadonlySet<string> = new Set(['inputPerMTok', 'outputPerMTok']);

/** Checks an override and converts it to the catalogue's shape, so both are priced by one function. */
function validateOverride(model: string, price: unknown): CataloguePrice {
  if (model.trim() === '') throw new Error('Invalid price override: the model name is empty');
  if (price === null || typeof price !== 'object') {
    throw new Error(`Invalid price override for model "${model}": expected an object with inputPerMTok and outputPerMTok`);
  }
  const p = price as Record<string, unknown>;
  for (const field of PRICE_FIELDS) {
    const v = p[field];
    if (v === undefined && !REQUIRED_FIELDS.has(field)) continue;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
      throw new Error(
        `Invalid price override for model "${model}": ${field} must be a finite number >= 0 (got ${String(v)})`,
      );
    }
  }
  return {
    input_mtok: p.inputPerMTok as number,
    output_mtok: p.outputPerMTok as number,
    cache_read_mtok: p.cacheReadPerMTok as number | undefined,
    cache_write_mtok: p.cacheWritePerMTok as number | undefined,
  };
}

/** Rounds away float noise (1e-12 USD is far below any billed amount). */
function usd(n: number): number {
  return Math.round(n * 1e12) / 1e12;
}

/** The per-MTok rate of a catalogue price for a call with `totalInput` input tokens (tiers included). */
function rate(p: number | TieredPrices | undefined, totalInput: number): number | undefined {
  if (typeof p === 'number') return p;
  if (p && typeof p === 'object' && typeof p.base === 'number') {
    let r = p.base;
    for (const tier of p.tiers) if (totalInput > tier.start) r = tier.price;
    return r;
  }
  return undefined;
}

/**
 * The cost of `tokens` cached input tokens at the entry's cached rate `p`, or at the input rate when
 * the entry lists none (as the catalogue charges them); undefined when there are none.
 */
function cachedCost(tokens: number, p: number | TieredPrices | undefined, totalInput: number, inputRate: number): number | undefined {
  return tokens > 0 ? (tokens * (rate(p, totalInput) ?? inputRate)) / PER_MTOK : undefined;
}

interface Counts {
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
}

/** Token counts for pricing; input includes cached input (GenAI convention). */
function counts(usage: LlmUsage): Counts {
  const cacheRead = usage.cacheReadInputTokens ?? 0;
  const cacheWrite = usage.cacheCreationInputTokens ?? 0;
  let input = usage.inputTokens ?? cacheRead + cacheWrite;
  if (input < cacheRead + cacheWrite) {
    reportDrop('cache token counts exceed input tokens; input raised to their sum');
    input = cacheRead + cacheWrite;
  }
  return { input, output: usage.outputTokens ?? 0, cacheRead, cacheWrite };
}

/**
 * Prices LLM calls from token usage: the caller's overrides first, then the
 * `@pydantic/genai-prices` catalogue (see docs/cost-catalogue.md for why that catalogue).
 *
 * Resolution of a (provider, model) pair to a price entry is cached in a bounded map, so the
 * per-call cost is one map lookup plus arithmetic. An unknown model yields `undefined`, which the
 * caller reports as `llm.cost.unknown=true`, never as 0.
 */
export class Pricer {
  private readonly _overrides: ReadonlyMap<string, CataloguePrice>;
  private readonly _cache = new Map<string, Resolution>();
  /**
   * The last resolution, checked before the map: most processes call one model in a row, and a
   * string comparison costs far less than building and hashing the map key.
   */
  private _lastProvider: string | undefined;
  private _lastModel: string | undefined;
  private _last: Resolution = null;

  /**
   * @param overrides Prices keyed by model name (`gpt-4o`) or `provider/model` (`openai/gpt-4o`).
   * @throws Error naming the model and field when a price is negative, NaN or missing: this is a
   *   configuration error, raised when the instrumentation is created.
   */
  constructor(overrides?: Readonly<Record<string, ModelPrice>>) {
    const map = new Map<string, CataloguePrice>();
    if (overrides !== undefined && overrides !== null) {
      if (typeof overrides !== 'object') throw new Error('Invalid price overrides: expected an object keyed by model name');
      for (const key of Object.keys(overrides)) map.set(key, validateOverride(key, overrides[key]));
    }
    this._overrides = map;
  }

  /**
   * The cost of one call, or `undefined` when no price is known.
   *
   * @param reportedCostUsd A cost the provider or gateway reported; when finite and >= 0 it wins
   *   (`source: 'reported'`, total only).
   */
  price(provider: string, model: string | undefined, usage: LlmUsage, reportedCostUsd?: number): CostBreakdown | undefined {
    if (reportedCostUsd !== undefined) {
      if (typeof reportedCostUsd === 'number' && Number.isFinite(reportedCostUsd) && reportedCostUsd >= 0) {
        return { total: reportedCostUsd, source: LLM_COST_SOURCE_VALUE_REPORTED };
      }
      reportDrop('invalid reported cost dropped', reportedCostUsd);
    }
    if (!model) return undefined;
    const resolution = this._resolve(provider, model);
    if (resolution === null) return undefined;
    const c = counts(usage);
    if (resolution.kind === 'override') return priceFixed(resolution.prices, c, LLM_COST_SOURCE_VALUE_OVERRIDE);
    if (resolution.schedule) return priceFixed(pricesNow(resolution.schedule), c, LLM_COST_SOURCE_VALUE_CATALOGUE);
    return priceCatalogue(resolution.provider, resolution.modelId, c);
  }

  private _resolve(provider: string, model: string): Resolution {
    if (model === this._lastModel && provider === this._lastProvider) return this._last;
    const key = `${provider}\u0000${model}`;
    let resolution = this._cache.get(key);
    if (resolution === undefined) {
      resolution = this._findOverride(provider, model) ?? findInCatalogue(provider, model);
      if (this._cache.size >= MAX_CACHED_MODELS) {
        const oldest = this._cache.keys().next();
        if (!oldest.done) this._cache.delete(oldest.value);
      }
      this._cache.set(key, resolution);
    }
    this._lastProvider = provider;
    this._lastModel = model;
    this._last = resolution;
    return resolution;
  }

  private _findOverride(provider: string, model: string): Resolution | undefined {
    if (this._overrides.size === 0) return undefined;
    const undated = model.replace(DATE_SUFFIX, '');
    const slash = model.indexOf('/');
    const bare = slash > 0 ? model.slice(slash + 1) : undefined;
    const candidates = [`${provider}/${model}`, model, `${provider}/${undated}`, undated];
    if (bare) candidates.push(bare, bare.replace(DATE_SUFFIX, ''));
    for (const name of candidates) {
      const prices = this._overrides.get(name);
      if (prices) return { kind: 'override', prices };
    }
    return undefined;
  }
}

/**
 * Prices a call from fixed prices (a catalogue entry's, or an override in the same shape) with the
 * catalogue's own rules (checked against `calcPrice` for every OpenAI and Anthropic entry in the
 * tests): cached input is charged at its own rate, or at the input rate when the entry has none;
 * tiers are chosen by the total input tokens; a per-request fee (`requests_kcount`) is added to the
 * total. Keys for usage we do not report (audio, web searches...) cost nothing. About a
 * microsecond, versus tens for `calcPrice`, which revalidates the price table on every call.
 */
function priceFixed(prices: CataloguePrice, c: Counts, source: CostBreakdown['source']): CostBreakdown {
  const inputRate = rate(prices.input_mtok, c.input) ?? 0;
  const outputRate = rate(prices.output_mtok, c.input) ?? 0;
  const cacheRead = cachedCost(c.cacheRead, prices.cache_read_mtok, c.input, inputRate);
  const cacheWrite = cachedCost(c.cacheWrite, prices.cache_write_mtok, c.input, inputRate);
  const uncached = c.input - c.cacheRead - c.cacheWrite;
  const prompt = (uncached * inputRate) / PER_MTOK + (cacheRead ?? 0) + (cacheWrite ?? 0);
  const completion = (c.output * outputRate) / PER_MTOK;
  const perRequest = (rate(prices.requests_kcount, c.input) ?? 0) / 1000;
  const out: CostBreakdown = {
    prompt: usd(prompt),
    completion: usd(completion),
    total: usd(prompt + completion + perRequest),
    source,
  };
  if (cacheRead !== undefined) out.cacheRead = usd(cacheRead);
  if (cacheWrite !== undefined) out.cacheWrite = usd(cacheWrite);
  return out;
}

/** Prices a call through `calcPrice`, for entries whose prices depend on the time of day. */
function priceCatalogue(provider: CatalogueProvider, modelId: string, c: Counts): CostBreakdown | undefined {
  try {
    const result = calcPrice(
      { input_tokens: c.input, output_tokens: c.output, cache_read_tokens: c.cacheRead, cache_write_tokens: c.cacheWrite },
      modelId,
      { provider },
    );
    if (!result) return undefined;
    const prices: CataloguePrice = result.model_price;
    const inputRate = rate(prices.input_mtok, c.input) ?? 0;
    const out: CostBreakdown = {
      prompt: usd(result.input_price),
      completion: usd(result.output_price),
      total: usd(result.total_price),
      source: LLM_COST_SOURCE_VALUE_CATALOGUE,
    };
    const cacheRead = cachedCost(c.cacheRead, prices.cache_read_mtok, c.input, inputRate);
    const cacheWrite = cachedCost(c.cacheWrite, prices.cache_write_mtok, c.input, inputRate);
    if (cacheRead !== undefined) out.cacheRead = usd(cacheRead);
    if (cacheWrite !== undefined) out.cacheWrite = usd(cacheWrite);
    return out;
  } catch (err) {
    reportDrop('catalogue price could not be computed', err);
    return undefined;
  }
}

/**
 * A model's price tables by start date, latest first, as the catalogue picks them: the last entry
 * without a constraint or whose start date has passed wins, else the first. Undefined when an
 * entry depends on the time of day.
 */
function scheduleOf(prices: CataloguePrice | ConditionalPrice[]): Array<{ from: number; prices: CataloguePrice }> | undefined {
  if (!Array.isArray(prices)) return [{ from: -Infinity, prices }];
  if (prices.length === 0) return undefined;
  const out: Array<{ from: number; prices: CataloguePrice }> = [];
  for (let i = prices.length - 1; i >= 0; i--) {
    const entry = prices[i]!;
    const constraint = entry.constraint;
    if (constraint === undefined) {
      out.push({ from: -Infinity, prices: entry.prices });
      return out;
    }
    if (constraint.type !== 'start_date') return undefined;
    const from = Date.parse(`${constraint.start_date}T00:00:00Z`);
    if (!Number.isFinite(from)) return undefined;
    out.push({ from, prices: entry.prices });
  }
  out.push({ from: -Infinity, prices: prices[0]!.prices });
  return out;
}

function pricesNow(schedule: ReadonlyArray<{ readonly from: number; readonly prices: CataloguePrice }>): CataloguePrice {
  if (schedule.length === 1) return schedule[0]!.prices;
  const now = Date.now();
  for (const entry of schedule) if (now >= entry.from) return entry.prices;
  return schedule[schedule.length - 1]!.prices;
}

const PROBE_USAGE = { input_tokens: 0, output_tokens: 0 };

/** Finds a catalogue entry: the provider's own, else the provider named in the model (`openai/gpt-4o`). */
function lookup(providerId: string | undefined, modelId: string): Resolution {
  try {
    const r = calcPrice(PROBE_USAGE, modelId, providerId === undefined ? undefined : { providerId });
    if (!r) return null;
    // Keep only the matched model, so later calls skip the catalogue scan.
    const provider: CatalogueProvider = { ...r.provider, models: [r.model], fallback_model_providers: undefined };
    return { kind: 'catalogue', provider, modelId, schedule: scheduleOf(r.model.prices) };
  } catch (err) {
    reportDrop('catalogue lookup failed', err);
    return null;
  }
}

function findInCatalogue(provider: string, model: string): Resolution {
  const direct = lookup(provider, model);
  if (direct) return direct;
  const slash = model.indexOf('/');
  if (slash > 0) {
    const prefix = model.slice(0, slash);
    const bare = model.slice(slash + 1);
    const byPrefix = lookup(prefix, bare) ?? lookup(provider, bare);
    if (byPrefix) return byPrefix;
  }
  // A gateway or provider the catalogue does not know: match by the model name alone. A provider
  // the catalogue knows but that does not list the model stays unpriced.
  if (knownProvider(provider)) return null;
  return lookup(undefined, slash > 0 ? model.slice(slash + 1) : model);
}

function knownProvider(provider: string): boolean {
  try {
    return findProvider({ providerId: provider }) !== undefined;
  } catch {
    return false;
  }
}
