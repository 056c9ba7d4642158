/**
 * Zero-code start for CommonJS applications:
 *
 *     node --require @driftwatch/node/register app.js
 *
 * Starts the SDK from the `OTEL_*` / `DRIFTWATCH_*` environment (see the README). `require()`
 * hooks cover CommonJS modules, so no loader hook is registered. An invalid variable prints one
 * line naming it and exits with code 1.
 */
import { startFromEnvironment } from './start';
import type { DriftwatchHandle } from './sdk';

/** The running SDK (undefined only if it could not be started). */
export const handle: DriftwatchHandle | undefined = startFromEnvironment();
