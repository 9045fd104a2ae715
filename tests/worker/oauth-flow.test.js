// The OAuth flow through the worker against the stand-in, as a person does it: Generate, log in over
// HTTP, the callback page, then Test Connection and forwarding. Also a Basic connection, every attack
// on the callback (missing, unknown, expired, reused, foreign or mixed-up state, denied access, an
// issuer of another server, settings changed meanwhile, two callbacks at once), and two connections
// on two stand-in instances that never mix tokens.

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import path from "node:path";

import { authorizeOverHttp } from "../servicenow-standin/authorize.js";
import {
  authorize, basicSettings, connect, oauthSettings, postedMessage, removeDir, seedPassword,
  startStandinFor, startWorker, tempDir, workerSuite,
} from "./support/harness.js";

let worker;
let standin;

workerSuite((started) => ({ worker, standin } = started));

function codeGrants(instance) {
  return instance.counters().token.byGrantTypeAndOutcome.authorization_code ?? {};
}

async function newOAuthConnection(id, instance = standin, extra = {}) {
  const response = await worker.putConnection(id, oauthSettings(instance, extra));
  assert.equal(response.status, 201, response.text);
}

function assertFailedPage(page, status, code) {
  assert.equal(page.status, status, page.text);
  assert.match(page.headers.get("content-type"), /^text\/html/);
  const posted = postedMessage(page.text).message;
  assert.equal(posted.ok, false);
  assert.equal(posted.code, code, page.text);
  assert.match(page.text, /No token was stored/);
}

