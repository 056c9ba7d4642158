import type { Redactor } from './types';

// One pass per pattern; ordered so that API keys are replaced before generic long tokens.
const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g;
const API_KEY =
  /\b(?:sk-(?:ant-|proj-|live-|test-)?[A-Za-z0-9_-]{16,}|xox[abposr]-[A-Za-z0-9-]{10,}|gh[pousr]_[A-Za-z0-9]{20,}|AKIA[0-9A-Z]{16}|AIza[0-9A-Za-z_-]{35})\b/g;
const BEARER = /\b(Bearer)\s+[A-Za-z0-9._~+/=-]{8,}/gi;
const CARD = /\b(?:\d[ -]?){12,18}\d\b/g;

/** Luhn check, so that long numbers which are not card numbers (ids, timestamps) stay. */
function luhn(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

/**
 * The default redactor: replaces e-mail addresses, API keys and bearer tokens (OpenAI, Anthropic,
 * Slack, GitHub, AWS access keys, Google API keys) and Luhn-valid card numbers with `[REDACTED:kind]`.
 */
export const defaultRedactor: Redactor = (text: string): string => {
  if (text.length === 0) return text;
  return text
    .replace(API_KEY, '[REDACTED:api_key]')
    .replace(BEARER, '$1 [REDACTED:token]')
    .replace(EMAIL, '[REDACTED:email]')
    .replace(CARD, (m) => {
      const digits = m.replace(/[ -]/g, '');
      return digits.length >= 13 && digits.length <= 19 && luhn(digits) ? '[REDACTED:card]' : m;
    });
};

/** Cuts `text` to `max` characters, marking the cut. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  return `${text.slice(0, Math.max(0, max - 15))}…[truncated]`;
}

/**
 * JSON for span attributes that never throws: cyclic references become `"[Circular]"`, bigints
 * strings, functions and symbols are dropped, and the output is cut to `max` characters. Walking
 * stops early once the budget is spent, so huge objects cost little.
 */
export function safeStringify(value: unknown, max: number): string {
  const seen = new WeakSet<object>();
  let budget = max * 2 + 64;
  let out: string | undefined;
  try {
    out = JSON.stringify(value, (_key, v: unknown) => {
      if (budget <= 0) return undefined;
      if (typeof v === 'bigint') return v.toString();
      if (typeof v === 'function' || typeof v === 'symbol') return undefined;
      if (typeof v === 'string') {
        budget -= v.length;
        return v.length > max ? truncate(v, max) : v;
      }
      if (v !== null && typeof v === 'object') {
        if (seen.has(v)) return '[Circular]';
        seen.add(v);
        budget -= 8;
      }
      return v;
    });
  } catch {
    out = undefined;
  }
  return truncate(out ?? String(value), max);
}
