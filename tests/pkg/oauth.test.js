// The OAuth flows of pkg/ over the real fetch path, in Node, against the stand-in's oidc-provider
// engine: authorization code with PKCE, refresh that keeps the refresh token and its deadline, a dead
// refresh token, both client authentication methods, both error styles, and token-endpoint faults.

import { test, before, after, beforeEach } from "node:test";
import assert from "node:assert/strict";
import {
  pkg, startStandin, authorize, oauthSettings, rejection, REDIRECT_URI,
} from "./support.js";

let standin;

before(async () => {
  standin = await startStandin({ port: 0 });
});

after(async () => {
  await standin?.close();
});

beforeEach(() => {
  standin.configure({ tokenFault: null, hibernating: false, tokenErrorStyle: "servicenow", accessTtl: 1800 });
  standin.resetCounters();
});

function assertConnectionError(error, code) {
  assert.ok(error instanceof Error, "an Error object");
  assert.equal(error.name, "ConnectionError");
  assert.equal(error.code, code, error.message);
  assert.equal(typeof error.retryable, "boolean");
}

test("authorization code flow with PKCE, then the Table API answers", async () => {
  const settings = oauthSettings(standin);
  const { request, callback } = await authorize(standin, settings);
  const url = new URL(request.url);
  assert.equal(url.origin + url.pathname, `${standin.url}/oauth_auth.do`);
  assert.equal(url.searchParams.get("code_challenge_method"), "S256");
  assert.equal(url.searchParams.get("redirect_uri"), REDIRECT_URI);

  const before = Date.now();
  const tokens = await pkg.exchangeCode(settings, {
    code: callback.code, redirectUri: REDIRECT_URI, codeVerifier: request.codeVerifier,
  });
  assert.equal(tokens.tokenType, "Bearer");
  assert.equal(tokens.scope, "useraccount");
  assert.ok(tokens.accessToken.length > 10);
  assert.ok(tokens.refreshToken.length > 10);
  assert.ok(tokens.issuedAt >= before && tokens.issuedAt <= Date.now());
  // expires_in 1799 from a 1800 s token.
  assert.equal(tokens.expiresAt - tokens.issuedAt, 1_799_000);
  // Default refresh lifetime: 100 days from the first issue.
  assert.equal(tokens.refreshExpiresAt - tokens.issuedAt, 8_640_000_000);
  assert.equal(pkg.tokenStatus(tokens), "fresh");
  assert.deepEqual(standin.counters().token.byGrantType, { authorization_code: 1 });

  const result = await pkg.testConnection(settings, tokens);
  assert.equal(result.code, "ok", result.message);
  assert.equal(result.ok, true);
  assert.equal(result.status, 200);
  assert.equal(typeof result.elapsedMs, "number");

  // The code is single use: a replay is refused as ServiceNow refuses it.
  const replay = await rejection(pkg.exchangeCode(settings, {
    code: callback.code, redirectUri: REDIRECT_URI, codeVerifier: request.codeVerifier,
  }));
  assertConnectionError(replay, "access_denied");
  assert.equal(replay.status, 401);
  assert.equal(replay.detail, "access_denied");
  assert.equal(replay.retryable, false);
});

test("refresh returns a new access token, the same refresh token and the same deadline", async () => {
  const settings = oauthSettings(standin, { refreshTokenLifetimeSeconds: 86_400 });
  const { request, callback } = await authorize(standin, settings);
  const first = await pkg.exchangeCode(settings, {
    code: callback.code, redirectUri: REDIRECT_URI, codeVerifier: request.codeVerifier,
  });
  assert.equal(first.refreshExpiresAt - first.issuedAt, 86_400_000);
  await new Promise((resolve) => setTimeout(resolve, 20));
  const second = await pkg.refreshTokens(settings, first);
  assert.notEqual(second.accessToken, first.accessToken);
  assert.equal(second.refreshToken, first.refreshToken);
  assert.equal(second.refreshExpiresAt, first.refreshExpiresAt);
  assert.ok(second.issuedAt > first.issuedAt);
  assert.deepEqual(standin.counters().token.byGrantType, { authorization_code: 1, refresh_token: 1 });
  const result = await pkg.testConnection(settings, second);
  assert.equal(result.code, "ok", result.message);
});

test("an expired access token is refused and refresh brings the connection back", async () => {
  standin.configure({ accessTtl: 2 });
  const settings = oauthSettings(standin);
  const { request, callback } = await authorize(standin, settings);
  const tokens = await pkg.exchangeCode(settings, {
    code: callback.code, redirectUri: REDIRECT_URI, codeVerifier: request.codeVerifier,
  });
  assert.equal(pkg.tokenStatus(tokens), "refresh_due");
  await new Promise((resolve) => setTimeout(resolve, 2_100));
  assert.equal(pkg.tokenStatus(tokens), "expired");
  const refused = await pkg.testConnection(settings, tokens);
  assert.equal(refused.code, "unauthorized");
  assert.match(refused.hint, /Generate/);
  const refreshed = await pkg.refreshTokens(settings, tokens);
  assert.equal((await pkg.testConnection(settings, refreshed)).code, "ok");
});

