// The instance's REST APIs through the gateway, against the stand-in as a client uses them: the Table
// API paged by following `rel="next"` links (which now point at the gateway) to the end, records
// created with their task numbers, an attachment uploaded with its own content type and downloaded
// byte for byte, and the other namespaces under /api/ — Service Catalog, Change Management and a
// scoped Scripted REST API — with the same path guard, and never anything outside /api/.

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";

import { ADMIN_TOKEN, basicSettings, oauthSettings, connect, seedPassword, workerSuite } from "./support/harness.js";
import { rawRequest } from "../hardening/support/hardening.js";

let worker;
let standin;

workerSuite(async (started) => {
  ({ worker, standin } = started);
  assert.equal((await worker.putConnection("rest", basicSettings(standin, "admin"))).status, 201);
  assert.equal((await worker.putConnection("rest-oauth", oauthSettings(standin))).status, 201);
  assert.equal((await connect(worker, "rest-oauth", standin)).page.status, 200);
  await worker.storedTokens("rest-oauth");
});

/** The link targets of a Link header, by relation. */
function links(header) {
  const byRel = {};
  for (const match of (header ?? "").matchAll(/<([^>]*)>\s*;\s*rel="([^"]*)"/g)) byRel[match[2]] = match[1];
  return byRel;
}

/** The stand-in's own answer, asked directly with the admin's Basic credentials. */
async function direct(path) {
  const response = await fetch(`${standin.url}${path}`, {
    headers: {
      accept: "application/json",
      authorization: `Basic ${Buffer.from(`admin:${seedPassword(standin, "admin")}`).toString("base64")}`,
    },
  });
  return { status: response.status, headers: response.headers, json: await response.json() };
}

describe("Table API paging", () => {
  for (const id of ["rest", "rest-oauth"]) {
    test(`${id}: following rel="next" through the gateway reads every record once`, async () => {
      for (let i = 0; i < 3; i += 1) {
        const created = await worker.admin(`/api/connections/${id}/now/table/incident`, {
          method: "POST", body: { short_description: `paging ${id} ${i}` },
        });
        assert.equal(created.status, 201, created.text);
      }
      const whole = await direct("/api/now/table/incident?sysparm_fields=number");
      const total = whole.json.result.length;
      assert.ok(total >= 5);

      const seen = [];
      let next = `/api/connections/${id}/now/table/incident?sysparm_fields=number&sysparm_limit=2`;
      for (let page = 0; next && page < 50; page += 1) {
        const response = await worker.admin(next);
        assert.equal(response.status, 200, response.text);
        assert.equal(response.headers.get("x-total-count"), String(total));
        const byRel = links(response.headers.get("link"));
        for (const target of Object.values(byRel)) {
          assert.ok(target.startsWith(`${worker.origin}/api/connections/${id}/now/table/incident?`), target);
        }
        assert.ok(byRel.first && byRel.last, "first and last are always there");
        seen.push(...response.json.result.map((r) => r.number));
        next = byRel.next ? new URL(byRel.next).pathname + new URL(byRel.next).search : null;
      }
      assert.equal(next, null, "the last page has no next");
      assert.deepEqual(seen, whole.json.result.map((r) => r.number));
    });
  }

  test("a new incident gets its number", async () => {
    const created = await worker.admin("/api/connections/rest/now/table/incident", {
      method: "POST", body: { short_description: "numbered through the gateway" },
    });
    assert.equal(created.status, 201, created.text);
    assert.match(created.json.result.number, /^INC\d{7}$/);
  });
});

