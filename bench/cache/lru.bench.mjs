// Added time of an instrumented lru-cache `get` hit over the bare `get`, in nanoseconds.
import { fileURLToPath } from 'node:url';
import { median, quantile } from '../support/stats.mjs';
import { runJsonWorker } from '../support/proc.mjs';

const worker = fileURLToPath(new URL('./lru-worker.mjs', import.meta.url));

export async function run({ quick = false } = {}) {
  const rounds = quick ? 20 : 100;
  const ops = 1_000_000;
  const res = await runJsonWorker(worker, [String(rounds), String(ops)], { cpu: 0 });
  const bare = median(res.ns.bare);
  const rows = Object.keys(res.ns).map((v) => ({
    variant: v,
    nsPerGet: median(res.ns[v]),
    addedNs: median(res.diffs[v]),
    addedLowNs: quantile(res.diffs[v], 0.25),
    addedHighNs: quantile(res.diffs[v], 0.75),
    ratio: median(res.ns[v]) / bare,
  }));
  process.stderr.write(`lru-cache get hit: ${rows.map((x) => `${x.variant}=${x.nsPerGet.toFixed(1)}ns (+${x.addedNs.toFixed(1)}, ×${x.ratio.toFixed(2)})`).join('  ')}\n`);
  return [{ rounds, ops, rows }];
}

export function render([r]) {
  const lines = [
    '## Cache: lru-cache `get` hit',
    '',
    '`get` of a present key on lru-cache 11 (1,024 entries), bare versus `instrumentLruCache` with a recording',
    'SDK pipeline (a hit is counted, no span). One process; each variant has its own cache and its own loop',
    'function, run in alternating rounds; "added" is the median over rounds of the paired difference.',
    '',
    `${r.rounds} rounds × ${r.ops.toLocaleString('en-US')} gets per variant.`,
    '',
    '| variant | ns per get | added (ns) [IQR] | ratio to bare |',
    '|---|---:|---:|---:|',
  ];
  for (const x of r.rows) {
    const iqr = x.variant === 'bare' ? '' : ` [${x.addedLowNs.toFixed(1)}, ${x.addedHighNs.toFixed(1)}]`;
    lines.push(`| ${x.variant} | ${x.nsPerGet.toFixed(1)} | ${x.addedNs.toFixed(1)}${iqr} | ${x.ratio.toFixed(2)} |`);
  }
  const dw = r.rows.find((x) => x.variant === 'driftwatch');
  if (dw) lines.push('', `Target (added ≤ 25 ns per get): **${dw.addedNs <= 25 ? 'met' : 'not met'}** (${dw.addedNs.toFixed(1)} ns, ratio ${dw.ratio.toFixed(2)}).`);
  lines.push('');
  return lines.join('\n');
}
