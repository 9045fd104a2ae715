// The worker's HTTP API as the page uses it (the routes and JSON shapes are documented in
// docs/worker.md). Every call sends the admin token as a
// Bearer token, asks for JSON and never caches. Failures become ApiError with the worker's error
// shape `{"error":{"code","message","field"?},"errors"?:[...]}` unpacked, so callers can put field
// errors next to their fields and show everything else as a message. Nothing here logs: request
// bodies carry secrets.

import { setWorkerInfo } from "./worker-info.js";

/** An answer that was not a success, or no answer at all (status 0). */
export class ApiError extends Error {
  constructor(status, { code, message, field, errors, hint } = {}) {
    super(message || `The worker answered with HTTP ${status}.`);
    this.name = "ApiError";
    this.status = status;
    this.code = code ?? (status === 0 ? "network_error" : "http_error");
    this.field = field;
    // What to check or change, when the instance's refusal has a known cause.
    this.hint = typeof hint === "string" ? hint : undefined;
    this.errors = Array.isArray(errors) ? errors : [];
  }

  /** The admin token is missing, wrong, or the admin API is switched off. */
  get isAdminProblem() {
    return this.status === 401 || (this.status === 503 && this.code.startsWith("admin_token"));
  }
}

/**
 * `getToken()` returns the admin token or null. `onAdminProblem(error)` is told about every 401/503
 * of the admin API, so the page can ask for the token again wherever the call came from.
 */
export function createApi({ getToken, onAdminProblem = () => {} }) {
  async function call(method, path, body, extraHeaders = {}) {
    const headers = { accept: "application/json", ...extraHeaders };
    const token = getToken();
    if (token) headers.authorization = `Bearer ${token}`;
    const init = { method, headers, cache: "no-store", credentials: "omit", redirect: "error" };
    if (body !== undefined) {
      headers["content-type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(path, init);
    } catch {
      throw new ApiError(0, { message: "The worker could not be reached. Check your network and try again." });
    }
    if (response.status === 204) return null;
    const text = await response.text();
    let json = null;
    try {
      json = text === "" ? null : JSON.parse(text);
    } catch {
      // Not JSON: a proxy's error page, for instance. The status still says what happened.
    }
    if (response.ok) return json;
    const error = new ApiError(response.status, { ...(json?.error ?? {}), errors: json?.errors });
    if (error.isAdminProblem) onAdminProblem(error);
    throw error;
  }

  const path = (id, tail = "") => `/api/connections/${encodeURIComponent(id)}${tail}`;

  return {
    /**
     * `[{id, name, authType, baseUrl, instanceUrl, token, lastTest, updatedAt}]`, sorted by id; the worker's
     * own settings that forms need (`worker` member) are recorded in worker-info.js.
     */
    async list() {
      const answer = await call("GET", "/api/connections");
      setWorkerInfo(answer.worker);
      return answer.connections;
    },
    /** The masked view of one connection; secrets are `{set: boolean}`. */
    get: (id) => call("GET", path(id)),
    /** Creates or replaces; only secrets present in `body` are changed. Answers the new view. */
    save: (id, body) => call("PUT", path(id), body),
    /** Creates only: a 412 `connection_exists` when the id is taken (If-None-Match: *). */
    create: (id, body) => call("PUT", path(id), body, { "if-none-match": "*" }),
    remove: (id) => call("DELETE", path(id)),
    /**
     * Generate: `{grantType: "authorization_code", authorizationUrl, expiresAt, callbackUrl}`, or for an
     * unattended grant `{grantType, obtained: true, token}` (the token is already stored).
     */
    generate: (id) => call("POST", path(id, "/oauth/generate")),
    /** Reset: clears the tokens; answers the new view. */
    resetToken: (id) => call("DELETE", path(id, "/token")),
    /**
     * Test Connection of the saved settings (the one that counts as the connection's last test): a
     * TestResult `{ok, code, status?, message, hint?, retryAfterSeconds?, elapsedMs, tested: "stored"}`.
     */
    test: (id) => call("POST", path(id, "/test")),
    /**
     * Test Connection of settings as typed (the PUT body's shape; secrets left out use the stored
     * ones). Nothing is stored, not even for an id that does not exist yet. `tested: "typed"`; 422
     * field errors as for saving.
     */
    testSettings: (id, settings) => call("POST", path(id, "/test"), { settings }),
    /** The connection's access keys, newest first: `[{id, name, methods, paths, createdAt, expiresAt, lastUsedAt}]`. */
    async listKeys(id) {
      return (await call("GET", path(id, "/keys"))).keys;
    },
    /** Creates a key from `{name, methods, paths, expiresAt}`; the answer's `key` is shown this once. */
    createKey: (id, body) => call("POST", path(id, "/keys"), body),
    revokeKey: (id, keyId) => call("DELETE", path(id, `/keys/${encodeURIComponent(keyId)}`)),
    /** One page of the audit trail: `{log, entries, nextCursor}`, newest first. */
    audit(id, { log, cursor = null, limit = 50 }) {
      const query = new URLSearchParams({ log, limit: String(limit) });
      if (cursor !== null) query.set("cursor", cursor);
      return call("GET", path(id, `/audit?${query}`));
    },
  };
}
