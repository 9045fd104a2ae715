// The audit trail of a connection: administrative events (created, settings changed, Generate, the
// callback's result, Reset, keys created, changed and revoked, Test Connection) and forwarded requests
// in two logs of 1,000 records each, newest first, paged with a cursor; who did it (the admin, a key by
// name, the callback), method, API path with query parameter names but never their values, status,
// time and bytes; nothing secret, no record data; traffic never pushes administrative events out.

import { describe, test } from "node:test";
import assert from "node:assert/strict";

import { ADMIN_TOKEN, authorize, oauthSettings, sleep, workerSuite } from "./support/harness.js";
import { startRecorder } from "./support/recorder.js";

let worker;
let standin;
let recorder;

workerSuite(async (started) => {
  ({ worker, standin } = started);
  recorder = await startRecorder();
  return [recorder];
});

function withKey(key, options = {}) {
  return { ...options, headers: { ...options.headers, authorization: `Bearer ${key}` } };
}

/** Every record of a log, newest first, read page by page (`limit` per page). */
async function whole(id, log, limit = 100) {
  const entries = [];
  let cursor = null;
  for (let page = 0; page < 100; page += 1) {
    const query = new URLSearchParams({ log, limit: String(limit), ...(cursor ? { cursor } : {}) });
    const response = await worker.admin(`/api/connections/${id}/audit?${query}`);
    assert.equal(response.status, 200, response.text);
    entries.push(...response.json.entries);
    cursor = response.json.nextCursor;
    if (cursor === null) return entries;
  }
  throw new Error("too many pages");
}

/** Traffic records are committed within a moment of the answer. */
async function settled() {
  await sleep(400);
}

describe("administrative events", () => {
  test("each change, Generate, the callback's result, Reset, keys and tests, newest first, with who did it", async () => {
    const id = "audited";
    assert.equal((await worker.putConnection(id, oauthSettings(standin))).status, 201);
    assert.equal((await worker.putConnection(id, oauthSettings(standin, { name: "Renamed" }))).status, 200);
    const location = await authorize(worker, id, standin);
    assert.equal((await worker.request(location.pathname + location.search)).status, 200);
    await worker.storedTokens(id);
    const key = await worker.createKey(id, { name: "Nightly export" });
    assert.equal(key.status, 201);
    assert.equal((await worker.request(`/api/connections/${id}/test`, withKey(key.json.key, { method: "POST" }))).status, 200);
    assert.equal((await worker.admin(`/api/connections/${id}/keys/${key.json.id}`, { method: "PATCH", body: { name: "Nightly export v2" } })).status, 200);
    assert.equal((await worker.admin(`/api/connections/${id}/keys/${key.json.id}`, { method: "DELETE" })).status, 204);
    assert.equal((await worker.admin(`/api/connections/${id}/token`, { method: "DELETE" })).status, 200);

    const events = await whole(id, "admin", 3);
    assert.deepEqual(events.map((e) => e.event), [
      "reset", "key_revoked", "key_changed", "test", "key_created", "callback", "generate", "settings_changed", "created",
    ]);
    const byEvent = Object.fromEntries(events.map((e) => [e.event, e]));
    assert.deepEqual(byEvent.test.who, { kind: "key", keyId: key.json.id, name: "Nightly export" });
    assert.equal(byEvent.test.code, "ok");
    assert.deepEqual(byEvent.callback.who, { kind: "callback" });
    assert.equal(byEvent.callback.code, "ok");
    assert.deepEqual(byEvent.created.who, { kind: "admin" });
    assert.deepEqual(byEvent.key_revoked.key, { keyId: key.json.id, name: "Nightly export v2" });
    const ids = events.map((e) => Number(e.id));
    assert.deepEqual(ids, [...ids].sort((a, b) => b - a), "newest first");
    for (const e of events) assert.equal(typeof e.at, "number");
  });
});

