// HTTP plumbing shared by the router and the Durable Objects: JSON answers, the one error shape
// `{"error":{"code","message","field"?}}`, reading JSON bodies (strict UTF-8, bounded depth),
// content-type checks, and the mapping from the core's ConnectionError codes
// (pkg/servicenow_connection.d.ts, `ErrorCode`) to HTTP statuses. Error messages on the wire are the
// core's own sentences, which never contain a secret; anything unexpected becomes a generic 500, so
// internal detail stays inside. Body sizes are bounded before anything here reads them
// (middleware/body-limit.js).

import { errorCodes, fieldCodes } from "./core.js";
import { Code, HttpError } from "./errors.js";

/** The methods the forwarding routes accept (and an access key may be limited to). */
export const FORWARD_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"];

/** Largest body of the worker's own API (settings, Generate's and Test's options, keys). */
export const MAX_ADMIN_BODY_BYTES = 64 * 1024;

/**
 * Deepest nesting of a JSON body the worker accepts (the core's own reader stops at the same depth).
 * Its bodies are flat objects; a body nested thousands deep would otherwise overflow the stack of
 * whatever walks it next (the RPC serialisation to the Durable Object does).
 */
export const MAX_JSON_DEPTH = 32;

const NO_STORE = { "cache-control": "no-store" };

export function jsonResponse(status, body, headers = {}) {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", ...NO_STORE, ...headers },
  });
}

export function emptyResponse(status, headers = {}) {
  return new Response(null, { status, headers: { ...NO_STORE, ...headers } });
}

function errorBody(code, message, field) {
  const error = { code, message };
  if (field) error.field = field;
  return { error };
}

// Field-level codes of the core mean the caller's input was wrong.
const FIELD_CODES = new Set(Object.values(fieldCodes));

// Stored data that the configured keys cannot open: an operator problem, not the caller's.
const SEALING_CODES = new Set([
  errorCodes.invalid_sealing_key, errorCodes.malformed_sealed_value, errorCodes.unknown_sealing_key,
  errorCodes.seal_authentication_failed, errorCodes.random_unavailable,
]);

/**
 * The token endpoint refusing a grant's credentials: the client id or secret, client credentials
 * switched off or without an application user, an assertion or its subject, a password — or, as
 * ServiceNow often answers, just `access_denied`. Like a dead refresh token (409
 * `reauthorization_required`), the connection cannot get a token until someone changes its settings
 * or the instance, so these are 409 as well. (The code exchange's refusals are the callback page's.)
 */
export const GRANT_REFUSAL_CODES = new Set([
  errorCodes.client_credentials_disabled,
  errorCodes.application_user_missing,
  errorCodes.assertion_refused,
  errorCodes.unknown_subject,
  errorCodes.password_refused,
  errorCodes.access_denied,
  errorCodes.unauthorized_client,
  errorCodes.unsupported_grant_type,
  errorCodes.invalid_grant,
  errorCodes.invalid_client,
]);

/** The HTTP status for a ConnectionError thrown by the core. */
export function statusForConnectionError(error) {
  const code = error.code;
  if (FIELD_CODES.has(code)) return 400;
  if (code === errorCodes.invalid_config || code === errorCodes.reauthorization_required) return 409;
  if (GRANT_REFUSAL_CODES.has(code) || code === errorCodes.interactive_grant) return 409;
  if (code === errorCodes.rate_limited) return 429;
  if (code === errorCodes.hibernating || SEALING_CODES.has(code)) return 503;
  // The instance or its token endpoint failed or refused: a bad gateway from the caller's view.
  return 502;
}

/** The status `errorResponse` answers `error` with. */
export function statusOf(error) {
  if (error instanceof HttpError) return error.status;
  if (isConnectionError(error)) return statusForConnectionError(error);
  return error?.durableObjectReset === true || error?.retryable === true ? 503 : 500;
}

function isConnectionError(error) {
  return error?.name === "ConnectionError" && typeof error.code === "string";
}

