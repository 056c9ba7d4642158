// `npm run demo`: runs the example app on the real `openai` and `@anthropic-ai/sdk` clients
// against a local fake provider that injects 429s, 5xx, slow streams and outages, with Driftwatch
// registered, then prints what was recorded: the span trees, the resilience picture and the
// Prometheus series an operator would scrape.
import { SimpleSpanProcessor, InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { SpanKind } from '@opentelemetry/api';
import Table from 'cli-table3';
import { register } from '@driftwatch/node';
import { startFakeLlmServer } from '../../test/support/fake-llm-server.ts';
import { createApp } from './app.mjs';
import { createExtras } from './extras.mjs';
import { formatReport, generateReport } from '@driftwatch/selector';
import { backtestFile } from '@driftwatch/cli';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const spans = new InMemorySpanExporter();
const provider = await startFakeLlmServer();
const handle = register({
  serviceName: 'driftwatch-demo',
  tracesExporter: 'none',
  metricsExporter: 'prometheus',
  logsExporter: 'none',
  prometheus: { port: 0, host: '127.0.0.1' },
  spanProcessors: [new SimpleSpanProcessor(spans)],
  handleSignals: false,
});
const prom = await handle.prometheus.ready;
const app = createApp(provider);
const extras = createExtras(app);

const steps = [];
async function step(title, fn) {
  const t0 = performance.now();
  try {
    const result = await fn();
    steps.push([title, 'ok', `${(performance.now() - t0).toFixed(0)} ms`, summarize(result)]);
  } catch (err) {
    steps.push([title, 'failed', `${(performance.now() - t0).toFixed(0)} ms`, `${err.constructor?.name}: ${String(err.message).slice(0, 60)}`]);
  }
}
function summarize(result) {
  if (typeof result === 'string') return JSON.stringify(result.length > 48 ? `${result.slice(0, 45)}...` : result);
  if (result?.data) return `${result.data.length} vectors of ${result.data[0]?.embedding.length}`;
  if (result?.choices) return JSON.stringify(result.choices[0]?.message?.content ?? '');
  return '';
}

await step('ask: plain chat call', () => app.ask('What is OpenTelemetry?'));
provider.enqueue({ status: 429, headers: { 'retry-after': '0' }, errorMessage: 'Rate limit reached for gpt-4o-mini' });
await step('ask: 429 + retry-after, SDK retries', () => app.ask('And what is a span?'));
await step('ask: model with no known price', () => app.ask('Hi', 'acme-private-llm-v2'));
provider.enqueue({ chunkDelayMs: 25, content: 'Streaming lets users read the answer while it is being written.' });
await step('stream: slow stream, read to the end', () => app.streamAnswer('Why stream?'));
provider.enqueue({ chunkDelayMs: 5, content: 'one two three four five six seven eight nine ten' });
await step('stream: user stops after 3 words', () => app.streamAnswer('Count to ten', { stopAfter: 3 }));
provider.enqueue({ status: 500 }, { status: 503 }, { status: 500, errorMessage: 'upstream overloaded' });
await step('fallback: OpenAI down, Anthropic answers', () => app.answerWithFallback('Explain retries.'));
provider.enqueue({ status: 503 }, { status: 503 });
await step('cockatiel: retry policy recovers', () => app.summarize('Long meeting notes ...'));
provider.enqueue({ status: 503 }, { status: 503 }, { status: 503 });
await step('cockatiel: 3 failures, breaker opens', () => app.summarize('More notes ...'));
await step('cockatiel: breaker rejects at once', () => app.summarize('Even more notes ...'));
await step('embeddings', () => app.embed(['driftwatch', 'telemetry']));
await step('gateway call recorded by the app', () => app.reportGatewayCall());
await step('answer cache: miss, the model answers', () => extras.cachedAnswer('What is a trace?'));
await step('answer cache: hit', () => extras.cachedAnswer('What is a trace?'));
await step('answer cache: another question', () => extras.cachedAnswer('What is a metric?'));
await step('answer cache: third question evicts the oldest', () => extras.cachedAnswer('What is a log?'));
await step('page check: release 1, CSS finds the button', () => extras.findCheckoutButton('v1'));
await step('page check: release 2, id renamed, fallback', () => extras.findCheckoutButton('v2'));
await step('page check: release 2 again', () => extras.findCheckoutButton('v2'));

await handle.forceFlush();
const scrape = await (await fetch(prom.url)).text();

// ---------------------------------------------------------------------------------------------
// Report

const out = [];
const print = (s = '') => out.push(s);
print('Driftwatch demo: an assistant service on the real openai and @anthropic-ai/sdk clients, with an');
print('lru-cache answer cache in front of it and a cheerio page check for the checkout button,');
print(`against a local fake provider (${provider.url}) that injects 429s, 5xx, slow streams and outages.`);
print();

const stepsTable = new Table({ head: ['what the app did', 'result', 'took', 'answer'], style: { head: [], border: [] } });
for (const s of steps) stepsTable.push(s);
print(stepsTable.toString());
print();

// Span trees, children under their parents.
const finished = spans.getFinishedSpans();
const byParent = new Map();
const ids = new Set(finished.map((s) => s.spanContext().spanId));
for (const s of finished) {
  const parent = s.parentSpanContext?.spanId;
  const key = parent && ids.has(parent) ? parent : 'root';
  if (!byParent.has(key)) byParent.set(key, []);
  byParent.get(key).push(s);
}
const start = (s) => s.startTime[0] * 1e3 + s.startTime[1] / 1e6;
for (const list of byParent.values()) list.sort((a, b) => start(a) - start(b));

const spanTable = new Table({ head: ['span', 'kind', 'ms', 'recorded'], style: { head: [], border: [] }, colWidths: [44, 8, 7, 78], wordWrap: true });
const kindName = { [SpanKind.CLIENT]: 'CLIENT', [SpanKind.INTERNAL]: 'INTERNAL' };
function attrsOf(s) {
  const a = s.attributes;
  const parts = [];
  const add = (label, key, fmt = (v) => v) => a[key] !== undefined && parts.push(`${label}=${fmt(a[key])}`);
  add('model', 'gen_ai.response.model');
  if (a['gen_ai.usage.input_tokens'] !== undefined) parts.push(`tokens=${a['gen_ai.usage.input_tokens']}/${a['gen_ai.usage.output_tokens'] ?? '?'}`);
  add('cost', 'llm.cost.total', (v) => `$${Number(v).toFixed(6)}`);
  add('cost.unknown', 'llm.cost.unknown');
  add('ttfc', 'gen_ai.response.time_to_first_chunk', (v) => `${(v * 1000).toFixed(0)}ms`);
  add('finish', 'gen_ai.response.finish_reasons', (v) => v.join(','));
  add('attempt', 'resilience.attempt');
  add('retries', 'resilience.retry.count');
  add('fallback', 'resilience.fallback.used');
  add('chain', 'resilience.fallback.chain', (v) => v.join(' > '));
  add('breaker', 'resilience.circuit_breaker.state');
  add('error.type', 'error.type');
  add('agent', 'gen_ai.agent.name');
  add('ratelimit', 'llm.rate_limit.remaining');
  add('cache', 'cache.name');
  add('result', 'cache.result');
  add('load', 'cache.load.result');
  add('selector', 'selector.name');
  add('strategy', 'selector.strategy');
  add('result', 'selector.result');
  add('confidence', 'selector.confidence', (v) => Number(v).toFixed(2));
  add('fallback.from', 'selector.fallback.from');
  add('drift', 'selector.drift.kind', (v) => v.join(','));
  const events = s.events.filter((e) => e.name === 'resilience.retry').length;
  if (events) parts.push(`retry events=${events}`);
  return parts.join('  ');
}
function walk(s, depth) {
  const ms = s.duration[0] * 1e3 + s.duration[1] / 1e6;
  spanTable.push([`${'  '.repeat(depth)}${depth ? '└ ' : ''}${s.name}`, kindName[s.kind] ?? s.kind, ms.toFixed(1), attrsOf(s)]);
  for (const c of byParent.get(s.spanContext().spanId) ?? []) walk(c, depth + 1);
}
for (const root of byParent.get('root') ?? []) walk(root, 0);
print(`Spans recorded: ${finished.length}`);
print(spanTable.toString());
print();

// The Prometheus view: the series an operator would alert on.
const wanted = [
  'llm_calls_total',
  'llm_retries_total',
  'llm_fallbacks_total',
  'llm_cost_USD_total',
  'llm_cost_unknown_total',
  'gen_ai_client_operation_duration_seconds_count',
  'gen_ai_client_token_usage_sum',
  'gen_ai_client_operation_time_to_first_chunk_seconds_count',
  'llm_rate_limit_remaining',
  'cache_requests_total',
  'cache_puts_total',
  'cache_evictions_total',
  'cache_load_duration_seconds_count',
  'cache_saved_time_seconds_total',
  'cache_entry_count',
  'selector_resolutions_total',
  'selector_confidence_sum',
];
const metricTable = new Table({ head: ['series (from /metrics)', 'value'], style: { head: [], border: [] }, colWidths: [112, 14], wordWrap: true });
const keep = /^(gen_ai_operation_name|gen_ai_provider_name|gen_ai_request_model|error_type|llm_call_outcome|gen_ai_token_type|llm_rate_limit_type|cache_name|cache_operation|cache_result|cache_put_result|cache_eviction_reason|cache_load_result|selector_name|selector_strategy|selector_result|selector_fallback_used)$/;
for (const line of scrape.split('\n')) {
  const m = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
  if (!m || !wanted.includes(m[1])) continue;
  const labels = [...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)]
    .filter(([, k]) => keep.test(k))
    .map(([, k, v]) => `${k.replace(/^gen_ai_|^llm_/, '')}=${v}`)
    .join(' ');
  const value = Number(m[3]);
  metricTable.push([`${m[1]} ${labels}`, Number.isInteger(value) ? String(value) : value.toPrecision(4)]);
}
print(`Prometheus: ${scrape.split('\n').filter((l) => l.startsWith('# TYPE')).length} metric families on ${prom.url}, Driftwatch series:`);
print(metricTable.toString());
print();
// The processor's view: windowed quality series derived inside the SDK before export.
const pct = (v) => (v === undefined ? '—' : `${(v * 100).toFixed(1)}%`);
const num = (v, digits = 3) => (v === undefined ? '—' : Number(v).toPrecision(digits));
const quality = new Table({
  head: ['domain', 'series', 'calls', 'success', 'p50 s', 'p95 s', 'retries', 'fallback', 'tokens/s', 'USD/success', 'hit ratio', 'confidence'],
  style: { head: [], border: [] },
});
const dimsShown = /^(gen_ai\.operation\.name|gen_ai\.request\.model|llm\.task\.type|selector\.name|cache\.name|cache\.operation|otel\.metric\.overflow)$/;
for (const s of handle.processor.snapshot()) {
  const w = s.windows['5m'];
  if (w.count === 0 && w.tokens === 0) continue;
  const series = Object.entries(s.attributes).filter(([k]) => dimsShown.test(k)).map(([, v]) => String(v)).join(' ');
  quality.push([s.domain, series, num(w.count, 4), pct(w.successRatio), num(w.latency.p50), num(w.latency.p95), num(w.meanRetries, 2), pct(w.fallbackRatio), num(w.tokensRate), num(w.costPerSuccess), pct(w.hitRatio), num(w.meanConfidence, 2)]);
}
const derivedFamilies = scrape.split('\n').filter((l) => l.startsWith('# TYPE driftwatch_')).length;
print(`Quality series (5m window) from the Driftwatch processor; ${derivedFamilies} driftwatch_* families on /metrics:`);
print(quality.toString());
print();
print('Selector report (in-process state):');
print(formatReport(generateReport()));
const stats = handle.stats();
print();
print(`Export health: ${JSON.stringify(stats)}`);

