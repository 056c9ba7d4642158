import type { DriftKind, ReportPeriod, SelectorAnomaly, SelectorReport, SelectorReportEntry, SelectorResult } from './model';
import { DRIFT_KIND_SETS, RESULTS, R_SUCCESS, emptyResults } from './state';
import { slope, summarize } from './window';

/** Resolutions kept for reports. */
export const LOG_CAPACITY = 10_000;

/** Numbers per entry in {@link ResolutionLog}'s one typed array: time, duration, confidence, packed codes. */
const STRIDE = 4;
/** Packed codes: result (bits 0–2), fallback (bit 3), drift kinds (bits 4–8). */
const FALLBACK_BIT = 8;
const DRIFT_SHIFT = 4;

/**
 * A bounded log of resolution summaries (the last {@link LOG_CAPACITY}): the numbers of an entry sit
 * side by side in one typed array, the selector name and winning strategy in two plain arrays, so
 * appending allocates nothing and touches three places in memory.
 *
 * @internal
 */
export class ResolutionLog {
  private readonly _numbers: Float64Array;
  private readonly _names: string[];
  private readonly _strategies: string[];
  private _head = 0;
  private _size = 0;
  /** End time of the newest entry that was overwritten (−∞ while nothing was). */
  private _evictedUpTo = -Infinity;

  constructor(readonly capacity = LOG_CAPACITY) {
    this._numbers = new Float64Array(capacity * STRIDE);
    this._names = new Array<string>(capacity);
    this._strategies = new Array<string>(capacity);
  }

  /** `confidence` and `durationMs` NaN when unknown; `drift` as bits. */
  push(time: number, name: string, result: number, strategy: string, fallback: boolean, confidence: number, durationMs: number, drift: number): void {
    const i = this._head;
    const o = i * STRIDE;
    const nums = this._numbers;
    if (this._size === this.capacity) this._evictedUpTo = Math.max(this._evictedUpTo, nums[o]!);
    else this._size++;
    nums[o] = time;
    nums[o + 1] = durationMs;
    nums[o + 2] = confidence;
    nums[o + 3] = result | (fallback ? FALLBACK_BIT : 0) | (drift << DRIFT_SHIFT);
    this._names[i] = name;
    this._strategies[i] = strategy;
    this._head = i + 1 === this.capacity ? 0 : i + 1;
  }

  /** Aggregates the entries with `from ≤ time ≤ to`, oldest first. */
  report(from: number, to: number, anomalies: SelectorAnomaly[], now: number): SelectorReport {
    const aggs = new Map<string, Aggregate>();
    const totals = emptyResults();
    let fallbacks = 0;
    let count = 0;
    let earliest = Infinity;
    const start = this._size === this.capacity ? this._head : 0;
    const nums = this._numbers;
    for (let k = 0; k < this._size; k++) {
      const i = (start + k) % this.capacity;
      const o = i * STRIDE;
      const t = nums[o]!;
      if (t < from || t > to) continue;
      if (t < earliest) earliest = t;
      count++;
      const name = this._names[i]!;
      let agg = aggs.get(name);
      if (!agg) {
        agg = new Aggregate(name);
        aggs.set(name, agg);
      }
      const codes = nums[o + 3]!;
      const code = codes & 7;
      const result = RESULTS[code]!;
      totals[result]++;
      agg.results[result]++;
      agg.count++;
      if (code === R_SUCCESS) {
        const s = this._strategies[i]!;
        agg.strategies[s] = (agg.strategies[s] ?? 0) + 1;
      }
      if ((codes & FALLBACK_BIT) !== 0) {
        agg.fallbacks++;
        fallbacks++;
      }
      const c = nums[o + 2]!;
      if (c === c) agg.confidences.push(c);
      const d = nums[o + 1]!;
      if (d === d) agg.durations.push(d);
      const drift = codes >> DRIFT_SHIFT;
      if (drift !== 0) for (const kind of DRIFT_KIND_SETS[drift]!) agg.drift[kind] = (agg.drift[kind] ?? 0) + 1;
    }
    const selectors = [...aggs.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).map((a) => a.entry());
    const names = new Set(aggs.keys());
    const fromMs = Number.isFinite(from) ? from : Number.isFinite(earliest) ? earliest : Math.min(to, now);
    const toMs = Number.isFinite(to) ? to : now;
    return {
      generatedAt: new Date(now).toISOString(),
      period: { from: new Date(fromMs).toISOString(), to: new Date(toMs).toISOString() },
      totals: {
        resolutions: count,
        selectors: aggs.size,
        successRate: count === 0 ? 0 : totals.success / count,
        fallbackRate: count === 0 ? 0 : fallbacks / count,
        results: totals,
      },
      selectors,
      anomalies: anomalies.filter((a) => names.has(a.name)),
      truncated: this._evictedUpTo !== -Infinity && this._evictedUpTo >= from,
    };
  }
}

class Aggregate {
  count = 0;
  fallbacks = 0;
  readonly results = emptyResults();
  readonly strategies: Record<string, number> = {};
  readonly confidences: number[] = [];
  readonly durations: number[] = [];
  readonly drift: Partial<Record<DriftKind, number>> = {};

