// Memory per live series at the default options, run with --expose-gc; prints JSON.
// A processor with the defaults (windows 1m/5m/15m/1h, sketch scale 6, cardinality limit 2000) and an
// injected clock; `series` LLM dimension tuples each get `perSecond` calls per second over `seconds`
// of simulated time (lognormal latencies, 3 % failures over three error types), which fills every slot
// of both rings. Memory is measured after full garbage collections, against a baseline taken after
// the processor and all inputs were built but before any series existed. Then, to show where the
// memory goes, parts of the state are dropped one kind at a time (through the processor's internal
// table: a diagnostic only) and the heap is measured again after each.
import { PerformanceObserver } from 'node:perf_hooks';
import { DriftwatchProcessor } from '@driftwatch/processor';
import { T0, feed, seriesInputs } from './workload.mjs';

const [seriesArg, perSecondArg, secondsArg, queriesArg] = process.argv.slice(2);
const seriesCount = Number(seriesArg);
const perSecond = Number(perSecondArg);
const seconds = Number(secondsArg);
const queries = Number(queriesArg ?? 0);

function settle() {
  for (let i = 0; i < 4; i++) globalThis.gc();
  const m = process.memoryUsage();
  return { heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers, rss: m.rss };
}
const diff = (a, b) => ({ heapUsed: a.heapUsed - b.heapUsed, external: a.external - b.external, arrayBuffers: a.arrayBuffers - b.arrayBuffers, rss: a.rss - b.rss, total: a.heapUsed + a.external - (b.heapUsed + b.external) });

let now = T0;
const processor = new DriftwatchProcessor({ clock: () => now, metricIntervalMs: 0 });
const inputs = seriesInputs(seriesCount);
// Warm the code paths on a throw-away processor so that compiled code is in the baseline too.
{
  let t = T0;
  const warm = new DriftwatchProcessor({ clock: () => t, metricIntervalMs: 0 });
  feed({ inputs: inputs.slice(0, 20), targets: [warm], setNow: (x) => (t = x), seconds: 600, perSecond: 1 });
  warm.snapshot();
  await warm.shutdown();
}
const baseline = settle();

// Garbage-collection time during the fill (the fill is synchronous: entries are delivered afterwards).
let fillGcMs = 0;
const gcObserver = new PerformanceObserver((list) => {
  for (const e of list.getEntries()) fillGcMs += e.duration;
});
gcObserver.observe({ entryTypes: ['gc'] });
const t0 = performance.now();
// Anomaly detection is on by default: evaluate every simulated minute, as its timer would.
let anomalyMs = 0;
const calls = feed({
  inputs,
  targets: [processor],
  setNow: (t) => (now = t),
  seconds,
  perSecond,
  onMinute: () => {
    const a0 = performance.now();
    processor.evaluateAnomalies();
    anomalyMs += performance.now() - a0;
  },
});
const fillMs = performance.now() - t0;
await new Promise((resolve) => setTimeout(resolve, 50));
gcObserver.disconnect();
const filled = settle();
const health = processor.health();

// Sanity: the windows of a series are full.
const st = processor.stats('llm', inputs[0].key) ?? processor.stats('llm', { 'otel.metric.overflow': true });
const counts = Object.fromEntries(Object.entries(st.windows).map(([w, s]) => [w, s.count]));

// Query cost with all series live (a query also sweeps the tables for idle series).
let queryMs;
let queryHotMs;
let snapshotMs;
let collectMs;
let points;
if (queries > 0) {
  // Warm-up, then rounds over series in a scattered order; the median round.
  const ask = (q) => processor.stats('llm', inputs[(q * 7919) % (seriesCount - 1)].key);
  for (let q = 0; q < 100; q++) ask(q);
  const perRound = [];
  for (let r = 0; r < 5; r++) {
    const q0 = performance.now();
    for (let q = 0; q < queries; q++) ask(r * queries + q);
    perRound.push((performance.now() - q0) / queries);
  }
  queryMs = perRound.sort((a, b) => a - b)[2];
  // The same series again and again (its slots stay in the CPU caches).
  const h0 = performance.now();
  for (let q = 0; q < queries; q++) ask(0);
  queryHotMs = (performance.now() - h0) / queries;
  const s0 = performance.now();
  processor.snapshot();
  snapshotMs = performance.now() - s0;
  const c0 = performance.now();
  const metrics = processor.metricProducer.build();
  collectMs = performance.now() - c0;
  points = metrics.reduce((n, m) => n + m.dataPoints.length, 0);
}

// Structure of the state (counted through the internal table; a diagnostic only).
const table = processor._table?.('llm');
let structure;
const breakdown = {};
if (table !== undefined) {
  const all = [...table.all()];
  structure = { series: all.length, rings: 0, typedArrayBytes: 0, latencySlots: 0, packedSlots: 0, packedBuckets: 0, pairSlots: 0, pairBuckets: 0, denseSlots: 0, denseBytes: 0, errorMaps: 0 };
  for (const s of all) {
    for (const r of s.rings) {
      structure.rings++;
      const l = r.latencies;
      structure.typedArrayBytes += r.slotOf.byteLength + r.values.byteLength;
      structure.typedArrayBytes += l.headerBytes;
      for (let i = 0; i < l.data.length; i++) {
        const d = l.data[i];
        if (d === undefined) continue;
        structure.latencySlots++;
        if (l.mode(i) === 1) {
          structure.packedSlots++;
          structure.packedBuckets += d.length;
        } else if (l.mode(i) === 2) {
          structure.pairSlots++;
          structure.pairBuckets += d.length / 2;
        } else {
          structure.denseSlots++;
          structure.denseBytes += d.byteLength;
        }
      }
      for (const m of r.errors) if (m !== undefined) structure.errorMaps++;
    }
  }
  // Drop one kind of state at a time and measure what that frees.
  let before = filled;
  const drop = (name, fn) => {
    for (const s of all) for (const r of s.rings) fn(r);
    const after = settle();
    breakdown[name] = diff(before, after);
    before = after;
  };
  {
    // The anomaly detectors and histories of every series (kept beside the series by the engine).
    const states = processor.anomaly?._states;
    if (states !== undefined) for (const s of all) states.delete(s);
    const after = settle();
    breakdown['anomaly detectors and histories'] = diff(before, after);
    before = after;
  }
  drop('latency bucket arrays (packed, pairs, dense)', (r) => r.latencies.data.fill(undefined));
  drop('error-type maps', (r) => r.errors.fill(undefined));
  breakdown['the rest: series, rings (typed arrays), keys, attributes'] = diff(before, baseline);
}

await processor.shutdown();
process.stdout.write(
  JSON.stringify({ seriesCount, perSecond, seconds, calls, fillMs, anomalyMs, fillGcMs, baseline, filled, delta: diff(filled, baseline), health, counts, queryMs, queryHotMs, snapshotMs, collectMs, points, structure, breakdown }) + '\n',
);
