import { ValueType } from '@opentelemetry/api';
import type { Attributes, Meter, ObservableResult } from '@opentelemetry/api';
import { reportDrop } from './diag';

/** One series of an {@link ObservedCounter}: adding to it is a field update. @internal */
export interface CounterCell {
  readonly attributes: Attributes;
  value: number;
}

/**
 * A monotonic counter kept in our own memory and reported by an observable counter at collection
 * time. A series is a {@link CounterCell} handed out once per attribute set (keyed by a string the
 * caller builds once per series); counting is `cell.value += n`, with no attribute hashing and no
 * map look-up on the hot path. The SDK hashes each series once per collection instead.
 *
 * Cells are keyed by content, not identity, so two telemetry instances that share a meter add to
 * the same series instead of reporting the same attribute set twice.
 *
 * @internal
 */
export class ObservedCounter {
  private readonly _cells = new Map<string, CounterCell>();

  constructor(meter: Meter, name: string, description: string, unit: string) {
    try {
      const counter = meter.createObservableCounter(name, { description, unit, valueType: ValueType.INT });
      counter.addCallback((result: ObservableResult) => {
        for (const cell of this._cells.values()) result.observe(cell.value, cell.attributes);
      });
    } catch (err) {
      // A broken meter must not stop resolutions from being traced.
      reportDrop(`counter ${name} could not be created`, err);
    }
  }

  /** The cell of one series (created on first use). Callers bound the number of keys. */
  cell(key: string, attributes: Attributes): CounterCell {
    let cell = this._cells.get(key);
    if (!cell) {
      cell = { attributes, value: 0 };
      this._cells.set(key, cell);
    }
    return cell;
  }
}
