/**
 * Zero-code start for ES module applications:
 *
 *     node --import @driftwatch/node/register app.js
 *
 * Registers the ESM loader hook (so instrumentations can patch ES modules), then starts the SDK
 * from the `OTEL_*` / `DRIFTWATCH_*` environment (see the README), and waits until the loader knows
 * every module the instrumentations hook, so the application's own imports are already covered.
 * An invalid variable prints one line naming it and exits with code 1.
 */
import { registerEsmLoaderHook } from './esm-hook';
import { startFromEnvironment } from './start';
import type { DriftwatchHandle } from './sdk';

const acknowledged = registerEsmLoaderHook(import.meta.url);

/** The running SDK (undefined only if it could not be started). */
export const handle: DriftwatchHandle | undefined = startFromEnvironment();

if (acknowledged) await acknowledged();