test("a dead refresh token means re-authorization, not a retry", async () => {
  const settings = oauthSettings(standin);
  const { request, callback } = await authorize(standin, settings);
  const tokens = await pkg.exchangeCode(settings, {
    code: callback.code, redirectUri: REDIRECT_URI, codeVerifier: request.codeVerifier,
  });
  standin.revokeAllTokens();
  const error = await rejection(pkg.refreshTokens(settings, tokens));
  assertConnectionError(error, "reauthorization_required");
  assert.equal(error.retryable, false);
  assert.equal(error.status, 401);
  // Without a refresh token nothing is sent at all.
  standin.resetCounters();
  const none = await rejection(pkg.refreshTokens(settings, { ...tokens, refreshToken: null }));
  assertConnectionError(none, "reauthorization_required");
  assert.equal(standin.counters().token.total, 0);
});

test("RFC 6749 error answers map to their own codes", async () => {
  standin.configure({ tokenErrorStyle: "rfc" });
  const settings = oauthSettings(standin);
  const { request, callback } = await authorize(standin, settings);
  const wrongVerifier = await rejection(pkg.exchangeCode(settings, {
    code: callback.code, redirectUri: REDIRECT_URI, codeVerifier: "x".repeat(43),
  }));
  assertConnectionError(wrongVerifier, "invalid_grant");
  assert.equal(wrongVerifier.status, 400);

  const second = await authorize(standin, settings);
  const badClient = await rejection(pkg.exchangeCode({ ...settings, clientSecret: "FAKE-wrong-secret" }, {
    code: second.callback.code, redirectUri: REDIRECT_URI, codeVerifier: second.request.codeVerifier,
  }));
  assertConnectionError(badClient, "invalid_client");
  assert.ok(!badClient.message.includes("FAKE-wrong-secret"));
});

test("HTTP Basic client authentication works against the engine", async () => {
  const settings = oauthSettings(standin, { clientAuthentication: "client_secret_basic" });
  const { request, callback } = await authorize(standin, settings);
  const tokens = await pkg.exchangeCode(settings, {
    code: callback.code, redirectUri: REDIRECT_URI, codeVerifier: request.codeVerifier,
  });
  const refreshed = await pkg.refreshTokens(settings, tokens);
  assert.equal(refreshed.refreshToken, tokens.refreshToken);
});

test("user denial comes back as an error callback", async () => {
  const settings = oauthSettings(standin);
  const request = pkg.authorizationRequest(settings, { redirectUri: REDIRECT_URI });
  const { authorizeOverHttp } = await import("../servicenow-standin/authorize.js");
  const { user } = await import("./support.js");
  const location = await authorizeOverHttp(request.url, {
    username: "admin", password: user(standin, "admin").password, decision: "deny",
  });
  const callback = pkg.parseCallback(new URL(location).search);
  assert.equal(callback.kind, "error");
  assert.equal(callback.error, "access_denied");
  assert.equal(callback.state, request.state);
});

test("token endpoint faults are stated, and the retryable ones say so", async () => {
  const settings = oauthSettings(standin, { timeoutMs: 1_000 });
  const { request, callback } = await authorize(standin, settings);
  const tokens = await pkg.exchangeCode(settings, {
    code: callback.code, redirectUri: REDIRECT_URI, codeVerifier: request.codeVerifier,
  });
  const cases = [
    [{ kind: "500" }, "token_endpoint_unavailable", true],
    [{ kind: "503" }, "token_endpoint_unavailable", true],
    [{ kind: "html" }, "token_endpoint_unavailable", true],
    [{ kind: "malformed_json" }, "invalid_token_response", true],
    [{ kind: "garbage" }, "invalid_token_response", true],
    [{ kind: "drop" }, "network_error", true],
    [{ kind: "delay", delayMs: 3_000 }, "timeout", true],
  ];
  for (const [fault, code, retryable] of cases) {
    standin.configure({ tokenFault: { ...fault, count: 1 } });
    const started = Date.now();
    const error = await rejection(pkg.refreshTokens(settings, tokens));
    assertConnectionError(error, code);
    assert.equal(error.retryable, retryable, fault.kind);
    assert.ok(Date.now() - started < 2_900, `${fault.kind} bounded by the timeout`);
  }
  standin.configure({ tokenFault: null, hibernating: true });
  const asleep = await rejection(pkg.refreshTokens(settings, tokens));
  assertConnectionError(asleep, "hibernating");
  standin.configure({ hibernating: false });
  // The old refresh token survived every fault.
  const recovered = await pkg.refreshTokens(settings, tokens);
  assert.equal(recovered.refreshToken, tokens.refreshToken);
});

test("invalid settings and arguments are refused before any request", async () => {
  standin.resetCounters();
  const settings = oauthSettings(standin);
  const noLoopback = await rejection(pkg.exchangeCode({ ...settings, allowInsecureLoopback: false }, {
    code: "c", redirectUri: REDIRECT_URI, codeVerifier: "v".repeat(43),
  }));
  assertConnectionError(noLoopback, "invalid_config");
  assert.deepEqual(noLoopback.errors.map((e) => [e.field, e.code]), [["baseUrl", "insecure_scheme"]]);
  const badVerifier = await rejection(pkg.exchangeCode(settings, {
    code: "c", redirectUri: REDIRECT_URI, codeVerifier: "short",
  }));
  assertConnectionError(badVerifier, "invalid_code_verifier");
  assert.equal(badVerifier.field, "codeVerifier");
  const wrongType = await rejection(pkg.refreshTokens(settings, { accessToken: 5 }));
  assertConnectionError(wrongType, "invalid_type");
  assert.equal(standin.counters().token.total, 0);
});
