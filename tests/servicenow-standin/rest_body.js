// Request bodies of the JSON REST APIs: a record is a JSON object of flat values, sent as
// application/json (or without a Content-Type), at most 1 MiB. Anything else gets the answer an
// instance gives: 415 for another content type, 413 when too large, 400 "Exception while reading
// request" for JSON that does not parse or is not a flat object.
// Sources: ServiceNow "Table API" REST reference (POST/PUT/PATCH bodies, status codes).

import { BodyTooLarge, closeAfterAnswer, readBody, sendServiceNowError } from "./http_io.js";

export const RECORD_BODY_LIMIT = 1024 * 1024;

/** Reads a record body; answers the error itself and returns undefined when the body is refused. */
export async function readRecordBody(req, res, { allowEmpty = false } = {}) {
  const contentType = req.headers["content-type"];
  if (contentType && !/^application\/json\b/i.test(contentType)) {
    sendServiceNowError(res, 415, "Unsupported Media Type", `Content-Type ${contentType.slice(0, 100)} is not supported; send application/json`);
    return undefined;
  }
  let body;
  try {
    body = await readBody(req, RECORD_BODY_LIMIT);
  } catch (error) {
    if (!(error instanceof BodyTooLarge)) throw error;
    closeAfterAnswer(res);
    sendServiceNowError(res, 413, "Request entity too large", `The request body exceeds ${RECORD_BODY_LIMIT} bytes`);
    return undefined;
  }
  if (allowEmpty && body.length === 0) return {};
  let values;
  try {
    values = JSON.parse(body.toString("utf8"));
  } catch {
    sendServiceNowError(res, 400, "Exception while reading request", "The payload is not valid JSON.");
    return undefined;
  }
  if (values === null || typeof values !== "object" || Array.isArray(values)) {
    sendServiceNowError(res, 400, "Exception while reading request", "The payload must be a JSON object.");
    return undefined;
  }
  for (const value of Object.values(values)) {
    if (value !== null && typeof value === "object") {
      sendServiceNowError(res, 400, "Exception while reading request", "Field values must be strings, numbers, booleans or null.");
      return undefined;
    }
  }
  return values;
}

/** 405 with Allow, as an instance answers a method a resource does not support. */
export function sendMethodNotAllowed(res, method, allowed) {
  sendServiceNowError(res, 405, "Method not Supported", `${method.slice(0, 20)} method not supported for API`,
    { Allow: allowed.join(", ") });
}
