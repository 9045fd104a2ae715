// Who is calling. `Authorization: Bearer <ADMIN_TOKEN>` (a worker secret) works on every route; on a
// connection's forwarding routes and Test Connection, so does an access key of that connection
// (access-keys.js), and nowhere else. The admin token is compared in time independent of where it
// differs (both sides hashed, then timingSafeEqual), and any token of one or more non-space
// characters is read: Hono's bearerAuth accepts only RFC 6750's token68 characters and answers a
// malformed header with 400, where the worker answers 401 with a `WWW-Authenticate: Bearer` challenge
// to anything that is not a valid credential. An access key is checked here as far as it can be
// without storage — its form, its connection, its check value — so a made-up or foreign key never
// reaches a connection's object; the object checks the rest. Credentials are read from the
// Authorization header only, never from a cookie or the query. No admin token configured, or one too
// short to be a secret: the admin API refuses everything (503).

import { checkAccessKey, keyHash, looksLikeAccessKey } from "../access-keys.js";
import { adminToken } from "../environment.js";
import { Code, HttpError } from "../errors.js";
import { rawConnectionId } from "./connection-id.js";

const BEARER = /^Bearer +(\S+) *$/i;

function unauthorized(message = "A valid admin token is required: Authorization: Bearer <ADMIN_TOKEN>.") {
  return new HttpError(401, Code.UNAUTHORIZED, message,
    { headers: { "www-authenticate": 'Bearer realm="servicenow-connection"' } });
}

// The configured token's digest, computed once per isolate (and again if the token changes).
let expected = null;

async function isAdminToken(given, token) {
  const encoder = new TextEncoder();
  if (expected?.token !== token) {
    expected = { token, digest: await crypto.subtle.digest("SHA-256", encoder.encode(token)) };
  }
  const digest = await crypto.subtle.digest("SHA-256", encoder.encode(given));
  return crypto.subtle.timingSafeEqual(digest, expected.digest);
}

/** The bearer token of the request, or null. */
export function bearerToken(c) {
  const match = BEARER.exec(c.req.header("authorization") ?? "");
  return match ? match[1] : null;
}

export async function requireAdmin(c, next) {
  const token = adminToken(c.env);
  const given = bearerToken(c);
  if (given === null || !(await isAdminToken(given, token))) throw unauthorized();
  c.set("caller", { kind: "admin" });
  await next();
}

/**
 * The admin token, or an access key of the route's connection: `caller` is `{kind: "admin"}` or
 * `{kind: "key", keyId, hash}`.
 */
export async function requireAdminOrKey(c, next) {
  const token = adminToken(c.env);
  const given = bearerToken(c);
  if (given !== null && looksLikeAccessKey(given)) {
    const checked = await checkAccessKey(c.env, given);
    if (checked === null || checked.connectionId !== rawConnectionId(c)) {
      throw unauthorized("This access key is not valid for this connection.");
    }
    c.set("caller", { kind: "key", keyId: checked.keyId, hash: await keyHash(given) });
  } else if (given === null || !(await isAdminToken(given, token))) {
    throw unauthorized("A valid admin token or an access key of this connection is required: Authorization: Bearer <token>.");
  } else {
    c.set("caller", { kind: "admin" });
  }
  await next();
}
