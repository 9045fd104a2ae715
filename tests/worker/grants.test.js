// The unattended grants through the worker, against the stand-in's real token endpoint: for client
// credentials, JWT bearer and the password grant, Generate obtains the token at once (no window, no
// pending authorization) and says which user it acts as; a connection never generated gets its token
// on first use; an expired token is obtained again (refreshed first where a refresh token lives) and
// never reported as "re-authorization required"; a refused access token is replaced once; a storm of
// concurrent requests costs one token call for each grant; a password-grant refresh token the
// instance no longer accepts is followed by one new password grant. The instance refusing the
// credentials (client credentials switched off, no application user, an assertion signed with an
// unknown key, an unknown subject, a wrong password) is 409 with the cause and a hint, marks the
// connection, and is not tried again until the settings are saved or Generate is clicked.

import { beforeEach, describe, test } from "node:test";
import assert from "node:assert/strict";

import { CLIENT_SECRET, secretsIn, workerSuite } from "./support/harness.js";
import {
  APPLICATION_USER, GRANTS_CLIENT_ID, JWT_SUBJECT, PASSWORD_USER, addGrantsClient, grantSettings, signingKeyPair, tokenCalls,
} from "./support/grants.js";

let worker;
let standin;
let counter = 0;
// The key the stand-in's client trusts (its verifier map), and one it does not know.
const trusted = signingKeyPair("RS256");
const stranger = signingKeyPair("RS256");
const trustedEc = signingKeyPair("ES256");

workerSuite(async (started) => {
  ({ worker, standin } = started);
});

beforeEach(async () => {
  standin.configure({
    accessTtl: 1800, tokenFault: null, apiFault: null, tokenErrorStyle: "rfc", clientCredentialsEnabled: true, passwordGrantDisabled: false,
  });
  await addGrantsClient(standin, worker, {
    jwtBearer: { keys: [{ pem: trusted.publicKey }, { pem: trustedEc.publicKey }], audiences: ["client_id"], userField: "user_name" },
  });
});

function nextId(prefix) {
  counter += 1;
  return `${prefix}-${counter}`;
}

/** A saved connection of `grantType` (JWT bearer signs with the trusted key unless told otherwise). */
async function saved(grantType, extra = {}) {
  const id = nextId(grantType.replaceAll("_", "-"));
  const keyed = grantType === "jwt_bearer" ? { privateKey: trusted.privateKey, ...extra } : extra;
  const put = await worker.putConnection(id, grantSettings(standin, grantType, keyed));
  assert.equal(put.status, 201, put.text);
  return id;
}

async function generate(id) {
  return worker.admin(`/api/connections/${id}/oauth/generate`, { method: "POST" });
}

function forward(id, n = 0) {
  return worker.admin(`/api/connections/${id}/now/table/incident?sysparm_limit=1&n=${n}`);
}

async function view(id) {
  return (await worker.admin(`/api/connections/${id}`)).json;
}

/** Polls the view until the token's user is known (it is read after the token, off the request's path). */
async function tokenUser(id) {
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const token = (await view(id)).token;
    if (token?.user) return token.user;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return null;
}

async function adminEvents(id) {
  return (await worker.admin(`/api/connections/${id}/audit?log=admin`)).json.entries;
}

const USER_OF = { client_credentials: APPLICATION_USER, jwt_bearer: JWT_SUBJECT, password: PASSWORD_USER };

