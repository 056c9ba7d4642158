// Cost per point and state size of every detector; run with --expose-gc, prints JSON.
// Input: a 5-minute-step series with a daily cycle, lognormal noise and a spike now and then (seeded),
// fed causally, point by point, exactly as the processor and `driftwatch backtest` do.
import { DETECTOR_NAMES, createDetector } from '@driftwatch/processor';

const [pointsArg, roundsArg, instancesArg] = process.argv.slice(2);
const POINTS = Number(pointsArg);
const ROUNDS = Number(roundsArg);
const INSTANCES = Number(instancesArg);

let seed = 7;
const rnd = () => ((seed = (Math.imul(seed ^ (seed >>> 15), 1 | seed) + 0x6d2b79f5) | 0) >>> 0) / 2 ** 32;
const T0 = Date.UTC(2026, 0, 1);
const ts = new Float64Array(POINTS);
const vs = new Float64Array(POINTS);
for (let i = 0; i < POINTS; i++) {
  ts[i] = T0 + i * 300_000;
  const daily = 100 + 30 * Math.sin((2 * Math.PI * i) / 288);
  const noise = Math.exp(0.1 * Math.sqrt(-2 * Math.log(rnd() + 1e-12)) * Math.cos(2 * Math.PI * rnd()));
  vs[i] = daily * noise * (rnd() < 0.001 ? 4 : 1);
}

const settle = () => {
  for (let i = 0; i < 4; i++) globalThis.gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
};

const results = [];
for (const name of DETECTOR_NAMES) {
  // Cost: the median of rounds over the whole series, a fresh detector each round.
  const perRound = [];
  let checksum = 0;
  for (let r = 0; r < ROUNDS; r++) {
    const d = createDetector(name);
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < POINTS; i++) checksum += d.update(ts[i], vs[i]).score;
    perRound.push(Number(process.hrtime.bigint() - t0) / POINTS);
  }
  perRound.sort((a, b) => a - b);
  // State: JSON size after the whole series, and memory per live instance (each fed 4 days of points).
  const one = createDetector(name);
  for (let i = 0; i < POINTS; i++) one.update(ts[i], vs[i]);
  const jsonBytes = JSON.stringify(one.toState()).length;
  const before = settle();
  const keep = [];
  for (let k = 0; k < INSTANCES; k++) {
    const d = createDetector(name);
    for (let i = 0; i < 1152; i++) d.update(ts[i], vs[i]);
    keep.push(d);
  }
  const bytesPerInstance = (settle() - before) / INSTANCES;
  keep.length = 0;
  results.push({ name, nsPerPoint: perRound[perRound.length >> 1], p25: perRound[Math.floor(perRound.length / 4)], p75: perRound[Math.floor((3 * perRound.length) / 4)], jsonBytes, bytesPerInstance, checksum });
}
process.stdout.write(JSON.stringify({ points: POINTS, rounds: ROUNDS, instances: INSTANCES, results }) + '\n');
