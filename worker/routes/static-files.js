// Everything outside /api/ and /oauth2/: the page's static files (www/, the ASSETS binding). Only GET
// and HEAD; without the binding (a worker deployed without its page) there is nothing to serve.

import { Code, HttpError } from "../errors.js";
import { errorResponse } from "../http.js";

export function staticFiles(c) {
  const method = c.req.method;
  if (method !== "GET" && method !== "HEAD") {
    return errorResponse(new HttpError(405, Code.METHOD_NOT_ALLOWED, `${method} is not allowed here.`,
      { headers: { allow: "GET, HEAD" } }));
  }
  if (!c.env.ASSETS) return errorResponse(new HttpError(404, Code.NOT_FOUND, "There is no page here."));
  return c.env.ASSETS.fetch(c.req.raw);
}
