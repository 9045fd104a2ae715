// The benchmark's comparison worker: what a minimal worker doing this product's job with oauth4webapi
// looks like, so that bench/run.mjs can load both the same way. Same routes and answers as the
// product's worker where the benchmark uses them (PUT a connection, Generate, the OAuth callback, Test
// Connection, forwarding under /now/), the same admin check (SHA-256 then timingSafeEqual), and the
// same architecture: one Durable Object per connection holding its settings and tokens, refreshing
// once for all concurrent requests (a promise kept in the object) before the access token is due,
// and once more after a 401. Deliberately left out, and said so in the results: sealing (secrets and
// tokens are stored in plain), settings validation, path checks, header allowlists, retries with
// backoff, error classification and logging. Only for local runs against the stand-in (plain http).

import { DurableObject } from "cloudflare:workers";
import * as oauth from "oauth4webapi";

const TIMEOUT_MS = 15_000;
// The same refresh policy as the product: due when at most 60 s or 10 % of the lifetime is left.
const MIN_MARGIN_MS = 60_000;

const json = (status, body) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname === "/oauth2/callback") {
      const state = url.searchParams.get("state") ?? "";
      const id = state.slice(0, Math.max(0, state.indexOf(".")));
      if (!/^[A-Za-z0-9_-]{1,64}$/.test(id)) return json(400, { code: "unknown_state" });
      return connection(env, id).complete(url.href);
    }
    const match = /^\/api\/connections\/([A-Za-z0-9_-]{1,64})(\/.*)?$/.exec(url.pathname);
    if (!match) return json(404, { code: "not_found" });
    if (!(await isAdmin(request, env))) return json(401, { code: "unauthorized" });
    const [, id, rest = ""] = match;
    const stub = connection(env, id);
    const method = request.method;
    if (rest === "" && method === "PUT") return stub.save(await request.json());
    if (rest === "/oauth/generate" && method === "POST") return stub.generate(id, `${url.origin}/oauth2/callback`);
    if (rest === "/test" && method === "POST") return stub.test();
    if (rest.startsWith("/now/") && (method === "GET" || method === "HEAD")) {
      return stub.forward({ method, path: rest.slice("/now/".length), search: url.search });
    }
    return json(404, { code: "not_found" });
  },
};

function connection(env, id) {
  return env.CONNECTIONS.get(env.CONNECTIONS.idFromName(id));
}

async function isAdmin(request, env) {
  const given = /^Bearer +(\S+) *$/i.exec(request.headers.get("authorization") ?? "")?.[1] ?? "";
  const encoder = new TextEncoder();
  const [a, b] = await Promise.all([
    crypto.subtle.digest("SHA-256", encoder.encode(given)),
    crypto.subtle.digest("SHA-256", encoder.encode(env.ADMIN_TOKEN ?? "")),
  ]);
  return typeof env.ADMIN_TOKEN === "string" && env.ADMIN_TOKEN.length >= 16 && crypto.subtle.timingSafeEqual(a, b);
}

export class ComparisonConnection extends DurableObject {
  #refreshing = null;

  async save(settings) {
    const existed = (await this.ctx.storage.get("settings")) !== undefined;
    await this.ctx.storage.put("settings", settings);
    await this.ctx.storage.delete(["tokens", "pending"]);
    return json(existed ? 200 : 201, { ok: true });
  }

  async generate(id, redirectUri) {
    const settings = await this.ctx.storage.get("settings");
    const { as, client } = oauthParties(settings);
    const codeVerifier = oauth.generateRandomCodeVerifier();
    const state = `${id}.${oauth.generateRandomState()}`;
    const url = new URL(as.authorization_endpoint);
    url.searchParams.set("response_type", "code");
    url.searchParams.set("client_id", client.client_id);
    url.searchParams.set("redirect_uri", redirectUri);
    url.searchParams.set("state", state);
    url.searchParams.set("code_challenge", await oauth.calculatePKCECodeChallenge(codeVerifier));
    url.searchParams.set("code_challenge_method", "S256");
    await this.ctx.storage.put("pending", { state, codeVerifier, redirectUri });
    return json(200, { authorizationUrl: url.href });
  }

  async complete(callbackUrl) {
    const settings = await this.ctx.storage.get("settings");
    const pending = await this.ctx.storage.get("pending");
    if (!settings || !pending) return json(400, { code: "unknown_state" });
    await this.ctx.storage.delete("pending");
    const { as, client, clientAuth } = oauthParties(settings);
    try {
      const params = oauth.validateAuthResponse(as, client, new URL(callbackUrl), pending.state);
      const response = await oauth.authorizationCodeGrantRequest(
        as, client, clientAuth, params, pending.redirectUri, pending.codeVerifier, requestOptions());
      const result = await oauth.processAuthorizationCodeResponse(as, client, response);
      await this.ctx.storage.put("tokens", tokenSet(result, null));
      return json(200, { ok: true });
    } catch (error) {
      return json(502, { ok: false, code: error?.code ?? "token_exchange_failed" });
    }
  }

