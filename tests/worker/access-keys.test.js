// Access keys: created by the admin for one connection, shown once, stored as a hash; accepted on that
// connection's forwarding routes and Test Connection and nowhere else; limited by methods, API path
// prefixes (whole decoded segments, version removed) and expiry; renamed, re-scoped and revoked at
// once. A made-up, altered or foreign key is refused before any connection's object is opened, so it
// creates no storage.

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readdirSync } from "node:fs";
import path from "node:path";

import {
  ADMIN_TOKEN, basicSettings, removeDir, startStandinFor, startWorker, tempDir, workerSuite,
} from "./support/harness.js";

let worker;
let standin;

workerSuite(async (started) => {
  ({ worker, standin } = started);
  assert.equal((await worker.putConnection("keyed", basicSettings(standin))).status, 201);
  assert.equal((await worker.putConnection("other", basicSettings(standin))).status, 201);
});

const KEY = /^snck_([A-Za-z0-9_-]{1,64})\.([A-Za-z0-9_-]{16})\.([A-Za-z0-9_-]{43})\.([A-Za-z0-9_-]{22})$/;

function withKey(key, options = {}) {
  return { ...options, headers: { ...options.headers, authorization: `Bearer ${key}` } };
}

function assertError(response, status, code) {
  assert.equal(response.status, status, response.text);
  assert.equal(response.json?.error?.code, code, response.text);
  assert.equal(typeof response.json.error.message, "string");
}

async function newKey(body = {}, id = "keyed") {
  const created = await worker.createKey(id, { name: "an application", ...body });
  assert.equal(created.status, 201, created.text);
  return created.json;
}

describe("creating and listing keys", () => {
  test("a key is shown once, with 256 bits of randomness and a recognisable prefix; the worker keeps only its hash", async () => {
    const created = await newKey({ name: "Reporting job" });
    const match = KEY.exec(created.key);
    assert.ok(match, created.key.slice(0, 10));
    assert.equal(match[1], "keyed", "the key names its connection");
    assert.equal(match[2], created.id);
    assert.equal(Buffer.from(match[3], "base64url").length, 32, "256 bits of randomness");
    assert.deepEqual(
      { name: created.name, methods: created.methods, paths: created.paths, expiresAt: created.expiresAt, lastUsedAt: created.lastUsedAt },
      { name: "Reporting job", methods: null, paths: null, expiresAt: null, lastUsedAt: null },
    );
    const record = await worker.hook("raw", { id: "keyed", key: `access-key:${created.id}` });
    assert.equal(record.hash, createHash("sha256").update(created.key).digest("hex"));
    assert.ok(!JSON.stringify(record).includes(created.key), "the key itself is not stored");

    const listed = await worker.admin("/api/connections/keyed/keys");
    assert.equal(listed.status, 200);
    const mine = listed.json.keys.find((k) => k.id === created.id);
    assert.deepEqual(Object.keys(mine).sort(), ["createdAt", "expiresAt", "id", "lastUsedAt", "methods", "name", "paths"]);
    assert.ok(!listed.text.includes(created.key) && !listed.text.includes(record.hash));
  });

  for (const [label, body, field] of [
    ["no name", {}, "name"],
    ["an empty name", { name: " " }, "name"],
    ["a name with a control character", { name: "a\nb" }, "name"],
    ["an unknown method", { name: "x", methods: ["TRACE"] }, "methods"],
    ["no methods at all", { name: "x", methods: [] }, "methods"],
    ["a path with a leading slash", { name: "x", paths: ["/table/incident"] }, "paths"],
    ["a dot-dot path segment", { name: "x", paths: ["table/../sys_user"] }, "paths"],
    ["a path starting with a version", { name: "x", paths: ["v2/table/incident"] }, "paths"],
    ["an expiry in the past", { name: "x", expiresAt: Date.now() - 1000 }, "expiresAt"],
    ["an expiry as text", { name: "x", expiresAt: "tomorrow" }, "expiresAt"],
    ["an unknown member", { name: "x", scope: "all" }, "scope"],
  ]) {
    test(`refused with 422 naming the field: ${label}`, async () => {
      const response = await worker.createKey("keyed", body);
      assertError(response, 422, "invalid_key_request");
      assert.ok(response.json.errors.some((e) => e.field === field), response.text);
    });
  }

  test("keys are managed with the admin token only, and a key is not a way to read them", async () => {
    const { key } = await newKey();
    for (const [method, route] of [["GET", "/keys"], ["POST", "/keys"], ["GET", "/audit"], ["GET", ""], ["PUT", ""], ["DELETE", "/token"], ["POST", "/oauth/generate"]]) {
      const response = await worker.request(`/api/connections/keyed${route}`, withKey(key, { method, body: method === "PUT" || method === "POST" ? { name: "x" } : undefined }));
      assertError(response, 401, "unauthorized");
    }
    assertError(await worker.request("/api/connections", withKey(key)), 401, "unauthorized");
  });
});

