// A connection's access keys and audit trail on the connection screen, in headless Chromium against
// the worker and the stand-in: a key is created with a name and a scope, shown once with Copy, works
// for what its scope allows and nothing else, shows when it was last used, and is revoked after a
// confirmation; a new key on screen is not dropped without asking; the audit trail lists
// administrative events and forwarded requests newest first, with query parameter names but never
// their values, and fits a phone's screen. Screenshots of each state go to test-artifacts/browser/.

import { test } from "node:test";
import assert from "node:assert/strict";

import {
  ADMIN_TOKEN, assertNoSecretsShown, focusAfterAction, knownSecrets, openScreen, putConnection, screenshot, screenSuite,
  seedPassword, skipReason,
} from "./support/harness.js";

let worker;
let standin;
let browser;

screenSuite(async (started) => {
  ({ worker, standin, browser } = started);
  for (const [id, name] of [["keys-demo", "Keys demo"], ["audit-demo", "Audit demo"], ["other-demo", "Other demo"]]) {
    await putConnection(worker, id, {
      name,
      baseUrl: `${standin.url}/api/now`,
      authType: "basic",
      username: "admin",
      password: seedPassword(standin, "admin"),
    });
  }
});

const options = { skip: skipReason, timeout: 90_000 };

/** A request to the worker with `bearer`; answers the status and the JSON error code, if any. */
async function call(path, bearer, { method = "GET" } = {}) {
  const response = await fetch(`${worker.url}${path}`, { method, headers: { authorization: `Bearer ${bearer}`, accept: "application/json" } });
  const json = await response.json().catch(() => null);
  return { status: response.status, code: json?.error?.code };
}

async function openConnection(page, name) {
  await page.getByRole("button", { name: new RegExp(`^${name}`) }).click();
  await page.getByRole("heading", { name, exact: true }).waitFor();
}

/** The local date of tomorrow as an <input type="date"> value. */
function tomorrow() {
  const date = new Date(Date.now() + 86_400_000);
  return `${date.getFullYear()}-${String(date.getMonth() + 1).padStart(2, "0")}-${String(date.getDate()).padStart(2, "0")}`;
}

