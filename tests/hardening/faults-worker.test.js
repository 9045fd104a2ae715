// Faults at the instance, seen through the worker's forward and Test Connection routes. For every way
// the token endpoint can fail while a refresh is due — 500, 503 with a long Retry-After, too slow for
// the connection's time limit, a dropped connection, malformed JSON, binary junk, an HTML error page,
// a hibernating instance, 429 — each route ends in a stated status and error code within a bound,
// nothing is sent to the API with the expired token, the stored sealed tokens are byte for byte the
// same (the refresh token is kept), and the next request after the fault clears succeeds with the
// same refresh token. Passing faults that clear after one call are retried within the request. Only a
// dead refresh token (the instance refusing the grant) clears the tokens. Faults of the Table API
// itself with a fresh token (5xx, drops, slowness, junk, hibernation, 429) never touch the tokens.

import { describe, test } from "node:test";
import assert from "node:assert/strict";

import { workerSuite } from "../worker/support/harness.js";
import {
  BOUND_MS, assertError, bounded, connectedAndExpired, startTokenFront, storedTokenRecords,
} from "./support/hardening.js";

/** The connections' time limit: small, so that a slow endpoint costs seconds, not minutes. */
const TIMEOUT_MS = 1500;
/** A refresh gives up within about twice the time limit plus one backoff delay (token-keeper.js). */
const REFRESH_BOUND_MS = 2 * TIMEOUT_MS + 2000;

let worker;
let standin;
let front;
let counter = 0;
const slowest = { ms: 0, name: "" };

workerSuite(async (started) => {
  ({ worker, standin } = started);
  front = await startTokenFront(standin);
  return [front];
});

function calm() {
  standin.configure({ tokenFault: null, apiFault: null, hibernating: false, rateLimit: null, tokenErrorStyle: "servicenow" });
  front.reset();
}

async function timed(name, fn, bound = BOUND_MS) {
  const result = await bounded(fn, bound);
  if (result.ms > slowest.ms) Object.assign(slowest, { ms: result.ms, name });
  return result;
}

/** A connection (through the token front) whose access token is expired, and its stored records. */
async function expiredConnection() {
  counter += 1;
  const id = `fault-${counter}`;
  calm();
  const tokens = await connectedAndExpired(worker, standin, id, { timeoutMs: TIMEOUT_MS, tokenUrl: front.tokenUrl });
  return { id, tokens, stored: await storedTokenRecords(worker, id) };
}

function forward(id) {
  return worker.admin(`/api/connections/${id}/now/table/incident?sysparm_limit=1`);
}

function testConnection(id) {
  return worker.admin(`/api/connections/${id}/test`, { method: "POST" });
}

/** Calls that reached the token endpoint, counted on arrival (the stand-in counts slow ones late). */
function tokenCalls() {
  return front.calls;
}

// `apply` switches the fault on; `attempts` is how many calls to the token endpoint one route may make.
const TOKEN_FAULTS = [
  {
    name: "500", kind: "500",
    apply: () => standin.configure({ tokenFault: { kind: "500" } }),
    status: 502, code: "token_endpoint_unavailable", testCode: "server_error", attempts: [2, 4], passing: true,
  },
  {
    name: "503 with Retry-After: 5 (longer than the backoff cap)", apply: () => standin.configure({ tokenFault: { kind: "503" } }),
    status: 502, code: "token_endpoint_unavailable", testCode: "server_error", attempts: [1, 1], retryAfter: 5,
  },
  {
    name: "too slow (answers after 10 s; time limit 1.5 s)",
    apply: () => standin.configure({ tokenFault: { kind: "delay", delayMs: 10_000 } }),
    status: 502, code: "timeout", testCode: "unreachable", attempts: [1, 1], bound: TIMEOUT_MS + 1500,
  },
  {
    name: "dropped connection", kind: "drop",
    apply: () => standin.configure({ tokenFault: { kind: "drop" } }),
    status: 502, code: "network_error", testCode: "unreachable", attempts: [2, 4], passing: true,
  },
  {
    name: "malformed JSON (truncated)", kind: "malformed_json",
    apply: () => standin.configure({ tokenFault: { kind: "malformed_json" } }),
    status: 502, code: "invalid_token_response", testCode: "unexpected_response", attempts: [2, 4], passing: true,
  },
  {
    name: "binary junk labelled JSON", kind: "garbage",
    apply: () => standin.configure({ tokenFault: { kind: "garbage" } }),
    status: 502, code: "invalid_token_response", testCode: "unexpected_response", attempts: [2, 4], passing: true,
  },
  {
    name: "HTML error page (500)", kind: "html",
    apply: () => standin.configure({ tokenFault: { kind: "html" } }),
    status: 502, code: "token_endpoint_unavailable", testCode: "server_error", attempts: [2, 4], passing: true,
  },
  {
    name: "hibernating instance", apply: () => standin.configure({ hibernating: true }),
    status: 503, code: "hibernating", testCode: "hibernating", attempts: [1, 1],
  },
  {
    name: "429 with Retry-After: 30", apply: () => front.rateLimit(30),
    status: 429, code: "rate_limited", testCode: "rate_limited", attempts: [1, 1], retryAfter: 30,
  },
];

