// The edge worker's entry: routes the HTTP API of DESIGN.md ("HTTP API of the worker"), checks the
// admin token (constant time, never open without one), applies CORS for ALLOWED_ORIGINS only, bounds
// and type-checks request bodies, and hands each connection's work to its Durable Object
// (connection.js) over Workers RPC. The OAuth callback is the one public API route; everything else
// under /api/ needs `Authorization: Bearer <ADMIN_TOKEN>`. Other paths are the page's static files
// (www/, the ASSETS binding). The router logs one line per API request: method, route template,
// connection id and status — never a URL, query, header or body.

import { parseCallback } from "./core.js";
import { callbackPage } from "./callback-page.js";
import {
  adminToken, allowedOrigins, callbackUrl, insecureLoopbackAllowed, keyring, publicOrigin,
} from "./environment.js";
import { FORWARD_METHODS, forwardableHeaders } from "./forward.js";
import { HttpError, errorResponse, jsonResponse, readBody, readJsonObject } from "./http.js";
import { registryStub } from "./registry.js";

export { ConnectionObject } from "./connection.js";
export { ConnectionRegistry } from "./registry.js";

/** Connection ids: safe in URLs, storage keys and as the OAuth state prefix (which ends at "."). */
export const CONNECTION_ID = /^[A-Za-z0-9_-]{1,64}$/;

const CORS_REQUEST_HEADERS = [
  "authorization", "content-type", "accept", "accept-language", "content-language", "if-match", "if-none-match",
  "if-modified-since", "if-unmodified-since", "x-no-response-body", "x-wantsessionnotificationmessages",
].join(", ");
const CORS_EXPOSED_HEADERS = [
  "retry-after", "x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset", "x-total-count", "etag",
  "last-modified",
].join(", ");

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const path = url.pathname;
    if (path === "/oauth2/callback") return handleCallback(request, env, url);
    if (path === "/api" || path.startsWith("/api/")) return handleApi(request, env, url);
    return handleStatic(request, env);
  },
};

// ---- static files ----

async function handleStatic(request, env) {
  if (request.method !== "GET" && request.method !== "HEAD") {
    return errorResponse(new HttpError(405, "method_not_allowed", `${request.method} is not allowed here.`,
      { headers: { allow: "GET, HEAD" } }));
  }
  if (!env.ASSETS) return errorResponse(new HttpError(404, "not_found", "There is no page here."));
  return env.ASSETS.fetch(request);
}

// ---- API ----

/** Matches an API path to its route: {template, methods, id?, rest?} or null. */
function matchRoute(path) {
  const segments = path.split("/").slice(1);
  if (segments[0] !== "api" || segments[1] !== "connections") return null;
  if (segments.length === 2) return { template: "/api/connections", methods: ["GET"] };
  const id = segments[2];
  const tail = segments.slice(3);
  if (id === "") return null;
  if (tail.length === 0) return { template: "/api/connections/:id", methods: ["GET", "PUT", "DELETE"], id };
  if (tail.length === 2 && tail[0] === "oauth" && tail[1] === "generate") {
    return { template: "/api/connections/:id/oauth/generate", methods: ["POST"], id };
  }
  if (tail.length === 1 && tail[0] === "token") return { template: "/api/connections/:id/token", methods: ["DELETE"], id };
  if (tail.length === 1 && tail[0] === "test") return { template: "/api/connections/:id/test", methods: ["POST"], id };
  if (tail[0] === "now") {
    return { template: "/api/connections/:id/now/*", methods: FORWARD_METHODS, id, rest: tail.slice(1).join("/") };
  }
  return null;
}

async function handleApi(request, env, url) {
  const route = matchRoute(url.pathname);
  const started = Date.now();
  let response;
  try {
    response = await routeApi(request, env, url, route);
  } catch (error) {
    response = errorResponse(error);
  }
  response = withCors(response, request, env);
  const ms = Date.now() - started;
  // What needs attention: failures and slow requests. Successful requests are in the platform's own
  // request logs; a line for each would cost more than the request on a busy connection.
  if (response.status >= 400 || ms >= SLOW_REQUEST_MS) {
    console.log(JSON.stringify({
      event: "api",
      method: request.method,
      route: route?.template ?? "(unknown)",
      connection: route?.id && CONNECTION_ID.test(route.id) ? route.id : undefined,
      status: response.status,
      ms,
    }));
  }
  return response;
}

