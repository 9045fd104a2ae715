// OAuth 2.0 on the connection screen, end to end in headless Chromium: a person creates an OAuth
// connection, clicks Generate, logs in at the stand-in's login page in the authorization window,
// allows access, sees the token state, runs Test Connection and resets the token. Also the ways
// Generate fails (access denied, a window closed half-way, a blocked popup) and the token states a
// person must notice (refresh token about to expire, re-authorization required). Screenshots of each
// state go to test-artifacts/browser/.

import { test } from "node:test";
import assert from "node:assert/strict";

import {
  ADMIN_TOKEN, CLIENT_ID, CLIENT_SECRET, assertNoSecretsLogged, assertNoSecretsShown, authorizeInPopup,
  knownSecrets, openScreen, putConnection, screenshot, screenSuite, skipReason,
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

test("create an OAuth 2.0 connection, Generate in the authorization window, see the token, Test Connection ok, Reset", options, async () => {
  const { page, context, problems } = await openScreen(browser, worker, { adminToken: ADMIN_TOKEN });
  try {
    await page.getByLabel("Name", { exact: true }).fill("Dev instance (OAuth)");
    assert.equal(await page.getByLabel("Connection ID").inputValue(), "dev-instance-oauth", "an id is suggested from the name");
    await page.getByLabel("Base URL").fill(`${standin.url}/api/now/v2`);
    await page.getByRole("radio", { name: "OAuth 2.0" }).check();
    await page.getByRole("tab", { name: "OAuth 2.0" }).click();

    // The instance's defaults as placeholders, and the callback to register, with a copy button.
    assert.equal(await page.getByLabel("Authorization Token URL").getAttribute("placeholder"), `${standin.url}/oauth_auth.do`);
    assert.equal(await page.getByLabel("Access Token URL").getAttribute("placeholder"), `${standin.url}/oauth_token.do`);
    const callback = page.getByLabel("Callback URL");
    assert.equal(await callback.inputValue(), `${worker.url}/oauth2/callback`);
    await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: worker.url });
    await page.getByRole("button", { name: "Copy" }).click();
    await page.getByText("Callback URL copied.").waitFor();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), `${worker.url}/oauth2/callback`);

    await page.getByLabel("Client ID").fill(CLIENT_ID);
    await page.getByRole("button", { name: "Client Secret Click to Set" }).click();
    await page.getByRole("textbox", { name: "Client Secret", exact: true }).fill(CLIENT_SECRET);
    await screenshot(page, "oauth-1-new-connection");

    await page.getByRole("button", { name: "Save" }).click();
    await page.getByText('Connection "Dev instance (OAuth)" created.').waitFor();
    assert.equal(await page.locator("#clientSecret-state").textContent(), "Set");
    assert.ok(await page.getByRole("textbox", { name: "Client Secret", exact: true }).isHidden(), "the secret box is closed after saving");
    await page.locator("#token-state").getByText("Not authorized yet").waitFor();
    await page.getByRole("listitem").filter({ hasText: "Dev instance (OAuth)" }).getByText("Not authorized yet").waitFor();
    await screenshot(page, "oauth-2-saved-no-token");
    await assertNoSecretsShown(page, knownSecrets(standin));

    // Generate: the window opens on the click; the stand-in's login page is in it.
    const popupOpened = page.waitForEvent("popup");
    await page.getByRole("button", { name: "Generate" }).click();
    const popup = await popupOpened;
    await authorizeInPopup(popup, standin, { userName: "admin", shot: "oauth-3-authorization-window-login" });
    await page.locator("#generate-status").getByText("Access token received and successfully generated.").waitFor();
    await popup.waitForEvent("close", { timeout: 5_000 }).catch(() => {});
    assert.ok(popup.isClosed(), "the page closes the authorization window once it has the answer");

    const tokenState = page.locator("#token-state");
    await tokenState.getByText("Access token valid until").waitFor();
    const validUntil = await tokenState.locator("time").first().textContent();
    assert.match(validUntil, /\d{2}:\d{2} (CET|CEST|GMT\+\d)/, "local time with the zone");
    // Whole days left, rounded down: a second after it was issued, a 100-day refresh token has 99.
    assert.match(await tokenState.textContent(), /Refresh token expires in 99 days/);
    await page.getByRole("listitem").filter({ hasText: "Dev instance (OAuth)" }).getByText("Token valid").waitFor();
    await screenshot(page, "oauth-4-token-valid");

    const started = Date.now();
    await page.getByRole("button", { name: "Test Connection" }).click();
    const result = page.locator("#test-result-body");
    await result.locator('[data-code="ok"]').waitFor();
    assert.equal(await result.locator(".badge").textContent(), "Connected");
    const took = /Took: (\d+) ms/.exec(await result.textContent());
    assert.ok(took && Number(took[1]) >= 0 && Number(took[1]) <= Date.now() - started, "the time it took is shown");
    await screenshot(page, "oauth-5-test-connection-ok");

    // Reset asks first; cancelling keeps the token.
    await page.getByRole("button", { name: "Reset" }).click();
    const dialog = page.getByRole("dialog", { name: "Reset the access token?" });
    await dialog.waitFor();
    await screenshot(page, "oauth-6-reset-confirmation");
    await dialog.getByRole("button", { name: "Cancel" }).click();
    await dialog.waitFor({ state: "hidden" });
    await tokenState.getByText("Access token valid until").waitFor();
    await page.getByRole("button", { name: "Reset" }).click();
    await dialog.getByRole("button", { name: "Reset token" }).click();
    await page.getByText("The access token was cleared.").waitFor();
    await tokenState.getByText("Not authorized yet").waitFor();
    assert.ok(await page.getByRole("button", { name: "Reset" }).isDisabled(), "nothing left to reset");
    await screenshot(page, "oauth-7-after-reset");

    await assertNoSecretsShown(page, knownSecrets(standin));
    assertNoSecretsLogged(worker, knownSecrets(standin));
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test("Generate reports a denied authorization, an abandoned window and a blocked popup", options, async () => {
  await putConnection(worker, "denied", { name: "Denied", ...oauthSettings() });
  const { page, context, problems } = await openScreen(browser, worker, { adminToken: ADMIN_TOKEN });
  try {
    await page.getByRole("button", { name: /^Denied/ }).click();
    await page.getByRole("heading", { name: "Denied" }).waitFor();
    await page.getByRole("tab", { name: "OAuth 2.0" }).click();

    const popupOpened = page.waitForEvent("popup");
    await page.getByRole("button", { name: "Generate" }).click();
    const popup = await popupOpened;
    await authorizeInPopup(popup, standin, { userName: "itil.user", decision: "Deny" });
    const status = page.locator("#generate-status");
    await status.getByText("Access was denied at the instance").waitFor();
    assert.match(await status.getAttribute("class"), /error/);
    await page.locator("#token-state").getByText("Not authorized yet").waitFor();
    await screenshot(page, "oauth-8-access-denied");

    // Closing the window without finishing: the page notices, looks at the connection, says so.
    const secondPopupOpened = page.waitForEvent("popup");
    await page.getByRole("button", { name: "Generate" }).click();
    const abandoned = await secondPopupOpened;
    await abandoned.getByRole("heading", { name: "Allow access?" }).waitFor();
    await abandoned.close();
    await page.bringToFront();
    await status.getByText("The authorization window was closed before the authorization finished. No token was stored.").waitFor();

    // A click made by a script, without the person's gesture: Chromium's popup blocker refuses
    // the window, and the page must say so instead of waiting forever. The click comes from an init
    // script, and the test only listens until it has happened: whatever Playwright evaluates in
    // the page (waiting for a locator included) counts as a user gesture and would let it through.
    await context.addInitScript(() => {
      const timer = setInterval(() => {
        const generate = document.getElementById("generate");
        if (document.getElementById("editor-heading")?.textContent !== "Denied" || generate.disabled) return;
        clearInterval(timer);
        generate.click();
        console.info("test: Generate clicked by a script");
      }, 100);
    });
    let opened = false;
    page.on("popup", () => {
      opened = true;
    });
    // The closed authorization window left this page in the background, where Chromium throttles
    // its timers.
    await page.bringToFront();
    const clicked = page.waitForEvent("console", { predicate: (message) => message.text() === "test: Generate clicked by a script" });
    await page.reload({ waitUntil: "commit" });
    await clicked;
    await status.getByText("The browser blocked the authorization window").waitFor({ state: "attached" });
    assert.equal(opened, false);
    await page.getByRole("tab", { name: "OAuth 2.0" }).click();
    await status.getByText("The browser blocked the authorization window").waitFor();
    await screenshot(page, "oauth-9-popup-blocked");
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test("the token state warns before the refresh token expires and says when re-authorization is required", options, async () => {
  // The Application Registry record's refresh lifetime is a setting the screen keeps as it is.
  await putConnection(worker, "short-lived", {
    name: "Short-lived refresh token",
    ...oauthSettings({ refreshTokenLifetimeSeconds: 5 * 86_400 }),
  });
  const { page, context, problems } = await openScreen(browser, worker, { adminToken: ADMIN_TOKEN });
  try {
    await page.getByRole("button", { name: /^Short-lived refresh token/ }).click();
    await page.getByRole("heading", { name: "Short-lived refresh token" }).waitFor();
    await page.getByRole("tab", { name: "OAuth 2.0" }).click();
    standin.configure({ accessTtl: 2 });
    const popupOpened = page.waitForEvent("popup");
    await page.getByRole("button", { name: "Generate" }).click();
    await authorizeInPopup(await popupOpened, standin, { userName: "admin" });
    await page.locator("#generate-status").getByText("Access token received and successfully generated.").waitFor();
    const tokenState = page.locator("#token-state");
    // The page and the worker's own warning say the same number of days (rounded down).
    const warning = (await fetch(`${worker.url}/api/connections/short-lived`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    }).then((response) => response.json())).token.warning;
    assert.match(warning, /The refresh token expires in 4 days/);
    await tokenState.getByText("Refresh token expires in 4 days").waitFor();
    assert.match(await tokenState.locator(".refresh").getAttribute("class"), /warn/);
    await tokenState.getByText("Click Generate before then").waitFor();
    await screenshot(page, "oauth-10-refresh-token-expiring");

    // Saving the form again keeps the lifetime the form does not show.
    await page.getByLabel("Name", { exact: true }).fill("Short-lived refresh token (renamed)");
    await page.getByRole("button", { name: "Save" }).click();
    await page.getByText("Saved.", { exact: true }).waitFor();
    await tokenState.getByText("Refresh token expires in 4 days").waitFor();

    // The instance forgets every grant; the access token runs out; the next use finds the refresh
    // token dead.
    standin.revokeAllTokens();
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    await page.getByRole("button", { name: "Test Connection" }).click();
    const result = page.locator("#test-result-body");
    await result.locator('[data-code="reauthorization_required"]').waitFor();
    assert.match(await result.textContent(), /Generate/);
    await page.reload();
    await page.getByRole("heading", { name: "Short-lived refresh token (renamed)" }).waitFor();
    await page.getByRole("tab", { name: "OAuth 2.0" }).click();
    await tokenState.getByText("Re-authorization required", { exact: true }).waitFor();
    await page.getByRole("listitem").filter({ hasText: "Short-lived" }).locator(".connection-token").getByText("Re-authorization required").waitFor();
    await screenshot(page, "oauth-11-reauthorization-required");
    assert.deepEqual(problems, []);
  } finally {
    standin.configure({ accessTtl: 1800 });
    await context.close();
  }
});
