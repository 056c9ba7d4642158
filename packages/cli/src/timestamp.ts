/**
 * Timestamps as they appear in series files, to epoch milliseconds:
 * - `2014-04-01 00:00:00` (the NAB layout; optional fraction `.000000`) and the same with a `T`,
 *   both read as UTC unless they carry an offset;
 * - ISO 8601 date or date-time with `Z` or `±hh:mm` / `±hhmm` / `±hh` (`2014-04-01T00:00:00.5+02:00`);
 * - epoch milliseconds (`1396310400000`, optionally signed or with a fraction).
 * Anything else — or an impossible date such as `2014-02-30` — is `undefined`.
 */

const EPOCH_MS = /^[+-]?\d+(?:\.\d+)?$/;
const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?\s*(?:(Z)|([+-])(\d{2})(?::?(\d{2}))?)?$/i;

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function isLeap(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

/** The number in `s[from, from + n)` when it is all ASCII digits, else -1. */
function digits(s: string, from: number, n: number): number {
  let v = 0;
  for (let i = from; i < from + n; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v;
}

function fromParts(year: number, month: number, day: number, hour: number, minute: number, second: number): number | undefined {
  if (month < 1 || month > 12 || day < 1) return undefined;
  const maxDay = month === 2 && isLeap(year) ? 29 : DAYS_IN_MONTH[month - 1]!;
  if (day > maxDay || hour > 23 || minute > 59 || second > 59) return undefined;
  const ms = Date.UTC(year, month - 1, day, hour, minute, second);
  // Date.UTC maps years 0..99 to 1900..1999.
  return year < 100 ? new Date(ms).setUTCFullYear(year) : ms;
}

/** The common `YYYY-MM-DD HH:MM:SS` (or with `T`) without a regular expression; `null` when it is not that shape. */
function fastDateTime(s: string): number | undefined | null {
  if (s.length !== 19 || s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45 || s.charCodeAt(13) !== 58 || s.charCodeAt(16) !== 58) return null;
  const sep = s.charCodeAt(10);
  if (sep !== 32 && sep !== 84) return null;
  const year = digits(s, 0, 4);
  const month = digits(s, 5, 2);
  const day = digits(s, 8, 2);
  const hour = digits(s, 11, 2);
  const minute = digits(s, 14, 2);
  const second = digits(s, 17, 2);
  if (year < 0 || month < 0 || day < 0 || hour < 0 || minute < 0 || second < 0) return undefined;
  return fromParts(year, month, day, hour, minute, second);
}

/** Parses one timestamp field (surrounding whitespace ignored); `undefined` when it is not one. */
export function parseTimestamp(text: string): number | undefined {
  const fast = fastDateTime(text);
  if (fast !== null) return fast;
  const s = text.trim();
  if (s.length === 0) return undefined;
  if (EPOCH_MS.test(s)) {
    const ms = Number(s);
    return Number.isFinite(ms) ? ms : undefined;
  }
  const m = DATE_TIME.exec(s);
  if (m === null) return undefined;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const hour = m[4] === undefined ? 0 : Number(m[4]);
  const minute = m[5] === undefined ? 0 : Number(m[5]);
  const second = m[6] === undefined ? 0 : Number(m[6]);
  let ms = fromParts(year, month, day, hour, minute, second);
  if (ms === undefined) return undefined;
  if (m[7] !== undefined) ms += Number(`0.${m[7]}`) * 1000;
  if (m[9] !== undefined) {
    const oh = Number(m[10]);
    const om = m[11] === undefined ? 0 : Number(m[11]);
    if (oh > 23 || om > 59) return undefined;
    const offset = (oh * 60 + om) * 60_000;
    ms += m[9] === '+' ? -offset : offset;
  }
  return ms;
}
