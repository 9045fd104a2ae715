// Token refresh inside the connection's Durable Object, measured at the stand-in's token endpoint:
// a storm of concurrent requests on an expired token costs one refresh; a refused access token
// (401) is refreshed once and retried; 5xx and dropped connections are retried with backoff and keep
// the old tokens; a dead refresh token means "re-authorization required" everywhere.

import { beforeEach, describe, test } from "node:test";
import assert from "node:assert/strict";

import { connect, oauthSettings, secrets, secretsIn, sleep, workerSuite } from "./support/harness.js";
import { startRecorder } from "./support/recorder.js";
import { recordSecret } from "./support/transcript.js";
import { MAX_DELAY_MS, REFRESH_ATTEMPTS, retryDelay } from "../../worker/backoff.js";

let worker;
let standin;
let counter = 0;

workerSuite((started) => ({ worker, standin } = started));

beforeEach(() => {
  standin.configure({ accessTtl: 1800, tokenFault: null, apiFault: null, tokenErrorStyle: "servicenow" });
});

function refreshCalls() {
  return standin.counters().token.byGrantTypeAndOutcome.refresh_token ?? {};
}

/** A connected OAuth connection whose access token lives `accessTtl` seconds. */
async function connected({ accessTtl = 1800 } = {}) {
  counter += 1;
  const id = `refresh-${counter}`;
  standin.configure({ accessTtl });
  assert.equal((await worker.putConnection(id, oauthSettings(standin))).status, 201);
  const { page } = await connect(worker, id, standin);
  assert.equal(page.status, 200, page.text);
  standin.configure({ accessTtl: 1800 });
  const tokens = await worker.storedTokens(id);
  return { id, tokens };
}

/** A connection whose access token has already expired (issued with a 1 s lifetime). */
async function expired() {
  const connection = await connected({ accessTtl: 1 });
  await sleep(Math.max(0, connection.tokens.expiresAt - Date.now()) + 50);
  const view = await worker.admin(`/api/connections/${connection.id}`);
  assert.equal(view.json.token.status, "expired");
  return connection;
}

describe("backoff", () => {
  test("delays grow exponentially, are capped, jittered, and honour a short Retry-After", () => {
    assert.equal(retryDelay(0, undefined, () => 0), 100);
    assert.equal(retryDelay(0, undefined, () => 1), 200);
    assert.equal(retryDelay(2, undefined, () => 1), 800);
    assert.equal(retryDelay(10, undefined, () => 1), MAX_DELAY_MS);
    assert.equal(retryDelay(10, undefined, () => 0), MAX_DELAY_MS / 2);
    assert.equal(retryDelay(0, 1, () => 0), 1000);
    assert.equal(retryDelay(0, 5, () => 0), null, "a long Retry-After ends the retries");
  });
});

