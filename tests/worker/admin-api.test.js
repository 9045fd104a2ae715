// The admin API of the worker: admin token checks (missing, wrong, unconfigured, too short), sealing
// key checks, CORS, routes and methods, connection ids, body limits and content types, settings
// validation (422), write-only secrets, Reset, Delete, the registry listing and static files.

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { request as httpRequest } from "node:http";

import {
  ADMIN_TOKEN, CLIENT_SECRET, PAGE_ORIGIN, basicSettings, connect, oauthSettings, postedMessage, removeDir, secretsIn,
  startWorker, tempDir, workerSuite, writePlaceholderPage,
} from "./support/harness.js";

let worker;
let standin;

workerSuite((started) => ({ worker, standin } = started));

/** The names of a connection's records, without its audit trail's. */
async function storedRecords(id) {
  return (await worker.hook("keys", { id })).filter((key) => !key.startsWith("audit:")).sort();
}

function assertError(response, status, code, field) {
  assert.equal(response.status, status, response.text);
  assert.equal(response.json?.error?.code, code, response.text);
  assert.equal(typeof response.json.error.message, "string");
  if (field !== undefined) assert.equal(response.json.error.field, field);
}

test("the leak check recognises a secret inside other text", () => {
  assert.deepEqual(secretsIn(`{"x":"${ADMIN_TOKEN}"}`), [ADMIN_TOKEN]);
  assert.deepEqual(secretsIn(`${CLIENT_SECRET.slice(0, -1)}`), []);
});

describe("admin token", () => {
  test("a missing token gets 401 with a JSON error", async () => {
    const response = await worker.request("/api/connections");
    assertError(response, 401, "unauthorized");
    assert.match(response.headers.get("www-authenticate"), /^Bearer/);
  });

  test("a wrong token, a token of another length and another scheme get 401", async () => {
    for (const authorization of [
      `Bearer ${ADMIN_TOKEN.slice(0, -1)}x`,
      `Bearer ${ADMIN_TOKEN}x`,
      "Bearer short",
      `Basic ${btoa(`admin:${ADMIN_TOKEN}`)}`,
      ADMIN_TOKEN,
    ]) {
      assertError(await worker.request("/api/connections", { headers: { authorization } }), 401, "unauthorized");
    }
  });

  test("the right token is accepted, the scheme in any case", async () => {
    const response = await worker.request("/api/connections", { headers: { authorization: `bearer ${ADMIN_TOKEN}` } });
    assert.equal(response.status, 200);
  });

  test("any token of non-space characters works; a malformed Authorization is 401, never 400", async () => {
    const odd = `FAKE!admin#token$${CLIENT_SECRET.slice(-8)}%with&odd*chars`;
    const custom = await startWorker({ vars: { ADMIN_TOKEN: odd } });
    try {
      assert.equal((await custom.request("/api/connections", { headers: { authorization: `Bearer ${odd}` } })).status, 200);
      for (const authorization of ["Bearer", "Bearer ", "Bearer a b", `Bearer ${odd} x`, "Bearer\tx", "Bearer ==="]) {
        const response = await custom.request("/api/connections", { headers: { authorization } });
        assertError(response, 401, "unauthorized");
        assert.match(response.headers.get("www-authenticate"), /^Bearer/);
      }
    } finally {
      await custom.close();
    }
  });

  test("without ADMIN_TOKEN, or with a short one, the admin API refuses everything with 503", async () => {
    for (const value of [undefined, "", "too-short"]) {
      const closed = await startWorker({ vars: { ADMIN_TOKEN: value } });
      try {
        for (const [method, path] of [["GET", "/api/connections"], ["PUT", "/api/connections/x"], ["POST", "/api/connections/x/test"]]) {
          const response = await closed.request(path, { method, body: method === "PUT" ? {} : undefined, headers: { authorization: "Bearer " } });
          assert.equal(response.status, 503, `${value} ${method} ${path}`);
          assert.match(response.json.error.code, /^admin_token_/);
          assert.match(response.json.error.message, /ADMIN_TOKEN/);
        }
      } finally {
        await closed.close();
      }
    }
  });

  test("a missing or invalid SEALING_KEY closes the admin API with 503", async () => {
    for (const [value, code] of [[undefined, "sealing_key_not_configured"], ["bm90IDMyIGJ5dGVz", "sealing_key_invalid"]]) {
      const closed = await startWorker({ vars: { SEALING_KEY: value } });
      try {
        assertError(await closed.admin("/api/connections"), 503, code);
        const page = await closed.request("/oauth2/callback?code=x&state=abc.def");
        assert.equal(page.status, 503);
        assert.match(page.text, /SEALING_KEY/);
      } finally {
        await closed.close();
      }
    }
  });
});

