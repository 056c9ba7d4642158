/** Stable OpenTelemetry attribute names (general registry) that Driftwatch sets. */
export const ATTR_ERROR_TYPE = 'error.type' as const;
/** Development-stability `error.message`; we truncate and redact it before setting it. */
export const ATTR_ERROR_MESSAGE = 'error.message' as const;
export const ATTR_SERVER_ADDRESS = 'server.address' as const;
export const ATTR_SERVER_PORT = 'server.port' as const;
export const ATTR_CODE_FUNCTION_NAME = 'code.function.name' as const;
/** Set on the overflow series when a cardinality limit is reached (OTel SDK convention). */
export const ATTR_OTEL_METRIC_OVERFLOW = 'otel.metric.overflow' as const;
/** The fallback `error.type` value when nothing more specific is known. */
export const ERROR_TYPE_VALUE_OTHER = '_OTHER' as const;
/** Log-record attribute naming the event (OTel Events convention). */
export const ATTR_EVENT_NAME = 'event.name' as const;
/** Stable HTTP attribute: the response status code (on retry events, of the attempt that failed). */
export const ATTR_HTTP_RESPONSE_STATUS_CODE = 'http.response.status_code' as const;
/** Resource attribute naming the service. */
export const ATTR_SERVICE_NAME = 'service.name' as const;