describe("refresh", () => {
  test("a storm of 50 concurrent forwards on an expired token makes exactly 1 refresh call", async () => {
    const { id, tokens } = await expired();
    // Hold the refresh at the token endpoint so that every request arrives while it runs.
    standin.configure({ tokenFault: { kind: "delay", delayMs: 300, count: 1 } });
    standin.resetCounters();
    const responses = await Promise.all(Array.from({ length: 50 }, (_, i) =>
      worker.admin(`/api/connections/${id}/now/table/incident?sysparm_limit=1&n=${i}`)));
    assert.deepEqual(responses.map((r) => r.status), Array(50).fill(200));
    assert.deepEqual(refreshCalls(), { ok: 1 });
    assert.equal(standin.counters().token.total, 1);
    assert.deepEqual(standin.counters().api.byStatus, { 200: 50 }, "no request went out with the dead token");
    const stored = await worker.storedTokens(id);
    assert.notEqual(stored.accessToken, tokens.accessToken);
    assert.equal(stored.refreshToken, tokens.refreshToken, "ServiceNow keeps the refresh token");
    assert.equal(stored.refreshExpiresAt, tokens.refreshExpiresAt, "and its deadline");
    const view = await worker.admin(`/api/connections/${id}`);
    assert.equal(view.json.token.status, "fresh");
  });

  test("Test Connection refreshes an expired token first", async () => {
    const { id } = await expired();
    standin.resetCounters();
    const tested = await worker.admin(`/api/connections/${id}/test`, { method: "POST" });
    assert.equal(tested.json.ok, true, tested.text);
    assert.deepEqual(refreshCalls(), { ok: 1 });
    assert.deepEqual(standin.counters().api.byStatus, { 200: 1 });
  });

  test("an access token the instance refuses (401) is refreshed once and the request retried", async () => {
    const { id } = await connected();
    await worker.hook("replace-access-token", { id, token: "FAKE-refused-access-token" });
    standin.resetCounters();
    const responses = await Promise.all(Array.from({ length: 10 }, () =>
      worker.admin(`/api/connections/${id}/now/table/incident?sysparm_limit=1`)));
    assert.deepEqual(responses.map((r) => r.status), Array(10).fill(200));
    assert.deepEqual(refreshCalls(), { ok: 1 }, "ten 401s share one refresh");
    const byStatus = standin.counters().api.byStatus;
    assert.equal(byStatus[200], 10);
    assert.ok(byStatus[401] >= 1 && byStatus[401] <= 10);
    await worker.storedTokens(id);
  });

  test("the token endpoint failing with 500 twice, then recovering: the refresh succeeds", async () => {
    const { id, tokens } = await expired();
    standin.configure({ tokenFault: { kind: "500", count: 2 } });
    standin.resetCounters();
    const started = Date.now();
    const response = await worker.admin(`/api/connections/${id}/now/table/incident?sysparm_limit=1`);
    assert.equal(response.status, 200, response.text);
    assert.ok(Date.now() - started >= 100 + 200, "two backoff delays were waited");
    assert.deepEqual(refreshCalls(), { fault: 2, ok: 1 });
    const stored = await worker.storedTokens(id);
    assert.notEqual(stored.accessToken, tokens.accessToken);
  });

  test("a dropped connection to the token endpoint is retried", async () => {
    const { id } = await expired();
    standin.configure({ tokenFault: { kind: "drop", count: 1 } });
    standin.resetCounters();
    const response = await worker.admin(`/api/connections/${id}/now/table/incident?sysparm_limit=1`);
    assert.equal(response.status, 200, response.text);
    assert.equal(refreshCalls().ok, 1);
    await worker.storedTokens(id);
  });

  test("a token endpoint that keeps failing: bounded attempts, 502, the old tokens kept", async () => {
    const { id, tokens } = await expired();
    standin.configure({ tokenFault: { kind: "500" } });
    standin.resetCounters();
    const response = await worker.admin(`/api/connections/${id}/now/table/incident`);
    assert.equal(response.status, 502, response.text);
    assert.equal(response.json.error.code, "token_endpoint_unavailable");
    assert.deepEqual(refreshCalls(), { fault: REFRESH_ATTEMPTS });
    assert.equal(standin.counters().api.total, 0, "nothing was sent with the dead access token");
    assert.deepEqual(await worker.hook("tokens", { id }), tokens, "the old tokens are kept");
    const view = await worker.admin(`/api/connections/${id}`);
    assert.equal(view.json.token.status, "expired", "not marked for re-authorization");

    standin.configure({ tokenFault: null });
    const recovered = await worker.admin(`/api/connections/${id}/now/table/incident`);
    assert.equal(recovered.status, 200);
    await worker.storedTokens(id);
  });

  test("a 503 whose Retry-After is longer than the backoff cap is not hammered: one call, 502 with the wait", async () => {
    const { id, tokens } = await expired();
    // The stand-in's 503 page says Retry-After: 5, more than the 2 s the worker waits in a request.
    standin.configure({ tokenFault: { kind: "503" } });
    standin.resetCounters();
    const response = await worker.admin(`/api/connections/${id}/now/table/incident`);
    assert.equal(response.status, 502, response.text);
    assert.equal(response.json.error.code, "token_endpoint_unavailable");
    assert.equal(response.json.error.upstreamStatus, 503);
    assert.equal(response.json.error.retryAfterSeconds, 5);
    assert.equal(response.headers.get("retry-after"), "5");
    assert.deepEqual(refreshCalls(), { fault: 1 });
    assert.deepEqual(await worker.hook("tokens", { id }), tokens);
  });

  test("a token due for refresh is still used when the refresh fails for a passing reason", async () => {
    const { id, tokens } = await connected({ accessTtl: 30 });
    const view = await worker.admin(`/api/connections/${id}`);
    assert.equal(view.json.token.status, "refresh_due");
    standin.configure({ tokenFault: { kind: "500" } });
    standin.resetCounters();
    const response = await worker.admin(`/api/connections/${id}/now/table/incident?sysparm_limit=1`);
    assert.equal(response.status, 200, response.text);
    assert.deepEqual(refreshCalls(), { fault: REFRESH_ATTEMPTS });
    assert.deepEqual(await worker.hook("tokens", { id }), tokens);
  });
});

