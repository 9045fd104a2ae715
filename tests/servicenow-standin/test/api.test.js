// The Table API resource server: list and record routes under every version prefix, the sysparm_*
// parameters, writes, ServiceNow error shapes, Basic and Bearer authentication, ACLs, and tokens
// that are expired, revoked or from another stand-in.

import { test } from "node:test";
import assert from "node:assert/strict";

import {
  api,
  basicHeader,
  NOT_A_RESOURCE,
  NOT_AUTHENTICATED,
  rawRequest,
  seedUser,
  sleep,
  tokenRequest,
  tokensFor,
  withStandin,
} from "../harness.js";

const JSON_TYPE = "application/json;charset=UTF-8";

test("lists a table under /api/now/table, /v1 and /v2 with result, content type and X-Total-Count", () => withStandin({}, async (s) => {
  const auth = basicHeader(seedUser(s, "admin"));
  for (const prefix of ["/api/now/table", "/api/now/v1/table", "/api/now/v2/table"]) {
    const answer = await api(s, `${prefix}/incident`, { auth });
    assert.equal(answer.status, 200);
    assert.equal(answer.headers.get("content-type"), JSON_TYPE);
    assert.equal(answer.headers.get("x-total-count"), "4");
    assert.equal(answer.json.result.length, 4);
    assert.ok(answer.json.result.every((r) => typeof r.sys_id === "string" && r.number.startsWith("INC")));
  }
  const routes = s.counters().api.byRoute;
  assert.deepEqual(routes["GET /api/now/table/{table}"], { total: 1, byStatus: { 200: 1 } });
  assert.deepEqual(routes["GET /api/now/v1/table/{table}"], { total: 1, byStatus: { 200: 1 } });
  assert.deepEqual(routes["GET /api/now/v2/table/{table}"], { total: 1, byStatus: { 200: 1 } });
}));

test("sysparm_limit, sysparm_offset, sysparm_fields and sysparm_query", () => withStandin({}, async (s) => {
  const auth = basicHeader(seedUser(s, "admin"));
  let answer = await api(s, "/api/now/table/incident?sysparm_limit=2&sysparm_offset=1&sysparm_fields=number,short_description", { auth });
  assert.equal(answer.headers.get("x-total-count"), "4");
  assert.deepEqual(answer.json.result.map((r) => r.number), ["INC0000002", "INC0000003"]);
  assert.deepEqual(Object.keys(answer.json.result[0]), ["number", "short_description"]);

  answer = await api(s, `/api/now/table/incident?sysparm_query=${encodeURIComponent("active=true^priority=1")}`, { auth });
  assert.equal(answer.headers.get("x-total-count"), "2");
  assert.deepEqual(answer.json.result.map((r) => r.number), ["INC0000001", "INC0000003"]);

  answer = await api(s, `/api/now/table/incident?sysparm_query=${encodeURIComponent("active!=true")}&sysparm_fields=number`, { auth });
  assert.deepEqual(answer.json.result, [{ number: "INC0000004" }]);

  answer = await api(s, `/api/now/table/incident?sysparm_query=${encodeURIComponent("active=true^ORDERBYDESCnumber")}&sysparm_fields=number&sysparm_limit=1`, { auth });
  assert.deepEqual(answer.json.result, [{ number: "INC0000003" }]);

  answer = await api(s, "/api/now/table/sys_db_object?sysparm_query=name=incident&sysparm_fields=name,label", { auth });
  assert.deepEqual(answer.json.result, [{ name: "incident", label: "Incident" }]);

  answer = await api(s, "/api/now/table/incident?sysparm_query=no_such_field=1", { auth });
  assert.equal(answer.status, 200);
  assert.deepEqual(answer.json.result, []);
  assert.equal(answer.headers.get("x-total-count"), "0");

  answer = await api(s, "/api/now/table/incident?sysparm_limit=0", { auth });
  assert.deepEqual(answer.json.result, []);
  assert.equal(answer.headers.get("x-total-count"), "4");
}));

test("sys_user mirrors the seeded users without passwords", () => withStandin({}, async (s) => {
  const answer = await api(s, "/api/now/table/sys_user?sysparm_query=user_name=itil.user", { auth: basicHeader(seedUser(s, "admin")) });
  assert.equal(answer.json.result.length, 1);
  assert.equal(answer.json.result[0].user_name, "itil.user");
  assert.equal(answer.json.result[0].password, undefined);
  assert.doesNotMatch(answer.text, /FAKE-standin/);
}));

