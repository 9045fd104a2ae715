// Test switches, driven both in-process (configure) and over the loopback admin routes:
// hibernation, rate limiting, token-endpoint and API faults, Basic auth off, allowed API
// versions, token lifetimes, revoke-all, clients added at runtime, and the counters.

import { test } from "node:test";
import assert from "node:assert/strict";

import { startStandin } from "../index.js";
import { authorizeOverHttp } from "../authorize.js";
import {
  api,
  authorizationUrl,
  basicHeader,
  NOT_A_RESOURCE,
  NOT_AUTHENTICATED,
  obtainCode,
  seedUser,
  sleep,
  tokenRequest,
  tokensFor,
  withStandin,
  TIMEOUT,
} from "../harness.js";

async function admin(s, method, path, body) {
  const response = await fetch(new URL(`/__standin/${path}`, s.url), {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(TIMEOUT),
  });
  const text = await response.text();
  return { status: response.status, json: text ? JSON.parse(text) : undefined, headers: response.headers };
}

function assertHibernationPage(answer, where) {
  assert.equal(answer.status, 200, where);
  assert.match(answer.headers.get("content-type"), /^text\/html/, where);
  assert.match(answer.text, /Your instance is hibernating/, where);
  assert.match(answer.text, /Sign in to the site to wake your instance/, where);
}

test("hibernation: API, token endpoint and authorization answer the 200 HTML page", () => withStandin({}, async (s) => {
  const tokens = await tokensFor(s);
  assert.equal((await admin(s, "POST", "config", { hibernating: true })).json.hibernating, true);

  assertHibernationPage(await api(s, "/api/now/table/incident", { auth: `Bearer ${tokens.access_token}` }), "api");
  assertHibernationPage(await api(s, "/api/now/v2/table/sys_db_object?sysparm_limit=1"), "api without auth");
  assertHibernationPage(await tokenRequest(s, { grant_type: "refresh_token", refresh_token: tokens.refresh_token }), "token");
  const auth = await fetch(authorizationUrl(s).url, { redirect: "manual" });
  assertHibernationPage({ status: auth.status, headers: auth.headers, text: await auth.text() }, "authorization");
  assert.equal(s.counters().token.byOutcome.hibernating, 1);
  assert.equal((await admin(s, "GET", "counters")).status, 200, "admin routes keep working");

  s.configure({ hibernating: false });
  assert.equal((await api(s, "/api/now/table/incident", { auth: `Bearer ${tokens.access_token}` })).status, 200);
}));

test("--hibernating as a start option", () => withStandin({ hibernating: true }, async (s) => {
  assertHibernationPage(await api(s, "/api/now/table/incident"), "start option");
}));

test("rate limiting: 429 with Retry-After, X-RateLimit-Limit and X-RateLimit-Reset after N calls", { timeout: 15000 }, () => withStandin({}, async (s) => {
  const auth = basicHeader(seedUser(s, "admin"));
  await admin(s, "POST", "config", { rateLimit: { limit: 2, windowSeconds: 60 } });
  const before = Math.floor(Date.now() / 1000);
  assert.equal((await api(s, "/api/now/table/incident", { auth })).status, 200);
  const second = await api(s, "/api/now/table/incident", { auth });
  assert.equal(second.status, 200);
  assert.equal(second.headers.get("x-ratelimit-limit"), "2");
  const limited = await api(s, "/api/now/table/incident", { auth });
  assert.equal(limited.status, 429);
  assert.equal(limited.headers.get("content-type"), "application/json;charset=UTF-8");
  assert.equal(limited.json.status, "failure");
  assert.equal(typeof limited.json.error.message, "string");
  const retryAfter = Number(limited.headers.get("retry-after"));
  assert.ok(retryAfter >= 59 && retryAfter <= 60, String(retryAfter));
  assert.equal(limited.headers.get("x-ratelimit-limit"), "2");
  const reset = Number(limited.headers.get("x-ratelimit-reset"));
  assert.ok(reset >= before + 59 && reset <= before + 62, `${reset} vs ${before}`);
  assert.equal(s.counters().api.byStatus["429"], 1);

  s.configure({ rateLimit: { limit: 1, windowSeconds: 1 } });
  assert.equal((await api(s, "/api/now/table/incident", { auth })).status, 200);
  assert.equal((await api(s, "/api/now/table/incident", { auth })).status, 429);
  await sleep(1100);
  assert.equal((await api(s, "/api/now/table/incident", { auth })).status, 200, "a new window starts");
  s.configure({ rateLimit: null });
  for (let i = 0; i < 3; i += 1) assert.equal((await api(s, "/api/now/table/incident", { auth })).status, 200);
}));

