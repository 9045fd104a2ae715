// The OAuth 2.0 authorization server of the stand-in, built on oidc-provider and shaped like a
// ServiceNow instance: /oauth_auth.do and /oauth_token.do, authorization_code (PKCE S256 checked
// when sent) and refresh_token grants, the server-to-server grants of grants.js (client
// credentials, JWT bearer, password), client_secret_post and client_secret_basic.
// ServiceNow specifics layered over the engine with Koa middleware:
// - a request without scope gets "useraccount", and `state` is required as on current instances;
// - the token answer is {access_token, refresh_token, scope, token_type, expires_in} where
//   expires_in is the whole seconds left (1800 s lifetime -> 1799), id_token only with openid;
// - the refresh grant returns the same refresh token and never extends its life (no rotation);
// - failed grants answer 401 {"error":"server_error","error_description":"access_denied"}
//   unless the "rfc" error style is switched on (RFC 6749 §5.2 as the engine answers);
// - a JSON body to the token endpoint is refused with 400;
// - a token answer without a refresh token (client credentials, JWT bearer) leaves the field out.
// Each client also has grant settings (client_grants.js): its application user, whether it takes
// the password grant, and how its JWT-bearer assertions are checked.
// Sources: ServiceNow "OAuth inbound" docs, RFC 6749, RFC 7636, RFC 9700.

import { Readable } from "node:stream";
import { generateKeyPairSync, randomBytes } from "node:crypto";

import {
  ClientGrants,
  ClientSettingsError,
  CLIENT_SETTING_NAMES,
  validateClientSettings,
} from "./client_grants.js";
import { Provider, interactionPolicy } from "./engine.js";
import { GRANT_TYPES, registerServerGrants } from "./grants.js";
import { AssertionVerifier } from "./jwt_assertion.js";
import { oauthErrorPage } from "./pages.js";
import {
  applyFault,
  BodyTooLarge,
  closeAfterAnswer,
  readBody,
  sendHibernating,
  sendJson,
} from "./http_io.js";
import { recordSecret } from "./recording.js";

export const ROUTES = Object.freeze({
  authorization: "/oauth_auth.do",
  token: "/oauth_token.do",
  revocation: "/oauth_revoke_token.do",
  interaction: "/oauth_interaction",
});

const TOKEN_BODY_LIMIT = 56 * 1024;
const DEFAULT_SCOPE = "useraccount";
const SCOPES = ["openid", "offline_access", DEFAULT_SCOPE];
const SERVICENOW_GRANT_ERROR = Object.freeze({ error: "server_error", error_description: "access_denied" });
const LONG_LIVED = 10 * 365 * 24 * 3600;

// Always asking for consent matches an instance's "Allow access" page on every authorization,
// and gives tests a deny path even when the browser session is still signed in.
function consentEveryTime() {
  const policy = interactionPolicy.base();
  policy.get("consent").checks.push(new interactionPolicy.Check(
    "consent_every_time",
    "the user is asked to allow access on every authorization request",
    (ctx) => !ctx.oidc.result?.consent,
  ));
  return policy;
}

function signingKey() {
  const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  return { ...privateKey.export({ format: "jwk" }), use: "sig", alg: "ES256" };
}

export function clientMetadata({ clientId, clientSecret, redirectUris, clientName }) {
  return {
    client_id: clientId,
    client_secret: clientSecret,
    client_name: clientName ?? clientId,
    redirect_uris: [...redirectUris],
    // Every client may ask for every grant; grants.js decides from the client's grant settings.
    grant_types: ["authorization_code", "refresh_token", ...Object.values(GRANT_TYPES)],
    response_types: ["code"],
    token_endpoint_auth_method: "client_secret_post",
    id_token_signed_response_alg: "ES256",
  };
}

