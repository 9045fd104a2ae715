// Keeps one connection's OAuth tokens usable: renews them before use when the core's policy says
// `refresh_due` or `expired`, and after the instance refused an access token with 401 (RFC 6750
// §3.1: invalid_token). Renewing is the core's `renewTokens`: the refresh grant while a refresh token
// lives (authorization code, password), otherwise the grant itself again for the unattended grants
// (client credentials, JWT bearer, password); a connection of an unattended grant that has no token
// yet gets one the same way (`requestTokens`) on its first use, so it never needs a person.
// Runs inside the connection's Durable Object, the only place its tokens live, so single-flight is
// an in-memory promise: every request that needs new tokens while a renewal is running waits for
// that one, and N concurrent requests cost exactly one call to the token endpoint, whatever the grant.
// The new set is stored (sealed) before the promise resolves, so nobody uses a token that is not yet
// persisted. Passing failures (5xx, network, timeouts, rate limits: the core's `error.retryable`) are
// retried with bounded exponential backoff and jitter and keep the old tokens. A refusal — the
// authorization-code grant's refresh token dead (the core's `reauthorization_required`, e.g.
// ServiceNow's 401 access_denied), or an unattended grant's credentials the instance refuses (client
// credentials switched off or without an application user, an assertion or subject refused, a
// password refused, a client secret refused, or ServiceNow's plain access_denied) — marks the connection as needing re-authorization and clears its tokens; it is
// not tried again by itself (a refused password tried on every request would lock the user out), only
// after the settings are saved again or Generate is clicked. (A password-grant refresh token the
// instance no longer accepts is followed by one new password grant: the core's `renewTokens` does
// that itself.)
// Retries happen only within the connection's time limit (`timeoutMs`) from the first attempt, so
// an endpoint that times out is not waited for four times over: a renewal ends within about twice
// the time limit plus one backoff delay, whatever the token endpoint does.

import { REFRESH_ATTEMPTS, retryDelay } from "../backoff.js";
import { errorCodes, tokenStatus } from "../core.js";
import { HttpError } from "../errors.js";
import { GRANT_REFUSAL_CODES } from "../http.js";
import { INTERACTIVE } from "../token-view.js";

/** Whether `error` is a refusal that marks the connection (see the module's comment). */
function isRefusal(error, grantType) {
  const code = error?.code;
  return code === errorCodes.reauthorization_required || (grantType !== INTERACTIVE && GRANT_REFUSAL_CODES.has(code));
}

/** What the connection keeps as the reason: the core's message and, when it knows one, its hint. */
export function refusalReason(error) {
  return error?.hint ? `${error.message} ${error.hint}` : error?.message;
}

export function reauthorizationRequired(message) {
  return new HttpError(409, errorCodes.reauthorization_required,
    message || "Re-authorization required: click Generate to get a new access token.");
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export class TokenKeeper {
  #host;
  #inFlight = null;

  /**
   * `host` is the connection: `load()` -> {connection (the core's), grantType, tokens, tokenState,
   * generation, timeoutMs}, `storeRenewed(tokens, loaded, {granted, replace})` (`loaded`: what the
   * renewal started from; `granted`: the tokens come from the grant itself, not from a refresh;
   * `replace`: Generate asked for them) and
   * `markReauthorizationRequired(reason, generation, code)`.
   */
  constructor(host) {
    this.#host = host;
  }

  /**
   * Tokens to send now. With `rejected` (the access token the instance just refused), a renewal is
   * forced unless another request already replaced that token. `loaded`: the host's `load()` result
   * the caller already has.
   */
  async usable({ rejected, loaded } = {}) {
    // A caller that has just loaded the connection passes what it read; a retry reads afresh.
    const { tokens, tokenState, generation, grantType } = loaded ?? (await this.#host.load());
    if (!tokens) {
      // An unattended grant asks for its first token itself, unless the instance refused it already.
      if (grantType === INTERACTIVE || tokenState?.state === "reauthorization_required") {
        throw reauthorizationRequired(noTokenReason(tokenState));
      }
      return this.renew();
    }
    if (rejected !== undefined && tokens.accessToken !== rejected) return tokens;
    const status = tokenStatus(tokens, Date.now());
    if (rejected === undefined && status === "fresh") return tokens;
    if (status === "reauthorize") {
      const reason = "The access token has expired and cannot be refreshed: re-authorization required. Click Generate.";
      await this.#host.markReauthorizationRequired(reason, generation, errorCodes.reauthorization_required);
      throw reauthorizationRequired(reason);
    }
    try {
      return await this.renew();
    } catch (error) {
      // Renewing ahead of time failed for a passing reason: the current token still works.
      if (rejected === undefined && status === "refresh_due" && error?.retryable === true) return tokens;
      throw error;
    }
  }

  /**
   * Renews now, joining a renewal that is already running. `replace`: obtain a new token by the grant
   * itself even though the stored one may be fine (Generate of an unattended grant).
   */
  renew({ replace = false } = {}) {
    this.#inFlight ??= this.#renewWithRetries(replace).finally(() => {
      this.#inFlight = null;
    });
    return this.#inFlight;
  }

  async #renewWithRetries(replace) {
    const { connection, grantType, tokens, tokenState, generation, timeoutMs } = await this.#host.load();
    if (grantType === INTERACTIVE && !tokens) throw reauthorizationRequired(noTokenReason(tokenState));
    const fresh = !tokens || (replace && grantType !== INTERACTIVE);
    const obtain = fresh ? () => connection.requestTokens() : () => connection.renewTokens(tokens);
    // Whether the tokens will come from the grant itself rather than from a refresh (the core says
    // which way `renewTokens` goes). A password grant run after its refresh token was refused counts
    // as a refresh here: the same user, from the same settings.
    const granted = fresh || !connection.renewsByRefresh(tokens);
    const started = Date.now();
    let renewed;
    for (let attempt = 0; ; attempt += 1) {
      try {
        renewed = await obtain();
        break;
      } catch (error) {
        if (isRefusal(error, grantType)) {
          await this.#host.markReauthorizationRequired(refusalReason(error), generation, error.code);
          throw error;
        }
        if (error?.retryable !== true || attempt + 1 >= REFRESH_ATTEMPTS) throw error;
        const delay = retryDelay(attempt, error.retryAfterSeconds);
        if (delay === null || Date.now() - started + delay >= timeoutMs) throw error;
        console.warn(JSON.stringify({ event: "token_refresh_retry", attempt: attempt + 1, code: error.code }));
        await sleep(delay);
      }
    }
    // A token from the grant itself (a first token, a replaced one, one of an unattended grant whose
    // token was due) has its user read again; a refreshed one acts for the user of the grant it came
    // from.
    await this.#host.storeRenewed(renewed, { connection, grantType, generation, timeoutMs }, { granted, replace });
    return renewed;
  }
}

function noTokenReason(tokenState) {
  if (tokenState?.state === "reauthorization_required" && tokenState.reason) return tokenState.reason;
  return "This connection has no access token yet: click Generate to authorize it.";
}