describe("the retry after a 401 stays with the instance the request began with", () => {
  test("re-pointed to another instance and authorized there while a request waits: 409, and the old host never sees the new token", async () => {
    const first = await startRecorder();
    try {
      const id = "re-pointed";
      assert.equal((await worker.putConnection(id, {
        ...oauthSettings(standin), baseUrl: `${first.url}/api/now`,
      })).status, 201);
      const old = {
        accessToken: "FAKE-first-instance-access-token-7d2c91",
        refreshToken: "FAKE-first-instance-refresh-token-0b8e44",
        tokenType: "Bearer",
        scope: "useraccount",
        issuedAt: Date.now(),
        expiresAt: Date.now() + 1_800_000,
        refreshExpiresAt: Date.now() + 86_400_000,
      };
      for (const value of [old.accessToken, old.refreshToken]) {
        secrets.add(value);
        recordSecret("access_token", value);
      }
      assert.equal(await worker.hook("set-tokens", { id }, JSON.stringify(old)), true);

      // The first instance holds its answer until the connection has moved and been authorized anew.
      let release;
      const held = new Promise((resolve) => { release = resolve; });
      first.answer(async (req) => {
        if (req.url.startsWith("/api/")) await held;
        return { status: 401, headers: { "content-type": "application/json" }, body: '{"error":{"message":"User Not Authenticated"},"status":"failure"}' };
      });
      const waiting = worker.admin(`/api/connections/${id}/now/table/incident`);
      for (let i = 0; i < 200 && first.received.length === 0; i += 1) await sleep(10);
      assert.equal(first.received.length, 1, "the request reached the first instance");
      assert.equal(first.received[0].headers.authorization, `Bearer ${old.accessToken}`);

      assert.equal((await worker.putConnection(id, oauthSettings(standin))).status, 200);
      const { page } = await connect(worker, id, standin);
      assert.equal(page.status, 200, page.text);
      const current = await worker.storedTokens(id);
      release();

      const answer = await waiting;
      assert.equal(answer.status, 409, answer.text);
      assert.equal(answer.json.error.code, "connection_changed");
      const seen = first.received.map((r) => `${r.method} ${r.url} ${r.headers.authorization ?? ""}`);
      assert.equal(first.received.length, 1, `nothing more reached the first instance: ${seen.join(" | ").replaceAll(current.accessToken, "<new token>")}`);
      assert.ok(!seen.join("\n").includes(current.accessToken), "the new instance's token never went to the old host");
    } finally {
      await first.close();
    }
  });
});

describe("dead refresh token", () => {
  for (const style of ["servicenow", "rfc"]) {
    test(`a refused refresh grant (${style} style) means reauthorization_required on every route`, async () => {
      const { id } = await connected();
      standin.configure({ tokenErrorStyle: style });
      standin.revokeAllTokens();
      standin.resetCounters();

      const forwarded = await worker.admin(`/api/connections/${id}/now/table/incident`);
      assert.equal(forwarded.status, 409, forwarded.text);
      assert.equal(forwarded.json.error.code, "reauthorization_required");
      assert.match(forwarded.json.error.message, /re-authorization required/i);
      assert.equal(refreshCalls().error, 1);

      assert.equal(await worker.hook("tokens", { id }), null, "the dead tokens are cleared");
      const view = await worker.admin(`/api/connections/${id}`);
      assert.equal(view.json.token.status, "reauthorization_required");
      const tested = await worker.admin(`/api/connections/${id}/test`, { method: "POST" });
      assert.equal(tested.status, 200);
      assert.equal(tested.json.ok, false);
      assert.equal(tested.json.code, "reauthorization_required");
      const listed = await worker.admin("/api/connections");
      assert.equal(listed.json.connections.find((c) => c.id === id).token.status, "reauthorization_required");
      const again = await worker.admin(`/api/connections/${id}/now/table/incident`);
      assert.equal(again.status, 409);
      assert.equal(standin.counters().token.total, 1, "no more calls to the token endpoint");

      const { page } = await connect(worker, id, standin);
      assert.equal(page.status, 200);
      await worker.storedTokens(id);
      const back = await worker.admin(`/api/connections/${id}/now/table/incident`);
      assert.equal(back.status, 200);
    });
  }

  test("an expired access token with a dead refresh token: the storm gets 409s and one refresh call", async () => {
    const { id } = await expired();
    standin.revokeAllTokens();
    standin.resetCounters();
    const responses = await Promise.all(Array.from({ length: 20 }, () =>
      worker.admin(`/api/connections/${id}/now/table/incident`)));
    assert.deepEqual(responses.map((r) => r.status), Array(20).fill(409));
    assert.equal(standin.counters().token.total, 1);
    for (const response of responses) assert.deepEqual(secretsIn(response.text), []);
  });
});