test("token faults for the next K calls: 500, 503, html, malformed JSON, dropped connection", () => withStandin({}, async (s) => {
  const tokens = await tokensFor(s);
  const refresh = () => tokenRequest(s, { grant_type: "refresh_token", refresh_token: tokens.refresh_token });

  s.configure({ tokenFault: { kind: "500", count: 2 } });
  for (let i = 0; i < 2; i += 1) {
    const answer = await refresh();
    assert.equal(answer.status, 500);
    assert.equal(answer.json.error, "server_error");
  }
  assert.equal((await refresh()).status, 200, "the fault is used up");
  assert.equal(s.config().tokenFault, null);

  await admin(s, "POST", "config", { tokenFault: { kind: "503", count: 1 } });
  let answer = await refresh();
  assert.equal(answer.status, 503);
  assert.match(answer.headers.get("content-type"), /^text\/html/);

  s.configure({ tokenFault: { kind: "html", count: 1 } });
  answer = await refresh();
  assert.equal(answer.status, 500);
  assert.match(answer.headers.get("content-type"), /^text\/html/);
  assert.match(answer.text, /<html/);

  s.configure({ tokenFault: { kind: "malformed_json", count: 1 } });
  answer = await refresh();
  assert.equal(answer.status, 200);
  assert.equal(answer.json, undefined, "the body does not parse");
  assert.match(answer.headers.get("content-type"), /^application\/json/);

  s.configure({ tokenFault: { kind: "drop", count: 1 } });
  await assert.rejects(refresh(), TypeError);
  assert.equal((await refresh()).status, 200);

  const counts = s.counters().token.byGrantTypeAndOutcome.refresh_token;
  assert.deepEqual(counts, { fault: 6, ok: 2 });
}));

test("token faults until cleared, and a delay before the real answer", { timeout: 15000 }, () => withStandin({}, async (s) => {
  const tokens = await tokensFor(s);
  const refresh = () => tokenRequest(s, { grant_type: "refresh_token", refresh_token: tokens.refresh_token });
  s.configure({ tokenFault: { kind: "503" } });
  for (let i = 0; i < 3; i += 1) assert.equal((await refresh()).status, 503);
  assert.deepEqual(s.config().tokenFault, { kind: "503", count: null, delayMs: 0 });
  await admin(s, "POST", "config", { tokenFault: null });
  assert.equal((await refresh()).status, 200);

  s.configure({ tokenFault: { kind: "delay", delayMs: 400, count: 1 } });
  const started = Date.now();
  const answer = await refresh();
  assert.ok(Date.now() - started >= 390, `took ${Date.now() - started} ms`);
  assert.equal(answer.status, 200);
  assert.equal(answer.json.refresh_token, tokens.refresh_token);
}));

test("a delayed answer does not hold up close()", { timeout: 15000 }, async () => {
  const s = await startStandin({ port: 0, tokenFault: { kind: "delay", delayMs: 60000 } });
  const pending = tokenRequest(s, { grant_type: "refresh_token", refresh_token: "x" }).catch((error) => error);
  await sleep(100);
  const started = Date.now();
  await s.close();
  assert.ok(Date.now() - started < 2000);
  assert.ok((await pending) instanceof Error);
});

