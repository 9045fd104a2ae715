// Test Connection on settings as typed: `POST /api/connections/:id/test` with `{"settings": {…}}`
// tests those settings and stores nothing — not the settings, not a secret, not a token, not the
// last test, and for an id that does not exist, no connection. Stored secrets stand in for omitted
// ones only where a save would keep them (same instance; for the client secret, same token URL), and
// a stored OAuth access token only while it belongs to the typed settings and has not expired: it is
// never refreshed. Without a body the stored settings are tested, and only that counts as the
// connection's last test (in its view and in the listing).

import { test } from "node:test";
import assert from "node:assert/strict";

import { basicSettings, connect, oauthSettings, workerSuite } from "./support/harness.js";

let worker;
let standin;

workerSuite((started) => ({ worker, standin } = started));

function typedTest(id, settings) {
  return worker.admin(`/api/connections/${id}/test`, { method: "POST", body: { settings } });
}

function storedTest(id) {
  return worker.admin(`/api/connections/${id}/test`, { method: "POST" });
}

/** Every record of the connection's object, raw (sealed values as stored). */
async function records(id) {
  const keys = await worker.hook("keys", { id });
  const values = {};
  for (const key of keys) values[key] = await worker.hook("raw", { id, key });
  return values;
}

test("typed Basic settings are tested and nothing is stored; the stored password stands in for an omitted one", async () => {
  assert.equal((await worker.putConnection("basic-typed", basicSettings(standin, "itil.user"))).status, 201);
  const before = await records("basic-typed");

  let response = await typedTest("basic-typed", { ...basicSettings(standin, "itil.user"), password: "FAKE-typed-wrong-password" });
  assert.equal(response.status, 200, response.text);
  assert.equal(response.json.code, "unauthorized");
  assert.equal(response.json.tested, "typed");

  // No password: the stored one (same instance). Another user name with it fails, as it should.
  const { password, ...withoutPassword } = basicSettings(standin, "itil.user");
  assert.ok(password);
  response = await typedTest("basic-typed", withoutPassword);
  assert.equal(response.json.code, "ok", response.text);
  response = await typedTest("basic-typed", { ...withoutPassword, username: "admin" });
  assert.equal(response.json.code, "unauthorized");

  assert.deepEqual(await records("basic-typed"), before, "no record changed");
  const stored = await storedTest("basic-typed");
  assert.equal(stored.json.code, "ok");
  assert.equal(stored.json.tested, "stored");
});

test("a stored secret is not sent to another instance or token endpoint: 422 required, as for saving", async () => {
  await worker.putConnection("moved-basic", basicSettings(standin, "itil.user"));
  const { password, ...withoutPassword } = basicSettings(standin, "itil.user");
  assert.ok(password);
  const elsewhere = { ...withoutPassword, baseUrl: standin.url.replace("127.0.0.1", "localhost") + "/api/now" };
  let response = await typedTest("moved-basic", elsewhere);
  assert.equal(response.status, 422, response.text);
  assert.equal(response.json.error.field, "password");
  assert.match(response.json.error.message, /entered again because the instance or token URL changed/);

  await worker.putConnection("moved-oauth", oauthSettings(standin));
  const { clientSecret, ...withoutSecret } = oauthSettings(standin);
  assert.ok(clientSecret);
  response = await typedTest("moved-oauth", { ...withoutSecret, tokenUrl: `${standin.url.replace("127.0.0.1", "localhost")}/oauth_token.do` });
  assert.equal(response.status, 422, response.text);
  assert.equal(response.json.error.field, "clientSecret");
  // The same token endpoint, spelled out: the stored secret may be used.
  response = await typedTest("moved-oauth", { ...withoutSecret, tokenUrl: `${standin.url}/oauth_token.do` });
  assert.equal(response.status, 200, response.text);
});

test("an id that does not exist is tested and nothing is created", async () => {
  const response = await typedTest("not-created", basicSettings(standin, "admin"));
  assert.equal(response.status, 200, response.text);
  assert.equal(response.json.code, "ok");
  assert.equal(response.json.tested, "typed");
  assert.equal((await worker.admin("/api/connections/not-created")).status, 404);
  assert.deepEqual(await worker.hook("keys", { id: "not-created" }), []);
  const listing = await worker.admin("/api/connections");
  assert.ok(!listing.json.connections.some((connection) => connection.id === "not-created"));

  // Without a secret there is nothing to stand in: 422 required.
  const { password, ...withoutPassword } = basicSettings(standin, "admin");
  assert.ok(password);
  const missing = await typedTest("not-created", withoutPassword);
  assert.equal(missing.status, 422);
  assert.equal(missing.json.error.field, "password");

  // OAuth 2.0 settings without a token: Generate is needed.
  const oauth = await typedTest("not-created", oauthSettings(standin));
  assert.equal(oauth.json.code, "reauthorization_required");
  assert.match(oauth.json.message, /save them, then click Generate/);
  assert.deepEqual(await worker.hook("keys", { id: "not-created" }), []);
});

