// Small statistics helpers for benchmark workers and the runner.
export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function quantile(xs, q) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.round(q * (s.length - 1))))];
}

/**
 * Runs `variants` (name → async function doing one operation) interleaved: each round runs a
 * batch of every variant in a rotated order, so that drift in machine speed hits all of them
 * alike. Returns per-variant batch means (µs per operation, wall and this process's CPU time) and,
 * per round, the difference of each variant's batch mean to the baseline's (the first variant) — a
 * paired measurement.
 */
export async function interleave(variants, { rounds, batch, after }) {
  const names = Object.keys(variants);
  const means = Object.fromEntries(names.map((n) => [n, []]));
  const diffs = Object.fromEntries(names.map((n) => [n, []]));
  const cpu = Object.fromEntries(names.map((n) => [n, []]));
  const cpuDiffs = Object.fromEntries(names.map((n) => [n, []]));
  for (let r = 0; r < rounds; r++) {
    const order = names.map((_, i) => names[(i + r) % names.length]);
    const roundMeans = {};
    const roundCpu = {};
    for (const name of order) {
      const op = variants[name];
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      for (let i = 0; i < batch; i++) await op();
      if (after) await after(name);
      roundMeans[name] = ((performance.now() - t0) * 1000) / batch;
      const c = process.cpuUsage(c0);
      roundCpu[name] = (c.user + c.system) / batch;
      means[name].push(roundMeans[name]);
      cpu[name].push(roundCpu[name]);
    }
    for (const name of names) {
      diffs[name].push(roundMeans[name] - roundMeans[names[0]]);
      cpuDiffs[name].push(roundCpu[name] - roundCpu[names[0]]);
    }
  }
  return { means, diffs, cpu, cpuDiffs };
}
