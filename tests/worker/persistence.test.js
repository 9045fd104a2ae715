// Connections live in persisted Durable Object storage: they survive a restart of the worker, keep
// working after a sealing-key rotation (SEALING_KEY_PREVIOUS opens old values, which are sealed
// again under the new key when read), and stay closed, not readable, under an unrelated key.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";

import {
  SEALING_KEY, assertNoSecretsLeaked, basicSettings, connect, oauthSettings, removeDir, startStandinFor,
  startWorker, tempDir,
} from "./support/harness.js";

let persistDir;
let standin;
let helper;

before(async () => {
  persistDir = await tempDir("worker-persist-");
  // The stand-in outlives the workers; a throwaway worker only provides a callback origin for it.
  helper = await startWorker();
  standin = await startStandinFor(helper);
});

after(async () => {
  await standin?.close();
  await helper?.close();
  await removeDir(persistDir);
  assertNoSecretsLeaked();
});

async function withWorker(vars, fn) {
  const worker = await startWorker({ vars, persistDir });
  try {
    await standin.addClient({
      clientId: "worker-test-client",
      clientSecret: oauthSettings(standin).clientSecret,
      redirectUris: [`${worker.origin}/oauth2/callback`],
    });
    return await fn(worker);
  } finally {
    await worker.close();
  }
}

async function forwardsOk(worker, id) {
  const response = await worker.admin(`/api/connections/${id}/now/table/incident?sysparm_limit=1`);
  assert.equal(response.status, 200, `${id}: ${response.text}`);
}

const NEW_KEY = randomBytes(32).toString("base64");

test("connections, secrets and tokens survive a restart of the worker", async () => {
  let tokens;
  await withWorker({}, async (worker) => {
    assert.equal((await worker.putConnection("kept-oauth", oauthSettings(standin))).status, 201);
    assert.equal((await worker.putConnection("kept-basic", basicSettings(standin, "itil.user"))).status, 201);
    const { page } = await connect(worker, "kept-oauth", standin);
    assert.equal(page.status, 200, page.text);
    tokens = await worker.storedTokens("kept-oauth");
    await forwardsOk(worker, "kept-oauth");
    await forwardsOk(worker, "kept-basic");
  });

  standin.resetCounters();
  await withWorker({}, async (worker) => {
    const list = await worker.admin("/api/connections");
    assert.deepEqual(list.json.connections.map((c) => c.id), ["kept-basic", "kept-oauth"]);
    const view = await worker.admin("/api/connections/kept-oauth");
    assert.equal(view.json.token.status, "fresh");
    assert.deepEqual(view.json.clientSecret, { set: true });
    assert.deepEqual(await worker.hook("tokens", { id: "kept-oauth" }), tokens);
    await forwardsOk(worker, "kept-oauth");
    await forwardsOk(worker, "kept-basic");
    assert.equal(standin.counters().token.total, 0, "no new authorization and no refresh were needed");
  });
});

test("key rotation: the previous key still opens old values, which are sealed again under the new key", async () => {
  let before;
  await withWorker({}, async (worker) => {
    before = {
      token: await worker.hook("raw", { id: "kept-oauth", key: "tokens" }),
      password: await worker.hook("raw", { id: "kept-basic", key: "secret:password" }),
    };
  });
  await withWorker({ SEALING_KEY: NEW_KEY, SEALING_KEY_PREVIOUS: SEALING_KEY }, async (worker) => {
    await forwardsOk(worker, "kept-oauth");
    await forwardsOk(worker, "kept-basic");
    assert.notEqual(await worker.hook("raw", { id: "kept-oauth", key: "tokens" }), before.token);
    assert.notEqual(await worker.hook("raw", { id: "kept-basic", key: "secret:password" }), before.password);
  });
  // The old key is gone now, and nothing needs it any more.
  await withWorker({ SEALING_KEY: NEW_KEY }, async (worker) => {
    await forwardsOk(worker, "kept-oauth");
    await forwardsOk(worker, "kept-basic");
    const tested = await worker.admin("/api/connections/kept-oauth/test", { method: "POST" });
    assert.equal(tested.json.ok, true);
  });
});

test("under an unrelated key, stored secrets stay closed: 503, and the views still work", async () => {
  await withWorker({ SEALING_KEY: randomBytes(32).toString("base64") }, async (worker) => {
    const forwarded = await worker.admin("/api/connections/kept-basic/now/table/incident");
    assert.equal(forwarded.status, 503, forwarded.text);
    assert.equal(forwarded.json.error.code, "unknown_sealing_key");
    const view = await worker.admin("/api/connections/kept-oauth");
    assert.equal(view.status, 200);
    assert.deepEqual(view.json.clientSecret, { set: true });
  });
});
