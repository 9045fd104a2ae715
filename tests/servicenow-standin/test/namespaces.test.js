// REST namespaces besides /api/now: Service Catalog items, Change Management change requests and
// a scoped Scripted REST API that echoes what it received — each with and without a version
// segment, each behind the same Accept and authentication rules as the Table API.

import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";

import { api, basicHeader, NOT_AUTHENTICATED, rawRequest, seedUser, TIMEOUT, tokensFor, withStandin } from "../harness.js";

test("Service Catalog items: list with and without v1, text search, paging, one item, unknown item", () => withStandin({}, async (s) => {
  const auth = basicHeader(seedUser(s, "no.roles"));
  for (const prefix of ["/api/sn_sc/servicecatalog", "/api/sn_sc/v1/servicecatalog"]) {
    const answer = await api(s, `${prefix}/items`, { auth });
    assert.equal(answer.status, 200, prefix);
    assert.equal(answer.headers.get("content-type"), "application/json;charset=UTF-8");
    assert.deepEqual(answer.json.result.map((i) => i.name), ["Retire a Standard Change Template", "Standard Laptop", "Apple iPhone 13"]);
    const laptop = answer.json.result[1];
    assert.deepEqual(laptop.catalogs, [{ sys_id: "e0d08b13c3330100c8b837659bba8fb4", title: "Service Catalog" }]);
    assert.deepEqual(laptop.category, { sys_id: "d258b953c611227a0146101fb1be7c31", title: "Hardware" });
    assert.equal(laptop.order, 100);
  }
  let answer = await api(s, "/api/sn_sc/servicecatalog/items?sysparm_text=iphone", { auth });
  assert.deepEqual(answer.json.result.map((i) => i.name), ["Apple iPhone 13"]);
  answer = await api(s, "/api/sn_sc/servicecatalog/items?sysparm_limit=1&sysparm_offset=1", { auth });
  assert.deepEqual(answer.json.result.map((i) => i.name), ["Standard Laptop"]);
  answer = await api(s, "/api/sn_sc/servicecatalog/items/060f3afa3731300054b6a3549dbe5d3e", { auth });
  assert.equal(answer.json.result.name, "Standard Laptop");
  answer = await api(s, "/api/sn_sc/v1/servicecatalog/items/nope", { auth });
  assert.equal(answer.status, 404);
  assert.equal(answer.json.status, "failure");
  answer = await api(s, "/api/sn_sc/servicecatalog/items", { method: "POST", auth, body: "{}" });
  assert.equal(answer.status, 405);
  assert.equal((await api(s, "/api/sn_sc/v9/servicecatalog/items", { auth })).status, 404);
  assert.deepEqual(s.counters().api.byRoute["GET /api/sn_sc/v1/servicecatalog/items"], { total: 1, byStatus: { 200: 1 } });
}));

test("Change Management: create answers the new CHG number in value/display_value form; list and get", () => withStandin({}, async (s) => {
  const tokens = await tokensFor(s, { userName: "itil.user" });
  const auth = `Bearer ${tokens.access_token}`;
  let answer = await api(s, "/api/sn_chg_rest/v1/change", { method: "POST", auth, body: JSON.stringify({ short_description: "Patch the web farm", type: "emergency" }) });
  assert.equal(answer.status, 200);
  const created = answer.json.result;
  assert.deepEqual(created.number, { display_value: "CHG0010001", value: "CHG0010001" });
  assert.deepEqual(created.type, { display_value: "emergency", value: "emergency" });
  assert.equal(created.state.value, "-5");
  assert.equal(created.chg_model.value, "Emergency");

  answer = await api(s, "/api/sn_chg_rest/change?type=normal", { method: "POST", auth, body: "" });
  assert.equal(answer.status, 200, answer.text);
  assert.equal(answer.json.result.number.value, "CHG0010002");

  answer = await api(s, `/api/sn_chg_rest/change/${created.sys_id.value}`, { auth });
  assert.equal(answer.status, 200);
  assert.equal(answer.json.result.short_description.value, "Patch the web farm");
  answer = await api(s, "/api/sn_chg_rest/change?type=emergency", { auth });
  assert.deepEqual(answer.json.result.map((c) => c.number.value), ["CHG0010001"]);
  answer = await api(s, `/api/sn_chg_rest/v1/change?sysparm_query=${encodeURIComponent("active=true^ORDERBYnumber")}&sysparm_limit=2`, { auth });
  assert.deepEqual(answer.json.result.map((c) => c.number.value), ["CHG0000001", "CHG0000002"]);
  answer = await api(s, "/api/sn_chg_rest/change/00000000000000000000000000000000", { auth });
  assert.equal(answer.status, 404);

  answer = await api(s, "/api/sn_chg_rest/change", { auth: basicHeader(seedUser(s, "no.roles")) });
  assert.equal(answer.status, 403, "change_request ACLs apply");
  answer = await api(s, "/api/sn_chg_rest/change", { method: "POST", auth, body: "[]" });
  assert.equal(answer.status, 400);
  answer = await api(s, `/api/sn_chg_rest/change/${created.sys_id.value}`, { method: "DELETE", auth });
  assert.equal(answer.status, 405);
  assert.equal(answer.headers.get("allow"), "GET");
}));