describe("routes, methods and ids", () => {
  test("unknown API routes are 404, wrong methods 405 with Allow", async () => {
    assertError(await worker.admin("/api/nothing"), 404, "not_found");
    assertError(await worker.admin("/api/connections/a/b"), 404, "not_found");
    assertError(await worker.admin("/api/connections/a/oauth"), 404, "not_found");
    const wrong = await worker.admin("/api/connections", { method: "POST" });
    assertError(wrong, 405, "method_not_allowed");
    assert.equal(wrong.headers.get("allow"), "GET");
    const generate = await worker.admin("/api/connections/a/oauth/generate");
    assertError(generate, 405, "method_not_allowed");
    assert.equal(generate.headers.get("allow"), "POST");
    assertError(await worker.admin("/api/connections/a/token", { method: "POST" }), 405, "method_not_allowed");
    assertError(await worker.admin("/oauth2/callback", { method: "POST" }), 405, "method_not_allowed");
  });

  test("connection ids outside [A-Za-z0-9_-]{1,64} are refused with 400", async () => {
    for (const id of ["a.b", "a%20b", "%C3%A9", "x".repeat(65), "a~b", "a%2Fb"]) {
      assertError(await worker.admin(`/api/connections/${id}`), 400, "invalid_connection_id", "id");
    }
    assertError(await worker.admin(`/api/connections/${"x".repeat(64)}`), 404, "connection_not_found");
  });

  test("an unknown connection is 404 on every route", async () => {
    assertError(await worker.admin("/api/connections/ghost"), 404, "connection_not_found");
    assertError(await worker.admin("/api/connections/ghost", { method: "DELETE" }), 404, "connection_not_found");
    assertError(await worker.admin("/api/connections/ghost/test", { method: "POST" }), 404, "connection_not_found");
    assertError(await worker.admin("/api/connections/ghost/token", { method: "DELETE" }), 404, "connection_not_found");
    assertError(await worker.admin("/api/connections/ghost/oauth/generate", { method: "POST" }), 404, "connection_not_found");
    assertError(await worker.admin("/api/connections/ghost/now/table/incident"), 404, "connection_not_found");
  });
});

describe("request bodies", () => {
  test("bodies over 64 KB are refused with 413, declared or streamed", async () => {
    const big = { ...basicSettings(standin), name: "x", padding: "y".repeat(70 * 1024) };
    assertError(await worker.putConnection("big", big), 413, "body_too_large");
    const stream = new ReadableStream({
      start(controller) {
        for (let i = 0; i < 20; i += 1) controller.enqueue(new Uint8Array(4096).fill(32));
        controller.close();
      },
    });
    const response = await worker.mf.dispatchFetch(new URL("/api/connections/big", worker.url), {
      method: "PUT",
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
      body: stream,
      duplex: "half",
    });
    assert.equal(response.status, 413);
    assert.equal((await response.json()).error.code, "body_too_large");
  });

  test("non-JSON bodies get 415, broken JSON and non-objects 400", async () => {
    const settings = JSON.stringify(basicSettings(standin));
    assertError(await worker.admin("/api/connections/t", { method: "PUT", body: settings, headers: { "content-type": "text/plain" } }), 415, "unsupported_media_type");
    assertError(await worker.admin("/api/connections/t", { method: "PUT", body: settings }), 415, "unsupported_media_type");
    assertError(await worker.admin("/api/connections/t", { method: "PUT", body: "{", headers: { "content-type": "application/json" } }), 400, "invalid_json");
    assertError(await worker.admin("/api/connections/t", { method: "PUT", body: "[1]", headers: { "content-type": "application/json; charset=utf-8" } }), 400, "invalid_json");
    assertError(await worker.admin("/api/connections/t/test", { method: "POST", body: "x", headers: { "content-type": "text/plain" } }), 415, "unsupported_media_type");
  });
});