/** Turns anything thrown into a JSON error answer; unknown failures are logged by name only. */
export function errorResponse(error) {
  if (error instanceof HttpError) {
    const body = errorBody(error.code, error.message, error.field);
    if (error.errors) body.errors = error.errors;
    return jsonResponse(error.status, body, error.headers);
  }
  if (isConnectionError(error)) {
    const status = statusForConnectionError(error);
    const body = errorBody(error.code, error.message, error.field);
    if (error.detail) body.error.detail = error.detail;
    if (error.hint) body.error.hint = error.hint;
    if (error.status) body.error.upstreamStatus = error.status;
    if (Array.isArray(error.errors)) body.errors = error.errors;
    const headers = {};
    if (error.retryAfterSeconds !== undefined && error.retryAfterSeconds !== null) {
      body.error.retryAfterSeconds = error.retryAfterSeconds;
      headers["retry-after"] = String(error.retryAfterSeconds);
    }
    return jsonResponse(status, body, headers);
  }
  if (error?.durableObjectReset === true || error?.retryable === true) {
    // The runtime reset the connection's object mid-request (evicted, restarted, overloaded). Its
    // storage holds either all of a change or none of it, so the caller can simply try again.
    console.error(JSON.stringify({ event: "connection_interrupted", name: error.name ?? typeof error }));
    return jsonResponse(503, errorBody(Code.CONNECTION_INTERRUPTED,
      "The connection was interrupted while handling this request; what it had stored is intact. Try again."),
    { "retry-after": "1" });
  }
  // Only the name: a message of an unexpected error could quote data it was handling.
  console.error(JSON.stringify({ event: "internal_error", name: error?.name ?? typeof error }));
  return jsonResponse(500, errorBody(Code.INTERNAL_ERROR, "The worker failed to handle this request."));
}

/** Whether the Content-Type header names JSON (`application/json`, any parameters). */
export function isJsonContentType(value) {
  if (!value) return false;
  const media = value.split(";")[0].trim().toLowerCase();
  return media === "application/json";
}

/**
 * Reads a JSON object body. `optional` lets an empty body stand for `{}` (for POST routes whose
 * options are all optional); a non-empty body must still be declared as JSON.
 */
export async function readJsonObject(request, { optional = false } = {}) {
  const bytes = new Uint8Array(await request.arrayBuffer());
  if (bytes.byteLength === 0 && optional) return {};
  if (!isJsonContentType(request.headers.get("content-type"))) {
    throw new HttpError(415, Code.UNSUPPORTED_MEDIA_TYPE, "The request body must be JSON (Content-Type: application/json).");
  }
  let value;
  try {
    const text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    if (nestingExceeds(text, MAX_JSON_DEPTH)) {
      throw new HttpError(400, Code.INVALID_JSON, `The request body is nested too deeply (at most ${MAX_JSON_DEPTH} levels).`);
    }
    value = JSON.parse(text, checkJsonValue);
  } catch (error) {
    if (error instanceof HttpError) throw error;
    throw new HttpError(400, Code.INVALID_JSON, "The request body is not valid JSON.");
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new HttpError(400, Code.INVALID_JSON, "The request body must be a JSON object.");
  }
  return value;
}

/** Whether brackets outside strings nest deeper than `limit`; a linear scan that recurses into nothing. */
function nestingExceeds(text, limit) {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i += 1;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x7b || c === 0x5b) {
      depth += 1;
      if (depth > limit) return true;
    } else if (c === 0x7d || c === 0x5d) {
      depth -= 1;
    }
  }
  return false;
}

/**
 * JSON.parse reviver: RFC 8259 §8.2 leaves strings with lone surrogate escapes (`"\ud800"`) to each
 * reader, and the core replaces them, so what would be stored differs from what is used; and a number
 * too large for a double (`1e400`) would be stored as Infinity and read back as null. Both are refused.
 */
function checkJsonValue(key, value) {
  if (!key.isWellFormed() || (typeof value === "string" && !value.isWellFormed())) {
    throw new HttpError(400, Code.INVALID_JSON, "Strings in the request body must be valid Unicode (no lone surrogate escapes).");
  }
  if (typeof value === "number" && !Number.isFinite(value)) {
    throw new HttpError(400, Code.INVALID_JSON, "Numbers in the request body must be finite.");
  }
  return value;
}
