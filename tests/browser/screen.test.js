// The connection screen itself, in headless Chromium: the admin token (asked for, kept in this tab's
// sessionStorage only, a refused or unconfigured token said plainly), validation as you type with
// each error next to its field, keyboard use (tabs with arrow keys, a label on every control), a
// phone-width layout without sideways scrolling, and the page's Content-Security-Policy.
// Screenshots of each state go to test-artifacts/browser/.

import { test } from "node:test";
import assert from "node:assert/strict";

import {
  ADMIN_TOKEN, CLIENT_ID, CLIENT_SECRET, assertNoSecretsShown, knownSecrets, openScreen, putConnection,
  screenshot, screenSuite, seedPassword, skipReason, startWorker,
} from "./support/harness.js";

let worker;
let standin;
let browser;

screenSuite(async (started) => {
  ({ worker, standin, browser } = started);
  await putConnection(worker, "oauth-demo", {
    name: "OAuth demo",
    baseUrl: `${standin.url}/api/now/v2`,
    authType: "oauth2",
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
  });
  await putConnection(worker, "basic-demo", {
    name: "Basic demo",
    baseUrl: `${standin.url}/api/now`,
    authType: "basic",
    username: "itil.user",
    password: seedPassword(standin, "itil.user"),
  });
});

const options = { skip: skipReason, timeout: 60_000 };

test("the admin token is asked for, kept in this tab's sessionStorage only, and a wrong one is refused plainly and kept for correcting", options, async () => {
  const { page, context, problems } = await openScreen(browser, worker);
  try {
    await page.getByText("Enter the admin token to see and edit the connections.").waitFor();
    assert.ok(await page.locator("#workspace").isHidden());
    await screenshot(page, "screen-1-admin-token-needed");

    await page.getByLabel("Admin token").fill("FAKE-wrong-admin-token-0123456789");
    await page.getByRole("button", { name: "Use token" }).click();
    const alert = page.getByRole("alert");
    await alert.getByText("The worker refused this admin token (HTTP 401)").waitFor();
    assert.equal(await page.getByLabel("Admin token").getAttribute("aria-invalid"), "true");
    // The refused token stays in the field, with the cursor in it, so a typo can be corrected.
    assert.equal(await page.getByLabel("Admin token").inputValue(), "FAKE-wrong-admin-token-0123456789");
    assert.equal(await page.evaluate(() => document.activeElement.id), "admin-token");
    await screenshot(page, "screen-2-admin-token-refused");

    await page.getByLabel("Admin token").fill(ADMIN_TOKEN);
    await page.getByRole("button", { name: "Use token" }).click();
    await page.getByRole("button", { name: /^OAuth demo/ }).waitFor();
    assert.ok(await alert.isHidden());
    // Once accepted, the token leaves the field, and focus goes to the open connection in the list.
    assert.equal(await page.getByLabel("Admin token").inputValue(), "");
    await page.locator("#connection-list button[aria-current='true']").waitFor();
    await page.waitForFunction(() => document.activeElement?.closest?.("#connection-list") !== null);
    assert.equal(await page.evaluate(() => document.activeElement.getAttribute("aria-current")), "true");
    const stored = await page.evaluate(() => ({
      session: Object.entries(sessionStorage),
      local: Object.entries(localStorage),
      cookies: document.cookie,
    }));
    assert.deepEqual(stored.session, [["servicenow-connection.adminToken", ADMIN_TOKEN]]);
    assert.deepEqual(stored.local, []);
    assert.equal(stored.cookies, "");
    await assertNoSecretsShown(page, knownSecrets(standin));

    // A reload of the same tab keeps it; another tab asks again; "Forget token" drops it.
    await page.reload();
    await page.getByRole("button", { name: /^OAuth demo/ }).waitFor();
    const otherTab = await context.newPage();
    await otherTab.goto("/");
    await otherTab.getByText("Enter the admin token to see and edit the connections.").waitFor();
    await otherTab.close();
    await page.getByRole("button", { name: "Forget token" }).click();
    await page.getByText("Enter the admin token to see and edit the connections.").waitFor();
    assert.deepEqual(await page.evaluate(() => Object.keys(sessionStorage)), []);
    assert.deepEqual(problems.filter((problem) => !problem.includes("401")), []);
  } finally {
    await context.close();
  }
});

