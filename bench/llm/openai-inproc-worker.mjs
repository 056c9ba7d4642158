// The wrapper path alone: `chat.completions.create` with a `fetch` that returns a canned response
// at once, so a call is the SDK's own work plus the instrumentation's, with no socket in between.
// Bare, Driftwatch and the official instrumentation run interleaved in one process (each peer on
// its own copy of the module); prints JSON.
import { createRequire } from 'node:module';
import { createPipeline } from '../support/sdk.mjs';
import { interleave } from '../support/stats.mjs';

const require = createRequire(import.meta.url);
const [roundsArg, batchArg] = process.argv.slice(2);
const pkg = 'openai-v6';
function freshOpenAI() {
  for (const key of Object.keys(require.cache)) if (key.includes(`/node_modules/${pkg}/`)) delete require.cache[key];
  return require(pkg);
}

const body = JSON.stringify({
  id: 'chatcmpl-1',
  object: 'chat.completion',
  created: 1,
  model: 'gpt-4o-mini-2024-07-18',
  choices: [{ index: 0, message: { role: 'assistant', content: 'Hello there friend' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 12, completion_tokens: 3, total_tokens: 15 },
});
const headers = {
  'content-type': 'application/json',
  'x-ratelimit-remaining-requests': '499',
  'x-ratelimit-limit-requests': '500',
  'x-ratelimit-remaining-tokens': '1000',
  'x-ratelimit-limit-tokens': '2000',
};
const fetch = async () => new Response(body, { status: 200, headers });
const request = {
  model: 'gpt-4o-mini',
  messages: [
    { role: 'system', content: 'You are a terse assistant.' },
    { role: 'user', content: 'Say hello' },
  ],
  max_tokens: 32,
  temperature: 0.2,
};
const client = (mod) => new mod.OpenAI({ apiKey: 'bench', baseURL: 'http://127.0.0.1:9/v1', maxRetries: 0, fetch });

const pipelines = {};
const variants = {};
{
  const c = client(freshOpenAI());
  variants.bare = () => c.chat.completions.create(request);
}
{
  const { instrumentOpenAI } = await import('@driftwatch/llm');
  const p = (pipelines.driftwatch = createPipeline());
  const c = instrumentOpenAI(client(freshOpenAI()), { tracerProvider: p.tracerProvider, meterProvider: p.meterProvider });
  variants.driftwatch = () => c.chat.completions.create(request);
}
{
  const { OpenAIInstrumentation } = require('@opentelemetry/instrumentation-openai');
  const p = (pipelines['otel-contrib'] = createPipeline());
  const mod = freshOpenAI();
  const inst = new OpenAIInstrumentation();
  inst.setTracerProvider(p.tracerProvider);
  inst.setMeterProvider(p.meterProvider);
  for (const def of inst.getModuleDefinitions()) def.patch?.(mod, '6.0.0');
  const c = client(mod);
  variants['otel-contrib'] = () => c.chat.completions.create(request);
}
for (let i = 0; i < 2000; i++) for (const op of Object.values(variants)) await op();
const result = await interleave(variants, { rounds: Number(roundsArg), batch: Number(batchArg), after: (n) => pipelines[n]?.flush() });
for (const p of Object.values(pipelines)) await p.shutdown();
process.stdout.write(JSON.stringify(result) + '\n');