for (const grantType of ["client_credentials", "jwt_bearer", "password"]) {
  describe(`${grantType}: tokens without a person`, () => {
    test("Generate obtains the token at once: no authorization URL, no pending request, the user it acts as", async () => {
      const id = await saved(grantType);
      standin.resetCounters();
      const generated = await generate(id);
      assert.equal(generated.status, 200, generated.text);
      assert.equal(generated.json.grantType, grantType);
      assert.equal(generated.json.obtained, true);
      assert.equal(generated.json.authorizationUrl, undefined);
      assert.equal(generated.json.token.status, "fresh");
      assert.equal(generated.json.token.grantType, grantType);
      assert.deepEqual(generated.json.token.user, { known: true, userName: USER_OF[grantType], name: generated.json.token.user.name });
      if (grantType === "jwt_bearer") assert.equal(generated.json.token.subject, JWT_SUBJECT);
      else assert.equal(generated.json.token.subject, undefined);
      assert.deepEqual(tokenCalls(standin, grantType), { ok: 1 });
      assert.equal(standin.counters().authorization.total, 0, "no authorization page was involved");
      const keys = await worker.hook("keys", { id });
      assert.ok(!keys.some((key) => key.startsWith("oauth-state:")), "no pending authorization");
      const tokens = await worker.storedTokens(id);
      assert.equal(tokens.grantType, grantType);
      assert.equal(Boolean(tokens.refreshToken), grantType === "password", "only the password grant brings a refresh token");

      const answer = await forward(id);
      assert.equal(answer.status, 200, answer.text);
      const listed = (await worker.admin("/api/connections")).json.connections.find((c) => c.id === id);
      assert.equal(listed.grantType, grantType);
      assert.equal(listed.token.grantType, grantType);
      assert.equal(listed.token.status, "fresh");
      const [event] = await adminEvents(id);
      assert.deepEqual({ event: event.event, grantType: event.grantType, status: event.status, code: event.code },
        { event: "generate", grantType, status: 200, code: "ok" });
      assert.deepEqual(secretsIn(generated.text), []);
    });

    test("a connection never generated gets its token on first use: 40 requests at once, one token call", async () => {
      const id = await saved(grantType);
      assert.equal((await view(id)).token.status, "none");
      assert.match((await view(id)).token.message, /requested on the first use/);
      // Hold the grant at the token endpoint so that every request arrives while it runs.
      standin.configure({ tokenFault: { kind: "delay", delayMs: 300, count: 1 } });
      standin.resetCounters();
      const answers = await Promise.all(Array.from({ length: 40 }, (_, n) => forward(id, n)));
      assert.deepEqual(answers.map((a) => a.status), Array(40).fill(200));
      assert.equal(standin.counters().token.total, 1);
      assert.deepEqual(tokenCalls(standin, grantType), { ok: 1 });
      assert.equal((await view(id)).token.status, "fresh");
      assert.equal((await tokenUser(id))?.userName, USER_OF[grantType]);
      await worker.storedTokens(id);
      const events = await adminEvents(id);
      assert.ok(events.some((e) => e.event === "token_obtained" && e.grantType === grantType && e.who.kind === "worker"), JSON.stringify(events));
    });

    test("an expired token is obtained again (never re-authorization): 40 requests at once, one token call", async () => {
      const id = await saved(grantType);
      assert.equal((await generate(id)).status, 200);
      const before = await worker.storedTokens(id);
      await worker.hook("expire-access-token", { id, expiresAt: Date.now() - 1000 });
      const expired = (await view(id)).token;
      assert.equal(expired.status, "expired");
      assert.doesNotMatch(expired.message, /re-?authoriz/i);
      standin.configure({ tokenFault: { kind: "delay", delayMs: 300, count: 1 } });
      standin.resetCounters();
      const answers = await Promise.all(Array.from({ length: 40 }, (_, n) => forward(id, n)));
      assert.deepEqual(answers.map((a) => a.status), Array(40).fill(200));
      assert.equal(standin.counters().token.total, 1);
      // The password grant refreshes while its refresh token lives; the others run the grant again.
      assert.deepEqual(tokenCalls(standin, grantType === "password" ? "refresh_token" : grantType), { ok: 1 });
      const after = await worker.storedTokens(id);
      assert.notEqual(after.accessToken, before.accessToken);
      assert.equal((await view(id)).token.status, "fresh");
    });

    test("an access token the instance refuses (401) is replaced once and the requests retried", async () => {
      const id = await saved(grantType);
      assert.equal((await generate(id)).status, 200);
      await worker.storedTokens(id);
      await worker.hook("replace-access-token", { id, token: "FAKE-refused-access-token" });
      standin.resetCounters();
      const answers = await Promise.all(Array.from({ length: 10 }, (_, n) => forward(id, n)));
      assert.deepEqual(answers.map((a) => a.status), Array(10).fill(200));
      assert.equal(standin.counters().token.total, 1, "ten 401s share one renewal");
      await worker.storedTokens(id);
    });

    test("Test Connection: stored settings obtain a token; typed settings request one and store nothing", async () => {
      const id = await saved(grantType);
      standin.resetCounters();
      const stored = await worker.admin(`/api/connections/${id}/test`, { method: "POST" });
      assert.equal(stored.json.ok, true, stored.text);
      assert.equal(stored.json.tested, "stored");
      assert.equal(standin.counters().token.total, 1);
      await worker.storedTokens(id);

      const typedId = nextId("typed");
      const settings = grantSettings(standin, grantType, grantType === "jwt_bearer" ? { privateKey: trusted.privateKey } : {});
      standin.resetCounters();
      const typed = await worker.admin(`/api/connections/${typedId}/test`, { method: "POST", body: { settings } });
      assert.equal(typed.json.ok, true, typed.text);
      assert.equal(typed.json.tested, "typed");
      assert.equal(standin.counters().token.total, 1, "a token was requested for the test");
      assert.deepEqual(await worker.hook("keys", { id: typedId }), [], "and nothing was stored");
      assert.ok(!(await worker.admin("/api/connections")).json.connections.some((c) => c.id === typedId));

      // Typed settings of a stored connection: its own token is neither used nor replaced.
      const storedTokens = await worker.hook("tokens", { id });
      const again = await worker.admin(`/api/connections/${id}/test`, { method: "POST", body: { settings: { ...settings, clientSecret: "" } } });
      assert.equal(again.json.ok, true, again.text);
      assert.deepEqual(await worker.hook("tokens", { id }), storedTokens);
    });

    test("Reset clears the token; the next request obtains a new one without a person", async () => {
      const id = await saved(grantType);
      assert.equal((await generate(id)).status, 200);
      await worker.storedTokens(id);
      const reset = await worker.admin(`/api/connections/${id}/token`, { method: "DELETE" });
      assert.equal(reset.json.token.status, "none");
      standin.resetCounters();
      assert.equal((await forward(id)).status, 200);
      assert.deepEqual(tokenCalls(standin, grantType), { ok: 1 });
      await worker.storedTokens(id);
    });
  });
}

