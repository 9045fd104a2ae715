// The authorization-code flow of one connection (RFC 6749 §4.1 with PKCE S256, RFC 7636): Generate
// makes the authorization request (the core builds it; the worker tags its state, oauth-state.js) and
// keeps a pending record — the SHA-256 of the state, the sealed code verifier, the redirect URI, the
// settings' fingerprint and the origin of the page that asked (the callback page reports to that page
// only) — for 10 minutes, single use; the callback finds that record, checks it is unused, unexpired
// and still for the same settings, exchanges the code, stores the tokens and reads which ServiceNow
// user they act as (token-user.js). Only the hash of a state is stored, so the storage never holds a
// value that completes an authorization.

import { errorCodes, fieldCodes } from "../core.js";
import { Code, HttpError } from "../errors.js";
import { tagState, withState } from "../oauth-state.js";
import { fingerprintOf, sameFingerprint } from "./settings.js";
import { RECORD } from "./store.js";
import { storeIssuedTokens } from "./token-records.js";
import { readTokenUser, recordTokenUser } from "./token-user.js";

/** An authorization request may be completed for 10 minutes, once. */
export const STATE_TTL_MS = 10 * 60 * 1000;
const MAX_PENDING = 10;

export class AuthorizationFlow {
  #store;
  #opened;
  #env;
  // States being completed right now: a second callback with the same state must not slip in while
  // the first one is still reading storage.
  #consuming = new Set();

  constructor(store, opened, env) {
    this.#store = store;
    this.#opened = opened;
    this.#env = env;
  }

