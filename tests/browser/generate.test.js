// Generate and the token state on the connection screen, in headless Chromium against the worker and
// the stand-in: no authorization window for settings with errors, "Save and Generate" for unsaved
// changes (the window still opens: confirming is the person's own click), the likely causes named
// when the window closes without a result (a wrong Client ID leaves the instance's error page in
// it), "Not authorized yet" for a connection that never had a token, a Test Connection result
// marked out of date by Generate and Reset, focus after Reset, and a callback page that posts its
// result to the page that clicked Generate only (no console errors for other allowed origins).
// Screenshots of each state go to test-artifacts/browser/.

import { test } from "node:test";
import assert from "node:assert/strict";

import {
  ADMIN_TOKEN, CLIENT_ID, CLIENT_SECRET, authorizeInPopup, focusAfterAction, launchBrowser, openScreen,
  putConnection, screenshot, screenSuite, skipReason, startStandinFor, startWorker,
} from "./support/harness.js";

let worker;
let standin;
let browser;

screenSuite((started) => ({ worker, standin, browser } = started));

const options = { skip: skipReason, timeout: 90_000 };

function oauthSettings(extra = {}) {
  return {
    baseUrl: `${standin.url}/api/now/v2`,
    authType: "oauth2",
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    ...extra,
  };
}

async function openOAuthTab(page, name) {
  await page.getByRole("button", { name: new RegExp(`^${name}`) }).click();
  await page.getByRole("heading", { name, exact: true }).waitFor();
  await page.getByRole("tab", { name: /^OAuth 2\.0/ }).click();
}