  constructor(readonly name: string) {}

  entry(): SelectorReportEntry {
    const conf: SelectorReportEntry['confidence'] = { samples: this.confidences.length };
    if (this.confidences.length > 0) {
      let sum = 0;
      let min = Infinity;
      for (const c of this.confidences) {
        sum += c;
        if (c < min) min = c;
      }
      conf.mean = sum / this.confidences.length;
      conf.min = min;
      const trend = slope(this.confidences);
      if (trend !== undefined) conf.trend = trend;
    }
    return {
      name: this.name,
      resolutions: this.count,
      results: this.results,
      successRate: this.results.success / this.count,
      fallbackRate: this.fallbacks / this.count,
      strategies: this.strategies,
      confidence: conf,
      duration: summarize(this.durations),
      drift: this.drift,
    };
  }
}

/** Epoch ms of a period end; throws a TypeError for anything else. @internal */
export function periodBound(v: number | Date | undefined, which: 'from' | 'to'): number | undefined {
  if (v === undefined) return undefined;
  const ms = v instanceof Date ? v.getTime() : v;
  if (typeof ms !== 'number' || !Number.isFinite(ms)) {
    throw new TypeError(`report period "${which}" must be a Date or epoch milliseconds, got ${String(v)}`);
  }
  return ms;
}

/** Checks a {@link ReportPeriod} and returns its ends (−∞/+∞ when open). @internal */
export function periodOf(period: ReportPeriod | undefined): { from: number; to: number } {
  if (period === undefined) return { from: -Infinity, to: Infinity };
  if (period === null || typeof period !== 'object') throw new TypeError('report period must be an object { from?, to? }');
  const from = periodBound(period.from, 'from') ?? -Infinity;
  const to = periodBound(period.to, 'to') ?? Infinity;
  if (from > to) throw new TypeError('report period "from" is after "to"');
  return { from, to };
}

const RESULT_LABELS: Record<SelectorResult, string> = {
  success: 'success',
  not_found: 'not found',
  ambiguous: 'ambiguous',
  timeout: 'timeout',
  low_confidence: 'low conf.',
  error: 'error',
};

function pct(x: number): string {
  return `${(x * 100).toFixed(1)} %`;
}

function num(x: number | undefined, digits: number): string {
  return x === undefined ? '–' : x.toFixed(digits);
}

function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** The report as Markdown: totals, one table row per selector, and the anomalies. */
export function formatReport(report: SelectorReport): string {
  const lines: string[] = [];
  lines.push('# Selector report', '');
  lines.push(`Period: ${report.period.from} to ${report.period.to} (generated ${report.generatedAt}).`, '');
  const t = report.totals;
  lines.push(
    `**${t.resolutions} resolution${t.resolutions === 1 ? '' : 's'}** of **${t.selectors} selector${t.selectors === 1 ? '' : 's'}**: ` +
      `success ${pct(t.successRate)}, served by a fallback ${pct(t.fallbackRate)}.`,
    '',
  );
  if (report.truncated) {
    lines.push('> The resolution log no longer reaches back to the start of the period: the oldest resolutions are missing.', '');
  }
  if (report.selectors.length > 0) {
    const resultCols = RESULTS.map((r) => RESULT_LABELS[r]);
    lines.push(`| selector | resolutions | ${resultCols.join(' | ')} | fallback | mean conf. | min conf. | p50 ms | p95 ms | served by | drift |`);
    lines.push(`|---|---:|${RESULTS.map(() => '---:').join('|')}|---:|---:|---:|---:|---:|---|---|`);
    for (const s of report.selectors) {
      const served = Object.entries(s.strategies)
        .sort((a, b) => b[1] - a[1])
        .map(([k, v]) => `${cell(k)} ${v}`)
        .join(', ');
      const drift = Object.entries(s.drift)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ');
      lines.push(
        `| ${cell(s.name)} | ${s.resolutions} | ${RESULTS.map((r) => String(s.results[r])).join(' | ')} | ${pct(s.fallbackRate)} | ` +
          `${num(s.confidence.mean, 2)} | ${num(s.confidence.min, 2)} | ${num(s.duration.p50, 2)} | ${num(s.duration.p95, 2)} | ${served || '–'} | ${drift || '–'} |`,
      );
    }
    lines.push('');
  }
  lines.push('## Anomalies', '');
  if (report.anomalies.length === 0) {
    lines.push('None detected.');
  } else {
    for (const a of report.anomalies) {
      const evidence = Object.entries(a.evidence)
        .map(([k, v]) => `${k}=${Number.isInteger(v) ? v : v.toFixed(3)}`)
        .join(', ');
      const since = a.since !== undefined ? ` since ${new Date(a.since).toISOString()}` : '';
      lines.push(`- **${cell(a.name)}** · \`${a.kind}\` (${a.source}${since}): ${a.message}. Evidence: ${evidence}.`);
    }
  }
  lines.push('');
  return lines.join('\n');
}
