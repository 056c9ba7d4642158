import { DiagLogLevel } from '@opentelemetry/api';
import { DriftwatchConfigError } from './errors';
import type {
  LogLevelName,
  MetricsTemporality,
  OtlpCompression,
  OtlpProtocol,
  ResourceDetectorName,
  SamplerName,
} from './types';

/**
 * Validators shared by the environment reader (`env.ts`) and the option resolver (`config.ts`).
 * Each takes the name of the setting it checks (an env var or an option path) so that its error
 * names exactly what the user has to fix.
 *
 * @internal
 */

export const TRACES_EXPORTERS = ['otlp', 'console', 'none'] as const;
export const METRICS_EXPORTERS = ['otlp', 'prometheus', 'console', 'none'] as const;
export const LOGS_EXPORTERS = ['otlp', 'console', 'none'] as const;
export const SAMPLERS: readonly SamplerName[] = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
];
export const RESOURCE_DETECTORS: readonly ResourceDetectorName[] = ['env', 'host', 'os', 'process', 'serviceinstance'];
export const PROTOCOLS: readonly OtlpProtocol[] = ['http/protobuf', 'http/json'];

const LOG_LEVELS: Record<LogLevelName, DiagLogLevel> = {
  none: DiagLogLevel.NONE,
  error: DiagLogLevel.ERROR,
  warn: DiagLogLevel.WARN,
  info: DiagLogLevel.INFO,
  debug: DiagLogLevel.DEBUG,
  verbose: DiagLogLevel.VERBOSE,
  all: DiagLogLevel.ALL,
};

/** The items of a list given as an array (an option) or as a comma-separated string (a variable). */
function listItems(value: unknown): unknown[] | undefined {
  if (Array.isArray(value)) return value;
  return typeof value === 'string' ? value.split(',').map((s) => s.trim()).filter((s) => s !== '') : undefined;
}

/** Parses a comma-separated exporter list; `none` may only stand alone. */
export function exporterList<T extends string>(setting: string, value: unknown, allowed: readonly T[]): T[] {
  const items = listItems(value);
  if (!items) throw new DriftwatchConfigError(setting, value, `expected a list of exporter names (${allowed.join(', ')})`);
  const out: T[] = [];
  for (const raw of items) {
    const name = typeof raw === 'string' ? raw.trim().toLowerCase() : raw;
    if (typeof name !== 'string' || !(allowed as readonly string[]).includes(name)) {
      const hint = name === 'zipkin' || name === 'jaeger' || name === 'otlp_grpc' ? ' (not shipped by @driftwatch/node)' : '';
      throw new DriftwatchConfigError(setting, value, `unknown exporter ${JSON.stringify(raw)}${hint}; expected one of ${allowed.join(', ')}`);
    }
    if (!out.includes(name as T)) out.push(name as T);
  }
  if (out.length === 0) throw new DriftwatchConfigError(setting, value, `empty list; use "none" to turn the signal off`);
  if (out.length > 1 && out.includes('none' as T)) {
    throw new DriftwatchConfigError(setting, value, '"none" cannot be combined with other exporters');
  }
  return out;
}

/** An http(s) URL. */
export function url(setting: string, value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') throw new DriftwatchConfigError(setting, value, 'expected an http(s) URL');
  let parsed: URL;
  try {
    parsed = new URL(value.trim());
  } catch {
    throw new DriftwatchConfigError(setting, value, 'not a valid URL (expected e.g. http://localhost:4318)');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new DriftwatchConfigError(setting, value, `unsupported URL scheme ${JSON.stringify(parsed.protocol)}; expected http: or https:`);
  }
  return parsed.href;
}