describe("settings", () => {
  test("invalid settings get 422 with every field error from the core", async () => {
    const response = await worker.putConnection("bad", { baseUrl: "ftp://x", authType: "oauth2" });
    assertError(response, 422, "invalid_config");
    const fields = response.json.errors.map((e) => e.field).sort();
    assert.ok(fields.includes("baseUrl"));
    assert.ok(fields.includes("clientId"));
    assert.ok(fields.includes("clientSecret"));
    for (const error of response.json.errors) assert.equal(typeof error.message, "string");
    assertError(await worker.admin("/api/connections/bad"), 404, "connection_not_found");
  });

  test("unknown members, the network switches and bad names are 422 field errors", async () => {
    const unknown = await worker.putConnection("bad", { ...basicSettings(standin), colour: "red" });
    assertError(unknown, 422, "invalid_config", "colour");
    const loopback = await worker.putConnection("bad", { ...basicSettings(standin), allowInsecureLoopback: true });
    assertError(loopback, 422, "invalid_config", "allowInsecureLoopback");
    const onPremise = await worker.putConnection("bad", { ...basicSettings(standin), allowPrivateNetwork: true });
    assertError(onPremise, 422, "invalid_config", "allowPrivateNetwork");
    assert.match(onPremise.json.error.message, /ALLOW_PRIVATE_NETWORK/);
    assertError(await worker.putConnection("bad", { ...basicSettings(standin), name: "n".repeat(101) }), 422, "invalid_config", "name");
    assertError(await worker.putConnection("bad", { ...basicSettings(standin), name: 5 }), 422, "invalid_config", "name");
  });

  test("http instance URLs need ALLOW_INSECURE_LOOPBACK=true", async () => {
    const strict = await startWorker({ vars: { ALLOW_INSECURE_LOOPBACK: undefined, PUBLIC_URL: "https://connections.example.com" } });
    try {
      const response = await strict.putConnection("local", basicSettings(standin));
      assertError(response, 422, "invalid_config", "baseUrl");
      assert.equal(response.json.errors[0].code, "insecure_scheme");
    } finally {
      await strict.close();
    }
  });

  test("instances at private addresses need ALLOW_PRIVATE_NETWORK=true, which the listing reports", async () => {
    // Saving only: nothing is sent to these addresses.
    const onPremise = { ...basicSettings(standin), baseUrl: "https://10.20.30.40/api/now/v2" };
    const refused = await worker.putConnection("on-premise", onPremise);
    assertError(refused, 422, "invalid_config", "baseUrl");
    assert.equal(refused.json.errors[0].code, "private_address");
    assert.equal((await worker.admin("/api/connections")).json.worker.allowPrivateNetwork, false);

    const open = await startWorker({ vars: { ALLOW_PRIVATE_NETWORK: "true" } });
    try {
      const saved = await open.putConnection("on-premise", { ...onPremise, baseUrl: "https://[fd00::5]/api/now/v2" });
      assert.equal(saved.status, 201, JSON.stringify(saved.json));
      const view = await open.admin("/api/connections/on-premise");
      assert.equal(view.json.resolved.instanceUrl, "https://[fd00::5]");
      assert.equal((await open.admin("/api/connections")).json.worker.allowPrivateNetwork, true);
      // Link-local addresses (cloud metadata services) stay refused.
      const metadata = await open.putConnection("metadata", { ...onPremise, baseUrl: "https://169.254.169.254/api/now" });
      assertError(metadata, 422, "invalid_config", "baseUrl");
      assert.equal(metadata.json.errors[0].code, "reserved_address");
    } finally {
      await open.close();
    }
  });

  test("secrets are write-only, kept when omitted, and never echoed", async () => {
    const created = await worker.putConnection("basic1", basicSettings(standin, "itil.user"));
    assert.equal(created.status, 201);
    assert.deepEqual(created.json.password, { set: true });
    assert.equal(created.json.token, null);
    assert.ok(!created.text.includes(basicSettings(standin, "itil.user").password));

    const { password: _omitted, ...withoutPassword } = basicSettings(standin, "itil.user", { name: "Renamed" });
    const updated = await worker.putConnection("basic1", withoutPassword);
    assert.equal(updated.status, 200, updated.text);
    assert.equal(updated.json.name, "Renamed");
    assert.deepEqual(updated.json.password, { set: true });
    const emptyPassword = await worker.putConnection("basic1", { ...withoutPassword, password: "" });
    assert.equal(emptyPassword.status, 200);

    const tested = await worker.admin("/api/connections/basic1/test", { method: "POST" });
    assert.equal(tested.status, 200);
    assert.equal(tested.json.ok, true, tested.text);

    const view = await worker.admin("/api/connections/basic1");
    assert.equal(view.status, 200);
    assert.deepEqual(view.json.password, { set: true });
    assert.equal(view.json.resolved.instanceUrl, standin.url);
    // The test above is the connection's last test.
    assert.deepEqual(await storedRecords("basic1"), ["config", "lastTest", "secret:password"]);
    const sealed = await worker.hook("raw", { id: "basic1", key: "secret:password" });
    assert.ok(!sealed.includes(basicSettings(standin, "itil.user").password));
  });

  test("a stored secret is not carried to another instance: it must be entered again", async () => {
    await worker.putConnection("moving", basicSettings(standin));
    const { password: _omitted, ...rest } = basicSettings(standin);
    const moved = await worker.putConnection("moving", { ...rest, baseUrl: "http://127.0.0.2:9/api/now" });
    assertError(moved, 422, "invalid_config", "password");
    assert.match(moved.json.errors[0].message, /entered again/);
    const movedWithPassword = await worker.putConnection("moving", { ...basicSettings(standin), baseUrl: "http://127.0.0.2:9/api/now" });
    assert.equal(movedWithPassword.status, 200);
  });

  test("changing the instance, client or auth type clears the tokens; a rename does not", async () => {
    await worker.putConnection("ident", oauthSettings(standin));
    const { page } = await connect(worker, "ident", standin);
    assert.equal(page.status, 200, page.text);
    await worker.storedTokens("ident");
    const { clientSecret: _kept, ...rest } = oauthSettings(standin);
    const renamed = await worker.putConnection("ident", { ...rest, name: "Still connected" });
    assert.equal(renamed.json.token.status, "fresh");
    const otherVersion = await worker.putConnection("ident", { ...rest, baseUrl: `${standin.url}/api/now/v1` });
    assert.equal(otherVersion.json.token.status, "fresh", "the API version is not part of the token's identity");
    const otherClient = await worker.putConnection("ident", { ...oauthSettings(standin), clientId: "standin-client" });
    assert.equal(otherClient.status, 200);
    assert.equal(otherClient.json.token.status, "none");
    assert.equal(await worker.hook("tokens", { id: "ident" }), null);
    const toBasic = await worker.putConnection("ident", basicSettings(standin));
    assert.equal(toBasic.json.token, null);
    assert.deepEqual(await storedRecords("ident"), ["config", "secret:password"]);
  });

  test("Reset clears the tokens, Delete removes everything", async () => {
    await worker.putConnection("gone", oauthSettings(standin));
    await connect(worker, "gone", standin);
    await worker.storedTokens("gone");
    const reset = await worker.admin("/api/connections/gone/token", { method: "DELETE" });
    assert.equal(reset.status, 200);
    assert.equal(reset.json.token.status, "none");
    assert.equal(await worker.hook("tokens", { id: "gone" }), null);
    const forward = await worker.admin("/api/connections/gone/now/table/incident");
    assertError(forward, 409, "reauthorization_required");

    await connect(worker, "gone", standin);
    const deleted = await worker.admin("/api/connections/gone", { method: "DELETE" });
    assert.equal(deleted.status, 204);
    assert.deepEqual(await worker.hook("keys", { id: "gone" }), []);
    assertError(await worker.admin("/api/connections/gone"), 404, "connection_not_found");
    const list = await worker.admin("/api/connections");
    assert.ok(!list.json.connections.some((c) => c.id === "gone"));
  });

  test("the listing shows every connection with its token status, from one call", async () => {
    await worker.putConnection("list-basic", basicSettings(standin));
    await worker.putConnection("list-oauth", oauthSettings(standin));
    await connect(worker, "list-oauth", standin);
    await worker.storedTokens("list-oauth");
    const list = await worker.admin("/api/connections");
    assert.equal(list.status, 200);
    const byId = Object.fromEntries(list.json.connections.map((c) => [c.id, c]));
    assert.equal(byId["list-basic"].authType, "basic");
    assert.equal(byId["list-basic"].token, null);
    assert.equal(byId["list-oauth"].authType, "oauth2");
    assert.equal(byId["list-oauth"].token.status, "fresh");
    assert.equal(typeof byId["list-oauth"].token.expiresAt, "number");
    assert.equal(typeof byId["list-oauth"].token.refreshExpiresAt, "number");
    const ids = list.json.connections.map((c) => c.id);
    assert.deepEqual(ids, [...ids].sort());
    // What a settings form needs from the worker itself.
    assert.deepEqual(list.json.worker, {
      allowInsecureLoopback: true, allowPrivateNetwork: false, callbackUrl: `${worker.origin}/oauth2/callback`,
    });
  });

  test("If-None-Match: * creates only: an existing connection is left alone with 412", async () => {
    const create = (body) => worker.admin("/api/connections/only-once", {
      method: "PUT", body, headers: { "if-none-match": "*" },
    });
    assert.equal((await create(basicSettings(standin, "admin"))).status, 201);
    const again = await create({ ...basicSettings(standin, "itil.user"), name: "Replaced?" });
    assertError(again, 412, "connection_exists", "id");
    const view = await worker.admin("/api/connections/only-once");
    assert.equal(view.json.username, "admin");
    // Without the header, PUT updates as before.
    assert.equal((await worker.putConnection("only-once", basicSettings(standin, "itil.user"))).status, 200);
  });

  test("the view warns when the refresh token has less than 7 days left", async () => {
    await worker.putConnection("short-life", oauthSettings(standin, { refreshTokenLifetimeSeconds: 3 * 86400 }));
    await connect(worker, "short-life", standin);
    await worker.storedTokens("short-life");
    const view = await worker.admin("/api/connections/short-life");
    assert.equal(view.json.token.refreshExpiringSoon, true);
    assert.match(view.json.token.warning, /refresh token expires in 2 days/);
    assert.ok(view.json.token.refreshExpiresInSeconds <= 3 * 86400);
    const list = await worker.admin("/api/connections");
    assert.equal(list.json.connections.find((c) => c.id === "short-life").token.refreshExpiringSoon, true);
  });
});

