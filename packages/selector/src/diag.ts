import { diag } from '@opentelemetry/api';
import { PACKAGE_NAME } from './version';

/** @internal The package's component logger. */
export const logger = diag.createComponentLogger({ namespace: PACKAGE_NAME });

const MAX_REASONS = 256;
const dropCounts = new Map<string, number>();

/**
 * Counts a dropped value or a failure inside our own code and logs it: a `warn` the first time a
 * given reason is seen, then a `debug` line with the running total every 100 occurrences, so a hot
 * path never floods the log. The host's call always proceeds.
 *
 * @internal
 */
export function reportDrop(reason: string, detail?: unknown): void {
  const n = (dropCounts.get(reason) ?? 0) + 1;
  if (dropCounts.size < MAX_REASONS || dropCounts.has(reason)) dropCounts.set(reason, n);
  if (n === 1) {
    logger.warn(`${reason} (further occurrences are counted)`, detail instanceof Error ? detail.message : (detail ?? ''));
  } else if (n % 100 === 0) {
    logger.debug(`${reason}: ${n} occurrences`);
  }
}

/** Number of drops counted per reason (a test seam and a self-diagnostic). */
export function getDropCounts(): ReadonlyMap<string, number> {
  return dropCounts;
}

/** @internal Clears the drop counters (tests). */
export function resetDropCounts(): void {
  dropCounts.clear();
}
