import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import * as prices from '@pydantic/genai-prices';
import { Pricer, createLlmTelemetry } from '@driftwatch/llm';
import { drops, resetDropCounts } from './generic-harness';

// The real catalogue, with its price function observed so the per-(provider, model) cache can be checked.
vi.mock('@pydantic/genai-prices', async (importOriginal) => {
  const original = await importOriginal<typeof prices>();
  return { ...original, calcPrice: vi.fn(original.calcPrice), original };
});
const calcPrice = vi.mocked(prices.calcPrice);
/** The catalogue's own functions, not observed. */
const real = (prices as unknown as { original: typeof prices }).original;

/** The catalogue's answer, or null where the catalogue rejects the usage for that entry. */
function safeCalc<T>(fn: () => T): T | null {
  try {
    return fn();
  } catch {
    return null;
  }
}

beforeEach(() => {
  resetDropCounts();
  calcPrice.mockClear();
});
afterEach(() => resetDropCounts());

describe('Pricer: catalogue (@pydantic/genai-prices)', () => {
  it('prices an OpenAI model from the catalogue', () => {
    expect(new Pricer().price('openai', 'gpt-4o', { inputTokens: 1000, outputTokens: 500 })).toStrictEqual({
      prompt: 0.0025,
      completion: 0.005,
      total: 0.0075,
      source: 'catalogue',
    });
  });

  it('resolves dated OpenAI versions and splits out cache reads (input includes cached tokens)', () => {
    expect(
      new Pricer().price('openai', 'gpt-4o-2024-08-06', { inputTokens: 1000, cacheReadInputTokens: 200, outputTokens: 500 }),
    ).toStrictEqual({ prompt: 0.00225, completion: 0.005, total: 0.00725, cacheRead: 0.00025, source: 'catalogue' });
  });

  it('resolves dated Anthropic versions with cache-read and cache-write prices', () => {
    const cost = new Pricer().price('anthropic', 'claude-sonnet-4-5-20250929', {
      inputTokens: 10_000,
      cacheReadInputTokens: 4000,
      cacheCreationInputTokens: 2000,
      outputTokens: 1000,
    });
    // 4000 uncached x $3 + 4000 cache-read x $0.30 + 2000 cache-write x $3.75, per MTok; output 1000 x $15.
    expect(cost).toStrictEqual({
      prompt: 0.0207,
      completion: 0.015,
      total: 0.0357,
      cacheRead: 0.0012,
      cacheWrite: 0.0075,
      source: 'catalogue',
    });
  });

  it('applies tiered (long-context) prices', () => {
    // Over 200k input tokens Sonnet 4.5 costs $6 in / $22.50 out per MTok.
    expect(new Pricer().price('anthropic', 'claude-sonnet-4-5', { inputTokens: 300_000, outputTokens: 1000 })).toStrictEqual({
      prompt: 1.8,
      completion: 0.0225,
      total: 1.8225,
      source: 'catalogue',
    });
  });

  it('resolves provider-prefixed names and gateways the catalogue does not know', () => {
    const pricer = new Pricer();
    const usage = { inputTokens: 1000, outputTokens: 500 };
    const expected = { prompt: 0.0025, completion: 0.005, total: 0.0075, source: 'catalogue' };
    expect(pricer.price('openai', 'openai/gpt-4o', usage)).toStrictEqual(expected);
    expect(pricer.price('my-gateway', 'openai/gpt-4o', usage)).toStrictEqual(expected);
    expect(pricer.price('my-gateway', 'gpt-4o', usage)).toStrictEqual(expected);
    // GenAI provider names map onto the catalogue's providers.
    expect(pricer.price('azure.ai.openai', 'gpt-4o', usage)).toStrictEqual(expected);
  });

  it('returns undefined (unknown, never 0) for unknown models, a missing model, or a known provider that does not list the model', () => {
    const pricer = new Pricer();
    expect(pricer.price('openai', 'no-such-model-xyz', { inputTokens: 10, outputTokens: 1 })).toBeUndefined();
    expect(pricer.price('openai', undefined, { inputTokens: 10, outputTokens: 1 })).toBeUndefined();
    expect(pricer.price('anthropic', 'gpt-4o', { inputTokens: 10, outputTokens: 1 })).toBeUndefined();
    expect(drops()).toStrictEqual({});
  });

  it('caches the (provider, model) resolution: later calls do not scan the catalogue', () => {
    const pricer = new Pricer();
    const usage = { inputTokens: 100, outputTokens: 10 };
    const first = pricer.price('anthropic', 'claude-sonnet-4-5-20250929', usage);
    expect(calcPrice.mock.calls.length).toBe(1); // the lookup
    expect(pricer.price('anthropic', 'claude-sonnet-4-5-20250929', usage)).toStrictEqual(first);
    pricer.price('anthropic', 'claude-sonnet-4-5-20250929', { inputTokens: 5, outputTokens: 5 });
    expect(calcPrice.mock.calls.length).toBe(1);
    // Unknown models are cached too.
    pricer.price('openai', 'no-such-model-xyz', usage);
    const afterUnknown = calcPrice.mock.calls.length;
    pricer.price('openai', 'no-such-model-xyz', usage);
    expect(calcPrice.mock.calls.length).toBe(afterUnknown);
  });

  it('prices entries with dated price changes as the catalogue does, without calling it', () => {
    const pricer = new Pricer();
    const usage = { inputTokens: 300_000, cacheReadInputTokens: 50_000, outputTokens: 1000 };
    const cost = pricer.price('anthropic', 'claude-opus-4-6', usage);
    expect(calcPrice.mock.calls.length).toBe(1); // the lookup only
    const direct = real.calcPrice({ input_tokens: 300_000, cache_read_tokens: 50_000, output_tokens: 1000 }, 'claude-opus-4-6', {
      providerId: 'anthropic',
    })!;
    expect(Array.isArray(direct.model.prices)).toBe(true);
    expect([cost?.prompt, cost?.completion, cost?.total]).toStrictEqual([
      expect.closeTo(direct.input_price, 12),
      expect.closeTo(direct.output_price, 12),
      expect.closeTo(direct.total_price, 12),
    ]);
  });

  it('prices entries with time-of-day prices through the catalogue, against the one matched model', () => {
    const pricer = new Pricer();
    const cost = pricer.price('deepseek', 'deepseek-chat', { inputTokens: 10_000, outputTokens: 1000 });
    expect(calcPrice.mock.calls.length).toBe(2); // the lookup, then the price
    const options = calcPrice.mock.calls.at(-1)![2] as { provider: { models: unknown[] } };
    expect(options.provider.models).toHaveLength(1);
    const direct = real.calcPrice({ input_tokens: 10_000, output_tokens: 1000 }, 'deepseek-chat', { providerId: 'deepseek' })!;
    expect(cost?.total).toBeCloseTo(direct.total_price, 12);
  });

  it('computes the same prices as the catalogue for every entry of the major providers', () => {
    const usages = [
      { inputTokens: 1234, outputTokens: 567 },
      { inputTokens: 50_000, cacheReadInputTokens: 20_000, cacheCreationInputTokens: 5000, outputTokens: 2000 },
      { inputTokens: 400_000, cacheReadInputTokens: 100_000, outputTokens: 10_000 },
    ];
    let compared = 0;
    const providers = ['openai', 'anthropic', 'google', 'aws', 'azure', 'mistral', 'deepseek', 'x-ai', 'groq', 'openrouter', 'perplexity'];
    let perRequest = 0;
    let scheduled = 0;
    for (const providerId of providers) {
      for (const model of real.findProvider({ providerId })?.models ?? []) {
        // Time-of-day prices go through the catalogue itself (tested above); dated tables are compared here.
        if (Array.isArray(model.prices) && model.prices.some((p) => p.constraint?.type === 'time_of_date')) continue;
        if (Array.isArray(model.prices)) scheduled++;
        else if (model.prices.requests_kcount !== undefined) perRequest++;
        for (const u of usages) {
          const direct = safeCalc(() => real.calcPrice(
            { input_tokens: u.inputTokens, output_tokens: u.outputTokens, cache_read_tokens: u.cacheReadInputTokens ?? 0, cache_write_tokens: u.cacheCreationInputTokens ?? 0 },
            model.id,
            { providerId },
          ));
          if (!direct || direct.model.id !== model.id) continue;
          const cost = new Pricer().price(providerId, model.id, u)!;
          expect([model.id, cost.prompt, cost.completion, cost.total]).toStrictEqual([
            model.id,
            expect.closeTo(direct.input_price, 12),
            expect.closeTo(direct.output_price, 12),
            expect.closeTo(direct.total_price, 12),
          ]);
          compared++;
        }
      }
    }
    expect(compared).toBeGreaterThan(500);
    expect(perRequest).toBeGreaterThan(0); // per-request fees are covered too
    expect(scheduled).toBeGreaterThan(0); // and price tables that change on a date
  });

  it('bounds the resolution cache', () => {
    const pricer = new Pricer();
    for (let i = 0; i < 600; i++) pricer.price('my-gateway', `model-${i}`, { inputTokens: 1, outputTokens: 1 });
    const cache = (pricer as unknown as { _cache: Map<string, unknown> })._cache;
    expect(cache.size).toBe(512);
    expect(cache.has('my-gateway\u0000model-599')).toBe(true);
    expect(cache.has('my-gateway\u0000model-0')).toBe(false);
  });

  it('raises input to the cached tokens when a provider reports fewer input than cached tokens, and counts it', () => {
    const cost = new Pricer().price('openai', 'gpt-4o', { inputTokens: 100, cacheReadInputTokens: 1000, outputTokens: 0 });
    expect(cost).toStrictEqual({ prompt: 0.00125, completion: 0, total: 0.00125, cacheRead: 0.00125, source: 'catalogue' });
    expect(drops()).toStrictEqual({ 'cache token counts exceed input tokens; input raised to their sum': 1 });
  });
});