test("an access key: created with a name and scope, shown once with Copy, last used, revoked after a confirmation", options, async () => {
  const { page, context, problems } = await openScreen(browser, worker, { adminToken: ADMIN_TOKEN });
  try {
    await openConnection(page, "Keys demo");
    await page.locator("summary", { hasText: "Access keys" }).click();
    await page.getByText("No access keys yet.").waitFor();

    // The name is required.
    await page.getByRole("button", { name: "Create key" }).click();
    await page.locator("#key-name-error").getByText("Key name is required").waitFor();
    assert.equal(await focusAfterAction(page, "key-name"), "key-name");

    await page.getByLabel("Key name").fill("Nightly export");
    await page.getByRole("checkbox", { name: "GET" }).check();
    await page.getByRole("checkbox", { name: "HEAD" }).check();
    await page.getByLabel("API paths").fill("table/incident");
    await page.getByLabel("Valid until").fill(tomorrow());
    await page.getByRole("button", { name: "Create key" }).click();
    const box = page.getByRole("textbox", { name: "New access key" });
    await box.waitFor();
    const key = await box.inputValue();
    assert.match(key, /^snck_keys-demo\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{22}$/);
    assert.equal(await focusAfterAction(page, "copy-key"), "copy-key");
    await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: worker.url });
    await page.getByRole("button", { name: "Copy" }).click();
    await page.getByText("Key copied.").waitFor();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), key);
    const item = page.locator(".key-item").filter({ hasText: "Nightly export" });
    assert.match(await item.locator(".key-scope").textContent(), /^GET, HEAD · table\/incident$/);
    assert.match(await item.locator(".key-times").textContent(), /valid until .* · never used/);
    await screenshot(page, "keys-1-created-shown-once");

    // The key does what its scope allows, and nothing else.
    assert.equal((await call("/api/connections/keys-demo/now/table/incident?sysparm_limit=1", key)).status, 200);
    assert.deepEqual(await call("/api/connections/keys-demo/now/table/incident", key, { method: "POST" }),
      { status: 403, code: "key_method_not_allowed" });
    assert.equal((await call("/api/connections/other-demo/now/table/incident", key)).status, 401);

    // Done: the key leaves the page for good.
    await page.getByRole("button", { name: "Done: hide the key" }).click();
    await box.waitFor({ state: "hidden" });
    await assertNoSecretsShown(page, [...knownSecrets(standin), key]);

    await page.reload();
    await page.getByRole("heading", { name: "Keys demo" }).waitFor();
    await page.locator("summary", { hasText: "Access keys" }).click();
    await item.locator(".key-times").getByText(/last used/).waitFor();
    await assertNoSecretsShown(page, [...knownSecrets(standin), key]);

    // Revoke asks first; Cancel keeps the key.
    await item.getByRole("button", { name: "Revoke" }).click();
    const dialog = page.getByRole("dialog", { name: 'Revoke "Nightly export"?' });
    await dialog.waitFor();
    await screenshot(page, "keys-2-revoke-confirmation");
    await dialog.getByRole("button", { name: "Cancel" }).click();
    assert.equal((await call("/api/connections/keys-demo/now/table/incident", key)).status, 200);
    await item.getByRole("button", { name: "Revoke" }).click();
    await dialog.getByRole("button", { name: "Revoke key" }).click();
    await page.getByText('Key "Nightly export" was revoked.').waitFor();
    assert.equal(await item.count(), 0);
    await page.getByText("No access keys yet.").waitFor();
    assert.equal((await call("/api/connections/keys-demo/now/table/incident", key)).status, 401);
    assert.equal(await focusAfterAction(page, "key-name"), "key-name");
    await screenshot(page, "keys-3-revoked");
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test("a new key on screen is not dropped without asking", options, async () => {
  const { page, context, problems } = await openScreen(browser, worker, { adminToken: ADMIN_TOKEN });
  try {
    await openConnection(page, "Keys demo");
    await page.locator("summary", { hasText: "Access keys" }).click();
    await page.getByLabel("Key name").fill("Kept on screen");
    await page.getByRole("button", { name: "Create key" }).click();
    const box = page.getByRole("textbox", { name: "New access key" });
    await box.waitFor();
    await page.getByRole("button", { name: /^Other demo/ }).click();
    const dialog = page.getByRole("dialog", { name: "Leave the new access key?" });
    await dialog.waitFor();
    await dialog.getByRole("button", { name: "Cancel" }).click();
    assert.ok(await box.isVisible(), "the key is still shown");
    assert.equal(await page.locator("#editor-heading").textContent(), "Keys demo");
    await page.getByRole("button", { name: /^Other demo/ }).click();
    await dialog.getByRole("button", { name: "Go on without it" }).click();
    await page.getByRole("heading", { name: "Other demo", exact: true }).waitFor();
    assert.equal(await page.locator("#new-key-value").inputValue(), "", "the key is gone from the page");
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test("phone: the audit trail lists events and requests newest first, query names without values", options, async () => {
  // Something to see: a stored test, and a request with a query, both through the worker's API.
  assert.equal((await fetch(`${worker.url}/api/connections/audit-demo/test`, {
    method: "POST", headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
  })).status, 200);
  const forwarded = await call("/api/connections/audit-demo/now/table/incident?sysparm_query=active%3Dtrue&sysparm_limit=1", ADMIN_TOKEN);
  assert.equal(forwarded.status, 200);

  const { page, context, problems } = await openScreen(browser, worker, {
    adminToken: ADMIN_TOKEN,
    viewport: { width: 390, height: 844 },
  });
  try {
    await openConnection(page, "Audit demo");
    await page.locator("summary", { hasText: "Audit trail" }).click();
    const entries = page.locator("#audit-list .audit-what");
    await entries.first().waitFor();
    assert.deepEqual(await entries.allTextContents(), ["Test Connection: Connected", "Connection created"]);
    assert.match(await page.locator("#audit-list .audit-head").first().textContent(), /Admin$/);

    await page.getByRole("radio", { name: "Requests" }).check();
    await entries.getByText("GET /api/now/table/incident?sysparm_query&sysparm_limit").waitFor();
    assert.doesNotMatch(await page.locator("#audit-list").textContent(), /active/, "no query values");
    assert.match(await page.locator("#audit-list .audit-outcome").first().textContent(), /HTTP 200 · \d+ ms/);

    // A test on the page shows up on Refresh, newest first.
    await page.getByRole("radio", { name: "Administrative events" }).check();
    await entries.first().getByText("Test Connection: Connected").waitFor();
    await page.getByRole("button", { name: "Test Connection" }).click();
    await page.locator('#test-result-body [data-code="ok"]').waitFor();
    await page.waitForFunction(() => document.querySelectorAll("#audit-list .audit-what").length === 3);
    assert.deepEqual(await entries.allTextContents(),
      ["Test Connection: Connected", "Test Connection: Connected", "Connection created"]);

    await page.locator("summary", { hasText: "Access keys" }).click();
    const fits = await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
    assert.ok(fits, "the keys and the audit trail fit 390 px");
    await page.locator("#audit").scrollIntoViewIfNeeded();
    await screenshot(page, "audit-1-phone");
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});
