// Test-only entry: the real worker (worker/index.js) plus hooks that a test needs and the product
// must not have. `/__test/...` routes read a connection's sealed tokens (so the leak check knows what
// to look for), read and plant raw records (of a connection's object and of the registry), and age
// pending authorization requests (so "expired state" needs no 10-minute wait). Everything else goes
// to the real router, and the Durable Object classes are the real ones with the hook methods added.
//
// Faults are injected into the object's storage, as seen through a proxy of `ctx.storage` (its
// `put`, `delete` and the writes inside `transaction`): the next write of a token set fails, or the
// object is reset (its memory lost, as when the runtime evicts or restarts it) just before or just
// after that write — the moment between the token endpoint's answer and the tokens being stored; or
// the object is reset right after the first write of the next change, whatever it is ("between":
// a change made of several writes must be all or nothing).
//
// Sealed values are opened with the core's Keyring directly (`<id>:<field>` as associated data), so
// the hooks depend on the storage format only, not on the worker's modules.

import worker, {
  ConnectionObject as RealConnectionObject, ConnectionRegistry as RealConnectionRegistry,
} from "../../../worker/index.js";
import { keyring } from "../../../worker/environment.js";

/** The registry with hooks to read and plant its raw records. */
export class ConnectionRegistry extends RealConnectionRegistry {
  async testRecords() {
    return Object.fromEntries(await this.ctx.storage.list());
  }

  async testPut(key, value) {
    await this.ctx.storage.put(key, value);
  }
}

/** A put that stores a new token set (with its token state, and after a callback the settings). */
function isTokenWrite(method, args) {
  const [entries] = args;
  return method === "put" && entries !== null && typeof entries === "object" && "tokens" in entries;
}

/** A write of audit records only (the audit trail's own, gathered writes). */
function isAuditWrite(method, args) {
  const [first] = args;
  const names = method === "delete" ? [first].flat() : typeof first === "string" ? [first] : Object.keys(first ?? {});
  return names.length > 0 && names.every((name) => String(name).startsWith("audit:"));
}

/** Property reads on a runtime object with methods bound to it, so a Proxy can stand in for it. */
function bound(target, name) {
  const value = Reflect.get(target, name);
  return typeof value === "function" ? value.bind(target) : value;
}

export class ConnectionObject extends RealConnectionObject {
  #storageFault = null;
  #storage;

  constructor(ctx, env) {
    super(ctx, env);
    this.#storage = ctx.storage;
    const writes = (target) => new Proxy(target, {
      get: (object, name) => {
        if (name === "put" || name === "delete") return (...args) => this.#write(object, name, args);
        if (name === "transaction") return (closure) => object.transaction((txn) => closure(writes(txn)));
        return bound(object, name);
      },
    });
    const storage = writes(ctx.storage);
    this.ctx = new Proxy(ctx, { get: (target, name) => (name === "storage" ? storage : bound(target, name)) });
  }

  async #write(storage, method, args) {
    let fault = null;
    if ((this.#storageFault === "between" && !isAuditWrite(method, args))
      || (this.#storageFault !== null && isTokenWrite(method, args))) {
      fault = this.#storageFault;
      this.#storageFault = null;
    }
    if (fault === "throw") throw new Error("injected: the storage write of the refreshed tokens failed");
    if (fault === "abort-before") this.ctx.abort("injected: reset before the refreshed tokens were stored");
    const written = await storage[method](...args);
    if (fault === "abort-after") this.ctx.abort("injected: reset right after the refreshed tokens were stored");
    if (fault === "between") {
      // Whatever this write made durable on its own stays: then the object is gone.
      await this.#storage.sync();
      this.ctx.abort("injected: reset right after the first write of a change");
    }
    return written;
  }

  /** Arms a fault for the next token write ("throw", "abort-before", "abort-after") or the next write ("between"). */
  async testStorageFault(mode) {
    this.#storageFault = mode;
    return mode;
  }

  #open(id, field, sealed) {
    return keyring(this.env).unseal(`${id}:${field}`, sealed);
  }