test("typed OAuth 2.0 settings use the stored token only while it belongs to them and is not expired; it is never refreshed", async () => {
  await worker.putConnection("oauth-typed", oauthSettings(standin));
  await connect(worker, "oauth-typed", standin);
  const before = await records("oauth-typed");
  const refreshes = () => standin.counters().token.byGrantType.refresh_token ?? 0;
  const refreshesBefore = refreshes();

  // Another API version and name: the token still belongs to these settings.
  const { clientSecret, ...withoutSecret } = oauthSettings(standin);
  assert.ok(clientSecret);
  let response = await typedTest("oauth-typed", { ...withoutSecret, name: "Renamed", baseUrl: `${standin.url}/api/now/v1` });
  assert.equal(response.json.code, "ok", response.text);
  assert.equal(response.json.tested, "typed");

  // Another client: not its token.
  response = await typedTest("oauth-typed", { ...oauthSettings(standin), clientId: "another-client" });
  assert.equal(response.json.code, "reauthorization_required");
  assert.match(response.json.message, /belongs to the saved settings.*Save these settings, then click Generate/);

  // An expired token is not refreshed for a typed test (the stored test would refresh it).
  await worker.hook("expire-access-token", { id: "oauth-typed", expiresAt: Date.now() - 60_000 });
  const expired = await records("oauth-typed");
  response = await typedTest("oauth-typed", withoutSecret);
  assert.equal(response.json.code, "reauthorization_required");
  assert.match(response.json.message, /expired.*does not refresh it/);
  assert.equal(refreshes(), refreshesBefore, "no refresh");
  assert.deepEqual(await records("oauth-typed"), expired, "nothing stored, nothing cleared");
  assert.notDeepEqual(expired.tokens, before.tokens);

  // The stored test refreshes as always.
  const stored = await storedTest("oauth-typed");
  assert.equal(stored.json.code, "ok");
  assert.equal(refreshes(), refreshesBefore + 1);
});

test("only tests of the stored settings are the connection's last test, in its view and the listing", async () => {
  await worker.putConnection("last-tested", basicSettings(standin, "itil.user"));
  const listed = async () => (await worker.admin("/api/connections")).json.connections.find((c) => c.id === "last-tested");
  assert.equal((await listed()).lastTest, null);
  assert.equal((await worker.admin("/api/connections/last-tested")).json.lastTest, null);

  const startedAt = Date.now();
  await storedTest("last-tested");
  const first = (await worker.admin("/api/connections/last-tested")).json.lastTest;
  assert.equal(first.ok, true);
  assert.equal(first.code, "ok");
  assert.equal(first.status, 200);
  assert.ok(first.at >= startedAt && first.at <= Date.now());
  assert.deepEqual((await listed()).lastTest, first);

  const typed = await typedTest("last-tested", { ...basicSettings(standin, "itil.user"), password: "FAKE-typed-wrong-password" });
  assert.equal(typed.json.code, "unauthorized");
  assert.deepEqual((await listed()).lastTest, first, "a typed test does not count");

  standin.configure({ hibernating: true });
  try {
    await storedTest("last-tested");
  } finally {
    standin.configure({ hibernating: false });
  }
  const second = (await listed()).lastTest;
  assert.equal(second.ok, false);
  assert.equal(second.code, "hibernating");
  assert.ok(second.at >= first.at);
  assert.ok(!JSON.stringify(second).includes("hibernating</"), "no text of the instance's answer is kept");
});

test("the Test body: only `settings`, an object; typed settings are checked like a save", async () => {
  await worker.putConnection("test-body", basicSettings(standin, "itil.user"));
  let response = await worker.admin("/api/connections/test-body/test", { method: "POST", body: { setting: {} } });
  assert.equal(response.status, 422);
  assert.equal(response.json.error.code, "unknown_field");
  assert.equal(response.json.error.field, "setting");
  response = await worker.admin("/api/connections/test-body/test", { method: "POST", body: { settings: "basic" } });
  assert.equal(response.status, 422);
  assert.equal(response.json.error.field, "settings");
  response = await typedTest("test-body", { ...basicSettings(standin, "itil.user"), colour: "blue" });
  assert.equal(response.status, 422);
  assert.equal(response.json.error.code, "invalid_config");
  assert.equal(response.json.errors[0].code, "unknown_field");
  response = await typedTest("test-body", { ...basicSettings(standin, "itil.user"), baseUrl: "https://dev8954.service-now.com/foo" });
  assert.equal(response.status, 422);
  assert.equal(response.json.error.field, "baseUrl");
  // An empty body tests the stored settings.
  response = await worker.admin("/api/connections/test-body/test", { method: "POST", body: {} });
  assert.equal(response.json.tested, "stored");
});
