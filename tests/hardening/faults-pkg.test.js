// The same faults directly through pkg/ in Node (loaded as tests/pkg/support.js does): refreshTokens
// and exchangeCode against a failing token endpoint reject with a ConnectionError whose code and
// `retryable` say what happened, within the connection's time limit plus a margin, and never touch
// the token set they were given (the caller keeps its refresh token); after the fault clears the same
// refresh token works. Only a dead refresh token is `reauthorization_required`. testConnection under
// every Table API fault resolves (never rejects) with the right class, also within the bound.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";

import { REDIRECT_URI, authorize, oauthSettings, pkg, rejection, startStandin } from "../pkg/support.js";
import { startTokenFront } from "./support/hardening.js";

const TIMEOUT_MS = 1500;
/** One attempt, no retries: the time limit plus a margin for the shared machines. */
const BOUND_MS = TIMEOUT_MS + 2500;

let standin;
let front;

before(async () => {
  standin = await startStandin({ port: 0 });
  front = await startTokenFront(standin);
});

after(async () => {
  await front?.close();
  await standin?.close();
});

function calm() {
  standin.configure({ tokenFault: null, apiFault: null, hibernating: false, rateLimit: null, tokenErrorStyle: "servicenow" });
  front.reset();
}

function settings() {
  return oauthSettings(standin, { timeoutMs: TIMEOUT_MS, tokenUrl: front.tokenUrl });
}

async function timedRejection(promise) {
  const started = performance.now();
  const error = await rejection(promise);
  const ms = performance.now() - started;
  assert.ok(ms < BOUND_MS, `rejected after ${Math.round(ms)} ms, over ${BOUND_MS} ms`);
  return error;
}

async function freshTokens() {
  calm();
  const { request, callback } = await authorize(standin, settings());
  return pkg.exchangeCode(settings(), { code: callback.code, redirectUri: REDIRECT_URI, codeVerifier: request.codeVerifier });
}

const TOKEN_FAULTS = [
  { name: "500", apply: () => standin.configure({ tokenFault: { kind: "500" } }), code: "token_endpoint_unavailable", retryable: true, status: 500 },
  { name: "503 with Retry-After: 5", apply: () => standin.configure({ tokenFault: { kind: "503" } }), code: "token_endpoint_unavailable", retryable: true, status: 503, retryAfterSeconds: 5 },
  { name: "too slow (10 s; time limit 1.5 s)", apply: () => standin.configure({ tokenFault: { kind: "delay", delayMs: 10_000 } }), code: "timeout", retryable: true },
  { name: "dropped connection", apply: () => standin.configure({ tokenFault: { kind: "drop" } }), code: "network_error", retryable: true },
  { name: "malformed JSON", apply: () => standin.configure({ tokenFault: { kind: "malformed_json" } }), code: "invalid_token_response", retryable: true, status: 200 },
  { name: "binary junk labelled JSON", apply: () => standin.configure({ tokenFault: { kind: "garbage" } }), code: "invalid_token_response", retryable: true, status: 200 },
  { name: "HTML error page", apply: () => standin.configure({ tokenFault: { kind: "html" } }), code: "token_endpoint_unavailable", retryable: true, status: 500 },
  { name: "hibernating instance", apply: () => standin.configure({ hibernating: true }), code: "hibernating", retryable: false },
  { name: "429 with Retry-After: 30", apply: () => front.rateLimit(30), code: "rate_limited", retryable: true, status: 429, retryAfterSeconds: 30 },
];

