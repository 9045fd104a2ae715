// The worker reads what earlier builds stored. Each fixture in tests/worker/fixtures/ holds the raw
// Durable Object records an earlier build wrote (a Basic connection, an OAuth 2.0 connection with
// tokens and one authorization still pending, and the registry's entries) with the sealing key that
// sealed them. They are planted, byte for byte, into a fresh worker with that key, and then used as a
// person would: the listing and the views, Test Connection of the Basic connection with its stored
// password, the OAuth connection's stored access token sent as `Bearer` and its stored refresh token
// and client secret sent to the token endpoint (a recording instance, which can know the old
// tokens), and the pending authorization completed at a stand-in.

import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { authorizeOverHttp } from "../servicenow-standin/authorize.js";
import { assertNoSecretsLeaked, secrets, seedPassword, startStandinFor, startWorker } from "./support/harness.js";
import { startRecorder } from "./support/recorder.js";
import { recordSecret } from "./support/transcript.js";

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), "fixtures");
const files = readdirSync(FIXTURES).filter((name) => /^stored-format-.*\.json$/.test(name)).sort();

after(() => assertNoSecretsLeaked());

test("there is a stored-format fixture to read", () => {
  assert.ok(files.length >= 1);
});

/** The fixture's records with `{{INSTANCE}}` replaced, per connection. */
function recordsFor(fixture, instances) {
  const planted = {};
  for (const [id, records] of Object.entries(fixture.connections)) {
    planted[id] = JSON.parse(JSON.stringify(records).replaceAll("{{INSTANCE}}", instances[id]));
  }
  return planted;
}

/** Plants the records (and the registry's entries) into the worker's storage, as they are. */
async function plant(worker, fixture, instances) {
  for (const [id, records] of Object.entries(recordsFor(fixture, instances))) {
    for (const [key, value] of Object.entries(records)) {
      assert.equal(await worker.hook("put", { id, key }, JSON.stringify(value)), true);
    }
  }
  for (const [key, value] of Object.entries(fixture.registry)) {
    const instance = instances[value.id];
    const entry = JSON.parse(JSON.stringify(value).replaceAll("{{INSTANCE}}", instance));
    assert.equal(await worker.hook("registry-put", { key }, JSON.stringify(entry)), true);
  }
}