describe("Attachment API", () => {
  test("an image uploaded with its own content type comes back byte for byte", async () => {
    const incident = await worker.admin("/api/connections/rest-oauth/now/table/incident", {
      method: "POST", body: { short_description: "with a photo" },
    });
    assert.equal(incident.status, 201, incident.text);
    const image = randomBytes(1024 * 1024 + 17);
    const query = new URLSearchParams({ table_name: "incident", table_sys_id: incident.json.result.sys_id, file_name: "photo.png" });
    const uploaded = await worker.admin(`/api/connections/rest-oauth/now/attachment/file?${query}`, {
      method: "POST", headers: { "content-type": "image/png" }, body: new Uint8Array(image),
    });
    assert.equal(uploaded.status, 201, uploaded.text);
    const metadata = uploaded.json.result;
    assert.equal(metadata.content_type, "image/png");
    assert.equal(metadata.size_bytes, String(image.length));
    assert.equal(metadata.hash, createHash("sha256").update(image).digest("hex"));
    assert.equal(uploaded.headers.get("location"), null, "the instance's Location stays behind");

    const response = await worker.mf.dispatchFetch(new URL(`/api/connections/rest-oauth/now/attachment/${metadata.sys_id}/file`, worker.url), {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, accept: "*/*" },
    });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-type"), "image/png");
    const bytes = Buffer.from(await response.arrayBuffer());
    assert.ok(bytes.equals(image), "the same bytes");
  });
});

describe("every REST namespace under /api/", () => {
  test("Service Catalog items, paged with sysparm_offset", async () => {
    const first = await worker.admin("/api/connections/rest/api/sn_sc/servicecatalog/items?sysparm_limit=1");
    assert.equal(first.status, 200, first.text);
    assert.equal(first.json.result.length, 1);
    const second = await worker.admin("/api/connections/rest/api/sn_sc/servicecatalog/items?sysparm_limit=1&sysparm_offset=1");
    assert.equal(second.status, 200, second.text);
    assert.notEqual(second.json.result[0].sys_id, first.json.result[0].sys_id);
    const all = await direct("/api/sn_sc/servicecatalog/items");
    assert.ok(all.json.result.some((item) => item.sys_id === first.json.result[0].sys_id));
  });

  test("Change Management: a change created through the gateway gets its number", async () => {
    const created = await worker.admin("/api/connections/rest-oauth/api/sn_chg_rest/change", {
      method: "POST", body: { short_description: "through the gateway", type: "normal" },
    });
    assert.equal(created.status, 200, created.text);
    assert.match(created.json.result.number.value, /^CHG\d{7}$/);
    const read = await worker.admin(`/api/connections/rest-oauth/api/sn_chg_rest/change/${created.json.result.sys_id.value}`);
    assert.equal(read.status, 200, read.text);
  });

  test("a scoped Scripted REST API sees the method, path, query names and body it was sent", async () => {
    const body = JSON.stringify({ hello: "wörld" });
    const echoed = await worker.admin("/api/connections/rest/api/x_snc_demo/echo/one/two?b=2&a=1", {
      method: "PATCH", headers: { "content-type": "application/json" }, body,
    });
    assert.equal(echoed.status, 200, echoed.text);
    const { result } = echoed.json;
    assert.equal(result.method, "PATCH");
    assert.match(result.path, /\/api\/x_snc_demo\/echo\/one\/two$/);
    assert.deepEqual(result.query, ["a", "b"]);
    assert.equal(result.body_sha256, createHash("sha256").update(body).digest("hex"));
  });

  for (const path of [
    "/api/connections/rest/api/",
    "/api/connections/rest/api",
    "/api/connections/rest/api/x_snc_demo%2F..%2F..%2Foauth_token.do",
    "/api/connections/rest/api/sn_sc/..%2F..%2Flogin.do",
    "/api/connections/rest/api/%2e%2E%2Foauth_token.do",
    "/api/connections/rest/api//elsewhere.example/x",
    "/api/connections/rest/api/https:%2F%2Felsewhere.example%2Fx",
    "/api/connections/rest/api/sn_sc/..;/..;/login.do",
  ]) {
    test(`nothing outside /api/: ${path}`, async () => {
      standin.resetCounters();
      const response = await rawRequest(worker.url, path, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      assert.equal(response.status, 400, response.text);
      assert.equal(response.json.error.code, "invalid_api_request_path");
      assert.equal(standin.counters().api.total, 0, "nothing reached the instance");
    });
  }
});