test("POST creates, GET reads, PATCH and PUT update, DELETE removes a record", () => withStandin({}, async (s) => {
  const auth = basicHeader(seedUser(s, "itil.user"));
  let answer = await api(s, "/api/now/v2/table/incident", { method: "POST", auth, body: JSON.stringify({ short_description: "Created by test", priority: 3, active: true }) });
  assert.equal(answer.status, 201);
  assert.equal(answer.headers.get("content-type"), JSON_TYPE);
  const created = answer.json.result;
  assert.match(created.sys_id, /^[0-9a-f]{32}$/);
  assert.equal(created.priority, "3");
  assert.equal(created.active, "true");
  assert.equal(answer.headers.get("location"), `${s.url}/api/now/table/incident/${created.sys_id}`);

  answer = await api(s, `/api/now/table/incident/${created.sys_id}`, { auth });
  assert.equal(answer.status, 200);
  assert.equal(answer.json.result.short_description, "Created by test");

  answer = await api(s, `/api/now/table/incident/${created.sys_id}?sysparm_fields=sys_id,state`, { method: "PATCH", auth, body: JSON.stringify({ state: "2" }) });
  assert.equal(answer.status, 200);
  assert.deepEqual(answer.json.result, { sys_id: created.sys_id, state: "2" });

  answer = await api(s, `/api/now/table/incident/${created.sys_id}`, { method: "PUT", auth, body: JSON.stringify({ state: "6" }) });
  assert.equal(answer.json.result.state, "6");

  answer = await api(s, "/api/now/table/incident", { auth });
  assert.equal(answer.headers.get("x-total-count"), "5");

  answer = await api(s, `/api/now/table/incident/${created.sys_id}`, { method: "DELETE", auth });
  assert.equal(answer.status, 204);
  assert.equal(answer.text, "");

  answer = await api(s, `/api/now/table/incident/${created.sys_id}`, { auth });
  assert.equal(answer.status, 404);
  assert.deepEqual(answer.json, {
    error: { message: "No Record found", detail: "Record doesn't exist or ACL restricts the record retrieval" },
    status: "failure",
  });
  answer = await api(s, `/api/now/table/incident/${created.sys_id}`, { method: "DELETE", auth });
  assert.equal(answer.status, 404);
  answer = await api(s, `/api/now/table/incident/${created.sys_id}`, { method: "PATCH", auth, body: "{}" });
  assert.equal(answer.status, 404);
}));

test("unknown URIs, versions and tables answer like an instance", () => withStandin({}, async (s) => {
  const auth = basicHeader(seedUser(s, "admin"));
  for (const path of ["/api/now/v3/table/incident", "/api/now/tables/incident", "/api/now/table", "/api/x", "/api", "/nothing/here", "/api/now/table/incident/a/b"]) {
    const answer = await api(s, path, { auth });
    assert.equal(answer.status, 404, path);
    assert.deepEqual(answer.json, NOT_A_RESOURCE, path);
    assert.equal(answer.headers.get("content-type"), JSON_TYPE);
  }
  const answer = await api(s, "/api/now/table/no_such_table", { auth });
  assert.equal(answer.status, 400);
  assert.deepEqual(answer.json, { error: { message: "Invalid table no_such_table", detail: null }, status: "failure" });
}));

test("bad bodies: invalid JSON, non-object JSON, nested values, wrong content type, too large", () => withStandin({}, async (s) => {
  const auth = basicHeader(seedUser(s, "admin"));
  let answer = await api(s, "/api/now/table/incident", { method: "POST", auth, body: "{not json" });
  assert.equal(answer.status, 400);
  assert.equal(answer.json.status, "failure");
  assert.equal(answer.json.error.message, "Exception while reading request");
  answer = await api(s, "/api/now/table/incident", { method: "POST", auth, body: "[1,2]" });
  assert.equal(answer.status, 400);
  answer = await api(s, "/api/now/table/incident", { method: "POST", auth, body: JSON.stringify({ a: { b: 1 } }) });
  assert.equal(answer.status, 400);
  answer = await api(s, "/api/now/table/incident", { method: "POST", auth, body: "a=b", headers: { "content-type": "application/x-www-form-urlencoded" } });
  assert.equal(answer.status, 415);
  answer = await api(s, "/api/now/table/incident", { method: "POST", auth, body: JSON.stringify({ short_description: "x".repeat(2 * 1024 * 1024) }) });
  assert.equal(answer.status, 413);
  assert.equal(answer.json.status, "failure");
  answer = await api(s, "/api/now/table/incident", { auth });
  assert.equal(answer.headers.get("x-total-count"), "4");
}));

