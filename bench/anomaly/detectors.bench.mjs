// Streaming anomaly detectors: cost per point (target for the ensemble: ≤ 2 µs) and state size per
// detector, which is the anomaly state a series keeps per derived value in the processor.
import { runJsonWorker } from '../support/proc.mjs';
import { fileURLToPath } from 'node:url';

const TARGET_NS = 2000;

export async function run({ quick = false } = {}) {
  const points = quick ? 100_000 : 1_000_000;
  const rounds = quick ? 3 : 7;
  const instances = quick ? 200 : 1000;
  process.stderr.write(`anomaly: ${points} points × ${rounds} rounds per detector…\n`);
  // The worker needs --expose-gc: run it through a tiny launcher that re-execs node with the flag.
  return runJsonWorker(fileURLToPath(new URL('./launch.mjs', import.meta.url)), [points, rounds, instances], { cpu: 0 });
}

export function render(r) {
  const L = [];
  L.push('## Anomaly detectors: cost per point and state size', '');
  L.push(
    `Each detector in \`DETECTOR_NAMES\` scores a ${r.points.toLocaleString('en-US')}-point series (5-minute steps, a daily cycle, lognormal noise, a spike now and then)`,
    `point by point, causally (score, then learn), in a worker pinned to one core; a fresh detector per round, ${r.rounds} rounds, median [IQR].`,
    `State: the JSON of \`toState()\` after the whole series (what a processor state snapshot stores per series and derived value), and the`,
    `heap + external memory per live detector (${r.instances.toLocaleString('en-US')} detectors, each fed four days of points, after full GCs).`,
    '',
    '| detector | ns per point [IQR] | points/s (one core) | state JSON (bytes) | memory per detector (bytes) |',
    '|---|---:|---:|---:|---:|',
  );
  for (const d of r.results) {
    L.push(`| ${d.name} | ${d.nsPerPoint.toFixed(0)} [${d.p25.toFixed(0)}, ${d.p75.toFixed(0)}] | ${Math.round(1e9 / d.nsPerPoint).toLocaleString('en-US')} | ${d.jsonBytes.toLocaleString('en-US')} | ${Math.round(d.bytesPerInstance).toLocaleString('en-US')} |`);
  }
  const ens = r.results.find((d) => d.name === 'ensemble');
  if (ens) L.push('', `Target (ensemble ≤ 2 µs per point): **${ens.nsPerPoint <= TARGET_NS ? 'PASS' : 'FAIL'}** (${(ens.nsPerPoint / 1000).toFixed(2)} µs).`);
  L.push(
    '',
    'In the processor each series keeps one detector per derived value it has (up to five for an LLM series), plus a 32-point history of each;',
    'the processor defaults to `holt` for that reason (the memory per series is in the processor section above), `driftwatch backtest` to the ensemble.',
    '',
  );
  return L.join('\n');
}