  #seal(id, field, plaintext) {
    return keyring(this.env).seal(`${id}:${field}`, plaintext);
  }

  async testTokens(id) {
    const sealed = await this.ctx.storage.get("tokens");
    return typeof sealed === "string" ? JSON.parse(this.#open(id, "tokens", sealed)) : null;
  }

  /** Replaces the stored access token (sealed, as the real code stores it), e.g. with one the instance refuses. */
  async testReplaceAccessToken(id, accessToken, expiresAt) {
    const tokens = await this.testTokens(id);
    tokens.accessToken = accessToken;
    if (expiresAt !== undefined) tokens.expiresAt = expiresAt;
    await this.ctx.storage.put("tokens", this.#seal(id, "tokens", JSON.stringify(tokens)));
    return true;
  }

  /** Moves the access token's expiry to `expiresAt` in the sealed tokens and the token state alike. */
  async testExpireAccessToken(id, expiresAt) {
    const tokens = await this.testTokens(id);
    const tokenState = await this.ctx.storage.get("tokenState");
    tokens.expiresAt = expiresAt;
    await this.ctx.storage.put({
      tokens: this.#seal(id, "tokens", JSON.stringify(tokens)),
      tokenState: { ...tokenState, meta: { ...tokenState.meta, expiresAt } },
    });
    return true;
  }

  /** Stores a token set (sealed) and its token state, as a completed authorization would. */
  async testSetTokens(id, tokens) {
    await this.ctx.storage.put({
      tokens: this.#seal(id, "tokens", JSON.stringify(tokens)),
      tokenState: {
        state: "active",
        meta: {
          issuedAt: tokens.issuedAt,
          expiresAt: tokens.expiresAt ?? null,
          refreshExpiresAt: tokens.refreshExpiresAt ?? null,
          hasRefreshToken: Boolean(tokens.refreshToken),
        },
        changedAt: Date.now(),
      },
    });
    return true;
  }

  async testAgeAuthorizationRequests(ms) {
    const entries = await this.ctx.storage.list({ prefix: "oauth-state:" });
    for (const [key, value] of entries) {
      await this.ctx.storage.put(key, { ...value, createdAt: value.createdAt - ms, expiresAt: value.expiresAt - ms });
    }
    return entries.size;
  }

  async testStorageKeys() {
    return [...(await this.ctx.storage.list()).keys()];
  }

  async testRawValue(key) {
    return (await this.ctx.storage.get(key)) ?? null;
  }

  async testPut(key, value) {
    await this.ctx.storage.put(key, value);
  }
}

export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    if (!url.pathname.startsWith("/__test/")) return worker.fetch(request, env, ctx);
    if (url.pathname === "/__test/registry" || url.pathname === "/__test/registry-put") {
      const registry = env.REGISTRY.get(env.REGISTRY.idFromName("registry"));
      if (url.pathname === "/__test/registry") return Response.json(await registry.testRecords());
      await registry.testPut(url.searchParams.get("key"), await request.json());
      return Response.json(true);
    }
    const id = url.searchParams.get("id");
    const stub = env.CONNECTIONS.get(env.CONNECTIONS.idFromName(id));
    const json = (value) => Response.json(value);
    switch (url.pathname) {
      case "/__test/tokens":
        return json(await stub.testTokens(id));
      case "/__test/age":
        return json(await stub.testAgeAuthorizationRequests(Number(url.searchParams.get("ms"))));
      case "/__test/replace-access-token": {
        const expiresAt = url.searchParams.get("expiresAt");
        return json(await stub.testReplaceAccessToken(id, url.searchParams.get("token"), expiresAt === null ? undefined : Number(expiresAt)));
      }
      case "/__test/expire-access-token":
        return json(await stub.testExpireAccessToken(id, Number(url.searchParams.get("expiresAt"))));
      case "/__test/set-tokens":
        return json(await stub.testSetTokens(id, await request.json()));
      case "/__test/keys":
        return json(await stub.testStorageKeys());
      case "/__test/raw":
        return json(await stub.testRawValue(url.searchParams.get("key")));
      case "/__test/storage-fault":
        return json(await stub.testStorageFault(url.searchParams.get("mode")));
      case "/__test/put":
        await stub.testPut(url.searchParams.get("key"), await request.json());
        return json(true);
      default:
        return new Response("no such hook", { status: 404 });
    }
  },
};