describe("refreshTokens against a failing token endpoint", () => {
  for (const fault of TOKEN_FAULTS) {
    test(fault.name, async () => {
      const tokens = await freshTokens();
      const given = structuredClone(tokens);
      fault.apply();
      const error = await timedRejection(pkg.refreshTokens(settings(), tokens));
      assert.equal(error.name, "ConnectionError");
      assert.ok(error instanceof Error);
      assert.equal(error.code, fault.code, error.message);
      assert.equal(error.retryable, fault.retryable);
      if (fault.status !== undefined) assert.equal(error.status, fault.status);
      if (fault.retryAfterSeconds !== undefined) assert.equal(error.retryAfterSeconds, fault.retryAfterSeconds);
      assert.deepEqual(tokens, given, "the caller's token set is untouched");

      calm();
      const refreshed = await pkg.refreshTokens(settings(), tokens);
      assert.equal(refreshed.refreshToken, tokens.refreshToken, "the same refresh token still works");
      assert.notEqual(refreshed.accessToken, tokens.accessToken);
      assert.equal(refreshed.refreshExpiresAt, tokens.refreshExpiresAt);
    });
  }

  for (const style of ["servicenow", "rfc"]) {
    test(`a dead refresh token (${style} answer) is reauthorization_required, not retryable`, async () => {
      const tokens = await freshTokens();
      standin.configure({ tokenErrorStyle: style });
      standin.revokeAllTokens();
      const error = await timedRejection(pkg.refreshTokens(settings(), tokens));
      assert.equal(error.code, "reauthorization_required");
      assert.equal(error.retryable, false);
      assert.equal(pkg.testResultFromError(error).code, "reauthorization_required");
    });
  }
});

describe("exchangeCode against a failing token endpoint", () => {
  for (const fault of TOKEN_FAULTS) {
    test(fault.name, async () => {
      calm();
      const { request, callback } = await authorize(standin, settings());
      fault.apply();
      const error = await timedRejection(pkg.exchangeCode(settings(), {
        code: callback.code,
        redirectUri: REDIRECT_URI,
        codeVerifier: request.codeVerifier,
      }));
      assert.equal(error.code, fault.code, error.message);
      assert.equal(error.retryable, fault.retryable);
      calm();
    });
  }
});

const API_FAULTS = [
  { name: "500", apply: { apiFault: { kind: "500" } }, code: "server_error" },
  { name: "503 HTML page", apply: { apiFault: { kind: "503" } }, code: "server_error" },
  { name: "HTML error page", apply: { apiFault: { kind: "html" } }, code: "server_error" },
  { name: "dropped connection", apply: { apiFault: { kind: "drop" } }, code: "unreachable" },
  { name: "too slow (10 s; time limit 1.5 s)", apply: { apiFault: { kind: "delay", delayMs: 10_000 } }, code: "unreachable" },
  { name: "malformed JSON", apply: { apiFault: { kind: "malformed_json" } }, code: "unexpected_response" },
  { name: "binary junk labelled JSON", apply: { apiFault: { kind: "garbage" } }, code: "unexpected_response" },
  { name: "hibernating instance", apply: { hibernating: true }, code: "hibernating" },
  { name: "429 rate limit", apply: { rateLimit: { limit: 1, windowSeconds: 60 } }, code: "rate_limited" },
];

describe("testConnection against a failing Table API", () => {
  for (const fault of API_FAULTS) {
    for (const authType of ["basic", "oauth2"]) {
      test(`${fault.name} (${authType})`, async () => {
        const tokens = authType === "oauth2" ? await freshTokens() : null;
        const given = structuredClone(tokens);
        const connection = authType === "oauth2"
          ? settings()
          : { ...settings(), authType: "basic", username: "admin", password: standin.seed.users[0].password };
        standin.configure(fault.apply);
        if (fault.apply.rateLimit) await pkg.testConnection(connection, tokens);
        const started = performance.now();
        const result = await pkg.testConnection(connection, tokens);
        const ms = performance.now() - started;
        assert.ok(ms < BOUND_MS, `${Math.round(ms)} ms`);
        assert.equal(result.ok, false);
        assert.equal(result.code, fault.code, JSON.stringify(result));
        assert.equal(typeof result.message, "string");
        assert.deepEqual(tokens, given);
        calm();
      });
    }
  }
});
