// Per-call overhead of instrumentOpenAI versus the bare client and versus the official
// @opentelemetry/instrumentation-openai and @traceloop/instrumentation-openai, measured in one run:
// all variants of a scenario run in one process, interleaved in short batches, and the added time
// of a variant is the median over rounds of (its batch mean − the bare client's batch mean in the
// same round). The fake provider runs in its own process, pinned to the other core when possible.
import { fileURLToPath } from 'node:url';
import { median, quantile } from '../support/stats.mjs';
import { runJsonWorker, startJsonProcess } from '../support/proc.mjs';

const worker = fileURLToPath(new URL('./openai-worker.mjs', import.meta.url));
const serverFile = fileURLToPath(new URL('../support/fake-server-process.mjs', import.meta.url));

const SCENARIOS = [
  { id: 'v6-json', name: 'chat, JSON response (openai 6)' },
  { id: 'v6-stream', name: 'chat, streamed response (openai 6)' },
  { id: 'v7-json', name: 'chat, JSON response (openai 7)' },
  { id: 'v7-stream', name: 'chat, streamed response (openai 7)' },
];

export async function run({ quick = false } = {}) {
  const server = await startJsonProcess(serverFile, [], { cpu: 1 });
  const baseURL = `${server.info.url}/v1`;
  const rounds = quick ? 20 : 120;
  const batch = quick ? 40 : 50;
  const results = [];
  try {
    for (const sc of SCENARIOS) {
      const res = await runJsonWorker(worker, [sc.id, baseURL, String(rounds), String(batch)], { cpu: 0 });
      const bare = median(res.means.bare);
      const rows = Object.keys(res.means).map((v) => {
        const added = median(res.diffs[v]);
        return {
          variant: v,
          perCallUs: median(res.means[v]),
          addedUs: added,
          addedLowUs: quantile(res.diffs[v], 0.25),
          addedHighUs: quantile(res.diffs[v], 0.75),
          addedPct: (added / bare) * 100,
          cpuUs: median(res.cpu[v]),
          addedCpuUs: median(res.cpuDiffs[v]),
          spans: res.spans[v] ?? 0,
        };
      });
      results.push({ scenario: sc.name, rounds, batch, rows });
      process.stderr.write(`${sc.name}: ${rows.map((x) => `${x.variant}=${x.perCallUs.toFixed(0)}µs (${x.addedUs >= 0 ? '+' : ''}${x.addedUs.toFixed(1)}µs, ${x.addedPct.toFixed(2)}%, cpu ${x.addedCpuUs >= 0 ? '+' : ''}${x.addedCpuUs.toFixed(1)}µs)`).join('  ')}\n`);
    }
  } finally {
    server.stop();
  }
  return results;
}

export function render(results) {
  const lines = [
    '## LLM: per-call overhead of `instrumentOpenAI`',
    '',
    'Sequential `chat.completions.create` calls with the real `openai` client against the local fake',
    'provider (zero latency, in its own process). Every variant runs in one process, interleaved in short',
    'batches, each with its own recording SDK pipeline (BatchSpanProcessor into a discarding exporter,',
    'flushed inside the variant\'s own timed batch; a MeterProvider with a reader). "Added" is the median',
    'over rounds of the paired difference to the bare client in the same round (IQR in brackets). The peer',
    'instrumentations support openai < 7 only, so the peer comparison runs on openai 6; openai 7 is',
    'measured bare against Driftwatch. Streamed calls set `stream_options.include_usage` in every variant, so all',
    'receive the same chunks. `sdk-floor` is the least a recording instrumentation can do, written by hand',
    'without any abstraction: one span with the GenAI attributes, one duration and two token-usage',
    'histogram records — the cost of the OpenTelemetry SDK itself on this call.',
    '',
  ];
  for (const r of results) {
    lines.push(`### ${r.scenario}`, '', `${r.rounds} rounds × ${r.batch} calls per variant.`, '');
    lines.push(
      '| variant | wall per call (µs) | added wall (µs) [IQR] | added (% of bare) | client CPU per call (µs) | added CPU (µs) | spans exported |',
      '|---|---:|---:|---:|---:|---:|---:|',
    );
    for (const x of r.rows) {
      const iqr = x.variant === 'bare' ? '' : ` [${x.addedLowUs.toFixed(1)}, ${x.addedHighUs.toFixed(1)}]`;
      lines.push(
        `| ${x.variant} | ${x.perCallUs.toFixed(1)} | ${x.addedUs.toFixed(1)}${iqr} | ${x.addedPct.toFixed(2)}% | ${x.cpuUs.toFixed(1)} | ${x.addedCpuUs.toFixed(1)} | ${x.spans} |`,
      );
    }
    const dw = r.rows.find((x) => x.variant === 'driftwatch');
    const peers = r.rows.filter((x) => x.variant !== 'bare' && x.variant !== 'driftwatch' && x.variant !== 'sdk-floor');
    if (dw) {
      const pct = dw.addedPct <= 2 ? 'met' : 'not met';
      const vsPeers = peers.length === 0 ? 'no peer supports this major' : peers.every((x) => dw.addedUs <= x.addedUs) ? 'met' : 'not met';
      const floor = r.rows.find((x) => x.variant === 'sdk-floor');
      const floorNote = floor
        ? ` The SDK floor alone adds ${floor.addedPct.toFixed(1)}% (${floor.addedUs.toFixed(1)} µs); Driftwatch adds ${(dw.addedUs - floor.addedUs).toFixed(1)} µs beyond it.`
        : '';
      lines.push('', `Target (added ≤ 2% of the bare call): **${pct}** (${dw.addedPct.toFixed(1)}%). Target (added ≤ each peer): **${vsPeers}**.${floorNote}`);
    }
    lines.push('');
  }
  return lines.join('\n');
}