test("wrong methods get 405 with Allow", () => withStandin({}, async (s) => {
  const auth = basicHeader(seedUser(s, "admin"));
  let answer = await api(s, "/api/now/table/incident", { method: "DELETE", auth });
  assert.equal(answer.status, 405);
  assert.equal(answer.headers.get("allow"), "GET, POST");
  assert.equal(answer.json.error.message, "Method not Supported");
  answer = await api(s, "/api/now/table/incident/9c573169c611228700193229fff72400", { method: "POST", auth, body: "{}" });
  assert.equal(answer.status, 405);
}));

test("garbage query parameters get 400 and never crash the stand-in", () => withStandin({}, async (s) => {
  const auth = basicHeader(seedUser(s, "admin"));
  for (const query of ["sysparm_limit=abc", "sysparm_limit=-1", "sysparm_offset=1e3", "sysparm_limit=99999999999"]) {
    const answer = await api(s, `/api/now/table/incident?${query}`, { auth });
    assert.equal(answer.status, 400, query);
    assert.equal(answer.json.status, "failure");
    assert.match(answer.json.error.message, /^Invalid value for sysparm_/);
  }
  for (const query of ["sysparm_query=%E0%A4%A", "sysparm_query=^^^", "sysparm_fields=,,,", "sysparm_query=%00", "a=%zz"]) {
    const answer = await rawRequest(s, `/api/now/table/incident?${query}`, { headers: { accept: "application/json", authorization: auth } });
    assert.equal(answer.status, 200, query);
    assert.ok(Array.isArray(answer.json.result));
  }
  const answer = await rawRequest(s, "/api/now/table/%E0%A4%A", { headers: { accept: "application/json", authorization: auth } });
  assert.equal(answer.status, 404);
}));

test("Accept: missing gives 400, unsupported gives 406", () => withStandin({}, async (s) => {
  const auth = basicHeader(seedUser(s, "admin"));
  let answer = await rawRequest(s, "/api/now/table/incident", { headers: { authorization: auth } });
  assert.equal(answer.status, 400);
  assert.equal(answer.headers["content-type"], JSON_TYPE);
  assert.equal(answer.json.status, "failure");
  assert.equal(answer.json.error.message, "Accept header is missing");
  answer = await api(s, "/api/now/table/incident", { auth, accept: "text/csv" });
  assert.equal(answer.status, 406);
  answer = await api(s, "/api/now/table/incident", { auth, accept: "application/json, text/plain, */*" });
  assert.equal(answer.status, 200);
}));

test("bad or missing credentials give 401 User Not Authenticated", () => withStandin({}, async (s) => {
  const admin = seedUser(s, "admin");
  const cases = [
    undefined,
    `Basic ${Buffer.from(`${admin.user_name}:wrong`).toString("base64")}`,
    `Basic ${Buffer.from("nobody:x").toString("base64")}`,
    "Basic !!!not-base64",
    "Bearer not-a-token",
    "Bearer",
    "Digest abc",
  ];
  for (const auth of cases) {
    const answer = await api(s, "/api/now/table/incident", { auth });
    assert.equal(answer.status, 401, String(auth));
    assert.deepEqual(answer.json, NOT_AUTHENTICATED);
  }
  assert.equal(s.counters().api.byStatus["401"], cases.length);
}));

