// Bad input to the stand-in itself: admin routes with unknown paths, wrong methods, bad JSON,
// invalid switches and huge bodies; odd requests to the token endpoint, the interaction pages and
// the HTTP parser. Every case gets the answer an instance would give, and the stand-in keeps serving.

import { test } from "node:test";
import assert from "node:assert/strict";
import { connect } from "node:net";

import { startStandin } from "../index.js";
import { isLoopback } from "../http_io.js";
import { api, basicHeader, NOT_A_RESOURCE, rawRequest, seedUser, tokenRequest, withStandin, TIMEOUT } from "../harness.js";

function rawSocket(standin, text) {
  return new Promise((resolve, reject) => {
    const socket = connect(standin.port, "127.0.0.1");
    const chunks = [];
    socket.setTimeout(TIMEOUT, () => socket.destroy(new Error("socket timed out")));
    socket.on("data", (c) => chunks.push(c));
    socket.on("end", () => resolve(Buffer.concat(chunks).toString("latin1")));
    socket.on("close", () => resolve(Buffer.concat(chunks).toString("latin1")));
    socket.on("error", reject);
    socket.end(text);
  });
}

async function stillServing(s) {
  const answer = await api(s, "/api/now/table/incident?sysparm_limit=1", { auth: basicHeader(seedUser(s, "admin")) });
  assert.equal(answer.status, 200);
}

test("admin routes: unknown path 404, wrong method 405, bad JSON 400, invalid switch 400 and nothing applied", () => withStandin({}, async (s) => {
  let answer = await rawRequest(s, "/__standin/nope");
  assert.equal(answer.status, 404);
  assert.deepEqual(answer.json, NOT_A_RESOURCE);

  answer = await rawRequest(s, "/__standin/counters", { method: "DELETE" });
  assert.equal(answer.status, 405);
  assert.equal(answer.headers.allow, "GET");
  assert.equal(answer.json.status, "failure");

  answer = await rawRequest(s, "/__standin/config", { method: "POST", headers: { "content-type": "application/json" }, body: "{oops" });
  assert.equal(answer.status, 400);
  assert.equal(answer.json.error.message, "Exception while reading request");

  for (const patch of [
    { hibernating: "yes" },
    { accessTtl: 0 },
    { accessTtl: 1.5 },
    { unknownSwitch: true },
    { tokenFault: { kind: "explode" } },
    { tokenFault: { kind: "delay" } },
    { tokenFault: { kind: "500", count: 0 } },
    { apiFault: { kind: "500", extra: 1 } },
    { rateLimit: { limit: -1 } },
    { apiVersions: ["v9"] },
    { apiVersions: [] },
    { tokenErrorStyle: "shouty" },
    [],
    "text",
    null,
  ]) {
    answer = await rawRequest(s, "/__standin/config", { method: "POST", body: JSON.stringify(patch) });
    assert.equal(answer.status, 400, JSON.stringify(patch));
    assert.equal(answer.json.error.message, "Invalid config");
    assert.equal(typeof answer.json.error.detail, "string");
  }
  answer = await rawRequest(s, "/__standin/config", { method: "POST", body: JSON.stringify({ hibernating: true, accessTtl: -5 }) });
  assert.equal(answer.status, 400);
  assert.match(answer.json.error.detail, /^accessTtl:/);
  assert.equal(s.config().hibernating, false, "a refused patch changes nothing");

  answer = await rawRequest(s, "/__standin/config", { method: "POST", body: JSON.stringify({ hibernating: "x".repeat(100_000) }) });
  assert.equal(answer.status, 413);

  answer = await rawRequest(s, "/__standin/clients/%E0%A4%A", { method: "PUT", body: "{}" });
  assert.equal(answer.status, 404);
  answer = await rawRequest(s, "/__standin/clients/x", { method: "PUT", body: "null" });
  assert.equal(answer.status, 400);
  await stillServing(s);
}));

test("configure() and startStandin() refuse bad input with clear errors", async () => {
  await withStandin({}, async (s) => {
    assert.throws(() => s.configure({ accessTtl: "60" }), { name: "SwitchError", field: "accessTtl" });
    assert.throws(() => s.configure({ nope: 1 }), { name: "SwitchError", field: "nope" });
    assert.equal(s.config().accessTtl, 1800);
  });
  await assert.rejects(startStandin({ port: 0, colour: "blue" }), /unknown stand-in option colour/);
  await assert.rejects(startStandin({ port: -1 }), /port must be/);
  await assert.rejects(startStandin({ port: 0, accessTtl: 0 }), { name: "SwitchError" });
  await assert.rejects(startStandin({ port: 0, seed: { users: "none" } }), /seed.users/);
});

test("only loopback addresses count as local for the admin routes", () => {
  for (const address of ["127.0.0.1", "127.1.2.3", "::1", "::ffff:127.0.0.1"]) assert.equal(isLoopback(address), true, address);
  for (const address of ["10.0.0.1", "192.168.1.1", "::ffff:10.0.0.1", "", undefined, "::"]) assert.equal(isLoopback(address), false, String(address));
});