describe("the token endpoint fails while a refresh is due", () => {
  for (const fault of TOKEN_FAULTS) {
    test(fault.name, async () => {
      const { id, tokens, stored } = await expiredConnection();
      standin.resetCounters();
      front.reset();
      fault.apply();
      const bound = fault.bound ?? REFRESH_BOUND_MS;

      const forwarded = await timed(`forward, ${fault.name}`, () => forward(id), bound);
      assertError(forwarded, fault.status, fault.code);
      if (fault.retryAfter !== undefined) {
        assert.equal(forwarded.headers.get("retry-after"), String(fault.retryAfter));
        assert.equal(forwarded.json.error.retryAfterSeconds, fault.retryAfter);
      }
      assert.deepEqual(await storedTokenRecords(worker, id), stored, "the stored tokens are unchanged");

      const tested = await timed(`test, ${fault.name}`, () => testConnection(id), bound);
      assert.equal(tested.status, 200, tested.text);
      assert.equal(tested.json.ok, false);
      assert.equal(tested.json.code, fault.testCode, tested.text);
      assert.equal(typeof tested.json.message, "string");
      assert.deepEqual(await storedTokenRecords(worker, id), stored, "the stored tokens are unchanged");

      assert.equal(standin.counters().api.total, 0, "nothing went to the API with the expired token");
      const [min, max] = fault.attempts;
      const calls = tokenCalls();
      assert.ok(calls >= 2 * min && calls <= 2 * max, `${calls} calls to the token endpoint for two requests`);
      const view = await worker.admin(`/api/connections/${id}`);
      assert.equal(view.json.token.status, "expired", "not marked for re-authorization");

      calm();
      const recovered = await timed(`recovery after ${fault.name}`, () => forward(id));
      assert.equal(recovered.status, 200, recovered.text);
      const now = await worker.storedTokens(id);
      assert.equal(now.refreshToken, tokens.refreshToken, "the refresh token was kept and still works");
      assert.notEqual(now.accessToken, tokens.accessToken);
    });
  }

  for (const fault of TOKEN_FAULTS.filter((f) => f.passing)) {
    test(`${fault.name} once, then answers: retried within the request`, async () => {
      const { id, tokens } = await expiredConnection();
      front.reset();
      standin.configure({ tokenFault: { kind: fault.kind, count: 1 } });
      const forwarded = await timed(`forward, ${fault.name} once`, () => forward(id));
      assert.equal(forwarded.status, 200, forwarded.text);
      assert.equal(tokenCalls(), 2);
      const now = await worker.storedTokens(id);
      assert.equal(now.refreshToken, tokens.refreshToken);
    });
  }

  test("429 with Retry-After: 1 once, then answers: waited for and retried", async () => {
    const { id, tokens } = await expiredConnection();
    front.reset();
    front.rateLimit(1, 1);
    const forwarded = await timed("forward, 429 with Retry-After: 1 once", () => forward(id));
    assert.equal(forwarded.status, 200, forwarded.text);
    assert.ok(forwarded.ms >= 1000, "the Retry-After was waited");
    assert.equal(front.calls, 2);
    assert.equal((await worker.storedTokens(id)).refreshToken, tokens.refreshToken);
  });

  test("an access token the API refuses, with the token endpoint down: 502, tokens kept", async () => {
    const { id, stored } = await expiredConnection();
    // A fresh-looking access token the instance does not know: the 401 forces a refresh.
    await worker.hook("replace-access-token", { id, token: "FAKE-unknown-access-token", expiresAt: Date.now() + 3_600_000 });
    const storedRefused = await storedTokenRecords(worker, id);
    assert.notDeepEqual(storedRefused, stored);
    standin.configure({ tokenFault: { kind: "500" } });
    const forwarded = await timed("forward, 401 then token endpoint 500", () => forward(id), REFRESH_BOUND_MS + TIMEOUT_MS);
    assertError(forwarded, 502, "token_endpoint_unavailable");
    assert.deepEqual(await storedTokenRecords(worker, id), storedRefused);
    calm();
    assert.equal((await forward(id)).status, 200);
  });

  for (const style of ["servicenow", "rfc"]) {
    test(`a dead refresh token (${style} answer) is the one case that clears the tokens`, async () => {
      const { id } = await expiredConnection();
      standin.configure({ tokenErrorStyle: style });
      standin.revokeAllTokens();
      front.reset();
      const forwarded = await timed(`forward, dead refresh token (${style})`, () => forward(id));
      assertError(forwarded, 409, "reauthorization_required");
      assert.equal(tokenCalls(), 1, "a refused grant is not retried");
      assert.equal(await worker.hook("raw", { id, key: "tokens" }), null, "the dead tokens are gone");
      assert.equal((await worker.hook("raw", { id, key: "tokenState" })).state, "reauthorization_required");
      const tested = await timed(`test, dead refresh token (${style})`, () => testConnection(id));
      assert.equal(tested.json.code, "reauthorization_required");
      assert.equal(tokenCalls(), 1, "and not asked again");
    });
  }
});

