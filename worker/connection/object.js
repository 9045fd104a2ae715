// One Durable Object per connection (named by the connection id): the RPC surface the router calls
// after its own checks (route, origin, credentials, id, sealing key, body). It composes the parts —
// store.js (records, sealing, transactions), settings.js (save and view), authorization.js (Generate
// and the callback), token-keeper.js and token-records.js (refresh and token changes), forwarding.js
// (what the worker needs to send a request), testing.js and last-test.js (Test Connection and the
// record of the last one), publication.js (the registry's summary) — and turns their errors into the worker's JSON answers. Durable Objects run
// one instance per name, so this object is the single place where a connection's tokens change,
// which is what makes single-flight refresh possible.

import { DurableObject } from "cloudflare:workers";

import { insecureLoopbackAllowed, keyring } from "../environment.js";
import { Code, HttpError } from "../errors.js";
import { emptyResponse, errorResponse, jsonResponse } from "../http.js";
import { AuthorizationFlow } from "./authorization.js";
import { ForwardGrants } from "./forwarding.js";
import { OpenedConnection } from "./opened.js";
import { RegistryPublication } from "./publication.js";
import { saveSettings, viewOf } from "./settings.js";
import { recordLastTest } from "./last-test.js";
import { ConnectionStore } from "./store.js";
import { testStoredSettings, testTypedSettings } from "./testing.js";
import { TokenKeeper } from "./token-keeper.js";
import { clearTokens, markReauthorizationRequired, storeRefreshedTokens } from "./token-records.js";

export class ConnectionObject extends DurableObject {
  #parts = null;

  /** The parts, made on the first call (when the id is known), over the object's storage. */
  #enter(id) {
    const name = this.ctx.id.name;
    if (name !== undefined && name !== id) throw new HttpError(500, Code.INTERNAL_ERROR, "Connection routing mismatch.");
    if (this.#parts) return this.#parts;
    const store = new ConnectionStore(this.ctx.storage, () => keyring(this.env), id);
    const allowInsecureLoopback = insecureLoopbackAllowed(this.env);
    const opened = new OpenedConnection(store, allowInsecureLoopback);
    const publication = new RegistryPublication(this.env, store);
    const keeper = new TokenKeeper({
      load: () => opened.load(),
      storeRefreshed: async (tokens, generation) => {
        await storeRefreshedTokens(store, tokens, generation);
        await publication.publish();
      },
      markReauthorizationRequired: async (reason, generation) => {
        if (!(await markReauthorizationRequired(store, reason, generation))) return;
        console.warn(JSON.stringify({ event: "reauthorization_required", connection: id }));
        await publication.publish();
      },
    });
    this.#parts = {
      store,
      allowInsecureLoopback,
      opened,
      publication,
      keeper,
      authorization: new AuthorizationFlow(store, opened, this.env),
      grants: new ForwardGrants(store, opened, keeper),
    };
    return this.#parts;
  }

  async #answer(id, work) {
    try {
      return await work(this.#enter(id));
    } catch (error) {
      return errorResponse(error);
    }
  }

  #view(parts, config, context) {
    return viewOf(parts.store, config, { callbackUrl: context.callbackUrl, allowInsecureLoopback: parts.allowInsecureLoopback });
  }

  // ---- RPC methods (called by the router) ----

  view(id, context) {
    return this.#answer(id, async (parts) => jsonResponse(200, await this.#view(parts, await parts.store.requireConfig(), context)));
  }

  save(id, body, context) {
    return this.#answer(id, async (parts) => {
      const { config, created } = await saveSettings(parts.store, {
        id, body, createOnly: context.createOnly === true, allowInsecureLoopback: parts.allowInsecureLoopback,
      });
      await parts.publication.publish();
      return jsonResponse(created ? 201 : 200, await this.#view(parts, config, context));
    });
  }

  remove(id) {
    return this.#answer(id, async (parts) => {
      await parts.store.requireConfig();
      await parts.store.deleteAll();
      await parts.publication.publishRemoval();
      return emptyResponse(204);
    });
  }

  resetToken(id, context) {
    return this.#answer(id, async (parts) => {
      const config = await clearTokens(parts.store);
      await parts.publication.publish();
      return jsonResponse(200, await this.#view(parts, config, context));
    });
  }

  generate(id, options, context) {
    return this.#answer(id, async (parts) => jsonResponse(200, await parts.authorization.generate(options, context)));
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
  test(id) {
    return this.#answer(id, async (parts) => {
      const result = await testStoredSettings(parts.opened, parts.keeper);
      await recordLastTest(parts.store, result);
      await parts.publication.publish();
      return jsonResponse(200, result);
    });
  }

  /** Test Connection on `settings` as typed (a PUT body); stores nothing, also for an unknown id. */
  testSettings(id, settings) {
    return this.#answer(id, async (parts) => jsonResponse(200,
      await testTypedSettings(parts.store, settings, { allowInsecureLoopback: parts.allowInsecureLoopback })));
  }

  /** What the worker needs to forward a request (forwarding.js), or the error answer. */
  forwardGrant(id, request) {
    return this.#answer(id, (parts) => parts.grants.grant(request));
  }

  /** The Authorization for the one retry after a 401, or the error answer (409 when the connection changed). */
  forwardRetry(id, request) {
    return this.#answer(id, (parts) => parts.grants.retry(request));
  }
}
