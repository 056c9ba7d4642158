/** Exit codes of the `driftwatch` command. */

/** Every file was scored. */
export const EXIT_OK = 0;
/** A file could not be backtested (the others, in directory mode, still were). */
export const EXIT_FAILED = 1;
/** Bad usage: options, detector, configuration, missing input. */
export const EXIT_USAGE = 2;
/** Interrupted (SIGINT/SIGTERM through the abort signal); the pending output file was removed. */
export const EXIT_INTERRUPTED = 130;
