// One benchmark process for one scenario of the OpenAI client: every variant runs in this process,
// interleaved batch by batch (see `interleave`), against a local zero-latency server in another
// process. The peer instrumentations patch the SDK's prototypes, so each of them gets its own fresh
// copy of the `openai` module; Driftwatch instruments a client instance.
import { createRequire } from 'node:module';
import { context, trace } from '@opentelemetry/api';
import { createPipeline } from '../support/sdk.mjs';
import { interleave } from '../support/stats.mjs';

const require = createRequire(import.meta.url);
const [scenario, baseURL, roundsArg, batchArg] = process.argv.slice(2);
const rounds = Number(roundsArg);
const batch = Number(batchArg);
const stream = scenario.endsWith('stream');
const major = scenario.startsWith('v7') ? 7 : 6;
const pkg = major === 7 ? 'openai' : 'openai-v6';

/** A separate copy of the SDK module (its own classes and prototypes). */
function freshOpenAI() {
  for (const key of Object.keys(require.cache)) {
    if (key.includes(`/node_modules/${pkg}/`)) delete require.cache[key];
  }
  return require(pkg);
}

const request = {
  model: 'gpt-4o-mini',
  messages: [
    { role: 'system', content: 'You are a terse assistant.' },
    { role: 'user', content: 'Say hello in five words.' },
  ],
  max_tokens: 32,
  temperature: 0.2,
};

function operation(client) {
  if (stream) {
    return async () => {
      // Usage requested by the caller for every variant, so all receive the same chunks (by default
      // instrumentOpenAI asks for it when the caller has not, which adds one chunk).
      const s = await client.chat.completions.create({ ...request, stream: true, stream_options: { include_usage: true } });
      let n = 0;
      for await (const _chunk of s) n++;
      return n;
    };
  }
  return () => client.chat.completions.create(request);
}

const pipelines = {};
const variants = {};

variants.bare = operation(new (freshOpenAI().OpenAI)({ apiKey: 'bench', baseURL, maxRetries: 0 }));

{
  const { instrumentOpenAI } = await import('@driftwatch/llm');
  const p = (pipelines.driftwatch = createPipeline());
  const client = new (freshOpenAI().OpenAI)({ apiKey: 'bench', baseURL, maxRetries: 0 });
  instrumentOpenAI(client, { tracerProvider: p.tracerProvider, meterProvider: p.meterProvider });
  variants.driftwatch = operation(client);
}

{
  // The floor: the least a recording instrumentation does per call, written by hand with no
  // abstraction: one client span with the GenAI request/response attributes, the duration
  // histogram and the two token-usage records. What any instrumentation adds beyond this is its own.
  const p = (pipelines['sdk-floor'] = createPipeline());
  const tracer = p.tracerProvider.getTracer('floor');
  const meter = p.meterProvider.getMeter('floor');
  const duration = meter.createHistogram('gen_ai.client.operation.duration', { unit: 's' });
  const tokens = meter.createHistogram('gen_ai.client.token.usage', { unit: '{token}' });
  const client = new (freshOpenAI().OpenAI)({ apiKey: 'bench', baseURL, maxRetries: 0 });
  const u = new URL(baseURL);
  const base = { 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': request.model, 'server.address': u.hostname, 'server.port': Number(u.port) };
  const op = operation(client);
  variants['sdk-floor'] = async () => {
    const t0 = performance.now();
    const span = tracer.startSpan(`chat ${request.model}`, { kind: 2, attributes: base });
    const ctx = trace.setSpan(context.active(), span);
    const out = await context.with(ctx, op);
    const attrs = { ...base, 'gen_ai.response.model': request.model };
    span.setAttributes({ 'gen_ai.response.model': request.model, 'gen_ai.usage.input_tokens': 12, 'gen_ai.usage.output_tokens': 8, 'gen_ai.response.finish_reasons': ['stop'] });
    span.end();
    duration.record((performance.now() - t0) / 1000, attrs);
    tokens.record(12, { ...attrs, 'gen_ai.token.type': 'input' });
    tokens.record(8, { ...attrs, 'gen_ai.token.type': 'output' });
    return out;
  };
}

if (major === 6) {
  {
    const { OpenAIInstrumentation } = require('@opentelemetry/instrumentation-openai');
    const p = (pipelines['otel-contrib'] = createPipeline());
    const mod = freshOpenAI();
    const inst = new OpenAIInstrumentation();
    inst.setTracerProvider(p.tracerProvider);
    inst.setMeterProvider(p.meterProvider);
    // The copy is not loaded through the require hook, so patch it through the instrumentation's
    // own module definition, as the hook would.
    for (const def of inst.getModuleDefinitions()) def.patch?.(mod, '6.0.0');
    variants['otel-contrib'] = operation(new mod.OpenAI({ apiKey: 'bench', baseURL, maxRetries: 0 }));
  }
  {
    const { OpenAIInstrumentation } = require('@traceloop/instrumentation-openai');
    const p = (pipelines.traceloop = createPipeline());
    const mod = freshOpenAI();
    const inst = new OpenAIInstrumentation({ enrichTokens: false });
    inst.setTracerProvider(p.tracerProvider);
    inst.manuallyInstrument(mod.OpenAI); // it expects the OpenAI class itself
    variants.traceloop = operation(new mod.OpenAI({ apiKey: 'bench', baseURL, maxRetries: 0 }));
  }
}

// Warm-up: JIT, keep-alive sockets, price lookups.
for (let i = 0; i < 300; i++) for (const op of Object.values(variants)) await op();

const { means, diffs, cpu, cpuDiffs } = await interleave(variants, {
  rounds,
  batch,
  after: (name) => pipelines[name]?.flush(),
});
const spans = Object.fromEntries(Object.entries(pipelines).map(([n, p]) => [n, p.exporter.exported]));
for (const p of Object.values(pipelines)) await p.shutdown();
process.stdout.write(JSON.stringify({ scenario, stream, major, means, diffs, cpu, cpuDiffs, spans }) + '\n');
