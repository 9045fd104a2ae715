// The server-to-server grants: client credentials (off until switched on, then only for a client
// with an application user), the password grant (opt-in per client, switchable off instance-wide)
// and the JWT-bearer grant (assertions checked against PEM keys or a JWKS URL: signature, iss,
// aud, sub, exp, iat, jti), each with its success, every refusal in both error styles, the
// switches and admin routes that configure them, the counters and the secret log.

import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { generateKeyPairSync, randomUUID } from "node:crypto";
import { once } from "node:events";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";

import { exportJWK, SignJWT } from "jose";

import { api, rawRequest, seedClient, seedUser, sleep, tokenRequest, withStandin } from "../harness.js";

const SERVICENOW_GRANT_ERROR = { error: "server_error", error_description: "access_denied" };
const JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer";
const ME = `/api/now/table/sys_user?sysparm_query=${encodeURIComponent("sys_id=javascript:gs.getUserID()")}&sysparm_fields=user_name`;

const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 });
const otherRsa = generateKeyPairSync("rsa", { modulusLength: 2048 });
const ec = generateKeyPairSync("ec", { namedCurve: "P-256" });
const spki = (pair) => pair.publicKey.export({ type: "spki", format: "pem" });

async function whoAmI(s, accessToken) {
  const answer = await api(s, ME, { auth: `Bearer ${accessToken}` });
  assert.equal(answer.status, 200, answer.text);
  return answer.json.result[0].user_name;
}

