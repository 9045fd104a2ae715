// The public key set (JWKS) of a JWT-bearer connection at its tagged URL: the document's content (the
// public JWK with kid, alg and use; never anything private), its headers, and — the real proof — the
// stand-in checking the connection's assertions through a JWKS URL that points at the worker. Rotation:
// a new key is listed next to the previous one until the instance has issued a token for the new
// key, then alone. Anything but a URL the worker issued — an altered tag, another connection's tag, an
// id that was never a connection, extra segments, encoded characters — is 404 before any connection's
// object is opened (no storage is created), and a connection of another grant has no key set.

import { readdirSync } from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import assert from "node:assert/strict";

import { removeDir, secretsIn, startStandinFor, startWorker, tempDir, workerSuite } from "./support/harness.js";
import { addGrantsClient, grantSettings, signingKeyPair, tokenCalls } from "./support/grants.js";

let worker;
let standin;
let counter = 0;

workerSuite(async (started) => {
  ({ worker, standin } = started);
});

function nextId(prefix) {
  counter += 1;
  return `${prefix}-${counter}`;
}

/** A JWT-bearer connection signing with `key`; answers its id and view. */
async function jwtConnection(key, extra = {}) {
  const id = nextId("jwks");
  const put = await worker.putConnection(id, grantSettings(standin, "jwt_bearer", { privateKey: key.privateKey, ...extra }));
  assert.equal(put.status, 201, put.text);
  return { id, view: put.json };
}

async function fetchJwks(url, init) {
  return worker.request(url, init);
}

describe("the key set", () => {
  test("the view's JWKS URL serves the public key: kid, alg, use, no private member", async () => {
    const key = signingKeyPair("RS256");
    const { view } = await jwtConnection(key);
    const answer = await fetchJwks(view.jwksUrl);
    assert.equal(answer.status, 200, answer.text);
    assert.match(answer.headers.get("content-type"), /^application\/jwk-set\+json/);
    assert.equal(answer.headers.get("x-content-type-options"), "nosniff");
    const document = JSON.parse(answer.text);
    assert.deepEqual(document, { keys: [{ kty: "RSA", n: key.jwk.n, e: key.jwk.e, kid: key.keyId, alg: "RS256", use: "sig" }] });
    for (const member of ["d", "p", "q", "dp", "dq", "qi"]) assert.ok(!answer.text.includes(`"${member}"`));
    assert.deepEqual(secretsIn(answer.text), []);
    const head = await fetchJwks(view.jwksUrl, { method: "HEAD" });
    assert.equal(head.status, 200);
    assert.equal(head.text, "");
    const post = await fetchJwks(view.jwksUrl, { method: "POST" });
    assert.equal(post.status, 405);
    assert.equal(post.headers.get("allow"), "GET, HEAD");
  });

  test("an ES256 key with a key id of the settings", async () => {
    const key = signingKeyPair("ES256");
    const { view } = await jwtConnection(key, { jwtAlgorithm: "ES256", jwtKeyId: "ec-key-2026" });
    const document = JSON.parse((await fetchJwks(view.jwksUrl)).text);
    assert.deepEqual(document.keys, [{ kty: "EC", crv: "P-256", x: key.jwk.x, y: key.jwk.y, kid: "ec-key-2026", alg: "ES256", use: "sig" }]);
  });

  test("the stand-in checks the assertions through the worker's JWKS URL", async () => {
    const key = signingKeyPair("RS256");
    const { id, view } = await jwtConnection(key);
    // The instance knows no key itself: only where to fetch the set, and to fetch it every time.
    await addGrantsClient(standin, worker, { jwtBearer: { jwksUrl: view.jwksUrl, jwksCacheSeconds: 0 } });
    standin.resetCounters();
    const generated = await worker.admin(`/api/connections/${id}/oauth/generate`, { method: "POST" });
    assert.equal(generated.status, 200, generated.text);
    assert.deepEqual(tokenCalls(standin, "jwt_bearer"), { ok: 1 });
    assert.ok(standin.counters().jwks.byOutcome.ok >= 1, JSON.stringify(standin.counters().jwks));
    const forwarded = await worker.admin(`/api/connections/${id}/now/table/incident?sysparm_limit=1`);
    assert.equal(forwarded.status, 200);
    await worker.storedTokens(id);
  });

  test("rotation: the new key next to the previous one until a token was issued for the new one", async () => {
    const first = signingKeyPair("RS256");
    const second = signingKeyPair("RS256");
    const { id, view } = await jwtConnection(first);
    await addGrantsClient(standin, worker, { jwtBearer: { jwksUrl: view.jwksUrl, jwksCacheSeconds: 0 } });
    assert.equal((await worker.admin(`/api/connections/${id}/oauth/generate`, { method: "POST" })).status, 200);
    await worker.storedTokens(id);

    const rotated = await worker.putConnection(id, grantSettings(standin, "jwt_bearer", { privateKey: second.privateKey, clientSecret: "" }));
    assert.equal(rotated.status, 200, rotated.text);
    assert.equal(rotated.json.signingKey.keyId, second.keyId);
    assert.equal(rotated.json.signingKey.previous.keyId, first.keyId);
    assert.equal(rotated.json.token.status, "fresh", "a new key keeps the token");
    const during = JSON.parse((await fetchJwks(view.jwksUrl)).text);
    assert.deepEqual(during.keys.map((k) => k.kid), [second.keyId, first.keyId]);
    const [changed] = (await worker.admin(`/api/connections/${id}/audit?log=admin`)).json.entries;
    assert.equal(changed.event, "signing_key_changed");
    assert.deepEqual(changed.signingKey, { keyId: second.keyId, previousKeyId: first.keyId });

    // The stand-in verifies the new key's assertion through the same URL; that ends the rotation.
    assert.equal((await worker.admin(`/api/connections/${id}/oauth/generate`, { method: "POST" })).status, 200);
    const after = JSON.parse((await fetchJwks(view.jwksUrl)).text);
    assert.deepEqual(after.keys.map((k) => k.kid), [second.keyId]);
    assert.equal((await worker.admin(`/api/connections/${id}`)).json.signingKey.previous, null);
    await worker.storedTokens(id);
  });

  test("a connection that no longer uses JWT bearer has no key set", async () => {
    const { id, view } = await jwtConnection(signingKeyPair());
    const switched = await worker.putConnection(id, grantSettings(standin, "client_credentials", { clientSecret: "" }));
    assert.equal(switched.status, 200, switched.text);
    const answer = await fetchJwks(view.jwksUrl);
    assert.equal(answer.status, 404, answer.text);
    assert.equal(answer.json.error.code, "not_found");
    assert.equal((await worker.admin(`/api/connections/${id}`, { method: "DELETE" })).status, 204);
    assert.equal((await fetchJwks(view.jwksUrl)).status, 404);
  });
});