function validateClientInput(input) {
  const problems = [];
  if (input === null || typeof input !== "object") return ["client must be an object"];
  const { clientId, clientSecret, redirectUris, clientName } = input;
  if (typeof clientId !== "string" || !/^[\x21-\x7e]{1,255}$/.test(clientId)) {
    problems.push("clientId must be 1-255 visible ASCII characters");
  }
  if (typeof clientSecret !== "string" || clientSecret.length < 1 || clientSecret.length > 1024) {
    problems.push("clientSecret must be a non-empty string");
  }
  if (clientName !== undefined && typeof clientName !== "string") problems.push("clientName must be a string");
  if (!Array.isArray(redirectUris) || redirectUris.length === 0) {
    problems.push("redirectUris must be a non-empty array of http(s) URLs");
  } else {
    for (const uri of redirectUris) {
      let url;
      try {
        url = new URL(uri);
      } catch {
        url = undefined;
      }
      if (!url || !["http:", "https:"].includes(url.protocol) || url.hash) {
        problems.push(`redirectUris: ${JSON.stringify(uri)} is not an http(s) URL without fragment`);
      }
    }
  }
  return problems;
}

export class ClientError extends Error {
  constructor(problems) {
    super(problems.join("; "));
    this.name = "ClientError";
    this.problems = problems;
  }
}

export class UnknownClientError extends Error {
  constructor(clientId) {
    super(`no client ${clientId}`);
    this.name = "UnknownClientError";
  }
}

// A request stream that replays a body already read, so the stand-in can inspect a token
// request (grant type, content type, size) before the engine parses it.
function replayRequest(req, body) {
  const replay = Readable.from(body.length ? [body] : []);
  for (const key of ["headers", "rawHeaders", "method", "url", "httpVersion", "httpVersionMajor", "httpVersionMinor", "socket"]) {
    Object.defineProperty(replay, key, { value: req[key], enumerable: true });
  }
  return replay;
}

function grantTypeOf(contentType, body) {
  if (!/^application\/x-www-form-urlencoded\b/i.test(contentType ?? "")) return "unparsed";
  const grantType = new URLSearchParams(body.toString("latin1")).get("grant_type");
  if (grantType === null || grantType === "") return "missing";
  return grantType.slice(0, 64);
}

export class OAuthServer {
  constructor({ issuer, port, vault, store, switches, counters, timers }) {
    this.vault = vault;
    this.store = store;
    this.switches = switches;
    this.counters = counters;
    this.timers = timers;
    this.clientGrants = new ClientGrants();
    this.verifier = new AssertionVerifier({ store, counters, tokenEndpoint: `${issuer}${ROUTES.token}` });

    const cookieOptions = { httpOnly: true, sameSite: "lax", overwrite: true };
    this.provider = new Provider(issuer, {
      adapter: (model) => vault.adapterFor(model),
      clients: [],
      clientBasedCORS: () => false,
      clockTolerance: 0,
      cookies: {
        // Ports are not part of cookie scope, so several stand-ins on 127.0.0.1 in one browser
        // would overwrite each other's sessions without a per-port name.
        names: {
          session: `standin_session_${port}`,
          interaction: `standin_interaction_${port}`,
          resume: `standin_resume_${port}`,
        },
        long: cookieOptions,
        short: cookieOptions,
        keys: [randomBytes(32).toString("base64url")],
      },
      expiresWithSession: async () => false,
      features: {
        devInteractions: { enabled: false },
        dPoP: { enabled: false },
        introspection: { enabled: false },
        pushedAuthorizationRequests: { enabled: false },
        resourceIndicators: { enabled: false },
        revocation: {
          enabled: true,
          allowedPolicy: async (_ctx, client, token) => token.clientId === client.clientId,
        },
        rpInitiatedLogout: { enabled: false },
        userinfo: { enabled: false },
      },
      findAccount: async (_ctx, sub) => {
        const user = store.user(sub);
        if (!user) return undefined;
        return {
          accountId: sub,
          claims: async () => ({ sub, name: `${user.first_name ?? ""} ${user.last_name ?? ""}`.trim(), email: user.email }),
        };
      },
      interactions: {
        policy: consentEveryTime(),
        url: async (_ctx, interaction) => `${ROUTES.interaction}/${interaction.uid}`,
      },
      issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed("refresh_token"),
      jwks: { keys: [signingKey()] },
      pkce: { required: () => false },
      renderError: async (ctx, out) => {
        ctx.type = "html";
        ctx.body = oauthErrorPage({ error: out.error, description: out.error_description });
      },
      responseTypes: ["code"],
      rotateRefreshToken: false,
      routes: {
        authorization: ROUTES.authorization,
        token: ROUTES.token,
        revocation: ROUTES.revocation,
      },
      scopes: SCOPES,
      ttl: {
        AccessToken: () => switches.get("accessTtl"),
        AuthorizationCode: 60,
        ClientCredentials: 600,
        DeviceCode: 600,
        BackchannelAuthenticationRequest: 600,
        PreAuthorizedCode: 600,
        Grant: LONG_LIVED,
        IdToken: 3600,
        Interaction: 3600,
        RefreshToken: () => switches.get("refreshTtl"),
        Session: 24 * 3600,
      },
    });

    registerServerGrants(this.provider, {
      store,
      switches,
      clientGrants: this.clientGrants,
      verifier: this.verifier,
      defaultScope: DEFAULT_SCOPE,
      scopes: SCOPES,
    });
    this.provider.use(this.#shapeForServiceNow.bind(this));
    this.callback = this.provider.callback();
  }

  async #shapeForServiceNow(ctx, next) {
    if (ctx.path === ROUTES.authorization && ctx.method === "GET") {
      this.counters.authorizationCall();
      const params = new URLSearchParams(ctx.querystring);
      if (!params.get("state")) {
        ctx.status = 400;
        ctx.type = "html";
        ctx.body = oauthErrorPage({ error: "invalid_request", description: "the state parameter is required" });
        return;
      }
      if (!params.get("scope")) {
        params.set("scope", DEFAULT_SCOPE);
        ctx.querystring = params.toString();
      }
    }
    if (ctx.path === ROUTES.revocation && ctx.method === "POST") this.counters.revocationCall();

    await next();

    if (ctx.path === ROUTES.token) await this.#shapeTokenAnswer(ctx);
    if (ctx.status === 404 && ctx.body === undefined) {
      ctx.status = 404;
      ctx.body = {
        error: { message: "Requested URI does not represent any resource", detail: null },
        status: "failure",
      };
    }
  }

