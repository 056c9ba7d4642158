/**
 * @driftwatch/cli: the backtest engine behind the `driftwatch` command, as a library (the command
 * itself is `bin.ts`).
 */
export { backtestDirectory, backtestFile, backtestStream, OUTPUT_COLUMNS } from './backtest';
export type {
  BacktestDetectorFactory,
  BacktestDirectoryEntry,
  BacktestDirectoryOptions,
  BacktestDirectoryOutcome,
  BacktestDirectoryResult,
  BacktestFileOptions,
  BacktestFileResult,
  BacktestOptions,
  BacktestProgressListener,
  BacktestStreamOptions,
  BacktestStreamResult,
} from './backtest';
export { parseBacktestConfig, readBacktestConfig } from './config';
export type { BacktestConfig } from './config';
export { BacktestError, UsageError } from './errors';
export { parseTimestamp } from './timestamp';
export { EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE } from './exit-codes';
export { PACKAGE_NAME, PACKAGE_VERSION } from './version';
