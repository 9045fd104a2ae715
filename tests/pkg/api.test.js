// The synchronous JavaScript API of pkg/: validation results, errors as real Error objects with
// stable codes, Basic headers, sealing interoperable with WebCrypto's AES-GCM, and .d.ts types that
// name every shape (no `any` on the exported functions).

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { webcrypto } from "node:crypto";
import { pkg, thrown } from "./support.js";

const KEY = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
const OTHER_KEY = "HxweHRwbGhkYFxYVFBMSERAPDg0MCwoJCAcGBQQDAgE=";

test("validateConfig reports every problem at once, in form order", () => {
  const result = pkg.validateConfig({
    baseUrl: "http://user:pw@sn.example.com/api/now/v9?x#y",
    authType: "oauth2",
    tokenUrl: "javascript://x",
    clientSecret: 42,
  });
  assert.equal(result.ok, false);
  assert.equal(result.config, undefined);
  assert.deepEqual(result.errors.map((e) => [e.field, e.code]), [
    ["baseUrl", "insecure_scheme"],
    ["baseUrl", "userinfo_not_allowed"],
    ["baseUrl", "query_not_allowed"],
    ["baseUrl", "fragment_not_allowed"],
    ["baseUrl", "invalid_api_path"],
    ["clientId", "required"],
    ["clientSecret", "invalid_type"],
    ["tokenUrl", "unsupported_scheme"],
  ]);
  for (const error of result.errors) assert.ok(error.message.length > 10);
  assert.ok(!JSON.stringify(result).includes("pw@"), "the rejected URL's password is not echoed");
});

test("validateConfig normalises and fills the OAuth defaults", () => {
  const result = pkg.validateConfig({
    baseUrl: " https://Dev8954.Service-Now.com/api/now/v2/ ",
    authType: "oauth2",
    clientId: "abc",
    clientSecret: "FAKE-secret",
  });
  assert.equal(result.ok, true);
  assert.deepEqual(result.errors, []);
  assert.deepEqual(result.config, {
    baseUrl: "https://dev8954.service-now.com/api/now/v2",
    instanceUrl: "https://dev8954.service-now.com",
    apiPath: "/api/now/v2",
    apiVersion: "v2",
    timeoutMs: 15000,
    allowInsecureLoopback: false,
    allowPrivateNetwork: false,
    authType: "oauth2",
    clientId: "abc",
    authorizationUrl: "https://dev8954.service-now.com/oauth_auth.do",
    tokenUrl: "https://dev8954.service-now.com/oauth_token.do",
    clientAuthentication: "client_secret_post",
    refreshTokenLifetimeSeconds: 8640000,
    grantType: "authorization_code",
  });
  assert.ok(!JSON.stringify(result).includes("FAKE-secret"), "secrets are not returned");
});

test("stored secrets satisfy validation for forms that never see them", () => {
  const input = { baseUrl: "https://a.example/api/now", authType: "basic", username: "u" };
  assert.deepEqual(pkg.validateConfig(input).errors.map((e) => e.code), ["required"]);
  assert.equal(pkg.validateConfig(input, { storedSecrets: ["password"] }).ok, true);
  assert.equal(pkg.validateConfig(null).ok, false);
});

test("errors are Error objects named ConnectionError with stable codes", () => {
  const colon = thrown(() => pkg.basicAuthorization("ad:min", "pw"));
  assert.ok(colon instanceof Error);
  assert.equal(colon.name, "ConnectionError");
  assert.equal(colon.code, "username_contains_colon");
  assert.equal(colon.field, "username");
  assert.equal(colon.retryable, false);
  const type = thrown(() => pkg.basicAuthorization(undefined, "pw"));
  assert.equal(type.code, "invalid_type");
  const config = thrown(() => pkg.authorizationRequest({ baseUrl: "x" }, { redirectUri: "https://a.example/cb" }));
  assert.equal(config.code, "invalid_config");
  assert.equal(config.field, "baseUrl");
  assert.ok(Array.isArray(config.errors) && config.errors.length === 2);
});

