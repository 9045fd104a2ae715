// Helpers shared by the hardening suites, on top of the worker harness (tests/worker/support/): a
// wall-clock bound for every request, connections whose access token is already due, snapshots of
// everything stored for a set of connections (views through the admin API, raw records through the
// test hooks) to prove that a refused request changed nothing, requests sent byte for byte (fetch
// would normalise paths and refuse odd headers first), and a "token front" — a loopback server in
// front of the stand-in's token endpoint that can answer 429, which the stand-in's own switches do not
// offer for that endpoint. Raw requests go into the transcript like the harness's own.

import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer, request as httpRequest } from "node:http";
import { connect as netConnect } from "node:net";

import { connect, oauthSettings } from "../../worker/support/harness.js";
import { record } from "../../worker/support/transcript.js";

/** No request of these suites may take longer; generous, since the machines are shared. */
export const BOUND_MS = 10_000;

/** Runs `fn`, asserts it ended within `bound` ms, and returns its result with the time taken. */
export async function bounded(fn, bound = BOUND_MS) {
  const started = performance.now();
  const result = await fn();
  const ms = Math.round(performance.now() - started);
  assert.ok(ms < bound, `took ${ms} ms, over the bound of ${bound} ms`);
  return { ...result, ms };
}

/** Asserts a JSON error answer with this status and code. */
export function assertError(response, status, code) {
  assert.equal(response.status, status, response.text);
  assert.match(response.headers.get("content-type") ?? "", /^application\/json/, response.text);
  assert.equal(response.json?.error?.code, code, response.text);
  assert.equal(typeof response.json.error.message, "string");
}

function parsed(status, headers, text) {
  let json;
  if (/json/.test(headers.get("content-type") ?? "")) {
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
  }
  return { status, headers, text, json };
}

function transcribe(method, target, status, headers, text) {
  record("request", "client (raw)", `${method} ${target}`);
  record("response", `${method} (raw)`, `${status} ${[...headers].map(([k, v]) => `${k}: ${v}`).join("\n")}\n${text}`);
}

/**
 * A request with the path exactly as given. `body` is sent as it is; `partial` sends only part of a
 * declared body and keeps the connection open, as a slow or lying client would.
 */
export function rawRequest(base, path, { method = "GET", headers = {}, body, timeoutMs = 10_000 } = {}) {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: base.hostname, port: base.port, path, method, headers }, (res) => {
      const chunks = [];
      res.on("data", (chunk) => chunks.push(chunk));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        const responseHeaders = new Headers();
        for (const [name, value] of Object.entries(res.headers)) responseHeaders.set(name, [value].flat().join(", "));
        transcribe(method, `${base.origin}${path}`, res.statusCode, responseHeaders, text);
        resolve(parsed(res.statusCode, responseHeaders, text));
      });
    });
    req.on("error", reject);
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    if (body !== undefined) req.write(body);
    // A declared length larger than what was written leaves the upload open, unfinished.
    const declared = Number(headers["content-length"] ?? NaN);
    if (!(Number.isFinite(declared) && body !== undefined && declared > Buffer.byteLength(body))) req.end();
  });
}

/** Bytes written to a socket as they are (for header values no HTTP client would send); the status line's code. */
export function rawSocket(base, bytes, timeoutMs = 10_000) {
  return new Promise((resolve, reject) => {
    const socket = netConnect({ host: base.hostname, port: Number(base.port) });
    const chunks = [];
    const timer = setTimeout(() => socket.destroy(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    socket.on("connect", () => socket.end(bytes));
    socket.on("data", (chunk) => chunks.push(chunk));
    socket.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.on("close", () => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString("latin1");
      record("request", "client (socket)", bytes.toString("latin1").split("\r\n")[0]);
      record("response", "socket", text);
      resolve({ status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1] ?? 0), text });
    });
  });
}

/** What is stored about a connection's tokens, sealed, exactly as the object keeps it. */
export async function storedTokenRecords(worker, id) {
  return {
    tokens: await worker.hook("raw", { id, key: "tokens" }),
    tokenState: await worker.hook("raw", { id, key: "tokenState" }),
  };
}