/** Appends an OTLP signal path (`v1/traces`) to a base endpoint URL. */
export function appendSignalPath(base: string, path: string): string {
  return base.endsWith('/') ? `${base}${path}` : `${base}/${path}`;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** Validates a header map given as an option. Values are never echoed in errors. */
export function headerRecord(setting: string, value: unknown): Record<string, string> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new DriftwatchConfigError(setting, undefined, 'expected an object of header names to string values', { secret: true });
  }
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (!TOKEN.test(k)) throw new DriftwatchConfigError(`${setting}[${JSON.stringify(k)}]`, undefined, 'not a valid HTTP header name', { secret: true });
    if (typeof v !== 'string') {
      throw new DriftwatchConfigError(`${setting}[${JSON.stringify(k)}]`, undefined, `header value must be a string, got ${typeof v}`, { secret: true });
    }
    if (/[\r\n\0]/.test(v)) {
      throw new DriftwatchConfigError(`${setting}[${JSON.stringify(k)}]`, undefined, 'header value contains a line break or NUL', { secret: true });
    }
    out[k] = v;
  }
  return out;
}

/**
 * Parses `key1=value1,key2=value2` (W3C Baggage-style, percent-encoded) as used by
 * `OTEL_EXPORTER_OTLP_HEADERS`. The error names the entry's position, never its value.
 */
export function headerList(setting: string, raw: string): Record<string, string> {
  const out: Record<string, string> = {};
  const entries = raw.split(',');
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i]!.trim();
    if (entry === '') continue;
    const eq = entry.indexOf('=');
    if (eq <= 0) {
      throw new DriftwatchConfigError(setting, undefined, `entry ${i + 1} is not of the form name=value`, { secret: true });
    }
    let key: string;
    let val: string;
    try {
      key = decodeURIComponent(entry.slice(0, eq).trim());
      val = decodeURIComponent(entry.slice(eq + 1).trim());
    } catch {
      throw new DriftwatchConfigError(setting, undefined, `entry ${i + 1} has invalid percent-encoding`, { secret: true });
    }
    if (!TOKEN.test(key)) throw new DriftwatchConfigError(setting, undefined, `entry ${i + 1} has an invalid header name`, { secret: true });
    if (/[\r\n\0]/.test(val)) throw new DriftwatchConfigError(setting, undefined, `entry ${i + 1} has a line break or NUL in its value`, { secret: true });
    out[key] = val;
  }
  return out;
}

/** Parses `key1=value1,key2=value2` (`OTEL_RESOURCE_ATTRIBUTES`, percent-encoded). */
export function keyValueList(setting: string, raw: string): Record<string, string> {
  const out: Record<string, string> = {};
  const entries = raw.split(',');
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i]!.trim();
    if (entry === '') continue;
    const parts = entry.split('=');
    if (parts.length !== 2 || parts[0]!.trim() === '') {
      throw new DriftwatchConfigError(setting, raw, `entry ${JSON.stringify(entry)} is not of the form key=value ('=' and ',' must be percent-encoded)`);
    }
    try {
      out[decodeURIComponent(parts[0]!.trim())] = decodeURIComponent(parts[1]!.trim());
    } catch {
      throw new DriftwatchConfigError(setting, raw, `entry ${JSON.stringify(entry)} has invalid percent-encoding`);
    }
  }
  return out;
}

/** A number as given, or parsed from a string when the value comes from the environment. */
function numeric(value: unknown, fromEnv: boolean): unknown {
  return fromEnv && typeof value === 'string' && value.trim() !== '' ? Number(value.trim()) : value;
}

/** An integer within [min, max]. Strings are parsed only for environment variables (`fromEnv`). */
export function integer(setting: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER, fromEnv = false): number {
  const n = numeric(value, fromEnv);
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `${min}..${max}`;
    throw new DriftwatchConfigError(setting, value, `expected an integer ${range}`);
  }
  return n;
}

/** A TCP port 0..65535 (0 = any free port). */
export function port(setting: string, value: unknown, fromEnv = false): number {
  return integer(setting, value, 0, 65535, fromEnv);
}

