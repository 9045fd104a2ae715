// Keeps one connection's OAuth tokens usable: refreshes them before use when the core's policy says
// `refresh_due` or `expired`, and after the instance refused an access token with 401 (RFC 6750
// §3.1: invalid_token). Runs inside the connection's Durable Object, the only place its tokens live,
// so single-flight is an in-memory promise: every request that needs a refresh while one is running
// waits for that one, and N concurrent requests cost exactly one call to the token endpoint.
// The refreshed set is stored (sealed) before the promise resolves, so nobody uses a token that is
// not yet persisted. Passing failures (5xx, network, timeouts, rate limits: the core's
// `error.retryable`) are retried with bounded exponential backoff and jitter and keep the old
// tokens; a refusal of the refresh grant (the core's `reauthorization_required`, e.g. ServiceNow's
// 401 access_denied) marks the connection as needing re-authorization and clears its tokens.
// Retries happen only within the connection's time limit (`timeoutMs`) from the first attempt, so
// an endpoint that times out is not waited for four times over: a refresh ends within about twice
// the time limit plus one backoff delay, whatever the token endpoint does.

import { REFRESH_ATTEMPTS, retryDelay } from "../backoff.js";
import { errorCodes, tokenStatus } from "../core.js";
import { HttpError } from "../errors.js";

export function reauthorizationRequired(message) {
  return new HttpError(409, errorCodes.reauthorization_required,
    message || "Re-authorization required: click Generate to get a new access token.");
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export class TokenKeeper {
  #host;
  #inFlight = null;

  /**
   * `host` is the connection: `load()` -> {connection (the core's), tokens, tokenState, generation, timeoutMs},
   * `storeRefreshed(tokens, generation)` and `markReauthorizationRequired(reason, generation)`.
   */
  constructor(host) {
    this.#host = host;
  }

  /**
   * Tokens to send now. With `rejected` (the access token the instance just refused), a refresh is
   * forced unless another request already replaced that token. `loaded`: the host's `load()` result
   * the caller already has.
   */
  async usable({ rejected, loaded } = {}) {
    // A caller that has just loaded the connection passes what it read; a retry reads afresh.
    const { tokens, tokenState, generation } = loaded ?? (await this.#host.load());
    if (!tokens) throw reauthorizationRequired(noTokenReason(tokenState));
    if (rejected !== undefined && tokens.accessToken !== rejected) return tokens;
    const status = tokenStatus(tokens, Date.now());
    if (rejected === undefined && status === "fresh") return tokens;
    if (status === "reauthorize") {
      const reason = "The access token has expired and cannot be refreshed: re-authorization required. Click Generate.";
      await this.#host.markReauthorizationRequired(reason, generation);
      throw reauthorizationRequired(reason);
    }
    try {
      return await this.refresh();
    } catch (error) {
      // Refreshing ahead of time failed for a passing reason: the current token still works.
      if (rejected === undefined && status === "refresh_due" && error?.retryable === true) return tokens;
      throw error;
    }
  }

  /** Refreshes now, joining a refresh that is already running. */
  refresh() {
    this.#inFlight ??= this.#refreshWithRetries().finally(() => {
      this.#inFlight = null;
    });
    return this.#inFlight;
  }

  async #refreshWithRetries() {
    const { connection, tokens, tokenState, generation, timeoutMs } = await this.#host.load();
    if (!tokens) throw reauthorizationRequired(noTokenReason(tokenState));
    const started = Date.now();
    let refreshed;
    for (let attempt = 0; ; attempt += 1) {
      try {
        refreshed = await connection.refreshTokens(tokens);
        break;
      } catch (error) {
        if (error?.code === errorCodes.reauthorization_required) {
          await this.#host.markReauthorizationRequired(error.message, generation);
          throw error;
        }
        if (error?.retryable !== true || attempt + 1 >= REFRESH_ATTEMPTS) throw error;
        const delay = retryDelay(attempt, error.retryAfterSeconds);
        if (delay === null || Date.now() - started + delay >= timeoutMs) throw error;
        console.warn(JSON.stringify({ event: "token_refresh_retry", attempt: attempt + 1, code: error.code }));
        await sleep(delay);
      }
    }
    await this.#host.storeRefreshed(refreshed, generation);
    return refreshed;
  }
}

function noTokenReason(tokenState) {
  if (tokenState?.state === "reauthorization_required" && tokenState.reason) return tokenState.reason;
  return "This connection has no access token yet: click Generate to authorize it.";
}
