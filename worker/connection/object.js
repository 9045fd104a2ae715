// One Durable Object per connection (named by the connection id): the RPC surface the router calls
// after its own checks (route, origin, credentials, id, sealing key, body). It composes the parts —
// store.js (records, sealing, transactions), settings.js (save and view), authorization.js (Generate
// and the callback), token-keeper.js and token-records.js (renewal and token changes), signing-keys.js
// (a JWT-bearer connection's public keys), forwarding.js
// (what the worker needs to send a request), testing.js and last-test.js (Test Connection and the
// record of the last one), keys.js (access keys), audit.js (the audit trail), publication.js (the
// registry's summary) — and turns their errors into the worker's JSON answers. `who` is the caller as
// the router found it: `{kind: "admin"}`, or `{kind: "key", keyId, hash}` for an access key, which is
// checked here before anything else; the audit trail names the worker itself (`{kind: "worker"}`) for
// what it does on its own, such as requesting a token of an unattended grant on first use. Durable Objects run one instance per name, so this object is the
// single place where a connection's tokens change, which is what makes single-flight refresh possible.

import { DurableObject } from "cloudflare:workers";

import { issueKey } from "../access-keys.js";
import { keyring, networkSwitches } from "../environment.js";
import { Code, HttpError } from "../errors.js";
import { emptyResponse, errorResponse, jsonResponse, statusOf } from "../http.js";
import { jwksUrl } from "../jwks-url.js";
import { INTERACTIVE, describeTokens, grantOfSettings } from "../token-view.js";
import { AuditTrail } from "./audit.js";
import { AuthorizationFlow } from "./authorization.js";
import { ForwardGrants } from "./forwarding.js";
import { AccessKeys } from "./keys.js";
import { OpenedConnection } from "./opened.js";
import { RegistryPublication } from "./publication.js";
import { grantTypeOf, isInteractive, saveSettings, viewOf } from "./settings.js";
import { jwksOf, retirePreviousKey } from "./signing-keys.js";
import { recordLastTest } from "./last-test.js";
import { ConnectionStore, RECORD } from "./store.js";
import { testStoredSettings, testTypedSettings } from "./testing.js";
import { TokenKeeper } from "./token-keeper.js";
import { clearTokens, markReauthorizationRequired, storeRefreshedTokens } from "./token-records.js";
import { readTokenUser, recordTokenUser } from "./token-user.js";

const WORKER = Object.freeze({ kind: "worker" });

export class ConnectionObject extends DurableObject {
  #parts = null;

