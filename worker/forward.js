// What crosses the worker when it forwards `/api/connections/:id/now/*` to `<instance>/api/now/*`.
// The target URL itself comes from the core (apiRequestUrl), which refuses any path that could leave
// /api/now/. Here: allowlists of headers in both directions, so the caller's Authorization, Cookie,
// hop-by-hop (RFC 9110 §7.6.1) and proxy headers never reach the instance, and the instance's
// Set-Cookie (ServiceNow sets session cookies), Location and other headers never reach the caller.
// Rate-limit headers do come back (ServiceNow: Retry-After in seconds, X-RateLimit-Limit,
// X-RateLimit-Reset in epoch seconds), so callers can back off.

import { isHibernationPage } from "./core.js";
import { HttpError } from "./http.js";

export const FORWARD_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"];

// Content negotiation, content description, conditional requests and ServiceNow's own switches.
const REQUEST_HEADERS = [
  "accept",
  "accept-language",
  "content-type",
  "content-language",
  "if-match",
  "if-none-match",
  "if-modified-since",
  "if-unmodified-since",
  "x-no-response-body",
  "x-wantsessionnotificationmessages",
];

const RESPONSE_HEADERS = [
  "content-type",
  "content-language",
  "etag",
  "last-modified",
  "x-total-count",
  "retry-after",
  "x-ratelimit-limit",
  "x-ratelimit-remaining",
  "x-ratelimit-reset",
];

/** The caller's headers that may go to the instance, as a plain object (it crosses RPC). */
export function forwardableHeaders(headers) {
  const picked = {};
  for (const name of REQUEST_HEADERS) {
    const value = headers.get(name);
    if (value !== null) picked[name] = value;
  }
  // ServiceNow answers 400 "Accept header is missing" without one; JSON is what the API speaks.
  picked.accept ??= "application/json";
  return picked;
}

/** Sends one request to the instance; transport failures become 502 answers naming the host only. */
export async function sendUpstream(url, { method, headers, body, authorization, timeoutMs }) {
  const init = {
    method,
    headers: { ...headers, authorization },
    redirect: "manual",
    signal: AbortSignal.timeout(timeoutMs),
  };
  if (body && method !== "GET" && method !== "HEAD") init.body = body;
  try {
    return await fetch(url, init);
  } catch (error) {
    const host = new URL(url).host;
    if (error?.name === "TimeoutError") {
      throw new HttpError(502, "timeout", `${host} did not answer within ${timeoutMs} ms.`);
    }
    throw new HttpError(502, "network_error", `Could not reach ${host} (connection failed).`);
  }
}

/** HTML answers are read whole (they are small) to recognise a hibernating instance's page. */
const HTML_LIMIT = 256 * 1024;

/**
 * The instance's answer as the caller gets it: status, body and the allowlisted headers. A
 * hibernating instance answers its HTML wake-up page (often with 200); the caller gets a 503
 * `hibernating` error instead, which says what to do, as the core recognises the page.
 */
export async function callerResponse(upstream) {
  const contentType = upstream.headers.get("content-type") ?? "";
  if (contentType.toLowerCase().includes("html")) {
    const body = new Uint8Array(await upstream.arrayBuffer());
    const answer = { status: upstream.status, headers: { "content-type": contentType }, body: body.subarray(0, HTML_LIMIT) };
    if (isHibernationPage(answer)) {
      throw new HttpError(503, "hibernating",
        "The instance is hibernating. Sign in to the instance to wake it, then try again.");
    }
    return plainResponse(upstream, body);
  }
  return plainResponse(upstream, upstream.body);
}

function plainResponse(upstream, body) {
  if (upstream.status >= 300 && upstream.status < 400 && upstream.status !== 304) {
    // The Table API never redirects; a redirect means a login page or a moved instance.
    upstream.body?.cancel();
    throw new HttpError(502, "unexpected_redirect",
      `The instance answered with a redirect (${upstream.status}) instead of an API response; check the Base URL.`);
  }
  const headers = new Headers({ "cache-control": "no-store" });
  for (const name of RESPONSE_HEADERS) {
    const value = upstream.headers.get(name);
    if (value !== null) headers.set(name, value);
  }
  const bodyless = upstream.status === 204 || upstream.status === 205 || upstream.status === 304;
  if (bodyless && body === upstream.body) upstream.body?.cancel();
  return new Response(bodyless ? null : body, { status: upstream.status, headers });
}
