import { diag } from '@opentelemetry/api';
import { PACKAGE_NAME } from './version';

/** @internal The package's component logger. */
export const logger = diag.createComponentLogger({ namespace: PACKAGE_NAME });

const warned = new Set<string>();

/** @internal A `warn` the first time a reason is seen (the counting is the caller's), `debug` after. */
export function warnOnce(reason: string, detail?: unknown): void {
  const text = detail instanceof Error ? detail.message : detail === undefined ? '' : String(detail);
  if (warned.has(reason)) {
    logger.debug(reason, text);
    return;
  }
  if (warned.size < 256) warned.add(reason);
  logger.warn(`${reason} (further occurrences are counted, not logged)`, text);
}