  /** The parts, made on the first call (when the id is known), over the object's storage. */
  #enter(id) {
    const name = this.ctx.id.name;
    if (name !== undefined && name !== id) throw new HttpError(500, Code.INTERNAL_ERROR, "Connection routing mismatch.");
    if (this.#parts) return this.#parts;
    const store = new ConnectionStore(this.ctx.storage, () => keyring(this.env), id);
    const switches = networkSwitches(this.env);
    const opened = new OpenedConnection(store, switches);
    const publication = new RegistryPublication(this.env, store);
    const audit = new AuditTrail(store);
    const keeper = new TokenKeeper({
      load: () => opened.load(),
      storeRenewed: async (tokens, { connection, grantType, generation, timeoutMs }, { granted, replace }) => {
        await storeRefreshedTokens(store, tokens, generation);
        // A token issued for an assertion of the current key ends a key rotation; a refreshed one
        // says nothing about the key.
        if (grantType === "jwt_bearer" && granted) await retirePreviousKey(store);
        await publication.publish();
        if (!granted) return;
        // Which user the token acts as: Generate waits for it (its answer shows the user); a token
        // obtained for a request does not hold that request, or those waiting with it, any longer.
        const user = readTokenUser(connection, tokens, timeoutMs)
          .then(async (found) => {
            if (await recordTokenUser(store, generation, found)) await publication.publish();
          })
          .catch((error) => console.error(JSON.stringify({ event: "token_user_failed", connection: id, name: error?.name })));
        if (replace) await user;
        else audit.record("admin", { who: WORKER, event: "token_obtained", grantType, status: 200, code: Code.OK });
      },
      markReauthorizationRequired: async (reason, generation, code) => {
        if (!(await markReauthorizationRequired(store, reason, generation))) return;
        console.warn(JSON.stringify({ event: "reauthorization_required", connection: id }));
        const grantType = grantTypeOf((await store.config())?.settings ?? {});
        await audit.recordNow("admin", { who: WORKER, event: "token_refused", grantType, status: 409, code });
        await publication.publish();
      },
    });
    this.#parts = {
      store,
      switches,
      opened,
      publication,
      keeper,
      authorization: new AuthorizationFlow(store, opened, this.env),
      grants: new ForwardGrants(store, opened, keeper),
      keys: new AccessKeys(store, () => issueKey(this.env, id)),
      audit,
    };
    return this.#parts;
  }

  /** The caller as the audit trail names it: the admin, or an access key by id and name. */
  async #who(parts, who, request) {
    if (who?.kind !== "key") return { kind: "admin" };
    const key = await parts.keys.authorize(who, request);
    return { kind: "key", keyId: key.id, name: key.name };
  }

  async #answer(id, work) {
    try {
      return await work(this.#enter(id));
    } catch (error) {
      return errorResponse(error);
    }
  }

  async #view(parts, config, context) {
    const jwks = grantTypeOf(config.settings) === "jwt_bearer" && context.publicOrigin
      ? await jwksUrl(this.env, context.publicOrigin, config.id)
      : null;
    return viewOf(parts.store, config, {
      callbackUrl: context.callbackUrl, jwksUrl: jwks, switches: parts.switches,
    });
  }

  // ---- RPC methods (called by the router) ----

  view(id, context) {
    return this.#answer(id, async (parts) => jsonResponse(200, await this.#view(parts, await parts.store.requireConfig(), context)));
  }

  save(id, body, context) {
    return this.#answer(id, async (parts) => {
      const { config, created, keyChange } = await saveSettings(parts.store, {
        id, body, createOnly: context.createOnly === true, switches: parts.switches,
      });
      await parts.publication.publish();
      await parts.audit.recordNow("admin", { who: { kind: "admin" }, event: created ? "created" : "settings_changed", status: created ? 201 : 200 });
      if (keyChange) {
        await parts.audit.recordNow("admin", { who: { kind: "admin" }, event: "signing_key_changed", status: created ? 201 : 200, signingKey: keyChange });
      }
      return jsonResponse(created ? 201 : 200, await this.#view(parts, config, context));
    });
  }

  remove(id) {
    return this.#answer(id, async (parts) => {
      await parts.store.requireConfig();
      parts.audit.reset();
      await parts.store.deleteAll();
      await parts.publication.publishRemoval();
      return emptyResponse(204);
    });
  }

  resetToken(id, context) {
    return this.#answer(id, async (parts) => {
      const config = await clearTokens(parts.store);
      await parts.publication.publish();
      await parts.audit.recordNow("admin", { who: { kind: "admin" }, event: "reset", status: 200 });
      return jsonResponse(200, await this.#view(parts, config, context));
    });
  }

  /**
   * Generate: for the authorization-code grant the authorization URL (authorization.js); for an
   * unattended grant a new token from the instance at once, answered with the token's view.
   */
  generate(id, options, context) {
    return this.#answer(id, async (parts) => {
      const config = await parts.store.requireConfig();
      if (config.settings.authType === "oauth2" && !isInteractive(config.settings)) {
        return this.#obtain(parts, config, options);
      }
      const generated = await parts.authorization.generate(options, context);
      await parts.audit.recordNow("admin", { who: { kind: "admin" }, event: "generate", grantType: INTERACTIVE, status: 200 });
      return jsonResponse(200, { grantType: INTERACTIVE, ...generated });
    });
  }

  /** Generate of an unattended grant: `{grantType, obtained: true, token}` or the error the instance caused. */
  async #obtain(parts, config, options) {
    const grantType = grantTypeOf(config.settings);
    if (options.scope !== undefined) {
      throw new HttpError(400, Code.NOT_ALLOWED, "scope is only an option of Generate for the authorization-code grant.", { field: "scope" });
    }
    try {
      await parts.keeper.renew({ replace: true });
    } catch (error) {
      await parts.audit.recordNow("admin", { who: { kind: "admin" }, event: "generate", grantType, status: statusOf(error), code: error?.code ?? Code.INTERNAL_ERROR });
      throw error;
    }
    await parts.audit.recordNow("admin", { who: { kind: "admin" }, event: "generate", grantType, status: 200, code: Code.OK });
    // Only the token's part of the view: the settings, secrets and key set are as they were.
    const settings = (await parts.store.requireConfig()).settings;
    const token = describeTokens((await parts.store.get(RECORD.TOKEN_STATE)) ?? null, Date.now(), grantOfSettings(settings));
    return jsonResponse(200, { grantType, obtained: true, token });
  }

  /**
   * Completes an authorization started by `generate`: `{ok, status, code, message}` for the callback
   * page. Never throws.
   */
  async completeAuthorization(id, callback) {
    try {
      const parts = this.#enter(id);
      const { changed, ...result } = await parts.authorization.complete(callback);
      if (changed) await parts.publication.publish();
      if (result.code !== Code.UNKNOWN_STATE) {
        await parts.audit.recordNow("admin", { who: { kind: "callback" }, event: "callback", status: result.status, code: result.code });
      }
      return result;
    } catch (error) {
      if (error instanceof HttpError) return { ok: false, status: error.status, code: error.code, message: error.message };
      if (error?.name === "ConnectionError") return { ok: false, status: 503, code: error.code, message: error.message };
      console.error(JSON.stringify({ event: "callback_failed", name: error?.name ?? typeof error }));
      return {
        ok: false, status: 500, code: Code.INTERNAL_ERROR,
        message: "The worker failed to complete the authorization. No token was stored.",
      };
    }
  }

  /** Test Connection on the stored settings; it becomes the connection's last test. */
  test(id, who) {
    return this.#answer(id, async (parts) => {
      const caller = await this.#who(parts, who);
      const result = await testStoredSettings(parts.opened, parts.keeper);
      await recordLastTest(parts.store, result);
      await parts.publication.publish();
      // Tests can be frequent, like traffic: gathered, not written before the answer.
      parts.audit.record("admin", { who: caller, event: "test", status: 200, code: result.code });
      return jsonResponse(200, result);
    });
  }

  /** Test Connection on `settings` as typed (a PUT body); stores nothing, also for an unknown id. */
  testSettings(id, settings) {
    return this.#answer(id, async (parts) => jsonResponse(200,
      await testTypedSettings(parts.store, settings, parts.switches)));
  }

  /**
   * What the worker needs to forward a request (forwarding.js) and who asked, or the error answer.
   * `request`: {route, path, query, method, who}. A refusal here is kept in the traffic log.
   */
  forwardGrant(id, request) {
    return this.#answer(id, async (parts) => {
      let caller = request.who?.kind === "key" ? { kind: "key", keyId: request.who.keyId } : { kind: "admin" };
      try {
        caller = await this.#who(parts, request.who, request);
        return { ...(await parts.grants.grant(request)), who: caller };
      } catch (error) {
        const status = statusOf(error);
        if (status !== 404) parts.audit.record("traffic", refusedTraffic(request, caller, status, error?.code));
        throw error;
      }
    });
  }

  /** Keeps forwarded requests in the traffic log (the worker hands them over in batches, traffic-log.js). */
  async recordTraffic(id, entries) {
    try {
      const { audit } = this.#enter(id);
      for (const entry of [entries].flat()) audit.record("traffic", entry);
    } catch (error) {
      console.error(JSON.stringify({ event: "audit_record_failed", connection: id, name: error?.name }));
    }
  }

  // ---- access keys and the audit trail (admin) ----

  createKey(id, body) {
    return this.#answer(id, async (parts) => {
      const created = await parts.keys.create(body);
      await parts.audit.recordNow("admin", { who: { kind: "admin" }, event: "key_created", status: 201, key: { keyId: created.id, name: created.name } });
      return jsonResponse(201, created);
    });
  }

  listKeys(id) {
    return this.#answer(id, async (parts) => jsonResponse(200, { keys: await parts.keys.list() }));
  }

  editKey(id, keyId, body) {
    return this.#answer(id, async (parts) => {
      const edited = await parts.keys.edit(keyId, body);
      await parts.audit.recordNow("admin", { who: { kind: "admin" }, event: "key_changed", status: 200, key: { keyId, name: edited.name } });
      return jsonResponse(200, edited);
    });
  }

  revokeKey(id, keyId) {
    return this.#answer(id, async (parts) => {
      const revoked = await parts.keys.revoke(keyId);
      await parts.audit.recordNow("admin", { who: { kind: "admin" }, event: "key_revoked", status: 204, key: { keyId, name: revoked.name } });
      return emptyResponse(204);
    });
  }

  auditPage(id, query) {
    return this.#answer(id, async (parts) => jsonResponse(200, await parts.audit.page(query.log, query)));
  }

  /** The key set (JWKS) of a JWT-bearer connection, for its public URL; 404 for any other connection. */
  jwks(id) {
    return this.#answer(id, async (parts) => jsonResponse(200, await jwksOf(parts.store), {
      "content-type": "application/jwk-set+json",
      "cache-control": "no-cache",
    }));
  }

  /** The Authorization for the one retry after a 401, or the error answer (409 when the connection changed). */
  forwardRetry(id, request) {
    return this.#answer(id, (parts) => parts.grants.retry(request));
  }
}

/** The traffic record of a request refused before it was sent: what it asked for, never a value. */
function refusedTraffic(request, who, status, code) {
  const path = `/api/${request.route === "now" ? "now/" : ""}${request.path}`.slice(0, 500);
  return { who, method: request.method, path, query: queryNames(request.query), status, code, ms: 0, bytesIn: 0, bytesOut: 0 };
}

/** The distinct names of a query's parameters, without their values. */
export function queryNames(query) {
  const names = [];
  for (const name of new URLSearchParams(query).keys()) if (!names.includes(name) && names.length < 50) names.push(name.slice(0, 100));
  return names;
}
