// The Attachment API: raw and multipart uploads kept byte for byte, metadata, download with the
// file's own content type, delete, listing, and the answers for missing parameters, unknown or
// inaccessible records and oversized files.

import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";

import { api, basicHeader, seedUser, TIMEOUT, tokensFor, withStandin } from "../harness.js";

const INCIDENT = "9c573169c611228700193229fff72400";

function upload(s, { auth, table = "incident", sysId = INCIDENT, fileName = "photo.png", contentType = "image/png", body, version = "" }) {
  const query = new URLSearchParams({ table_name: table, table_sys_id: sysId, file_name: fileName });
  return fetch(new URL(`/api/now${version}/attachment/file?${query}`, s.url), {
    method: "POST",
    headers: { accept: "application/json", authorization: auth, ...(contentType ? { "content-type": contentType } : {}) },
    body,
    signal: AbortSignal.timeout(TIMEOUT),
  });
}

async function download(s, sysId, auth, accept) {
  const response = await fetch(new URL(`/api/now/attachment/${sysId}/file`, s.url), {
    headers: { authorization: auth, ...(accept ? { accept } : {}) },
    signal: AbortSignal.timeout(TIMEOUT),
  });
  return { status: response.status, headers: response.headers, bytes: Buffer.from(await response.arrayBuffer()) };
}

test("a binary upload comes back byte for byte with its content type, metadata and Location", () => withStandin({}, async (s) => {
  const auth = basicHeader(seedUser(s, "itil.user"));
  const bytes = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0xff]), randomBytes(300_000)]);
  const response = await upload(s, { auth, body: bytes });
  assert.equal(response.status, 201);
  assert.equal(response.headers.get("content-type"), "application/json;charset=UTF-8");
  const meta = (await response.json()).result;
  assert.match(meta.sys_id, /^[0-9a-f]{32}$/);
  assert.equal(response.headers.get("location"), `${s.url}/api/now/attachment/${meta.sys_id}`);
  assert.equal(meta.file_name, "photo.png");
  assert.equal(meta.content_type, "image/png");
  assert.equal(meta.size_bytes, String(bytes.length));
  assert.equal(meta.table_name, "incident");
  assert.equal(meta.table_sys_id, INCIDENT);
  assert.equal(meta.download_link, `${s.url}/api/now/attachment/${meta.sys_id}/file`);
  assert.equal(meta.sys_created_by, "itil.user");
  assert.equal(meta.hash, createHash("sha256").update(bytes).digest("hex"));
  for (const value of Object.values(meta)) assert.equal(typeof value, "string");

  const file = await download(s, meta.sys_id, auth);
  assert.equal(file.status, 200);
  assert.equal(file.headers.get("content-type"), "image/png");
  assert.equal(file.headers.get("content-length"), String(bytes.length));
  assert.ok(file.bytes.equals(bytes), "the same bytes");
  assert.equal(JSON.parse(file.headers.get("x-attachment-metadata")).sys_id, meta.sys_id);

  const read = await api(s, `/api/now/attachment/${meta.sys_id}`, { auth });
  assert.equal(read.status, 200);
  assert.deepEqual(read.json.result, meta);
  const counted = s.counters().api.byRoute;
  assert.deepEqual(counted["POST /api/now/attachment/file"], { total: 1, byStatus: { 201: 1 } });
  assert.deepEqual(counted["GET /api/now/attachment/{sys_id}/file"], { total: 1, byStatus: { 200: 1 } });
  assert.deepEqual(counted["GET /api/now/attachment/{sys_id}"], { total: 1, byStatus: { 200: 1 } });
}));

test("uploads under /v1 with a Bearer token; a non-ASCII file name survives the metadata header", () => withStandin({}, async (s) => {
  const tokens = await tokensFor(s, { userName: "admin" });
  const auth = `Bearer ${tokens.access_token}`;
  const response = await upload(s, { auth, version: "/v1", fileName: "café menu.pdf", contentType: "application/pdf", body: Buffer.from("%PDF-1.7\n") });
  assert.equal(response.status, 201);
  const meta = (await response.json()).result;
  assert.equal(meta.file_name, "café menu.pdf");
  const file = await download(s, meta.sys_id, auth, "*/*");
  assert.equal(file.bytes.toString(), "%PDF-1.7\n");
  assert.equal(JSON.parse(file.headers.get("x-attachment-metadata")).file_name, "café menu.pdf");
}));

test("the multipart upload takes table_name, table_sys_id and the file part", () => withStandin({}, async (s) => {
  const auth = basicHeader(seedUser(s, "admin"));
  const bytes = randomBytes(4096);
  const form = new FormData();
  form.set("table_name", "incident");
  form.set("table_sys_id", INCIDENT);
  form.set("uploadFile", new Blob([bytes], { type: "application/octet-stream" }), "dump.bin");
  const response = await fetch(new URL("/api/now/attachment/upload", s.url), {
    method: "POST", headers: { accept: "application/json", authorization: auth }, body: form, signal: AbortSignal.timeout(TIMEOUT),
  });
  assert.equal(response.status, 201);
  const meta = (await response.json()).result;
  assert.equal(meta.file_name, "dump.bin");
  assert.equal(meta.content_type, "application/octet-stream");
  assert.ok((await download(s, meta.sys_id, auth)).bytes.equals(bytes));

  const noFile = new FormData();
  noFile.set("table_name", "incident");
  noFile.set("table_sys_id", INCIDENT);
  const refused = await fetch(new URL("/api/now/attachment/upload", s.url), {
    method: "POST", headers: { accept: "application/json", authorization: auth }, body: noFile, signal: AbortSignal.timeout(TIMEOUT),
  });
  assert.equal(refused.status, 400);
  assert.match((await refused.json()).error.detail, /file part/);
  const answer = await api(s, "/api/now/attachment/upload", { method: "POST", auth, body: "{}" });
  assert.equal(answer.status, 400, "not multipart");
  assert.match(answer.json.error.detail, /multipart/);
}));

