// The worker's HTTP API as one route table on Hono: each route lists its methods and the checks it
// runs, in this order — route (404), method (405 with Allow), the worker's own origin (PUBLIC_URL),
// the caller's origin (403), credentials (401), connection id (400), sealing key (503), body size
// (413) — then its handler. Every API answer, errors included, passes the request log, the CORS
// headers and the secure headers; the callback page the secure headers too. Routing sees the path exactly as sent (no percent-decoding), so an
// encoded character can neither select another route nor change a connection id. The OAuth callback
// and the JWT-bearer connections' key sets (JWKS) are the public routes, each guarded by a tag only
// this worker can make; everything outside /api/ and /oauth2/ is the page's static files.

import { Hono } from "hono";

import { Code, HttpError } from "./errors.js";
import { FORWARD_METHODS, errorResponse } from "./http.js";
import { requireSealingKey } from "./middleware/sealing-key.js";
import { limitAdminBody } from "./middleware/body-limit.js";
import { requireConnectionId } from "./middleware/connection-id.js";
import { checkOrigin, corsHeaders, preflight } from "./middleware/cors.js";
import { requireAdmin, requireAdminOrKey } from "./middleware/credentials.js";
import { requirePublicOrigin } from "./middleware/public-origin.js";
import { logRequest } from "./middleware/request-log.js";
import { apiSecureHeaders } from "./middleware/secure-headers.js";
import { oauthCallback } from "./routes/callback.js";
import {
  deleteConnection, generate, listConnections, resetToken, saveConnection, testConnection, viewConnection,
} from "./routes/connections.js";
import { forwardTo } from "./routes/forward.js";
import { jwksDocument } from "./routes/jwks.js";
import { auditPage, createKey, editKey, listKeys, revokeKey } from "./routes/keys.js";
import { staticFiles } from "./routes/static-files.js";

/** The request's path as sent: no percent-decoding, no query. */
function rawPath(request) {
  const url = request.url;
  const start = url.indexOf("/", url.indexOf("://") + 3);
  const query = url.indexOf("?", start);
  return query === -1 ? url.slice(start) : url.slice(start, query);
}

function methodNotAllowed(template, methods) {
  const allow = methods.join(", ");
  return (c) => {
    throw new HttpError(405, Code.METHOD_NOT_ALLOWED, `${c.req.method} is not allowed on ${template}.`, { headers: { allow } });
  };
}

/** One handler per method, for a route with several. */
function byMethod(handlers) {
  return (c) => handlers[c.req.method](c);
}

export const app = new Hono({ getPath: rawPath });

app.onError((error) => errorResponse(error));

app.use("/api/*", logRequest, corsHeaders, apiSecureHeaders);

const admin = [requirePublicOrigin, checkOrigin, requireAdmin];
const adminOfConnection = [...admin, requireConnectionId, requireSealingKey];
// Routes an access key of the connection may use as well as the admin token.
const callerOfConnection = [requirePublicOrigin, checkOrigin, requireAdminOrKey, requireConnectionId, requireSealingKey];

function route(template, methods, ...chain) {
  const named = async (c, next) => {
    c.set("route", template);
    await next();
  };
  app.options(template, named, preflight(methods));
  app.on(methods, template, named, ...chain);
  app.all(template, named, methodNotAllowed(template, methods));
}

route("/api/connections", ["GET"], ...admin, requireSealingKey, listConnections);
route("/api/connections/:id", ["GET", "PUT", "DELETE"], ...adminOfConnection, limitAdminBody,
  byMethod({ GET: viewConnection, PUT: saveConnection, DELETE: deleteConnection }));
route("/api/connections/:id/oauth/generate", ["POST"], ...adminOfConnection, limitAdminBody, generate);
route("/api/connections/:id/token", ["DELETE"], ...adminOfConnection, resetToken);
route("/api/connections/:id/test", ["POST"], ...callerOfConnection, limitAdminBody, testConnection);
route("/api/connections/:id/keys", ["GET", "POST"], ...adminOfConnection, limitAdminBody, byMethod({ GET: listKeys, POST: createKey }));
route("/api/connections/:id/keys/:keyId", ["PATCH", "DELETE"], ...adminOfConnection, limitAdminBody,
  byMethod({ PATCH: editKey, DELETE: revokeKey }));
route("/api/connections/:id/audit", ["GET"], ...adminOfConnection, auditPage);
route("/api/connections/:id/now/*", FORWARD_METHODS, ...callerOfConnection, forwardTo("now"));
route("/api/connections/:id/api/*", FORWARD_METHODS, ...callerOfConnection, forwardTo("api"));

app.all("/api/*", () => {
  throw new HttpError(404, Code.NOT_FOUND, "There is no such API route.");
});

app.all("/oauth2/callback", apiSecureHeaders, oauthCallback);
app.all("/oauth2/jwks/*", async (c, next) => {
  c.set("route", "/oauth2/jwks/:id/:tag");
  await next();
}, logRequest, apiSecureHeaders, jwksDocument);
app.all("*", staticFiles);
