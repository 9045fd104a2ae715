// A scoped Scripted REST API, as an application would publish one under its own scope:
//   <any method> /api/x_snc_demo/echo[/<anything>]   and   /api/x_snc_demo/v1/echo[/<anything>]
// It answers 200 {"result":{method, path, api_version, resource, query, user, content_type,
// body_size, body_sha256, body}} describing the request it received, so a client (or a gateway
// between them) can prove which method, path, query parameter names and body reached the
// instance, and as whom. The body is hashed as it streams in, never held whole (up to 1 GiB);
// `body` is the parsed JSON or the text when it is JSON or text of at most 1 MiB, else null.
// Sources: ServiceNow "Scripted REST APIs" (resource paths /api/<scope>/<api_id>[/<version>]/…,
// default version, request and response objects).

import { createHash } from "node:crypto";

import { closeAfterAnswer, sendJson, sendServiceNowError } from "./http_io.js";
import { sendMethodNotAllowed } from "./rest_body.js";

const ECHO_PATH = /^\/api\/x_snc_demo\/(?:(v[0-9]+)\/)?echo(\/.*)?$/;
const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"];
const BODY_LIMIT = 1024 * 1024 * 1024;
const SHOWN_LIMIT = 1024 * 1024;

export class EchoApi {
  versions() {
    return ["v1"];
  }

  match(pathname) {
    const match = ECHO_PATH.exec(pathname);
    if (!match) return undefined;
    const [, version, rest] = match;
    const base = version ? `/api/x_snc_demo/${version}/echo` : "/api/x_snc_demo/echo";
    return { version, template: rest && rest !== "/" ? `${base}/{path}` : base, resource: rest ?? "" };
  }

  async handle({ req, res, url, route, user }) {
    if (!METHODS.includes(req.method)) {
      sendMethodNotAllowed(res, req.method, METHODS);
      return;
    }
    const hash = createHash("sha256");
    const shown = [];
    let size = 0;
    for await (const chunk of req) {
      size += chunk.length;
      if (size > BODY_LIMIT) {
        closeAfterAnswer(res);
        sendServiceNowError(res, 413, "Request entity too large", `The request body exceeds ${BODY_LIMIT} bytes`);
        return;
      }
      hash.update(chunk);
      if (size <= SHOWN_LIMIT) shown.push(chunk);
    }
    const contentType = req.headers["content-type"] ?? null;
    let body = null;
    if (size > 0 && size <= SHOWN_LIMIT) {
      const text = Buffer.concat(shown).toString("utf8");
      if (/^application\/json\b/i.test(contentType ?? "")) {
        try {
          body = JSON.parse(text);
        } catch {
          sendServiceNowError(res, 400, "Exception while reading request", "The payload is not valid JSON.");
          return;
        }
      } else if (/^(text\/|application\/x-www-form-urlencoded\b)/i.test(contentType ?? "")) {
        body = text;
      }
    }
    sendJson(res, 200, {
      result: {
        method: req.method,
        path: url.pathname,
        api_version: route.version ?? "v1",
        resource: route.resource,
        query: [...new Set(url.searchParams.keys())].sort(),
        user: user.user_name,
        content_type: contentType,
        body_size: size,
        body_sha256: hash.digest("hex"),
        body,
      },
    });
  }
}
