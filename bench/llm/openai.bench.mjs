// Per-call overhead of instrumentOpenAI versus the bare client and versus the official
// @opentelemetry/instrumentation-openai and @traceloop/instrumentation-openai, measured in one run.
// Variants alternate round by round (fresh process each) so that drift in machine speed hits all
// of them alike; the per-call time of a variant is the median of its batch means.
import { fileURLToPath } from 'node:url';
import { median } from '../support/stats.mjs';
import { runJsonWorker, startJsonProcess } from '../support/proc.mjs';

const worker = fileURLToPath(new URL('./openai-worker.mjs', import.meta.url));
const serverFile = fileURLToPath(new URL('../support/fake-server-process.mjs', import.meta.url));

export async function run({ quick = false } = {}) {
  const server = await startJsonProcess(serverFile);
  const baseURL = `${server.info.url}/v1`;
  const rounds = quick ? 2 : 6;
  const calls = quick ? 300 : 1500;
  const batches = quick ? 3 : 5;
  const scenarios = [
    { name: 'chat, JSON (openai 6)', mode: 'json', variants: ['bare-v6', 'driftwatch-v6', 'otel-contrib-v6', 'traceloop-v6'] },
    { name: 'chat, stream (openai 6)', mode: 'stream', variants: ['bare-v6', 'driftwatch-v6', 'otel-contrib-v6', 'traceloop-v6'] },
    { name: 'chat, JSON (openai 7)', mode: 'json', variants: ['bare-v7', 'driftwatch-v7'] },
    { name: 'chat, stream (openai 7)', mode: 'stream', variants: ['bare-v7', 'driftwatch-v7'] },
  ];
  const results = [];
  try {
    for (const sc of scenarios) {
      const samples = Object.fromEntries(sc.variants.map((v) => [v, []]));
      const spans = {};
      for (let r = 0; r < rounds; r++) {
        const order = r % 2 === 0 ? sc.variants : [...sc.variants].reverse();
        for (const v of order) {
          const res = await runJsonWorker(worker, [v, baseURL, String(calls), String(batches), sc.mode]);
          samples[v].push(...res.perCallUs);
          spans[v] = res.spans;
        }
      }
      const bare = median(samples[sc.variants[0]]);
      const rows = sc.variants.map((v) => {
        const us = median(samples[v]);
        return { variant: v, perCallUs: us, addedUs: us - bare, addedPct: ((us - bare) / bare) * 100, spans: spans[v] };
      });
      results.push({ scenario: sc.name, rounds, callsPerBatch: calls, batches, rows });
      process.stderr.write(`${sc.name}: ${rows.map((x) => `${x.variant}=${x.perCallUs.toFixed(1)}µs (${x.addedPct >= 0 ? '+' : ''}${x.addedPct.toFixed(2)}%)`).join('  ')}\n`);
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
    'Sequential `chat.completions.create` calls with the real `openai` client against the local fake provider',
    '(zero latency, its own process). All variants share one recording SDK set-up (BatchSpanProcessor into a',
    'discarding exporter, a MeterProvider with a reader); the bare variant uses no instrumentation. The peers',
    'support openai < 7 only, so the peer comparison runs on openai 6; openai 7 is measured bare vs Driftwatch.',
    'Added time is the difference of medians of batch means; negative values are within noise.',
    '',
  ];
  for (const r of results) {
    lines.push(`### ${r.scenario}`, '', `${r.rounds} rounds × ${r.batches} batches × ${r.callsPerBatch} calls per variant.`, '');
    lines.push('| variant | per call (µs) | added (µs) | added (% of bare) | spans exported |', '|---|---:|---:|---:|---:|');
    for (const x of r.rows) {
      lines.push(`| ${x.variant} | ${x.perCallUs.toFixed(1)} | ${x.addedUs.toFixed(1)} | ${x.addedPct.toFixed(2)}% | ${x.spans} |`);
    }
    lines.push('');
  }
  return lines.join('\n');
}
