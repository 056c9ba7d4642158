import { diag } from '@opentelemetry/api';
import { PACKAGE_NAME } from './version';

/** @internal The package's component logger. */
export const logger = diag.createComponentLogger({ namespace: PACKAGE_NAME });

const dropCounts = new Map<string, number>();

/**
 * Counts a dropped value or a failure inside our own code: a `warn` the first time a reason is
 * seen, then a `debug` line every 100 occurrences. The host's operation always proceeds.
 *
 * @internal
 */
export function reportDrop(reason: string, detail?: unknown): void {
  const n = (dropCounts.get(reason) ?? 0) + 1;
  if (dropCounts.size < 256 || dropCounts.has(reason)) dropCounts.set(reason, n);
  if (n === 1) logger.warn(`${reason} (further occurrences are counted)`, detail instanceof Error ? detail.message : (detail ?? ''));
  else if (n % 100 === 0) logger.debug(`${reason}: ${n} occurrences`);
}

/** Number of drops counted per reason (a self-diagnostic and a test seam). */
export function getDropCounts(): ReadonlyMap<string, number> {
  return dropCounts;
}

/** @internal Clears the drop counters (tests). */
export function resetDropCounts(): void {
  dropCounts.clear();
}