describe("OAuth connection", () => {
  test("Generate, authorize over HTTP, callback, then test and forward", async () => {
    await newOAuthConnection("flow");
    const generated = await worker.admin("/api/connections/flow/oauth/generate", { method: "POST" });
    assert.equal(generated.status, 200);
    const authorizationUrl = new URL(generated.json.authorizationUrl);
    assert.equal(authorizationUrl.origin + authorizationUrl.pathname, `${standin.url}/oauth_auth.do`);
    assert.equal(authorizationUrl.searchParams.get("code_challenge_method"), "S256");
    assert.equal(authorizationUrl.searchParams.get("redirect_uri"), `${worker.origin}/oauth2/callback`);
    assert.match(authorizationUrl.searchParams.get("state"), /^flow\.[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{43}$/, "the connection, the random part and its tag");
    assert.equal(generated.json.callbackUrl, `${worker.origin}/oauth2/callback`);
    assert.ok(generated.json.expiresAt - Date.now() <= 10 * 60 * 1000);
    assert.ok(generated.json.expiresAt - Date.now() > 9 * 60 * 1000);

    const location = new URL(await authorizeOverHttp(generated.json.authorizationUrl, {
      username: "admin",
      password: seedPassword(standin, "admin"),
    }));
    const page = await worker.request(location.pathname + location.search);
    assert.equal(page.status, 200, page.text);
    assert.match(page.text, /Access token received and successfully generated/);
    const { message, targetOrigins } = postedMessage(page.text);
    assert.deepEqual(message, {
      type: "servicenow-connection:oauth",
      ok: true,
      connectionId: "flow",
      code: "ok",
      message: "Access token received and successfully generated.",
    });
    // Generate came without an Origin: only the worker's own page is told (callback-origin.test.js).
    assert.deepEqual(targetOrigins, [worker.origin]);
    // Same-origin pages also hear it on a channel, even when the opener link was cut.
    assert.match(page.text, /new BroadcastChannel\("servicenow-connection:oauth"\)/);
    assert.ok(!page.text.includes(location.searchParams.get("code")), "the code is not on the page");
    assert.ok(!page.text.includes(location.searchParams.get("state")), "the state is not on the page");
    assert.match(page.headers.get("content-security-policy"), /default-src 'none'; script-src 'nonce-/);
    assert.equal(page.headers.get("cache-control"), "no-store");
    assert.equal(page.headers.get("referrer-policy"), "no-referrer");
    const tokens = await worker.storedTokens("flow");
    assert.ok(tokens.accessToken && tokens.refreshToken);
    assert.deepEqual(codeGrants(standin), { ok: 1 });

    const view = await worker.admin("/api/connections/flow");
    assert.equal(view.json.token.status, "fresh");
    assert.ok(view.json.token.expiresAt > Date.now());
    assert.equal(view.json.token.refreshExpiringSoon, false);

    const tested = await worker.admin("/api/connections/flow/test", { method: "POST" });
    assert.equal(tested.status, 200);
    assert.equal(tested.json.ok, true, tested.text);
    assert.equal(tested.json.code, "ok");

    const listed = await worker.admin("/api/connections/flow/now/table/incident?sysparm_limit=2&sysparm_fields=number");
    assert.equal(listed.status, 200, listed.text);
    assert.equal(listed.json.result.length, 2);
    assert.equal(listed.headers.get("x-total-count"), "4");

    const created = await worker.admin("/api/connections/flow/now/v2/table/incident", {
      method: "POST",
      body: { short_description: "Made through the worker" },
    });
    assert.equal(created.status, 201, created.text);
    assert.equal(created.json.result.short_description, "Made through the worker");
    assert.equal(created.headers.get("location"), null, "the instance's Location is not passed on");
    const sysId = created.json.result.sys_id;
    const patched = await worker.admin(`/api/connections/flow/now/table/incident/${sysId}`, {
      method: "PATCH",
      body: { state: "2" },
    });
    assert.equal(patched.status, 200);
    assert.equal(patched.json.result.state, "2");
    const removed = await worker.admin(`/api/connections/flow/now/table/incident/${sysId}`, { method: "DELETE" });
    assert.equal(removed.status, 204);
    const missing = await worker.admin(`/api/connections/flow/now/table/incident/${sysId}`);
    assert.equal(missing.status, 404);
    assert.equal(missing.json.error.message, "No Record found");
  });

  test("a user without roles connects, and Test Connection explains the 403", async () => {
    await newOAuthConnection("noroles");
    const { page } = await connect(worker, "noroles", standin, { userName: "no.roles" });
    assert.equal(page.status, 200);
    await worker.storedTokens("noroles");
    const tested = await worker.admin("/api/connections/noroles/test", { method: "POST" });
    assert.equal(tested.json.ok, false);
    assert.equal(tested.json.code, "forbidden");
    assert.match(tested.json.hint, /sys_db_object/);
    const forwarded = await worker.admin("/api/connections/noroles/now/table/sys_db_object");
    assert.equal(forwarded.status, 403);
  });

  test("Generate refuses Basic connections and wrong scope types, and passes a scope on", async () => {
    await worker.putConnection("plain", basicSettings(standin));
    const refused = await worker.admin("/api/connections/plain/oauth/generate", { method: "POST" });
    assert.equal(refused.status, 409);
    assert.equal(refused.json.error.code, "not_oauth2");
    await newOAuthConnection("scoped");
    const wrongType = await worker.admin("/api/connections/scoped/oauth/generate", { method: "POST", body: { scope: 5 } });
    assert.equal(wrongType.status, 400);
    assert.equal(wrongType.json.error.field, "scope");
    const scoped = await worker.admin("/api/connections/scoped/oauth/generate", { method: "POST", body: { scope: "useraccount" } });
    assert.equal(scoped.status, 200);
    assert.equal(new URL(scoped.json.authorizationUrl).searchParams.get("scope"), "useraccount");
  });
});

describe("Basic connection", () => {
  test("tests and forwards with the stored password", async () => {
    const created = await worker.putConnection("basic", basicSettings(standin, "itil.user"));
    assert.equal(created.status, 201);
    const tested = await worker.admin("/api/connections/basic/test", { method: "POST" });
    assert.equal(tested.json.ok, true, tested.text);
    const listed = await worker.admin("/api/connections/basic/now/table/incident?sysparm_query=active=true^ORDERBYnumber");
    assert.equal(listed.status, 200);
    assert.deepEqual(listed.json.result.map((r) => r.number), ["INC0000001", "INC0000002", "INC0000003"]);
  });

  test("a wrong password and disabled Basic auth are explained", async () => {
    await worker.putConnection("basic-wrong", { ...basicSettings(standin), password: "FAKE-wrong-password-0000" });
    const wrong = await worker.admin("/api/connections/basic-wrong/test", { method: "POST" });
    assert.equal(wrong.json.code, "unauthorized");
    assert.match(wrong.json.hint, /Basic authentication may be disabled/);
    const forwarded = await worker.admin("/api/connections/basic-wrong/now/table/incident");
    assert.equal(forwarded.status, 401, "a Basic connection's 401 is passed on, without a retry");
  });
});

describe("callback attacks", () => {
  test("a callback without state is refused, with or without a code", async () => {
    assertFailedPage(await worker.request("/oauth2/callback?code=abc"), 400, "missing_state");
    assertFailedPage(await worker.request("/oauth2/callback?error=access_denied"), 400, "missing_state");
    assertFailedPage(await worker.request("/oauth2/callback"), 400, "missing_state");
  });

  test("an unknown or malformed state is refused", async () => {
    await newOAuthConnection("victim");
    for (const state of ["victim.not-a-real-state", "nodot", ".x", "bad id.x", `${"x".repeat(65)}.y`, "ghost.x"]) {
      const page = await worker.request(`/oauth2/callback?code=abc&state=${encodeURIComponent(state)}`);
      assertFailedPage(page, 400, "unknown_state");
      assert.equal(postedMessage(page.text).message.connectionId, null);
    }
    assert.equal(await worker.hook("tokens", { id: "victim" }), null);
  });

  test("an expired state is refused, even with a valid code", async () => {
    await newOAuthConnection("late");
    const location = await authorize(worker, "late", standin);
    assert.equal(await worker.hook("age", { id: "late", ms: 10 * 60 * 1000 + 1000 }), 1);
    assertFailedPage(await worker.request(location.pathname + location.search), 400, "state_expired");
    assert.equal(await worker.hook("tokens", { id: "late" }), null);
  });

  test("a state works once: a replayed callback is refused and changes nothing", async () => {
    await newOAuthConnection("once");
    const before = codeGrants(standin).ok ?? 0;
    const location = await authorize(worker, "once", standin);
    const first = await worker.request(location.pathname + location.search);
    assert.equal(first.status, 200);
    const tokens = await worker.storedTokens("once");
    assertFailedPage(await worker.request(location.pathname + location.search), 409, "state_already_used");
    assert.deepEqual(await worker.hook("tokens", { id: "once" }), tokens);
    assert.equal(codeGrants(standin).ok, before + 1);
  });

  test("two callbacks with the same state at once: exactly one wins", async () => {
    await newOAuthConnection("race");
    const location = await authorize(worker, "race", standin);
    const pages = await Promise.all([1, 2, 3].map(() => worker.request(location.pathname + location.search)));
    const statuses = pages.map((p) => p.status).sort();
    assert.deepEqual(statuses, [200, 409, 409]);
    await worker.storedTokens("race");
  });

  test("made-up states never reach a connection's object: no storage is created for them", async () => {
    const persistDir = await tempDir("worker-forged-state-");
    const persisted = await startWorker({ persistDir });
    // One SQLite database per Durable Object that was ever opened.
    const objects = () => readdirSync(path.join(persistDir, "-ConnectionObject")).filter((f) => /^[0-9a-f]{64}\.sqlite$/.test(f));
    try {
      const instance = await startStandinFor(persisted);
      try {
        assert.equal((await persisted.putConnection("real", oauthSettings(instance))).status, 201);
        const real = await authorize(persisted, "real", instance);
        const state = real.searchParams.get("state");
        const [, random] = state.split(".");
        const before = objects();
        assert.equal(before.length, 1, "the real connection's object");
        const forged = [
          `ghost-1.${"Q".repeat(43)}`,
          `ghost-2.${random}.${"A".repeat(43)}`,
          `ghost-3${state.slice(state.indexOf("."))}`,
          `real.${random}.${"B".repeat(43)}`,
        ];
        for (const made of forged) {
          const page = await persisted.request(`/oauth2/callback?code=abc&state=${encodeURIComponent(made)}`);
          assertFailedPage(page, 400, "unknown_state");
        }
        const denied = await persisted.request(`/oauth2/callback?error=access_denied&state=ghost-4.${"Z".repeat(43)}`);
        assert.equal(denied.status, 400);
        assert.deepEqual(objects(), before, "no object was opened for a made-up state");
        const page = await persisted.request(real.pathname + real.search);
        assert.equal(page.status, 200, page.text);
        await persisted.storedTokens("real");
      } finally {
        await instance.close();
      }
    } finally {
      await persisted.close();
      await removeDir(persistDir);
    }
  });

  test("a state moved to another connection is unknown there and attaches nothing", async () => {
    await newOAuthConnection("alice");
    await newOAuthConnection("bob");
    await authorize(worker, "bob", standin); // bob has a pending request of his own
    const location = await authorize(worker, "alice", standin);
    const state = location.searchParams.get("state");
    location.searchParams.set("state", `bob${state.slice(state.indexOf("."))}`);
    const page = await worker.request(location.pathname + location.search);
    assertFailedPage(page, 400, "unknown_state");
    assert.equal(await worker.hook("tokens", { id: "alice" }), null);
    assert.equal(await worker.hook("tokens", { id: "bob" }), null);
  });

  test("one connection's code with another connection's state is refused by PKCE", async () => {
    await newOAuthConnection("carol");
    await newOAuthConnection("dave");
    const carol = await authorize(worker, "carol", standin);
    const dave = await authorize(worker, "dave", standin);
    const mixed = new URL(carol);
    mixed.searchParams.set("code", dave.searchParams.get("code"));
    const page = await worker.request(mixed.pathname + mixed.search);
    assert.equal(page.status, 502, page.text);
    assert.equal(postedMessage(page.text).message.ok, false);
    assert.equal(await worker.hook("tokens", { id: "carol" }), null);
    assert.equal(await worker.hook("tokens", { id: "dave" }), null);
    // Dave's own callback still works: the mix-up did not use his state.
    const own = await worker.request(dave.pathname + dave.search);
    assert.equal(own.status, 200, own.text);
    await worker.storedTokens("dave");
  });

  test("access_denied from the instance is shown and uses up the state", async () => {
    await newOAuthConnection("denied");
    const location = await authorize(worker, "denied", standin, { decision: "deny" });
    assert.equal(location.searchParams.get("error"), "access_denied");
    const page = await worker.request(location.pathname + location.search);
    assertFailedPage(page, 403, "access_denied");
    assert.match(page.text, /Access was denied at the instance/);
    assert.equal(postedMessage(page.text).message.connectionId, "denied");
    assertFailedPage(await worker.request(location.pathname + location.search), 409, "state_already_used");
    const view = await worker.admin("/api/connections/denied");
    assert.equal(view.json.token.status, "none");
  });

  test("an issuer other than the connection's instance is refused", async () => {
    await newOAuthConnection("issuer");
    const location = await authorize(worker, "issuer", standin);
    assert.equal(location.searchParams.get("iss"), standin.url);
    location.searchParams.set("iss", "https://other-instance.service-now.com");
    assertFailedPage(await worker.request(location.pathname + location.search), 400, "issuer_mismatch");
    assert.equal(await worker.hook("tokens", { id: "issuer" }), null);
  });

  test("settings changed between Generate and the callback: no token", async () => {
    await newOAuthConnection("changed");
    const location = await authorize(worker, "changed", standin);
    // A rename keeps the pending request; another client drops it (its tokens would belong elsewhere).
    await worker.putConnection("changed", { ...oauthSettings(standin), name: "Renamed" });
    assert.equal((await worker.hook("keys", { id: "changed" })).filter((k) => k.startsWith("oauth-state:")).length, 1);
    await worker.putConnection("changed", { ...oauthSettings(standin), clientId: "standin-client" });
    const page = await worker.request(location.pathname + location.search);
    assertFailedPage(page, 400, "unknown_state");
    assert.equal(await worker.hook("tokens", { id: "changed" }), null);
  });

  test("repeated or oversized parameters are refused", async () => {
    assertFailedPage(await worker.request("/oauth2/callback?code=a&code=b&state=x.y"), 400, "invalid_callback");
    assertFailedPage(await worker.request(`/oauth2/callback?code=a&state=x.${"y".repeat(9000)}`), 400, "invalid_callback");
  });
});

describe("two instances", () => {
  test("two connections on two stand-ins never mix tokens", async () => {
    const other = await startStandinFor(worker);
    try {
      await newOAuthConnection("east", standin);
      await newOAuthConnection("west", other);
      const east = await authorize(worker, "east", standin);
      const west = await authorize(worker, "west", other, { userName: "itil.user" });

      // West's code presented with East's state goes to East's token endpoint, which refuses it.
      const crossed = new URL(east);
      crossed.searchParams.set("code", west.searchParams.get("code"));
      crossed.searchParams.delete("iss");
      const crossedPage = await worker.request(crossed.pathname + crossed.search);
      assert.equal(crossedPage.status, 502, crossedPage.text);
      assert.equal(await worker.hook("tokens", { id: "east" }), null);

      // A fresh, honest round for both.
      const eastAgain = await authorize(worker, "east", standin);
      assert.equal((await worker.request(eastAgain.pathname + eastAgain.search)).status, 200);
      assert.equal((await worker.request(west.pathname + west.search)).status, 200);
      const eastTokens = await worker.storedTokens("east");
      const westTokens = await worker.storedTokens("west");
      assert.notEqual(eastTokens.accessToken, westTokens.accessToken);

      standin.resetCounters();
      other.resetCounters();
      for (let i = 0; i < 3; i += 1) {
        assert.equal((await worker.admin("/api/connections/east/now/table/incident")).status, 200);
        assert.equal((await worker.admin("/api/connections/west/now/table/incident")).status, 200);
      }
      assert.equal(standin.counters().api.total, 3);
      assert.equal(other.counters().api.total, 3);
      assert.deepEqual(standin.counters().api.byStatus, { 200: 3 });
      assert.deepEqual(other.counters().api.byStatus, { 200: 3 });
      assert.equal(standin.counters().token.total + other.counters().token.total, 0, "no refresh was needed");

      const eastTest = await worker.admin("/api/connections/east/test", { method: "POST" });
      const westTest = await worker.admin("/api/connections/west/test", { method: "POST" });
      assert.equal(eastTest.json.ok, true);
      assert.equal(westTest.json.ok, true);
      assert.match(eastTest.json.message, new RegExp(standin.url.replaceAll(".", "\\.")));
      assert.match(westTest.json.message, new RegExp(other.url.replaceAll(".", "\\.")));
    } finally {
      await other.close();
    }
  });
});