/** Asserts the 409 refusal with its code and a hint, and that the connection is marked. */
async function assertRefused(id, answer, code, hint) {
  assert.equal(answer.status, 409, answer.text);
  assert.equal(answer.json.error.code, code, answer.text);
  if (hint) assert.match(answer.json.error.hint ?? "", hint);
  const token = (await view(id)).token;
  assert.equal(token.status, "reauthorization_required");
  assert.ok(token.message.length > 0);
  const events = await adminEvents(id);
  assert.ok(events.some((e) => e.event === "token_refused" && e.code === code), JSON.stringify(events));
}

/** After a refusal, requests are refused without asking the instance again, until the settings are saved. */
async function assertNotRetriedUntilSaved(id, settings) {
  standin.resetCounters();
  for (let n = 0; n < 3; n += 1) {
    const answer = await forward(id, n);
    assert.equal(answer.status, 409, answer.text);
    assert.equal(answer.json.error.code, "reauthorization_required");
  }
  const tested = await worker.admin(`/api/connections/${id}/test`, { method: "POST" });
  assert.equal(tested.json.code, "reauthorization_required");
  assert.equal(standin.counters().token.total, 0, "the refused credentials were not sent again");
  const put = await worker.putConnection(id, settings);
  assert.equal(put.status, 200, put.text);
  assert.equal(put.json.token.status, "none", "saving lifts the mark");
}

