import { ValueType } from '@opentelemetry/api';
import type { Attributes, Meter, ObservableResult } from '@opentelemetry/api';
import type { MetricDefinition } from '@driftwatch/semconv';
import { reportDrop } from './diag';

/**
 * A monotonic counter kept in our own memory and reported by an observable counter at collection
 * time. Adding is a map update keyed by the identity of a cached attribute set, so a call pays no
 * attribute hashing; the SDK hashes each series once per collection instead. Callers MUST pass
 * attribute objects that are reused (cached per series), which also bounds the map.
 *
 * @internal
 */
export class ObservedCounter {
  private readonly _values = new Map<Attributes, number>();

  constructor(meter: Meter, def: MetricDefinition) {
    try {
      const counter = meter.createObservableCounter(def.name, {
        description: def.description,
        unit: def.unit,
        valueType: def.integer ? ValueType.INT : ValueType.DOUBLE,
      });
      counter.addCallback((result: ObservableResult) => {
        for (const [attributes, value] of this._values) result.observe(value, attributes);
      });
    } catch (err) {
      // A broken meter must not stop the calls from being traced.
      reportDrop(`counter ${def.name} could not be created`, err);
    }
  }

  add(value: number, attributes: Attributes): void {
    this._values.set(attributes, (this._values.get(attributes) ?? 0) + value);
  }
}