// API faults with a fresh access token: no refresh is involved, so the tokens must never change.
const API_FAULTS = [
  { name: "500", apply: { apiFault: { kind: "500" } }, status: 500, testCode: "server_error" },
  { name: "503 HTML page", apply: { apiFault: { kind: "503" } }, status: 503, testCode: "server_error" },
  { name: "HTML error page", apply: { apiFault: { kind: "html" } }, status: 500, testCode: "server_error" },
  { name: "dropped connection", apply: { apiFault: { kind: "drop" } }, status: 502, code: "network_error", testCode: "unreachable" },
  {
    name: "too slow (answers after 10 s; time limit 1.5 s)", apply: { apiFault: { kind: "delay", delayMs: 10_000 } },
    status: 502, code: "timeout", testCode: "unreachable", bound: TIMEOUT_MS + 1500,
  },
  { name: "malformed JSON", apply: { apiFault: { kind: "malformed_json" } }, status: 200, testCode: "unexpected_response" },
  { name: "binary junk labelled JSON", apply: { apiFault: { kind: "garbage" } }, status: 200, testCode: "unexpected_response" },
  { name: "hibernating instance", apply: { hibernating: true }, status: 503, code: "hibernating", testCode: "hibernating" },
  { name: "429 rate limit", apply: { rateLimit: { limit: 1, windowSeconds: 60 } }, status: 429, testCode: "rate_limited", retryAfter: true },
];

describe("the Table API fails while the access token is fresh", () => {
  for (const fault of API_FAULTS) {
    test(fault.name, async () => {
      const { id } = await expiredConnection();
      assert.equal((await forward(id)).status, 200, "refreshed once before the fault");
      const stored = await storedTokenRecords(worker, id);
      standin.configure(fault.apply);
      // The rate limit lets the window's first call through; spend it.
      if (fault.apply.rateLimit) await forward(id);
      standin.resetCounters();
      front.reset();
      const bound = fault.bound ?? BOUND_MS;

      const forwarded = await timed(`forward, API ${fault.name}`, () => forward(id), bound);
      assert.equal(forwarded.status, fault.status, forwarded.text);
      if (fault.code) assertError(forwarded, fault.status, fault.code);
      if (fault.retryAfter) assert.match(forwarded.headers.get("retry-after") ?? "", /^\d+$/);
      const tested = await timed(`test, API ${fault.name}`, () => testConnection(id), bound);
      assert.equal(tested.status, 200, tested.text);
      assert.equal(tested.json.ok, false);
      assert.equal(tested.json.code, fault.testCode, tested.text);

      assert.equal(tokenCalls(), 0, "no refresh for an instance fault");
      assert.deepEqual(await storedTokenRecords(worker, id), stored, "the stored tokens are unchanged");
      calm();
    });
  }
});

test("the slowest request of this file stayed within the bound", (t) => {
  t.diagnostic(`slowest: ${slowest.ms} ms (${slowest.name}); bound ${BOUND_MS} ms, refresh bound ${REFRESH_BOUND_MS} ms`);
  assert.ok(slowest.ms > 0 && slowest.ms < BOUND_MS);
});