  /**
   * `{authorizationUrl, expiresAt, callbackUrl}` for an OAuth 2.0 connection. `openerOrigin`: the
   * Origin of the request (a page of an allowed origin), or null.
   */
  async generate({ scope }, { callbackUrl, openerOrigin = null }) {
    const config = await this.#store.requireConfig();
    if (config.settings.authType !== "oauth2") {
      throw new HttpError(409, Code.NOT_OAUTH2, "Generate is for OAuth 2.0 connections; this one uses Basic authentication.");
    }
    if (scope !== undefined && typeof scope !== "string") {
      throw new HttpError(400, fieldCodes.invalid_type, "scope must be a string.", { field: "scope" });
    }
    const { connection } = await this.#opened.prepare(config);
    const request = connection.authorizationRequest({
      redirectUri: callbackUrl,
      statePrefix: this.#store.id,
      ...(scope ? { scope } : {}),
    });
    const state = await tagState(this.#env, request.state);
    const now = Date.now();
    const pending = {
      verifier: this.#store.seal("codeVerifier", request.codeVerifier),
      redirectUri: callbackUrl,
      fingerprint: fingerprintOf(connection.config),
      ...(typeof openerOrigin === "string" ? { openerOrigin } : {}),
      createdAt: now,
      expiresAt: now + STATE_TTL_MS,
    };
    await this.#store.commit({
      put: { [RECORD.PENDING_PREFIX + (await sha256Hex(state))]: pending },
      remove: await this.#prunable(now),
    });
    return {
      authorizationUrl: withState(request.url, request.state, state),
      expiresAt: pending.expiresAt,
      callbackUrl,
    };
  }

  /**
   * Completes an authorization started by `generate`. `callback` is the core's parseCallback result.
   * Answers `{ok, status, code, message, changed, openerOrigin}` for the callback page (`changed`:
   * tokens were stored; `openerOrigin`: the origin of the page that clicked Generate, null when not
   * known); never echoes values from the query except the instance's own error code and description.
   */
  async complete(callback) {
    const stateKey = RECORD.PENDING_PREFIX + (await sha256Hex(callback.state));
    if (this.#consuming.has(stateKey)) return stateUsed();
    this.#consuming.add(stateKey);
    try {
      return await this.#complete(callback, stateKey);
    } finally {
      this.#consuming.delete(stateKey);
    }
  }

  async #complete(callback, stateKey) {
    const config = await this.#store.config();
    const pending = config ? await this.#store.get(stateKey) : undefined;
    if (!config || !pending) {
      return outcome(400, Code.UNKNOWN_STATE,
        "This authorization request is not known to this connection (it was never started here, or the connection changed since). No token was stored. Click Generate to try again.");
    }
    return { ...(await this.#completeKnown(callback, stateKey, config, pending)), openerOrigin: pending.openerOrigin ?? null };
  }

  /** The rest of `complete`, for a state this connection issued. */
  async #completeKnown(callback, stateKey, config, pending) {
    if (pending.usedAt) return stateUsed();
    const now = Date.now();
    if (now >= pending.expiresAt) {
      await this.#store.commit({ remove: [stateKey] });
      return outcome(400, Code.STATE_EXPIRED,
        "This authorization request has expired (they are valid for 10 minutes). No token was stored. Click Generate to try again.");
    }
    // Single use from here on, whatever happens next.
    await this.#store.commit({ put: { [stateKey]: { ...pending, verifier: null, usedAt: now } } });

    if (callback.kind === "error") {
      if (callback.error === "access_denied") {
        return outcome(403, Code.ACCESS_DENIED,
          "Access was denied at the instance (the request was declined or the login failed). No token was stored.");
      }
      const description = callback.errorDescription ? `: ${callback.errorDescription}` : "";
      return outcome(502, Code.AUTHORIZATION_FAILED,
        `The instance refused the authorization (${callback.error}${description}). No token was stored.`);
    }

    const { connection } = await this.#opened.prepare(config);
    if (!sameFingerprint(fingerprintOf(connection.config), pending.fingerprint)) {
      return outcome(409, Code.SETTINGS_CHANGED,
        "The connection's settings changed after Generate was clicked. No token was stored. Click Generate again.");
    }
    if (callback.issuer !== undefined && !connection.issuerMatches(callback.issuer)) {
      return outcome(400, Code.ISSUER_MISMATCH,
        "The answer names another authorization server than this connection's instance. No token was stored.");
    }
    const codeVerifier = this.#store.open("codeVerifier", pending.verifier);
    let tokens;
    try {
      tokens = await connection.exchangeCode({ code: callback.code, redirectUri: pending.redirectUri, codeVerifier });
    } catch (error) {
      return outcome(error?.code === errorCodes.invalid_config ? 409 : 502, error?.code ?? Code.TOKEN_EXCHANGE_FAILED,
        `The instance did not issue a token: ${error?.message ?? "the token request failed."}`);
    }
    // The exchange went over the network: re-check that the connection is still the same one.
    const current = await this.#store.config();
    if (!current || !sameFingerprint(current.fingerprint, pending.fingerprint)) {
      return outcome(409, Code.SETTINGS_CHANGED,
        "The connection was changed or deleted while the token was being fetched. No token was stored.");
    }
    const stored = await storeIssuedTokens(this.#store, current, tokens, { keep: stateKey });
    // After the tokens are safe: a slow or refusing instance only leaves the user unknown.
    await recordTokenUser(this.#store, stored.generation, await readTokenUser(connection, tokens, connection.config.timeoutMs));
    return { ok: true, status: 200, code: Code.OK, message: "Access token received and successfully generated.", changed: true };
  }

  /** Expired requests, and the oldest beyond the newest few, so repeated Generate clicks cannot pile up. */
  async #prunable(now) {
    const entries = [...(await this.#store.pendingAuthorizations()).entries()];
    const expired = entries.filter(([, value]) => now >= value.expiresAt).map(([key]) => key);
    const live = entries.filter(([, value]) => now < value.expiresAt).sort(([, a], [, b]) => b.createdAt - a.createdAt);
    return [...expired, ...live.slice(MAX_PENDING - 1).map(([key]) => key)];
  }
}

function outcome(status, code, message) {
  return { ok: false, status, code, message };
}

function stateUsed() {
  return outcome(409, Code.STATE_ALREADY_USED,
    "This authorization request was already used; each one works once. No token was stored by this request.");
}

async function sha256Hex(text) {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}