/** A view or listing without the seconds left, which change with the clock, not with the data. */
function timeless(value) {
  return JSON.parse(JSON.stringify(value), (key, item) =>
    (key === "accessExpiresInSeconds" || key === "refreshExpiresInSeconds" ? undefined : item));
}

/**
 * Every stored record of each connection, the listing, and each connection's view — but the audit
 * trail's records, which do grow with refused requests (that is what it is for).
 */
export async function snapshot(worker, ids) {
  const listing = await worker.admin("/api/connections");
  assert.equal(listing.status, 200, listing.text);
  const connections = {};
  for (const id of ids) {
    const view = await worker.admin(`/api/connections/${id}`);
    view.json = timeless(view.json);
    const keys = (await worker.hook("keys", { id })).filter((key) => !key.startsWith("audit:")).sort();
    const records = {};
    for (const key of keys) records[key] = await worker.hook("raw", { id, key });
    connections[id] = { status: view.status, view: view.json, records };
  }
  return { listing: timeless(listing.json), connections };
}

/**
 * Creates an OAuth connection, authorizes it at the stand-in, and marks its access token as expired
 * (same token, expiry in the past) so that the next use needs a refresh. Returns the tokens.
 */
export async function connectedAndExpired(worker, standin, id, extra = {}) {
  const created = await worker.putConnection(id, oauthSettings(standin, extra));
  assert.equal(created.status, 201, created.text);
  const { page } = await connect(worker, id, standin);
  assert.equal(page.status, 200, page.text);
  const tokens = await worker.storedTokens(id);
  assert.ok(tokens.accessToken);
  await worker.hook("expire-access-token", { id, expiresAt: Date.now() - 1000 });
  return worker.storedTokens(id);
}

/** Whether the stored token state describes exactly the stored token set (never half-written). */
export function assertConsistent(tokens, tokenState) {
  assert.equal(tokenState?.state, "active");
  assert.deepEqual(tokenState.meta, {
    issuedAt: tokens.issuedAt,
    expiresAt: tokens.expiresAt,
    refreshExpiresAt: tokens.refreshExpiresAt,
    hasRefreshToken: Boolean(tokens.refreshToken),
    // The grant is kept once token sets name it (sets stored by earlier builds do not).
    ...(tokens.grantType ? { grantType: tokens.grantType } : {}),
  });
}

/**
 * A loopback "token endpoint" that passes every request on to the stand-in's /oauth_token.do and
 * relays the answer, unless told to answer 429 with a Retry-After (for the next `count` calls, or
 * until reset). Counts the calls it received.
 */
export async function startTokenFront(standin) {
  let rateLimit = null;
  let calls = 0;
  const server = createServer((req, res) => {
    const chunks = [];
    req.on("data", (chunk) => chunks.push(chunk));
    req.on("end", async () => {
      calls += 1;
      if (rateLimit) {
        const { retryAfter } = rateLimit;
        if (rateLimit.count !== undefined && --rateLimit.count <= 0) rateLimit = null;
        res.writeHead(429, { "content-type": "application/json;charset=UTF-8", "retry-after": String(retryAfter) });
        res.end(JSON.stringify({ error: "server_error", error_description: "Too many requests" }));
        return;
      }
      try {
        const upstream = await fetch(`${standin.url}/oauth_token.do`, {
          method: req.method,
          headers: { "content-type": req.headers["content-type"] ?? "", accept: "application/json" },
          body: req.method === "POST" ? Buffer.concat(chunks) : undefined,
          signal: AbortSignal.timeout(5000),
        });
        const body = Buffer.from(await upstream.arrayBuffer());
        const headers = { "content-type": upstream.headers.get("content-type") ?? "application/json" };
        if (upstream.headers.has("retry-after")) headers["retry-after"] = upstream.headers.get("retry-after");
        res.writeHead(upstream.status, headers);
        res.end(body);
      } catch {
        res.socket?.destroy();
      }
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    tokenUrl: `http://127.0.0.1:${server.address().port}/oauth_token.do`,
    rateLimit(retryAfter, count) {
      rateLimit = { retryAfter, count };
    },
    reset() {
      rateLimit = null;
      calls = 0;
    },
    get calls() {
      return calls;
    },
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(resolve);
    }),
  };
}