test("API faults: 500, 503, malformed JSON and garbage with 200, delay, dropped connection", { timeout: 15000 }, () => withStandin({}, async (s) => {
  const auth = basicHeader(seedUser(s, "admin"));
  const get = () => api(s, "/api/now/table/sys_db_object?sysparm_limit=1", { auth });

  s.configure({ apiFault: { kind: "500", count: 1 } });
  let answer = await get();
  assert.equal(answer.status, 500);
  assert.equal(answer.json.status, "failure");

  await admin(s, "POST", "config", { apiFault: { kind: "503", count: 1 } });
  assert.equal((await get()).status, 503);

  s.configure({ apiFault: { kind: "malformed_json", count: 1 } });
  answer = await get();
  assert.equal(answer.status, 200);
  assert.equal(answer.headers.get("content-type"), "application/json;charset=UTF-8");
  assert.equal(answer.json, undefined);

  s.configure({ apiFault: { kind: "garbage", count: 1 } });
  answer = await get();
  assert.equal(answer.status, 200);
  assert.equal(answer.json, undefined);

  s.configure({ apiFault: { kind: "delay", delayMs: 300, count: 1 } });
  const started = Date.now();
  answer = await get();
  assert.ok(Date.now() - started >= 290);
  assert.equal(answer.status, 200);
  assert.equal(answer.json.result.length, 1);

  s.configure({ apiFault: { kind: "drop", count: 1 } });
  await assert.rejects(get(), TypeError);
  assert.equal((await get()).status, 200);

  const route = s.counters().api.byRoute["GET /api/now/table/{table}"];
  assert.deepEqual(route.byStatus, { 200: 4, 500: 1, 503: 1, dropped: 1 });
}));

test("Basic auth disabled: Basic gets 401, Bearer still works", () => withStandin({ basicDisabled: true }, async (s) => {
  const answer = await api(s, "/api/now/table/incident", { auth: basicHeader(seedUser(s, "admin")) });
  assert.equal(answer.status, 401);
  assert.deepEqual(answer.json, NOT_AUTHENTICATED);
  const tokens = await tokensFor(s);
  assert.equal((await api(s, "/api/now/table/incident", { auth: `Bearer ${tokens.access_token}` })).status, 200);
  await admin(s, "POST", "config", { basicDisabled: false });
  assert.equal((await api(s, "/api/now/table/incident", { auth: basicHeader(seedUser(s, "admin")) })).status, 200);
}));

test("allowed API versions: only v1 makes /api/now/v2 a 404", () => withStandin({}, async (s) => {
  const auth = basicHeader(seedUser(s, "admin"));
  await admin(s, "POST", "config", { apiVersions: ["v1"] });
  const v2 = await api(s, "/api/now/v2/table/incident", { auth });
  assert.equal(v2.status, 404);
  assert.deepEqual(v2.json, NOT_A_RESOURCE);
  assert.equal((await api(s, "/api/now/v1/table/incident", { auth })).status, 200);
  assert.equal((await api(s, "/api/now/table/incident", { auth })).status, 200);
}));

test("token error style switch over the admin route", () => withStandin({}, async (s) => {
  await admin(s, "POST", "config", { tokenErrorStyle: "rfc" });
  let answer = await tokenRequest(s, { grant_type: "refresh_token", refresh_token: "dead" });
  assert.equal(answer.status, 400);
  assert.equal(answer.json.error, "invalid_grant");
  await admin(s, "POST", "config", { tokenErrorStyle: "servicenow" });
  answer = await tokenRequest(s, { grant_type: "refresh_token", refresh_token: "dead" });
  assert.equal(answer.status, 401);
  assert.deepEqual(answer.json, { error: "server_error", error_description: "access_denied" });
}));

test("token lifetimes from the admin route apply to tokens issued afterwards", () => withStandin({}, async (s) => {
  const config = await admin(s, "POST", "config", { accessTtl: 120, refreshTtl: 5 });
  assert.equal(config.json.accessTtl, 120);
  assert.equal(config.json.refreshTtl, 5);
  const tokens = await tokensFor(s);
  assert.ok([119, 118].includes(tokens.expires_in));
  assert.equal((await admin(s, "GET", "config")).json.accessTtl, 120);
}));

test("revoke-all kills refresh and access tokens", () => withStandin({}, async (s) => {
  const tokens = await tokensFor(s);
  const revoked = await admin(s, "POST", "revoke-all");
  assert.equal(revoked.status, 200);
  assert.ok(revoked.json.revoked >= 2);
  const answer = await tokenRequest(s, { grant_type: "refresh_token", refresh_token: tokens.refresh_token });
  assert.equal(answer.status, 401);
  assert.deepEqual(answer.json, { error: "server_error", error_description: "access_denied" });
  assert.equal((await api(s, "/api/now/table/incident", { auth: `Bearer ${tokens.access_token}` })).status, 401);
  const fresh = await tokensFor(s);
  assert.equal((await api(s, "/api/now/table/incident", { auth: `Bearer ${fresh.access_token}` })).status, 200);
}));

