// Shared inputs for the processor benchmarks: a seeded random source, lognormal latencies, the
// GenAI and selector attribute sets of a realistic application, finished SDK spans made once with a
// real tracer provider, and light span-shaped objects for the simulated-time workloads.
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';

/** Start of the simulated hour (aligned on an hour, so a ring's slots line up with it). */
export const T0 = Date.UTC(2026, 0, 1, 0, 0, 0);
export const SERVICE = 'checkout-api';
export const LATENCY_MEDIAN_S = 0.2;
export const LATENCY_SIGMA = 1;
export const ERROR_RATE = 0.03;

/** mulberry32: a small seeded PRNG, so every run sees the same inputs. */
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Lognormal latencies in seconds (median 200 ms, sigma 1). */
export function lognormalSeconds(random, n) {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const u = 1 - random();
    const v = random();
    const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    out[i] = LATENCY_MEDIAN_S * Math.exp(LATENCY_SIGMA * z);
  }
  return out;
}

export const toHrTime = (s) => [Math.floor(s), Math.round((s - Math.floor(s)) * 1e9) % 1e9];

const MODELS = [
  ['openai', 'gpt-4o-mini', 'gpt-4o-mini-2024-07-18', 0.15e-6, 0.6e-6],
  ['openai', 'gpt-4o', 'gpt-4o-2024-08-06', 2.5e-6, 10e-6],
  ['openai', 'o3-mini', 'o3-mini-2025-01-31', 1.1e-6, 4.4e-6],
  ['anthropic', 'claude-sonnet-4-5', 'claude-sonnet-4-5-20250929', 3e-6, 15e-6],
  ['anthropic', 'claude-haiku-4-5', 'claude-haiku-4-5-20251001', 1e-6, 5e-6],
];
const OPERATIONS = ['chat', 'text_completion'];
const TASKS = ['summarize', 'classify', 'extract', 'answer', 'translate'];
const ERROR_TYPES = ['RateLimitError', 'APIConnectionTimeoutError', 'InternalServerError'];

/**
 * The dimension tuple of series `i` (50 distinct tuples for i < 50: 5 models × 2 operations × 5 task
 * types; beyond that a model name suffix makes every tuple unique, as fine-tuned model names do).
 */
export function llmTuple(i) {
  const [provider, model, responseModel, inPrice, outPrice] = MODELS[i % MODELS.length];
  const operation = OPERATIONS[Math.floor(i / MODELS.length) % OPERATIONS.length];
  const task = TASKS[Math.floor(i / (MODELS.length * OPERATIONS.length)) % TASKS.length];
  const round = Math.floor(i / 50);
  const name = round === 0 ? model : `ft:${model}:acme:v${round}`;
  return { provider, model: name, responseModel, operation, task, inPrice, outPrice };
}

/** The attributes a GenAI client span carries at its end (request and response side). */
export function llmAttributes(t, random, { error } = {}) {
  const input = 200 + Math.floor(random() * 1800);
  const output = error ? 0 : 20 + Math.floor(random() * 400);
  const a = {
    'gen_ai.operation.name': t.operation,
    'gen_ai.provider.name': t.provider,
    'gen_ai.request.model': t.model,
    'gen_ai.request.max_tokens': 1024,
    'gen_ai.request.temperature': 0.2,
    'server.address': t.provider === 'openai' ? 'api.openai.com' : 'api.anthropic.com',
    'server.port': 443,
    'llm.task.type': t.task,
    'resilience.retry.count': error ? 2 : random() < 0.05 ? 1 : 0,
  };
  if (error) {
    a['error.type'] = error;
    a['llm.call.outcome'] = 'error';
  } else {
    a['gen_ai.response.model'] = t.responseModel;
    a['gen_ai.response.finish_reasons'] = ['stop'];
    a['gen_ai.usage.input_tokens'] = input;
    a['gen_ai.usage.output_tokens'] = output;
    a['llm.cost.prompt'] = input * t.inPrice;
    a['llm.cost.completion'] = output * t.outPrice;
    a['llm.cost.total'] = input * t.inPrice + output * t.outPrice;
    if (random() < 0.02) a['resilience.fallback.used'] = true;
  }
  return a;
}

export const errorType = (random) => (random() < ERROR_RATE ? ERROR_TYPES[Math.floor(random() * ERROR_TYPES.length)] : undefined);

const SELECTORS = ['checkout-button', 'cart-total', 'login-form', 'search-box', 'price-label', 'add-to-cart', 'shipping-select', 'coupon-input', 'product-title', 'pay-now'];
const STRATEGIES = ['css', 'xpath', 'text'];

/** Attributes of a selector resolution span (`selector.result` and confidence at its end). */
export function selectorAttributes(i, random) {
  const ok = random() > 0.05;
  const a = {
    'selector.name': SELECTORS[i % SELECTORS.length],
    'selector.strategy.primary': STRATEGIES[i % STRATEGIES.length],
    'selector.engine.name': 'cheerio',
    'selector.result': ok ? 'success' : random() < 0.5 ? 'timeout' : 'not_found',
    'selector.attempt.count': 1 + Math.floor(random() * 3),
    'selector.fallback.used': random() < 0.1,
  };
  if (ok) a['selector.confidence'] = 0.6 + random() * 0.4;
  return a;
}

/**
 * Finished SDK spans (`ReadableSpan`s of a real BasicTracerProvider), in a shuffled order:
 * `llm` GenAI client spans spread over `tuples` dimension tuples; with `mixed`, also selector resolution
 * spans, their per-strategy attempt spans (not series inputs) and plain HTTP server spans.
 */
