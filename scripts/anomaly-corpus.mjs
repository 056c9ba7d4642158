// Generates the labelled anomaly corpus under test/fixtures/anomaly/ (NAB layout): one CSV per series
// (`timestamp,value`, 5-minute steps, `YYYY-MM-DD HH:MM:SS`), `labels.json` in NAB's
// combined_windows.json format built from the injected anomaly points with NAB's window rule, and
// `manifest.json` describing every series and anomaly. Deterministic: the same seed gives
// byte-identical files (own PRNG, no Math.random, every number printed with 6 significant digits).
//
//   node scripts/anomaly-corpus.mjs [--seed N] [--out DIR]
import { mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const DEFAULT_SEED = 20_240_501;
const STEP_MS = 5 * 60_000;
const DAY = 288; // rows per day at 5-minute steps
const WEEK = 7 * DAY;
const WINDOW_SIZE = 0.1;
const PROBATION_PERCENT = 0.15;

// ---------------------------------------------------------------- PRNG and distributions

/** mulberry32: a small 32-bit PRNG with a good enough spread for synthetic series. */
function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** FNV-1a of a string, so each series has its own stream whatever the order or number of series. */
function fnv1a(s) {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

class Rng {
  constructor(seed) {
    this.next = mulberry32(seed);
  }
  uniform(a = 0, b = 1) {
    return a + (b - a) * this.next();
  }
  int(a, b) {
    return a + Math.floor(this.next() * (b - a + 1));
  }
  normal(mu = 0, sd = 1) {
    // Box-Muller, one value per call (no cached second value, so streams stay easy to reason about).
    let u = this.next();
    while (u <= 1e-12) u = this.next();
    const v = this.next();
    return mu + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
  lognormal(median, sigma) {
    return median * Math.exp(sigma * this.normal());
  }
  laplace(sd) {
    const u = this.next() - 0.5;
    const b = sd / Math.SQRT2;
    return -b * Math.sign(u) * Math.log(1 - 2 * Math.abs(u) + 1e-300);
  }
  poisson(lambda) {
    if (lambda > 40) return Math.max(0, Math.round(this.normal(lambda, Math.sqrt(lambda))));
    const l = Math.exp(-lambda);
    let k = 0;
    let p = 1;
    do {
      k++;
      p *= this.next();
    } while (p > l);
    return k - 1;
  }
  binomial(n, p) {
    if (n * p > 30 && n * (1 - p) > 30) return Math.max(0, Math.min(n, Math.round(this.normal(n * p, Math.sqrt(n * p * (1 - p))))));
    if (n <= 200) {
      let k = 0;
      for (let i = 0; i < n; i++) if (this.next() < p) k++;
      return k;
    }
    return Math.min(n, this.poisson(n * p));
  }
  pick(list) {
    return list[Math.floor(this.next() * list.length)];
  }
}

// ---------------------------------------------------------------- NAB window rule

export function probationaryLength(n) {
  return Math.min(Math.floor(PROBATION_PERCENT * n), PROBATION_PERCENT * 5000);
}

/** NAB's rule (labeler.py): int(0.10·n/k) rows centred on each anomaly, probation drops, overlaps merge. */
export function windowsFor(n, anomalies) {
  const sorted = [...anomalies].sort((a, b) => a - b);
  if (sorted.length === 0) return [];
  const half = Math.floor(Math.trunc((WINDOW_SIZE * n) / sorted.length) / 2);
  const probation = probationaryLength(n);
  const out = [];
  for (const a of sorted) {
    const start = Math.max(a - half, 0);
    const end = Math.min(a + half, n - 1);
    if (start < probation) continue;
    const last = out[out.length - 1];
    if (last && start <= last[1]) last[1] = Math.max(last[1], end);
    else out.push([start, end]);
  }
  return out;
}

/**
 * k anomaly positions after the probation, one per equal stratum of `[from, to]` (shares of the
 * scorable span), each far enough from its stratum's edges that the k windows neither overlap nor leave
 * the file, and with `tail` rows after it for the anomaly to play out. `align` moves a position (e.g.
 * to a time of day); aligned positions are redrawn until the windows still fit.
 */
function placeAnomalies(rng, n, k, { from = 0, to = 1, tail = 0, align } = {}) {
  const half = Math.floor(Math.trunc((WINDOW_SIZE * n) / k) / 2);
  const probation = probationaryLength(n);
  const lo = probation + half + 12;
  const hi = n - 1 - Math.max(half, tail) - 12;
  if (hi <= lo) throw new Error(`no room for ${k} anomalies in ${n} rows`);
  const base = lo + (hi - lo) * from;
  const seg = ((hi - lo) * (to - from)) / k;
  for (let attempt = 0; attempt < 500; attempt++) {
    const out = [];
    for (let j = 0; j < k; j++) {
      const a = Math.ceil(base + j * seg + (k > 1 ? half + 1 : 0));
      const b = Math.floor(base + (j + 1) * seg - (k > 1 ? half + 1 : 0));
      const p = rng.int(a, Math.max(a, b));
      out.push(align ? align(p) : p);
    }
    out.sort((x, y) => x - y);
    const fits = out.every((p) => p - half >= probation && p + Math.max(half, tail) < n);
    if (fits && windowsFor(n, out).length === k) return out;
  }
  throw new Error(`could not place ${k} aligned anomalies in ${n} rows`);
}

/** An aligner to the next row at `hour` (0–24) of a day, `jitter` rows later at most. */
const atHour = (rng, hour, jitter = 0) => (p) => {
  const target = Math.round(hour * 12);
  const r = p % DAY;
  return p - r + target + (r > target ? DAY : 0) + (jitter ? rng.int(0, jitter) : 0);
};

// ---------------------------------------------------------------- building blocks

const zeros = (n) => new Float64Array(n);
const hourOf = (i, startHour) => ((i / 12 + startHour) % 24 + 24) % 24;
/** Smooth day shape: low at night, peak mid-afternoon, in [0, 1]. */
function dayShape(hour) {
  const x = Math.cos(((hour - 15) / 24) * 2 * Math.PI);
  return Math.pow((x + 1) / 2, 1.6);
}
function ar1(rng, n, phi, sd) {
  const out = zeros(n);
  let x = 0;
  const innov = sd * Math.sqrt(1 - phi * phi);
  for (let i = 0; i < n; i++) {
    x = phi * x + rng.normal(0, innov);
    out[i] = x;
  }
  return out;
}
function rows(rng, lo = 2000, hi = 6000) {
  return rng.int(lo, hi);
}

// ---------------------------------------------------------------- the series

// Each builder returns { values, anomalies: [{ at, kind, detail }], description, scale }.
// `startHour` is the hour of day of row 0 (series start at 00:00 of their start day).
const SERIES = [
  // ---- spikes
  {
    category: 'spikes', name: 'cpu_utilisation_spikes',
    build(rng) {
      const n = rows(rng);
      const noise = ar1(rng, n, 0.6, 2.5);
      const v = Array.from(noise, (e) => 35 + e);
      const at = placeAnomalies(rng, n, 3);
      const anomalies = at.map((a) => {
        const h = rng.uniform(30, 50);
        const len = rng.int(1, 3);
        for (let j = 0; j < len; j++) v[a + j] += h * (1 - j * 0.25);
        return { at: a, kind: 'spike', detail: `+${h.toFixed(1)} pts for ${len} rows` };
      });
      return { values: v.map((x) => Math.min(100, Math.max(0, x))), anomalies, description: 'CPU %, AR(1) noise around 35, three short spikes', scale: 35 };
    },
  },
  {
    category: 'spikes', name: 'gc_pause_ms_spikes',
    build(rng) {
      const n = rows(rng);
      const v = Array.from({ length: n }, () => rng.lognormal(18, 0.25));
      const at = placeAnomalies(rng, n, 2);
      const anomalies = at.map((a) => {
        const f = rng.uniform(6, 10);
        v[a] *= f;
        return { at: a, kind: 'spike', detail: `×${f.toFixed(1)} single row` };
      });
      return { values: v, anomalies, description: 'GC pause (ms), log-normal noise, two single-row spikes', scale: 18 };
    },
  },
  {
    category: 'spikes', name: 'queue_wait_seconds_spikes',
    build(rng) {
      const n = rows(rng);
      const v = Array.from({ length: n }, () => Math.max(1e-4, rng.normal(0.002, 0.0003)));
      const at = placeAnomalies(rng, n, 3);
      const anomalies = at.map((a) => {
        const h = rng.uniform(0.004, 0.008);
        v[a] += h;
        v[a + 1] += h / 2;
        return { at: a, kind: 'spike', detail: `+${(h * 1000).toFixed(2)} ms over 2 rows` };
      });
      return { values: v, anomalies, description: 'queue wait (s) at the 1e-3 scale, three spikes', scale: 0.002 };
    },
  },
  {
    category: 'spikes', name: 'bytes_out_spikes_large_scale',
    build(rng) {
      const n = rows(rng);
      const e = ar1(rng, n, 0.8, 2e4);
      const v = Array.from(e, (x) => 5e5 + x);
      const at = placeAnomalies(rng, n, 2);
      const anomalies = at.map((a) => {
        const h = rng.uniform(1.2e5, 2e5);
        v[a] += h;
        return { at: a, kind: 'spike', detail: `+${Math.round(h)} single row` };
      });
      return { values: v, anomalies, description: 'bytes out per 5 min at the 1e5–1e6 scale, AR(1), two spikes', scale: 5e5 };
    },
  },
  {
    category: 'spikes', name: 'small_spike_in_noise',
    build(rng) {
      const n = rows(rng);
      const v = Array.from({ length: n }, () => rng.normal(100, 5));
      const at = placeAnomalies(rng, n, 1);
      v[at[0]] += 30; // 6 σ: above the seen range, though only just
      return { values: v, anomalies: [{ at: at[0], kind: 'spike', detail: '+6σ single row' }], description: 'Gaussian noise with one 6σ spike (a hard case)', scale: 100 };
    },
  },

  // ---- dips
  {
    category: 'dips', name: 'throughput_dips',
    build(rng) {
      const n = rows(rng);
      const v = Array.from({ length: n }, () => rng.normal(1200, 40));
      const at = placeAnomalies(rng, n, 3);
      const anomalies = at.map((a) => {
        const f = rng.uniform(0.3, 0.55);
        const len = rng.int(1, 3);
        for (let j = 0; j < len; j++) v[a + j] *= f;
        return { at: a, kind: 'dip', detail: `×${f.toFixed(2)} for ${len} rows` };
      });
      return { values: v, anomalies, description: 'throughput, Gaussian noise, three short dips', scale: 1200 };
    },
  },
  {
    category: 'dips', name: 'cache_hit_ratio_dips',
    build(rng) {
      const n = rows(rng);
      const v = Array.from({ length: n }, () => Math.min(1, rng.normal(0.92, 0.01)));
      const at = placeAnomalies(rng, n, 2);
      const anomalies = at.map((a) => {
        const d = rng.uniform(0.55, 0.7);
        v[a] = d;
        v[a + 1] = (d + 0.92) / 2;
        return { at: a, kind: 'dip', detail: `to ${d.toFixed(2)}, recovering over 2 rows` };
      });
      return { values: v, anomalies, description: 'cache hit ratio near 0.92, two dips', scale: 0.92 };
    },
  },
  {
    category: 'dips', name: 'egress_bytes_dips_large_scale',
    build(rng) {
      const n = rows(rng);
      const e = ar1(rng, n, 0.5, 3e4);
      const v = Array.from(e, (x) => 8e5 + x);
      const at = placeAnomalies(rng, n, 2);
      const anomalies = at.map((a) => {
        const d = rng.uniform(1.5e5, 3e5);
        v[a] = d;
        return { at: a, kind: 'dip', detail: `to ${Math.round(d)} single row` };
      });
      return { values: v, anomalies, description: 'egress bytes at the 1e6 scale, two single-row dips', scale: 8e5 };
    },
  },
  {
    category: 'dips', name: 'seasonal_dip',
    build(rng) {
      const n = rows(rng, 3000, 6000);
      const v = Array.from({ length: n }, (_, i) => 200 + 150 * dayShape(hourOf(i, 0)) + rng.normal(0, 6));
      // Dips at peak hours: still above the night level, so inside the seen range.
      const at = placeAnomalies(rng, n, 2, { align: atHour(rng, 14, 24) });
      const anomalies = at.map((a) => {
        for (let j = 0; j < 3; j++) v[a + j] -= 120;
        return { at: a, kind: 'dip', detail: '−120 at the daily peak for 3 rows (within the seen range)' };
      });
      return { values: v, anomalies, description: 'daily seasonal series with dips at peak time that stay inside the seen range', scale: 300 };
    },
  },

  // ---- level shifts
  {
    category: 'level_shift', name: 'latency_level_up',
    build(rng) {
      const n = rows(rng);
      const v = Array.from({ length: n }, () => rng.normal(120, 8));
      const [a] = placeAnomalies(rng, n, 1);
      for (let i = a; i < n; i++) v[i] += 45;
      return { values: v, anomalies: [{ at: a, kind: 'level_shift', detail: '+45 (≈5.6σ) sustained' }], description: 'latency (ms) shifts up and stays', scale: 120 };
    },
  },
  {
    category: 'level_shift', name: 'request_rate_level_down',
    build(rng) {
      const n = rows(rng);
      const v = Array.from({ length: n }, () => rng.poisson(500));
      const [a] = placeAnomalies(rng, n, 1);
      for (let i = a; i < n; i++) v[i] = rng.poisson(350);
      return { values: v, anomalies: [{ at: a, kind: 'level_shift', detail: '500 → 350 (Poisson) sustained' }], description: 'requests per 5 min (integers), shifts down and stays', scale: 500 };
    },
  },
  {
    category: 'level_shift', name: 'shift_up_then_back',
    build(rng) {
      const n = rows(rng, 4000, 6000);
      const e = ar1(rng, n, 0.7, 0.04);
      const v = Array.from(e, (x) => 1 + x);
      const [a, b] = placeAnomalies(rng, n, 2);
      for (let i = a; i < b; i++) v[i] += 0.3;
      return {
        values: v,
        anomalies: [
          { at: a, kind: 'level_shift', detail: '+0.3 (≈7σ)' },
          { at: b, kind: 'level_shift', detail: 'back to the old level' },
        ],
        description: 'ratio-like series shifts up, later back down (the return stays inside the seen range)',
        scale: 1,
      };
    },
  },
  {
    category: 'level_shift', name: 'small_shift_heavy_noise',
    build(rng) {
      const n = rows(rng);
      const v = Array.from({ length: n }, () => 50 + rng.laplace(6));
      const [a] = placeAnomalies(rng, n, 1);
      for (let i = a; i < n; i++) v[i] += 12;
      return { values: v, anomalies: [{ at: a, kind: 'level_shift', detail: '+2σ mean shift in Laplace noise (inside the range)' }], description: 'heavy-tailed noise with a 2σ mean shift: needs a change detector, not a range', scale: 50 };
    },
  },
  {
    category: 'level_shift', name: 'cost_per_request_step',
    build(rng) {
      const n = rows(rng);
      const v = Array.from({ length: n }, () => rng.lognormal(0.0021, 0.05));
      const [a] = placeAnomalies(rng, n, 1);
      for (let i = a; i < n; i++) v[i] *= 1.6;
      return { values: v, anomalies: [{ at: a, kind: 'level_shift', detail: '×1.6 sustained (model price change)' }], description: 'USD per request at the 1e-3 scale steps up by 60 %', scale: 0.002 };
    },
  },

  // ---- variance changes
  {
    category: 'variance_change', name: 'variance_up',
    build(rng) {
      const n = rows(rng);
      const [a] = placeAnomalies(rng, n, 1);
      const v = Array.from({ length: n }, (_, i) => rng.normal(60, i >= a ? 12 : 3));
      return { values: v, anomalies: [{ at: a, kind: 'variance_change', detail: 'σ 3 → 12' }], description: 'Gaussian noise whose σ quadruples', scale: 60 };
    },
  },
  {
    category: 'variance_change', name: 'variance_up_heavy_tail',
    build(rng) {
      const n = rows(rng);
      const [a] = placeAnomalies(rng, n, 1);
      const v = Array.from({ length: n }, (_, i) => 200 + rng.laplace(i >= a ? 30 : 10));
      return { values: v, anomalies: [{ at: a, kind: 'variance_change', detail: 'Laplace σ 10 → 30' }], description: 'Laplace noise whose σ triples', scale: 200 };
    },
  },
  {
    category: 'variance_change', name: 'variance_collapse',
    build(rng) {
      const n = rows(rng);
      const [a] = placeAnomalies(rng, n, 1);
      const v = Array.from({ length: n }, (_, i) => rng.normal(40, i >= a ? 0.2 : 4));
      return { values: v, anomalies: [{ at: a, kind: 'variance_change', detail: 'σ 4 → 0.2 (sensor nearly stuck)' }], description: 'noise suddenly collapses to almost nothing (inside the range)', scale: 40 };
    },
  },
  {
    category: 'variance_change', name: 'jitter_small_scale',
    build(rng) {
      const n = rows(rng);
      const [a, b] = placeAnomalies(rng, n, 2);
      const v = Array.from({ length: n }, (_, i) => Math.max(0, rng.normal(0.004, (i >= a && i < a + 150) || (i >= b && i < b + 150) ? 0.0015 : 0.0003)));
      return {
        values: v,
        anomalies: [
          { at: a, kind: 'variance_change', detail: 'σ ×5 for 150 rows' },
          { at: b, kind: 'variance_change', detail: 'σ ×5 for 150 rows' },
        ],
        description: 'network jitter (s) at the 1e-3 scale with two bursts of high variance',
        scale: 0.004,
      };
    },
  },

  // ---- trend changes
  {
    category: 'trend_change', name: 'memory_leak_ramp',
    build(rng) {
      const n = rows(rng);
      const [a] = placeAnomalies(rng, n, 1);
      const slope = rng.uniform(0.05, 0.08);
      const v = Array.from({ length: n }, (_, i) => 512 + rng.normal(0, 4) + (i >= a ? slope * (i - a) : 0));
      return { values: v, anomalies: [{ at: a, kind: 'trend_change', detail: `flat → +${slope.toFixed(3)} MB per row` }], description: 'memory (MB) flat, then a leak starts (slow ramp)', scale: 512 };
    },
  },
  {
    category: 'trend_change', name: 'growth_reverses',
    build(rng) {
      const n = rows(rng, 4000, 6000);
      const [a] = placeAnomalies(rng, n, 1);
      let level = 1000;
      const v = new Array(n);
      for (let i = 0; i < n; i++) {
        level += i < a ? 0.05 : -0.6;
        v[i] = level + rng.normal(0, 10);
      }
      return { values: v, anomalies: [{ at: a, kind: 'trend_change', detail: 'slope +0.05 → −0.6 per row' }], description: 'slowly growing series whose trend reverses sharply', scale: 1000 };
    },
  },
  {
    category: 'trend_change', name: 'disk_fill_accelerates',
    build(rng) {
      const n = rows(rng);
      const [a] = placeAnomalies(rng, n, 1);
      let used = 4e5;
      const v = new Array(n);
      for (let i = 0; i < n; i++) {
        used += i < a ? 20 : 400;
        v[i] = used + rng.normal(0, 300);
      }
      return { values: v, anomalies: [{ at: a, kind: 'trend_change', detail: 'fill rate ×20' }], description: 'disk used (MB, 1e5–1e6 scale) grows steadily, then twenty times faster', scale: 4e5 };
    },
  },
  {
    category: 'trend_change', name: 'slow_drift_down',
    build(rng) {
      const n = rows(rng);
      const [a] = placeAnomalies(rng, n, 1);
      const v = Array.from({ length: n }, (_, i) => 0.93 + rng.normal(0, 0.01) - (i >= a ? 0.00012 * (i - a) : 0));
      return { values: v, anomalies: [{ at: a, kind: 'trend_change', detail: '−0.00012 per row (≈ −1σ per 7 h)' }], description: 'a confidence-like score starts drifting down slowly', scale: 0.93 };
    },
  },

  // ---- seasonal (daily)
  {
    category: 'seasonal_daily', name: 'daily_missing_peak',
    build(rng) {
      const n = rows(rng, 4000, 6000);
      const v = Array.from({ length: n }, (_, i) => 50 + 400 * dayShape(hourOf(i, 0)) + rng.normal(0, 10));
      const [a] = placeAnomalies(rng, n, 1, { align: atHour(rng, 6), tail: 15 * 12 }); // from 06:00, when the rise should start
      for (let i = a; i < Math.min(n, a + 15 * 12); i++) v[i] = 50 + 400 * dayShape(3) + rng.normal(0, 10);
      return { values: v, anomalies: [{ at: a, kind: 'broken_season', detail: 'no daytime peak for one day (stays at night level)' }], description: 'daily seasonal traffic; one day the peak never comes', scale: 250 };
    },
  },
  {
    category: 'seasonal_daily', name: 'daily_phase_shift',
    build(rng) {
      const n = rows(rng, 4000, 6000);
      const [a] = placeAnomalies(rng, n, 1, { align: atHour(rng, 0) });
      const v = Array.from({ length: n }, (_, i) => 100 + 80 * dayShape(hourOf(i, i >= a ? 8 : 0)) + rng.normal(0, 4));
      return { values: v, anomalies: [{ at: a, kind: 'broken_season', detail: 'pattern shifts by 8 hours from midnight on' }], description: 'daily pattern that suddenly shifts phase by 8 hours', scale: 140 };
    },
  },
  {
    category: 'seasonal_daily', name: 'daily_amplitude_doubles',
    build(rng) {
      const n = rows(rng, 3000, 6000);
      const [a] = placeAnomalies(rng, n, 1, { align: atHour(rng, 8), tail: 12 * 12 });
      const v = Array.from({ length: n }, (_, i) => 20 + (i >= a && i < a + 12 * 12 ? 2 : 1) * 30 * dayShape(hourOf(i, 0)) + rng.normal(0, 1.5));
      return { values: v, anomalies: [{ at: a, kind: 'broken_season', detail: 'amplitude ×2 for 12 hours' }], description: 'daily pattern whose amplitude doubles for half a day', scale: 35 };
    },
  },
  {
    category: 'seasonal_daily', name: 'daily_night_spike',
    build(rng) {
      const n = rows(rng, 3000, 6000);
      const v = Array.from({ length: n }, (_, i) => 10 + 90 * dayShape(hourOf(i, 0)) + rng.normal(0, 3));
      const at = placeAnomalies(rng, n, 2, { align: atHour(rng, 2, 24) });
      const anomalies = at.map((a) => {
        for (let j = 0; j < 4; j++) v[a + j] += 70;
        return { at: a, kind: 'contextual_spike', detail: '+70 at night (normal at noon) for 4 rows' };
      });
      return { values: v, anomalies, description: 'daily pattern with night-time bursts that would be normal by day', scale: 55 };
    },
  },

  // ---- seasonal (weekly)
  {
    category: 'seasonal_weekly', name: 'weekly_busy_weekend',
    build(rng) {
      const n = 8000;
      // Row 0 is a Monday. Weekends carry 35 % of the weekday traffic.
      const weekday = (i) => Math.floor(i / DAY) % 7;
      const base = (i) => (weekday(i) >= 5 ? 0.35 : 1) * (300 + 1200 * dayShape(hourOf(i, 0)));
      const v = Array.from({ length: n }, (_, i) => rng.poisson(base(i)));
      // The third weekend's Saturday behaves like a weekday.
      const a = 2 * WEEK + 5 * DAY + 7 * 12;
      for (let i = a; i < a + 14 * 12; i++) v[i] = rng.poisson(300 + 1200 * dayShape(hourOf(i, 0)));
      return { values: v, anomalies: [{ at: a, kind: 'broken_season', detail: 'a Saturday with weekday traffic (07:00–21:00)' }], description: 'weekly × daily request counts; one Saturday is as busy as a weekday', scale: 800 };
    },
  },
  {
    category: 'seasonal_weekly', name: 'weekly_quiet_weekday',
    build(rng) {
      const n = 8000;
      const weekday = (i) => Math.floor(i / DAY) % 7;
      const v = Array.from({ length: n }, (_, i) => (weekday(i) >= 5 ? 0.3 : 1) * (40 + 60 * dayShape(hourOf(i, 0))) + rng.normal(0, 3));
      // The third week's Tuesday looks like a Sunday.
      const a = 2 * WEEK + 1 * DAY + 6 * 12;
      for (let i = a; i < a + 16 * 12; i++) v[i] = 0.3 * (40 + 60 * dayShape(hourOf(i, 0))) + rng.normal(0, 3);
      return { values: v, anomalies: [{ at: a, kind: 'broken_season', detail: 'a Tuesday at weekend level (06:00–22:00)' }], description: 'weekly pattern; one weekday is as quiet as a weekend', scale: 60 };
    },
  },
  {
    category: 'seasonal_weekly', name: 'weekly_sustained_drop',
    build(rng) {
      const n = 8000;
      const weekday = (i) => Math.floor(i / DAY) % 7;
      const [a] = placeAnomalies(rng, n, 1, { from: 0.4, to: 0.8, align: atHour(rng, 9) });
      const v = Array.from({ length: n }, (_, i) => (i >= a ? 0.6 : 1) * (weekday(i) >= 5 ? 0.5 : 1) * (5e4 + 2.5e5 * dayShape(hourOf(i, 0))) * Math.exp(rng.normal(0, 0.04)));
      return { values: v, anomalies: [{ at: a, kind: 'level_shift', detail: '×0.6 from a weekday morning on (partial outage)' }], description: 'weekly × daily volume at the 1e5 scale with a sustained 40 % drop', scale: 1.5e5 };
    },
  },

  // ---- dropouts
  {
    category: 'dropout', name: 'traffic_drops_to_zero',
    build(rng) {
      const n = rows(rng);
      const v = Array.from({ length: n }, () => rng.poisson(240));
      const at = placeAnomalies(rng, n, 2, { tail: 24 });
      const anomalies = at.map((a) => {
        const len = rng.int(6, 24);
        for (let j = 0; j < len; j++) v[a + j] = 0;
        return { at: a, kind: 'dropout', detail: `0 for ${len} rows` };
      });
      return { values: v, anomalies, description: 'request counts that go to zero twice (outages)', scale: 240 };
    },
  },
  {
    category: 'dropout', name: 'metric_flatlines',
    build(rng) {
      const n = rows(rng);
      const e = ar1(rng, n, 0.9, 5);
      const v = Array.from(e, (x) => 70 + x);
      const [a] = placeAnomalies(rng, n, 1, { tail: 144 });
      const len = rng.int(72, 144);
      for (let j = 1; j < len; j++) v[a + j] = v[a];
      return { values: v, anomalies: [{ at: a, kind: 'dropout', detail: `stuck at the last value for ${len} rows` }], description: 'a wandering metric freezes at its last value for 6–12 hours (inside the range)', scale: 70 };
    },
  },
  {
    category: 'dropout', name: 'intermittent_zero_reports',
    build(rng) {
      const n = rows(rng);
      const v = Array.from({ length: n }, () => rng.normal(0.35, 0.03));
      const [a] = placeAnomalies(rng, n, 1);
      for (let j = 0; j < 60; j++) if (rng.next() < 0.5) v[a + j] = 0;
      v[a] = 0;
      return { values: v, anomalies: [{ at: a, kind: 'dropout', detail: 'every other report is 0 for 60 rows' }], description: 'a reporter that intermittently sends 0', scale: 0.35 };
    },
  },
  {
    category: 'dropout', name: 'seasonal_goes_dark',
    build(rng) {
      const n = rows(rng, 4000, 6000);
      const v = Array.from({ length: n }, (_, i) => 5 + 60 * dayShape(hourOf(i, 0)) + rng.normal(0, 2));
      const [a] = placeAnomalies(rng, n, 1, { align: atHour(rng, 13), tail: 12 });
      for (let j = 0; j < 12; j++) v[a + j] = 0;
      return { values: v, anomalies: [{ at: a, kind: 'dropout', detail: '0 for 1 hour at the daily peak' }], description: 'daily seasonal traffic goes dark for an hour at its peak', scale: 35 };
    },
  },

  // ---- flat / quantised
  {
    category: 'flat_quantised', name: 'replica_count_drop',
    build(rng) {
      const n = rows(rng);
      const v = new Array(n).fill(3);
      // Legitimate autoscaling to 4 replicas for a few hours now and then.
      for (let s = 200; s < n; s += rng.int(500, 900)) for (let j = 0; j < rng.int(24, 60) && s + j < n; j++) v[s + j] = 4;
      const [a] = placeAnomalies(rng, n, 1, { tail: 36 });
      for (let j = 0; j < 36; j++) v[a + j] = 1;
      return { values: v, anomalies: [{ at: a, kind: 'level_shift', detail: 'replicas 3 → 1 for 36 rows' }], description: 'integer replica count with long constant runs (3, sometimes 4) that drops to 1', scale: 3 };
    },
  },
  {
    category: 'flat_quantised', name: 'queue_depth_backlog',
    build(rng) {
      const n = rows(rng);
      const v = Array.from({ length: n }, () => rng.poisson(1.2));
      const [a] = placeAnomalies(rng, n, 1);
      for (let j = 0; j < 48; j++) v[a + j] = rng.poisson(8 + j * 0.5);
      return { values: v, anomalies: [{ at: a, kind: 'level_shift', detail: 'backlog: Poisson(1.2) → Poisson(8…32) for 48 rows' }], description: 'small integer queue depth with a growing backlog', scale: 1.2 };
    },
  },
  {
    category: 'flat_quantised', name: 'health_check_down',
    build(rng) {
      const n = rows(rng);
      const v = new Array(n).fill(1);
      const [a, b] = placeAnomalies(rng, n, 2);
      for (let j = 0; j < rng.int(3, 10); j++) v[a + j] = 0;
      for (let j = 0; j < rng.int(3, 10); j++) v[b + j] = 0;
      return {
        values: v,
        anomalies: [
          { at: a, kind: 'dropout', detail: 'up (1) → down (0)' },
          { at: b, kind: 'dropout', detail: 'up (1) → down (0) again: inside the seen range now' },
        ],
        description: 'binary health check, constant 1, goes to 0 twice',
        scale: 1,
      };
    },
  },
  {
    category: 'flat_quantised', name: 'error_count_burst',
    build(rng) {
      const n = rows(rng);
      const v = Array.from({ length: n }, () => rng.poisson(0.3));
      const at = placeAnomalies(rng, n, 2);
      const anomalies = at.map((a) => {
        for (let j = 0; j < 6; j++) v[a + j] = rng.int(5, 12);
        return { at: a, kind: 'burst', detail: '5–12 errors per row for 6 rows' };
      });
      return { values: v, anomalies, description: 'sparse integer error counts (mostly 0) with two bursts', scale: 0.3 };
    },
  },
  {
    category: 'flat_quantised', name: 'quantised_temperature_step',
    build(rng) {
      const n = rows(rng);
      const e = ar1(rng, n, 0.98, 0.6);
      const [a] = placeAnomalies(rng, n, 1);
      const v = Array.from(e, (x, i) => Math.round((55 + x + (i >= a ? 4 : 0)) * 2) / 2);
      return { values: v, anomalies: [{ at: a, kind: 'level_shift', detail: '+4 °C step, 0.5 °C quantisation' }], description: 'temperature sensor quantised to 0.5 °C with a step up', scale: 55 };
    },
  },

  // ---- no anomaly
  {
    category: 'no_anomaly', name: 'white_noise',
    build(rng) {
      const n = rows(rng);
      return { values: Array.from({ length: n }, () => rng.normal(10, 1)), anomalies: [], description: 'Gaussian white noise', scale: 10 };
    },
  },
  {
    category: 'no_anomaly', name: 'ar1_wander',
    build(rng) {
      const n = rows(rng);
      const e = ar1(rng, n, 0.995, 20);
      return { values: Array.from(e, (x) => 300 + x), anomalies: [], description: 'strongly autocorrelated AR(1) that wanders (φ = 0.995)', scale: 300 };
    },
  },
  {
    category: 'no_anomaly', name: 'heavy_tail_latency',
    build(rng) {
      const n = rows(rng);
      return { values: Array.from({ length: n }, () => rng.lognormal(0.08, 0.6)), anomalies: [], description: 'log-normal latency (s) whose tail is normal behaviour', scale: 0.08 };
    },
  },
  {
    category: 'no_anomaly', name: 'daily_seasonal_clean',
    build(rng) {
      const n = rows(rng, 4000, 6000);
      return { values: Array.from({ length: n }, (_, i) => 1e4 + 4e4 * dayShape(hourOf(i, 0)) + rng.normal(0, 800)), anomalies: [], description: 'daily seasonal volume at the 1e4 scale, no anomaly', scale: 3e4 };
    },
  },
  {
    category: 'no_anomaly', name: 'poisson_counts',
    build(rng) {
      const n = rows(rng);
      return { values: Array.from({ length: n }, () => rng.poisson(3)), anomalies: [], description: 'small Poisson counts', scale: 3 };
    },
  },
  {
    category: 'no_anomaly', name: 'sawtooth_batch_jobs',
    build(rng) {
      const n = rows(rng);
      // A batch job every 6 hours: a 30-minute plateau (normal, periodic).
      return { values: Array.from({ length: n }, (_, i) => (i % 72 < 6 ? 80 : 20) + rng.normal(0, 2)), anomalies: [], description: 'periodic batch plateaus every 6 hours, no anomaly', scale: 30 };
    },
  },

  // ---- realistic metric shapes
  {
    category: 'realistic', name: 'latency_p99_ms',
    build(rng) {
      const n = rows(rng, 4000, 6000);
      const v = Array.from({ length: n }, (_, i) => rng.lognormal(220 + 80 * dayShape(hourOf(i, 0)), 0.18) + (rng.next() < 0.01 ? rng.uniform(100, 300) : 0));
      const [a, b] = placeAnomalies(rng, n, 2);
      for (let j = 0; j < 24; j++) v[a + j] *= 2.5;
      for (let i = b; i < n; i++) v[i] *= 1.5;
      return {
        values: v,
        anomalies: [
          { at: a, kind: 'burst', detail: 'p99 ×2.5 for 2 hours (dependency slowdown)' },
          { at: b, kind: 'level_shift', detail: 'p99 ×1.5 sustained (regression after a deploy)' },
        ],
        description: 'p99 latency (ms): log-normal with a daily swing and normal tail outliers',
        scale: 260,
      };
    },
  },
  {
    category: 'realistic', name: 'error_ratio',
    build(rng) {
      const n = rows(rng);
      const [a] = placeAnomalies(rng, n, 1);
      const v = Array.from({ length: n }, (_, i) => {
        const req = Math.max(1, rng.poisson(400 + 1600 * dayShape(hourOf(i, 0))));
        const p = i >= a && i < a + 6 ? 0.05 : 0.002;
        return rng.binomial(req, p) / req;
      });
      return { values: v, anomalies: [{ at: a, kind: 'burst', detail: 'error ratio 0.2 % → 5 % for 30 minutes' }], description: 'errors / requests with daily traffic (noisier at night)', scale: 0.002 };
    },
  },
  {
    category: 'realistic', name: 'request_rate_daily',
    build(rng) {
      const n = rows(rng, 5000, 6000);
      const v = Array.from({ length: n }, (_, i) => rng.poisson(2000 + 18000 * dayShape(hourOf(i, 0))));
      const [a] = placeAnomalies(rng, n, 1, { align: atHour(rng, 14), tail: 18 });
      for (let j = 0; j < 18; j++) v[a + j] = Math.round(v[a + j] * 0.5);
      return { values: v, anomalies: [{ at: a, kind: 'dip', detail: '−50 % at the daily peak for 90 minutes (inside the range)' }], description: 'requests per 5 min with daily seasonality (1e4 scale)', scale: 1e4 };
    },
  },
  {
    category: 'realistic', name: 'llm_cost_usd',
    build(rng) {
      const n = rows(rng);
      const [a] = placeAnomalies(rng, n, 1);
      const v = Array.from({ length: n }, (_, i) => {
        const batch = Math.abs(hourOf(i, 0) - 2) < 0.5 ? 1.2 : 0; // nightly batch job, normal
        const base = 0.15 + 0.6 * dayShape(hourOf(i, 0)) + batch;
        return base * Math.exp(rng.normal(0, 0.15)) * (i >= a && i < a + 36 ? 6 : 1);
      });
      return { values: v, anomalies: [{ at: a, kind: 'burst', detail: 'runaway agent loop: cost ×6 for 3 hours' }], description: 'LLM spend (USD per 5 min) with a nightly batch spike that is normal', scale: 0.5 };
    },
  },
  {
    category: 'realistic', name: 'token_usage',
    build(rng) {
      const n = rows(rng);
      const [a] = placeAnomalies(rng, n, 1);
      const v = Array.from({ length: n }, (_, i) => Math.round((2e5 + 8e5 * dayShape(hourOf(i, 0))) * Math.exp(rng.normal(0, 0.08)) * (i >= a ? 1.6 : 1)));
      return { values: v, anomalies: [{ at: a, kind: 'level_shift', detail: 'tokens ×1.6 sustained (prompt-size regression)' }], description: 'input tokens per 5 min (1e5–1e6 scale) with daily seasonality', scale: 5e5 };
    },
  },
  {
    category: 'realistic', name: 'cache_hit_ratio_flush',
    build(rng) {
      const n = rows(rng);
      const [a] = placeAnomalies(rng, n, 1);
      const v = Array.from({ length: n }, (_, i) => {
        const base = 0.86 + 0.04 * dayShape(hourOf(i, 0)) + rng.normal(0, 0.012);
        return i >= a ? base - 0.5 * Math.exp(-(i - a) / 40) : base;
      });
      return { values: v, anomalies: [{ at: a, kind: 'dip', detail: 'cache flushed: hit ratio −0.5, recovering over ~3 hours' }], description: 'cache hit ratio after a deploy that flushes the cache', scale: 0.88 };
    },
  },
  {
    category: 'realistic', name: 'selector_confidence_drift',
    build(rng) {
      const n = rows(rng);
      const [a] = placeAnomalies(rng, n, 1);
      const v = Array.from({ length: n }, (_, i) => Math.min(1, 0.95 + rng.normal(0, 0.015) - (i >= a ? Math.min(0.25, 0.001 * (i - a)) : 0)));
      return { values: v, anomalies: [{ at: a, kind: 'trend_change', detail: 'confidence drifts down by 0.001 per row to −0.25 (site redesign)' }], description: 'mean selector confidence drifting down after a site change', scale: 0.95 };
    },
  },
];

// ---------------------------------------------------------------- output

function pad(x, w = 2) {
  return String(x).padStart(w, '0');
}
export function formatTimestamp(ms) {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}
function formatValue(v) {
  if (!Number.isFinite(v)) throw new Error(`non-finite value ${v}`);
  const r = Number(v.toPrecision(6));
  return Object.is(r, -0) ? '0' : String(r);
}

/**
 * Builds the whole corpus in memory: `files` maps `<category>/<name>.csv` to its CSV text; `labels`
 * and `manifest` are the two JSON documents (as objects).
 */
export function generateCorpus(seed = DEFAULT_SEED) {
  const files = new Map();
  const labels = {};
  const manifest = { generator: 'scripts/anomaly-corpus.mjs', seed, stepSeconds: STEP_MS / 1000, windowSize: WINDOW_SIZE, probationPercent: PROBATION_PERCENT, files: {} };
  const names = new Set();
  for (const spec of SERIES) {
    const rel = `${spec.category}/${spec.name}.csv`;
    if (names.has(rel)) throw new Error(`duplicate series ${rel}`);
    names.add(rel);
    const rng = new Rng((fnv1a(rel) ^ seed) >>> 0);
    // Every series starts at midnight UTC of a Monday between 2024-01-01 and 2024-06-24.
    const start = Date.UTC(2024, 0, 1) + rng.int(0, 25) * 7 * 86_400_000;
    const { values, anomalies, description, scale } = spec.build(rng);
    const n = values.length;
    const ts = Array.from({ length: n }, (_, i) => formatTimestamp(start + i * STEP_MS));
    const lines = ['timestamp,value'];
    for (let i = 0; i < n; i++) lines.push(`${ts[i]},${formatValue(values[i])}`);
    files.set(rel, `${lines.join('\n')}\n`);
    const sorted = [...anomalies].sort((x, y) => x.at - y.at);
    for (const an of sorted) if (!(an.at >= 0 && an.at < n)) throw new Error(`${rel}: anomaly at ${an.at} outside ${n} rows`);
    const windows = windowsFor(n, sorted.map((x) => x.at));
    if (windows.length !== sorted.length) throw new Error(`${rel}: ${sorted.length} anomalies gave ${windows.length} windows (overlap or probation)`);
    labels[rel] = windows.map(([s, e]) => [ts[s], ts[e]]);
    manifest.files[rel] = {
      category: spec.category,
      rows: n,
      scale,
      description,
      anomalies: sorted.map((an) => ({ timestamp: ts[an.at], row: an.at, kind: an.kind, detail: an.detail })),
    };
  }
  return { files, labels, manifest };
}

function sortedJson(obj) {
  const keys = Object.keys(obj).sort();
  return JSON.stringify(Object.fromEntries(keys.map((k) => [k, obj[k]])), null, 2);
}

/** Writes the corpus into `outDir`, first removing CSVs and label files left by a previous run. */
export function writeCorpus(outDir, seed = DEFAULT_SEED) {
  const { files, labels, manifest } = generateCorpus(seed);
  mkdirSync(outDir, { recursive: true });
  for (const entry of readdirSync(outDir)) {
    const p = join(outDir, entry);
    if (statSync(p).isDirectory()) {
      for (const f of readdirSync(p)) if (f.endsWith('.csv')) rmSync(join(p, f));
      if (readdirSync(p).length === 0) rmSync(p, { recursive: true });
    }
  }
  for (const [rel, text] of files) {
    const p = join(outDir, rel);
    mkdirSync(join(p, '..'), { recursive: true });
    writeFileSync(p, text);
  }
  writeFileSync(join(outDir, 'labels.json'), `${sortedJson(labels)}\n`);
  manifest.files = Object.fromEntries(Object.keys(manifest.files).sort().map((k) => [k, manifest.files[k]]));
  writeFileSync(join(outDir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return { files: files.size, rows: [...files.values()].reduce((s, t) => s + t.split('\n').length - 2, 0), windows: Object.values(labels).reduce((s, w) => s + w.length, 0) };
}

const isMain = process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const args = process.argv.slice(2);
  const opt = (name, dflt) => (args.includes(name) ? args[args.indexOf(name) + 1] : dflt);
  const seed = Number(opt('--seed', DEFAULT_SEED));
  if (!Number.isInteger(seed) || seed < 0) throw new Error(`--seed must be a non-negative integer, got ${opt('--seed')}`);
  const out = resolve(opt('--out', fileURLToPath(new URL('../test/fixtures/anomaly/', import.meta.url))));
  const summary = writeCorpus(out, seed);
  console.log(`anomaly corpus (seed ${seed}): ${summary.files} files, ${summary.rows} rows, ${summary.windows} windows → ${out}`);
}