  async #shapeTokenAnswer(ctx) {
    const body = ctx.body;
    if (ctx.status === 200 && body && typeof body === "object" && body.access_token) {
      const stored = await this.provider.AccessToken.find(body.access_token);
      const expiresAt = stored?.exp ?? Math.floor(Date.now() / 1000) + body.expires_in;
      const secondsLeft = Math.max(0, Math.floor(expiresAt - Date.now() / 1000));
      ctx.body = {
        access_token: body.access_token,
        ...(body.refresh_token ? { refresh_token: body.refresh_token } : {}),
        ...(body.id_token ? { id_token: body.id_token } : {}),
        scope: body.scope ?? DEFAULT_SCOPE,
        token_type: "Bearer",
        expires_in: secondsLeft,
      };
      ctx.type = "application/json;charset=UTF-8";
      return;
    }
    if (ctx.status >= 400) {
      // Why it was refused, for the counters: a grant handler's reason, else the engine's error code.
      const engineError = body && typeof body === "object" && typeof body.error === "string" ? body.error : undefined;
      ctx.req.standinRefusal = ctx.state.standinRefusal ?? engineError;
    }
    if (ctx.status >= 400 && ctx.status < 500 && this.switches.get("tokenErrorStyle") === "servicenow") {
      const answer = ctx.state.servicenowAnswer ?? { status: 401, body: SERVICENOW_GRANT_ERROR };
      ctx.status = answer.status;
      ctx.body = { ...answer.body };
      ctx.remove("WWW-Authenticate");
    }
  }

  // The token endpoint goes through here first: hibernation, counting, injected faults and the
  // content-type rule happen before the engine sees the request.
  async handleToken(req, res) {
    if (req.method !== "POST") {
      sendJson(res, 405, { error: "invalid_request", error_description: "the token endpoint accepts POST only" }, { Allow: "POST" });
      return;
    }
    let body;
    try {
      body = await readBody(req, TOKEN_BODY_LIMIT);
    } catch (error) {
      if (!(error instanceof BodyTooLarge)) throw error;
      closeAfterAnswer(res);
      this.counters.tokenCall("unparsed", "error");
      sendJson(res, 413, { error: "invalid_request", error_description: "request body too large" });
      return;
    }
    const contentType = req.headers["content-type"];
    const grantType = grantTypeOf(contentType, body);
    if (grantType !== "unparsed") {
      const form = new URLSearchParams(body.toString("latin1"));
      recordSecret("code_verifier", form.get("code_verifier"));
      recordSecret("assertion", form.get("assertion"));
      recordSecret("password", form.get("password"));
    }

    if (this.switches.get("hibernating")) {
      this.counters.tokenCall(grantType, "hibernating");
      sendHibernating(res);
      return;
    }
    const fault = this.switches.takeFault("tokenFault");
    if (fault) {
      const tookOver = await applyFault(res, fault, this.timers, "token");
      if (tookOver) {
        this.counters.tokenCall(grantType, "fault");
        return;
      }
    }
    if (/^application\/json\b/i.test(contentType ?? "") || /^\s*[{[]/.test(body.toString("latin1", 0, 64))) {
      this.counters.tokenCall(grantType, "error");
      sendJson(res, 400, {
        error: "invalid_request",
        error_description: "the token request must be application/x-www-form-urlencoded",
      });
      return;
    }
    const replay = replayRequest(req, body);
    res.once("finish", () => {
      this.counters.tokenCall(grantType, res.statusCode === 200 ? "ok" : "error", replay.standinRefusal);
    });
    this.callback(replay, res);
  }

  async handleEngine(req, res) {
    if (this.switches.get("hibernating")) {
      sendHibernating(res);
      return;
    }
    this.callback(req, res);
  }

  #validateSettings(patch) {
    try {
      return validateClientSettings(patch, { userExists: (name) => this.store.user(name) !== undefined });
    } catch (error) {
      if (error instanceof ClientSettingsError) throw new ClientError([error.message]);
      throw error;
    }
  }

  /** Adds or replaces a client: id, secret, redirect URIs, name and grant settings (client_grants.js). */
  async addClient(input) {
    const problems = validateClientInput(input);
    if (problems.length) throw new ClientError(problems);
    const settings = this.#validateSettings(input);
    const metadata = clientMetadata(input);
    recordSecret("client_secret", metadata.client_secret);
    try {
      await this.provider.Client.validate(metadata);
    } catch (error) {
      throw new ClientError([error.error_description ?? error.message]);
    }
    this.vault.set("Client", metadata.client_id, metadata);
    this.clientGrants.replace(metadata.client_id, settings);
    this.verifier.forgetClient(metadata.client_id);
    return { clientId: metadata.client_id, redirectUris: metadata.redirect_uris };
  }

  /** Changes some of a client's grant settings; throws UnknownClientError or ClientError. */
  configureClient(clientId, patch) {
    if (!this.vault.get("Client", clientId)) throw new UnknownClientError(clientId);
    if (patch === null || typeof patch !== "object" || Array.isArray(patch)) {
      throw new ClientError(["settings must be an object"]);
    }
    const unknown = Object.keys(patch).filter((key) => !CLIENT_SETTING_NAMES.includes(key));
    if (unknown.length) {
      throw new ClientError([`${unknown[0]}: is not a client setting; known: ${CLIENT_SETTING_NAMES.join(", ")}`]);
    }
    this.clientGrants.update(clientId, this.#validateSettings(patch));
    this.verifier.forgetClient(clientId);
    return this.clientView(clientId);
  }

  /** A client as the admin routes show it (never its secret), or undefined. */
  clientView(clientId) {
    const metadata = this.vault.get("Client", clientId);
    if (!metadata) return undefined;
    return {
      clientId,
      clientName: metadata.client_name,
      redirectUris: [...metadata.redirect_uris],
      ...this.clientGrants.get(clientId),
    };
  }

  async clientName(clientId) {
    const client = await this.provider.Client.find(clientId);
    return client?.clientName ?? clientId;
  }

  // The user name behind a live access token, or undefined for unknown, expired or revoked ones.
  async accountForAccessToken(value) {
    if (typeof value !== "string" || value.length === 0 || value.length > 512) return undefined;
    const token = await this.provider.AccessToken.find(value);
    if (!token || token.isExpired) return undefined;
    return token.accountId;
  }
}