test("token endpoint: wrong method 405, huge body 413, garbage form, Basic header noise", () => withStandin({}, async (s) => {
  let answer = await rawRequest(s, "/oauth_token.do");
  assert.equal(answer.status, 405);
  assert.equal(answer.headers.allow, "POST");

  answer = await tokenRequest(s, {}, { clientAuth: "none", body: `grant_type=refresh_token&refresh_token=${"a".repeat(100_000)}` });
  assert.equal(answer.status, 413);

  answer = await tokenRequest(s, {}, { clientAuth: "none", body: "%%%&&&===grant_type" });
  assert.equal(answer.status, 401);
  assert.deepEqual(answer.json, { error: "server_error", error_description: "access_denied" });

  for (const authorization of ["Basic", "Basic !!!", "Basic " + Buffer.from("no-colon").toString("base64"), "Bearer x"]) {
    answer = await tokenRequest(s, { grant_type: "refresh_token", refresh_token: "x" }, { clientAuth: "none", headers: { authorization } });
    assert.equal(answer.status, 401, authorization);
  }
  answer = await tokenRequest(s, { grant_type: "refresh_token" }, { clientAuth: "none", headers: { "content-type": "text/plain" } });
  assert.equal(answer.status, 401);
  assert.ok(s.counters().token.total >= 7);
  await stillServing(s);
}));

test("interaction pages refuse stale, unknown or wrong-method requests", () => withStandin({}, async (s) => {
  let answer = await rawRequest(s, "/oauth_interaction/unknown-uid");
  assert.equal(answer.status, 400);
  assert.match(answer.text, /no longer valid/);
  answer = await rawRequest(s, "/oauth_interaction/unknown-uid/login", { method: "POST", body: "user_name=admin" });
  assert.equal(answer.status, 400);
  answer = await rawRequest(s, "/oauth_interaction/");
  assert.equal(answer.status, 404);
  answer = await rawRequest(s, "/oauth_interaction/a/b/c");
  assert.equal(answer.status, 404);
  await stillServing(s);
}));

test("odd HTTP: unknown paths, HEAD/OPTIONS, absolute-form and malformed request lines", () => withStandin({}, async (s) => {
  let answer = await rawRequest(s, "/");
  assert.equal(answer.status, 404);
  assert.deepEqual(answer.json, NOT_A_RESOURCE);
  for (const method of ["HEAD", "OPTIONS"]) {
    answer = await rawRequest(s, "/api/now/table/incident", { method, headers: { accept: "application/json", authorization: basicHeader(seedUser(s, "admin")) } });
    assert.equal(answer.status, 405, method);
  }
  const absolute = await rawSocket(s, `GET http://127.0.0.1:${s.port}/api/now/table/nothing HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/json\r\nConnection: close\r\n\r\n`);
  assert.match(absolute, /^HTTP\/1\.1 401 /);
  const garbage = await rawSocket(s, "THIS IS NOT HTTP\r\n\r\n");
  assert.match(garbage, /^HTTP\/1\.1 400 /);
  const badHeader = await rawSocket(s, "GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n");
  assert.match(badHeader, /^HTTP\/1\.1 400 /);
  await stillServing(s);
}));

test("the discovery document names the ServiceNow endpoints", () => withStandin({}, async (s) => {
  const answer = await api(s, "/.well-known/oauth-authorization-server");
  assert.equal(answer.status, 200);
  assert.equal(answer.json.issuer, s.url);
  assert.equal(answer.json.authorization_endpoint, `${s.url}/oauth_auth.do`);
  assert.equal(answer.json.token_endpoint, `${s.url}/oauth_token.do`);
  assert.deepEqual(answer.json.code_challenge_methods_supported, ["S256"]);
  assert.ok(answer.json.scopes_supported.includes("useraccount"));
}));

test("odd input to the client settings route, the new REST namespaces and the server-to-server grants", () => withStandin({}, async (s) => {
  const id = "standin-client";
  let answer = await rawRequest(s, `/__standin/clients/${id}`, { method: "PATCH", body: "null" });
  assert.equal(answer.status, 400);
  assert.equal(answer.json.error.message, "Invalid client");
  answer = await rawRequest(s, `/__standin/clients/${id}`, { method: "PATCH", body: "{nope" });
  assert.equal(answer.status, 400);
  assert.equal(answer.json.error.message, "Exception while reading request");
  answer = await rawRequest(s, `/__standin/clients/${id}`, { method: "DELETE" });
  assert.equal(answer.status, 405);
  assert.equal(answer.headers.allow, "GET, PATCH, PUT");

  const auth = basicHeader(seedUser(s, "admin"));
  for (const [method, path, status] of [
    ["GET", "/api/now/attachment/%E0%A4%A", 404],
    ["GET", "/api/now/attachment/%E0%A4%A/file", 404],
    ["HEAD", "/api/x_snc_demo/echo", 405],
    ["OPTIONS", "/api/now/attachment/file", 405],
    ["GET", "/api/now/attachment/upload/file", 404],
    ["GET", "/api/sn_chg_rest/change/%zz", 404],
  ]) {
    answer = await rawRequest(s, path, { method, headers: { accept: "application/json", authorization: auth } });
    assert.equal(answer.status, status, `${method} ${path}`);
  }
  answer = await rawRequest(s, "/api/now/attachment/upload", {
    method: "POST",
    headers: { accept: "application/json", authorization: auth, "content-type": "multipart/form-data; boundary=xyz" },
    body: "--xyz\r\ngarbage without headers",
  });
  assert.equal(answer.status, 400);

  for (const body of [
    "grant_type=password&username=admin&username=admin&password=x",
    `grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=${"a.".repeat(20_000)}`,
    "grant_type=client_credentials&scope=%00",
  ]) {
    answer = await tokenRequest(s, {}, { body: `${body}&client_id=${id}&client_secret=${encodeURIComponent(s.seed.clients[0].clientSecret)}` });
    assert.ok([400, 401, 413].includes(answer.status), `${answer.status} for ${body.slice(0, 60)}`);
  }
  await stillServing(s);
}));