test("basicAuthorization follows RFC 7617 with UTF-8", () => {
  assert.equal(pkg.basicAuthorization("Aladdin", "open sesame"), "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
  assert.equal(pkg.basicAuthorization("test", "123\u00a3"), "Basic dGVzdDoxMjPCow==");
  assert.equal(pkg.basicAuthorization("a", "b:c"), `Basic ${Buffer.from("a:b:c").toString("base64")}`);
});

test("authorizationRequest: S256 challenge of the verifier, fresh state, routing prefix", async () => {
  const settings = { baseUrl: "https://a.example/api/now", authType: "oauth2", clientId: "c", clientSecret: "s" };
  const one = pkg.authorizationRequest(settings, { redirectUri: "https://w.example/oauth2/callback", statePrefix: "conn-1" });
  const two = pkg.authorizationRequest(settings, { redirectUri: "https://w.example/oauth2/callback" });
  const url = new URL(one.url);
  const digest = await webcrypto.subtle.digest("SHA-256", new TextEncoder().encode(one.codeVerifier));
  assert.equal(url.searchParams.get("code_challenge"), Buffer.from(digest).toString("base64url"));
  assert.equal(url.searchParams.get("state"), one.state);
  assert.match(one.state, /^conn-1\.[A-Za-z0-9_-]{43}$/);
  assert.notEqual(one.state.split(".")[1], two.state);
  assert.notEqual(one.codeVerifier, two.codeVerifier);
  assert.ok(!one.url.includes(one.codeVerifier));
});

test("tokenStatus and tokenSummary apply the freshness policy", () => {
  const t0 = 1_700_000_000_000;
  const tokens = {
    accessToken: "a", refreshToken: "r", tokenType: "Bearer", scope: null,
    issuedAt: t0, expiresAt: t0 + 1_800_000, refreshExpiresAt: t0 + 10 * 86_400_000,
  };
  assert.equal(pkg.tokenStatus(tokens, t0), "fresh");
  assert.equal(pkg.tokenStatus(tokens, t0 + 1_620_000), "refresh_due");
  assert.equal(pkg.tokenStatus(tokens, t0 + 1_800_000), "expired");
  assert.equal(pkg.tokenStatus({ ...tokens, refreshToken: null }, t0 + 1_800_000), "reauthorize");
  assert.equal(pkg.tokenStatus(undefined), "reauthorize");
  const summary = pkg.tokenSummary(tokens, t0 + 4 * 86_400_000);
  assert.equal(summary.status, "expired");
  assert.equal(summary.refreshExpiresInSeconds, 6 * 86_400);
  assert.equal(summary.refreshExpiringSoon, true);
  assert.equal(pkg.tokenSummary(tokens, t0).refreshExpiringSoon, false);
  assert.equal(thrown(() => pkg.tokenStatus({ accessToken: "a", expiresAt: "soon" })).code, "invalid_type");
});

test("parseCallback and apiRequestUrl refuse hostile input", () => {
  assert.deepEqual(pkg.parseCallback("?code=c&state=s"), { kind: "code", code: "c", state: "s" });
  assert.equal(thrown(() => pkg.parseCallback("code=a&code=b&state=s")).code, "duplicate_parameter");
  assert.equal(thrown(() => pkg.parseCallback("code=a")).field, "state");
  const settings = { baseUrl: "https://a.example/api/now/v2", authType: "basic", username: "u", password: "p" };
  assert.equal(pkg.apiRequestUrl(settings, "table/incident", "sysparm_limit=1"),
    "https://a.example/api/now/table/incident?sysparm_limit=1");
  for (const path of ["../x", "table/%2e%2e/x", "table%2Fx", "//evil.example/x", "https://evil.example"]) {
    const error = thrown(() => pkg.apiRequestUrl(settings, path));
    assert.equal(error.code, "invalid_api_request_path", path);
  }
});

test("sealed values open with WebCrypto's AES-256-GCM and the documented layout", async () => {
  const keyring = new pkg.Keyring(KEY);
  const sealed = keyring.seal("conn-1:clientSecret", "FAKE-secret-value");
  const [version, keyId, payload] = sealed.split(".");
  assert.equal(version, "snc1");
  assert.equal(keyId, keyring.currentKeyId);
  const bytes = Buffer.from(payload, "base64url");
  const key = await webcrypto.subtle.importKey("raw", Buffer.from(KEY, "base64"), "AES-GCM", false, ["decrypt"]);
  const aad = Buffer.concat([Buffer.from("snc1\0"), Buffer.from("conn-1:clientSecret")]);
  const plain = await webcrypto.subtle.decrypt(
    { name: "AES-GCM", iv: bytes.subarray(0, 12), additionalData: aad, tagLength: 128 }, key, bytes.subarray(12));
  assert.equal(new TextDecoder().decode(plain), "FAKE-secret-value");
  assert.equal(keyring.unseal("conn-1:clientSecret", sealed), "FAKE-secret-value");
});

test("unseal fails cleanly: wrong aad, wrong key, tampering, bad keys; rotation works", () => {
  const keyring = new pkg.Keyring(KEY);
  const sealed = keyring.seal("conn-1:password", "pw");
  assert.equal(thrown(() => keyring.unseal("conn-2:password", sealed)).code, "seal_authentication_failed");
  assert.equal(thrown(() => new pkg.Keyring(OTHER_KEY).unseal("conn-1:password", sealed)).code, "unknown_sealing_key");
  const tampered = sealed.slice(0, -2) + (sealed.endsWith("A") ? "BA" : "AA");
  assert.ok(["seal_authentication_failed", "malformed_sealed_value"].includes(
    thrown(() => keyring.unseal("conn-1:password", tampered)).code));
  assert.equal(thrown(() => keyring.unseal("conn-1:password", "garbage")).code, "malformed_sealed_value");
  const badKey = thrown(() => new pkg.Keyring("AAAA"));
  assert.equal(badKey.code, "invalid_sealing_key");
  assert.equal(badKey.field, "sealingKey");
  assert.equal(thrown(() => new pkg.Keyring(KEY, ["nope"])).field, "previousSealingKeys");
  const rotated = new pkg.Keyring(OTHER_KEY, [KEY]);
  assert.equal(rotated.unseal("conn-1:password", sealed), "pw");
  assert.equal(rotated.isCurrent(sealed), false);
  assert.equal(rotated.isCurrent(rotated.seal("x", "y")), true);
});

test("the .d.ts names every exported shape: no `any` outside the generated init helpers", () => {
  const entry = readFileSync(new URL("../../pkg/servicenow_connection.d.ts", import.meta.url), "utf8");
  const dts = readFileSync(new URL("../../pkg/servicenow_connection_core.d.ts", import.meta.url), "utf8") + entry;
  const exported = dts.split("\n").filter((line) => /^export (function|class|declare const)/.test(line) || /^\s+[a-zA-Z]+\(.*\):/.test(line));
  assert.ok(exported.length >= 40, `exports found: ${exported.length}`);
  for (const line of exported) {
    if (/\b(initSync|__wbg_init)\b/.test(line)) continue;
    assert.doesNotMatch(line, /\bany\b/, line);
  }
  for (const type of ["ConnectionSettings", "ValidationResult", "NormalizedConfig", "FieldError", "FieldErrorCode", "TokenSet",
    "TokenTimes", "TokenSummary", "TestResult", "TestCode", "CallbackResult", "CodeGrant", "AuthorizationOptions",
    "AuthorizationRequest", "HttpRequestData", "HttpResponseData", "ConnectionOptions", "ConnectionError", "ErrorCode"]) {
    assert.match(dts, new RegExp(`export (interface|type) ${type}\\b`), type);
  }
  assert.match(dts, /export function exchangeCode\(settings: ConnectionSettings, grant: CodeGrant, options\?: ConnectionOptions\): Promise<TokenSet>;/);
  assert.match(dts, /export function testConnection\(settings: ConnectionSettings, tokens\?: TokenSet \| null, options\?: ConnectionOptions\): Promise<TestResult>;/);
  assert.match(dts, /refreshToken: string \| null;/);
});

test("the code tables are values, each code its own key, and match what the functions use", () => {
  for (const table of [pkg.errorCodes, pkg.fieldCodes, pkg.testCodes]) {
    assert.ok(Object.isFrozen(table));
    for (const [key, value] of Object.entries(table)) assert.equal(key, value);
  }
  assert.equal(pkg.errorCodes.reauthorization_required, "reauthorization_required");
  assert.equal(pkg.fieldCodes.private_address, "private_address");
  assert.equal(pkg.testCodes.unreachable, "unreachable");
  // Field codes are error codes too; test codes are their own set.
  for (const code of Object.keys(pkg.fieldCodes)) assert.equal(pkg.errorCodes[code], code);
  assert.equal(Object.keys(pkg.testCodes).length, 11);
  const { errors } = pkg.validateConfig({ baseUrl: "https://10.0.0.1/api/now", authType: "basic" });
  for (const error of errors) assert.equal(pkg.fieldCodes[error.code], error.code);
  assert.equal(pkg.errorCodes[thrown(() => pkg.basicAuthorization("a:b", "p")).code], "username_contains_colon");
});

test("arguments are read by serde_json within bounds: lone surrogates, deep nesting and huge texts are refused", () => {
  const settings = { baseUrl: "https://a.example/api/now", authType: "basic", username: "u", password: "p" };
  const lone = thrown(() => pkg.authorizationHeader(settings, { accessToken: "\ud800", tokenType: "Bearer", scope: null,
    refreshToken: null, issuedAt: 1, expiresAt: null, refreshExpiresAt: null }));
  assert.deepEqual([lone.code, lone.field], ["invalid_type", "tokens"]);
  assert.match(lone.message, /could not be read/);
  const surrogateSettings = pkg.validateConfig({ ...settings, password: "FAKE-\udc00-secret" });
  assert.equal(surrogateSettings.ok, false);
  assert.ok(!JSON.stringify(surrogateSettings).includes("FAKE-"));
  let deep = [];
  for (let i = 0; i < 40; i += 1) deep = [deep];
  const deepSettings = pkg.validateConfig({ ...settings, username: deep });
  assert.deepEqual(deepSettings.errors.map((e) => [e.field, e.code]), [["baseUrl", "invalid_type"]]);
  assert.match(deepSettings.errors[0].message, /32 levels/);
  const nested = thrown(() => pkg.tokenStatus({ expiresAt: 1, extra: deep }));
  assert.match(nested.message, /32 levels/);
  const wrong = thrown(() => pkg.tokenStatus({ expiresAt: "FAKE-soon" }));
  assert.deepEqual([wrong.code, wrong.field], ["invalid_type", "expiresAt"]);
  assert.ok(!wrong.message.includes("FAKE-soon"), "serde's text, which quotes the value, never reaches the message");
  const huge = thrown(() => pkg.tokenStatus({ expiresAt: 1, extra: "x".repeat(1 << 20) }));
  assert.match(huge.message, /larger than/);
});

test("helpers for servers: issuer check, error results, hibernation pages, token times", () => {
  const settings = { baseUrl: "https://dev1.service-now.com/api/now", authType: "oauth2", clientId: "c", clientSecret: "s" };
  assert.equal(pkg.issuerMatches(settings, "https://dev1.service-now.com"), true);
  assert.equal(pkg.issuerMatches(settings, "https://evil.example"), false);
  assert.equal(thrown(() => pkg.issuerMatches({ baseUrl: "x" }, "y")).code, "invalid_config");

  const dead = thrown(() => pkg.authorizationRequest({ ...settings, authType: "basic" }, { redirectUri: "https://a.example/cb" }));
  assert.equal(pkg.testResultFromError(dead).code, "invalid_config");
  const refused = Object.assign(new Error("The refresh token is dead."), { name: "ConnectionError", code: "reauthorization_required" });
  const result = pkg.testResultFromError(refused);
  assert.deepEqual([result.ok, result.code, result.message], [false, "reauthorization_required", "The refresh token is dead."]);
  assert.match(result.hint, /Generate/);
  // An error's own hint (a refused grant names the property to set) wins over the code's.
  const ownHint = "Set glide.oauth.inbound.client.credential.grant_type.enabled to true.";
  const grantRefused = Object.assign(new Error("The instance refused the grant."), {
    name: "ConnectionError", code: "reauthorization_required", hint: ownHint,
  });
  assert.equal(pkg.testResultFromError(grantRefused).hint, ownHint);
  const badHint = Object.assign(new Error("x"), { name: "ConnectionError", code: "reauthorization_required", hint: "a\u0000b" });
  assert.match(pkg.testResultFromError(badHint).hint, /Generate/);
  const busy = Object.assign(new Error("busy"), { name: "ConnectionError", code: "token_endpoint_unavailable", status: 503, retryAfterSeconds: 5 });
  assert.deepEqual([pkg.testResultFromError(busy).code, pkg.testResultFromError(busy).status], ["server_error", 503]);
  assert.equal(pkg.testResultFromError(new Error("odd")).code, "unexpected_response");

  const page = "<html><h1>Your instance is hibernating</h1></html>";
  assert.equal(pkg.isHibernationPage({ status: 200, headers: { "content-type": "text/html" }, body: page }), true);
  assert.equal(pkg.isHibernationPage({ status: 200, headers: { "content-type": "application/json" }, body: page }), false);
  assert.equal(pkg.isHibernationPage({ transportError: "network" }), false);

  const t0 = 1_700_000_000_000;
  const times = { issuedAt: t0, expiresAt: t0 + 1_800_000, refreshExpiresAt: t0 + 86_400_000, hasRefreshToken: true };
  assert.equal(pkg.tokenStatus(times, t0 + 1_800_000), "expired");
  assert.equal(pkg.tokenStatus({ ...times, hasRefreshToken: false }, t0 + 1_800_000), "reauthorize");
  assert.equal(pkg.tokenSummary(times, t0).refreshExpiringSoon, true);
});
