// Table API paging, record numbers and the caller's own sys_user record: the Link header's rels
// on the first, middle, last and only page, the request's other parameters carried into every
// link, numbers assigned on create for task tables, sys_id=javascript:gs.getUserID() and the
// readDenied switch that makes that read answer 403.

import { test } from "node:test";
import assert from "node:assert/strict";

import { pageLinks } from "../paging.js";
import { api, basicHeader, seedUser, tokensFor, withStandin } from "../harness.js";

// Parses a Link header into { rel: URL }.
function links(header) {
  const found = {};
  for (const part of header.split(",<")) {
    const match = /^<?([^>]+)>;rel="([a-z]+)"$/.exec(part);
    assert.ok(match, `link part ${part}`);
    found[match[2]] = new URL(match[1]);
  }
  return found;
}

function offsets(header) {
  return Object.fromEntries(Object.entries(links(header)).map(([rel, url]) => [rel, Number(url.searchParams.get("sysparm_offset"))]));
}

test("the first page links first, next and last; the middle page all four; the last page first, prev and last", () => withStandin({}, async (s) => {
  const auth = basicHeader(seedUser(s, "admin"));
  let answer = await api(s, "/api/now/table/incident?sysparm_limit=1", { auth });
  assert.equal(answer.headers.get("x-total-count"), "4");
  const header = answer.headers.get("link");
  assert.match(header, /^<http:\/\/127\.0\.0\.1:[0-9]+\/api\/now\/table\/incident\?sysparm_offset=0&sysparm_limit=1>;rel="first",</);
  assert.deepEqual(offsets(header), { first: 0, next: 1, last: 3 });
  assert.deepEqual(Object.keys(links(header)), ["first", "next", "last"]);

  answer = await api(s, "/api/now/table/incident?sysparm_limit=1&sysparm_offset=2", { auth });
  assert.deepEqual(offsets(answer.headers.get("link")), { first: 0, prev: 1, next: 3, last: 3 });
  assert.deepEqual(Object.keys(links(answer.headers.get("link"))), ["first", "prev", "next", "last"]);

  answer = await api(s, "/api/now/table/incident?sysparm_limit=1&sysparm_offset=3", { auth });
  assert.deepEqual(offsets(answer.headers.get("link")), { first: 0, prev: 2, last: 3 });
}));

test("following next from the first page visits every record once and stops at the last page", () => withStandin({}, async (s) => {
  const auth = basicHeader(seedUser(s, "admin"));
  const seen = [];
  let next = `/api/now/v2/table/incident?sysparm_limit=3&sysparm_fields=number&sysparm_query=${encodeURIComponent("ORDERBYnumber")}`;
  for (let hop = 0; next && hop < 10; hop += 1) {
    const answer = await api(s, next, { auth });
    assert.equal(answer.status, 200);
    seen.push(...answer.json.result.map((r) => r.number));
    const header = answer.headers.get("link");
    next = header && links(header).next ? links(header).next.href : undefined;
  }
  assert.deepEqual(seen, ["INC0000001", "INC0000002", "INC0000003", "INC0000004"]);
}));

test("each link keeps the request's other parameters as sent, path and version included", () => withStandin({}, async (s) => {
  const auth = basicHeader(seedUser(s, "admin"));
  const query = "sysparm_query=active%3Dtrue%5EORDERBYnumber&sysparm_fields=number,short_description&sysparm_limit=1&sysparm_display_value=false";
  const answer = await api(s, `/api/now/v1/table/incident?${query}`, { auth });
  assert.equal(answer.headers.get("x-total-count"), "3");
  const all = links(answer.headers.get("link"));
  for (const url of Object.values(all)) {
    assert.equal(url.origin, s.url);
    assert.equal(url.pathname, "/api/now/v1/table/incident");
    assert.match(url.search, /^\?sysparm_query=active%3Dtrue%5EORDERBYnumber&sysparm_fields=number,short_description&sysparm_display_value=false&sysparm_offset=[0-9]+&sysparm_limit=1$/);
  }
  const last = await api(s, `${all.last.pathname}${all.last.search}`, { auth });
  assert.deepEqual(last.json.result.map((r) => r.number), ["INC0000003"]);
}));

test("no Link header for a single page, an empty result, sysparm_limit=0 or sysparm_suppress_pagination_header=true", () => withStandin({}, async (s) => {
  const auth = basicHeader(seedUser(s, "admin"));
  for (const query of ["", "sysparm_limit=4", "sysparm_query=number%3DNOPE&sysparm_limit=1", "sysparm_limit=0", "sysparm_limit=1&sysparm_suppress_pagination_header=true"]) {
    const answer = await api(s, `/api/now/table/incident?${query}`, { auth });
    assert.equal(answer.status, 200, query);
    assert.equal(answer.headers.get("link"), null, query);
    assert.notEqual(answer.headers.get("x-total-count"), null, query);
  }
}));

