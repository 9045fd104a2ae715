// Test Connection and Basic connections on the connection screen, end to end in headless Chromium
// against the worker and the stand-in: a wrong password shows "Unauthorized", a user without roles
// shows the 403 hint about roles and sys_db_object, and the stand-in's switches bring out the
// hibernation, 404 and "Basic disabled" hints. Also editing (a stored password is never shown and is
// kept unless replaced on purpose) and deleting after a confirmation. Screenshots of each state go
// to test-artifacts/browser/.

import { test } from "node:test";
import assert from "node:assert/strict";

import {
  ADMIN_TOKEN, assertNoSecretsLogged, assertNoSecretsShown, knownSecrets, openScreen, putConnection,
  screenshot, screenSuite, seedPassword, skipReason,
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
  await page.getByLabel("User Name").fill(username);
  await page.getByRole("button", { name: "Password Click to Set" }).click();
  await page.getByRole("textbox", { name: "Password", exact: true }).fill(password);
}

/** Clicks Test Connection and waits for a result of class `code`; answers the result element. */
async function testConnection(page, code) {
  await page.getByRole("button", { name: "Test Connection" }).click();
  const result = page.locator("#test-result-body");
  await result.locator(`[data-code="${code}"]`).waitFor();
  return result;
}

test("a Basic connection with a wrong password shows unauthorized", options, async () => {
  const { page, context, problems } = await openScreen(browser, worker, { adminToken: ADMIN_TOKEN });
  try {
    await fillBasic(page, {
      name: "Wrong password",
      baseUrl: `${standin.url}/api/now`,
      username: "admin",
      password: "FAKE-not-the-password",
    });
    // Test Connection saves the new connection first, then tests it.
    const result = await testConnection(page, "unauthorized");
    assert.equal(await result.locator(".badge").textContent(), "Unauthorized");
    assert.match(await result.textContent(), /HTTP 401/);
    assert.match(await result.locator(".result-hint").textContent(), /user name and password/);
    assert.match(await result.textContent(), /Took: \d+ ms/);
    await page.getByRole("listitem").filter({ hasText: "Wrong password" }).waitFor();
    assert.equal(await page.locator("#password-state").textContent(), "Set");
    await screenshot(page, "basic-1-wrong-password-unauthorized");
    await assertNoSecretsShown(page, [...knownSecrets(standin), "FAKE-not-the-password"]);
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
    await page.getByText("Saved.").waitFor();
    assert.ok(await page.locator("#dirty-marker").isHidden());
    await testConnection(page, "ok");
    await assertNoSecretsShown(page, [...knownSecrets(standin), "FAKE-typed-then-cancelled"]);

    // Replacing on purpose: a wrong one now makes the test fail.
    await page.getByRole("button", { name: "Password Click to Set" }).click();
    await page.getByRole("textbox", { name: "Password", exact: true }).fill("FAKE-replaced-password");
    await testConnection(page, "unauthorized");
    assert.ok(await page.getByRole("textbox", { name: "Password", exact: true }).isHidden(), "the typed value is gone once saved");
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