test("clients are added and replaced at runtime over PUT /__standin/clients/:id", () => withStandin({}, async (s) => {
  const callback = "http://127.0.0.1:54321/oauth2/callback";
  let answer = await admin(s, "PUT", "clients/worker-client", { clientSecret: "FAKE-first-secret-1", redirectUris: [callback] });
  assert.equal(answer.status, 200);
  assert.deepEqual(answer.json, { clientId: "worker-client", redirectUris: [callback] });
  const client = { clientId: "worker-client", clientSecret: "FAKE-first-secret-1", redirectUris: [callback] };
  const { code, location, redirectUri, verifier } = await obtainCode(s, { client });
  assert.equal(`${location.origin}${location.pathname}`, callback);

  answer = await admin(s, "PUT", "clients/worker-client", { clientSecret: "FAKE-second-secret-2", redirectUris: [callback, "http://localhost:54321/oauth2/callback"] });
  assert.equal(answer.status, 200);
  const old = await tokenRequest(s, { grant_type: "authorization_code", code, redirect_uri: redirectUri, code_verifier: verifier }, { client });
  assert.equal(old.status, 401, "the replaced secret is refused");
  const renewed = { ...client, clientSecret: "FAKE-second-secret-2" };
  const tokens = await tokensFor(s, { client: renewed, redirectUri: "http://localhost:54321/oauth2/callback" });
  assert.equal(tokens.token_type, "Bearer");

  await s.addClient({ clientId: "in-process", clientSecret: "FAKE-3", redirectUris: ["http://127.0.0.1:1/cb"] });
  const location2 = new URL(await authorizeOverHttp(authorizationUrl(s, { client: { clientId: "in-process", redirectUris: ["http://127.0.0.1:1/cb"] } }).url,
    { username: "admin", password: seedUser(s, "admin").password }));
  assert.ok(location2.searchParams.get("code"));

  for (const bad of [{ clientSecret: "", redirectUris: [callback] }, { clientSecret: "x", redirectUris: [] },
    { clientSecret: "x", redirectUris: ["not a url"] }, { clientSecret: "x", redirectUris: ["ftp://x/cb"] }, [1, 2]]) {
    answer = await admin(s, "PUT", "clients/bad", bad);
    assert.equal(answer.status, 400, JSON.stringify(bad));
    assert.equal(answer.json.status, "failure");
  }
  await assert.rejects(s.addClient({ clientId: "", clientSecret: "x", redirectUris: [callback] }), { name: "ClientError" });
}));

test("counters over HTTP: token calls by grant and outcome, API calls by route and status, reset", () => withStandin({}, async (s) => {
  const tokens = await tokensFor(s);
  await tokenRequest(s, { grant_type: "refresh_token", refresh_token: tokens.refresh_token });
  await tokenRequest(s, { grant_type: "refresh_token", refresh_token: "dead" });
  await tokenRequest(s, {});
  await api(s, "/api/now/table/incident", { auth: `Bearer ${tokens.access_token}` });
  await api(s, "/api/now/table/incident/9c573169c611228700193229fff72400", { auth: `Bearer ${tokens.access_token}` });
  await api(s, "/api/now/table/incident");
  let counters = (await admin(s, "GET", "counters")).json;
  assert.deepEqual(counters.token, {
    total: 4,
    byGrantType: { authorization_code: 1, refresh_token: 2, missing: 1 },
    byOutcome: { ok: 2, error: 2 },
    byGrantTypeAndOutcome: { authorization_code: { ok: 1 }, refresh_token: { ok: 1, error: 1 }, missing: { error: 1 } },
  });
  assert.deepEqual(counters.authorization, { total: 1 });
  assert.deepEqual(counters.api, {
    total: 3,
    byRoute: {
      "GET /api/now/table/{table}": { total: 2, byStatus: { 200: 1, 401: 1 } },
      "GET /api/now/table/{table}/{sys_id}": { total: 1, byStatus: { 200: 1 } },
    },
    byStatus: { 200: 2, 401: 1 },
  });
  const reset = await admin(s, "POST", "counters/reset");
  assert.equal(reset.status, 200);
  assert.equal(reset.json.token.total, 0);
  assert.equal(reset.json.api.total, 0);
  s.resetCounters();
  counters = s.counters();
  assert.deepEqual(counters.api, { total: 0, byRoute: {}, byStatus: {} });
}));