const SLOW_REQUEST_MS = 1000;

async function routeApi(request, env, url, route) {
  if (!route) throw new HttpError(404, "not_found", "There is no such API route.");
  const method = request.method;
  if (method === "OPTIONS") return preflight(request, env, route);
  if (!route.methods.includes(method)) {
    throw new HttpError(405, "method_not_allowed", `${method} is not allowed on ${route.template}.`,
      { headers: { allow: route.methods.join(", ") } });
  }
  checkOrigin(request, env);
  await checkAdmin(request, env);
  if (route.id !== undefined && !CONNECTION_ID.test(route.id)) {
    throw new HttpError(400, "invalid_connection_id",
      "Connection ids are 1 to 64 letters, digits, '_' or '-'.", { field: "id" });
  }
  keyring(env);

  if (route.template === "/api/connections") {
    // What a settings form needs to know about this worker: whether loopback http is accepted (so
    // it validates as the worker will) and the callback URL to register in ServiceNow.
    const worker = { allowInsecureLoopback: insecureLoopbackAllowed(env), callbackUrl: callbackUrl(env, request) };
    return jsonResponse(200, { connections: await registryStub(env).list(), worker });
  }
  const stub = env.CONNECTIONS.get(env.CONNECTIONS.idFromName(route.id));
  switch (`${method} ${route.template}`) {
    case "GET /api/connections/:id":
      return stub.view(route.id, context(env, request));
    case "PUT /api/connections/:id": {
      // `If-None-Match: *` (RFC 9110 §13.1.2): create only; an existing connection is left alone.
      const createOnly = request.headers.get("if-none-match")?.trim() === "*";
      return stub.save(route.id, await readJsonObject(request), { ...context(env, request), createOnly });
    }
    case "DELETE /api/connections/:id":
      return stub.remove(route.id);
    case "POST /api/connections/:id/oauth/generate":
      return stub.generate(route.id, await readJsonObject(request, { optional: true }), context(env, request));
    case "DELETE /api/connections/:id/token":
      return stub.resetToken(route.id, context(env, request));
    case "POST /api/connections/:id/test":
      await readJsonObject(request, { optional: true });
      return stub.test(route.id);
    default: {
      const body = method === "GET" || method === "HEAD" ? null : await readBody(request);
      return stub.forward(route.id, {
        method,
        path: route.rest,
        query: url.search.slice(1),
        headers: forwardableHeaders(request.headers),
        body: body && body.byteLength > 0 ? body : null,
      });
    }
  }
}

function context(env, request) {
  return { callbackUrl: callbackUrl(env, request) };
}

// ---- admin authentication ----

async function checkAdmin(request, env) {
  const expected = adminToken(env);
  const header = request.headers.get("authorization") ?? "";
  const match = /^Bearer +(\S+) *$/i.exec(header);
  if (!match || !(await matchesAdminToken(match[1], expected))) {
    throw new HttpError(401, "unauthorized", "A valid admin token is required: Authorization: Bearer <ADMIN_TOKEN>.",
      { headers: { "www-authenticate": 'Bearer realm="servicenow-connection"' } });
  }
}

// The configured token's digest, computed once per isolate (and again if the token changes).
let expectedDigest = null;

/**
 * Compares the given token with the configured one in time independent of where they differ: both
 * are hashed (so lengths match and nothing leaks through an early exit), then compared with
 * timingSafeEqual.
 */
async function matchesAdminToken(given, expected) {
  const encoder = new TextEncoder();
  if (expectedDigest?.token !== expected) {
    expectedDigest = { token: expected, digest: await crypto.subtle.digest("SHA-256", encoder.encode(expected)) };
  }
  const digest = await crypto.subtle.digest("SHA-256", encoder.encode(given));
  return crypto.subtle.timingSafeEqual(digest, expectedDigest.digest);
}

// ---- CORS ----

/**
 * The worker's own origin: PUBLIC_URL when set (so a Host header chosen by someone else, as in DNS
 * rebinding, does not make their origin "own"), else the request's origin. Same-origin requests
 * from the page the worker serves are never cross-origin.
 */
function ownOrigins(env, request) {
  try {
    return new Set([publicOrigin(env, request)]);
  } catch {
    // An invalid PUBLIC_URL is reported by the routes that need it; meanwhile nothing is "own".
    return new Set();
  }
}

