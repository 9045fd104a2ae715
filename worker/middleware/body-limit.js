// The small limit of the worker's own API bodies (settings, Generate's and Test's options, keys):
// Hono's bodyLimit, which refuses a declared length over the limit before reading anything and counts
// a chunked body as it arrives, answering with the worker's JSON error. Forwarded bodies are streamed
// and limited separately (forwarding/request-body.js).

import { bodyLimit } from "hono/body-limit";

import { Code, HttpError } from "../errors.js";
import { MAX_ADMIN_BODY_BYTES } from "../http.js";

export const limitAdminBody = bodyLimit({
  maxSize: MAX_ADMIN_BODY_BYTES,
  onError: () => {
    throw new HttpError(413, Code.BODY_TOO_LARGE, `The request body must be at most ${MAX_ADMIN_BODY_BYTES / 1024} KB.`);
  },
});
