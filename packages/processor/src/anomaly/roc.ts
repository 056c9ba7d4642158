/**
 * `roc`: rate of change. The change over the last `lag` points, d = x − x[t − lag], against the
 * typical change: an exponentially weighted mean of |d| (α = `alpha`), turned into a standard
 * deviation (×1.2533, exact for Gaussian changes) and floored at `floor · |x[t − lag]|` (at least
 * `minScale`). The learning step is winsorised at `threshold` typical changes, so a jump does not
 * immediately make the next jump look normal. Catches sudden jumps and drops whatever the level.
 *
 * Flags `roc_up` / `roc_down` when |d| ≥ `threshold` typical changes.
 */
import { BaseDetector, DOWN, UP, checkState, f64, floorScale, int, num, resolveNumbers, stateOptions, toArray, zSeverity } from './common';
import type { NumberSpec } from './common';
import type { DetectorState } from './types';

export const ROC_OPTIONS = {
  lag: { def: 1, min: 1, max: 10_000, integer: true, doc: 'points the change is measured over' },
  alpha: { def: 0.02, min: 0, max: 1, minOpen: true, maxOpen: true, doc: 'smoothing factor of the typical change' },
  threshold: { def: 5, min: 0, max: 1000, minOpen: true, doc: 'typical changes (standard deviations) at which it is flagged' },
  warmup: { def: 30, min: 1, max: 1e6, integer: true, doc: 'changes learned before scoring' },
  floor: { def: 0.001, min: 0, max: 1, doc: 'typical-change floor as a share of the level' },
  minScale: { def: 1e-9, min: 0, max: 1e12, doc: 'absolute typical-change floor' },
} as const satisfies Record<string, NumberSpec>;

/** E|d| = σ·√(2/π) for Gaussian d, so σ ≈ 1.2533·E|d|. */
const MEAN_ABS_TO_SD = Math.sqrt(Math.PI / 2);

export class RateOfChangeDetector extends BaseDetector {
  readonly name = 'roc';
  readonly flagUp = 'roc_up';
  readonly flagDown = 'roc_down';
  readonly options: Readonly<Record<keyof typeof ROC_OPTIONS, number>>;
  /** The last `lag` values. */
  readonly ring: Float64Array;
  head = 0;
  size = 0;
  /** Changes learned. */
  n = 0;
  /** Mean |change|. */
  meanAbs = 0;

  constructor(options?: Record<string, unknown>) {
    super();
    this.options = resolveNumbers('roc', ROC_OPTIONS, options);
    this.ring = new Float64Array(this.options.lag);
  }

  step(_t: number, x: number): number {
    const o = this.options;
    const lag = o.lag;
    let sev = 0;
    this.dir = 0;
    if (this.size >= lag) {
      const prev = this.ring[this.head]!; // the value `lag` points ago
      const d = x - prev;
      const sd = floorScale(MEAN_ABS_TO_SD * this.meanAbs, prev, o.floor, o.minScale);
      this.expected = prev;
      this.lower = prev - o.threshold * sd;
      this.upper = prev + o.threshold * sd;
      if (this.n >= o.warmup) {
        sev = zSeverity(d, sd, o.threshold);
        this.dir = d > 0 ? UP : d < 0 ? DOWN : 0;
      }
      let a = d < 0 ? -d : d;
      if (this.n >= o.warmup) {
        const c = o.threshold * sd;
        if (a > c) a = c;
      }
      const w = this.n < 1 / o.alpha ? 1 / (this.n + 1) : o.alpha;
      this.meanAbs += w * (a - this.meanAbs);
      this.n++;
    } else {
      this.expected = this.lower = this.upper = Number.NaN;
    }
    this.ring[this.head] = x;
    this.head = (this.head + 1) % lag;
    if (this.size < lag) this.size++;
    return sev;
  }

  toState(): DetectorState {
    return { kind: 'roc', version: 1, options: { ...this.options }, ring: toArray(this.ring), head: this.head, size: this.size, n: this.n, meanAbs: this.meanAbs };
  }

  static restore(state: DetectorState): RateOfChangeDetector {
    checkState(state, 'roc', 1);
    const d = new RateOfChangeDetector(stateOptions(state));
    d.ring.set(f64(state, 'ring', d.ring.length));
    d.head = int(state, 'head', 0, d.ring.length - 1);
    d.size = int(state, 'size', 0, d.ring.length);
    d.n = num(state, 'n');
    d.meanAbs = num(state, 'meanAbs');
    return d;
  }
}