test("the admin token cannot be sent before the page is ready, so it never lands in the address", options, async () => {
  const context = await browser.newContext({ baseURL: worker.url });
  try {
    const page = await context.newPage();
    let release;
    const held = new Promise((resolve) => {
      release = resolve;
    });
    await page.route("**/pkg/servicenow_connection_bg.wasm", async (route) => {
      await held;
      await route.continue();
    });
    await page.goto("/");
    const field = page.getByLabel("Admin token");
    await field.waitFor();
    assert.ok(await field.isDisabled(), "no token can be typed while the page loads");
    assert.ok(await page.getByRole("button", { name: "Use token" }).isDisabled());
    release();
    await page.getByText("Enter the admin token to see and edit the connections.").waitFor();
    assert.ok(await field.isEnabled());
    await field.fill(ADMIN_TOKEN);
    await page.getByRole("button", { name: "Use token" }).click();
    await page.locator("#workspace").waitFor();
    assert.ok(!page.url().includes(ADMIN_TOKEN));
  } finally {
    await context.close();
  }
});

test("a worker without an admin token says that its admin API is disabled", options, async () => {
  const closedWorker = await startWorker({ vars: { ADMIN_TOKEN: "" } });
  const { page, context } = await openScreen(browser, closedWorker);
  try {
    await page.getByLabel("Admin token").fill(ADMIN_TOKEN);
    await page.getByRole("button", { name: "Use token" }).click();
    await page.getByRole("alert").getByText("The admin API is not available (HTTP 503)").waitFor();
    assert.match(await page.getByRole("alert").textContent(), /no ADMIN_TOKEN secret configured/);
    assert.ok(await page.locator("#workspace").isHidden());
    await screenshot(page, "screen-3-admin-api-disabled");
  } finally {
    await context.close();
    await closedWorker.close();
  }
});