// The CLI's backtest on one labelled series of the anomaly corpus: where the default ensemble fires.
{
  const corpus = new URL('../../test/fixtures/anomaly/', import.meta.url);
  const file = 'level_shift/latency_level_up.csv';
  const labels = JSON.parse(readFileSync(new URL('labels.json', corpus), 'utf8'))[file] ?? [];
  const dir = mkdtempSync(join(tmpdir(), 'driftwatch-demo-'));
  try {
    const result = await backtestFile(new URL(file, corpus).pathname, join(dir, 'scored.csv'));
    const rows = readFileSync(join(dir, 'scored.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
    const inWindow = (t) => labels.some(([a, b]) => t >= a && t <= b);
    const top = rows
      .map(([timestamp, value, score]) => ({ timestamp, value, score: Number(score) }))
      .sort((a, b) => b.score - a.score)
      .slice(0, 3);
    print(`driftwatch backtest ${file} (${result.rows} rows, detector ${result.detector}, ${result.durationMs.toFixed(0)} ms); labelled anomaly window: ${labels.map((w) => w.join(' … ')).join('; ') || 'none'}`);
    for (const r of top) print(`  highest scores: ${r.timestamp}  value ${r.value}  score ${r.score.toFixed(4)}${inWindow(r.timestamp) ? '  (inside the labelled window)' : ''}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

console.log(out.join('\n'));
await handle.shutdown();
await provider.close();
