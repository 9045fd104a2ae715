// The worker losing its state between the token endpoint's answer and storing it. A test-only hook
// (tests/worker/support/hooked-entry.js) makes the connection object's next write of a refreshed
// token set fail, or resets the object (its memory, including the running refresh, is gone, as when
// the runtime evicts or restarts it) just before or just after that write. Each time the request
// ends in a stated 503 within the bound, the stored tokens are either the old set or the new one,
// never a mix (tokens and token state agree), the refresh token is kept, and the next request
// refreshes again and succeeds — ServiceNow returns the same refresh token, so the old one still
// works. Also with many requests waiting on the interrupted refresh. And a reset right after the
// first write of any change that touches several records (moving to another instance, Reset, marking
// re-authorization): the records are all of the change or none of it, never a new instance next to
// the old instance's tokens. The same for the first token of a client-credentials connection, obtained
// on use: no token at all, or a whole one, and the next request obtains one.

import { describe, test } from "node:test";
import assert from "node:assert/strict";

import { authorize, basicSettings, connect, oauthSettings, postedMessage, workerSuite } from "../worker/support/harness.js";
import { assertConsistent, assertError, bounded, connectedAndExpired, storedTokenRecords } from "./support/hardening.js";
import { addGrantsClient, grantSettings } from "../worker/support/grants.js";

let worker;
let standin;
let counter = 0;

workerSuite((started) => ({ worker, standin } = started));

const MODES = [
  { mode: "throw", what: "the storage write fails", code: "token_store_failed" },
  { mode: "abort-before", what: "the object is reset before the write", code: "connection_interrupted" },
  { mode: "abort-after", what: "the object is reset right after the write", code: "connection_interrupted" },
];

const ROUTES = {
  forward: (id) => worker.admin(`/api/connections/${id}/now/table/incident?sysparm_limit=1`),
  test: (id) => worker.admin(`/api/connections/${id}/test`, { method: "POST" }),
};

function refreshes() {
  return standin.counters().token.byGrantTypeAndOutcome.refresh_token?.ok ?? 0;
}

async function expired() {
  counter += 1;
  const id = `lost-${counter}`;
  const tokens = await connectedAndExpired(worker, standin, id);
  return { id, tokens, stored: await storedTokenRecords(worker, id) };
}

/** The stored set is whole: the old one or a complete new one, with the same refresh token. */
async function assertWhole(id, tokens, stored) {
  const now = await storedTokenRecords(worker, id);
  const opened = await worker.storedTokens(id);
  assertConsistent(opened, now.tokenState);
  assert.equal(opened.refreshToken, tokens.refreshToken, "the refresh token is kept");
  assert.equal(opened.refreshExpiresAt, tokens.refreshExpiresAt);
  if (now.tokens === stored.tokens) assert.deepEqual(now, stored, "the old set, untouched");
  else assert.notEqual(opened.accessToken, tokens.accessToken, "or a complete new set");
  return opened;
}

describe("state lost between the refresh answer and storing it", () => {
  for (const { mode, what, code } of MODES) {
    for (const [route, send] of Object.entries(ROUTES)) {
      test(`${route}: ${what}`, async () => {
        const { id, tokens, stored } = await expired();
        assert.equal(await worker.hook("storage-fault", { id, mode }), mode);
        standin.resetCounters();

        const failed = await bounded(() => send(id));
        assertError(failed, 503, code);
        assert.equal(failed.headers.get("retry-after"), "1");
        assert.equal(refreshes(), 1, "the token endpoint did answer");
        assert.equal(standin.counters().api.total, 0, "no unstored token was used");
        await assertWhole(id, tokens, stored);

        const next = await bounded(() => send(id));
        assert.equal(next.status, 200, next.text);
        if (route === "test") assert.equal(next.json.ok, true, next.text);
        const recovered = await assertWhole(id, tokens, stored);
        assert.notEqual(recovered.accessToken, tokens.accessToken, "a new access token is stored");
        assert.ok(refreshes() <= 2);
        const view = await worker.admin(`/api/connections/${id}`);
        assert.equal(view.json.token.status, "fresh");
      });
    }
  }

  test("twenty requests waiting on a refresh whose object is reset: all end, none hangs, the next works", async () => {
    const { id, tokens, stored } = await expired();
    await worker.hook("storage-fault", { id, mode: "abort-before" });
    // Hold the refresh at the token endpoint so that every request joins it before the reset.
    standin.configure({ tokenFault: { kind: "delay", delayMs: 300, count: 1 } });
    standin.resetCounters();
    const started = performance.now();
    const answers = await Promise.all(Array.from({ length: 20 }, () => ROUTES.forward(id)));
    const ms = performance.now() - started;
    assert.ok(ms < 10_000, `${ms} ms`);
    for (const answer of answers) {
      assert.ok([200, 503].includes(answer.status), `${answer.status} ${answer.text}`);
      if (answer.status === 503) assert.equal(answer.json.error.code, "connection_interrupted");
    }
    assert.ok(answers.some((a) => a.status === 503), "the interrupted refresh was reported");
    assert.equal(standin.counters().api.byStatus[401] ?? 0, 0, "no request went out with the expired token");
    await assertWhole(id, tokens, stored);
    const next = await bounded(() => ROUTES.forward(id));
    assert.equal(next.status, 200, next.text);
    await assertWhole(id, tokens, stored);
  });

  for (const { mode, what } of MODES) {
    test(`callback: ${what}`, async () => {
      counter += 1;
      const id = `lost-${counter}`;
      assert.equal((await worker.putConnection(id, oauthSettings(standin))).status, 201);
      const before = await storedTokenRecords(worker, id);
      const location = await authorize(worker, id, standin);
      await worker.hook("storage-fault", { id, mode });
      const page = await bounded(() => worker.request(location.pathname + location.search));
      assert.ok(page.status >= 500 && page.status < 600, `${page.status} ${page.text}`);
      assert.match(page.headers.get("content-type"), /^text\/html/);
      const posted = postedMessage(page.text).message;
      assert.equal(posted.ok, false);
      assert.equal(typeof posted.code, "string");
      const after = await storedTokenRecords(worker, id);
      if (after.tokens === null) {
        assert.deepEqual(after, before, "nothing of the token set was stored");
      } else {
        assertConsistent(await worker.storedTokens(id), after.tokenState);
      }
      // The state was used up either way; a new Generate works.
      const again = await connect(worker, id, standin);
      assert.equal(again.page.status, 200, again.page.text);
      assertConsistent(await worker.storedTokens(id), (await storedTokenRecords(worker, id)).tokenState);
    });
  }
});