describe('Pricer: overrides', () => {
  const overrides = {
    'gpt-4o': { inputPerMTok: 1, outputPerMTok: 2 },
    'anthropic/claude-sonnet-4-5': { inputPerMTok: 2, outputPerMTok: 10, cacheReadPerMTok: 0.2, cacheWritePerMTok: 2.5 },
    'in-house-model': { inputPerMTok: 0.5, outputPerMTok: 0.5 },
  };

  it('win over the catalogue, by exact name', () => {
    expect(new Pricer(overrides).price('openai', 'gpt-4o', { inputTokens: 1_000_000, outputTokens: 1_000_000 })).toStrictEqual({
      prompt: 1,
      completion: 2,
      total: 3,
      source: 'override',
    });
  });

  it('match provider/model names and dated versions of the overridden name', () => {
    const pricer = new Pricer(overrides);
    const usage = { inputTokens: 1_000_000, cacheReadInputTokens: 500_000, cacheCreationInputTokens: 100_000, outputTokens: 0 };
    // 400k uncached x $2 + 500k cache-read x $0.20 + 100k cache-write x $2.50.
    const expected = { prompt: 1.15, completion: 0, total: 1.15, cacheRead: 0.1, cacheWrite: 0.25, source: 'override' };
    expect(pricer.price('anthropic', 'claude-sonnet-4-5', usage)).toStrictEqual(expected);
    expect(pricer.price('anthropic', 'claude-sonnet-4-5-20250929', usage)).toStrictEqual(expected);
    expect(pricer.price('openai', 'gpt-4o-2024-08-06', { inputTokens: 1_000_000 })).toStrictEqual({
      prompt: 1,
      completion: 0,
      total: 1,
      source: 'override',
    });
    // The provider-qualified key applies to that provider only.
    expect(pricer.price('my-gateway', 'claude-sonnet-4-5', { inputTokens: 1_000_000 })?.source).toBe('catalogue');
  });

  it('price models the catalogue does not know; cache prices default to the input price', () => {
    expect(
      new Pricer(overrides).price('self-hosted', 'in-house-model', {
        inputTokens: 2_000_000,
        cacheReadInputTokens: 1_000_000,
        outputTokens: 1_000_000,
      }),
    ).toStrictEqual({ prompt: 1, completion: 0.5, total: 1.5, cacheRead: 0.5, source: 'override' });
  });

  it.each([
    [{ 'gpt-4o': { inputPerMTok: -1, outputPerMTok: 2 } }, /model "gpt-4o": inputPerMTok must be a finite number >= 0 \(got -1\)/],
    [{ 'gpt-4o': { inputPerMTok: 1, outputPerMTok: Number.NaN } }, /model "gpt-4o": outputPerMTok must be a finite number >= 0 \(got NaN\)/],
    [{ m: { inputPerMTok: 1, outputPerMTok: 1, cacheReadPerMTok: -0.5 } }, /model "m": cacheReadPerMTok must be a finite number >= 0/],
    [{ m: { inputPerMTok: 1 } }, /model "m": outputPerMTok must be a finite number >= 0 \(got undefined\)/],
    [{ m: null }, /model "m": expected an object/],
  ])('reject invalid prices at construction with the model and field named (%j)', (bad, message) => {
    expect(() => new Pricer(bad as never)).toThrow(message);
    expect(() => createLlmTelemetry({ prices: bad as never })).toThrow(message);
  });
});

describe('Pricer: reported cost', () => {
  it('wins with source reported, total only (the provider does not split it)', () => {
    expect(new Pricer().price('openai', 'gpt-4o', { inputTokens: 1000, outputTokens: 500 }, 0.42)).toStrictEqual({
      total: 0.42,
      source: 'reported',
    });
    expect(new Pricer().price('my-gateway', 'unknown-model', {}, 0)).toStrictEqual({ total: 0, source: 'reported' });
  });

  it('ignores and counts an invalid reported cost, falling back to the catalogue', () => {
    const pricer = new Pricer();
    const usage = { inputTokens: 1000, outputTokens: 500 };
    expect(pricer.price('openai', 'gpt-4o', usage, Number.NaN)?.source).toBe('catalogue');
    expect(pricer.price('openai', 'gpt-4o', usage, -1)?.source).toBe('catalogue');
    expect(drops()).toStrictEqual({ 'invalid reported cost dropped': 2 });
  });
});