describe("forwarded requests", () => {
  test("who, method, API path and query names (never values), status, time and bytes", async () => {
    const id = "traffic";
    assert.equal((await worker.putConnection(id, {
      baseUrl: `${recorder.url}/api/now`, authType: "basic", username: "auditor", password: "FAKE-audit-password-6e01",
    })).status, 201);
    recorder.answer(() => ({ status: 201, headers: { "content-type": "application/json" }, body: '{"result":{"sys_id":"x"}}' }));
    const key = (await worker.createKey(id, { name: "Ticket sync", methods: ["POST"] })).json.key;
    const body = JSON.stringify({ short_description: "FAKE-record-data-should-not-be-kept" });
    const sent = await worker.request(`/api/connections/${id}/now/table/incident?sysparm_query=FAKE-value-not-kept&sysparm_fields=number`,
      withKey(key, { method: "POST", body, headers: { "content-type": "application/json" } }));
    assert.equal(sent.status, 201, sent.text);
    const refused = await worker.request(`/api/connections/${id}/now/table/incident?sysparm_limit=1`, withKey(key));
    assert.equal(refused.status, 403);
    const asAdmin = await worker.admin(`/api/connections/${id}/api/sn_sc/servicecatalog/items?sysparm_limit=2`);
    assert.equal(asAdmin.status, 201);
    await settled();

    // Numbered as they reached the connection: found by what they were.
    const traffic = await whole(id, "traffic");
    assert.equal(traffic.length, 3);
    const posted = traffic.find((e) => e.method === "POST");
    const denied = traffic.find((e) => e.status === 403);
    const admin = traffic.find((e) => e.who.kind === "admin");
    assert.deepEqual(
      { who: posted.who, method: posted.method, path: posted.path, query: posted.query, status: posted.status, bytesIn: posted.bytesIn, bytesOut: posted.bytesOut },
      { who: { kind: "key", keyId: posted.who.keyId, name: "Ticket sync" }, method: "POST", path: "/api/now/table/incident",
        query: ["sysparm_query", "sysparm_fields"], status: 201, bytesIn: Buffer.byteLength(body), bytesOut: '{"result":{"sys_id":"x"}}'.length },
    );
    assert.equal(typeof posted.ms, "number");
    assert.deepEqual([denied.method, denied.status, denied.code, denied.query], ["GET", 403, "key_method_not_allowed", ["sysparm_limit"]]);
    assert.deepEqual([admin.who, admin.path, admin.query], [{ kind: "admin" }, "/api/sn_sc/servicecatalog/items", ["sysparm_limit"]]);
    const everything = JSON.stringify(await whole(id, "traffic")) + JSON.stringify(await whole(id, "admin"));
    for (const value of ["FAKE-value-not-kept", "FAKE-record-data-should-not-be-kept", "FAKE-audit-password-6e01", key]) {
      assert.ok(!everything.includes(value), "no value, record data or secret is kept");
    }
  });

  test("1,000 records per log: the oldest traffic goes, administrative events stay", { timeout: 120_000 }, async () => {
    const id = "busy";
    assert.equal((await worker.putConnection(id, {
      baseUrl: `${recorder.url}/api/now`, authType: "basic", username: "busy", password: "FAKE-busy-password-19c4",
    })).status, 201);
    recorder.reset();
    const total = 1010;
    for (let next = 0; next < total;) {
      const batch = Array.from({ length: Math.min(20, total - next) }, (_, i) => next + i);
      await Promise.all(batch.map((n) => worker.mf.dispatchFetch(new URL(`/api/connections/${id}/now/table/incident?n=${n}`, worker.url), {
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      }).then((r) => r.arrayBuffer())));
      next += batch.length;
    }
    await settled();
    const traffic = await whole(id, "traffic", 200);
    assert.equal(traffic.length, 1000);
    assert.equal(Number(traffic[0].id), total, "the newest is kept");
    assert.equal(Number(traffic.at(-1).id), total - 999, "the oldest ten are gone");
    const admin = await whole(id, "admin");
    assert.deepEqual(admin.map((e) => e.event), ["created"], "traffic never pushes administrative events out");
  });

  test("bad queries are 400 with the field; keys cannot read the trail", async () => {
    for (const [query, code, field] of [["log=other", "invalid_audit_query", "log"], ["limit=0", "invalid_audit_query", "limit"],
      ["limit=1000", "invalid_audit_query", "limit"], ["cursor=abc", "invalid_cursor", "cursor"], ["since=1", "invalid_audit_query", "since"]]) {
      const response = await worker.admin(`/api/connections/traffic/audit?${query}`);
      assert.equal(response.status, 400, response.text);
      assert.equal(response.json.error.code, code);
      assert.equal(response.json.error.field, field);
    }
    assert.equal((await worker.admin("/api/connections/nobody/audit")).status, 404);
    const key = (await worker.createKey("traffic", { name: "x" })).json.key;
    assert.equal((await worker.request("/api/connections/traffic/audit", withKey(key))).status, 401);
  });
});