/** A ratio within [0, 1]. */
export function ratio(setting: string, value: unknown, fromEnv = false): number {
  const n = numeric(value, fromEnv);
  if (typeof n !== 'number' || Number.isNaN(n) || n < 0 || n > 1) {
    throw new DriftwatchConfigError(setting, value, 'expected a number between 0 and 1');
  }
  return n;
}

/** A boolean; env strings `true`/`false` (any case). */
export function bool(setting: string, value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string') {
    const v = value.trim().toLowerCase();
    if (v === 'true') return true;
    if (v === 'false') return false;
  }
  throw new DriftwatchConfigError(setting, value, 'expected true or false');
}

/** A non-empty string. */
export function nonEmptyString(setting: string, value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') throw new DriftwatchConfigError(setting, value, 'expected a non-empty string');
  return value.trim();
}

export function protocol(setting: string, value: unknown): OtlpProtocol {
  const v = typeof value === 'string' ? value.trim().toLowerCase() : value;
  if (v === 'grpc') {
    throw new DriftwatchConfigError(
      setting,
      value,
      'OTLP/gRPC is not supported by @driftwatch/node; use http/protobuf (default, port 4318) or http/json',
    );
  }
  if (typeof v !== 'string' || !(PROTOCOLS as readonly string[]).includes(v)) {
    throw new DriftwatchConfigError(setting, value, `expected one of ${PROTOCOLS.join(', ')}`);
  }
  return v as OtlpProtocol;
}

export function compression(setting: string, value: unknown): OtlpCompression {
  const v = typeof value === 'string' ? value.trim().toLowerCase() : value;
  if (v !== 'gzip' && v !== 'none') throw new DriftwatchConfigError(setting, value, 'expected gzip or none');
  return v;
}

export function temporality(setting: string, value: unknown): MetricsTemporality {
  const v = typeof value === 'string' ? value.trim().toLowerCase() : value;
  if (v !== 'cumulative' && v !== 'delta' && v !== 'lowmemory') {
    throw new DriftwatchConfigError(setting, value, 'expected cumulative, delta or lowmemory');
  }
  return v;
}

export function samplerName(setting: string, value: unknown): SamplerName {
  const v = typeof value === 'string' ? value.trim().toLowerCase() : value;
  if (typeof v !== 'string' || !(SAMPLERS as readonly string[]).includes(v)) {
    throw new DriftwatchConfigError(setting, value, `unsupported sampler; expected one of ${SAMPLERS.join(', ')}`);
  }
  return v as SamplerName;
}

export function logLevel(setting: string, value: unknown): DiagLogLevel {
  if (typeof value === 'number' && Object.values(LOG_LEVELS).includes(value)) return value;
  const v = typeof value === 'string' ? value.trim().toLowerCase() : undefined;
  if (v !== undefined && v in LOG_LEVELS) return LOG_LEVELS[v as LogLevelName];
  throw new DriftwatchConfigError(setting, value, `expected one of ${Object.keys(LOG_LEVELS).join(', ')}`);
}

export function detectorList(setting: string, value: unknown): ResourceDetectorName[] {
  const items = listItems(value);
  if (!items) throw new DriftwatchConfigError(setting, value, 'expected a list of resource detector names');
  const out: ResourceDetectorName[] = [];
  for (const raw of items) {
    const name = typeof raw === 'string' ? raw.trim().toLowerCase() : raw;
    if (name === 'all') {
      for (const d of RESOURCE_DETECTORS) if (!out.includes(d)) out.push(d);
      continue;
    }
    if (name === 'none') continue;
    if (typeof name !== 'string' || !(RESOURCE_DETECTORS as readonly string[]).includes(name)) {
      throw new DriftwatchConfigError(setting, value, `unknown detector ${JSON.stringify(raw)}; expected all, none or any of ${RESOURCE_DETECTORS.join(', ')}`);
    }
    if (!out.includes(name as ResourceDetectorName)) out.push(name as ResourceDetectorName);
  }
  return out;
}
