// Cross-origin rules of the API (Fetch standard, CORS protocol). Browsers name the calling page's
// origin: a page from neither ALLOWED_ORIGINS nor the worker's own origin (PUBLIC_URL) is refused
// outright with 403 `origin_not_allowed` — Hono's `cors` middleware would only leave its headers off
// and still run the request. Preflights are answered for ALLOWED_ORIGINS only (403 otherwise), with the
// route's own methods; answers to an allowed origin carry Access-Control-Allow-Origin and expose the
// rate-limit, paging and caching headers. Requests without an Origin (curl, servers) pass unchanged.
// Every answer of the API is a Response the worker made itself, so its headers can be added to.

import { allowedOrigins } from "../environment.js";
import { Code, HttpError } from "../errors.js";

const REQUEST_HEADERS = [
  "authorization", "content-type", "accept", "accept-language", "content-language", "if-match", "if-none-match",
  "if-modified-since", "if-unmodified-since", "x-no-response-body", "x-wantsessionnotificationmessages",
].join(", ");
const EXPOSED_HEADERS = [
  "retry-after", "x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset", "x-total-count", "link", "etag",
  "last-modified", "content-disposition",
].join(", ");

function refused() {
  return new HttpError(403, Code.ORIGIN_NOT_ALLOWED, "Requests from this origin are not allowed (see ALLOWED_ORIGINS).");
}

/** Adds the CORS answer headers for an allowed Origin to every API answer (errors included). */
export async function corsHeaders(c, next) {
  await next();
  const origin = c.req.header("origin");
  // Without an Origin there is no browser to tell anything: the answer goes out as it is.
  if (origin === undefined) return;
  const { headers } = c.res;
  headers.append("vary", "Origin");
  if (allowedOrigins(c.env).includes(origin)) {
    headers.set("access-control-allow-origin", origin);
    headers.set("access-control-expose-headers", EXPOSED_HEADERS);
  }
}

/** Refuses a request whose Origin is neither allowed nor the worker's own (needs `publicOrigin` set). */
export async function checkOrigin(c, next) {
  const origin = c.req.header("origin");
  if (origin !== undefined && !allowedOrigins(c.env).includes(origin) && origin !== c.get("publicOrigin")) throw refused();
  await next();
}

/** The preflight answer for a route that accepts `methods`. */
export function preflight(methods) {
  const allowMethods = methods.join(", ");
  return (c) => {
    const origin = c.req.header("origin");
    if (origin === undefined || !allowedOrigins(c.env).includes(origin)) throw refused();
    return new Response(null, {
      status: 204,
      headers: {
        "access-control-allow-methods": allowMethods,
        "access-control-allow-headers": REQUEST_HEADERS,
        "access-control-max-age": "600",
      },
    });
  };
}