async function view(id) {
  const response = await fetch(`${worker.url}/api/connections/${id}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  return response.json();
}

test("Generate with field errors opens no window and points at the errors", options, async () => {
  const { page, context, problems } = await openScreen(browser, worker, { adminToken: ADMIN_TOKEN });
  try {
    let opened = 0;
    page.on("popup", () => {
      opened += 1;
    });
    await page.getByRole("button", { name: "New connection" }).click();
    await page.getByLabel("Name", { exact: true }).fill("Missing client");
    await page.getByLabel("Base URL").fill(`${standin.url}/api/now/v2`);
    await page.getByRole("radio", { name: "OAuth 2.0" }).check();
    await page.getByRole("tab", { name: "OAuth 2.0" }).click();
    await page.getByRole("button", { name: "Generate" }).click();
    await page.locator("#form-status").getByText("Some fields need attention").waitFor();
    await page.locator("#clientId-error").getByText("Client ID is required").waitFor();
    assert.equal(await focusAfterAction(page, "clientId"), "clientId");
    assert.equal(opened, 0, "no authorization window");
    await screenshot(page, "generate-1-field-errors-no-window");
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test("Generate on unsaved changes asks to save first; Save and Generate saves, then authorizes", options, async () => {
  await putConnection(worker, "save-first", { name: "Save first", ...oauthSettings() });
  const { page, context, problems } = await openScreen(browser, worker, { adminToken: ADMIN_TOKEN });
  try {
    await openOAuthTab(page, "Save first");
    await page.getByLabel("Name", { exact: true }).fill("Save first (renamed)");
    let opened = 0;
    page.on("popup", () => {
      opened += 1;
    });
    await page.getByRole("button", { name: "Generate" }).click();
    const dialog = page.getByRole("dialog", { name: "Save your changes first?" });
    await dialog.waitFor();
    await screenshot(page, "generate-2-save-first");
    await dialog.getByRole("button", { name: "Cancel" }).click();
    await dialog.waitFor({ state: "hidden" });
    assert.equal(opened, 0);
    assert.equal((await view("save-first")).name, "Save first", "nothing saved on Cancel");
    await page.locator("#dirty-marker").waitFor();

    await page.getByRole("button", { name: "Generate" }).click();
    const popupOpened = page.waitForEvent("popup");
    await dialog.getByRole("button", { name: "Save and Generate" }).click();
    await authorizeInPopup(await popupOpened, standin, { userName: "admin" });
    await page.locator("#generate-status").getByText("Access token received and successfully generated.").waitFor();
    assert.equal((await view("save-first")).name, "Save first (renamed)");
    assert.ok(await page.locator("#dirty-marker").isHidden());
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test("a window closed without a result names the likely causes: Client ID, registered redirect URL", options, async () => {
  await putConnection(worker, "wrong-client", { name: "Wrong client", ...oauthSettings({ clientId: "no-such-client" }) });
  const { page, context, problems } = await openScreen(browser, worker, { adminToken: ADMIN_TOKEN });
  try {
    await openOAuthTab(page, "Wrong client");
    const popupOpened = page.waitForEvent("popup");
    await page.getByRole("button", { name: "Generate" }).click();
    const popup = await popupOpened;
    // The instance shows its own error page for an unknown client; it never reaches the callback.
    await popup.waitForURL((url) => url.href.startsWith(standin.url));
    await popup.waitForLoadState();
    await screenshot(popup, "generate-3-instance-error-page");
    await popup.close();
    await page.bringToFront();
    const status = page.locator("#generate-status");
    await status.getByText("The authorization window was closed before the authorization finished. No token was stored.").waitFor({ timeout: 20_000 });
    const text = await status.textContent();
    assert.match(text, /check the Client ID/);
    assert.match(text, /Callback URL above is registered as a Redirect URL/);
    await screenshot(page, "generate-4-closed-without-result");
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test("a connection never authorized says Not authorized yet, in the list, the token state and Test Connection", options, async () => {
  await putConnection(worker, "never-authorized", { name: "Never authorized", ...oauthSettings() });
  const { page, context, problems } = await openScreen(browser, worker, { adminToken: ADMIN_TOKEN });
  try {
    await page.getByRole("listitem").filter({ hasText: "Never authorized" }).getByText("Not authorized yet").waitFor();
    await openOAuthTab(page, "Never authorized");
    await page.locator("#token-state").getByText("Not authorized yet").waitFor();
    await page.getByRole("button", { name: "Test Connection" }).click();
    const result = page.locator("#test-result-body");
    await result.locator('[data-code="reauthorization_required"]').waitFor();
    assert.equal(await result.locator(".badge").textContent(), "Not authorized yet");
    assert.doesNotMatch(await page.locator("main").textContent(), /Re-authorization required/);
    await screenshot(page, "generate-5-not-authorized-yet");
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test("Generate and Reset mark a Test Connection result out of date; focus goes to Generate after Reset", options, async () => {
  await putConnection(worker, "stale-token", { name: "Stale token", ...oauthSettings() });
  const { page, context, problems } = await openScreen(browser, worker, { adminToken: ADMIN_TOKEN });
  try {
    await openOAuthTab(page, "Stale token");
    let popupOpened = page.waitForEvent("popup");
    await page.getByRole("button", { name: "Generate" }).click();
    await authorizeInPopup(await popupOpened, standin, { userName: "admin" });
    await page.locator("#generate-status").getByText("Access token received").waitFor();

    await page.getByRole("button", { name: "Test Connection" }).click();
    await page.locator('#test-result-body [data-code="ok"]').waitFor();
    const stale = page.locator("#test-result-stale");
    assert.ok(await stale.isHidden());

    await page.getByRole("button", { name: "Reset" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Reset token" }).click();
    await stale.getByText("Out of date: the access token was reset after this test.").waitFor();
    assert.equal(await focusAfterAction(page, "generate"), "generate", "Reset is disabled now: focus moves to Generate");
    await screenshot(page, "generate-6-result-out-of-date-after-reset");

    await page.getByRole("button", { name: "Test Connection" }).click();
    await page.locator('#test-result-body [data-code="reauthorization_required"]').waitFor();
    assert.ok(await stale.isHidden(), "a new result is current");
    popupOpened = page.waitForEvent("popup");
    await page.getByRole("button", { name: "Generate" }).click();
    await authorizeInPopup(await popupOpened, standin, { userName: "admin" });
    await stale.getByText("Out of date: a new access token was generated after this test.").waitFor();
    assert.equal(await focusAfterAction(page, "generate"), "generate");
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test("the callback page posts its result only to the page that clicked Generate", options, async () => {
  // Another allowed origin (a second admin page, say): the callback must not post there, which the
  // browser reports in the console of the page that opened the window.
  const otherWorker = await startWorker({ vars: { ALLOWED_ORIGINS: "http://localhost:9" } });
  const otherStandin = await startStandinFor(otherWorker);
  const otherBrowser = await launchBrowser();
  try {
    await putConnection(otherWorker, "one-origin", {
      name: "One origin",
      baseUrl: `${otherStandin.url}/api/now/v2`,
      authType: "oauth2",
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
    });
    const { page, context, problems } = await openScreen(otherBrowser, otherWorker, { adminToken: ADMIN_TOKEN });
    try {
      await openOAuthTab(page, "One origin");
      // Chromium reports a message sent to another origin in the receiving window's console.
      const postMessageComplaints = [];
      const listen = (source) => source.on("console", (message) => {
        if (/postMessage/.test(message.text())) postMessageComplaints.push(message.text());
      });
      listen(page);
      const popupOpened = page.waitForEvent("popup");
      await page.getByRole("button", { name: "Generate" }).click();
      const popup = await popupOpened;
      listen(popup);
      await authorizeInPopup(popup, otherStandin, { userName: "admin" });
      await page.locator("#generate-status").getByText("Access token received and successfully generated.").waitFor();
      await popup.waitForEvent("close", { timeout: 5_000 }).catch(() => {});
      assert.deepEqual(postMessageComplaints, []);
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  } finally {
    await otherBrowser.close();
    await otherStandin.close();
    await otherWorker.close();
  }
});

test("the token state names the ServiceNow user of the token, or says it is unknown when the instance refuses the read", options, async () => {
  await putConnection(worker, "token-user", { name: "Token user", ...oauthSettings() });
  const { page, context, problems } = await openScreen(browser, worker, { adminToken: ADMIN_TOKEN });
  try {
    await openOAuthTab(page, "Token user");
    let popupOpened = page.waitForEvent("popup");
    await page.getByRole("button", { name: "Generate" }).click();
    await authorizeInPopup(await popupOpened, standin, { userName: "itil.user" });
    await page.locator("#generate-status").getByText("Access token received").waitFor();
    const userLine = page.locator("#token-state .token-user");
    await userLine.waitFor();
    assert.equal(await userLine.textContent(), "Acts as ServiceNow user itil.user (Itil User).");
    await screenshot(page, "generate-7-token-user");

    // An instance whose ACL refuses reading sys_user: the token still works, its user is unknown.
    standin.configure({ readDenied: ["sys_user"] });
    popupOpened = page.waitForEvent("popup");
    await page.getByRole("button", { name: "Generate" }).click();
    await authorizeInPopup(await popupOpened, standin, { userName: "admin" });
    await page.locator("#generate-status").getByText("Access token received").waitFor();
    await userLine.getByText("ServiceNow user: unknown").waitFor();
    await page.locator("#token-state").getByText("Access token valid until").waitFor();
    await screenshot(page, "generate-8-token-user-unknown");
    assert.deepEqual(problems, []);
  } finally {
    standin.configure({ readDenied: [] });
    await context.close();
  }
});
