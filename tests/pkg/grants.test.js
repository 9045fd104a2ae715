// The unattended grants of pkg/ over the real fetch path (and WebCrypto for JWT bearer), in Node,
// against the stand-in's token endpoint, which accepts and refuses them as an instance does: client
// credentials (off until switched on, then only with an OAuth Application User), JWT bearer (keys
// and certificates made by the package's own key tools, checked by the stand-in's JOSE library
// against a verifier-map certificate or a JWKS URL) and the password grant (opt-in per client).
// Each grant's tokens, renewal, refusals in both error styles (codes and hints), the request/process
// halves, and Test Connection obtaining tokens on demand.

import { test, before, after, beforeEach } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { once } from "node:events";
import { X509Certificate, createPrivateKey, createPublicKey } from "node:crypto";
import { calculateJwkThumbprint, decodeJwt, decodeProtectedHeader } from "jose";
import { pkg, startStandin, oauthSettings, client, user, rejection } from "./support.js";
import { recordSecret } from "../worker/support/transcript.js";

let standin;
let clientId;
const JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer";
const ME = `/api/now/table/sys_user?sysparm_query=${encodeURIComponent("sys_id=javascript:gs.getUserID()")}&sysparm_fields=user_name`;

before(async () => {
  standin = await startStandin({ port: 0 });
  clientId = client(standin).clientId;
});

after(async () => {
  await standin?.close();
});

beforeEach(() => {
  standin.configure({
    tokenFault: null, tokenErrorStyle: "servicenow", accessTtl: 1800,
    clientCredentialsEnabled: false, passwordGrantDisabled: false,
  });
  standin.configureClient(clientId, { applicationUser: null, passwordGrant: false, jwtBearer: null });
  standin.resetCounters();
});

/** The user the tokens act as, asked of the instance itself. */
async function whoAmI(settings, tokens) {
  const response = await fetch(pkg.restApiUrl(settings, "now/table/sys_user", ME.split("?")[1]), {
    headers: { accept: "application/json", authorization: pkg.authorizationHeader(settings, tokens) },
  });
  assert.equal(response.status, 200);
  return (await response.json()).result[0].user_name;
}

function assertConnectionError(error, code) {
  assert.ok(error instanceof Error, "an Error object");
  assert.equal(error.name, "ConnectionError");
  assert.equal(error.code, code, error.message);
}

/** Keeps a generated private key where the leak check looks for it: whole and by a line of it. */
function keepSecret(privateKey) {
  recordSecret("private_key", privateKey);
  const lines = privateKey.split("\n").filter((line) => line && !line.startsWith("-----"));
  recordSecret("private_key", lines[Math.floor(lines.length / 2)]);
}

