// One benchmark process for one variant of the OpenAI client: measures sequential
// `chat.completions.create` calls against a local zero-latency server and prints JSON.
// Each variant runs in its own process because the peer instrumentations patch the SDK's
// prototypes for the whole process.
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { setUpSdk } from '../support/sdk.mjs';

const require = createRequire(import.meta.url);
const [variant, baseURL, callsArg, batchesArg, streamArg] = process.argv.slice(2);
const calls = Number(callsArg);
const batches = Number(batchesArg);
const stream = streamArg === 'stream';
const major = variant.endsWith('-v7') ? 7 : 6;

const sdk = setUpSdk();
const OpenAI = major === 7 ? require('openai').OpenAI : require('openai-v6').OpenAI;
const moduleExports = major === 7 ? require('openai') : require('openai-v6');

if (variant.startsWith('otel-contrib')) {
  const { OpenAIInstrumentation } = require('@opentelemetry/instrumentation-openai');
  const inst = new OpenAIInstrumentation();
  inst.setTracerProvider(sdk.tracerProvider);
  inst.setMeterProvider(sdk.meterProvider);
  // The module is loaded under an alias, so the require hook never sees "openai": patch through
  // the instrumentation's own module definition, as the hook would.
  for (const def of inst.getModuleDefinitions()) def.patch?.(moduleExports, '6.0.0');
} else if (variant.startsWith('traceloop')) {
  const { OpenAIInstrumentation } = require('@traceloop/instrumentation-openai');
  const inst = new OpenAIInstrumentation({ enrichTokens: false });
  inst.setTracerProvider(sdk.tracerProvider);
  inst.manuallyInstrument(moduleExports);
}

const client = new OpenAI({ apiKey: 'bench', baseURL, maxRetries: 0 });
if (variant.startsWith('driftwatch')) {
  const { instrumentOpenAI } = await import('@driftwatch/llm');
  instrumentOpenAI(client);
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

async function once() {
  if (stream) {
    const s = await client.chat.completions.create({ ...request, stream: true });
    let n = 0;
    for await (const _chunk of s) n++;
    return n;
  }
  const r = await client.chat.completions.create(request);
  return r.usage?.total_tokens ?? 0;
}

for (let i = 0; i < Math.max(200, calls / 2); i++) await once(); // warm-up: JIT, sockets, sketches
const perCallUs = [];
for (let b = 0; b < batches; b++) {
  const t0 = performance.now();
  for (let i = 0; i < calls; i++) await once();
  perCallUs.push(((performance.now() - t0) * 1000) / calls);
}
await sdk.shutdown();
process.stdout.write(JSON.stringify({ variant, stream, spans: sdk.exporter.exported, perCallUs }) + '\n');
