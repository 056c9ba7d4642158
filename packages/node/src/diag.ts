import { diag } from '@opentelemetry/api';
import { PACKAGE_NAME } from './version';

/** @internal The package's component logger. */
export const logger = diag.createComponentLogger({ namespace: PACKAGE_NAME });
