// The caller's request body on its way to the instance, streamed, never held whole: refused with 413
// before anything is sent when its declared length is over the limit (FORWARD_BODY_LIMIT_BYTES,
// default 100 MB), and counted as it flows when it has no declared length (chunked), so the upload
// to the instance is aborted the moment it passes the limit. A declared length is kept on the way out
// (FixedLengthStream), so the instance sees Content-Length rather than a chunked upload.

import { Code, HttpError } from "../errors.js";

/** "100 MB", "64 KB", "1000 bytes": the limit as a person reads it. */
export function formatBytes(bytes) {
  const MB = 1024 * 1024;
  if (bytes % MB === 0) return `${bytes / MB} MB`;
  if (bytes % 1024 === 0) return `${bytes / 1024} KB`;
  return `${bytes} bytes`;
}

export function bodyTooLarge(limit) {
  return new HttpError(413, Code.BODY_TOO_LARGE, `The request body must be at most ${formatBytes(limit)}.`);
}

/** Whether the request carries a body (a declared length of 0 is none). */
export function hasBody(request) {
  if (request.body === null) return false;
  return request.headers.get("content-length")?.trim() !== "0";
}

/**
 * The body to send: `{stream, refusal(), size()}` (refusal: the 413 once the body passed the limit,
 * else null; size: the bytes passed so far), or null without one. `transfer` (transfer.js) hears of
 * every chunk and of the end of the body.
 */
export function outgoingBody(request, { limit, transfer }) {
  const declared = request.headers.get("content-length");
  const length = declared === null || request.headers.has("transfer-encoding") ? null : Number(declared);
  if (length !== null && !(Number.isSafeInteger(length) && length >= 0 && length <= limit)) throw bodyTooLarge(limit);
  if (!hasBody(request)) {
    request.body?.cancel();
    return null;
  }
  let size = 0;
  let refusal = null;
  const metered = new TransformStream({
    transform(chunk, controller) {
      size += chunk.byteLength;
      if (size > limit) {
        refusal = bodyTooLarge(limit);
        controller.error(refusal);
        transfer.abort(new Error("the request body passed the limit"));
        return;
      }
      transfer.progress();
      controller.enqueue(chunk);
    },
    flush() {
      transfer.sent();
    },
  });
  let stream = request.body.pipeThrough(metered);
  if (length !== null) stream = stream.pipeThrough(new FixedLengthStream(length));
  return { stream, refusal: () => refusal, size: () => size };
}
