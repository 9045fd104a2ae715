// The worker's own error codes — those of its HTTP API, storage, OAuth callback, forwarding and
// access keys, which the core does not define — each defined once here, and the error the worker
// answers with (`HttpError`: status, code, message, and the field it concerns). The core's codes
// (invalid_config, reauthorization_required, timeout, …) come from the package, never from here.

export const Code = Object.freeze({
  // Routes and requests.
  NOT_FOUND: "not_found",
  METHOD_NOT_ALLOWED: "method_not_allowed",
  UNAUTHORIZED: "unauthorized",
  ORIGIN_NOT_ALLOWED: "origin_not_allowed",
  INVALID_CONNECTION_ID: "invalid_connection_id",
  BODY_TOO_LARGE: "body_too_large",
  UNSUPPORTED_MEDIA_TYPE: "unsupported_media_type",
  INVALID_JSON: "invalid_json",
  UNKNOWN_FIELD: "unknown_field",
  NOT_ALLOWED: "not_allowed",
  INTERNAL_ERROR: "internal_error",
  // The worker's configuration.
  ADMIN_TOKEN_NOT_CONFIGURED: "admin_token_not_configured",
  ADMIN_TOKEN_TOO_SHORT: "admin_token_too_short",
  SEALING_KEY_NOT_CONFIGURED: "sealing_key_not_configured",
  SEALING_KEY_INVALID: "sealing_key_invalid",
  PUBLIC_URL_NOT_CONFIGURED: "public_url_not_configured",
  PUBLIC_URL_INVALID: "public_url_invalid",
  FORWARD_BODY_LIMIT_INVALID: "forward_body_limit_invalid",
  // A connection and its storage.
  CONNECTION_NOT_FOUND: "connection_not_found",
  CONNECTION_EXISTS: "connection_exists",
  CONNECTION_INTERRUPTED: "connection_interrupted",
  CONNECTION_CHANGED: "connection_changed",
  NOT_OAUTH2: "not_oauth2",
  TOKENS_CHANGED: "tokens_changed",
  TOKEN_STORE_FAILED: "token_store_failed",
  // The OAuth callback.
  OK: "ok",
  MISSING_STATE: "missing_state",
  UNKNOWN_STATE: "unknown_state",
  INVALID_CALLBACK: "invalid_callback",
  STATE_EXPIRED: "state_expired",
  STATE_ALREADY_USED: "state_already_used",
  ACCESS_DENIED: "access_denied",
  AUTHORIZATION_FAILED: "authorization_failed",
  SETTINGS_CHANGED: "settings_changed",
  ISSUER_MISMATCH: "issuer_mismatch",
  TOKEN_EXCHANGE_FAILED: "token_exchange_failed",
  // Forwarding.
  UNEXPECTED_REDIRECT: "unexpected_redirect",
  // Access keys.
  INVALID_KEY_REQUEST: "invalid_key_request",
  KEY_NOT_FOUND: "key_not_found",
  TOO_MANY_KEYS: "too_many_keys",
  KEY_METHOD_NOT_ALLOWED: "key_method_not_allowed",
  KEY_PATH_NOT_ALLOWED: "key_path_not_allowed",
  ADMIN_ONLY: "admin_only",
  INVALID_CURSOR: "invalid_cursor",
  INVALID_AUDIT_QUERY: "invalid_audit_query",
});

/** An error the worker answers with, as it is. */
export class HttpError extends Error {
  constructor(status, code, message, { field, errors, headers } = {}) {
    super(message);
    this.name = "HttpError";
    this.status = status;
    this.code = code;
    this.field = field;
    this.errors = errors;
    this.headers = headers;
  }
}