test("a user without read access to sys_db_object gets 403 User Not Authorized", () => withStandin({}, async (s) => {
  const noRoles = basicHeader(seedUser(s, "no.roles"));
  let answer = await api(s, "/api/now/table/sys_db_object?sysparm_limit=1", { auth: noRoles });
  assert.equal(answer.status, 403);
  assert.equal(answer.json.error.message, "User Not Authorized");
  assert.equal(typeof answer.json.error.detail, "string");
  assert.equal(answer.json.status, "failure");
  answer = await api(s, "/api/now/table/sys_db_object?sysparm_limit=1", { auth: basicHeader(seedUser(s, "itil.user")) });
  assert.equal(answer.status, 200);
  answer = await api(s, "/api/now/table/sys_db_object", { method: "POST", auth: basicHeader(seedUser(s, "itil.user")), body: "{}" });
  assert.equal(answer.status, 403);
  answer = await api(s, "/api/now/table/sys_db_object?sysparm_limit=1", { auth: basicHeader(seedUser(s, "admin")) });
  assert.equal(answer.status, 200);
  assert.equal(answer.json.result.length, 1);
}));

test("Bearer tokens issued by the engine are accepted and act as their user", () => withStandin({}, async (s) => {
  const adminTokens = await tokensFor(s, { userName: "admin" });
  let answer = await api(s, "/api/now/table/sys_db_object?sysparm_limit=1", { auth: `Bearer ${adminTokens.access_token}` });
  assert.equal(answer.status, 200);
  const noRolesTokens = await tokensFor(s, { userName: "no.roles" });
  answer = await api(s, "/api/now/table/sys_db_object?sysparm_limit=1", { auth: `Bearer ${noRolesTokens.access_token}` });
  assert.equal(answer.status, 403);
  answer = await api(s, "/api/now/table/sys_db_object?sysparm_limit=1", { auth: `Bearer ${adminTokens.refresh_token}` });
  assert.equal(answer.status, 401, "a refresh token is not an access token");
}));

test("expired access tokens are refused; a refreshed one works", { timeout: 15000 }, () => withStandin({ accessTtl: 1 }, async (s) => {
  const tokens = await tokensFor(s);
  assert.ok(tokens.expires_in <= 1);
  await sleep(1100);
  let answer = await api(s, "/api/now/table/incident", { auth: `Bearer ${tokens.access_token}` });
  assert.equal(answer.status, 401);
  assert.deepEqual(answer.json, NOT_AUTHENTICATED);
  s.configure({ accessTtl: 60 });
  const refreshed = await tokenRequest(s, { grant_type: "refresh_token", refresh_token: tokens.refresh_token });
  assert.ok([59, 58].includes(refreshed.json.expires_in));
  answer = await api(s, "/api/now/table/incident", { auth: `Bearer ${refreshed.json.access_token}` });
  assert.equal(answer.status, 200);
}));

test("a two-second access token works at once and is refused after it expires", { timeout: 15000 }, () => withStandin({ accessTtl: 2 }, async (s) => {
  const tokens = await tokensFor(s);
  assert.ok([1, 0].includes(tokens.expires_in));
  let answer = await api(s, "/api/now/table/incident", { auth: `Bearer ${tokens.access_token}` });
  assert.equal(answer.status, 200);
  await sleep(2100);
  answer = await api(s, "/api/now/table/incident", { auth: `Bearer ${tokens.access_token}` });
  assert.equal(answer.status, 401);
}));

test("revoked access tokens are refused", () => withStandin({}, async (s) => {
  const tokens = await tokensFor(s);
  assert.ok(s.revokeAllTokens() >= 2);
  const answer = await api(s, "/api/now/table/incident", { auth: `Bearer ${tokens.access_token}` });
  assert.equal(answer.status, 401);
}));

test("two stand-ins are independent: a token from one is refused by the other", () => withStandin({}, async (a) => withStandin({}, async (b) => {
  assert.notEqual(a.url, b.url);
  const tokens = await tokensFor(a);
  assert.equal((await api(a, "/api/now/table/incident", { auth: `Bearer ${tokens.access_token}` })).status, 200);
  assert.equal((await api(b, "/api/now/table/incident", { auth: `Bearer ${tokens.access_token}` })).status, 401);
  const created = await api(a, "/api/now/table/incident", { method: "POST", auth: basicHeader(seedUser(a, "admin")), body: "{}" });
  assert.equal(created.status, 201);
  assert.equal((await api(b, "/api/now/table/incident", { auth: basicHeader(seedUser(b, "admin")) })).headers.get("x-total-count"), "4");
  a.configure({ hibernating: true });
  assert.equal(b.config().hibernating, false);
  assert.equal(b.counters().token.total, 0);
})));