  async test() {
    const settings = await this.ctx.storage.get("settings");
    const url = `${settings.baseUrl}/table/sys_db_object?sysparm_limit=1`;
    const started = Date.now();
    try {
      const response = await this.#send(settings, url, "GET");
      const body = response.status === 200 ? await response.json() : (await response.body?.cancel(), null);
      const ok = response.status === 200 && Array.isArray(body?.result);
      return json(200, { ok, code: ok ? "ok" : "failed", status: response.status, elapsedMs: Date.now() - started });
    } catch (error) {
      return json(200, { ok: false, code: error?.code ?? "unreachable", elapsedMs: Date.now() - started });
    }
  }

  async forward({ method, path, search }) {
    const settings = await this.ctx.storage.get("settings");
    const url = `${new URL(settings.baseUrl).origin}/api/now/${path}${search}`;
    try {
      const upstream = await this.#send(settings, url, method);
      const headers = new Headers({ "cache-control": "no-store" });
      for (const name of ["content-type", "x-total-count"]) {
        const value = upstream.headers.get(name);
        if (value !== null) headers.set(name, value);
      }
      return new Response(upstream.body, { status: upstream.status, headers });
    } catch (error) {
      return json(502, { code: error?.code ?? "network_error" });
    }
  }

  /** One request to the instance with the connection's credentials, retried once after a 401. */
  async #send(settings, url, method) {
    if (settings.authType === "basic") {
      return fetch(url, { method, headers: this.#headers(`Basic ${btoa(`${settings.username}:${settings.password}`)}`), signal: AbortSignal.timeout(TIMEOUT_MS) });
    }
    let tokens = await this.#usableTokens(settings);
    const response = await fetch(url, { method, headers: this.#headers(`Bearer ${tokens.accessToken}`), signal: AbortSignal.timeout(TIMEOUT_MS) });
    if (response.status !== 401) return response;
    await response.body?.cancel();
    tokens = await this.#refresh(settings, tokens.accessToken);
    return fetch(url, { method, headers: this.#headers(`Bearer ${tokens.accessToken}`), signal: AbortSignal.timeout(TIMEOUT_MS) });
  }

  #headers(authorization) {
    return { accept: "application/json", authorization };
  }

  async #usableTokens(settings) {
    const tokens = await this.ctx.storage.get("tokens");
    if (!tokens) throw Object.assign(new Error("no token"), { code: "reauthorization_required" });
    const lifetime = tokens.expiresAt - tokens.issuedAt;
    if (tokens.expiresAt - Date.now() > Math.max(MIN_MARGIN_MS, lifetime / 10)) return tokens;
    return this.#refresh(settings, tokens.accessToken);
  }

  /** Joins the running refresh, or starts one unless another request already replaced `stale`. */
  #refresh(settings, stale) {
    this.#refreshing ??= (async () => {
      try {
        const tokens = await this.ctx.storage.get("tokens");
        if (tokens.accessToken !== stale) return tokens;
        const { as, client, clientAuth } = oauthParties(settings);
        const response = await oauth.refreshTokenGrantRequest(as, client, clientAuth, tokens.refreshToken, requestOptions());
        const result = await oauth.processRefreshTokenResponse(as, client, response);
        const refreshed = tokenSet(result, tokens.refreshToken);
        await this.ctx.storage.put("tokens", refreshed);
        return refreshed;
      } finally {
        this.#refreshing = null;
      }
    })();
    return this.#refreshing;
  }
}

function oauthParties(settings) {
  const instance = new URL(settings.baseUrl).origin;
  const as = {
    issuer: instance,
    authorization_endpoint: settings.authorizationUrl || `${instance}/oauth_auth.do`,
    token_endpoint: settings.tokenUrl || `${instance}/oauth_token.do`,
  };
  return { as, client: { client_id: settings.clientId }, clientAuth: oauth.ClientSecretPost(settings.clientSecret) };
}

function requestOptions() {
  // The stand-in speaks plain http on loopback.
  return { [oauth.allowInsecureRequests]: true, signal: AbortSignal.timeout(TIMEOUT_MS) };
}

function tokenSet(result, previousRefreshToken) {
  const issuedAt = Date.now();
  return {
    accessToken: result.access_token,
    refreshToken: result.refresh_token ?? previousRefreshToken,
    issuedAt,
    expiresAt: issuedAt + (result.expires_in ?? 1800) * 1000,
  };
}
