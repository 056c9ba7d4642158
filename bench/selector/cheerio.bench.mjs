// Added time of a Driftwatch cheerio resolution over the bare `$(css)` query, default settings.
import { fileURLToPath } from 'node:url';
import { median, quantile } from '../support/stats.mjs';
import { runJsonWorker } from '../support/proc.mjs';

const worker = fileURLToPath(new URL('./cheerio-worker.mjs', import.meta.url));

export async function run({ quick = false } = {}) {
  const rounds = quick ? 20 : 100;
  const batch = 100;
  const res = await runJsonWorker(worker, [String(rounds), String(batch)], { cpu: 0 });
  const bare = median(res.means.bare);
  const rows = Object.keys(res.means).map((v) => ({
    variant: v,
    perCallUs: median(res.means[v]),
    addedUs: median(res.diffs[v]),
    addedLowUs: quantile(res.diffs[v], 0.25),
    addedHighUs: quantile(res.diffs[v], 0.75),
    addedPct: (median(res.diffs[v]) / bare) * 100,
    spans: v === 'driftwatch' ? res.spans : 0,
  }));
  process.stderr.write(`cheerio resolution: ${rows.map((x) => `${x.variant}=${x.perCallUs.toFixed(1)}µs (+${x.addedUs.toFixed(2)}µs, ${x.addedPct.toFixed(2)}%)`).join('  ')}\n`);
  return [{ rounds, batch, elements: res.elements, rows }];
}

export function render([r]) {
  const lines = [
    '## Selector: cheerio resolution of a typical selector',
    '',
    `\`form#checkout button.btn-primary[type="submit"]\` on a shop page of ${r.elements.toLocaleString('en-US')} elements parsed once with cheerio 1.2:`,
    'the bare `$(css)` query versus `resolve()` over `cheerioStrategies($, { css })` with default settings (one span per',
    'resolution, attempt spans only on fallbacks) and a recording SDK pipeline. Interleaved in one process; "added" is the',
    'median over rounds of the paired difference.',
    '',
    `${r.rounds} rounds × ${r.batch} resolutions per variant.`,
    '',
    '| variant | per resolution (µs) | added (µs) [IQR] | added (% of bare) | spans exported |',
    '|---|---:|---:|---:|---:|',
  ];
  for (const x of r.rows) {
    const iqr = x.variant === 'bare' ? '' : ` [${x.addedLowUs.toFixed(2)}, ${x.addedHighUs.toFixed(2)}]`;
    lines.push(`| ${x.variant} | ${x.perCallUs.toFixed(1)} | ${x.addedUs.toFixed(2)}${iqr} | ${x.addedPct.toFixed(2)}% | ${x.spans} |`);
  }
  const dw = r.rows.find((x) => x.variant === 'driftwatch');
  const floor = r.rows.find((x) => x.variant === 'sdk-floor');
  const floorNote = floor ? ` The SDK floor alone (one span, three histogram records, by hand) adds ${floor.addedPct.toFixed(2)}% (${floor.addedUs.toFixed(1)} µs); Driftwatch adds ${(dw.addedUs - floor.addedUs).toFixed(1)} µs beyond it.` : '';
  if (dw) lines.push('', `Target (added ≤ 2% of the bare query): **${dw.addedPct <= 2 ? 'met' : 'not met'}** (${dw.addedPct.toFixed(2)}%).${floorNote}`);
  lines.push('');
  return lines.join('\n');
}
