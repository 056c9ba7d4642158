// The instrumentation's own CPU cost per call, without a socket: see openai-inproc-worker.mjs.
import { fileURLToPath } from 'node:url';
import { median, quantile } from '../support/stats.mjs';
import { runJsonWorker } from '../support/proc.mjs';

const worker = fileURLToPath(new URL('./openai-inproc-worker.mjs', import.meta.url));

export async function run({ quick = false } = {}) {
  const rounds = quick ? 30 : 150;
  const batch = 200;
  const res = await runJsonWorker(worker, [String(rounds), String(batch)], { cpu: 0 });
  const bare = median(res.means.bare);
  const rows = Object.keys(res.means).map((v) => ({
    variant: v,
    perCallUs: median(res.means[v]),
    addedUs: median(res.diffs[v]),
    addedLowUs: quantile(res.diffs[v], 0.25),
    addedHighUs: quantile(res.diffs[v], 0.75),
    addedPct: (median(res.diffs[v]) / bare) * 100,
  }));
  process.stderr.write(`in-process: ${rows.map((x) => `${x.variant}=${x.perCallUs.toFixed(1)}µs (+${x.addedUs.toFixed(1)})`).join('  ')}\n`);
  return [{ rounds, batch, rows }];
}

export function render([r]) {
  const lines = [
    '## LLM: instrumentation cost without a socket',
    '',
    '`chat.completions.create` on openai 6 with a `fetch` that returns a canned response at once: a call is the',
    "SDK's own work plus the instrumentation's. Same interleaving and pipelines as above; this isolates the",
    'CPU the instrumentation adds from network and scheduling noise.',
    '',
    `${r.rounds} rounds × ${r.batch} calls per variant.`,
    '',
    '| variant | per call (µs) | added (µs) [IQR] | added (% of the SDK call) |',
    '|---|---:|---:|---:|',
  ];
  for (const x of r.rows) {
    const iqr = x.variant === 'bare' ? '' : ` [${x.addedLowUs.toFixed(1)}, ${x.addedHighUs.toFixed(1)}]`;
    lines.push(`| ${x.variant} | ${x.perCallUs.toFixed(1)} | ${x.addedUs.toFixed(1)}${iqr} | ${x.addedPct.toFixed(1)}% |`);
  }
  lines.push('');
  return lines.join('\n');
}
