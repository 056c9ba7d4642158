/**
 * The two kinds of failure: a file that cannot be backtested (its content, or reading/writing it),
 * and a usage error (the command line, the detector or the configuration) found before any file is
 * touched. The CLI maps them to exit codes 1 and 2.
 */

/** A file failed: malformed content (with its line when there is one) or an I/O error. */
export class BacktestError extends Error {
  override readonly name = 'BacktestError';
  /** The file as named in the message (the input path as given). */
  readonly file: string;
  /** 1-based line of the offending row, when the failure is about one row. */
  readonly line: number | undefined;
  /** The message without the `file:line:` prefix. */
  readonly reason: string;

  constructor(file: string, line: number | undefined, reason: string, options?: { cause?: unknown }) {
    super(`${file}${line === undefined ? '' : `:${line}`}: ${reason}`, options);
    this.file = file;
    this.line = line;
    this.reason = reason;
  }
}

/** Bad usage: an unknown detector, a bad configuration file, an input that does not exist. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
