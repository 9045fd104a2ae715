// The instance's answer as the caller gets it: its status and body, streamed, with the allowlisted
// headers (headers.js), the paging links rewritten (links.js) and the headers that keep it inert
// (inert.js). Memory stays bounded whatever the instance sends: the body flows through one chunk at
// a time, and an HTML answer — which may be a hibernating developer instance's wake-up page instead
// of API data, often with status 200 — is read only up to its first 256 KB to recognise that page
// (the core's isHibernationPage), then streamed on. A redirect is never followed or passed on.

import { errorCodes, isHibernationPage } from "../core.js";
import { Code, HttpError } from "../errors.js";
import { callerHeaders } from "./headers.js";
import { makeInert } from "./inert.js";
import { rewriteLinks } from "./links.js";

/** How much of an HTML answer is read to look for the hibernation page. */
export const SNIFF_BYTES = 256 * 1024;

const BODILESS_STATUSES = new Set([204, 205, 304]);

/**
 * The first chunks of `reader`, at least `limit` bytes unless the body ends first, and whether it
 * ended.
 */
async function readPrefix(reader, limit, transfer) {
  const chunks = [];
  let size = 0;
  while (size < limit) {
    const { done, value } = await reader.read();
    if (done) return { chunks, size, ended: true };
    transfer.progress();
    chunks.push(value);
    size += value.byteLength;
  }
  return { chunks, size, ended: false };
}

function joined(chunks, size, limit) {
  const bytes = new Uint8Array(Math.min(size, limit));
  let offset = 0;
  for (const chunk of chunks) {
    if (offset >= bytes.byteLength) break;
    const part = chunk.subarray(0, bytes.byteLength - offset);
    bytes.set(part, offset);
    offset += part.byteLength;
  }
  return bytes;
}

/** The chunks already read, then the rest of `reader`. */
function replay(chunks, reader, ended) {
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(chunk);
      if (ended) controller.close();
    },
    async pull(controller) {
      const { done, value } = await reader.read();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  }, { highWaterMark: 0 });
}

/**
 * The caller's Response for `upstream`. `links`: {requestUrl, instanceOrigin, gateway} for the
 * links, `transfer` (transfer.js) for the body's timing, `onEnd(bytes)` when the body has been passed
 * on whole, `onFail(bytes)` when it was cut off.
 */
export async function callerAnswer(upstream, { transfer, links, onEnd = () => {}, onFail = () => {} }) {
  const { status } = upstream;
  if (status >= 300 && status < 400 && status !== 304) {
    // The Table API never redirects; a redirect means a login page or a moved instance.
    await upstream.body?.cancel();
    transfer.finish();
    throw new HttpError(502, Code.UNEXPECTED_REDIRECT,
      `The instance answered with a redirect (${status}) instead of an API response; check the Base URL.`);
  }
  const contentType = upstream.headers.get("content-type") ?? "";
  let body = upstream.body;
  if (body !== null && contentType.toLowerCase().includes("html")) {
    const reader = body.getReader();
    const prefix = await readPrefix(reader, SNIFF_BYTES, transfer);
    const sample = { status, headers: { "content-type": contentType }, body: joined(prefix.chunks, prefix.size, SNIFF_BYTES) };
    if (isHibernationPage(sample)) {
      await reader.cancel();
      transfer.finish();
      throw new HttpError(503, errorCodes.hibernating, "The instance is hibernating. Sign in to the instance to wake it, then try again.");
    }
    body = replay(prefix.chunks, reader, prefix.ended);
  }

  const headers = callerHeaders(upstream);
  const link = upstream.headers.get("link");
  if (link !== null) {
    const rewritten = rewriteLinks(link, links);
    if (rewritten !== null) headers.set("link", rewritten);
  }
  const withContent = !BODILESS_STATUSES.has(status);
  makeInert(headers, withContent);
  if (!withContent || body === null) {
    await body?.cancel();
    transfer.finish();
    onEnd(0);
    return new Response(null, { status, headers });
  }
  // An internal stream towards the caller, whose writer is aborted when the body stalls or fails. With
  // the instance's declared length kept (FixedLengthStream), a cut-off body can never pass for a
  // complete one: the caller sees fewer bytes than Content-Length announced.
  const length = declaredLength(upstream.headers);
  const { readable, writable } = length === null ? new IdentityTransformStream() : new FixedLengthStream(length);
  pump(body, writable.getWriter(), transfer, onEnd, onFail);
  return new Response(readable, { status, headers });
}

function declaredLength(headers) {
  const value = headers.get("content-length");
  if (value === null || !/^[0-9]{1,15}$/.test(value.trim())) return null;
  return Number(value.trim());
}

/** Passes `source` on to `writer` chunk by chunk, under the transfer's waits. */
async function pump(source, writer, transfer, onEnd, onFail) {
  const reader = source.getReader();
  // A wait that runs out ends both sides at once; the loop below then sees `transfer.expired`.
  transfer.onExpired((error) => {
    reader.cancel(error).catch(() => {});
    writer.abort(error).catch(() => {});
  });
  let bytes = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (transfer.expired) throw new Error(`the answer stalled while ${transfer.expired}`);
      if (done) break;
      transfer.progress();
      bytes += value.byteLength;
      await writer.write(value);
      transfer.progress();
    }
    await writer.close();
    transfer.finish();
    onEnd(bytes);
  } catch (error) {
    transfer.finish();
    reader.cancel(error).catch(() => {});
    writer.abort(error).catch(() => {});
    onFail(bytes);
  }
}
