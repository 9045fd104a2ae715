// One Durable Object per connection (named by the connection id): its settings, its sealed secrets,
// its sealed tokens and its pending authorization requests, and every operation that uses them —
// save, view, delete, Generate and the OAuth callback, Reset, Test Connection and forwarding to the
// instance's REST API. Durable Objects run one instance per name, so this object is the single
// place where a connection's tokens change, which is what makes single-flight refresh possible
// (DESIGN.md, "HTTP API of the worker"). Methods are called over Workers RPC by the router, after it
// has checked the admin token, and answer with Responses in the worker's JSON error shape.
//
// Storage keys (Durable Object storage, strongly consistent):
//   config               {id, name, settings (non-secret, as entered), fingerprint, generation, createdAt, updatedAt}
//   secret:password      sealed, AAD "<id>:password"        (basic)
//   secret:clientSecret  sealed, AAD "<id>:clientSecret"    (oauth2)
//   tokens               sealed JSON TokenSet, AAD "<id>:tokens"
//   tokenState           {state: "active", meta} | {state: "reauthorization_required", reason}; absent = no token
//   oauth-state:<sha256(state)>  {verifier (sealed, AAD "<id>:codeVerifier"), redirectUri, fingerprint, createdAt, expiresAt, usedAt?}
// `generation` grows whenever the tokens are replaced or cleared by anything but a refresh, so a
// refresh that finishes after a Reset, a new Generate, a settings change or a delete is dropped.

import { DurableObject } from "cloudflare:workers";

import { Connection, testResultFromError, validateConfig } from "./core.js";
import { insecureLoopbackAllowed, keyring } from "./environment.js";
import { callerResponse, sendUpstream } from "./forward.js";
import { HttpError, emptyResponse, errorResponse, jsonResponse } from "./http.js";
import { registryStub } from "./registry.js";
import { TokenKeeper } from "./token-keeper.js";
import { describeTokens, tokenMeta } from "./token-view.js";
import { Vault } from "./vault.js";

const CONFIG = "config";
const TOKENS = "tokens";
const TOKEN_STATE = "tokenState";
const PENDING_PREFIX = "oauth-state:";
const SECRET_KEYS = { password: "secret:password", clientSecret: "secret:clientSecret" };

/** An authorization request may be completed for 10 minutes, once. */
export const STATE_TTL_MS = 10 * 60 * 1000;
const MAX_PENDING_STATES = 10;
const MAX_NAME_LENGTH = 100;

const SETTINGS_BY_AUTH_TYPE = {
  basic: ["baseUrl", "authType", "timeoutMs", "username"],
  oauth2: [
    "baseUrl", "authType", "timeoutMs", "clientId", "authorizationUrl", "tokenUrl", "clientAuthentication",
    "refreshTokenLifetimeSeconds",
  ],
};
const SETTING_KEYS = [...new Set([...SETTINGS_BY_AUTH_TYPE.basic, ...SETTINGS_BY_AUTH_TYPE.oauth2])];
const SECRET_FOR_AUTH_TYPE = { basic: "password", oauth2: "clientSecret" };
const SECRETS = ["password", "clientSecret"];
const BODY_KEYS = new Set(["name", ...SETTING_KEYS, ...SECRETS]);

export class ConnectionObject extends DurableObject {
  #id = null;
  #lastRevision = 0;
  #keeper;
  // States being consumed right now: a second callback with the same state must not slip in while
  // the first one is still reading storage.
  #consuming = new Set();
  // In-memory copies of opened secrets and tokens, see #prepare and #tokens.
  #prepared = null;
  #openedTokens = null;

