// Per-span cost of the processor inside the SDK pipeline, in one process pinned to one core; prints JSON.
// (1) `onEnd(span)` replayed over finished SDK spans: a no-op processor (the loop's own floor), a
//     BatchSpanProcessor with a no-op exporter, and DriftwatchProcessor (defaults, its own clock).
// (2) End to end: `startSpan` + `setAttributes` + `end` on tracer providers with no span processor,
//     with BatchSpanProcessor + no-op exporter, and with both processors.
// Both replay in batches of 512 spans (the BatchSpanProcessor's export batch) and yield to the event
// loop between batches, so that the batch processor's export runs (and is paid) as in an application
// instead of its queue filling up and dropping spans. Variants alternate round by round.
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { DriftwatchProcessor } from '@driftwatch/processor';
import { SERVICE, errorType, finishedSpans, llmAttributes, llmTuple, rng } from './workload.mjs';
import { DiscardingSpanExporter } from '../support/sdk.mjs';

const [roundsArg, batchesArg, e2eBatchesArg] = process.argv.slice(2);
const rounds = Number(roundsArg);
const batches = Number(batchesArg);
const e2eBatches = Number(e2eBatchesArg);
const BATCH = 512;
const tick = () => new Promise((resolve) => setImmediate(resolve));

// A fresh copy of the replay loop per variant, so that no variant's call site sees another's onEnd.
const makeReplay = () =>
  new Function(
    'processor',
    'spans',
    'from',
    'n',
    `const len = spans.length;
     let j = from;
     for (let i = 0; i < n; i++) { processor.onEnd(spans[j]); if (++j === len) j = 0; }
     return j;`,
  );

async function timeRounds(variants, batchesPerRound, perSpan, warmupRounds = 3) {
  const names = Object.keys(variants);
  const ns = Object.fromEntries(names.map((n) => [n, []]));
  const cpuNs = Object.fromEntries(names.map((n) => [n, []]));
  for (let r = -warmupRounds; r < rounds; r++) {
    const order = names.map((_, i) => names[(i + Math.max(r, 0)) % names.length]);
    for (const name of order) {
      const c0 = process.cpuUsage();
      const t0 = process.hrtime.bigint();
      for (let b = 0; b < batchesPerRound; b++) {
        variants[name](BATCH);
        await tick();
      }
      const wall = Number(process.hrtime.bigint() - t0);
      const c = process.cpuUsage(c0);
      if (r < 0) continue;
      ns[name].push(wall / (batchesPerRound * BATCH * perSpan));
      cpuNs[name].push(((c.user + c.system) * 1000) / (batchesPerRound * BATCH * perSpan));
    }
  }
  return { ns, cpuNs };
}

// ---- (1) onEnd replay ----------------------------------------------------------------------------

const sets = {
  llm: finishedSpans({ llm: 500, seed: 1 }),
  mixed: finishedSpans({ llm: 500, mixed: true, seed: 2 }),
  'llm, 2000 tuples': finishedSpans({ llm: 4000, tuples: 2000, seed: 4 }),
};
const onEnd = {};
const exporters = {};
const drift = {};
for (const [setName, spans] of Object.entries(sets)) {
  const noop = { onEnd() {} };
  exporters[setName] = new DiscardingSpanExporter();
  const batch = new BatchSpanProcessor(exporters[setName]);
  drift[setName] = new DriftwatchProcessor();
  const procs = { noop, batch, driftwatch: drift[setName] };
  const variants = {};
  for (const [name, p] of Object.entries(procs)) {
    const replay = makeReplay();
    let at = 0;
    variants[name] = (n) => {
      at = replay(p, spans, at, n);
    };
  }
  onEnd[setName] = { spans: spans.length, ...(await timeRounds(variants, batches, 1)) };
}
const onEndHealth = Object.fromEntries(Object.entries(drift).map(([k, p]) => [k, p.health()]));
const onEndSeries = Object.fromEntries(Object.entries(drift).map(([k, p]) => [k, p.snapshot().length]));
for (const p of Object.values(drift)) await p.shutdown();

// ---- (2) end to end ------------------------------------------------------------------------------

const random = rng(3);
const requests = [];
for (let i = 0; i < 1000; i++) {
  const t = llmTuple(i % 50);
  const err = errorType(random);
  const all = llmAttributes(t, random, { error: err });
  const start = {};
  const finish = {};
  for (const [k, v] of Object.entries(all)) (k.startsWith('gen_ai.request.') || k.startsWith('server.') || k === 'gen_ai.operation.name' || k === 'gen_ai.provider.name' || k === 'llm.task.type' ? start : finish)[k] = v;
  requests.push({ name: `${t.operation} ${t.model}`, start, finish, error: err !== undefined });
}
const resource = resourceFromAttributes({ 'service.name': SERVICE });
const e2eExporters = { batch: new DiscardingSpanExporter(), both: new DiscardingSpanExporter() };
const e2eDrift = new DriftwatchProcessor();
const providers = {
  'no processor': new BasicTracerProvider({ resource }),
  'BatchSpanProcessor': new BasicTracerProvider({ resource, spanProcessors: [new BatchSpanProcessor(e2eExporters.batch)] }),
  'BatchSpanProcessor + Driftwatch': new BasicTracerProvider({ resource, spanProcessors: [new BatchSpanProcessor(e2eExporters.both), e2eDrift] }),
};
const makeCalls = () =>
  new Function(
    'tracer',
    'requests',
    'from',
    'n',
    'CLIENT',
    'ERROR',
    `let j = from;
     for (let i = 0; i < n; i++) {
       const r = requests[j];
       const s = tracer.startSpan(r.name, { kind: CLIENT, attributes: r.start });
       s.setAttributes(r.finish);
       if (r.error) s.setStatus({ code: ERROR });
       s.end();
       if (++j === requests.length) j = 0;
     }
     return j;`,
  );
const e2eVariants = {};
for (const [name, provider] of Object.entries(providers)) {
  const tracer = provider.getTracer('bench');
  const calls = makeCalls();
  let at = 0;
  e2eVariants[name] = (n) => {
    at = calls(tracer, requests, at, n, SpanKind.CLIENT, SpanStatusCode.ERROR);
  };
}
const e2e = await timeRounds(e2eVariants, e2eBatches, 1);
for (const p of Object.values(providers)) await p.forceFlush();
const e2eHealth = e2eDrift.health();
for (const p of Object.values(providers)) await p.shutdown();

process.stdout.write(
  JSON.stringify({
    batch: BATCH,
    onEnd,
    onEndHealth,
    onEndSeries,
    exported: Object.fromEntries(Object.entries(exporters).map(([k, e]) => [k, e.exported])),
    e2e,
    e2eHealth,
    e2eExported: Object.fromEntries(Object.entries(e2eExporters).map(([k, e]) => [k, e.exported])),
  }) + '\n',
);
