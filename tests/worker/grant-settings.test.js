// The settings of the unattended grants in the worker: each grant keeps its own members and secrets
// (the password grant's user name and password, JWT bearer's subject, audience, key id, algorithm
// and private key) and drops those of other grants; the private key is write-only, sealed at rest
// with `<id>:privateKey` as associated data, shown as `{"set": true}`, and like the client secret
// kept only while the instance and token URL stay the same; the worker checks a stored key against a
// changed algorithm; changing the grant or the user tokens act as (JWT subject, password grant's user)
// clears the tokens, other changes keep them; missing fields are all reported at once.

import { describe, test } from "node:test";
import assert from "node:assert/strict";

import { secretsIn, workerSuite } from "./support/harness.js";
import { addGrantsClient, grantSettings, signingKeyPair } from "./support/grants.js";

let worker;
let standin;
let counter = 0;
const rsa = signingKeyPair("RS256");
const ec = signingKeyPair("ES256");

workerSuite(async (started) => {
  ({ worker, standin } = started);
  standin.configure({ clientCredentialsEnabled: true });
  await addGrantsClient(standin, worker, { jwtBearer: { keys: [{ pem: rsa.publicKey }, { pem: ec.publicKey }] } });
});

function nextId(prefix) {
  counter += 1;
  return `${prefix}-${counter}`;
}

async function create(grantType, extra = {}) {
  const id = nextId(grantType.replaceAll("_", "-"));
  const keyed = grantType === "jwt_bearer" ? { privateKey: rsa.privateKey, ...extra } : extra;
  const put = await worker.putConnection(id, grantSettings(standin, grantType, keyed));
  assert.equal(put.status, 201, put.text);
  return { id, view: put.json };
}

function fieldErrors(answer) {
  return Object.fromEntries((answer.json?.errors ?? []).map((error) => [error.field, error.code]));
}

describe("what each grant keeps", () => {
  test("JWT bearer: its members in the view, the key write-only, resolved defaults", async () => {
    const { id, view } = await create("jwt_bearer");
    assert.equal(view.grantType, "jwt_bearer");
    assert.equal(view.jwtSubject, "admin");
    assert.deepEqual(view.privateKey, { set: true });
    assert.deepEqual(view.clientSecret, { set: true });
    assert.equal(view.password, undefined);
    assert.equal(view.resolved.grantType, "jwt_bearer");
    assert.equal(view.resolved.jwtAudience, "client_id");
    assert.equal(view.resolved.jwtAlgorithm, "RS256");
    assert.equal(view.signingKey.keyId, rsa.keyId, "without a key id of its own, the key's thumbprint");
    assert.deepEqual(view.signingKey.jwk, { kty: "RSA", n: rsa.jwk.n, e: rsa.jwk.e, kid: rsa.keyId, alg: "RS256", use: "sig" });
    assert.equal(view.signingKey.previous, null);
    assert.match(view.jwksUrl, new RegExp(`^${worker.origin}/oauth2/jwks/${id}/[A-Za-z0-9_-]{22}$`));
    assert.equal(view.token.status, "none");
    assert.equal(view.token.grantType, "jwt_bearer");
    assert.equal(view.token.subject, "admin");
    assert.deepEqual(secretsIn(JSON.stringify(view)), []);
  });

  test("the private key is sealed at rest under <id>:privateKey, and only the public half is in the clear", async () => {
    const { id } = await create("jwt_bearer");
    const sealed = await worker.hook("raw", { id, key: "secret:privateKey" });
    assert.equal(typeof sealed, "string");
    assert.equal(sealed.includes("PRIVATE KEY"), false);
    const keys = await worker.hook("raw", { id, key: "signingKeys" });
    assert.equal(keys.current.keyId, rsa.keyId);
    assert.equal(JSON.stringify(keys).includes(rsa.privateKey.split("\n")[1]), false);
    // Sealed for this connection and field: another connection's record does not open it.
    const other = await create("jwt_bearer");
    await worker.hook("put", { id: other.id, key: "secret:privateKey" }, JSON.stringify(sealed));
    const refused = await worker.admin(`/api/connections/${other.id}/oauth/generate`, { method: "POST" });
    assert.equal(refused.status, 503, refused.text);
    assert.equal(refused.json.error.code, "seal_authentication_failed");
  });

  test("the password grant keeps its user name and password on the OAuth 2.0 connection", async () => {
    const { view } = await create("password");
    assert.equal(view.username, "itil.user");
    assert.deepEqual(view.password, { set: true });
    assert.deepEqual(view.clientSecret, { set: true });
    assert.equal(view.privateKey, undefined);
    assert.equal(view.token.grantType, "password");
  });

  test("switching the grant drops the other grant's members and secrets", async () => {
    const { id } = await create("jwt_bearer");
    const switched = await worker.putConnection(id, grantSettings(standin, "client_credentials", { jwtSubject: "ignored", clientSecret: "" }));
    assert.equal(switched.status, 200, switched.text);
    assert.equal(switched.json.jwtSubject, undefined);
    assert.equal(switched.json.privateKey, undefined);
    assert.equal(switched.json.jwksUrl, undefined);
    const keys = await worker.hook("keys", { id });
    assert.ok(!keys.includes("secret:privateKey"), keys.join());
    assert.ok(!keys.includes("signingKeys"), keys.join());
    assert.ok(keys.includes("secret:clientSecret"));
  });

  test("every missing field of a grant is reported at once", async () => {
    const id = nextId("missing");
    const jwt = await worker.putConnection(id, {
      baseUrl: `${standin.url}/api/now`, authType: "oauth2", grantType: "jwt_bearer", clientId: "c",
    });
    assert.equal(jwt.status, 422, jwt.text);
    assert.deepEqual(fieldErrors(jwt), { clientSecret: "required", jwtSubject: "required", privateKey: "required" });
    const password = await worker.putConnection(id, {
      baseUrl: `${standin.url}/api/now`, authType: "oauth2", grantType: "password", clientId: "c", clientSecret: "FAKE-x-secret-value",
    });
    assert.deepEqual(fieldErrors(password), { username: "required", password: "required" });
    const unknown = await worker.putConnection(id, { ...grantSettings(standin, "client_credentials"), grantType: "implicit" });
    assert.deepEqual(fieldErrors(unknown), { grantType: "invalid_grant_type" });
    assert.equal((await worker.admin(`/api/connections/${id}`)).status, 404, "nothing was stored");
  });
});

