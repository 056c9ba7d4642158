/**
 * Thrown by `register()` (and `resolveConfig()`) when an option or an `OTEL_*` / `DRIFTWATCH_*`
 * environment variable has a value that cannot be used. The message names the setting and the bad
 * value (secrets such as header values are never echoed), so a misconfiguration fails loudly at
 * start instead of silently exporting nowhere.
 */
export class DriftwatchConfigError extends Error {
  /** The option path (`options.prometheus.port`) or environment variable (`OTEL_EXPORTER_PROMETHEUS_PORT`). */
  readonly setting: string;
  /** The rejected value as given (undefined when it is a secret). */
  readonly value: unknown;

  constructor(setting: string, value: unknown, reason: string, options?: { secret?: boolean }) {
    const shown = options?.secret ? '' : `=${formatValue(value)}`;
    super(`@driftwatch/node: invalid ${setting}${shown}: ${reason}`);
    this.name = 'DriftwatchConfigError';
    this.setting = setting;
    this.value = options?.secret ? undefined : value;
  }
}

function formatValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) return String(value);
  try {
    const s = JSON.stringify(value);
    return s === undefined ? String(value) : s.length > 200 ? `${s.slice(0, 200)}…` : s;
  } catch {
    return Object.prototype.toString.call(value);
  }
}