test("the scoped Scripted REST API echoes method, path, query names, body and user", () => withStandin({}, async (s) => {
  const auth = basicHeader(seedUser(s, "itil.user"));
  let answer = await api(s, "/api/x_snc_demo/echo/some/where?b=2&a=1&a=3", { method: "PATCH", auth, body: JSON.stringify({ hello: "world" }) });
  assert.equal(answer.status, 200);
  assert.deepEqual(answer.json.result, {
    method: "PATCH",
    path: "/api/x_snc_demo/echo/some/where",
    api_version: "v1",
    resource: "/some/where",
    query: ["a", "b"],
    user: "itil.user",
    content_type: "application/json",
    body_size: 17,
    body_sha256: createHash("sha256").update('{"hello":"world"}').digest("hex"),
    body: { hello: "world" },
  });
  answer = await api(s, "/api/x_snc_demo/v1/echo", { auth });
  assert.equal(answer.json.result.method, "GET");
  assert.equal(answer.json.result.path, "/api/x_snc_demo/v1/echo");
  assert.equal(answer.json.result.body_size, 0);
  assert.equal(answer.json.result.body, null);

  const bytes = randomBytes(3 * 1024 * 1024);
  const response = await fetch(new URL("/api/x_snc_demo/echo/blob", s.url), {
    method: "PUT", headers: { accept: "application/json", authorization: auth, "content-type": "application/octet-stream" }, body: bytes, signal: AbortSignal.timeout(TIMEOUT),
  });
  const blob = (await response.json()).result;
  assert.equal(blob.body_size, bytes.length);
  assert.equal(blob.body_sha256, createHash("sha256").update(bytes).digest("hex"));
  assert.equal(blob.body, null);

  answer = await api(s, "/api/x_snc_demo/echo", { method: "POST", auth, body: "{broken" });
  assert.equal(answer.status, 400);
  const routes = s.counters().api.byRoute;
  assert.deepEqual(routes["PATCH /api/x_snc_demo/echo/{path}"], { total: 1, byStatus: { 200: 1 } });
  assert.deepEqual(routes["GET /api/x_snc_demo/v1/echo"], { total: 1, byStatus: { 200: 1 } });
}));

test("every namespace asks for credentials and an Accept header like the Table API", () => withStandin({}, async (s) => {
  const auth = basicHeader(seedUser(s, "admin"));
  for (const path of ["/api/sn_sc/servicecatalog/items", "/api/sn_chg_rest/change", "/api/x_snc_demo/echo", "/api/now/attachment"]) {
    let answer = await api(s, path);
    assert.equal(answer.status, 401, path);
    assert.deepEqual(answer.json, NOT_AUTHENTICATED);
    answer = await api(s, path, { auth: "Bearer not-a-token" });
    assert.equal(answer.status, 401, path);
    answer = await rawRequest(s, path, { headers: { authorization: auth } });
    assert.equal(answer.status, 400, `${path} without Accept`);
    answer = await api(s, path, { auth, accept: "text/csv" });
    assert.equal(answer.status, 406, path);
  }
  for (const path of ["/api/sn_sc/servicecatalog/nothing", "/api/x_other/echo", "/api/sn_chg_rest/v1/change/a/b"]) {
    const answer = await api(s, path, { auth });
    assert.equal(answer.status, 404, path);
  }
  s.configure({ hibernating: true });
  const asleep = await api(s, "/api/x_snc_demo/echo", { auth });
  assert.match(asleep.text, /Your instance is hibernating/);
}));