test("URLs the worker did not issue are 404 and open no connection's object", async () => {
  const persistDir = await tempDir("worker-forged-jwks-");
  const persisted = await startWorker({ persistDir });
  // One SQLite database per Durable Object that was ever opened.
  const objects = () => readdirSync(path.join(persistDir, "-ConnectionObject")).filter((f) => /^[0-9a-f]{64}\.sqlite$/.test(f));
  try {
    const instance = await startStandinFor(persisted);
    try {
      await addGrantsClient(instance, persisted);
      const put = await persisted.putConnection("real", grantSettings(instance, "jwt_bearer", { privateKey: signingKeyPair().privateKey }));
      assert.equal(put.status, 201, put.text);
      const url = new URL(put.json.jwksUrl);
      const [, , , id, tag] = url.pathname.split("/");
      assert.equal(id, "real");
      const before = objects();
      assert.equal(before.length, 1, "the real connection's object");
      const altered = `${tag.slice(0, -1)}${tag.endsWith("A") ? "B" : "A"}`;
      for (const forged of [
        `/oauth2/jwks/real/${altered}`,
        `/oauth2/jwks/ghost/${tag}`,
        `/oauth2/jwks/ghost-2/${"A".repeat(22)}`,
        `/oauth2/jwks/real/${tag}/extra`,
        `/oauth2/jwks/real/${tag}x`,
        `/oauth2/jwks/re%61l/${tag}`,
        `/oauth2/jwks/real`,
        `/oauth2/jwks/`,
        `/oauth2/jwks/${"x".repeat(65)}/${tag}`,
      ]) {
        const answer = await persisted.request(forged);
        assert.equal(answer.status, 404, `${forged}: ${answer.text}`);
        assert.equal(answer.json?.error?.code, "not_found", forged);
      }
      assert.deepEqual(objects(), before, "no object was opened for a URL the worker did not issue");
      assert.equal((await persisted.request(url.pathname)).status, 200);
    } finally {
      await instance.close();
    }
  } finally {
    await persisted.close();
    await removeDir(persistDir);
  }
});

test("without a sealing key the key set cannot be told from a forged one: 503", async () => {
  const bare = await startWorker({ vars: { SEALING_KEY: undefined } });
  try {
    const answer = await bare.request(`/oauth2/jwks/real/${"A".repeat(22)}`);
    assert.equal(answer.status, 503, answer.text);
    assert.equal(answer.json.error.code, "sealing_key_not_configured");
  } finally {
    await bare.close();
  }
});
