// How pkg/ sends: through the global fetch, or a fetch the caller injects (on a Connection and on
// the functional network operations), never following redirects, and giving up after timeoutMs with
// the body read included. The servers here are plain node:http on 127.0.0.1 with random ports.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { pkg, rejection } from "./support.js";

let server;
let base;
const hits = new Map();

before(async () => {
  server = createServer((request, response) => {
    const path = new URL(request.url, "http://x").pathname;
    hits.set(path, (hits.get(path) ?? 0) + 1);
    if (path.startsWith("/redirect/")) {
      response.writeHead(302, { location: `${base}/elsewhere${path}` });
      response.end();
    } else if (path.startsWith("/stall/")) {
      // Headers at once, then a body that never ends: the time limit must cover the body.
      response.writeHead(200, { "content-type": "application/json" });
      response.write('{"result":[');
    } else {
      response.writeHead(200, { "content-type": "application/json" });
      response.end('{"result":[]}');
    }
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${server.address().port}`;
});

after(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const oauth = (overrides = {}) => ({
  baseUrl: "https://sn.example.com/api/now", authType: "oauth2", clientId: "c", clientSecret: "FAKE-client-secret", ...overrides,
});
const TOKEN_JSON = JSON.stringify({ access_token: "FAKE-at", refresh_token: "FAKE-rt", token_type: "Bearer", expires_in: 1799 });
const grant = { code: "FAKE-code", redirectUri: "https://w.example/oauth2/callback", codeVerifier: "v".repeat(43) };

test("an injected fetch gets (url, init) with manual redirects and an abort signal", async () => {
  const seen = [];
  const fetch = async (url, init) => {
    seen.push({ url, init });
    return new Response(TOKEN_JSON, { status: 200, headers: { "content-type": "application/json" } });
  };
  const connection = new pkg.Connection(oauth(), { fetch });
  const tokens = await connection.exchangeCode(grant);
  assert.equal(tokens.accessToken, "FAKE-at");
  const [{ url, init }] = seen;
  assert.equal(url, "https://sn.example.com/oauth_token.do");
  assert.equal(init.method, "POST");
  assert.equal(init.redirect, "manual");
  assert.ok(init.signal instanceof AbortSignal);
  assert.equal(new Headers(init.headers).get("content-type"), "application/x-www-form-urlencoded");
  assert.match(init.body, /^grant_type=authorization_code&code=FAKE-code&/);
  // The functional operations take it as their last argument.
  const refreshed = await pkg.refreshTokens(oauth(), tokens, { fetch });
  assert.equal(refreshed.refreshToken, "FAKE-rt");
  assert.match(seen[1].init.body, /^grant_type=refresh_token&refresh_token=FAKE-rt&/);
  const result = await pkg.testConnection(oauth(), tokens, { fetch: async () => new Response('{"result":[]}') });
  assert.equal(result.code, "ok");
  connection.free();
});

test("an injected fetch that fails or is not a function is reported with codes", async () => {
  const failing = new pkg.Connection(oauth(), { fetch: async () => { throw new TypeError("boom"); } });
  assert.equal((await rejection(failing.exchangeCode(grant))).code, "network_error");
  assert.equal((await failing.testConnection({ accessToken: "a", refreshToken: null, tokenType: "Bearer", scope: null,
    issuedAt: 1, expiresAt: null, refreshExpiresAt: null })).code, "unreachable");
  const notResponse = new pkg.Connection(oauth(), { fetch: async () => "not a response" });
  assert.equal((await rejection(notResponse.exchangeCode(grant))).code, "network_error");
  const error = await rejection(pkg.exchangeCode(oauth(), grant, { fetch: "nope" }));
  assert.deepEqual([error.code, error.field], ["invalid_type", "fetch"]);
  failing.free();
  notResponse.free();
});

test("redirects are not followed, with the global fetch", async () => {
  // A Base URL must end in /api/now, so the Table API's redirect comes through a fetch that rewrites
  // the path (and then sends with the real fetch and the same init); the token URL redirects itself.
  const settings = { baseUrl: `${base}/api/now`, authType: "basic", username: "u", password: "FAKE-pw",
    allowInsecureLoopback: true };
  assert.equal((await pkg.testConnection(settings)).code, "ok");
  const redirected = await pkg.testConnection(settings, null, {
    fetch: (url, init) => fetch(url.replace("/api/now/", "/redirect/api/now/"), init),
  });
  assert.equal(redirected.code, "unexpected_response");
  assert.equal(redirected.status, 302);
  const oauthSettings = oauth({ baseUrl: `${base}/api/now`, tokenUrl: `${base}/redirect/oauth_token.do`, allowInsecureLoopback: true });
  const error = await rejection(pkg.exchangeCode(oauthSettings, grant));
  assert.equal(error.code, "unexpected_response");
  assert.equal(error.status, 302);
  assert.equal(hits.get("/elsewhere/redirect/oauth_token.do"), undefined, "the redirect target was never asked");
  assert.equal(hits.get("/elsewhere/redirect/api/now/table/sys_db_object"), undefined);
});

test("the time limit covers the body: a body that never ends is a timeout", async () => {
  const settings = { baseUrl: `${base}/api/now`, authType: "basic", username: "u", password: "FAKE-pw",
    allowInsecureLoopback: true, timeoutMs: 1000 };
  const started = Date.now();
  const result = await pkg.testConnection(settings, null, {
    fetch: (url, init) => fetch(url.replace("/api/now/", "/stall/api/now/"), init),
  });
  assert.equal(result.code, "unreachable");
  assert.match(result.message, /1000 ms/);
  const oauthSettings = oauth({ baseUrl: `${base}/api/now`, tokenUrl: `${base}/stall/oauth_token.do`,
    allowInsecureLoopback: true, timeoutMs: 1000 });
  const error = await rejection(pkg.exchangeCode(oauthSettings, grant));
  assert.equal(error.code, "timeout");
  assert.equal(error.retryable, true);
  assert.ok(Date.now() - started < 5_000, "both ended after about a second each");
});