describe("using a key", () => {
  test("on its connection's forwarding routes and Test Connection; not for typed settings", async () => {
    const { key } = await newKey();
    standin.resetCounters();
    const listed = await worker.request("/api/connections/keyed/now/table/incident?sysparm_limit=1", withKey(key));
    assert.equal(listed.status, 200, listed.text);
    const viaApi = await worker.request("/api/connections/keyed/api/now/table/incident?sysparm_limit=1", withKey(key));
    assert.equal(viaApi.status, 200, viaApi.text);
    const tested = await worker.request("/api/connections/keyed/test", withKey(key, { method: "POST" }));
    assert.equal(tested.status, 200, tested.text);
    assert.equal(tested.json.ok, true);
    const typed = await worker.request("/api/connections/keyed/test", withKey(key, { method: "POST", body: { settings: basicSettings(standin) } }));
    assertError(typed, 403, "admin_only");
    assert.equal(standin.counters().api.total, 3, "the instance saw only the key's own requests");
  });

  test("not on another connection, and never with an altered, made-up or misplaced key", async () => {
    const { key } = await newKey();
    assertError(await worker.request("/api/connections/other/now/table/incident", withKey(key)), 401, "unauthorized");
    assertError(await worker.request("/api/connections/other/test", withKey(key, { method: "POST" })), 401, "unauthorized");
    const [body, check] = [key.slice(0, key.lastIndexOf(".")), key.slice(key.lastIndexOf(".") + 1)];
    const flip = (text, at) => text.slice(0, at) + (text[at] === "A" ? "B" : "A") + text.slice(at + 1);
    const parts = key.split(".");
    for (const altered of [
      flip(key, key.length - 1),
      `${body}.${flip(check, 0)}`,
      [parts[0], flip(parts[1], 3), parts[2], parts[3]].join("."),
      [parts[0], parts[1], flip(parts[2], 10), parts[3]].join("."),
      key.replace("snck_keyed", "snck_other"),
      key.toUpperCase(),
      `${key}x`,
      key.slice(0, -1),
    ]) {
      assertError(await worker.request("/api/connections/keyed/now/table/incident", withKey(altered)), 401, "unauthorized");
    }
    for (const headers of [{ cookie: `key=${key}` }, { "x-api-key": key }, { authorization: `Basic ${Buffer.from(`x:${key}`).toString("base64")}` }]) {
      assertError(await worker.request("/api/connections/keyed/now/table/incident", { headers }), 401, "unauthorized");
    }
  });

  test("a made-up key, or a key of one connection on a connection that does not exist, creates no storage", async () => {
    const persistDir = await tempDir("worker-forged-key-");
    const persisted = await startWorker({ persistDir });
    const objects = () => readdirSync(path.join(persistDir, "-ConnectionObject")).filter((f) => /^[0-9a-f]{64}\.sqlite$/.test(f));
    try {
      const instance = await startStandinFor(persisted);
      try {
        assert.equal((await persisted.putConnection("real", basicSettings(instance))).status, 201);
        const created = await persisted.createKey("real", { name: "real" });
        const before = objects();
        const { key } = created.json;
        const parts = key.split(".");
        for (const [route, made] of [
          ["ghost-1", `snck_ghost-1.${"A".repeat(16)}.${"B".repeat(43)}.${"C".repeat(22)}`],
          ["ghost-2", key.replace("snck_real", "snck_ghost-2")],
          ["ghost-3", key],
          ["real", [parts[0], parts[1], parts[2], "D".repeat(22)].join(".")],
        ]) {
          for (const tail of ["now/table/incident", "api/sn_sc/servicecatalog/items"]) {
            assertError(await persisted.request(`/api/connections/${route}/${tail}`, withKey(made)), 401, "unauthorized");
          }
          assertError(await persisted.request(`/api/connections/${route}/test`, withKey(made, { method: "POST" })), 401, "unauthorized");
        }
        assert.deepEqual(objects(), before, "no object was opened for a made-up or foreign key");
        assert.equal((await persisted.request("/api/connections/real/now/table/incident", withKey(key))).status, 200);
      } finally {
        await instance.close();
      }
    } finally {
      await persisted.close();
      await removeDir(persistDir);
    }
  });

  test("a revoked key is refused at once; an expired one too; when a key was last used is kept", async () => {
    const { key, id } = await newKey();
    assert.equal((await worker.request("/api/connections/keyed/now/table/incident", withKey(key))).status, 200);
    const used = (await worker.admin("/api/connections/keyed/keys")).json.keys.find((k) => k.id === id);
    assert.equal(typeof used.lastUsedAt, "number");
    const revoked = await worker.admin(`/api/connections/keyed/keys/${id}`, { method: "DELETE" });
    assert.equal(revoked.status, 204);
    const refused = await worker.request("/api/connections/keyed/now/table/incident", withKey(key));
    assertError(refused, 401, "unauthorized");
    assert.match(refused.json.error.message, /revoked/);
    assertError(await worker.admin(`/api/connections/keyed/keys/${id}`, { method: "DELETE" }), 404, "key_not_found");

    const soon = await newKey({ expiresAt: Date.now() + 60_000 });
    assert.equal((await worker.request("/api/connections/keyed/test", withKey(soon.key, { method: "POST" }))).status, 200);
    // Its expiry moved into the past, as time would.
    const record = await worker.hook("raw", { id: "keyed", key: `access-key:${soon.id}` });
    await worker.hook("put", { id: "keyed", key: `access-key:${soon.id}` }, JSON.stringify({ ...record, expiresAt: Date.now() - 1 }));
    const expired = await worker.request("/api/connections/keyed/now/table/incident", withKey(soon.key));
    assertError(expired, 401, "unauthorized");
    assert.match(expired.json.error.message, /expired/);
  });
});