describe("state lost between an unattended grant's first token and storing it", () => {
  for (const { mode, what, code } of MODES) {
    test(`client credentials on first use: ${what}`, async () => {
      standin.configure({ clientCredentialsEnabled: true });
      await addGrantsClient(standin, worker);
      counter += 1;
      const id = `lost-${counter}`;
      assert.equal((await worker.putConnection(id, grantSettings(standin, "client_credentials"))).status, 201);
      await worker.hook("storage-fault", { id, mode });
      standin.resetCounters();
      const failed = await bounded(() => ROUTES.forward(id));
      assertError(failed, 503, code);
      assert.equal(standin.counters().token.byGrantTypeAndOutcome.client_credentials?.ok, 1, "the instance did issue a token");
      assert.equal(standin.counters().api.total, 0, "no unstored token was used");
      const after = await storedTokenRecords(worker, id);
      if (after.tokens !== null) assertConsistent(await worker.storedTokens(id), after.tokenState);
      else assert.equal(after.tokenState, null, "no token, and no state claiming one");
      const next = await bounded(() => ROUTES.forward(id));
      assert.equal(next.status, 200, next.text);
      assertConsistent(await worker.storedTokens(id), (await storedTokenRecords(worker, id)).tokenState);
    });
  }
});

/** The records that must change together: the settings' generation and instance, the tokens, their state. */
async function tokenRecords(id) {
  const config = await worker.hook("raw", { id, key: "config" });
  return {
    generation: config.generation,
    instanceUrl: config.fingerprint.instanceUrl,
    tokens: await worker.hook("raw", { id, key: "tokens" }),
    tokenState: await worker.hook("raw", { id, key: "tokenState" }),
  };
}

describe("an object reset right after the first write of a change: all of the change or none of it", () => {
  test("moving the connection to another instance (new settings, tokens cleared)", async () => {
    counter += 1;
    const id = `lost-${counter}`;
    assert.equal((await worker.putConnection(id, oauthSettings(standin))).status, 201);
    assert.equal((await connect(worker, id, standin)).page.status, 200);
    await worker.storedTokens(id);
    const before = await tokenRecords(id);
    assert.equal(await worker.hook("storage-fault", { id, mode: "between" }), "between");
    const moved = await bounded(() => worker.putConnection(id, { ...basicSettings(standin), baseUrl: "http://127.0.0.2:9/api/now" }));
    assertError(moved, 503, "connection_interrupted");
    const after = await tokenRecords(id);
    if (after.instanceUrl === before.instanceUrl) {
      assert.deepEqual(after, before, "the old settings with their tokens, untouched");
    } else {
      assert.equal(after.tokens, null, "the new instance has no tokens of the old one");
      assert.equal(after.tokenState, null);
    }
  });

  test("Reset (a new generation, tokens cleared)", async () => {
    counter += 1;
    const id = `lost-${counter}`;
    assert.equal((await worker.putConnection(id, oauthSettings(standin))).status, 201);
    assert.equal((await connect(worker, id, standin)).page.status, 200);
    await worker.storedTokens(id);
    const before = await tokenRecords(id);
    await worker.hook("storage-fault", { id, mode: "between" });
    const reset = await bounded(() => worker.admin(`/api/connections/${id}/token`, { method: "DELETE" }));
    assertError(reset, 503, "connection_interrupted");
    const after = await tokenRecords(id);
    if (after.generation === before.generation) assert.deepEqual(after, before);
    else assert.deepEqual([after.tokens, after.tokenState], [null, null], "a new generation has no tokens");
  });

  test("a dead refresh token (tokens cleared, re-authorization required)", async () => {
    const { id } = await expired();
    const before = await tokenRecords(id);
    standin.revokeAllTokens();
    await worker.hook("storage-fault", { id, mode: "between" });
    const failed = await bounded(() => ROUTES.forward(id));
    assertError(failed, 503, "connection_interrupted");
    const after = await tokenRecords(id);
    if (after.generation === before.generation) {
      assert.deepEqual(after, before, "the tokens and their state as they were");
    } else {
      assert.equal(after.tokens, null);
      assert.equal(after.tokenState.state, "reauthorization_required", "no tokens, and the state says why");
    }
  });
});
