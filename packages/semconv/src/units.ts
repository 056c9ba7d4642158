/** UCUM units used on Driftwatch instruments. */
export const UNIT_SECONDS = 's' as const;
export const UNIT_TOKENS = '{token}' as const;
export const UNIT_USD = 'USD' as const;
export const UNIT_CALLS = '{call}' as const;
export const UNIT_RETRIES = '{retry}' as const;
export const UNIT_REQUESTS = '{request}' as const;
export const UNIT_RATIO = '1' as const;
export const UNIT_BYTES = 'By' as const;
export const UNIT_ENTRIES = '{entry}' as const;
export const UNIT_ATTEMPTS = '{attempt}' as const;
/** A dimensionless count whose thing varies by series (rate-limit headroom in requests or tokens). */
export const UNIT_COUNT = '{count}' as const;
export const UNIT_RESOLUTIONS = '{resolution}' as const;
export const UNIT_PUTS = '{put}' as const;
export const UNIT_EVICTIONS = '{eviction}' as const;
