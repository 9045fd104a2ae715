// The ServiceNow user of a connection's token: read with the new token right after Generate (the
// current user's sys_user record, user_name and name), kept with the token state through refreshes,
// shown in the view and the listing, and gone with the token. An instance that refuses the read
// leaves the user unknown; the authorization itself still succeeds.

import { test } from "node:test";
import assert from "node:assert/strict";

import { connect, oauthSettings, workerSuite } from "./support/harness.js";

let worker;
let standin;

workerSuite((started) => ({ worker, standin } = started));

async function tokenOf(id) {
  return (await worker.admin(`/api/connections/${id}`)).json.token;
}

async function listedTokenOf(id) {
  return (await worker.admin("/api/connections")).json.connections.find((connection) => connection.id === id).token;
}

test("after Generate, the view and the listing name the token's ServiceNow user", async () => {
  await worker.putConnection("user-known", oauthSettings(standin));
  const { page } = await connect(worker, "user-known", standin, { userName: "itil.user" });
  assert.equal(page.status, 200, page.text);
  const expected = { known: true, userName: "itil.user", name: "Itil User" };
  assert.deepEqual((await tokenOf("user-known")).user, expected);
  assert.deepEqual((await listedTokenOf("user-known")).user, expected);

  // A refresh keeps it: the refresh grant acts for the same user.
  await worker.hook("expire-access-token", { id: "user-known", expiresAt: Date.now() - 60_000 });
  const forwarded = await worker.admin("/api/connections/user-known/now/table/incident?sysparm_limit=1");
  assert.equal(forwarded.status, 200, forwarded.text);
  const refreshed = await tokenOf("user-known");
  assert.equal(refreshed.status, "fresh");
  assert.deepEqual(refreshed.user, expected);

  // Another Generate as another user replaces it; Reset removes it.
  await connect(worker, "user-known", standin, { userName: "admin" });
  assert.equal((await tokenOf("user-known")).user.userName, "admin");
  await worker.admin("/api/connections/user-known/token", { method: "DELETE" });
  assert.equal((await tokenOf("user-known")).user, undefined);
});

test("an instance that refuses reading sys_user leaves the user unknown, and Generate still succeeds", async () => {
  await worker.putConnection("user-unknown", oauthSettings(standin));
  standin.configure({ readDenied: ["sys_user"] });
  try {
    const { page } = await connect(worker, "user-unknown", standin);
    assert.equal(page.status, 200, page.text);
  } finally {
    standin.configure({ readDenied: [] });
  }
  const token = await tokenOf("user-unknown");
  assert.equal(token.status, "fresh");
  assert.deepEqual(token.user, { known: false });
  const test = await worker.admin("/api/connections/user-unknown/test", { method: "POST" });
  assert.equal(test.json.code, "ok");
});
