// Cost of a window query: `processor.stats(domain, attributes)` on series whose windows are full, and
// the underlying 60-slot read through the exported `SlidingWindow`. Series are filled over one
// simulated hour (injected clock) so that every slot of both 60-slot rings holds data and latencies;
// prints JSON.
import { DriftwatchProcessor, SlidingWindow } from '@driftwatch/processor';
import { T0, feed, seriesInputs } from './workload.mjs';

const [perSecondArg, seriesArg, roundsArg, queriesArg] = process.argv.slice(2);
const perSecond = Number(perSecondArg);
const seriesCount = Number(seriesArg);
const rounds = Number(roundsArg);
const queries = Number(queriesArg);
const HOUR = 3_600_000;

let now = T0;
const clock = () => now;
const options = { clock, metricIntervalMs: 0 };
const processors = {
  'all four windows (defaults)': new DriftwatchProcessor(options),
  '1h only (60 × 1 min slots)': new DriftwatchProcessor({ ...options, windows: ['1h'] }),
  '15m only (15 × 1 min slots)': new DriftwatchProcessor({ ...options, windows: ['15m'] }),
  '5m only (60 × 5 s slots)': new DriftwatchProcessor({ ...options, windows: ['5m'] }),
  '1m only (12 × 5 s slots)': new DriftwatchProcessor({ ...options, windows: ['1m'] }),
};
const inputs = seriesInputs(seriesCount);

// The same stream of one series into stand-alone 60-slot windows.
const windows = {
  'SlidingWindow 1h / 60 slots': new SlidingWindow({ windowMs: HOUR, slots: 60 }),
  'SlidingWindow 5m / 60 slots': new SlidingWindow({ windowMs: 300_000, slots: 60 }),
};
const obs = { latency: 0, success: true, tokens: 0, cost: 0, retries: 0 };
const windowFeeder = {
  onEnd(span) {
    if (span.attributes !== inputs[0].ok.attributes && !inputs[0].errors.some((e) => e.attributes === span.attributes)) return;
    const a = span.attributes;
    obs.latency = span.duration[0] + span.duration[1] / 1e9;
    obs.success = span.status.code !== 2;
    obs.errorType = obs.success ? undefined : a['error.type'];
    obs.tokens = (a['gen_ai.usage.input_tokens'] ?? 0) + (a['gen_ai.usage.output_tokens'] ?? 0);
    obs.cost = a['llm.cost.total'] ?? 0;
    obs.retries = a['resilience.retry.count'];
    for (const w of Object.values(windows)) w.record(now, obs);
  },
};

const fillStart = performance.now();
const calls = feed({ inputs, targets: [...Object.values(processors), windowFeeder], setNow: (t) => (now = t), seconds: 3600, perSecond });
const fillMs = performance.now() - fillStart;
// The last millisecond of the hour: the newest slot of each ring is the hour's last, so every window is full.
now = T0 + HOUR - 1;

const check = processors['all four windows (defaults)'].stats('llm', inputs[0].key);
const counts = Object.fromEntries(Object.entries(check.windows).map(([w, s]) => [w, s.count]));
const p99 = check.windows['1h'].latency.p99;

function timeIt(fn) {
  const ms = [];
  for (let r = -2; r < rounds; r++) {
    const t0 = process.hrtime.bigint();
    for (let q = 0; q < queries; q++) fn(q);
    const per = Number(process.hrtime.bigint() - t0) / 1e6 / queries;
    if (r >= 0) ms.push(per);
  }
  return ms;
}

const results = {};
for (const [name, p] of Object.entries(processors)) {
  let sink = 0;
  results[name] = timeIt((q) => {
    const s = p.stats('llm', inputs[q % seriesCount].key);
    sink += s.windows[p.options.windows[0].name].count;
  });
  if (!(sink > 0)) throw new Error(`no data in ${name}`);
}
for (const [name, w] of Object.entries(windows)) {
  results[`${name}: read()`] = timeIt(() => w.read(now));
  results[`${name}: read() + p50/p90/p95/p99`] = timeIt(() => { const l = w.read(now).latency; return [0.5, 0.9, 0.95, 0.99].map((q) => l.quantile(q)); });
}
for (const p of Object.values(processors)) await p.shutdown();
process.stdout.write(JSON.stringify({ perSecond, seriesCount, calls, fillMs, counts, p99, results }) + '\n');
