// Test Connection and Basic connections on the connection screen, end to end in headless Chromium
// against the worker and the stand-in: Test Connection runs on the settings as typed and stores
// nothing (a new connection is not created, a stored password is not replaced, an OAuth 2.0
// connection with another client says to save and Generate); a wrong password shows
// "Unauthorized", a user without roles shows the 403 hint about roles and sys_db_object, and the
// stand-in's switches bring out the hibernation, 404 and "Basic disabled" hints. Also editing (a
// stored password is never shown and is kept unless replaced on purpose) and deleting after a
// confirmation. Screenshots of each state go to test-artifacts/browser/.

import { test } from "node:test";
import assert from "node:assert/strict";

import {
  ADMIN_TOKEN, CLIENT_ID, CLIENT_SECRET, assertNoSecretsLogged, assertNoSecretsShown, authorizeInPopup, knownSecrets,
  openScreen, putConnection, screenshot, screenSuite, seedPassword, skipReason,
} from "./support/harness.js";

let worker;
let standin;
let browser;

screenSuite((started) => ({ worker, standin, browser } = started));

const options = { skip: skipReason, timeout: 60_000 };

/** Fills the New connection form for Basic authentication (the password through Click to Set). */
async function fillBasic(page, { name, baseUrl, username, password }) {
  await page.getByRole("button", { name: "New connection" }).click();
  await page.getByLabel("Name", { exact: true }).fill(name);
  await page.getByLabel("Base URL").fill(baseUrl);
  await page.getByRole("radio", { name: "Basic" }).check();
  await page.getByRole("textbox", { name: "User Name" }).fill(username);
  await page.getByRole("button", { name: "Password Click to Set" }).click();
  await page.getByRole("textbox", { name: "Password", exact: true }).fill(password);
}

