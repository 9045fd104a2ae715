// The screen's layout at phone width (390 px, one column: the editor is below the list) and laptop
// width (1280 px, side by side), in headless Chromium: tapping a connection brings the editor into
// view on a phone and leaves the page where it is on a laptop, and the Callback URL (which a person
// must copy into ServiceNow exactly) is shown whole, never cut off. Screenshots go to
// test-artifacts/browser/.

import { test } from "node:test";
import assert from "node:assert/strict";

import {
  ADMIN_TOKEN, CLIENT_ID, CLIENT_SECRET, focusAfterAction, openScreen, putConnection, screenshot, screenSuite,
  seedPassword, skipReason,
} from "./support/harness.js";

let worker;
let standin;
let browser;

const PHONE = { width: 390, height: 844 };
const LAPTOP = { width: 1280, height: 900 };

screenSuite(async (started) => {
  ({ worker, standin, browser } = started);
  // Enough connections that the list fills a phone's screen.
  for (const n of [1, 2, 3, 4, 5]) {
    await putConnection(worker, `basic-${n}`, {
      name: `Basic number ${n}`,
      baseUrl: `${standin.url}/api/now`,
      authType: "basic",
      username: "itil.user",
      password: seedPassword(standin, "itil.user"),
    });
  }
  await putConnection(worker, "oauth-layout", {
    name: "OAuth layout",
    baseUrl: `${standin.url}/api/now/v2`,
    authType: "oauth2",
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
  });
});

const options = { skip: skipReason, timeout: 60_000 };

test("phone: tapping a connection brings its editor to the top of the screen and focus to its heading", options, async () => {
  const { page, context, problems } = await openScreen(browser, worker, { adminToken: ADMIN_TOKEN, viewport: PHONE });
  try {
    const item = page.getByRole("button", { name: /^OAuth layout/ });
    await item.scrollIntoViewIfNeeded();
    await item.tap().catch(() => item.click());
    await page.getByRole("heading", { name: "OAuth layout" }).waitFor();
    const top = await page.locator("#editor").evaluate((editor) => editor.getBoundingClientRect().top);
    // At the top, or as far up as the page can scroll.
    assert.ok(top >= 0 && top < PHONE.height / 4, `the editor starts near the top of the screen (top ${top}px)`);
    assert.equal(await focusAfterAction(page, "editor-heading"), "editor-heading");
    await screenshot(page, "layout-1-phone-editor-in-view");
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test("laptop: opening a connection leaves the page and focus where they are", options, async () => {
  const { page, context, problems } = await openScreen(browser, worker, { adminToken: ADMIN_TOKEN, viewport: LAPTOP });
  try {
    const item = page.getByRole("button", { name: /^Basic number 3/ });
    await item.click();
    await page.getByRole("heading", { name: "Basic number 3" }).waitFor();
    assert.equal(await page.evaluate(() => window.scrollY), 0);
    assert.equal(await page.evaluate(() => document.activeElement.dataset.id), "basic-3");
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

for (const [label, viewport] of [["phone", PHONE], ["laptop", LAPTOP]]) {
  test(`${label}: the Callback URL is shown whole`, options, async () => {
    const { page, context, problems } = await openScreen(browser, worker, { adminToken: ADMIN_TOKEN, viewport });
    try {
      await page.getByRole("button", { name: /^OAuth layout/ }).click();
      await page.getByRole("heading", { name: "OAuth layout" }).waitFor();
      await page.getByRole("tab", { name: "OAuth 2.0" }).click();
      const field = page.getByLabel("Callback URL");
      assert.equal(await field.inputValue(), `${worker.url}/oauth2/callback`);
      const box = await field.evaluate((element) => ({
        scrollWidth: element.scrollWidth,
        clientWidth: element.clientWidth,
        scrollHeight: element.scrollHeight,
        clientHeight: element.clientHeight,
        right: element.getBoundingClientRect().right,
      }));
      assert.ok(box.scrollWidth <= box.clientWidth, `no text beyond the right edge (${box.scrollWidth} > ${box.clientWidth})`);
      assert.ok(box.scrollHeight <= box.clientHeight + 1, `no text below the bottom edge (${box.scrollHeight} > ${box.clientHeight})`);
      assert.ok(box.right <= viewport.width, "the field itself fits the screen");
      // The defaults of the two OAuth URLs are readable in full as well (in the hints, which wrap).
      assert.equal(await page.locator("#tokenUrl-hint").textContent(), `Leave empty for the instance's default, ${standin.url}/oauth_token.do.`);
      await field.scrollIntoViewIfNeeded();
      await screenshot(page, `layout-2-${label}-callback-url`);
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  });
}