/** A JWKS document on 127.0.0.1 whose keys a test can change. */
async function startJwksServer(keys) {
  const state = { keys, hits: 0 };
  const server = createServer((request, response) => {
    state.hits += 1;
    response.writeHead(200, { "content-type": "application/json" });
    response.end(JSON.stringify({ keys: state.keys }));
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  state.url = `http://127.0.0.1:${server.address().port}/jwks.json`;
  state.close = () => new Promise((resolve) => server.close(resolve));
  return state;
}

test("generateSigningKey: a PKCS#8 key, a self-signed certificate and a JWK of one key pair, by algorithm", async () => {
  for (const [options, kty, alg] of [[undefined, "RSA", "RS256"], [{ algorithm: "ES256", subject: "svc, prod", validityDays: 30 }, "EC", "ES256"]]) {
    const pair = await pkg.generateSigningKey(options);
    keepSecret(pair.privateKey);
    assert.match(pair.privateKey, /^-----BEGIN PRIVATE KEY-----\n/);
    const privateKey = createPrivateKey(pair.privateKey);
    assert.equal(privateKey.asymmetricKeyType, kty.toLowerCase());
    if (kty === "RSA") assert.equal(privateKey.asymmetricKeyDetails.modulusLength, 2048);
    assert.equal(pair.jwk.kty, kty);
    assert.equal(pair.jwk.alg, alg);
    assert.equal(pair.jwk.use, "sig");
    assert.equal(pair.jwk.kid, pair.keyId);
    assert.equal(pair.jwk.d, undefined, "no private member");
    const { kid, alg: _alg, use, ...material } = pair.jwk;
    assert.equal(pair.keyId, await calculateJwkThumbprint(material), "the RFC 7638 thumbprint");
    // Node reads the certificate; its key is the JWK's, which is the private key's.
    const certificate = new X509Certificate(pair.certificate);
    assert.ok(certificate.verify(certificate.publicKey), "self-signed");
    assert.deepEqual(certificate.publicKey.export({ format: "jwk" }), material);
    assert.deepEqual(createPublicKey(privateKey).export({ format: "jwk" }), material);
    // Node prints the name in RFC 4514 form: the comma escaped.
    assert.equal(certificate.subject, options ? "CN=svc\\, prod" : "CN=servicenow-connection");
    const days = (Date.parse(certificate.validTo) - Date.parse(certificate.validFrom)) / 86_400_000;
    assert.equal(days, options?.validityDays ?? 365);
    assert.ok(Math.abs(Date.parse(certificate.validFrom) - Date.now()) < 60_000);
    // The JWK of the private key alone is the same.
    assert.deepEqual(await pkg.publicSigningKey(pair.privateKey), { jwk: pair.jwk, keyId: pair.keyId });
    const named = await pkg.publicSigningKey(pair.privateKey, { keyId: "rotation-2" });
    assert.equal(named.jwk.kid, "rotation-2");
  }
});

test("key tools refuse bad input with field codes", async () => {
  const badAlgorithm = await rejection(pkg.generateSigningKey({ algorithm: "HS256" }));
  assertConnectionError(badAlgorithm, "invalid_jwt_algorithm");
  assert.equal(badAlgorithm.field, "algorithm");
  assertConnectionError(await rejection(pkg.generateSigningKey({ validityDays: 0 })), "out_of_range");
  const garbage = await rejection(pkg.publicSigningKey("-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----"));
  assertConnectionError(garbage, "invalid_private_key");
  assert.equal(garbage.field, "privateKey");
  assert.match(garbage.message, /PKCS#8/);
  const ec = await pkg.generateSigningKey({ algorithm: "ES256" });
  keepSecret(ec.privateKey);
  const mismatch = await rejection(pkg.publicSigningKey(ec.privateKey, { algorithm: "RS256" }));
  assertConnectionError(mismatch, "key_algorithm_mismatch");
  assert.ok(!mismatch.message.includes("PRIVATE KEY"));
  assertConnectionError(await rejection(pkg.publicSigningKey(42)), "invalid_type");
});

test("client credentials: refused until switched on, then tokens of the OAuth Application User without a refresh token", async () => {
  const settings = oauthSettings(standin, { grantType: "client_credentials" });
  assert.equal(pkg.validateConfig(settings).config.grantType, "client_credentials");
  const off = await rejection(pkg.requestTokens(settings));
  assertConnectionError(off, "access_denied");
  assert.equal(off.status, 401);
  assert.match(off.hint, /glide\.oauth\.inbound\.client\.credential\.grant_type\.enabled/);
  standin.configure({ tokenErrorStyle: "rfc" });
  const disabled = await rejection(pkg.requestTokens(settings));
  assertConnectionError(disabled, "client_credentials_disabled");
  assert.match(disabled.hint, /glide\.oauth\.inbound\.client\.credential\.grant_type\.enabled/);

  standin.configure({ clientCredentialsEnabled: true, tokenErrorStyle: "servicenow" });
  const noUser = await rejection(pkg.requestTokens(settings));
  assertConnectionError(noUser, "application_user_missing");
  assert.equal(noUser.detail, "integration user is not configured");
  assert.match(noUser.hint, /OAuth Application User/);

  standin.configureClient(clientId, { applicationUser: "itil.user" });
  const before = Date.now();
  const tokens = await pkg.requestTokens(settings);
  assert.equal(tokens.grantType, "client_credentials");
  assert.equal(tokens.refreshToken, null);
  assert.equal(tokens.refreshExpiresAt, null);
  assert.equal(tokens.expiresAt - tokens.issuedAt, 1_799_000);
  assert.ok(tokens.issuedAt >= before);
  assert.equal(await whoAmI(settings, tokens), "itil.user");
  assert.equal(pkg.tokenStatus(tokens), "fresh");
  // Due or dead, such a token is requested again, never "reauthorize".
  assert.equal(pkg.tokenStatus(tokens, tokens.expiresAt - 1_000), "refresh_due");
  assert.equal(pkg.tokenStatus(tokens, tokens.expiresAt), "expired");
  const summary = pkg.tokenSummary(tokens, tokens.expiresAt);
  assert.equal(summary.grantType, "client_credentials");
  assert.equal(summary.refreshExpiringSoon, false);
  const renewed = await pkg.renewTokens(settings, tokens);
  assert.notEqual(renewed.accessToken, tokens.accessToken);
  assert.deepEqual(standin.counters().token.byGrantTypeAndOutcome.client_credentials, { ok: 2, error: 3 });
});

test("Test Connection obtains tokens on demand for a grant that needs no person", async () => {
  standin.configure({ clientCredentialsEnabled: true });
  const settings = oauthSettings(standin, { grantType: "client_credentials" });
  const refused = await pkg.testConnection(settings);
  assert.equal(refused.code, "unauthorized");
  assert.match(refused.hint, /OAuth Application User/);
  standin.configureClient(clientId, { applicationUser: "admin" });
  const result = await new pkg.Connection(settings).testConnection();
  assert.equal(result.code, "ok", result.message);
  assert.deepEqual(standin.counters().token.byGrantType, { client_credentials: 2 });
  // The code grant still needs Generate first.
  const code = await pkg.testConnection(oauthSettings(standin));
  assert.equal(code.code, "reauthorization_required");
});

test("request and process halves, for callers with their own HTTP client", async () => {
  standin.configure({ clientCredentialsEnabled: true });
  standin.configureClient(clientId, { applicationUser: "admin" });
  const settings = oauthSettings(standin, { grantType: "client_credentials", clientAuthentication: "client_secret_basic" });
  const request = await pkg.grantRequest(settings);
  assert.equal(request.method, "POST");
  assert.equal(request.url, `${standin.url}/oauth_token.do`);
  assert.equal(request.body, "grant_type=client_credentials");
  assert.match(Object.fromEntries(request.headers).Authorization, /^Basic /);
  const requestedAt = Date.now();
  const response = await fetch(request.url, { method: request.method, headers: request.headers, body: request.body });
  const tokens = pkg.processTokenResponse(settings, "client_credentials", {
    status: response.status,
    headers: { "content-type": response.headers.get("content-type") },
    body: new Uint8Array(await response.arrayBuffer()),
  }, requestedAt);
  assert.equal(tokens.grantType, "client_credentials");
  assert.equal(tokens.issuedAt, requestedAt);
  assert.equal(await whoAmI(settings, tokens), "admin");
  const interactive = await rejection(pkg.grantRequest(oauthSettings(standin)));
  assertConnectionError(interactive, "interactive_grant");
});

test("JWT bearer with a generated RS256 key whose certificate is in the verifier map", async () => {
  const pair = await pkg.generateSigningKey();
  keepSecret(pair.privateKey);
  standin.configureClient(clientId, { jwtBearer: { keys: [{ kid: pair.keyId, pem: pair.certificate }] } });
  const settings = oauthSettings(standin, {
    grantType: "jwt_bearer", privateKey: pair.privateKey, jwtSubject: "itil.user", jwtKeyId: pair.keyId,
  });
  const config = pkg.validateConfig(settings).config;
  assert.deepEqual(
    [config.grantType, config.jwtSubject, config.jwtAudience, config.jwtAlgorithm, config.jwtKeyId],
    ["jwt_bearer", "itil.user", "client_id", "RS256", pair.keyId],
  );
  assert.ok(!JSON.stringify(config).includes("PRIVATE KEY"), "the key is not returned");
  const connection = new pkg.Connection(settings);
  const tokens = await connection.requestTokens();
  assert.equal(tokens.grantType, "jwt_bearer");
  assert.equal(tokens.refreshToken, null);
  assert.equal(await whoAmI(settings, tokens), "itil.user");
  // A fresh jti every time: the instance's JTI verification accepts each assertion once.
  const again = await connection.renewTokens(tokens);
  assert.equal(await whoAmI(settings, again), "itil.user");
  assert.deepEqual(standin.counters().token.byGrantTypeAndOutcome[JWT_GRANT], { ok: 2 });
  // The assertion as the request half shows it.
  const request = await connection.grantRequest();
  const form = new URLSearchParams(request.body);
  assert.equal(form.get("grant_type"), JWT_GRANT);
  assert.equal(form.get("client_id"), clientId);
  const assertion = form.get("assertion");
  recordSecret("assertion", assertion);
  assert.deepEqual(decodeProtectedHeader(assertion), { alg: "RS256", typ: "JWT", kid: pair.keyId });
  const claims = decodeJwt(assertion);
  assert.equal(claims.iss, clientId);
  assert.equal(claims.sub, "itil.user");
  assert.equal(claims.aud, clientId);
  assert.equal(claims.exp - claims.iat, 300);
  assert.match(claims.jti, /^[A-Za-z0-9_-]{22}$/);
});

test("JWT bearer with ES256, a JWKS URL serving two keys during a rotation, the token endpoint as audience and the email user field", async () => {
  const old = await pkg.generateSigningKey({ algorithm: "ES256" });
  const next = await pkg.generateSigningKey({ algorithm: "ES256" });
  keepSecret(old.privateKey);
  keepSecret(next.privateKey);
  const jwks = await startJwksServer([old.jwk, (await pkg.publicSigningKey(next.privateKey)).jwk]);
  try {
    standin.configureClient(clientId, {
      jwtBearer: { jwksUrl: jwks.url, audiences: ["token_endpoint"], userField: "email" },
    });
    for (const pair of [old, next]) {
      const settings = oauthSettings(standin, {
        grantType: "jwt_bearer", privateKey: pair.privateKey, jwtAlgorithm: "ES256", jwtKeyId: pair.keyId,
        jwtSubject: user(standin, "admin").email, jwtAudience: "token_endpoint",
      });
      const tokens = await pkg.requestTokens(settings);
      assert.equal(await whoAmI(settings, tokens), "admin");
    }
    assert.ok(jwks.hits >= 2);
  } finally {
    await jwks.close();
  }
});

test("JWT bearer refusals: a subject or key the instance does not know, with codes in RFC style and hints in ServiceNow's", async () => {
  const pair = await pkg.generateSigningKey({ algorithm: "ES256" });
  const stranger = await pkg.generateSigningKey({ algorithm: "ES256" });
  keepSecret(pair.privateKey);
  keepSecret(stranger.privateKey);
  standin.configureClient(clientId, { jwtBearer: { keys: [{ pem: pair.certificate }] } });
  const base = { grantType: "jwt_bearer", jwtAlgorithm: "ES256", privateKey: pair.privateKey, jwtSubject: "nobody" };
  const unknown = await rejection(pkg.requestTokens(oauthSettings(standin, base)));
  assertConnectionError(unknown, "access_denied");
  assert.equal(unknown.status, 401);
  assert.match(unknown.hint, /JWT verifier map/);
  assert.match(unknown.hint, /User Field/);
  standin.configure({ tokenErrorStyle: "rfc" });
  const subject = await rejection(pkg.requestTokens(oauthSettings(standin, base)));
  assertConnectionError(subject, "unknown_subject");
  assert.match(subject.hint, /User Field/);
  const wrongKey = await rejection(pkg.requestTokens(oauthSettings(standin, { ...base, jwtSubject: "admin", privateKey: stranger.privateKey })));
  assertConnectionError(wrongKey, "assertion_refused");
  assert.match(wrongKey.hint, /verifier map/);
  const audience = await rejection(pkg.requestTokens(oauthSettings(standin, { ...base, jwtSubject: "admin", jwtAudience: "token_endpoint" })));
  assertConnectionError(audience, "assertion_refused");
  assert.deepEqual(standin.counters().refusals[JWT_GRANT], {
    assertion_subject: 2, assertion_signature: 1, assertion_audience: 1,
  });
  // A test reports the refusal with its hint.
  const result = await pkg.testConnection(oauthSettings(standin, base));
  assert.equal(result.code, "unauthorized");
  assert.match(result.hint, /User Field/);
});

test("JWT bearer settings are checked before anything is sent", async () => {
  const ec = await pkg.generateSigningKey({ algorithm: "ES256" });
  keepSecret(ec.privateKey);
  const settings = oauthSettings(standin, { grantType: "jwt_bearer" });
  assert.deepEqual(pkg.validateConfig(settings).errors.map((e) => [e.field, e.code]), [
    ["jwtSubject", "required"], ["privateKey", "required"],
  ]);
  assert.equal(pkg.validateConfig(settings, { storedSecrets: ["privateKey"] }).errors.length, 1);
  const mismatch = await rejection(pkg.requestTokens({ ...settings, jwtSubject: "admin", privateKey: ec.privateKey }));
  assertConnectionError(mismatch, "invalid_config");
  assert.deepEqual(mismatch.errors.map((e) => [e.field, e.code]), [["privateKey", "key_algorithm_mismatch"]]);
  assert.ok(!JSON.stringify(mismatch.errors).includes(ec.privateKey.split("\n")[1]));
  assert.equal(standin.counters().token.total, 0);
});

test("password grant: opt-in, tokens with a refresh token, renewed by refresh and by the password when the refresh token dies", async () => {
  const itil = user(standin, "itil.user");
  const settings = oauthSettings(standin, { grantType: "password", username: itil.user_name, password: itil.password });
  const notAllowed = await rejection(pkg.requestTokens(settings));
  assertConnectionError(notAllowed, "access_denied");
  assert.match(notAllowed.hint, /glide\.oauth\.inbound\.ropc\.grant_type\.disabled/);
  standin.configureClient(clientId, { passwordGrant: true });
  const tokens = await pkg.requestTokens(settings);
  assert.equal(tokens.grantType, "password");
  assert.ok(tokens.refreshToken.length > 10);
  assert.equal(tokens.refreshExpiresAt - tokens.issuedAt, 8_640_000_000);
  assert.equal(await whoAmI(settings, tokens), "itil.user");
  assert.equal(pkg.tokenSummary(tokens).refreshExpiringSoon, false);
  const connection = new pkg.Connection(settings);
  assert.equal(connection.renewsByRefresh(tokens), true, "a live refresh token is used first");
  assert.equal(connection.renewsByRefresh({ ...tokens, refreshExpiresAt: tokens.issuedAt }), false);
  assert.equal(new pkg.Connection({ ...settings, grantType: "client_credentials" }).renewsByRefresh(tokens), false,
    "tokens of another grant are not refreshed");
  assert.throws(() => connection.renewsByRefresh({ accessToken: "x" }), { name: "ConnectionError" });
  const refreshed = await pkg.renewTokens(settings, tokens);
  assert.equal(refreshed.refreshToken, tokens.refreshToken, "refreshed, not granted again");
  assert.equal(refreshed.grantType, "password");
  standin.revokeAllTokens();
  const regranted = await pkg.renewTokens(settings, refreshed);
  assert.notEqual(regranted.refreshToken, tokens.refreshToken, "the password, after the refresh token was refused");
  assert.equal(await whoAmI(settings, regranted), "itil.user");
  assert.deepEqual(standin.counters().token.byGrantTypeAndOutcome, {
    password: { ok: 2, error: 1 }, refresh_token: { ok: 1, error: 1 },
  });
  // Its dead refresh token makes the status "expired", not "reauthorize": the password renews it.
  assert.equal(pkg.tokenStatus({ ...tokens, refreshExpiresAt: tokens.issuedAt }, tokens.expiresAt), "expired");
});

test("password grant refusals: a wrong password, and the grant switched off", async () => {
  standin.configureClient(clientId, { passwordGrant: true });
  const settings = oauthSettings(standin, { grantType: "password", username: "itil.user", password: "FAKE-wrong-password" });
  const wrong = await rejection(pkg.requestTokens(settings));
  assertConnectionError(wrong, "access_denied");
  assert.ok(!wrong.message.includes("FAKE-wrong-password"));
  standin.configure({ tokenErrorStyle: "rfc" });
  assertConnectionError(await rejection(pkg.requestTokens(settings)), "password_refused");
  standin.configure({ passwordGrantDisabled: true });
  const off = await rejection(pkg.requestTokens(settings));
  assertConnectionError(off, "unsupported_grant_type");
  assert.match(off.hint, /glide\.oauth\.inbound\.ropc\.grant_type\.disabled/);
});

test("the authorization-code grant is never requested without a person", async () => {
  const settings = oauthSettings(standin);
  const error = await rejection(pkg.requestTokens(settings));
  assertConnectionError(error, "interactive_grant");
  const none = await rejection(pkg.renewTokens(settings, null));
  assertConnectionError(none, "reauthorization_required");
  assert.equal(standin.counters().token.total, 0);
  // A code-grant token without a live refresh token is for a person; one stored before token sets
  // named their grant reads as such.
  const stored = { accessToken: "a", refreshToken: null, tokenType: "Bearer", scope: null, issuedAt: 1, expiresAt: 2, refreshExpiresAt: null };
  assert.equal(pkg.tokenStatus(stored, 2), "reauthorize");
  assert.equal(pkg.tokenStatus({ ...stored, grantType: "jwt_bearer" }, 2), "expired");
});