function admin(s, method, route, body) {
  return rawRequest(s, `/__standin/${route}`, {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

function refusals(s, grant) {
  return s.counters().refusals[grant] ?? {};
}

// A self-signed certificate for the key pair, made by the openssl command line; undefined without it.
function certificateFor(pair) {
  if (!existsSync("/usr/bin/openssl")) return undefined;
  const dir = mkdtempSync(path.join(tmpdir(), "standin-cert-"));
  try {
    const keyFile = path.join(dir, "key.pem");
    writeFileSync(keyFile, pair.privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600 });
    return execFileSync("/usr/bin/openssl", ["req", "-x509", "-new", "-key", keyFile, "-subj", "/CN=standin test", "-days", "2"],
      { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const now = () => Math.floor(Date.now() / 1000);

// Signs an assertion for the seed client; `claims` override (undefined removes) the defaults.
function assertion(s, { key = rsa.privateKey, alg = "RS256", kid, claims = {} } = {}) {
  const defaults = { iss: seedClient(s).clientId, sub: "admin", aud: seedClient(s).clientId, exp: now() + 300, iat: now(), jti: randomUUID() };
  const payload = Object.fromEntries(Object.entries({ ...defaults, ...claims }).filter(([, v]) => v !== undefined));
  return new SignJWT(payload).setProtectedHeader({ alg, ...(kid ? { kid } : {}) }).sign(key);
}

function jwtGrant(s, value) {
  return tokenRequest(s, { grant_type: JWT_GRANT, ...(value === undefined ? {} : { assertion: value }) });
}

async function withJwtClient(options, settings, fn) {
  return withStandin(options, async (s) => {
    s.configureClient(seedClient(s).clientId, { jwtBearer: { keys: [{ kid: "rsa-1", pem: spki(rsa) }], ...settings } });
    return fn(s);
  });
}

// A JWKS endpoint on 127.0.0.1 whose keys a test can change; counts its requests.
async function startJwksServer(keys) {
  const state = { keys, hits: 0 };
  const server = createServer((_req, res) => {
    state.hits += 1;
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ keys: state.keys }));
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  state.url = `http://127.0.0.1:${server.address().port}/.well-known/jwks.json`;
  state.close = async () => {
    server.closeAllConnections();
    server.close();
    await once(server, "close");
  };
  return state;
}

// --- client credentials --------------------------------------------------------------------

test("client credentials are refused until switched on, the way an instance refuses them", () => withStandin({}, async (s) => {
  let answer = await tokenRequest(s, { grant_type: "client_credentials" });
  assert.equal(answer.status, 401);
  assert.deepEqual(answer.json, SERVICENOW_GRANT_ERROR);
  s.configure({ tokenErrorStyle: "rfc" });
  answer = await tokenRequest(s, { grant_type: "client_credentials" });
  assert.equal(answer.status, 400);
  assert.equal(answer.json.error, "unsupported_grant_type");
  assert.match(answer.json.error_description, /glide\.oauth\.inbound\.client\.credential\.grant_type\.enabled/);
  assert.deepEqual(refusals(s, "client_credentials"), { client_credentials_disabled: 2 });
  assert.deepEqual(s.counters().token.byGrantTypeAndOutcome.client_credentials, { error: 2 });
}));

test("client credentials without an OAuth Application User: unauthorized_client, integration user is not configured", () => withStandin({ clientCredentialsEnabled: true }, async (s) => {
  let answer = await tokenRequest(s, { grant_type: "client_credentials" });
  assert.equal(answer.status, 401);
  assert.deepEqual(answer.json, { error: "unauthorized_client", error_description: "integration user is not configured" });
  s.configure({ tokenErrorStyle: "rfc" });
  answer = await tokenRequest(s, { grant_type: "client_credentials" });
  assert.equal(answer.status, 400);
  assert.equal(answer.json.error, "unauthorized_client");
  assert.deepEqual(refusals(s, "client_credentials"), { application_user_missing: 2 });
}));

test("client credentials with an application user: a token of that user, no refresh token", () => withStandin({ clientCredentialsEnabled: true }, async (s) => {
  s.configureClient(seedClient(s).clientId, { applicationUser: "itil.user" });
  const answer = await tokenRequest(s, { grant_type: "client_credentials" }, { clientAuth: "basic" });
  assert.equal(answer.status, 200, answer.text);
  assert.equal(answer.headers.get("content-type"), "application/json;charset=UTF-8");
  assert.deepEqual(Object.keys(answer.json), ["access_token", "scope", "token_type", "expires_in"]);
  assert.equal(answer.json.scope, "useraccount");
  assert.equal(answer.json.token_type, "Bearer");
  assert.ok([1799, 1798].includes(answer.json.expires_in));
  assert.equal(await whoAmI(s, answer.json.access_token), "itil.user");
  assert.equal((await api(s, "/api/now/table/incident", { auth: `Bearer ${answer.json.access_token}` })).status, 200);
  assert.equal((await api(s, "/api/now/table/sys_db_object", { method: "POST", auth: `Bearer ${answer.json.access_token}`, body: "{}" })).status, 403,
    "the token has the application user's roles, no more");

  const wrongSecret = await tokenRequest(s, { grant_type: "client_credentials" }, { client: { ...seedClient(s), clientSecret: "wrong" } });
  assert.equal(wrongSecret.status, 401);
  assert.deepEqual(wrongSecret.json, SERVICENOW_GRANT_ERROR);
  assert.deepEqual(s.counters().token.byGrantTypeAndOutcome.client_credentials, { ok: 1, error: 1 });
  assert.deepEqual(refusals(s, "client_credentials"), { invalid_client: 1 });
}));

test("client credentials over the admin routes: switch, application user, expiry, revoke", { timeout: 15000 }, () => withStandin({}, async (s) => {
  const id = seedClient(s).clientId;
  assert.equal((await admin(s, "POST", "config", { clientCredentialsEnabled: true, accessTtl: 1 })).json.clientCredentialsEnabled, true);
  let answer = await admin(s, "PATCH", `clients/${id}`, { applicationUser: "admin" });
  assert.equal(answer.status, 200);
  assert.equal(answer.json.applicationUser, "admin");
  assert.equal(answer.json.clientSecret, undefined, "the secret is never shown");
  assert.equal((await admin(s, "GET", `clients/${id}`)).json.applicationUser, "admin");
  const first = await tokenRequest(s, { grant_type: "client_credentials" });
  assert.equal(first.status, 200);
  assert.equal(await whoAmI(s, first.json.access_token), "admin");
  await sleep(1100);
  assert.equal((await api(s, ME, { auth: `Bearer ${first.json.access_token}` })).status, 401, "expired");
  const second = await tokenRequest(s, { grant_type: "client_credentials" });
  assert.notEqual(second.json.access_token, first.json.access_token);
  s.revokeAllTokens();
  assert.equal((await api(s, ME, { auth: `Bearer ${second.json.access_token}` })).status, 401, "revoked");

  answer = await admin(s, "PATCH", `clients/${id}`, { applicationUser: null });
  assert.equal(answer.json.applicationUser, null);
  assert.deepEqual((await tokenRequest(s, { grant_type: "client_credentials" })).json, { error: "unauthorized_client", error_description: "integration user is not configured" });
  await admin(s, "POST", "config", { clientCredentialsEnabled: false });
  assert.deepEqual((await tokenRequest(s, { grant_type: "client_credentials" })).json, SERVICENOW_GRANT_ERROR);
}));

// --- password --------------------------------------------------------------------------------

test("the password grant is off for a client until allowed; then tokens with a refresh token that refreshes", () => withStandin({}, async (s) => {
  const itil = seedUser(s, "itil.user");
  let answer = await tokenRequest(s, { grant_type: "password", username: itil.user_name, password: itil.password });
  assert.equal(answer.status, 401);
  assert.deepEqual(answer.json, SERVICENOW_GRANT_ERROR);
  assert.deepEqual(refusals(s, "password"), { password_grant_not_allowed: 1 });

  s.configureClient(seedClient(s).clientId, { passwordGrant: true });
  answer = await tokenRequest(s, { grant_type: "password", username: itil.user_name, password: itil.password });
  assert.equal(answer.status, 200, answer.text);
  assert.deepEqual(Object.keys(answer.json), ["access_token", "refresh_token", "scope", "token_type", "expires_in"]);
  assert.equal(answer.json.scope, "useraccount");
  assert.equal(await whoAmI(s, answer.json.access_token), "itil.user");

  const refreshed = await tokenRequest(s, { grant_type: "refresh_token", refresh_token: answer.json.refresh_token });
  assert.equal(refreshed.status, 200, refreshed.text);
  assert.equal(refreshed.json.refresh_token, answer.json.refresh_token, "the same refresh token, as for the code grant");
  assert.notEqual(refreshed.json.access_token, answer.json.access_token);
  assert.equal(await whoAmI(s, refreshed.json.access_token), "itil.user");
  assert.deepEqual(s.counters().token.byGrantTypeAndOutcome, { password: { error: 1, ok: 1 }, refresh_token: { ok: 1 } });
}));

test("password grant refusals: wrong password, unknown user, missing fields; RFC style names them", () => withStandin({}, async (s) => {
  s.configureClient(seedClient(s).clientId, { passwordGrant: true });
  const cases = [
    [{ username: "admin", password: "FAKE-not-the-password" }, "user_credentials_invalid", "invalid_grant"],
    [{ username: "nobody", password: "FAKE-not-the-password" }, "user_credentials_invalid", "invalid_grant"],
    [{ username: "admin" }, "credentials_missing", "invalid_request"],
  ];
  for (const [params, reason, rfcError] of cases) {
    s.configure({ tokenErrorStyle: "servicenow" });
    let answer = await tokenRequest(s, { grant_type: "password", ...params });
    assert.equal(answer.status, 401, reason);
    assert.deepEqual(answer.json, SERVICENOW_GRANT_ERROR);
    s.configure({ tokenErrorStyle: "rfc" });
    answer = await tokenRequest(s, { grant_type: "password", ...params });
    assert.equal(answer.status, 400, reason);
    assert.equal(answer.json.error, rfcError);
  }
  assert.deepEqual(refusals(s, "password"), { user_credentials_invalid: 4, credentials_missing: 2 });
}));

test("passwordGrantDisabled (glide.oauth.inbound.ropc.grant_type.disabled) refuses it for every client", () => withStandin({ passwordGrantDisabled: true }, async (s) => {
  const user = seedUser(s, "admin");
  await admin(s, "PATCH", `clients/${seedClient(s).clientId}`, { passwordGrant: true });
  let answer = await tokenRequest(s, { grant_type: "password", username: user.user_name, password: user.password });
  assert.equal(answer.status, 401);
  s.configure({ tokenErrorStyle: "rfc" });
  answer = await tokenRequest(s, { grant_type: "password", username: user.user_name, password: user.password });
  assert.equal(answer.json.error, "unsupported_grant_type");
  assert.match(answer.json.error_description, /glide\.oauth\.inbound\.ropc\.grant_type\.disabled/);
  assert.deepEqual(refusals(s, "password"), { password_grant_disabled: 2 });
  await admin(s, "POST", "config", { passwordGrantDisabled: false });
  assert.equal((await tokenRequest(s, { grant_type: "password", username: user.user_name, password: user.password })).status, 200);
}));

// --- JWT bearer ------------------------------------------------------------------------------

test("JWT bearer with an SPKI key: a token of the subject, no refresh token, counted", () => withJwtClient({}, {}, async (s) => {
  const answer = await jwtGrant(s, await assertion(s, { kid: "rsa-1", claims: { sub: "itil.user" } }));
  assert.equal(answer.status, 200, answer.text);
  assert.deepEqual(Object.keys(answer.json), ["access_token", "scope", "token_type", "expires_in"]);
  assert.ok([1799, 1798].includes(answer.json.expires_in));
  assert.equal(await whoAmI(s, answer.json.access_token), "itil.user");
  const noKid = await jwtGrant(s, await assertion(s, { kid: undefined }));
  assert.equal(noKid.status, 401, "a key with a kid is used only for that kid");
  assert.deepEqual(s.counters().token.byGrantTypeAndOutcome[JWT_GRANT], { ok: 1, error: 1 });
  assert.deepEqual(refusals(s, JWT_GRANT), { assertion_signature: 1 });
}));

test("JWT bearer with ES256, a PEM certificate and the email user field", { skip: certificateFor(ec) ? false : "openssl is not installed" }, () => withStandin({}, async (s) => {
  s.configureClient(seedClient(s).clientId, { jwtBearer: { keys: [{ pem: certificateFor(ec) }], userField: "email" } });
  let answer = await jwtGrant(s, await assertion(s, { key: ec.privateKey, alg: "ES256", kid: "anything", claims: { sub: "itil.user@example.invalid" } }));
  assert.equal(answer.status, 200, answer.text);
  assert.equal(await whoAmI(s, answer.json.access_token), "itil.user");
  answer = await jwtGrant(s, await assertion(s, { key: ec.privateKey, alg: "ES256", claims: { sub: "itil.user" } }));
  assert.equal(answer.status, 401, "the user name does not match on the email field");
  assert.deepEqual(refusals(s, JWT_GRANT), { assertion_subject: 1 });
}));

test("JWT bearer refusals: each check answers ServiceNow's 401 and counts its own reason", () => withJwtClient({}, {}, async (s) => {
  const tokenEndpoint = `${s.url}/oauth_token.do`;
  const [header, payload] = (await assertion(s, { kid: "rsa-1" })).split(".");
  const cases = [
    ["assertion_signature", assertion(s, { key: otherRsa.privateKey, kid: "rsa-1" })],
    ["assertion_issuer", assertion(s, { kid: "rsa-1", claims: { iss: "someone-else" } })],
    ["assertion_audience", assertion(s, { kid: "rsa-1", claims: { aud: tokenEndpoint } })],
    ["assertion_subject", assertion(s, { kid: "rsa-1", claims: { sub: "nobody" } })],
    ["assertion_expired", assertion(s, { kid: "rsa-1", claims: { exp: now() - 5, iat: now() - 60 } })],
    ["assertion_issued_in_future", assertion(s, { kid: "rsa-1", claims: { iat: now() + 120 } })],
    ["assertion_claim_missing", assertion(s, { kid: "rsa-1", claims: { exp: undefined } })],
    ["assertion_claim_missing", assertion(s, { kid: "rsa-1", claims: { iat: undefined } })],
    ["assertion_claim_missing", assertion(s, { kid: "rsa-1", claims: { jti: undefined } })],
    ["assertion_claim_missing", assertion(s, { kid: "rsa-1", claims: { sub: undefined } })],
    ["assertion_algorithm", Promise.resolve(`${Buffer.from('{"alg":"none"}').toString("base64url")}.${payload}.`)],
    ["assertion_algorithm", new SignJWT({ sub: "admin" }).setProtectedHeader({ alg: "HS256" }).sign(new TextEncoder().encode("FAKE-shared-key-0123456789abcdef"))],
    ["assertion_malformed", Promise.resolve("not-a-jwt")],
    ["assertion_malformed", Promise.resolve(`${header}.${payload}`)],
    ["assertion_missing", Promise.resolve(undefined)],
  ];
  const expected = {};
  for (const [reason, pending] of cases) {
    const answer = await jwtGrant(s, await pending);
    assert.equal(answer.status, 401, reason);
    assert.deepEqual(answer.json, SERVICENOW_GRANT_ERROR, reason);
    expected[reason] = (expected[reason] ?? 0) + 1;
  }
  assert.deepEqual(refusals(s, JWT_GRANT), expected);
  assert.deepEqual(s.counters().token.byGrantTypeAndOutcome[JWT_GRANT], { error: cases.length });
}));

test("JWT bearer in RFC style: 400 invalid_grant with what failed; jti is single use", () => withJwtClient({ tokenErrorStyle: "rfc" }, {}, async (s) => {
  let answer = await jwtGrant(s, await assertion(s, { kid: "rsa-1", claims: { exp: now() - 5, iat: now() - 60 } }));
  assert.equal(answer.status, 400);
  assert.deepEqual(answer.json, { error: "invalid_grant", error_description: "the assertion has expired (exp)" });
  answer = await jwtGrant(s, undefined);
  assert.equal(answer.json.error, "invalid_request");

  const once = await assertion(s, { kid: "rsa-1" });
  assert.equal((await jwtGrant(s, once)).status, 200);
  answer = await jwtGrant(s, once);
  assert.equal(answer.status, 400);
  assert.deepEqual(answer.json, { error: "invalid_grant", error_description: "the assertion's jti was already used" });

  s.configureClient(seedClient(s).clientId, { jwtBearer: null });
  answer = await jwtGrant(s, await assertion(s, { kid: "rsa-1" }));
  assert.equal(answer.json.error, "unauthorized_client");
  answer = await tokenRequest(s, { grant_type: JWT_GRANT, assertion: await assertion(s, { kid: "rsa-1" }) }, { client: { ...seedClient(s), clientSecret: "wrong" } });
  assert.equal(answer.status, 401);
  assert.equal(answer.json.error, "invalid_client");
  assert.deepEqual(refusals(s, JWT_GRANT), { assertion_expired: 1, assertion_missing: 1, assertion_replayed: 1, jwt_bearer_not_configured: 1, invalid_client: 1 });
}));

test("JWT bearer settings: accepted audiences, clock skew, JTI verification off, a different issuer", () => withJwtClient({}, {}, async (s) => {
  const id = seedClient(s).clientId;
  const tokenEndpoint = `${s.url}/oauth_token.do`;
  const toEndpoint = () => assertion(s, { kid: "rsa-1", claims: { aud: tokenEndpoint } });
  assert.equal((await jwtGrant(s, await toEndpoint())).status, 401);
  let view = await admin(s, "PATCH", `clients/${id}`, { jwtBearer: { keys: [{ kid: "rsa-1", pem: spki(rsa) }], audiences: ["token_endpoint"] } });
  assert.equal(view.status, 200);
  assert.deepEqual(view.json.jwtBearer.audiences, ["token_endpoint"]);
  assert.equal((await jwtGrant(s, await toEndpoint())).status, 200);
  assert.equal((await jwtGrant(s, await assertion(s, { kid: "rsa-1" }))).status, 401, "the client id is no longer accepted");
  s.configureClient(id, { jwtBearer: { keys: [{ kid: "rsa-1", pem: spki(rsa) }], audiences: ["client_id", "token_endpoint"] } });
  assert.equal((await jwtGrant(s, await toEndpoint())).status, 200);
  assert.equal((await jwtGrant(s, await assertion(s, { kid: "rsa-1", claims: { aud: [id, "other"] } }))).status, 200, "an aud array containing the client id");

  const late = () => assertion(s, { kid: "rsa-1", claims: { exp: now() - 10, iat: now() - 70 } });
  assert.equal((await jwtGrant(s, await late())).status, 401);
  s.configureClient(id, { jwtBearer: { keys: [{ kid: "rsa-1", pem: spki(rsa) }], clockSkewSeconds: 30 } });
  assert.equal((await jwtGrant(s, await late())).status, 200);

  s.configureClient(id, { jwtBearer: { keys: [{ kid: "rsa-1", pem: spki(rsa) }], jtiVerification: false, issuer: "https://issuer.example" } });
  const reusable = await assertion(s, { kid: "rsa-1", claims: { iss: "https://issuer.example", jti: undefined } });
  assert.equal((await jwtGrant(s, reusable)).status, 200);
  assert.equal((await jwtGrant(s, reusable)).status, 200, "without JTI verification an assertion may be used again");
  assert.equal((await jwtGrant(s, await assertion(s, { kid: "rsa-1" }))).status, 401, "iss must now be the configured issuer");
}));

test("JWT bearer with a JWKS URL on 127.0.0.1: kid lookup, key rotation, counted fetches, an unreachable JWKS", () => withStandin({}, async (s) => {
  const first = { ...(await exportJWK(rsa.publicKey)), kid: "k1", alg: "RS256", use: "sig" };
  const jwks = await startJwksServer([first]);
  try {
    const id = seedClient(s).clientId;
    const view = await admin(s, "PATCH", `clients/${id}`, { jwtBearer: { jwksUrl: jwks.url } });
    assert.equal(view.status, 200, view.text);
    assert.equal(view.json.jwtBearer.jwksUrl, jwks.url);
    let answer = await jwtGrant(s, await assertion(s, { kid: "k1" }));
    assert.equal(answer.status, 200, answer.text);
    assert.equal(await whoAmI(s, answer.json.access_token), "admin");

    jwks.keys = [{ ...(await exportJWK(ec.publicKey)), kid: "k2", alg: "ES256", use: "sig" }];
    answer = await jwtGrant(s, await assertion(s, { key: ec.privateKey, alg: "ES256", kid: "k2" }));
    assert.equal(answer.status, 200, "a rotated key is fetched again");
    answer = await jwtGrant(s, await assertion(s, { kid: "k1" }));
    assert.equal(answer.status, 401, "the retired key no longer verifies");
    assert.ok(jwks.hits >= 3);
    assert.equal(s.counters().jwks.byOutcome.ok, jwks.hits);
  } finally {
    await jwks.close();
  }
  const answer = await jwtGrant(s, await assertion(s, { kid: "k1" }));
  assert.equal(answer.status, 401);
  assert.equal(refusals(s, JWT_GRANT).jwks_unavailable, 1);
  assert.equal(s.counters().jwks.byOutcome.error, 1);
}));

test("client settings are validated whole, over PATCH, PUT and in-process, with the field named", () => withStandin({}, async (s) => {
  const id = seedClient(s).clientId;
  const bad = [
    [{ applicationUser: "nobody" }, /applicationUser/],
    [{ passwordGrant: "yes" }, /passwordGrant/],
    [{ jwtBearer: { keys: [] } }, /at least one key or a jwksUrl/],
    [{ jwtBearer: { jwksUrl: "https://login.example.com/jwks" } }, /127\.0\.0\.1/],
    [{ jwtBearer: { jwksUrl: "http://localhost:1/jwks" } }, /127\.0\.0\.1/],
    [{ jwtBearer: { keys: [{ pem: "-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----" }] } }, /keys\[0\]\.pem/],
    [{ jwtBearer: { keys: [{ pem: "hello" }] } }, /keys\[0\]\.pem/],
    [{ jwtBearer: { keys: [{ pem: spki(rsa) }], audiences: ["everyone"] } }, /audiences/],
    [{ jwtBearer: { keys: [{ pem: spki(rsa) }], userField: "password" } }, /userField/],
    [{ jwtBearer: { keys: [{ pem: spki(rsa) }], colour: "blue" } }, /jwtBearer\.colour/],
    [{ secret: "x" }, /secret: is not a client setting/],
    [{ passwordGrant: true, applicationUser: "nobody" }, /applicationUser/],
  ];
  for (const [patch, message] of bad) {
    const answer = await admin(s, "PATCH", `clients/${id}`, patch);
    assert.equal(answer.status, 400, JSON.stringify(patch));
    assert.equal(answer.json.error.message, "Invalid client");
    assert.match(answer.json.error.detail, message);
  }
  assert.deepEqual(s.client(id), {
    clientId: id,
    clientName: seedClient(s).clientName,
    redirectUris: seedClient(s).redirectUris,
    applicationUser: null,
    passwordGrant: false,
    jwtBearer: null,
  }, "nothing of a refused patch was applied");
  assert.equal((await admin(s, "PATCH", "clients/no-such-client", { passwordGrant: true })).status, 404);
  assert.equal((await admin(s, "GET", "clients/no-such-client")).status, 404);
  assert.throws(() => s.configureClient(id, { applicationUser: "nobody" }), { name: "ClientError" });

  const put = await admin(s, "PUT", "clients/m2m", {
    clientSecret: "FAKE-m2m-secret-5b0c9e1d7a3f", redirectUris: ["http://127.0.0.1:1/cb"], applicationUser: "admin", passwordGrant: true,
  });
  assert.equal(put.status, 200);
  assert.deepEqual(put.json, { clientId: "m2m", redirectUris: ["http://127.0.0.1:1/cb"] });
  assert.equal(s.client("m2m").applicationUser, "admin");
  await s.addClient({ clientId: "m2m", clientSecret: "FAKE-m2m-secret-5b0c9e1d7a3f", redirectUris: ["http://127.0.0.1:1/cb"] });
  assert.equal(s.client("m2m").applicationUser, null, "replacing a client resets its grant settings");
  await assert.rejects(s.addClient({ clientId: "x", clientSecret: "y", redirectUris: ["http://127.0.0.1:1/cb"], jwtBearer: { keys: "none" } }), { name: "ClientError" });
}));

test("grant settings from the seed at start", () => withStandin({
  clientCredentialsEnabled: true,
  seed: {
    users: [{ sys_id: "f".repeat(32), user_name: "svc.integration", password: "FAKE-svc-pw-0b1c2d3e4f5a6978", roles: ["itil"] }],
    clients: [{ clientId: "seeded-m2m", clientSecret: "FAKE-seeded-m2m-secret-7c6d5e4f", redirectUris: ["http://127.0.0.1:1/cb"], applicationUser: "svc.integration", jwtBearer: { keys: [{ pem: spki(rsa) }] } }],
    acls: {},
    tables: {},
  },
}, async (s) => {
  const client = s.seed.clients[0];
  let answer = await tokenRequest(s, { grant_type: "client_credentials" }, { client });
  assert.equal(answer.status, 200, answer.text);
  assert.equal(await whoAmI(s, answer.json.access_token), "svc.integration");
  const signed = await new SignJWT({ iss: client.clientId, aud: client.clientId, sub: "svc.integration", jti: randomUUID() })
    .setProtectedHeader({ alg: "RS256" }).setIssuedAt().setExpirationTime("5m").sign(rsa.privateKey);
  answer = await tokenRequest(s, { grant_type: JWT_GRANT, assertion: signed }, { client });
  assert.equal(answer.status, 200, answer.text);
}));

test("the secret log records every issued token, every assertion and every password received", () => withStandin({ clientCredentialsEnabled: true }, async (s) => {
  const dir = mkdtempSync(path.join(tmpdir(), "standin-secrets-"));
  const log = path.join(dir, "standin.secrets.jsonl");
  const previous = process.env.STANDIN_SECRET_LOG;
  process.env.STANDIN_SECRET_LOG = log;
  try {
    s.configureClient(seedClient(s).clientId, { applicationUser: "admin", passwordGrant: true, jwtBearer: { keys: [{ kid: "rsa-1", pem: spki(rsa) }] } });
    const user = seedUser(s, "itil.user");
    const cc = await tokenRequest(s, { grant_type: "client_credentials" });
    const signed = await assertion(s, { kid: "rsa-1" });
    const jwt = await jwtGrant(s, signed);
    const refused = await assertion(s, { kid: "rsa-1", claims: { sub: "nobody" } });
    await jwtGrant(s, refused);
    const pw = await tokenRequest(s, { grant_type: "password", username: user.user_name, password: user.password });
    const recorded = readFileSync(log, "utf8").trim().split("\n").map((line) => JSON.parse(line));
    const has = (kind, value) => recorded.some((r) => r.kind === kind && r.value === value && r.source === "servicenow-standin");
    assert.ok(has("access_token", cc.json.access_token));
    assert.ok(has("access_token", jwt.json.access_token));
    assert.ok(has("access_token", pw.json.access_token));
    assert.ok(has("refresh_token", pw.json.refresh_token));
    assert.ok(has("assertion", signed));
    assert.ok(has("assertion", refused), "refused assertions too");
    assert.ok(has("password", user.password));
  } finally {
    if (previous === undefined) delete process.env.STANDIN_SECRET_LOG;
    else process.env.STANDIN_SECRET_LOG = previous;
    rmSync(dir, { recursive: true, force: true });
  }
}));