for (const file of files) {
  const fixture = JSON.parse(readFileSync(path.join(FIXTURES, file), "utf8"));
  const BASIC = "compat-basic";
  const OAUTH = "compat-oauth";
  recordSecret("sealing_key", fixture.sealingKey);
  recordSecret("client_secret", fixture.client.clientSecret);
  secrets.add(fixture.sealingKey);
  secrets.add(fixture.client.clientSecret);

  describe(`${file}: ${fixture.build}`, () => {
    test("the listing and the views read the stored records; the Basic connection tests with its stored password", async () => {
      const worker = await startWorker({ vars: { SEALING_KEY: fixture.sealingKey } });
      const standin = await startStandinFor(worker);
      try {
        await plant(worker, fixture, { [BASIC]: standin.url, [OAUTH]: standin.url });
        const list = await worker.admin("/api/connections");
        assert.equal(list.status, 200, list.text);
        const byId = Object.fromEntries(list.json.connections.map((c) => [c.id, c]));
        assert.deepEqual(Object.keys(byId).sort(), [BASIC, OAUTH]);
        assert.equal(byId[BASIC].authType, "basic");
        assert.equal(byId[OAUTH].token.status, "fresh");

        const basic = await worker.admin(`/api/connections/${BASIC}`);
        assert.equal(basic.status, 200, basic.text);
        assert.equal(basic.json.name, "Compat: Basic");
        assert.equal(basic.json.username, fixture.basicUser);
        assert.deepEqual(basic.json.password, { set: true });
        assert.equal(basic.json.resolved.instanceUrl, standin.url);
        assert.equal(basic.json.token, null);

        const oauth = await worker.admin(`/api/connections/${OAUTH}`);
        assert.equal(oauth.status, 200, oauth.text);
        assert.deepEqual(oauth.json.clientSecret, { set: true });
        assert.equal(oauth.json.clientId, fixture.client.clientId);
        assert.equal(oauth.json.token.status, "fresh");
        assert.equal(oauth.json.resolved.tokenUrl, `${standin.url}/oauth_token.do`);

        standin.resetCounters();
        const tested = await worker.admin(`/api/connections/${BASIC}/test`, { method: "POST" });
        assert.equal(tested.status, 200, tested.text);
        assert.equal(tested.json.ok, true, tested.text);
        assert.equal(standin.counters().api.byStatus[200], 1, "the stand-in accepted the stored password");
        const forwarded = await worker.admin(`/api/connections/${BASIC}/now/table/incident?sysparm_limit=1`);
        assert.equal(forwarded.status, 200, forwarded.text);
      } finally {
        await standin.close();
        await worker.close();
      }
    });

    test("the OAuth connection sends its stored access token, and refreshes with its stored refresh token and client secret", async () => {
      const worker = await startWorker({ vars: { SEALING_KEY: fixture.sealingKey } });
      const instance = await startRecorder();
      try {
        await plant(worker, fixture, { [BASIC]: instance.url, [OAUTH]: instance.url });
        const stored = await worker.storedTokens(OAUTH);
        assert.ok(stored.accessToken && stored.refreshToken);

        const forwarded = await worker.admin(`/api/connections/${OAUTH}/now/table/incident?sysparm_limit=1`);
        assert.equal(forwarded.status, 200, forwarded.text);
        assert.equal(instance.received.length, 1);
        assert.equal(instance.received[0].url, "/api/now/table/incident?sysparm_limit=1");
        assert.equal(instance.received[0].headers.authorization, `Bearer ${stored.accessToken}`);

        // An expired access token: the stored refresh token and client secret go to the token endpoint.
        await worker.hook("expire-access-token", { id: OAUTH, expiresAt: Date.now() - 1000 });
        instance.reset();
        const renewed = "FAKE-compat-renewed-access-token-5c1e0b7a93";
        secrets.add(renewed);
        recordSecret("access_token", renewed);
        instance.answer((req) => (req.url === "/oauth_token.do"
          ? {
            status: 200,
            headers: { "content-type": "application/json;charset=UTF-8" },
            body: JSON.stringify({ access_token: renewed, refresh_token: stored.refreshToken, token_type: "Bearer", expires_in: 1799 }),
          }
          : { status: 200, headers: { "content-type": "application/json" }, body: '{"result":[]}' }));
        const again = await worker.admin(`/api/connections/${OAUTH}/now/table/incident`);
        assert.equal(again.status, 200, again.text);
        const [tokenCall, apiCall] = instance.received;
        assert.equal(tokenCall.url, "/oauth_token.do");
        const form = new URLSearchParams(tokenCall.body);
        assert.equal(form.get("grant_type"), "refresh_token");
        assert.equal(form.get("refresh_token"), stored.refreshToken);
        assert.equal(form.get("client_id"), fixture.client.clientId);
        assert.equal(form.get("client_secret"), fixture.client.clientSecret);
        assert.equal(apiCall.headers.authorization, `Bearer ${renewed}`);
      } finally {
        await instance.close();
        await worker.close();
      }
    });

    test("the pending authorization completes", async () => {
      const worker = await startWorker({ vars: { SEALING_KEY: fixture.sealingKey } });
      const standin = await startStandinFor(worker);
      try {
        await standin.addClient({
          clientId: fixture.client.clientId,
          clientSecret: fixture.client.clientSecret,
          redirectUris: [`${fixture.publicUrl}/oauth2/callback`],
        });
        // A pending authorization lives 10 minutes; its times are moved to now, as if the worker had
        // been upgraded while it was pending.
        const records = fixture.connections[OAUTH];
        const moved = structuredClone(fixture);
        for (const [key, value] of Object.entries(records)) {
          if (!key.startsWith("oauth-state:") || value.usedAt) continue;
          const age = value.expiresAt - value.createdAt;
          moved.connections[OAUTH][key] = { ...value, createdAt: Date.now(), expiresAt: Date.now() + age };
        }
        await plant(worker, moved, { [BASIC]: standin.url, [OAUTH]: standin.url });
        const before = await worker.storedTokens(OAUTH);

        const authorizationUrl = fixture.pendingAuthorizationUrl.replaceAll("{{INSTANCE}}", standin.url);
        const location = new URL(await authorizeOverHttp(authorizationUrl, {
          username: "admin",
          password: seedPassword(standin, "admin"),
        }));
        assert.equal(location.origin, fixture.publicUrl);
        const page = await worker.request(location.pathname + location.search);
        assert.equal(page.status, 200, page.text);
        assert.match(page.text, /Access token received/);

        const after = await worker.storedTokens(OAUTH);
        assert.notEqual(after.accessToken, before.accessToken, "new tokens were stored");
        const forwarded = await worker.admin(`/api/connections/${OAUTH}/now/table/incident?sysparm_limit=1`);
        assert.equal(forwarded.status, 200, forwarded.text);
        const view = await worker.admin(`/api/connections/${OAUTH}`);
        assert.equal(view.json.token.status, "fresh");
      } finally {
        await standin.close();
        await worker.close();
      }
    });
  });
}