describe("secure headers", () => {
  test("API answers are inert in a browser; the callback page keeps its own policy and its opener", async () => {
    for (const response of [await worker.admin("/api/connections"), await worker.request("/api/connections/x")]) {
      assert.equal(response.headers.get("x-content-type-options"), "nosniff");
      assert.equal(response.headers.get("x-frame-options"), "DENY");
      assert.match(response.headers.get("content-security-policy"), /default-src 'none'.*sandbox/);
      assert.equal(response.headers.get("cross-origin-opener-policy"), null);
    }
    const page = await worker.request(`/oauth2/callback?code=x&state=ghost.${"y".repeat(43)}`);
    assert.equal(page.status, 400);
    assert.match(page.headers.get("content-security-policy"), /script-src 'nonce-/, "the page's own policy, with its nonce");
    assert.equal(page.headers.get("cross-origin-opener-policy"), null,
      "a Cross-Origin-Opener-Policy would cut the window off from the page that opened it for Generate");
    assert.equal(page.headers.get("x-frame-options"), "DENY");
  });
});

describe("CORS", () => {
  test("preflight succeeds for ALLOWED_ORIGINS only", async () => {
    const allowed = await worker.request("/api/connections/x", {
      method: "OPTIONS",
      headers: { origin: PAGE_ORIGIN, "access-control-request-method": "PUT" },
    });
    assert.equal(allowed.status, 204);
    assert.equal(allowed.headers.get("access-control-allow-origin"), PAGE_ORIGIN);
    assert.match(allowed.headers.get("access-control-allow-methods"), /PUT/);
    assert.match(allowed.headers.get("access-control-allow-headers"), /authorization/);
    const refused = await worker.request("/api/connections/x", {
      method: "OPTIONS",
      headers: { origin: "https://evil.example", "access-control-request-method": "PUT" },
    });
    assertError(refused, 403, "origin_not_allowed");
    assert.equal(refused.headers.get("access-control-allow-origin"), null);
  });

  test("allowed origins get CORS headers, the worker's own origin works, others are refused", async () => {
    const allowed = await worker.admin("/api/connections", { headers: { origin: PAGE_ORIGIN } });
    assert.equal(allowed.status, 200);
    assert.equal(allowed.headers.get("access-control-allow-origin"), PAGE_ORIGIN);
    assert.match(allowed.headers.get("access-control-expose-headers"), /retry-after/);
    const same = await worker.admin("/api/connections", { headers: { origin: worker.origin } });
    assert.equal(same.status, 200);
    const foreign = await worker.admin("/api/connections", { headers: { origin: "https://evil.example" } });
    assertError(foreign, 403, "origin_not_allowed");
    assert.equal(foreign.headers.get("access-control-allow-origin"), null);
  });
});

describe("PUBLIC_URL and ALLOWED_ORIGINS", () => {
  test("PUBLIC_URL sets the callback URL and the worker's own origin", async () => {
    const publicWorker = await startWorker({ vars: { PUBLIC_URL: "https://connections.example.com/" } });
    try {
      assert.equal((await publicWorker.putConnection("pub", oauthSettings(standin))).status, 201);
      const generated = await publicWorker.admin("/api/connections/pub/oauth/generate", { method: "POST" });
      assert.equal(generated.json.callbackUrl, "https://connections.example.com/oauth2/callback");
      assert.equal(new URL(generated.json.authorizationUrl).searchParams.get("redirect_uri"),
        "https://connections.example.com/oauth2/callback");
      const own = await publicWorker.admin("/api/connections", { headers: { origin: "https://connections.example.com" } });
      assert.equal(own.status, 200);
      const byHost = await publicWorker.admin("/api/connections", { headers: { origin: publicWorker.origin } });
      assertError(byHost, 403, "origin_not_allowed");
    } finally {
      await publicWorker.close();
    }
  });

  test("without PUBLIC_URL the API and the callback answer 503 public_url_not_configured", async () => {
    const unset = await startWorker({ vars: { ALLOW_INSECURE_LOOPBACK: undefined, PUBLIC_URL: undefined } });
    try {
      for (const [method, path] of [["GET", "/api/connections"], ["GET", "/api/connections/x"], ["POST", "/api/connections/x/oauth/generate"]]) {
        const response = await unset.admin(path, { method });
        assertError(response, 503, "public_url_not_configured");
        assert.match(response.json.error.message, /PUBLIC_URL/);
      }
      const page = await unset.request(`/oauth2/callback?code=x&state=x.${"y".repeat(43)}`);
      assert.equal(page.status, 503);
      assert.equal(postedMessage(page.text).message.code, "public_url_not_configured");
    } finally {
      await unset.close();
    }
  });

  test("the Host header never becomes the worker's origin; only a loopback one does, in a local run", async () => {
    // The same worker reached with another Host header, as a DNS-rebinding page or a proxy would.
    const asHost = (host, path) => new Promise((resolve, reject) => {
      const req = httpRequest({
        host: worker.url.hostname, port: worker.url.port, path, headers: { host, authorization: `Bearer ${ADMIN_TOKEN}` },
      }, (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk) => { text += chunk; });
        res.on("end", () => resolve({ status: res.statusCode, text }));
      });
      req.on("error", reject);
      req.end();
    });
    const foreign = await asHost("attacker.example", "/api/connections");
    assert.equal(foreign.status, 503, foreign.text);
    assert.equal(JSON.parse(foreign.text).error.code, "public_url_not_configured");
    assert.ok(!foreign.text.includes("attacker.example"));
    const local = await asHost(`localhost:${worker.url.port}`, "/api/connections");
    assert.equal(local.status, 200, local.text);
    assert.equal(JSON.parse(local.text).worker.callbackUrl, `http://localhost:${worker.url.port}/oauth2/callback`);
  });

  test("an invalid PUBLIC_URL is a 503 that names it", async () => {
    const broken = await startWorker({ vars: { PUBLIC_URL: "connections.example.com/path" } });
    try {
      assert.equal((await broken.putConnection("pub", basicSettings(standin))).status, 503);
      const generated = await broken.admin("/api/connections/pub/oauth/generate", { method: "POST" });
      assertError(generated, 503, "public_url_invalid");
      assert.match(generated.json.error.message, /PUBLIC_URL/);
    } finally {
      await broken.close();
    }
  });

  test("entries of ALLOWED_ORIGINS that are not origins are ignored", async () => {
    const listed = await startWorker({ vars: { ALLOWED_ORIGINS: " * , https://a.example/path, https://b.example , ftp://c.example" } });
    try {
      const preflight = (origin) => listed.request("/api/connections", {
        method: "OPTIONS",
        headers: { origin, "access-control-request-method": "GET" },
      });
      assert.equal((await preflight("https://b.example")).status, 204);
      for (const origin of ["https://a.example", "https://evil.example", "ftp://c.example", "null"]) {
        assertError(await preflight(origin), 403, "origin_not_allowed");
      }
    } finally {
      await listed.close();
    }
  });
});

describe("static files", () => {
  test("the page is served from the assets, API paths never are", async () => {
    const dir = await tempDir("worker-assets-");
    await writePlaceholderPage(dir);
    const withPage = await startWorker({ assetsDir: dir });
    try {
      const page = await withPage.request("/");
      assert.equal(page.status, 200);
      assert.match(page.text, /placeholder page/);
      assertError(await withPage.request("/api/connections"), 401, "unauthorized");
      assertError(await withPage.request("/api/index.html"), 404, "not_found");
    } finally {
      await withPage.close();
      await removeDir(dir);
    }
  });

  test("the client secret of the test client never shows up in views", async () => {
    await worker.putConnection("secret-view", oauthSettings(standin));
    const view = await worker.admin("/api/connections/secret-view");
    assert.ok(!view.text.includes(CLIENT_SECRET));
    assert.deepEqual(view.json.clientSecret, { set: true });
  });
});