describe("the private key", () => {
  test("omitted on a later save: the stored key is kept", async () => {
    const { id } = await create("jwt_bearer");
    const renamed = await worker.putConnection(id, grantSettings(standin, "jwt_bearer", { name: "Renamed", clientSecret: "" }));
    assert.equal(renamed.status, 200, renamed.text);
    assert.deepEqual(renamed.json.privateKey, { set: true });
    assert.equal(renamed.json.signingKey.keyId, rsa.keyId);
  });

  test("another instance or token URL: it must be entered again", async () => {
    const { id } = await create("jwt_bearer");
    const moved = await worker.putConnection(id, grantSettings(standin, "jwt_bearer", {
      tokenUrl: `${standin.url}/moved/oauth_token.do`, clientSecret: "FAKE-new-client-secret-4c1d",
    }));
    assert.equal(moved.status, 422, moved.text);
    assert.equal(fieldErrors(moved).privateKey, "required");
    assert.match(moved.json.errors.find((e) => e.field === "privateKey").message, /entered again/);
  });

  test("not a PKCS#8 key, or a key of the other algorithm: 422 on the field that is wrong", async () => {
    const id = nextId("bad-key");
    const garbage = await worker.putConnection(id, grantSettings(standin, "jwt_bearer", { privateKey: "-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----\n" }));
    assert.equal(fieldErrors(garbage).privateKey, "invalid_private_key", garbage.text);
    const mismatch = await worker.putConnection(id, grantSettings(standin, "jwt_bearer", { privateKey: ec.privateKey, jwtAlgorithm: "RS256" }));
    assert.equal(fieldErrors(mismatch).privateKey, "key_algorithm_mismatch", mismatch.text);
    // A stored RSA key, then ES256 chosen without a new key: the algorithm is what no longer fits.
    const { id: stored } = await create("jwt_bearer");
    const changed = await worker.putConnection(stored, grantSettings(standin, "jwt_bearer", { jwtAlgorithm: "ES256", clientSecret: "" }));
    assert.equal(changed.status, 422, changed.text);
    assert.equal(changed.json.error.field, "jwtAlgorithm");
    assert.equal(changed.json.error.code, "invalid_config");
    assert.deepEqual(fieldErrors(changed), { jwtAlgorithm: "key_algorithm_mismatch" });
    assert.deepEqual(secretsIn(garbage.text + mismatch.text + changed.text), []);
  });
});

describe("which changes clear the tokens", () => {
  async function withToken(grantType, extra) {
    const made = await create(grantType, extra);
    const generated = await worker.admin(`/api/connections/${made.id}/oauth/generate`, { method: "POST" });
    assert.equal(generated.status, 200, generated.text);
    await worker.storedTokens(made.id);
    return made.id;
  }

  const cases = [
    ["another grant", "client_credentials", () => grantSettings(standin, "jwt_bearer", { privateKey: rsa.privateKey }), true],
    ["another JWT subject", "jwt_bearer", () => grantSettings(standin, "jwt_bearer", { jwtSubject: "itil.user", clientSecret: "" }), true],
    ["another password-grant user", "password", () => grantSettings(standin, "password", { username: "no.roles", password: "FAKE-other-user-password-9a" }), true],
    ["another JWT audience", "jwt_bearer", () => grantSettings(standin, "jwt_bearer", { jwtAudience: "token_endpoint", clientSecret: "" }), false],
    ["a new private key", "jwt_bearer", () => grantSettings(standin, "jwt_bearer", { privateKey: signingKeyPair().privateKey, clientSecret: "" }), false],
    ["a rename", "client_credentials", () => grantSettings(standin, "client_credentials", { name: "Renamed", clientSecret: "" }), false],
  ];
  for (const [what, grantType, next, clears] of cases) {
    test(`${what} ${clears ? "clears" : "keeps"} the token`, async () => {
      const id = await withToken(grantType);
      const put = await worker.putConnection(id, next());
      assert.equal(put.status, 200, put.text);
      assert.equal(put.json.token.status, clears ? "none" : "fresh");
      assert.equal((await worker.hook("tokens", { id })) === null, clears);
    });
  }
});
