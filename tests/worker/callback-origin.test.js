// Where the callback page posts its result: to the origin of the page that clicked Generate (the
// Origin of the Generate request, kept with the pending authorization) while that origin is still
// allowed, and to no other; without a known opener, to the worker's own page only. Another allowed
// origin never hears a result it did not ask for, and the browser has no reason to complain about a
// message to a window of another origin.

import { test } from "node:test";
import assert from "node:assert/strict";

import {
  PAGE_ORIGIN, authorize, oauthSettings, postedMessage, removeDir, startStandinFor, startWorker, tempDir, workerSuite,
} from "./support/harness.js";
import { authorizeOverHttp } from "../servicenow-standin/authorize.js";

let worker;
let standin;

workerSuite(async (started) => {
  ({ worker, standin } = started);
  await worker.putConnection("opener", oauthSettings(standin));
});

/** Generate with `origin` as the page's Origin (none when null), log in, open the callback. */
async function callbackFor(origin, { on = worker, instance = standin, id = "opener" } = {}) {
  const headers = origin === null ? {} : { origin };
  const generated = await on.admin(`/api/connections/${id}/oauth/generate`, { method: "POST", headers });
  assert.equal(generated.status, 200, generated.text);
  const location = new URL(await authorizeOverHttp(generated.json.authorizationUrl, {
    username: "admin",
    password: instance.seed.users.find((user) => user.user_name === "admin").password,
    decision: "allow",
  }));
  const page = await on.request(location.pathname + location.search);
  assert.equal(page.status, 200, page.text);
  return postedMessage(page.text);
}

test("the result goes to the allowed origin that clicked Generate, and to no other", async () => {
  const posted = await callbackFor(PAGE_ORIGIN);
  assert.deepEqual(posted.targetOrigins, [PAGE_ORIGIN]);
  assert.equal(posted.message.ok, true);
});

test("the worker's own page gets it when it clicked Generate, or when no page did", async () => {
  assert.deepEqual((await callbackFor(worker.origin)).targetOrigins, [worker.origin]);
  assert.deepEqual((await callbackFor(null)).targetOrigins, [worker.origin]);
});

test("an unknown authorization request tells only the worker's own page", async () => {
  const location = await authorize(worker, "opener", standin);
  const first = await worker.request(location.pathname + location.search);
  assert.equal(first.status, 200);
  // The same state again: known, used; the opener recorded with it is the one told.
  const again = await worker.request(location.pathname + location.search);
  assert.equal(again.status, 409);
  assert.deepEqual(postedMessage(again.text).targetOrigins, [worker.origin]);
  const unknown = await worker.request(`/oauth2/callback?code=x&state=opener.${"A".repeat(43)}`);
  assert.equal(unknown.status, 400);
  assert.deepEqual(postedMessage(unknown.text).targetOrigins, [worker.origin]);
});

test("an opener origin that is no longer allowed at the callback is not told", async () => {
  const dir = await tempDir("callback-origin-");
  let first = await startWorker({ persistDir: dir });
  let instance;
  try {
    instance = await startStandinFor(first);
    await first.putConnection("opener", oauthSettings(instance));
    const generated = await first.admin("/api/connections/opener/oauth/generate", { method: "POST", headers: { origin: PAGE_ORIGIN } });
    const location = new URL(await authorizeOverHttp(generated.json.authorizationUrl, {
      username: "admin",
      password: instance.seed.users.find((user) => user.user_name === "admin").password,
      decision: "allow",
    }));
    await first.close();
    // The same storage, the same address is not needed: the callback is opened on the new worker.
    first = await startWorker({ persistDir: dir, vars: { ALLOWED_ORIGINS: undefined } });
    const page = await first.request(location.pathname + location.search);
    assert.deepEqual(postedMessage(page.text).targetOrigins, []);
  } finally {
    await instance?.close();
    await first.close();
    await removeDir(dir);
  }
});