export function finishedSpans({ llm = 500, tuples = 50, mixed = false, seed = 1 } = {}) {
  const random = rng(seed);
  const spans = [];
  const collector = { onStart() {}, onEnd: (s) => spans.push(s), forceFlush: async () => {}, shutdown: async () => {} };
  const provider = new BasicTracerProvider({ resource: resourceFromAttributes({ 'service.name': SERVICE }), spanProcessors: [collector] });
  const tracer = provider.getTracer('bench');
  const latencies = lognormalSeconds(random, 4096);
  let k = 0;
  const end = Date.now();
  const make = (name, kind, attributes, error) => {
    const ms = latencies[k++ & 4095] * 1000;
    const s = tracer.startSpan(name, { kind, attributes, startTime: end - ms });
    if (error) s.setStatus({ code: SpanStatusCode.ERROR });
    s.end(end);
  };
  for (let i = 0; i < llm; i++) {
    const t = llmTuple(i % tuples);
    const err = errorType(random);
    make(`${t.operation} ${t.model}`, SpanKind.CLIENT, llmAttributes(t, random, { error: err }), err !== undefined);
  }
  if (mixed) {
    for (let i = 0; i < 150; i++) {
      const a = selectorAttributes(i, random);
      make(`resolve ${a['selector.name']}`, SpanKind.INTERNAL, a, a['selector.result'] !== 'success');
      make(`${a['selector.strategy.primary']} ${a['selector.name']}`, SpanKind.INTERNAL, { 'selector.name': a['selector.name'], 'selector.strategy': a['selector.strategy.primary'], 'selector.attempt.index': 0 }, false);
    }
    for (let i = 0; i < 200; i++) {
      make('POST /api/checkout', SpanKind.SERVER, { 'http.request.method': 'POST', 'http.route': '/api/checkout', 'http.response.status_code': 200, 'url.scheme': 'https' }, false);
    }
  }
  // Shuffle (seeded) so that consecutive spans hit different series.
  for (let i = spans.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [spans[i], spans[j]] = [spans[j], spans[i]];
  }
  return spans;
}

/**
 * A span-shaped object with everything the processor reads (attributes, status, duration, resource,
 * spanContext): the simulated-time workloads reuse one per series and outcome, setting its duration
 * before each call, so that building inputs costs nothing inside the measurement.
 */
export function spanLike(attributes, error, resource) {
  const context = { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: 1 };
  return { attributes, status: { code: error ? SpanStatusCode.ERROR : SpanStatusCode.UNSET }, duration: [0, 0], resource, spanContext: () => context };
}

/** Per series: one success span and one span per error type. */
export function seriesInputs(count, seed = 7) {
  const random = rng(seed);
  const resource = { attributes: { 'service.name': SERVICE } };
  const out = [];
  for (let i = 0; i < count; i++) {
    const t = llmTuple(i);
    out.push({
      tuple: t,
      key: { 'service.name': SERVICE, 'gen_ai.operation.name': t.operation, 'gen_ai.provider.name': t.provider, 'gen_ai.request.model': t.model, 'llm.task.type': t.task },
      ok: spanLike(llmAttributes(t, random), false, resource),
      errors: ERROR_TYPES.map((e) => spanLike(llmAttributes(t, random, { error: e }), true, resource)),
    });
  }
  return out;
}

/**
 * Feeds `inputs` (from `seriesInputs`) into `targets` (processors or `(input, i) => void`) over
 * `seconds` of simulated time from T0: each series gets `perSecond` calls per second (fractional
 * rates are staggered across series), with lognormal latencies and `ERROR_RATE` failures. `setNow`
 * moves the injected clock. Returns the number of calls per series.
 */
export function feed({ inputs, targets, setNow, seconds, perSecond, seed = 11, onMinute }) {
  const random = rng(seed);
  const lat = lognormalSeconds(random, 1 << 16);
  const hr = Array.from(lat, toHrTime);
  const errs = new Uint8Array(1 << 16);
  for (let i = 0; i < errs.length; i++) errs[i] = random() < ERROR_RATE ? 1 + Math.floor(random() * 3) : 0;
  const n = inputs.length;
  let k = 0;
  let calls;
  const call = (input) => {
    const e = errs[k & 0xffff];
    const span = e === 0 ? input.ok : input.errors[e - 1];
    span.duration = hr[k & 0xffff];
    k++;
    for (let p = 0; p < targets.length; p++) targets[p].onEnd(span);
  };
  if (perSecond >= 1) {
    const tickMs = 1000 / perSecond;
    const ticks = Math.round(seconds * perSecond);
    let minute = -1;
    for (let t = 0; t < ticks; t++) {
      const base = T0 + t * tickMs;
      if (onMinute !== undefined && Math.floor(base / 60_000) !== minute) {
        minute = Math.floor(base / 60_000);
        setNow(base);
        onMinute();
      }
      for (let i = 0; i < n; i++) {
        setNow(base + Math.floor((i * tickMs) / n));
        call(inputs[i]);
      }
    }
    calls = ticks;
  } else {
    const every = Math.round(1 / perSecond);
    for (let s = 0; s < seconds; s++) {
      if (onMinute !== undefined && s % 60 === 0) {
        setNow(T0 + s * 1000);
        onMinute();
      }
      for (let i = (every - (s % every)) % every; i < n; i += every) {
        setNow(T0 + s * 1000 + Math.floor((i * 1000) / n));
        call(inputs[i]);
      }
    }
    calls = Math.floor(seconds / every);
  }
  return calls;
}