describe("the instance refuses", () => {
  test("client credentials switched off: 409 naming the system property; not retried until saved", async () => {
    const id = await saved("client_credentials");
    standin.configure({ clientCredentialsEnabled: false });
    const refused = await generate(id);
    await assertRefused(id, refused, "client_credentials_disabled", /glide\.oauth\.inbound\.client\.credential\.grant_type\.enabled/);
    await assertNotRetriedUntilSaved(id, grantSettings(standin, "client_credentials"));
    standin.configure({ clientCredentialsEnabled: true });
    assert.equal((await forward(id)).status, 200, "once the instance allows it, the next use obtains a token");
    await worker.storedTokens(id);
  });

  test("client credentials as ServiceNow answers by default (401 access_denied): 409 with a hint", async () => {
    standin.configure({ tokenErrorStyle: "servicenow", clientCredentialsEnabled: false });
    const id = await saved("client_credentials");
    const refused = await forward(id);
    await assertRefused(id, refused, "access_denied", /glide\.oauth\.inbound\.client\.credential\.grant_type\.enabled/);
  });

  test("a client-credentials token obtained again has its user read again (the application user may have changed)", async () => {
    const id = await saved("client_credentials");
    assert.equal((await generate(id)).status, 200);
    assert.equal((await tokenUser(id)).userName, APPLICATION_USER);
    await addGrantsClient(standin, worker, { applicationUser: "admin" });
    await worker.hook("expire-access-token", { id, expiresAt: Date.now() - 1000 });
    assert.equal((await forward(id)).status, 200);
    let user = null;
    for (let attempt = 0; attempt < 50 && user?.userName !== "admin"; attempt += 1) {
      user = (await view(id)).token?.user ?? null;
      if (user?.userName !== "admin") await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(user?.userName, "admin");
  });

  test("no OAuth Application User on the client: application_user_missing", async () => {
    await addGrantsClient(standin, worker, { applicationUser: null });
    const id = await saved("client_credentials");
    await assertRefused(id, await generate(id), "application_user_missing", /OAuth Application User/);
  });

  test("an assertion signed with a key the instance does not trust: assertion_refused; a new key fixes it", async () => {
    const id = await saved("jwt_bearer", { privateKey: stranger.privateKey });
    await assertRefused(id, await generate(id), "assertion_refused", /verifier map|JWKS/);
    await assertNotRetriedUntilSaved(id, grantSettings(standin, "jwt_bearer", { privateKey: trusted.privateKey }));
    assert.equal((await generate(id)).status, 200);
    await worker.storedTokens(id);
  });

  test("an audience the instance does not accept: assertion_refused; the token endpoint as audience works", async () => {
    await addGrantsClient(standin, worker, {
      jwtBearer: { keys: [{ pem: trusted.publicKey }], audiences: ["token_endpoint"], userField: "user_name" },
    });
    const id = await saved("jwt_bearer");
    await assertRefused(id, await generate(id), "assertion_refused");
    const put = await worker.putConnection(id, grantSettings(standin, "jwt_bearer", { jwtAudience: "token_endpoint" }));
    assert.equal(put.status, 200, put.text);
    assert.equal((await generate(id)).status, 200);
    await worker.storedTokens(id);
  });

  test("a subject that names no user: unknown_subject", async () => {
    const id = await saved("jwt_bearer", { jwtSubject: "nobody.here" });
    await assertRefused(id, await generate(id), "unknown_subject", /subject/i);
  });

  test("a wrong password: password_refused, and the password is not tried again by itself", async () => {
    const id = await saved("password", { password: "FAKE-wrong-password-for-the-grant-3f1e" });
    standin.resetCounters();
    await assertRefused(id, await forward(id), "password_refused", /password/);
    assert.deepEqual(tokenCalls(standin, "password"), { error: 1 });
    await assertNotRetriedUntilSaved(id, grantSettings(standin, "password"));
    assert.equal((await forward(id)).status, 200);
    await worker.storedTokens(id);
  });
});

describe("password grant: the refresh token", () => {
  test("a refresh token the instance no longer accepts leads to one new password grant, not re-authorization", async () => {
    const id = await saved("password");
    assert.equal((await generate(id)).status, 200);
    const before = await worker.storedTokens(id);
    standin.revokeAllTokens();
    await worker.hook("expire-access-token", { id, expiresAt: Date.now() - 1000 });
    standin.configure({ tokenFault: { kind: "delay", delayMs: 300, count: 1 } });
    standin.resetCounters();
    const answers = await Promise.all(Array.from({ length: 20 }, (_, n) => forward(id, n)));
    assert.deepEqual(answers.map((a) => a.status), Array(20).fill(200));
    assert.deepEqual(tokenCalls(standin, "refresh_token"), { error: 1 });
    assert.deepEqual(tokenCalls(standin, "password"), { ok: 1 });
    const after = await worker.storedTokens(id);
    assert.notEqual(after.refreshToken, before.refreshToken, "a new refresh token came with the new grant");
    assert.equal((await view(id)).token.status, "fresh");
    assert.equal((await view(id)).token.refreshExpiringSoon, false);
  });
});

describe("JWT bearer: keys and identity", () => {
  test("an ES256 key signs as well", async () => {
    const id = await saved("jwt_bearer", { privateKey: trustedEc.privateKey, jwtAlgorithm: "ES256" });
    const generated = await generate(id);
    assert.equal(generated.status, 200, generated.text);
    assert.equal((await view(id)).signingKey.algorithm, "ES256");
    await worker.storedTokens(id);
  });

  test("each Generate sends a new assertion (the instance checks jti): twice in a row both work", async () => {
    const id = await saved("jwt_bearer");
    standin.resetCounters();
    assert.equal((await generate(id)).status, 200);
    assert.equal((await generate(id)).status, 200);
    assert.deepEqual(tokenCalls(standin, "jwt_bearer"), { ok: 2 });
    await worker.storedTokens(id);
  });

  test("a key id of the settings is the assertions' kid: the instance's verifier map picks the key by it", async () => {
    await addGrantsClient(standin, worker, {
      jwtBearer: { keys: [{ kid: "decoy", pem: stranger.publicKey }, { kid: "worker-key-1", pem: trusted.publicKey }], userField: "user_name" },
    });
    const id = await saved("jwt_bearer", { jwtKeyId: "worker-key-1" });
    assert.equal((await generate(id)).status, 200);
    assert.equal((await view(id)).signingKey.keyId, "worker-key-1");
    await worker.storedTokens(id);
  });
});

test("the client secret and private key never appear in any answer", async () => {
  const id = await saved("jwt_bearer");
  const answers = [await worker.admin(`/api/connections/${id}`), await generate(id), await worker.admin("/api/connections")];
  for (const answer of answers) {
    assert.equal(answer.text.includes(trusted.privateKey.split("\n")[1]), false);
    assert.equal(answer.text.includes(CLIENT_SECRET), false);
  }
  assert.deepEqual((await view(id)).privateKey, { set: true });
  assert.equal((await view(id)).clientId, GRANTS_CLIENT_ID);
  await worker.storedTokens(id);
});