test("missing parameters 400; unknown record, unknown table or no write access 404; nothing stored", () => withStandin({}, async (s) => {
  const admin = basicHeader(seedUser(s, "admin"));
  for (const drop of ["table_name", "table_sys_id", "file_name"]) {
    const query = new URLSearchParams({ table_name: "incident", table_sys_id: INCIDENT, file_name: "a.txt" });
    query.delete(drop);
    const answer = await api(s, `/api/now/attachment/file?${query}`, { method: "POST", auth: admin, body: "x", headers: { "content-type": "text/plain" } });
    assert.equal(answer.status, 400, drop);
    assert.equal(answer.json.status, "failure");
    assert.match(answer.json.error.detail, new RegExp(drop));
  }
  let response = await upload(s, { auth: admin, contentType: null, body: Buffer.from("x") });
  assert.equal(response.status, 400, "the file's Content-Type is mandatory");
  await response.text();
  for (const [table, sysId] of [["incident", "0".repeat(32)], ["no_such_table", INCIDENT]]) {
    response = await upload(s, { auth: admin, table, sysId, body: "x" });
    assert.equal(response.status, 404, table);
    const json = await response.json();
    assert.equal(json.error.message, "No Record found");
  }
  response = await upload(s, { auth: basicHeader(seedUser(s, "no.roles")), body: "x" });
  assert.equal(response.status, 404, "no write access to incident");
  await response.text();
  const listed = await api(s, "/api/now/attachment", { auth: admin });
  assert.deepEqual(listed.json.result, []);
}));

test("a file over attachmentMaxBytes gets 413 and is not stored", () => withStandin({ attachmentMaxBytes: 1000 }, async (s) => {
  const auth = basicHeader(seedUser(s, "admin"));
  let response = await upload(s, { auth, body: randomBytes(1001) });
  assert.equal(response.status, 413);
  assert.equal((await response.json()).status, "failure");
  response = await upload(s, { auth, body: randomBytes(1000) });
  assert.equal(response.status, 201);
  await response.text();
  assert.equal((await api(s, "/api/now/attachment", { auth })).json.result.length, 1);
  assert.throws(() => s.configure({ attachmentMaxBytes: 0 }), { name: "SwitchError", field: "attachmentMaxBytes" });
}));

test("delete answers 204, then metadata and file are 404; readers without access get 404", () => withStandin({}, async (s) => {
  const admin = basicHeader(seedUser(s, "admin"));
  const response = await upload(s, { auth: admin, body: "hello" });
  const meta = (await response.json()).result;
  const noRoles = basicHeader(seedUser(s, "no.roles"));
  assert.equal((await api(s, `/api/now/attachment/${meta.sys_id}`, { auth: noRoles })).status, 404);
  assert.equal((await download(s, meta.sys_id, noRoles)).status, 404);
  assert.equal((await api(s, `/api/now/attachment/${meta.sys_id}`, { method: "DELETE", auth: noRoles })).status, 404);
  let answer = await api(s, `/api/now/attachment/${meta.sys_id}`, { method: "DELETE", auth: admin });
  assert.equal(answer.status, 204);
  assert.equal(answer.text, "");
  answer = await api(s, `/api/now/attachment/${meta.sys_id}`, { auth: admin });
  assert.equal(answer.status, 404);
  assert.equal(answer.json.status, "failure");
  assert.equal((await download(s, meta.sys_id, admin)).status, 404);
  assert.equal((await api(s, `/api/now/attachment/${meta.sys_id}`, { method: "DELETE", auth: admin })).status, 404);
}));

test("the list filters by sysparm_query, pages with Link, and wrong methods get 405", () => withStandin({}, async (s) => {
  const auth = basicHeader(seedUser(s, "admin"));
  for (const name of ["a.txt", "b.txt", "c.txt"]) {
    const response = await upload(s, { auth, fileName: name, contentType: "text/plain", body: name });
    assert.equal(response.status, 201);
    await response.text();
  }
  let answer = await api(s, `/api/now/attachment?sysparm_query=${encodeURIComponent(`table_sys_id=${INCIDENT}^ORDERBYfile_name`)}&sysparm_limit=2`, { auth });
  assert.equal(answer.status, 200);
  assert.deepEqual(answer.json.result.map((m) => m.file_name), ["a.txt", "b.txt"]);
  assert.equal(answer.headers.get("x-total-count"), "3");
  assert.match(answer.headers.get("link"), /sysparm_offset=2&sysparm_limit=2>;rel="next"/);
  answer = await api(s, "/api/now/attachment/file", { auth });
  assert.equal(answer.status, 405);
  assert.equal(answer.headers.get("allow"), "POST");
  answer = await api(s, "/api/now/attachment", { method: "POST", auth, body: "{}" });
  assert.equal(answer.status, 405);
  assert.equal((await api(s, "/api/now/v2/attachment", { auth })).status, 404, "the Attachment API has only v1");
  assert.equal((await api(s, "/api/now/attachment")).status, 401);
}));
