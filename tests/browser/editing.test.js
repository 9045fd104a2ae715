// Editing a connection on the screen, in headless Chromium at laptop width: when field errors show
// (after a pause in typing or on leaving the field, never on the first keystroke, always on Save),
// warnings for OAuth URLs on another host, Escape in a "Click to Set" box, where keyboard focus goes
// after Save, Test Connection and Delete, the loading state while a connection opens, a Test
// Connection result marked out of date by an edit, "Forget token" asking before edits are lost, and
// the list's filter. Screenshots of each state go to test-artifacts/browser/.

import { test } from "node:test";
import assert from "node:assert/strict";

import {
  ADMIN_TOKEN, CLIENT_ID, CLIENT_SECRET, focusAfterAction, openScreen, putConnection, screenshot, screenSuite, seedPassword,
  skipReason, startWorker,
} from "./support/harness.js";

let worker;
let standin;
let browser;

screenSuite(async (started) => {
  ({ worker, standin, browser } = started);
  await putConnection(worker, "basic-itil", {
    name: "Basic ITIL",
    baseUrl: `${standin.url}/api/now`,
    authType: "basic",
    username: "itil.user",
    password: seedPassword(standin, "itil.user"),
  });
  await putConnection(worker, "oauth-edit", {
    name: "OAuth to edit",
    baseUrl: `${standin.url}/api/now/v2`,
    authType: "oauth2",
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
  });
});

const options = { skip: skipReason, timeout: 60_000 };


async function openConnection(page, name) {
  await page.getByRole("button", { name: new RegExp(`^${name}`) }).click();
  await page.getByRole("heading", { name, exact: true }).waitFor();
}