/** The worker's answer to an admin GET of `path` (under /api/connections). */
async function adminGet(path) {
  const response = await fetch(`${worker.url}/api/connections${path}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  return { status: response.status, json: await response.json().catch(() => null) };
}

/** Tests the stored settings through the worker's API, as the listing's "last test" counts them. */
async function storedTest(id) {
  const response = await fetch(`${worker.url}/api/connections/${id}/test`, {
    method: "POST",
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
  });
  return response.json();
}

/** Clicks Test Connection and waits for a result of class `code`; answers the result element. */
async function testConnection(page, code) {
  // The previous result goes first, so the wait below sees this test's result, not the last one.
  await page.locator("#test-result-body").evaluate((body) => body.replaceChildren());
  await page.getByRole("button", { name: "Test Connection" }).click();
  const result = page.locator("#test-result-body");
  await result.locator(`[data-code="${code}"]`).waitFor();
  return result;
}

test("Test Connection on a new connection tests what is typed and creates nothing; a wrong password shows unauthorized", options, async () => {
  const { page, context, problems } = await openScreen(browser, worker, { adminToken: ADMIN_TOKEN });
  try {
    await fillBasic(page, {
      name: "Wrong password",
      baseUrl: `${standin.url}/api/now`,
      username: "admin",
      password: "FAKE-not-the-password",
    });
    const result = await testConnection(page, "unauthorized");
    assert.equal(await result.locator(".badge").textContent(), "Unauthorized");
    assert.match(await result.textContent(), /HTTP 401/);
    assert.match(await result.locator(".result-hint").textContent(), /user name and password/);
    assert.match(await result.textContent(), /Took: \d+ ms/);
    assert.equal(await result.locator(".result-tested").textContent(), "Tested the settings as entered. Nothing was saved.");
    await screenshot(page, "basic-1-wrong-password-unauthorized");
    // Nothing was created: not in the list, not in the worker; the form is still the unsaved one.
    assert.equal(await page.getByRole("listitem").filter({ hasText: "Wrong password" }).count(), 0);
    assert.equal((await adminGet("/wrong-password")).status, 404);
    await page.getByRole("heading", { name: "New connection" }).waitFor();
    assert.equal(await page.locator("#password-state").textContent(), "Not set");

    // With the right password typed, the same unsaved form tests ok; Save then creates it.
    await page.getByRole("textbox", { name: "Password", exact: true }).fill(seedPassword(standin, "admin"));
    await testConnection(page, "ok");
    assert.equal((await adminGet("/wrong-password")).status, 404);
    await page.getByRole("button", { name: "Save" }).click();
    await page.getByText('Connection "Wrong password" created.').waitFor();
    assert.equal((await storedTest("wrong-password")).code, "ok");
    await assertNoSecretsShown(page, knownSecrets(standin));
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test("a user without roles shows the 403 hint about roles and sys_db_object", options, async () => {
  const { page, context, problems } = await openScreen(browser, worker, { adminToken: ADMIN_TOKEN });
  try {
    await fillBasic(page, {
      name: "No roles",
      baseUrl: `${standin.url}/api/now/v2`,
      username: "no.roles",
      password: seedPassword(standin, "no.roles"),
    });
    await page.getByRole("button", { name: "Save" }).click();
    await page.getByText('Connection "No roles" created.').waitFor();
    const result = await testConnection(page, "forbidden");
    assert.equal(await result.locator(".badge").textContent(), "Forbidden");
    assert.match(await result.textContent(), /HTTP 403/);
    const hint = await result.locator(".result-hint").textContent();
    assert.match(hint, /roles/);
    assert.match(hint, /sys_db_object/);
    await screenshot(page, "basic-2-no-roles-forbidden");
    await assertNoSecretsShown(page, knownSecrets(standin));
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test("Test Connection explains a hibernating instance, a wrong API version and Basic being disabled", options, async () => {
  await putConnection(worker, "itil", {
    name: "ITIL user",
    baseUrl: `${standin.url}/api/now/v2`,
    authType: "basic",
    username: "itil.user",
    password: seedPassword(standin, "itil.user"),
  });
  const { page, context, problems } = await openScreen(browser, worker, { adminToken: ADMIN_TOKEN });
  try {
    await page.getByRole("button", { name: /^ITIL user/ }).click();
    await page.getByRole("heading", { name: "ITIL user" }).waitFor();
    await testConnection(page, "ok");

    standin.configure({ hibernating: true });
    let result = await testConnection(page, "hibernating");
    assert.equal(await result.locator(".badge").textContent(), "Instance hibernating");
    assert.match(await result.locator(".result-hint").textContent(), /wake/);
    await screenshot(page, "basic-3-hibernating");

    standin.configure({ hibernating: false, apiVersions: ["v1"] });
    result = await testConnection(page, "not_found");
    assert.match(await result.textContent(), /HTTP 404/);
    const notFoundHint = await result.locator(".result-hint").textContent();
    assert.match(notFoundHint, /API path/);
    assert.match(notFoundHint, /version/);
    await screenshot(page, "basic-4-not-found");

    standin.configure({ apiVersions: ["v1", "v2"], basicDisabled: true });
    result = await testConnection(page, "unauthorized");
    assert.match(await result.locator(".result-hint").textContent(), /Basic authentication may be disabled.*use OAuth 2\.0/);
    await screenshot(page, "basic-5-basic-disabled");
    assert.deepEqual(problems, []);
  } finally {
    standin.configure({ hibernating: false, apiVersions: ["v1", "v2"], basicDisabled: false });
    await context.close();
  }
});

test("editing never shows a stored password, keeps it unless replaced on purpose; delete asks first", options, async () => {
  const password = seedPassword(standin, "admin");
  const { page, context, problems } = await openScreen(browser, worker, { adminToken: ADMIN_TOKEN });
  try {
    await fillBasic(page, { name: "Admin (Basic)", baseUrl: `${standin.url}/api/now`, username: "admin", password });
    await page.getByRole("button", { name: "Save" }).click();
    await page.getByText('Connection "Admin (Basic)" created.').waitFor();
    await assertNoSecretsShown(page, knownSecrets(standin));

    // A fresh page load: the password is "Set", and nothing on the page holds it.
    await page.reload();
    await page.getByRole("heading", { name: "Admin (Basic)" }).waitFor();
    assert.equal(await page.locator("#password-state").textContent(), "Set");
    assert.ok(await page.getByRole("textbox", { name: "Password", exact: true }).isHidden());
    await screenshot(page, "basic-6-saved-password-set");
    await assertNoSecretsShown(page, knownSecrets(standin));

    // Opening the box and cancelling changes nothing; renaming keeps the stored password.
    await page.getByRole("button", { name: "Password Click to Set" }).click();
    await page.getByRole("textbox", { name: "Password", exact: true }).fill("FAKE-typed-then-cancelled");
    await page.getByRole("button", { name: "Cancel" }).click();
    assert.ok(await page.getByRole("textbox", { name: "Password", exact: true }).isHidden());
    await page.getByLabel("Name", { exact: true }).fill("Admin (Basic, renamed)");
    await page.locator("#dirty-marker").waitFor();
    await page.getByRole("button", { name: "Save" }).click();
    await page.getByText("Saved.", { exact: true }).waitFor();
    assert.ok(await page.locator("#dirty-marker").isHidden());
    await testConnection(page, "ok");
    await assertNoSecretsShown(page, [...knownSecrets(standin), "FAKE-typed-then-cancelled"]);

    // Trying another password tests it without replacing the stored one.
    await page.getByRole("button", { name: "Password Click to Set" }).click();
    await page.getByRole("textbox", { name: "Password", exact: true }).fill("FAKE-replaced-password");
    await testConnection(page, "unauthorized");
    assert.equal((await storedTest("admin-basic")).code, "ok", "the stored password still works");
    await page.locator("#dirty-marker").waitFor();

    // Replacing on purpose: saved, the wrong one now makes the test fail.
    await page.getByRole("button", { name: "Save" }).click();
    await page.getByText("Saved.", { exact: true }).waitFor();
    assert.ok(await page.getByRole("textbox", { name: "Password", exact: true }).isHidden(), "the typed value is gone once saved");
    await testConnection(page, "unauthorized");
    assert.equal(await page.locator("#test-result-body .result-tested").textContent(), "Tested the saved settings.");
    await assertNoSecretsShown(page, [...knownSecrets(standin), "FAKE-replaced-password"]);

    // Delete: cancelling keeps it, confirming removes it from the list.
    await page.getByRole("button", { name: "Delete" }).click();
    const dialog = page.getByRole("dialog", { name: 'Delete "Admin (Basic, renamed)"?' });
    await dialog.waitFor();
    await screenshot(page, "basic-7-delete-confirmation");
    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "hidden" });
    await page.getByRole("listitem").filter({ hasText: "Admin (Basic, renamed)" }).waitFor();
    await page.getByRole("button", { name: "Delete" }).click();
    await dialog.getByRole("button", { name: "Delete connection" }).click();
    await page.getByText('Connection "Admin (Basic, renamed)" was deleted.').waitFor();
    assert.equal(await page.getByRole("listitem").filter({ hasText: "Admin (Basic, renamed)" }).count(), 0);
    await page.getByRole("heading", { name: "New connection" }).waitFor();
    const left = await fetch(`${worker.url}/api/connections/admin-basic`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    assert.equal(left.status, 404);
    await left.body?.cancel();
    await screenshot(page, "basic-8-deleted");

    assertNoSecretsLogged(worker, knownSecrets(standin));
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test("Test Connection of unsaved OAuth 2.0 settings stores nothing and says to save and Generate for another client", options, async () => {
  await putConnection(worker, "oauth-typed", {
    name: "OAuth typed",
    baseUrl: `${standin.url}/api/now/v2`,
    authType: "oauth2",
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
  });
  const { page, context, problems } = await openScreen(browser, worker, { adminToken: ADMIN_TOKEN });
  try {
    await page.getByRole("button", { name: /^OAuth typed/ }).click();
    await page.getByRole("heading", { name: "OAuth typed" }).waitFor();
    await page.getByRole("tab", { name: "OAuth 2.0" }).click();
    const popupOpened = page.waitForEvent("popup");
    await page.getByRole("button", { name: "Generate" }).click();
    await authorizeInPopup(await popupOpened, standin, { userName: "admin" });
    await page.locator("#generate-status").getByText("Access token received").waitFor();
    const before = (await adminGet("/oauth-typed")).json;

    // Another API version only: the stored token still belongs to these settings.
    await page.getByRole("tab", { name: "Connection" }).click();
    await page.getByLabel("Base URL").fill(`${standin.url}/api/now/v1`);
    let result = await testConnection(page, "ok");
    assert.equal(await result.locator(".result-tested").textContent(), "Tested the settings as entered. Nothing was saved.");

    // Another client: the token is not theirs; nothing is refreshed, cleared or replaced.
    await page.getByRole("tab", { name: /^OAuth 2\.0/ }).click();
    await page.getByLabel("Client ID").fill("another-client");
    result = await testConnection(page, "reauthorization_required");
    assert.equal(await result.locator(".badge").textContent(), "Not authorized for these settings");
    assert.match(await result.locator(".result-message").textContent(), /[Ss]ave.*Generate/);
    await screenshot(page, "basic-9-oauth-typed-other-client");
    const after = (await adminGet("/oauth-typed")).json;
    assert.equal(after.clientId, CLIENT_ID);
    assert.equal(after.baseUrl, before.baseUrl);
    assert.equal(after.token.issuedAt, before.token.issuedAt, "the stored token is untouched");
    assert.equal(after.updatedAt, before.updatedAt);
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test("the list shows when each connection was last tested and how; tests of typed settings do not count", options, async () => {
  await putConnection(worker, "last-test", {
    name: "Last test",
    baseUrl: `${standin.url}/api/now`,
    authType: "basic",
    username: "itil.user",
    password: seedPassword(standin, "itil.user"),
  });
  const { page, context, problems } = await openScreen(browser, worker, { adminToken: ADMIN_TOKEN });
  try {
    const item = page.locator('#connection-list button[data-id="last-test"]');
    await item.getByText("Not tested yet").waitFor();
    await page.getByRole("button", { name: /^Last test/ }).click();
    await page.getByRole("heading", { name: "Last test" }).waitFor();
    await testConnection(page, "ok");
    await item.locator(".connection-test .badge").getByText("Connected").waitFor();
    assert.match(await item.locator(".connection-test time").getAttribute("datetime"), /^\d{4}-\d{2}-\d{2}T/);
    await screenshot(page, "basic-10-list-last-test");

    // A typed password that fails is not the connection's test: the list keeps "Connected".
    await page.getByRole("button", { name: "Password Click to Set" }).click();
    await page.getByRole("textbox", { name: "Password", exact: true }).fill("FAKE-typed-wrong-password");
    await testConnection(page, "unauthorized");
    const listed = (await adminGet("")).json.connections.find((connection) => connection.id === "last-test");
    assert.equal(listed.lastTest.code, "ok");
    assert.equal(await item.locator(".connection-test").getAttribute("data-code"), "ok");
    await page.locator('[data-secret="password"]').getByRole("button", { name: "Cancel" }).click();
    await page.locator("#dirty-marker").waitFor({ state: "hidden" });

    // A failing test of the saved settings is.
    standin.configure({ hibernating: true });
    await testConnection(page, "hibernating");
    await item.locator(".connection-test .badge").getByText("Instance hibernating").waitFor();
    assert.deepEqual(problems, []);
  } finally {
    standin.configure({ hibernating: false });
    await context.close();
  }
});
