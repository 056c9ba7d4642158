import { DriftwatchConfigError } from './errors';
import { register } from './sdk';
import type { DriftwatchHandle } from './sdk';

/**
 * The zero-code start shared by the `@driftwatch/node/register` entries: `register()` from the
 * environment only.
 *
 * - A configuration error (`DriftwatchConfigError`) fails loudly: one line on stderr naming the
 *   variable and the value, then exit code 1, before the application runs. Silently starting
 *   without telemetry, or exporting to the wrong place, is worse than not starting.
 * - Any other failure while starting is our own fault: it is reported on stderr and the
 *   application runs without telemetry.
 *
 * @internal
 */
export function startFromEnvironment(): DriftwatchHandle | undefined {
  try {
    return register();
  } catch (err) {
    if (err instanceof DriftwatchConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    process.stderr.write(
      `@driftwatch/node: telemetry could not be started, the application runs without it: ${err instanceof Error ? err.message : String(err)}\n`,
    );
    return undefined;
  }
}