test("field errors wait for a pause in typing or for leaving the field, and all show on Save", options, async () => {
  const { page, context, problems } = await openScreen(browser, worker, { adminToken: ADMIN_TOKEN });
  try {
    // The page's timers run on a clock that stands still unless the test moves it, so "after a
    // pause" is exact, however slowly the keystrokes arrive.
    await page.clock.install();
    await page.clock.pauseAt(Date.now() + 1_000);
    await page.getByRole("button", { name: "New connection" }).click();
    const baseUrl = page.getByLabel("Base URL");
    const error = page.locator("#baseUrl-error");

    await baseUrl.pressSequentially("h");
    assert.ok(await error.isHidden(), "no error for the first keystroke");
    assert.equal(await baseUrl.getAttribute("aria-invalid"), "false");
    await page.clock.runFor(900);
    await baseUrl.pressSequentially("ttps://dev8954");
    await page.clock.runFor(900);
    assert.ok(await error.isHidden(), "no error while the person keeps typing");
    await screenshot(page, "editing-1-typing-no-error-yet");
    await page.clock.runFor(200);
    await error.waitFor();
    assert.equal(await baseUrl.getAttribute("aria-invalid"), "true");
    // An instance address alone: the message says what is missing rather than quoting "/".
    const text = await error.textContent();
    assert.match(text, /missing the REST API path/);
    assert.doesNotMatch(text, /found/);

    // Once shown, the error follows each keystroke and leaves as soon as the value is right.
    await baseUrl.pressSequentially(".service-now.com/api/now");
    await error.waitFor({ state: "hidden" });

    // Leaving a field shows its error at once.
    const id = page.getByLabel("Connection ID");
    await id.fill("not valid!");
    const idError = page.locator("#connection-id-error");
    assert.ok(await idError.isHidden());
    await page.keyboard.press("Tab");
    await idError.getByText('Connection ID must be 1 to 64 letters, digits, "_" or "-".').waitFor();
    await screenshot(page, "editing-2-error-after-leaving-field");

    // Save shows every error, also of fields never touched.
    await page.getByRole("radio", { name: "OAuth 2.0" }).check();
    await page.getByRole("button", { name: "Save" }).click();
    await page.locator("#clientId-error").waitFor({ state: "attached" });
    assert.match(await page.getByRole("tab", { name: /OAuth 2\.0/ }).textContent(), /\(2 errors\)/);
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test("a Base URL at a private address is refused or accepted as the worker's ALLOW_PRIVATE_NETWORK says", options, async () => {
  const onPremise = await startWorker({ vars: { ALLOW_PRIVATE_NETWORK: "true" } });
  try {
    for (const [server, allowed] of [[worker, false], [onPremise, true]]) {
      const { page, context, problems } = await openScreen(browser, server, { adminToken: ADMIN_TOKEN });
      try {
        await page.getByRole("button", { name: "New connection" }).click();
        const baseUrl = page.getByLabel("Base URL");
        const error = page.locator("#baseUrl-error");
        // A link-local address is refused by every worker: the error shows, so validation has run.
        await baseUrl.fill("https://169.254.169.254/api/now/v2");
        await page.keyboard.press("Tab");
        await error.getByText(/link-local/).waitFor();
        await baseUrl.fill("https://10.20.30.40/api/now/v2");
        await page.keyboard.press("Tab");
        if (allowed) {
          await error.waitFor({ state: "hidden" });
        } else {
          await error.getByText(/private network address/).waitFor();
        }
        assert.deepEqual(problems, []);
      } finally {
        await context.close();
      }
    }
  } finally {
    await onPremise.close();
  }
});

test("OAuth URLs on another host than the instance get a warning, and still save", options, async () => {
  const { page, context, problems } = await openScreen(browser, worker, { adminToken: ADMIN_TOKEN });
  try {
    await openConnection(page, "OAuth to edit");
    await page.getByRole("tab", { name: "OAuth 2.0" }).click();
    const tokenUrl = page.getByLabel("Access Token URL");
    await tokenUrl.fill("https://login.example.com/oauth_token.do");
    await page.keyboard.press("Tab");
    const warning = page.locator("#tokenUrl-warning");
    await warning.waitFor();
    assert.match(await warning.textContent(), /Access Token URL is on login\.example\.com, not on the instance \(127\.0\.0\.1:\d+\)/);
    assert.match(await warning.textContent(), /client secret/);
    assert.match(await tokenUrl.getAttribute("aria-describedby"), /\btokenUrl-warning\b/);
    assert.equal(await tokenUrl.getAttribute("aria-invalid"), "false", "a warning is not an error");
    assert.ok(await page.locator("#tokenUrl-error").isHidden());

    const authorizationUrl = page.getByLabel("Authorization Token URL");
    await authorizationUrl.fill(`${standin.url}/oauth_auth.do`);
    await page.keyboard.press("Tab");
    assert.ok(await page.locator("#authorizationUrl-warning").isHidden(), "the instance's own host is no reason to warn");
    await screenshot(page, "editing-3-other-host-warning");

    // Moving the token endpoint means typing the secret again (never sent to another host unasked).
    await page.getByRole("button", { name: "Client Secret Click to Set" }).click();
    await page.getByRole("textbox", { name: "Client Secret", exact: true }).fill(CLIENT_SECRET);
    await page.getByRole("button", { name: "Save" }).click();
    await page.getByText("Saved.", { exact: true }).waitFor();
    await warning.waitFor();

    // Back to the default: no warning.
    await tokenUrl.fill("");
    await page.keyboard.press("Tab");
    await warning.waitFor({ state: "hidden" });
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test("Escape in a Click to Set box cancels it and keeps the stored secret", options, async () => {
  const { page, context, problems } = await openScreen(browser, worker, { adminToken: ADMIN_TOKEN });
  try {
    await openConnection(page, "Basic ITIL");
    await page.getByRole("button", { name: "Password Click to Set" }).click();
    const box = page.getByRole("textbox", { name: "Password", exact: true });
    await box.fill("FAKE-typed-then-escaped");
    await page.locator("#dirty-marker").waitFor();
    await page.keyboard.press("Escape");
    await box.waitFor({ state: "hidden" });
    assert.equal(await focusAfterAction(page, "password-open"), "password-open");
    assert.equal(await page.locator("#password-state").textContent(), "Set");
    assert.ok(await page.locator("#dirty-marker").isHidden(), "nothing is left to save");
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test("focus stays on a control after Save, Test Connection and Delete", options, async () => {
  await putConnection(worker, "disposable", {
    name: "Disposable",
    baseUrl: `${standin.url}/api/now`,
    authType: "basic",
    username: "itil.user",
    password: seedPassword(standin, "itil.user"),
  });
  const { page, context, problems } = await openScreen(browser, worker, { adminToken: ADMIN_TOKEN });
  try {
    await openConnection(page, "Disposable");
    await page.getByLabel("Name", { exact: true }).fill("Disposable (renamed)");
    await page.getByRole("button", { name: "Save" }).click();
    await page.getByText("Saved.", { exact: true }).waitFor();
    assert.equal(await focusAfterAction(page, "save"), "save");

    await page.getByRole("button", { name: "Test Connection" }).click();
    await page.locator('#test-result-body [data-code="ok"]').waitFor();
    assert.equal(await focusAfterAction(page, "test-connection"), "test-connection");

    await page.getByRole("button", { name: "Delete" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Delete connection" }).click();
    await page.getByText('Connection "Disposable (renamed)" was deleted.').waitFor();
    assert.equal(await focusAfterAction(page, "new-connection"), "new-connection");
    await screenshot(page, "editing-4-focus-after-delete");
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test("opening a connection shows that it is loading, and the previous one cannot be edited meanwhile", options, async () => {
  const { page, context, problems } = await openScreen(browser, worker, { adminToken: ADMIN_TOKEN });
  try {
    await openConnection(page, "Basic ITIL");
    // Hold the answer for the next connection until the test has looked at the screen.
    let release;
    const held = new Promise((resolve) => {
      release = resolve;
    });
    await page.route("**/api/connections/oauth-edit", async (route) => {
      await held;
      await route.continue();
    });
    await page.getByRole("button", { name: /^OAuth to edit/ }).click();
    await page.locator("#editor-loading").getByText('Loading connection "oauth-edit"…').waitFor();
    assert.equal(await page.locator("#editor").getAttribute("aria-busy"), "true");
    assert.equal(await page.locator("#editor-heading").textContent(), "Loading…");
    assert.ok(await page.locator("#connection-form").evaluate((form) => form.inert), "the old values cannot be edited");
    assert.equal(await page.locator("#connection-list [aria-current='true']").getAttribute("data-id"), "oauth-edit");
    await screenshot(page, "editing-5-loading-connection");
    release();
    await page.getByRole("heading", { name: "OAuth to edit" }).waitFor();
    await page.locator("#editor-loading").waitFor({ state: "hidden" });
    assert.equal(await page.locator("#editor").getAttribute("aria-busy"), "false");
    assert.ok(!(await page.locator("#connection-form").evaluate((form) => form.inert)));
    assert.equal(await page.getByLabel("Client ID").inputValue(), CLIENT_ID);
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test("New connection while the first connection is still loading opens an empty form, with no question", options, async () => {
  const context = await browser.newContext({ baseURL: worker.url });
  try {
    const page = await context.newPage();
    const problems = [];
    page.on("pageerror", (error) => problems.push(error.message));
    let release;
    const held = new Promise((resolve) => {
      release = resolve;
    });
    // The first connection of the list opens on its own after the token: hold its answer.
    await page.route("**/api/connections/basic-itil", async (route) => {
      await held;
      await route.continue();
    });
    await page.goto("/");
    await page.getByLabel("Admin token").fill(ADMIN_TOKEN);
    await page.getByRole("button", { name: "Use token" }).click();
    await page.locator("#editor-loading").getByText("Loading connection").waitFor();
    await page.getByRole("button", { name: "New connection" }).click();
    await page.getByRole("heading", { name: "New connection" }).waitFor();
    assert.equal(await page.getByRole("dialog").count(), 0, "no \"Discard unsaved changes?\"");
    release();
    await page.waitForLoadState("networkidle");
    assert.equal(await page.locator("#editor-heading").textContent(), "New connection", "the late answer is dropped");
    await page.getByLabel("Connection ID").fill("still-new");
    assert.equal(await page.getByLabel("Connection ID").inputValue(), "still-new");
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test("a Test Connection result is marked out of date by an edit, and current again when the edit is undone", options, async () => {
  const { page, context, problems } = await openScreen(browser, worker, { adminToken: ADMIN_TOKEN });
  try {
    await openConnection(page, "Basic ITIL");
    await page.getByRole("button", { name: "Test Connection" }).click();
    await page.locator('#test-result-body [data-code="ok"]').waitFor();
    const stale = page.locator("#test-result-stale");
    assert.ok(await stale.isHidden());

    await page.getByRole("textbox", { name: "User Name" }).fill("admin");
    await stale.getByText("Out of date: the settings were changed after this test.").waitFor();
    assert.equal(await page.locator("#test-result").getAttribute("data-stale"), "true");
    await screenshot(page, "editing-6-test-result-out-of-date");
    await page.getByRole("textbox", { name: "User Name" }).fill("itil.user");
    await stale.waitFor({ state: "hidden" });
    // Renaming does not change what was tested.
    await page.getByLabel("Name", { exact: true }).fill("Basic ITIL, renamed but unsaved");
    assert.ok(await stale.isHidden());
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test("Forget token asks before unsaved edits are lost", options, async () => {
  const { page, context, problems } = await openScreen(browser, worker, { adminToken: ADMIN_TOKEN });
  try {
    await openConnection(page, "Basic ITIL");
    await page.getByLabel("Name", { exact: true }).fill("Edited, not saved");
    await page.getByRole("button", { name: "Forget token" }).click();
    const dialog = page.getByRole("dialog", { name: "Discard unsaved changes?" });
    await dialog.waitFor();
    await screenshot(page, "editing-7-forget-token-with-edits");
    await dialog.getByRole("button", { name: "Cancel" }).click();
    await dialog.waitFor({ state: "hidden" });
    assert.equal(await page.getByLabel("Name", { exact: true }).inputValue(), "Edited, not saved");
    assert.ok(await page.locator("#workspace").isVisible(), "still signed in");
    assert.equal(await focusAfterAction(page, "admin-forget"), "admin-forget");

    await page.getByRole("button", { name: "Forget token" }).click();
    await dialog.getByRole("button", { name: "Discard changes" }).click();
    await page.getByText("Enter the admin token to see and edit the connections.").waitFor();
    assert.deepEqual(await page.evaluate(() => Object.keys(sessionStorage)), []);
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test("the list filters by name or id", options, async () => {
  const { page, context, problems } = await openScreen(browser, worker, { adminToken: ADMIN_TOKEN });
  try {
    const items = page.locator("#connection-list > li:not([hidden])");
    const total = await items.count();
    assert.ok(total >= 2);
    const filter = page.getByLabel("Filter by name or ID");
    await filter.fill("itil");
    assert.deepEqual(await items.locator("button").evaluateAll((buttons) => buttons.map((b) => b.dataset.id)), ["basic-itil"]);
    await page.getByText(`1 of ${total} connections shown.`).waitFor();
    await filter.fill("OAUTH-ED");
    assert.deepEqual(await items.locator("button").evaluateAll((buttons) => buttons.map((b) => b.dataset.id)), ["oauth-edit"]);
    await filter.fill("to edit");
    assert.deepEqual(await items.locator("button").evaluateAll((buttons) => buttons.map((b) => b.dataset.id)), ["oauth-edit"]);
    await screenshot(page, "editing-8-list-filtered");
    await filter.fill("nothing like this");
    assert.equal(await items.count(), 0);
    await page.getByText('No connection matches "nothing like this".').waitFor();
    await filter.fill("");
    assert.equal(await items.count(), total);
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});
