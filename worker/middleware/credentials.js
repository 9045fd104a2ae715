// Who is calling: `Authorization: Bearer <ADMIN_TOKEN>` (a worker secret) on every admin route. The
// token is compared in time independent of where it differs (both sides hashed, then
// timingSafeEqual), and any token of one or more non-space characters is read: Hono's bearerAuth
// accepts only RFC 6750's token68 characters and answers a malformed header with 400, where the
// worker answers 401 with a `WWW-Authenticate: Bearer` challenge to anything that is not the token.
// No token configured, or one too short to be a secret: the admin API refuses everything (503).

import { adminToken } from "../environment.js";
import { Code, HttpError } from "../errors.js";

const BEARER = /^Bearer +(\S+) *$/i;

function unauthorized() {
  return new HttpError(401, Code.UNAUTHORIZED, "A valid admin token is required: Authorization: Bearer <ADMIN_TOKEN>.",
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