test("a key of a deleted connection is refused, also once a connection of that id exists again", async () => {
  assert.equal((await worker.putConnection("short-lived", basicSettings(standin))).status, 201);
  const { key } = await newKey({}, "short-lived");
  const route = "/api/connections/short-lived/now/table/incident";
  assert.equal((await worker.request(route, withKey(key))).status, 200);
  assert.equal((await worker.admin("/api/connections/short-lived", { method: "DELETE" })).status, 204);
  assertError(await worker.request(route, withKey(key)), 401, "unauthorized");
  assert.equal((await worker.putConnection("short-lived", basicSettings(standin))).status, 201);
  assertError(await worker.request(route, withKey(key)), 401, "unauthorized");
});

describe("scopes", () => {
  test("methods: a read-only key reads and is refused a write with key_method_not_allowed", async () => {
    const { key } = await newKey({ methods: ["get", "HEAD"] });
    assert.equal((await worker.request("/api/connections/keyed/now/table/incident?sysparm_limit=1", withKey(key))).status, 200);
    // The stand-in itself answers HEAD with 405; what matters is that the key let it through.
    assert.notEqual((await worker.request("/api/connections/keyed/now/table/incident?sysparm_limit=1", withKey(key, { method: "HEAD" }))).status, 403);
    standin.resetCounters();
    const write = await worker.request("/api/connections/keyed/now/table/incident", withKey(key, { method: "POST", body: { short_description: "no" } }));
    assertError(write, 403, "key_method_not_allowed");
    assert.equal(standin.counters().api.total, 0, "nothing was sent");
  });

  test("paths: whole decoded segments after /api/now/, any version, through either route", async () => {
    const { key } = await newKey({ paths: ["table/incident", "api/sn_sc/servicecatalog"] });
    const status = async (route) => (await worker.request(`/api/connections/keyed/${route}`, withKey(key))).status;
    assert.equal(await status("now/table/incident?sysparm_limit=1"), 200);
    assert.equal(await status("now/v2/table/incident?sysparm_limit=1"), 200);
    assert.equal(await status("now/table/%69ncident?sysparm_limit=1"), 200, "a percent-encoded letter is that letter");
    assert.equal(await status("api/now/v1/table/incident?sysparm_limit=1"), 200);
    assert.equal(await status("api/sn_sc/servicecatalog/items"), 200);
    assert.equal(await status("api/sn_sc/v1/servicecatalog/items"), 200);
    standin.resetCounters();
    for (const route of ["now/table/incident_task", "now/table/sys_user", "now/attachment", "now/table", "api/sn_chg_rest/change", "api/x_snc_demo/echo"]) {
      assertError(await worker.request(`/api/connections/keyed/${route}`, withKey(key)), 403, "key_path_not_allowed");
    }
    assert.equal(standin.counters().api.total, 0, "nothing outside the scope was sent");
  });

  test("a key's name and scope can be edited; its secret stays the same", async () => {
    const { key, id } = await newKey({ methods: ["GET"] });
    assertError(await worker.request("/api/connections/keyed/now/table/incident", withKey(key, { method: "POST", body: {} })), 403, "key_method_not_allowed");
    const edited = await worker.admin(`/api/connections/keyed/keys/${id}`, { method: "PATCH", body: { name: "Renamed", methods: null, paths: ["table/incident"] } });
    assert.equal(edited.status, 200, edited.text);
    assert.deepEqual([edited.json.name, edited.json.methods, edited.json.paths], ["Renamed", null, ["table/incident"]]);
    const write = await worker.request("/api/connections/keyed/now/table/incident", withKey(key, { method: "POST", body: { short_description: "through a key" } }));
    assert.equal(write.status, 201, write.text);
    assertError(await worker.request("/api/connections/keyed/now/attachment", withKey(key)), 403, "key_path_not_allowed");
    assertError(await worker.admin(`/api/connections/keyed/keys/${id}`, { method: "PATCH", body: { methods: ["FETCH"] } }), 422, "invalid_key_request");
    assertError(await worker.admin("/api/connections/keyed/keys/AAAAAAAAAAAAAAAA", { method: "PATCH", body: { name: "x" } }), 404, "key_not_found");
  });
});

test("the admin token keeps working everywhere", async () => {
  assert.equal((await worker.request("/api/connections/keyed/now/table/incident?sysparm_limit=1", { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).status, 200);
});