test("a bad Base URL shows its validation error as you type, next to the field", options, async () => {
  const { page, context, problems } = await openScreen(browser, worker, { adminToken: ADMIN_TOKEN });
  try {
    await page.getByRole("button", { name: "New connection" }).click();
    const baseUrl = page.getByLabel("Base URL");
    const error = page.locator("#baseUrl-error");
    assert.ok(await error.isHidden(), "an untouched form shows no errors");

    await baseUrl.pressSequentially("https://dev8954.service-now.com/foo");
    await error.getByText("Base URL must end with the REST API path /api/now, /api/now/v1 or /api/now/v2").waitFor();
    assert.equal(await baseUrl.getAttribute("aria-invalid"), "true");
    assert.match(await baseUrl.getAttribute("aria-describedby"), /\bbaseUrl-error\b/);
    // The accessible description a screen reader reads with the field carries the error.
    const description = await baseUrl.evaluate((input) => input.getAttribute("aria-describedby").split(" ")
      .map((id) => document.getElementById(id)?.textContent ?? "").join(" "));
    assert.match(description, /must end with the REST API path/);
    await screenshot(page, "screen-4-bad-base-url");

    await baseUrl.fill("http://dev8954.service-now.com/api/now");
    await error.getByText("Base URL must use https://.").waitFor();
    await baseUrl.fill("https://dev8954.service-now.com/api/now/v2");
    await error.waitFor({ state: "hidden" });
    assert.equal(await baseUrl.getAttribute("aria-invalid"), "false");

    // The OAuth URL placeholders follow the Base URL.
    await page.getByRole("radio", { name: "OAuth 2.0" }).check();
    await page.getByRole("tab", { name: "OAuth 2.0" }).click();
    assert.equal(await page.getByLabel("Access Token URL").getAttribute("placeholder"), "https://dev8954.service-now.com/oauth_token.do");
    await page.getByLabel("Access Token URL").fill("not a url");
    await page.locator("#tokenUrl-error").waitFor();

    // Saving shows every remaining error, counts them on the tabs, and focuses the first.
    await page.getByRole("tab", { name: "Connection" }).click();
    await page.getByRole("button", { name: "Save" }).click();
    await page.getByText("Some fields need attention").waitFor();
    await page.locator("#connection-id-error").waitFor();
    assert.match(await page.getByRole("tab", { name: /OAuth 2\.0/ }).textContent(), /\(3 errors\)/);
    await screenshot(page, "screen-5-save-with-errors");
    assert.equal(await page.evaluate(() => document.activeElement.id), "connection-id");
    assert.equal(await page.locator("#connection-id-error").textContent(), "Connection ID is required.");
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test("creating never overwrites: a taken Connection ID is refused by the worker and shown next to the field", options, async () => {
  const { page, context, problems } = await openScreen(browser, worker, { adminToken: ADMIN_TOKEN });
  try {
    await page.getByRole("button", { name: "New connection" }).click();
    await page.getByLabel("Name", { exact: true }).fill("Another basic");
    await page.getByLabel("Connection ID").fill("basic-demo");
    await page.getByLabel("Base URL").fill(`${standin.url}/api/now`);
    await page.getByRole("radio", { name: "Basic" }).check();
    await page.getByRole("textbox", { name: "User Name" }).fill("admin");
    await page.getByRole("button", { name: "Click to Set" }).first().click();
    await page.getByRole("textbox", { name: "Password" }).fill("FAKE-typed-but-never-stored");
    await page.getByRole("button", { name: "Save" }).click();
    await page.locator("#connection-id-error").getByText('Connection ID "basic-demo" is already used').waitFor();
    // The existing connection kept its settings.
    const view = await fetch(`${worker.url}/api/connections/basic-demo`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    }).then((r) => r.json());
    assert.equal(view.username, "itil.user");
    // The browser logs a failed request (412) as a console error; nothing else may appear.
    assert.deepEqual(problems.filter((p) => !/status of 412/.test(p)), []);
  } finally {
    await context.close();
  }
});

test("keyboard: tabs move with the arrow keys, every control has a label, secrets open from the keyboard", options, async () => {
  const { page, context, problems } = await openScreen(browser, worker, { adminToken: ADMIN_TOKEN });
  try {
    await page.getByRole("button", { name: /^OAuth demo/ }).click();
    await page.getByRole("heading", { name: "OAuth demo" }).waitFor();
    const connectionTab = page.getByRole("tab", { name: "Connection" });
    const oauthTab = page.getByRole("tab", { name: "OAuth 2.0" });
    await connectionTab.focus();
    await page.keyboard.press("ArrowRight");
    assert.equal(await oauthTab.getAttribute("aria-selected"), "true");
    assert.equal(await page.evaluate(() => document.activeElement.id), "tab-oauth");
    assert.ok(await page.getByRole("tabpanel", { name: "OAuth 2.0" }).isVisible());
    assert.ok(await page.getByRole("tabpanel", { name: "Connection" }).isHidden());
    await page.keyboard.press("ArrowRight");
    assert.equal(await connectionTab.getAttribute("aria-selected"), "true", "arrows wrap around");
    await page.keyboard.press("End");
    assert.equal(await oauthTab.getAttribute("aria-selected"), "true");
    await page.keyboard.press("Home");
    assert.equal(await connectionTab.getAttribute("aria-selected"), "true");
    // One tab stop for the tab list: Tab leaves it for the panel.
    assert.equal(await oauthTab.getAttribute("tabindex"), "-1");

    // "Click to Set" with the keyboard: Enter opens the box and puts the cursor in it.
    await page.keyboard.press("End");
    await page.getByRole("button", { name: "Client Secret Click to Set" }).focus();
    await page.keyboard.press("Enter");
    assert.equal(await page.evaluate(() => document.activeElement.id), "clientSecret");
    await page.keyboard.press("Shift+Tab");
    await page.keyboard.press("Tab");
    await page.keyboard.press("Tab");
    assert.equal(await page.evaluate(() => document.activeElement.textContent), "Cancel");
    await page.keyboard.press("Enter");
    assert.equal(await page.evaluate(() => document.activeElement.id), "clientSecret-open");
    await screenshot(page, "screen-6-keyboard-focus");

    // Every visible control has an accessible name from a label (label element, aria-labelledby or
    // the text of a button), in both panels.
    for (const tab of [connectionTab, oauthTab]) {
      await tab.click();
      const unnamed = await page.evaluate(() => {
        const visible = (element) => element.getClientRects().length > 0;
        const named = (element) => {
          if (element.labels?.length > 0) return true;
          const labelledBy = element.getAttribute("aria-labelledby");
          if (labelledBy) return labelledBy.split(" ").every((id) => document.getElementById(id)?.textContent.trim());
          if (element.getAttribute("aria-label")) return true;
          return element.tagName === "BUTTON" && element.textContent.trim() !== "";
        };
        return [...document.querySelectorAll("input, select, textarea, button")]
          .filter(visible)
          .filter((element) => !named(element))
          .map((element) => element.outerHTML);
      });
      assert.deepEqual(unnamed, []);
    }
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test("phone width (360 px): readable, nothing scrolls sideways", options, async () => {
  const { page, context, problems } = await openScreen(browser, worker, {
    adminToken: ADMIN_TOKEN,
    viewport: { width: 360, height: 740 },
  });
  try {
    await page.getByRole("button", { name: /^Basic demo/ }).click();
    await page.getByRole("heading", { name: "Basic demo" }).waitFor();
    await page.getByRole("button", { name: "Test Connection" }).click();
    await page.locator('#test-result-body [data-code="ok"]').waitFor();
    const fits = () => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
    assert.ok(await fits(), "the Connection tab fits 360 px");
    await screenshot(page, "screen-7-phone-connection");

    await page.getByRole("button", { name: /^OAuth demo/ }).click();
    await page.getByRole("heading", { name: "OAuth demo" }).waitFor();
    await page.getByRole("tab", { name: "OAuth 2.0" }).click();
    assert.ok(await fits(), "the OAuth 2.0 tab fits 360 px");
    // Text stays at a readable size: nothing below 12 px.
    const smallest = await page.evaluate(() => Math.min(...[...document.querySelectorAll("body *")]
      .filter((element) => element.getClientRects().length > 0 && element.childNodes.length > 0)
      .map((element) => parseFloat(getComputedStyle(element).fontSize))));
    assert.ok(smallest >= 12, `smallest font size ${smallest}px`);
    await screenshot(page, "screen-8-phone-oauth");
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test("the page is served with its Content-Security-Policy and runs under it", options, async () => {
  const response = await fetch(`${worker.url}/`);
  await response.body?.cancel();
  const policy = response.headers.get("content-security-policy") ?? "";
  assert.match(policy, /script-src 'self' 'wasm-unsafe-eval'/);
  assert.match(policy, /frame-ancestors 'none'/);
  assert.equal(response.headers.get("cross-origin-opener-policy"), "same-origin-allow-popups");
  const headersFile = await fetch(`${worker.url}/_headers`);
  await headersFile.body?.cancel();
  assert.equal(headersFile.status, 404, "_headers is configuration, not a page");

  const { page, context, problems } = await openScreen(browser, worker, { adminToken: ADMIN_TOKEN });
  try {
    const violations = [];
    await page.exposeFunction("reportViolation", (text) => violations.push(text));
    await page.evaluate(() => document.addEventListener("securitypolicyviolation", (event) => {
      window.reportViolation(`${event.violatedDirective} ${event.blockedURI}`);
    }));
    await page.getByRole("button", { name: /^OAuth demo/ }).click();
    await page.getByRole("tab", { name: "OAuth 2.0" }).click();
    await page.getByLabel("Client ID").fill("edited");
    await page.locator("#dirty-marker").waitFor();
    assert.deepEqual(violations, []);
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});
