// One variant of the Redis GET benchmark in its own process (Driftwatch subscribes to the client's
// process-wide tracing channel, so a bare client in the same process would pay for it too). The
// parent sends `run N` lines; the worker answers each with one JSON line: wall and CPU µs per GET.
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
import { createPipeline } from '../support/sdk.mjs';

const require = createRequire(import.meta.url);
const [variant, url] = process.argv.slice(2);
let pipeline;

if (variant === 'otel-contrib') {
  const { IORedisInstrumentation } = require('@opentelemetry/instrumentation-ioredis');
  pipeline = createPipeline();
  const inst = new IORedisInstrumentation();
  inst.setTracerProvider(pipeline.tracerProvider);
  inst.setMeterProvider(pipeline.meterProvider);
  const mod = require('ioredis');
  // Patch the module copy this process uses through the instrumentation's own module definition, as
  // its require hook would.
  for (const def of inst.getModuleDefinitions()) def.patch?.(mod, require('ioredis/package.json').version);
}
const Redis = require('ioredis').default ?? require('ioredis');
const client = new Redis(url, { lazyConnect: false, enableAutoPipelining: false });
if (variant === 'driftwatch') {
  const { instrumentIoredis } = await import('@driftwatch/cache');
  pipeline = createPipeline();
  instrumentIoredis(client, { name: 'bench', tracerProvider: pipeline.tracerProvider, meterProvider: pipeline.meterProvider });
}
await client.set('bench:key', 'x'.repeat(64));

const rl = createInterface({ input: process.stdin });
for await (const line of rl) {
  const [cmd, nArg] = line.trim().split(' ');
  if (cmd === 'quit') break;
  const n = Number(nArg);
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await client.get('bench:key');
  await pipeline?.flush();
  const wall = ((performance.now() - t0) * 1000) / n;
  const c = process.cpuUsage(c0);
  process.stdout.write(JSON.stringify({ wall, cpu: (c.user + c.system) / n }) + '\n');
}
const spans = pipeline?.exporter.exported ?? 0;
await pipeline?.shutdown();
client.disconnect();
process.stdout.write(JSON.stringify({ done: true, spans }) + '\n', () => process.exit(0));
