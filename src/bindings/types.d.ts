
/** Settings of one connection, as entered. Secrets (`password`, `clientSecret`) are only read, never returned. */
export interface ConnectionSettings {
  /** Instance plus REST API path, e.g. `https://dev8954.service-now.com/api/now/v2`. */
  baseUrl: string;
  authType: "basic" | "oauth2";
  username?: string;
  password?: string;
  clientId?: string;
  clientSecret?: string;
  /** Defaults to `<instance>/oauth_auth.do`. */
  authorizationUrl?: string;
  /** Defaults to `<instance>/oauth_token.do`. */
  tokenUrl?: string;
  /** `client_secret_post` (default: ID and secret in the form body) or `client_secret_basic` (RFC 6749 §2.3.1). */
  clientAuthentication?: ClientAuthentication;
  /** Refresh-token lifetime of the Application Registry record, in seconds (default 8,640,000 = 100 days). */
  refreshTokenLifetimeSeconds?: number;
  /** Time limit for one request to the instance, 1,000 to 120,000 ms (default 15,000). */
  timeoutMs?: number;
  /** Accept `http:` URLs on loopback hosts (127.0.0.0/8, ::1, localhost). For local development only. */
  allowInsecureLoopback?: boolean;
}

export type ClientAuthentication = "client_secret_post" | "client_secret_basic";

export interface ValidateOptions {
  /** Secrets already stored elsewhere: their absence is not an error. */
  storedSecrets?: Array<"password" | "clientSecret">;
}

/** The validated settings without secrets. */
export interface NormalizedConfig {
  baseUrl: string;
  instanceUrl: string;
  apiPath: "/api/now" | "/api/now/v1" | "/api/now/v2";
  apiVersion: "latest" | "v1" | "v2";
  authType: "basic" | "oauth2";
  username?: string;
  clientId?: string;
  authorizationUrl?: string;
  tokenUrl?: string;
  clientAuthentication?: ClientAuthentication;
  refreshTokenLifetimeSeconds?: number;
  timeoutMs: number;
  allowInsecureLoopback: boolean;
}

export type FieldErrorCode =
  | "required" | "too_long" | "control_character" | "invalid_type" | "invalid_url" | "insecure_scheme"
  | "unsupported_scheme" | "userinfo_not_allowed" | "query_not_allowed" | "fragment_not_allowed"
  | "invalid_host" | "invalid_port" | "invalid_api_path" | "invalid_auth_type" | "username_contains_colon"
  | "invalid_client_authentication" | "out_of_range" | "invalid_scope" | "invalid_code_verifier"
  | "invalid_api_request_path" | "duplicate_parameter" | "invalid_state_prefix";

export interface FieldError {
  /** The input field's name, e.g. `baseUrl`. */
  field: string;
  code: FieldErrorCode;
  /** A sentence starting with the field's label. */
  message: string;
}

export interface ValidationResult {
  ok: boolean;
  errors: FieldError[];
  config?: NormalizedConfig;
}

export type ErrorCode =
  | FieldErrorCode
  | "invalid_config" | "invalid_request" | "invalid_client" | "invalid_grant" | "unauthorized_client"
  | "unsupported_grant_type" | "invalid_scope" | "access_denied" | "reauthorization_required"
  | "rate_limited" | "token_endpoint_unavailable" | "hibernating" | "network_error" | "timeout"
  | "invalid_token_response" | "unexpected_response" | "invalid_sealing_key" | "malformed_sealed_value"
  | "unknown_sealing_key" | "seal_authentication_failed" | "random_unavailable";

/** What every function of this package throws (or rejects with). */
export interface ConnectionError extends Error {
  name: "ConnectionError";
  code: ErrorCode;
  /** Whether trying again later, unchanged, can succeed. */
  retryable: boolean;
  field?: string;
  status?: number;
  detail?: string;
  retryAfterSeconds?: number;
  /** For `invalid_config`: every field error. */
  errors?: FieldError[];
}

export interface AuthorizationOptions {
  /** Absolute https URL of the callback (loopback http with `allowInsecureLoopback`). */
  redirectUri: string;
  scope?: string;
  /** Routing label for servers with many connections: the state becomes `<statePrefix>.<random>`. */
  statePrefix?: string;
}

export interface AuthorizationRequest {
  /** Open this in the user's browser. */
  url: string;
  /** Keep it; compare it with the callback's `state`. */
  state: string;
  /** Keep it secret until the code exchange. */
  codeVerifier: string;
}

export interface CodeGrant {
  code: string;
  redirectUri: string;
  codeVerifier: string;
}

/** Tokens; times are milliseconds since the Unix epoch. */
export interface TokenSet {
  accessToken: string;
  refreshToken: string | null;
  tokenType: "Bearer";
  scope: string | null;
  issuedAt: number;
  expiresAt: number | null;
  /** When the refresh token dies: set at the first issue, kept across refreshes. */
  refreshExpiresAt: number | null;
}

/** A token set's times without its secrets: enough for `tokenStatus` and `tokenSummary`. */
export interface TokenTimes {
  issuedAt: number;
  expiresAt: number | null;
  refreshExpiresAt: number | null;
  hasRefreshToken: boolean;
}

export type TokenStatus = "fresh" | "refresh_due" | "expired" | "reauthorize";

export interface TokenSummary {
  status: TokenStatus;
  expiresAt: number | null;
  refreshExpiresAt: number | null;
  accessExpiresInSeconds: number | null;
  refreshExpiresInSeconds: number | null;
  /** The refresh token dies within 7 days. */
  refreshExpiringSoon: boolean;
}

export type TestCode =
  | "ok" | "unauthorized" | "forbidden" | "not_found" | "hibernating" | "rate_limited" | "unreachable"
  | "server_error" | "unexpected_response" | "reauthorization_required" | "invalid_config";

export interface TestResult {
  ok: boolean;
  code: TestCode;
  status?: number;
  message: string;
  hint?: string;
  retryAfterSeconds?: number;
  /** Wall time of the test, in milliseconds. */
  elapsedMs: number;
}

export type CallbackResult =
  | { kind: "code"; code: string; state: string; issuer?: string }
  | { kind: "error"; error: string; errorDescription?: string; state?: string };

/** A request built by the core, for the platform's `fetch` (or any HTTP client) to send. */
export interface HttpRequestData {
  url: string;
  method: "GET" | "POST";
  headers: Array<[string, string]>;
  body: string | null;
  /** Abort after this many milliseconds. */
  timeoutMs: number;
}

/**
 * What came back: the status, the headers the core reads (lower-case names: `content-type`,
 * `retry-after`, `x-ratelimit-reset`) and the body; or why nothing came back.
 */
export type HttpResponseData =
  | { status: number; headers: Record<string, string>; body: Uint8Array | string }
  | { transportError: "network" | "timeout" };

/** `testConnectionRequest`'s answer: a request to send, or the result when there is nothing to send. */
export type TestConnectionStart = { request: HttpRequestData } | { result: TestResult };