function isAllowedOrigin(origin, env, request) {
  return allowedOrigins(env).includes(origin) || ownOrigins(env, request).has(origin);
}

/** Browsers name the calling page's origin; a page from anywhere else is refused outright. */
function checkOrigin(request, env) {
  const origin = request.headers.get("origin");
  if (origin !== null && !isAllowedOrigin(origin, env, request)) {
    throw new HttpError(403, "origin_not_allowed", "Requests from this origin are not allowed (see ALLOWED_ORIGINS).");
  }
}

function preflight(request, env, route) {
  const origin = request.headers.get("origin");
  if (origin === null || !allowedOrigins(env).includes(origin)) {
    throw new HttpError(403, "origin_not_allowed", "Requests from this origin are not allowed (see ALLOWED_ORIGINS).");
  }
  return new Response(null, {
    status: 204,
    headers: {
      "access-control-allow-methods": route.methods.join(", "),
      "access-control-allow-headers": CORS_REQUEST_HEADERS,
      "access-control-max-age": "600",
    },
  });
}

function withCors(response, request, env) {
  const origin = request.headers.get("origin");
  // Without an Origin there is no browser to tell anything: the answer goes out as it is.
  if (origin === null) return response;
  const mutable = new Response(response.body, response);
  mutable.headers.append("vary", "Origin");
  if (origin !== null && allowedOrigins(env).includes(origin)) {
    mutable.headers.set("access-control-allow-origin", origin);
    mutable.headers.set("access-control-expose-headers", CORS_EXPOSED_HEADERS);
  }
  return mutable;
}

// ---- OAuth callback ----

async function handleCallback(request, env, url) {
  const started = Date.now();
  const response = await callbackResponse(request, env, url);
  console.log(JSON.stringify({
    event: "callback",
    route: "/oauth2/callback",
    status: response.status,
    ms: Date.now() - started,
  }));
  return response;
}

async function callbackResponse(request, env, url) {
  const targetOrigins = [...new Set([...allowedOrigins(env), ...ownOrigins(env, request)])];
  const page = (result, connectionId = null) => callbackPage(result, { connectionId, targetOrigins });
  const failed = (status, code, message) => page({ ok: false, status, code, message });

  if (request.method !== "GET" && request.method !== "HEAD") {
    return errorResponse(new HttpError(405, "method_not_allowed", `${request.method} is not allowed on /oauth2/callback.`,
      { headers: { allow: "GET, HEAD" } }));
  }
  let callback;
  try {
    callback = parseCallback(url.search);
  } catch (error) {
    if (error?.field === "state" && error.code === "required") {
      return failed(400, "missing_state",
        "The answer from the instance has no state, so it cannot be matched to an authorization request. No token was stored.");
    }
    return failed(400, "invalid_callback", `The answer from the instance is not a valid authorization response: ${error?.message ?? "unreadable"}. No token was stored.`);
  }
  if (!callback.state) {
    const denied = callback.error === "access_denied" ? "Access was denied at the instance, and " : "";
    return failed(400, "missing_state",
      `${denied}the answer has no state, so it cannot be matched to an authorization request. No token was stored.`);
  }
  const dot = callback.state.indexOf(".");
  const id = dot > 0 ? callback.state.slice(0, dot) : "";
  if (!CONNECTION_ID.test(id)) {
    return failed(400, "unknown_state",
      "This authorization request is not known to this worker. No token was stored. Click Generate to try again.");
  }
  try {
    keyring(env);
  } catch (error) {
    return failed(error.status ?? 503, error.code ?? "sealing_key_invalid", error.message);
  }
  const stub = env.CONNECTIONS.get(env.CONNECTIONS.idFromName(id));
  let result;
  try {
    result = await stub.completeAuthorization(id, callback);
  } catch (error) {
    // The object was reset (evicted, restarted) during the exchange. Its storage holds all of the
    // token write or none of it, but which one is not known here, so the page says where to look.
    console.error(JSON.stringify({ event: "callback_interrupted", name: error?.name ?? typeof error }));
    return page({
      ok: false, status: 503, code: "connection_interrupted",
      message: "The connection was interrupted while completing the authorization. If its token status shows no token, click Generate to try again.",
    }, id);
  }
  return page(result, result.code === "unknown_state" ? null : id);
}
