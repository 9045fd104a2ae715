// Every Test Connection classification the stand-in can produce, through pkg/'s real fetch path.
// testConnection never rejects: each failure is a result with a code, a message and a hint.

import { test, before, after, beforeEach } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { pkg, startStandin, basicSettings, oauthSettings } from "./support.js";

let standin;

before(async () => {
  standin = await startStandin({ port: 0 });
});

after(async () => {
  await standin?.close();
});

beforeEach(() => {
  standin.configure({
    apiFault: null, hibernating: false, rateLimit: null, basicDisabled: false, apiVersions: ["v1", "v2"],
  });
});

async function check(settings, tokens) {
  const result = await pkg.testConnection(settings, tokens);
  assert.equal(typeof result.message, "string");
  assert.ok(result.elapsedMs >= 0);
  assert.equal(result.ok, result.code === "ok");
  return result;
}

test("ok for the admin over Basic, on every API path", async () => {
  for (const path of ["/api/now", "/api/now/v1", "/api/now/v2/"]) {
    const result = await check(basicSettings(standin, "admin", { baseUrl: `${standin.url}${path}` }));
    assert.equal(result.code, "ok", `${path}: ${result.message}`);
    assert.equal(result.status, 200);
  }
});

test("a wrong password is unauthorized, with the Basic hint", async () => {
  const result = await check(basicSettings(standin, "admin", { password: "FAKE-not-the-password" }));
  assert.equal(result.code, "unauthorized");
  assert.equal(result.status, 401);
  assert.match(result.message, /User Not Authenticated/);
  assert.match(result.hint, /Basic authentication may be disabled/);
  assert.ok(!JSON.stringify(result).includes("FAKE-not-the-password"));
});

test("Basic disabled on the instance: unauthorized, pointing to OAuth", async () => {
  standin.configure({ basicDisabled: true });
  const result = await check(basicSettings(standin));
  assert.equal(result.code, "unauthorized");
  assert.match(result.hint, /use OAuth 2\.0/);
});

test("a user without roles is forbidden, with the sys_db_object hint", async () => {
  const result = await check(basicSettings(standin, "no.roles"));
  assert.equal(result.code, "forbidden");
  assert.equal(result.status, 403);
  assert.match(result.message, /User Not Authorized/);
  assert.match(result.hint, /roles/);
  assert.match(result.hint, /sys_db_object/);
});

test("an API version the instance does not serve is not_found, with the path hint", async () => {
  standin.configure({ apiVersions: ["v1"] });
  const result = await check(basicSettings(standin));
  assert.equal(result.code, "not_found");
  assert.equal(result.status, 404);
  assert.match(result.hint, /API path and version/);
});

test("a hibernating instance is recognised by its page", async () => {
  standin.configure({ hibernating: true });
  const result = await check(basicSettings(standin));
  assert.equal(result.code, "hibernating");
  assert.match(result.hint, /wake/);
});

test("rate limiting carries Retry-After", async () => {
  standin.configure({ rateLimit: { limit: 1, windowSeconds: 60 } });
  assert.equal((await check(basicSettings(standin))).code, "ok");
  const result = await check(basicSettings(standin));
  assert.equal(result.code, "rate_limited");
  assert.equal(result.status, 429);
  assert.ok(result.retryAfterSeconds > 0 && result.retryAfterSeconds <= 60, String(result.retryAfterSeconds));
  assert.match(result.hint, /Wait \d+ seconds/);
});

test("5xx is server_error; junk is unexpected_response", async () => {
  for (const kind of ["500", "503", "html"]) {
    standin.configure({ apiFault: { kind, count: 1 } });
    const result = await check(basicSettings(standin));
    assert.equal(result.code, "server_error", kind);
  }
  for (const kind of ["garbage", "malformed_json"]) {
    standin.configure({ apiFault: { kind, count: 1 } });
    const result = await check(basicSettings(standin));
    assert.equal(result.code, "unexpected_response", kind);
    assert.equal(result.status, 200);
  }
});

test("no answer is unreachable, within the time limit", async () => {
  // A port with nothing listening.
  const server = createServer();
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  const closed = await check(basicSettings(standin, "admin", { baseUrl: `http://127.0.0.1:${port}/api/now` }));
  assert.equal(closed.code, "unreachable");
  assert.equal(closed.status, undefined);

  standin.configure({ apiFault: { kind: "drop", count: 1 } });
  assert.equal((await check(basicSettings(standin))).code, "unreachable");

  standin.configure({ apiFault: { kind: "delay", delayMs: 5_000, count: 1 } });
  const started = Date.now();
  const slow = await check(basicSettings(standin, "admin", { timeoutMs: 1_000 }));
  assert.equal(slow.code, "unreachable");
  assert.match(slow.message, /1000 ms/);
  assert.ok(Date.now() - started < 4_000);
});

test("OAuth without a token asks for Generate, without a request", async () => {
  standin.resetCounters();
  const result = await check(oauthSettings(standin), null);
  assert.equal(result.code, "reauthorization_required");
  assert.match(result.hint, /Generate/);
  assert.equal(standin.counters().api.total, 0);
});

test("invalid settings are a result too", async () => {
  const result = await check({ baseUrl: "ftp://x", authType: "basic" });
  assert.equal(result.code, "invalid_config");
  assert.equal(result.ok, false);
});