test("pageLinks: odd offsets land on the last page exactly; an offset past the end still links back", () => {
  const page = { origin: "http://127.0.0.1:1", pathname: "/api/now/table/x", rawQuery: "?a=1&sysparm_offset=9&sysparm_limit=5" };
  const at = (offset, limit, total) => offsets(pageLinks({ ...page, offset, limit, total }));
  assert.deepEqual(at(2, 5, 23), { first: 0, prev: 0, next: 7, last: 22 });
  assert.deepEqual(at(0, 10, 28124), { first: 0, next: 10, last: 28120 });
  assert.deepEqual(at(0, 10000, 28124), { first: 0, next: 10000, last: 20000 });
  assert.deepEqual(at(30, 10, 5), { first: 0, prev: 20, last: 30 });
  assert.equal(pageLinks({ ...page, offset: 0, limit: 5, total: 5 }), undefined);
  assert.match(pageLinks({ ...page, offset: 0, limit: 5, total: 6 }), /\?a=1&sysparm_offset=0&sysparm_limit=5>;rel="first"/);
});

test("task tables number new records INC0010001, CHG0010001, PRB0010001 and count up per table", () => withStandin({}, async (s) => {
  const auth = basicHeader(seedUser(s, "admin"));
  const create = async (table, body = {}) => {
    const answer = await api(s, `/api/now/table/${table}`, { method: "POST", auth, body: JSON.stringify({ short_description: "numbered", ...body }) });
    assert.equal(answer.status, 201, answer.text);
    return answer.json.result;
  };
  assert.equal((await create("incident")).number, "INC0010001");
  assert.equal((await create("incident")).number, "INC0010002");
  assert.equal((await create("change_request")).number, "CHG0010001");
  assert.equal((await create("problem")).number, "PRB0010001");
  assert.equal((await create("incident", { number: "INC9999999" })).number, "INC9999999", "a number sent by the client is kept");
  assert.equal((await create("incident")).number, "INC0010003");
  const plain = await create("sys_db_object", { name: "u_custom", label: "Custom" });
  assert.equal(plain.number, undefined, "tables that are not task tables get no number");
  const listed = await api(s, "/api/now/table/incident?sysparm_query=number%3DINC0010002&sysparm_fields=number", { auth });
  assert.deepEqual(listed.json.result, [{ number: "INC0010002" }]);
}));

test("sys_id=javascript:gs.getUserID() reads the authenticated user's own sys_user record", () => withStandin({}, async (s) => {
  const path = `/api/now/table/sys_user?sysparm_query=${encodeURIComponent("sys_id=javascript:gs.getUserID()")}&sysparm_fields=user_name,name,sys_id`;
  const admin = seedUser(s, "admin");
  let answer = await api(s, path, { auth: basicHeader(admin) });
  assert.equal(answer.status, 200);
  assert.deepEqual(answer.json.result, [{ user_name: "admin", name: "System Administrator", sys_id: admin.sys_id }]);

  const tokens = await tokensFor(s, { userName: "itil.user" });
  answer = await api(s, path, { auth: `Bearer ${tokens.access_token}` });
  assert.deepEqual(answer.json.result, [{ user_name: "itil.user", name: "Itil User", sys_id: seedUser(s, "itil.user").sys_id }]);

  answer = await api(s, `/api/now/table/incident?sysparm_query=${encodeURIComponent("caller_id=javascript:gs.getUserID()")}&sysparm_fields=number`, { auth: basicHeader(admin) });
  assert.deepEqual(answer.json.result, [{ number: "INC0000003" }]);
}));

test("readDenied makes reading sys_user a 403 for every user, admin included, and only reads", () => withStandin({ readDenied: ["sys_user"] }, async (s) => {
  const auth = basicHeader(seedUser(s, "admin"));
  let answer = await api(s, `/api/now/table/sys_user?sysparm_query=${encodeURIComponent("sys_id=javascript:gs.getUserID()")}`, { auth });
  assert.equal(answer.status, 403);
  assert.equal(answer.json.error.message, "User Not Authorized");
  assert.match(answer.json.error.detail, /sys_user/);
  answer = await api(s, `/api/now/table/sys_user/${seedUser(s, "admin").sys_id}`, { auth });
  assert.equal(answer.status, 403);
  assert.equal((await api(s, "/api/now/table/incident", { auth })).status, 200);
  answer = await api(s, `/api/now/table/sys_user/${seedUser(s, "no.roles").sys_id}`, { method: "PATCH", auth, body: JSON.stringify({ title: "x" }) });
  assert.equal(answer.status, 200, "writes are not refused by a read ACL");

  assert.deepEqual(s.configure({ readDenied: [] }).readDenied, []);
  assert.equal((await api(s, "/api/now/table/sys_user", { auth })).status, 200);
  assert.throws(() => s.configure({ readDenied: "sys_user" }), { name: "SwitchError", field: "readDenied" });
  assert.throws(() => s.configure({ readDenied: ["bad name"] }), { name: "SwitchError", field: "readDenied" });
}));
