// Which headers cross the worker when it forwards a request, in both directions, as allowlists: the
// caller's Authorization, Cookie, hop-by-hop (RFC 9110 §7.6.1) and proxy headers never reach the
// instance, and the instance's Set-Cookie (ServiceNow sets session cookies), Location and other
// headers never reach the caller. Rate-limit headers do come back (ServiceNow: Retry-After in seconds,
// X-RateLimit-Limit, X-RateLimit-Reset in epoch seconds), so callers can back off, and so do the Table
// API's paging headers (X-Total-Count; Link, rewritten by links.js).

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

/** Passed back as they are; Link is rewritten, never passed as it is. */
const RESPONSE_HEADERS = [
  "content-type",
  "content-language",
  "content-disposition",
  "etag",
  "last-modified",
  "x-total-count",
  "retry-after",
  "x-ratelimit-limit",
  "x-ratelimit-remaining",
  "x-ratelimit-reset",
];

/** The caller's headers that go to the instance, with the connection's own Authorization. */
export function upstreamHeaders(headers, authorization) {
  const picked = { authorization };
  for (const name of REQUEST_HEADERS) {
    const value = headers.get(name);
    if (value !== null) picked[name] = value;
  }
  // ServiceNow answers 400 "Accept header is missing" without one; JSON is what the API speaks.
  picked.accept ??= "application/json";
  return picked;
}

/** The instance's headers that go back to the caller. */
export function callerHeaders(upstream) {
  const headers = new Headers({ "cache-control": "no-store" });
  for (const name of RESPONSE_HEADERS) {
    const value = upstream.headers.get(name);
    if (value !== null) headers.set(name, value);
  }
  return headers;
}