  constructor(ctx, env) {
    super(ctx, env);
    this.#keeper = new TokenKeeper({
      load: () => this.#load(),
      storeRefreshed: (tokens, generation) => this.#storeRefreshed(tokens, generation),
      markReauthorizationRequired: (reason, generation) => this.#markReauthorizationRequired(reason, generation),
    });
  }

  // ---- RPC methods (called by the router) ----

  async view(id, context) {
    return this.#answer(id, async () => {
      const config = await this.#requireConfig();
      return jsonResponse(200, await this.#viewOf(config, context));
    });
  }

  async save(id, body, context) {
    return this.#answer(id, async () => {
      const vault = this.#vault();
      const { name, input, given } = readConnectionBody(body, id);
      const storage = this.ctx.storage;
      const existing = (await storage.get(CONFIG)) ?? null;
      if (existing && context.createOnly) {
        throw new HttpError(412, "connection_exists",
          `A connection "${id}" exists already; choose another id, or edit that one.`, { field: "id" });
      }
      const stored = [];
      for (const field of SECRETS) {
        if ((await storage.get(SECRET_KEYS[field])) !== undefined) stored.push(field);
      }
      const candidate = { ...input, ...given, allowInsecureLoopback: insecureLoopbackAllowed(this.env) };
      let result = validateConfig(candidate, { storedSecrets: stored });
      if (result.ok && existing) {
        // A stored secret is never sent to another instance or token endpoint: moving the
        // connection there means entering the secret again.
        const carried = stored.filter((field) => secretCarries(field, existing.fingerprint, result.config));
        if (carried.length !== stored.length) {
          result = validateConfig(candidate, { storedSecrets: carried });
          for (const error of result.errors) {
            if (error.code === "required" && stored.includes(error.field) && !carried.includes(error.field)) {
              error.message += " It must be entered again because the instance or token URL changed.";
            }
          }
        }
      }
      if (!result.ok) throw invalidConfig(result.errors);

      const normalized = result.config;
      const fingerprint = fingerprintOf(normalized);
      const identityChanged = existing !== null && tokenIdentity(existing.fingerprint) !== tokenIdentity(fingerprint);
      const now = Date.now();
      const config = {
        id,
        name,
        settings: pick(input, SETTINGS_BY_AUTH_TYPE[normalized.authType]),
        fingerprint,
        generation: (existing?.generation ?? 0) + (identityChanged ? 1 : 0),
        createdAt: existing?.createdAt ?? now,
        updatedAt: now,
      };
      const secretField = SECRET_FOR_AUTH_TYPE[normalized.authType];
      const otherSecret = secretField === "password" ? "clientSecret" : "password";
      const puts = { [CONFIG]: config };
      if (given[secretField] !== undefined) puts[SECRET_KEYS[secretField]] = vault.seal(secretField, given[secretField]);
      const deletes = [SECRET_KEYS[otherSecret]];
      // Tokens belong to the instance, client and token endpoint that issued them.
      if (identityChanged) deletes.push(TOKENS, TOKEN_STATE);
      if (existing && JSON.stringify(existing.fingerprint) !== JSON.stringify(fingerprint)) {
        deletes.push(...(await this.#pendingStates()).keys());
      }
      await storage.put(puts);
      await storage.delete(deletes);
      await this.#publish();
      return jsonResponse(existing ? 200 : 201, await this.#viewOf(config, context));
    });
  }

  async remove(id) {
    return this.#answer(id, async () => {
      await this.#requireConfig();
      await this.ctx.storage.deleteAll();
      await this.#publishRemoval();
      return emptyResponse(204);
    });
  }

  async resetToken(id, context) {
    return this.#answer(id, async () => {
      const config = await this.#requireConfig();
      config.generation += 1;
      config.updatedAt = Date.now();
      await this.ctx.storage.put(CONFIG, config);
      await this.ctx.storage.delete([TOKENS, TOKEN_STATE]);
      await this.#publish();
      return jsonResponse(200, await this.#viewOf(config, context));
    });
  }

  async generate(id, options, context) {
    return this.#answer(id, async () => {
      const vault = this.#vault();
      const config = await this.#requireConfig();
      if (config.settings.authType !== "oauth2") {
        throw new HttpError(409, "not_oauth2", "Generate is for OAuth 2.0 connections; this one uses Basic authentication.");
      }
      if (options.scope !== undefined && typeof options.scope !== "string") {
        throw new HttpError(400, "invalid_type", "scope must be a string.", { field: "scope" });
      }
      const { connection } = await this.#prepare(config, vault);
      const normalized = connection.config;
      const request = connection.authorizationRequest({
        redirectUri: context.callbackUrl,
        statePrefix: id,
        ...(options.scope ? { scope: options.scope } : {}),
      });
      const now = Date.now();
      const pending = {
        verifier: vault.seal("codeVerifier", request.codeVerifier),
        redirectUri: context.callbackUrl,
        fingerprint: fingerprintOf(normalized),
        createdAt: now,
        expiresAt: now + STATE_TTL_MS,
      };
      await this.#prunePendingStates(now);
      await this.ctx.storage.put(PENDING_PREFIX + (await sha256Hex(request.state)), pending);
      return jsonResponse(200, {
        authorizationUrl: request.url,
        expiresAt: pending.expiresAt,
        callbackUrl: context.callbackUrl,
      });
    });
  }

  /**
   * Completes an authorization started by `generate`. `callback` is the core's parseCallback result.
   * Answers `{ok, status, code, message}` for the callback page; never throws, never echoes values
   * from the query except the instance's own error code and description.
   */
  async completeAuthorization(id, callback) {
    let stateKey = null;
    try {
      this.#enter(id);
      const vault = this.#vault();
      stateKey = PENDING_PREFIX + (await sha256Hex(callback.state));
      if (this.#consuming.has(stateKey)) return stateUsed();
      this.#consuming.add(stateKey);
      const config = (await this.ctx.storage.get(CONFIG)) ?? null;
      const pending = config ? await this.ctx.storage.get(stateKey) : undefined;
      if (!config || !pending) {
        return outcome(400, "unknown_state",
          "This authorization request is not known to this connection (it was never started here, or the connection changed since). No token was stored. Click Generate to try again.");
      }
      if (pending.usedAt) return stateUsed();
      const now = Date.now();
      if (now >= pending.expiresAt) {
        await this.ctx.storage.delete(stateKey);
        return outcome(400, "state_expired",
          "This authorization request has expired (they are valid for 10 minutes). No token was stored. Click Generate to try again.");
      }
      // Single use from here on, whatever happens next.
      await this.ctx.storage.put(stateKey, { ...pending, verifier: null, usedAt: now });

      if (callback.kind === "error") {
        if (callback.error === "access_denied") {
          return outcome(403, "access_denied",
            "Access was denied at the instance (the request was declined or the login failed). No token was stored.");
        }
        const description = callback.errorDescription ? `: ${callback.errorDescription}` : "";
        return outcome(502, "authorization_failed",
          `The instance refused the authorization (${callback.error}${description}). No token was stored.`);
      }

      const { connection } = await this.#prepare(config, vault);
      const normalized = connection.config;
      if (JSON.stringify(fingerprintOf(normalized)) !== JSON.stringify(pending.fingerprint)) {
        return outcome(409, "settings_changed",
          "The connection's settings changed after Generate was clicked. No token was stored. Click Generate again.");
      }
      if (callback.issuer !== undefined && !connection.issuerMatches(callback.issuer)) {
        return outcome(400, "issuer_mismatch",
          "The answer names another authorization server than this connection's instance. No token was stored.");
      }
      const codeVerifier = vault.open("codeVerifier", pending.verifier);
      let tokens;
      try {
        tokens = await connection.exchangeCode({ code: callback.code, redirectUri: pending.redirectUri, codeVerifier });
      } catch (error) {
        return outcome(error?.code === "invalid_config" ? 409 : 502, error?.code ?? "token_exchange_failed",
          `The instance did not issue a token: ${error?.message ?? "the token request failed."}`);
      }
      // The exchange went over the network: re-check that the connection is still the same one.
      const current = (await this.ctx.storage.get(CONFIG)) ?? null;
      if (!current || JSON.stringify(current.fingerprint) !== JSON.stringify(pending.fingerprint)) {
        return outcome(409, "settings_changed",
          "The connection was changed or deleted while the token was being fetched. No token was stored.");
      }
      current.generation += 1;
      current.updatedAt = Date.now();
      const stale = [...(await this.#pendingStates()).keys()].filter((key) => key !== stateKey);
      await this.ctx.storage.put({
        [CONFIG]: current,
        [TOKENS]: vault.seal("tokens", JSON.stringify(tokens)),
        [TOKEN_STATE]: { state: "active", meta: tokenMeta(tokens), changedAt: current.updatedAt },
      });
      await this.ctx.storage.delete(stale);
      await this.#publish();
      return { ok: true, status: 200, code: "ok", message: "Access token received and successfully generated." };
    } catch (error) {
      if (error instanceof HttpError) return outcome(error.status, error.code, error.message);
      if (error?.name === "ConnectionError") return outcome(503, error.code, error.message);
      console.error(JSON.stringify({ event: "callback_failed", name: error?.name ?? typeof error }));
      return outcome(500, "internal_error", "The worker failed to complete the authorization. No token was stored.");
    } finally {
      if (stateKey) this.#consuming.delete(stateKey);
    }
  }

  async test(id) {
    return this.#answer(id, async () => {
      const loaded = await this.#load();
      const { settings, connection } = loaded;
      if (settings.authType !== "oauth2") return jsonResponse(200, await connection.testConnection(null));
      let tokens;
      try {
        tokens = await this.#keeper.usable({ loaded });
      } catch (error) {
        return jsonResponse(200, failedTestResult(error));
      }
      let result = await connection.testConnection(tokens);
      if (result.code === "unauthorized") {
        try {
          tokens = await this.#keeper.usable({ rejected: tokens.accessToken });
        } catch (error) {
          return jsonResponse(200, failedTestResult(error));
        }
        result = await connection.testConnection(tokens);
      }
      return jsonResponse(200, result);
    });
  }

  /** `request`: {method, path (after /api/now/), query (without "?"), headers (allowlisted), body}. */
  async forward(id, request) {
    return this.#answer(id, async () => {
      const loaded = await this.#load();
      const { settings, connection, timeoutMs } = loaded;
      const url = connection.apiRequestUrl(request.path, request.query || undefined);
      const send = (authorization) => sendUpstream(url, { ...request, authorization, timeoutMs });
      if (settings.authType !== "oauth2") {
        return await callerResponse(await send(connection.authorizationHeader(null)));
      }
      const tokens = await this.#keeper.usable({ loaded });
      let upstream = await send(connection.authorizationHeader(tokens));
      if (upstream.status === 401) {
        // One retry with a refreshed token (RFC 6750 §3.1); concurrent 401s share one refresh.
        await upstream.body?.cancel();
        const refreshed = await this.#keeper.usable({ rejected: tokens.accessToken });
        upstream = await send(connection.authorizationHeader(refreshed));
      }
      return await callerResponse(upstream);
    });
  }

  // ---- internals ----

  #enter(id) {
    const name = this.ctx.id.name;
    if (name !== undefined && name !== id) throw new HttpError(500, "internal_error", "Connection routing mismatch.");
    this.#id = id;
  }

  async #answer(id, work) {
    try {
      this.#enter(id);
      return await work();
    } catch (error) {
      return errorResponse(error);
    }
  }

  #vault() {
    return new Vault(this.ctx.storage, keyring(this.env), this.#id);
  }

  async #requireConfig() {
    const config = await this.ctx.storage.get(CONFIG);
    if (!config) throw new HttpError(404, "connection_not_found", `There is no connection "${this.#id}".`);
    return config;
  }

  /**
   * The settings with the secret opened (and the loopback switch from the worker, never from
   * storage), and the core's `Connection` prepared from them. Both are kept in memory while the
   * stored settings and sealed secret stay the same: opening the secret and validating the settings
   * would otherwise be repeated on every request. This object is the only writer of its storage, so
   * the memory copy cannot go stale behind its back.
   */
  async #prepare(config, vault, sealedSecret) {
    const field = SECRET_FOR_AUTH_TYPE[config.settings.authType];
    const sealed = sealedSecret !== undefined ? sealedSecret : ((await this.ctx.storage.get(SECRET_KEYS[field])) ?? null);
    const key = JSON.stringify([config.settings, sealed, insecureLoopbackAllowed(this.env)]);
    if (this.#prepared?.key === key) return this.#prepared;
    const settings = { ...config.settings, allowInsecureLoopback: insecureLoopbackAllowed(this.env) };
    const secret = await vault.read(SECRET_KEYS[field], field);
    if (secret !== null) settings[field] = secret;
    let connection;
    try {
      connection = new Connection(settings);
    } catch (error) {
      if (error?.code !== "invalid_config") throw error;
      const first = error.errors?.[0] ?? { message: error.message, field: error.field };
      throw new HttpError(409, "invalid_config",
        `The stored settings are not valid in this worker: ${first.message}`, { field: first.field, errors: error.errors });
    }
    // Keyed by what was read before opening: a re-sealed secret misses once, then hits again. The
    // replaced Connection is not freed here: a request that began earlier may still be using it,
    // and the runtime's finalizer releases it once nothing refers to it.
    this.#prepared = { key, settings, connection };
    return this.#prepared;
  }

  /** The token set, opened once per sealed value and kept while the stored blob stays the same. */
  async #tokens(vault, sealed) {
    if (sealed === null) return null;
    if (this.#openedTokens?.sealed === sealed) return this.#openedTokens.tokens;
    const tokens = JSON.parse(await vault.read(TOKENS, "tokens"));
    this.#openedTokens = { sealed, tokens };
    return tokens;
  }

  /**
   * Everything a request on the connection works with, from one read of storage: the config, the
   * settings and prepared core Connection, the tokens and their state.
   */
  async #load() {
    const vault = this.#vault();
    const values = await this.ctx.storage.get([CONFIG, SECRET_KEYS.password, SECRET_KEYS.clientSecret, TOKENS, TOKEN_STATE]);
    const config = values.get(CONFIG);
    if (!config) throw new HttpError(404, "connection_not_found", `There is no connection "${this.#id}".`);
    const secretKey = SECRET_KEYS[SECRET_FOR_AUTH_TYPE[config.settings.authType]];
    const { settings, connection } = await this.#prepare(config, vault, values.get(secretKey) ?? null);
    return {
      config,
      settings,
      connection,
      tokens: await this.#tokens(vault, values.get(TOKENS) ?? null),
      tokenState: values.get(TOKEN_STATE) ?? null,
      generation: config.generation,
      timeoutMs: connection.config.timeoutMs,
    };
  }


  async #storeRefreshed(tokens, generation) {
    const config = await this.ctx.storage.get(CONFIG);
    if (!config || config.generation !== generation) {
      throw new HttpError(409, "tokens_changed",
        "The connection's tokens were reset or replaced while they were being refreshed; try again.");
    }
    try {
      await this.ctx.storage.put({
        [TOKENS]: this.#vault().seal("tokens", JSON.stringify(tokens)),
        [TOKEN_STATE]: { state: "active", meta: tokenMeta(tokens), changedAt: Date.now() },
      });
    } catch (error) {
      // One put writes both keys or neither, so the previous tokens (and with them the refresh
      // token, which ServiceNow keeps valid) are still the stored ones.
      console.error(JSON.stringify({ event: "token_store_failed", connection: this.#id, name: error?.name }));
      throw new HttpError(503, "token_store_failed",
        "The refreshed access token could not be stored; the stored tokens are unchanged. Try again.",
        { headers: { "retry-after": "1" } });
    }
    await this.#publish();
  }

  async #markReauthorizationRequired(reason, generation) {
    const config = await this.ctx.storage.get(CONFIG);
    // Someone already replaced the tokens (a new Generate, a Reset): nothing to mark.
    if (!config || config.generation !== generation) return;
    config.generation += 1;
    const changedAt = Date.now();
    await this.ctx.storage.put({
      [CONFIG]: config,
      [TOKEN_STATE]: { state: "reauthorization_required", reason, changedAt },
    });
    await this.ctx.storage.delete(TOKENS);
    console.warn(JSON.stringify({ event: "reauthorization_required", connection: this.#id }));
    await this.#publish();
  }

  async #pendingStates() {
    return this.ctx.storage.list({ prefix: PENDING_PREFIX });
  }

  /** Drops expired requests and keeps the newest few, so repeated Generate clicks cannot pile up. */
  async #prunePendingStates(now) {
    const entries = [...(await this.#pendingStates()).entries()];
    const expired = entries.filter(([, value]) => now >= value.expiresAt).map(([key]) => key);
    const live = entries.filter(([, value]) => now < value.expiresAt)
      .sort(([, a], [, b]) => b.createdAt - a.createdAt);
    const excess = live.slice(MAX_PENDING_STATES - 1).map(([key]) => key);
    if (expired.length + excess.length > 0) await this.ctx.storage.delete([...expired, ...excess]);
  }

  async #viewOf(config, context) {
    const { settings } = config;
    const authType = settings.authType;
    const secretField = SECRET_FOR_AUTH_TYPE[authType];
    const secretSet = (await this.ctx.storage.get(SECRET_KEYS[secretField])) !== undefined;
    const checked = validateConfig(
      { ...settings, allowInsecureLoopback: insecureLoopbackAllowed(this.env) },
      { storedSecrets: secretSet ? [secretField] : [] },
    );
    const view = { id: config.id, name: config.name, ...settings, [secretField]: { set: secretSet } };
    if (checked.ok) {
      const { instanceUrl, apiPath, apiVersion, timeoutMs } = checked.config;
      view.resolved = { instanceUrl, apiPath, apiVersion, timeoutMs };
      if (authType === "oauth2") {
        const { authorizationUrl, tokenUrl, clientAuthentication, refreshTokenLifetimeSeconds } = checked.config;
        Object.assign(view.resolved, { authorizationUrl, tokenUrl, clientAuthentication, refreshTokenLifetimeSeconds });
      }
    } else {
      view.configErrors = checked.errors;
    }
    if (authType === "oauth2") {
      view.callbackUrl = context.callbackUrl;
      view.token = describeTokens((await this.ctx.storage.get(TOKEN_STATE)) ?? null);
    } else {
      view.token = null;
    }
    view.createdAt = config.createdAt;
    view.updatedAt = config.updatedAt;
    return view;
  }

  #nextRevision() {
    this.#lastRevision = Math.max(Date.now(), this.#lastRevision + 1);
    return this.#lastRevision;
  }

  /**
   * Sends this connection's summary to the registry. A failure is logged, not thrown: the change
   * itself is stored, and the next change publishes again.
   */
  async #publish() {
    try {
      const config = await this.ctx.storage.get(CONFIG);
      if (!config) return;
      await registryStub(this.env).upsert({
        id: config.id,
        revision: this.#nextRevision(),
        name: config.name,
        authType: config.settings.authType,
        baseUrl: config.settings.baseUrl,
        instanceUrl: config.fingerprint.instanceUrl,
        tokenState: (await this.ctx.storage.get(TOKEN_STATE)) ?? null,
        updatedAt: config.updatedAt,
      });
    } catch (error) {
      console.error(JSON.stringify({ event: "registry_publish_failed", connection: this.#id, name: error?.name }));
    }
  }

  async #publishRemoval() {
    try {
      await registryStub(this.env).remove(this.#id, this.#nextRevision());
    } catch (error) {
      console.error(JSON.stringify({ event: "registry_publish_failed", connection: this.#id, name: error?.name }));
    }
  }
}

// ---- helpers ----

function outcome(status, code, message) {
  return { ok: false, status, code, message };
}

function stateUsed() {
  return outcome(409, "state_already_used",
    "This authorization request was already used; each one works once. No token was stored by this request.");
}

function invalidConfig(errors) {
  const first = errors[0];
  const message = errors.length === 1 ? first.message : `${first.message} (and ${errors.length - 1} more problems)`;
  return new HttpError(422, "invalid_config", message, { field: first.field, errors });
}

/** Validated settings for an operation; stored settings that no longer pass (e.g. after
 * ALLOW_INSECURE_LOOPBACK was turned off) stop the operation with the field errors. */
/** The body of PUT /api/connections/:id, checked for what the core does not know about. */
function readConnectionBody(body, id) {
  const errors = [];
  for (const key of Object.keys(body)) {
    if (key === "allowInsecureLoopback") {
      errors.push({ field: key, code: "not_allowed",
        message: "allowInsecureLoopback is set by the worker's ALLOW_INSECURE_LOOPBACK variable, not per connection." });
    } else if (!BODY_KEYS.has(key)) {
      errors.push({ field: key, code: "unknown_field", message: `${key} is not a connection setting.` });
    }
  }
  let name = id;
  if (body.name !== undefined && body.name !== null) {
    if (typeof body.name !== "string") {
      errors.push({ field: "name", code: "invalid_type", message: "Name must be a string." });
    } else if (body.name.trim().length > MAX_NAME_LENGTH) {
      errors.push({ field: "name", code: "too_long", message: `Name must be at most ${MAX_NAME_LENGTH} characters.` });
    } else if (/\p{Cc}/u.test(body.name)) {
      errors.push({ field: "name", code: "control_character", message: "Name must not contain control characters." });
    } else if (body.name.trim() !== "") {
      name = body.name.trim();
    }
  }
  if (errors.length > 0) throw invalidConfig(errors);
  // Empty strings mean "not given", as an empty form field does: defaults apply, secrets are kept.
  const input = {};
  for (const key of SETTING_KEYS) {
    if (body[key] !== undefined && body[key] !== null && body[key] !== "") input[key] = body[key];
  }
  const given = {};
  for (const key of SECRETS) {
    if (body[key] !== undefined && body[key] !== null && body[key] !== "") given[key] = body[key];
  }
  return { name, input, given };
}

function pick(object, keys) {
  const picked = {};
  for (const key of keys) if (object[key] !== undefined) picked[key] = object[key];
  return picked;
}

/** The normalized facts that decide where secrets and tokens may go. */
function fingerprintOf(normalized) {
  return {
    authType: normalized.authType,
    instanceUrl: normalized.instanceUrl,
    clientId: normalized.clientId ?? null,
    authorizationUrl: normalized.authorizationUrl ?? null,
    tokenUrl: normalized.tokenUrl ?? null,
  };
}

function tokenIdentity(fingerprint) {
  const { authType, instanceUrl, clientId, tokenUrl } = fingerprint;
  return JSON.stringify([authType, instanceUrl, clientId, tokenUrl]);
}

function secretCarries(field, previous, next) {
  if (previous.instanceUrl !== next.instanceUrl) return false;
  return field !== "clientSecret" || previous.tokenUrl === (next.tokenUrl ?? null);
}

/**
 * The Test Connection result for a failure met before the test could be sent (a refresh that failed),
 * classified by the core like every other result. Anything that is not the core's error is a bug,
 * and is thrown on.
 */
function failedTestResult(error) {
  if (error?.name !== "ConnectionError" && error?.code !== "reauthorization_required") throw error;
  return testResultFromError(error);
}

async function sha256Hex(text) {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}
