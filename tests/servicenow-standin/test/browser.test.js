// The authorization-code flow in a real browser (headless Chromium driven by playwright-core):
// the login and consent pages are found by their labels and button names, as a person or a
// screen reader would find them. Skipped, with the reason shown, where /usr/bin/chromium is absent.

import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { createServer } from "node:http";
import { once } from "node:events";

import { startStandin } from "../index.js";

const CHROMIUM = "/usr/bin/chromium";
const skip = existsSync(CHROMIUM) ? false : `${CHROMIUM} is not installed`;
const ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"];

test("a person logs in, is refused once, allows access and lands on the callback with code and state", { skip, timeout: 60_000 }, async () => {
  const { chromium } = await import("playwright-core");
  const callback = createServer((req, res) => {
    res.writeHead(200, { "content-type": "text/html" });
    res.end("<!DOCTYPE html><title>callback</title><p id=done>back at the client</p>");
  });
  callback.listen(0, "127.0.0.1");
  await once(callback, "listening");
  const redirectUri = `http://127.0.0.1:${callback.address().port}/oauth2/callback`;
  const standin = await startStandin({ port: 0 });
  let browser;
  try {
    await standin.addClient({ clientId: "browser-client", clientSecret: "FAKE-browser-secret", redirectUris: [redirectUri], clientName: "Browser client" });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, timeout: 30_000 });
    const page = await browser.newPage();
    page.setDefaultTimeout(10_000);
    const url = new URL("/oauth_auth.do", standin.url);
    url.search = new URLSearchParams({ response_type: "code", client_id: "browser-client", redirect_uri: redirectUri, state: "state-from-browser" }).toString();
    await page.goto(url.href);
    assert.equal(await page.title(), "Log in | ServiceNow stand-in");
    const admin = standin.seed.users.find((u) => u.user_name === "admin");
    await page.getByLabel("User name").fill("admin");
    await page.getByLabel("Password").fill("not-the-password");
    await page.getByRole("button", { name: "Log in" }).click();
    assert.equal(await page.getByRole("alert").textContent(), "User name or password invalid");
    await page.getByLabel("Password").fill(admin.password);
    await page.getByRole("button", { name: "Log in" }).click();
    await page.getByRole("heading", { name: "Allow access?" }).waitFor();
    assert.equal(await page.locator("#consent-user").textContent(), "admin");
    await page.getByRole("button", { name: "Allow" }).click();
    await page.locator("#done").waitFor();
    const landed = new URL(page.url());
    assert.equal(`${landed.origin}${landed.pathname}`, redirectUri);
    assert.equal(landed.searchParams.get("state"), "state-from-browser");
    assert.match(landed.searchParams.get("code"), /^[A-Za-z0-9_-]{20,}$/);
  } finally {
    await browser?.close();
    await standin.close();
    callback.closeAllConnections();
    callback.close();
  }
});
