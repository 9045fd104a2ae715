// Shared set-up for the browser tests: the worker exactly as wrangler.toml describes it (its entry,
// Durable Objects, wasm rule and static assets from www/ with www/_headers), run in workerd through
// Miniflare on 127.0.0.1 with a random port; a ServiceNow stand-in whose OAuth client accepts that
// worker's callback; and Debian's headless Chromium driven by playwright-core. Everything is bounded
// in time and closed at the end. The worker's log lines are captured (not printed) so the tests can
// check that no secret reached them, and the page is checked for secrets the same way.

import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import assert from "node:assert/strict";
import { after, before } from "node:test";

import { Miniflare } from "miniflare";
import { unstable_getMiniflareWorkerOptions } from "wrangler";

import { startStandin } from "../../servicenow-standin/index.js";
import { bundleWorker } from "../../worker/support/bundle.js";

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
export const ARTIFACTS = path.join(REPO, "test-artifacts", "browser");
export const CHROMIUM = "/usr/bin/chromium";

/** The reason to skip when this machine cannot run the suite, or false. */
export const skipReason = !existsSync(CHROMIUM)
  ? `${CHROMIUM} is not installed (./scripts/setup.sh --browser)`
  : !existsSync(path.join(REPO, "www/pkg/servicenow_connection_bg.wasm"))
    ? "www/pkg/ is missing: run ./scripts/build.sh"
    : false;

export const ADMIN_TOKEN = `FAKE-browser-admin-token-${randomBytes(12).toString("hex")}`;
export const SEALING_KEY = randomBytes(32).toString("base64");
export const CLIENT_ID = "browser-test-client";
export const CLIENT_SECRET = `FAKE-browser-client-secret-${randomBytes(8).toString("hex")}`;

const CHROMIUM_ARGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
  "--disable-sync", "--no-first-run", "--disable-quic",
];

/** The worker of wrangler.toml in workerd, serving www/. `vars` override its variables. */
export async function startWorker({ vars = {} } = {}) {
  const { workerOptions, main } = unstable_getMiniflareWorkerOptions(path.join(REPO, "wrangler.toml"));
  const output = [];
  const mf = new Miniflare({
    ...workerOptions,
    name: "servicenow-connection",
    // Bundled as wrangler bundles it (the worker imports npm packages, which Miniflare cannot resolve).
    ...(await bundleWorker(main)),
    modules: true,
    bindings: {
      ...workerOptions.bindings,
      ADMIN_TOKEN,
      SEALING_KEY,
      ALLOW_INSECURE_LOOPBACK: "true",
      ...vars,
    },
    durableObjectsPersist: false,
    host: "127.0.0.1",
    port: 0,
    handleRuntimeStdio(stdout, stderr) {
      stdout.on("data", (chunk) => output.push(String(chunk)));
      stderr.on("data", (chunk) => output.push(String(chunk)));
    },
  });
  const url = await mf.ready;
  return {
    url: url.origin,
    output,
    close: () => mf.dispose(),
  };
}

/** A stand-in with an extra OAuth client whose redirect URI is the worker's callback. */
export async function startStandinFor(worker, options = {}) {
  const standin = await startStandin({ port: 0, ...options });
  await standin.addClient({
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    redirectUris: [`${worker.url}/oauth2/callback`],
    clientName: "Browser test client",
  });
  return standin;
}

export function seedPassword(standin, userName) {
  return standin.seed.users.find((user) => user.user_name === userName).password;
}

/** Every secret the page and the worker's logs must never show. */
export function knownSecrets(standin) {
  return [
    ADMIN_TOKEN,
    SEALING_KEY,
    CLIENT_SECRET,
    ...standin.seed.users.map((user) => user.password),
    ...standin.seed.clients.map((client) => client.clientSecret),
  ];
}

/**
 * Chromium with its popup blocker on (Playwright turns it off by default): a real click may open the
 * authorization window, a script without a user gesture may not, as in a person's browser.
 */
export async function launchBrowser() {
  const { chromium } = await import("playwright-core");
  return chromium.launch({
    executablePath: CHROMIUM,
    args: CHROMIUM_ARGS,
    ignoreDefaultArgs: ["--disable-popup-blocking"],
    timeout: 30_000,
  });
}

/**
 * A fresh browser context on the worker's page. Console errors and failed requests are collected
 * in `problems`; `options.viewport` defaults to a laptop screen.
 */
export async function openScreen(browser, worker, { viewport = { width: 1280, height: 900 }, adminToken } = {}) {
  const context = await browser.newContext({
    viewport,
    locale: "en-GB",
    timezoneId: "Europe/Berlin",
    baseURL: worker.url,
  });
  context.setDefaultTimeout(10_000);
  const problems = [];
  const page = await context.newPage();
  const lines = [];
  consoleLines.set(page, lines);
  page.on("console", (message) => {
    lines.push(message.text());
    if (message.type() === "error") problems.push(`console: ${message.text()}`);
  });
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  await page.goto("/");
  await page.getByRole("heading", { name: "ServiceNow connections" }).waitFor();
  if (adminToken) {
    await page.getByLabel("Admin token").fill(adminToken);
    await page.getByRole("button", { name: "Use token" }).click();
    await page.locator("#workspace").waitFor();
  }
  return { context, page, problems };
}

// Everything each page printed to its console, for the secret check.
const consoleLines = new WeakMap();

/** Saves a full-page screenshot as test-artifacts/browser/<name>.png. */
export async function screenshot(page, name) {
  await mkdir(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/**
 * Asserts that no secret is anywhere a person or a script could read it back: the DOM (including
 * input values, which outerHTML does not show), the address, the console, localStorage, and
 * sessionStorage apart from the admin token itself (which is kept there on purpose).
 */
export async function assertNoSecretsShown(page, secrets) {
  const exposed = await page.evaluate(() => {
    const values = [...document.querySelectorAll("input, textarea")].map((element) => element.value);
    const session = Object.keys(sessionStorage)
      .filter((key) => key !== "servicenow-connection.adminToken")
      .map((key) => sessionStorage.getItem(key));
    const local = Object.keys(localStorage).map((key) => `${key}=${localStorage.getItem(key)}`);
    return [document.documentElement.outerHTML, location.href, ...values, ...session, ...local].join("\n");
  }) + (consoleLines.get(page) ?? []).join("\n");
  for (const secret of secrets) {
    assert.ok(!exposed.includes(secret), `a secret (${secret.slice(0, 14)}…) is readable in the page`);
  }
}

export function assertNoSecretsLogged(worker, secrets) {
  const log = worker.output.join("");
  for (const secret of secrets) {
    assert.ok(!log.includes(secret), `a secret (${secret.slice(0, 14)}…) is in the worker's log`);
  }
}

/** Creates or replaces a connection through the worker's API (for tests that start from one). */
export async function putConnection(worker, id, body) {
  const response = await fetch(`${worker.url}/api/connections/${id}`, {
    method: "PUT",
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const json = await response.json();
  assert.ok(response.ok, `PUT ${id}: ${response.status} ${JSON.stringify(json)}`);
  return json;
}

/**
 * Logs in at the stand-in's authorization page in `popup` and answers the consent question, as a
 * person would: by the labels and button names. The login page is skipped when the browser context
 * already has a session at the stand-in.
 */
export async function authorizeInPopup(popup, standin, { userName = "admin", decision = "Allow", shot } = {}) {
  const login = popup.getByRole("button", { name: "Log in" });
  const consent = popup.getByRole("heading", { name: "Allow access?" });
  await login.or(consent).first().waitFor();
  if (await login.isVisible()) {
    await popup.getByLabel("User name").fill(userName);
    await popup.getByLabel("Password").fill(seedPassword(standin, userName));
    if (shot) await screenshot(popup, shot);
    await login.click();
  }
  await consent.waitFor();
  await popup.getByRole("button", { name: decision, exact: true }).click();
}

/**
 * The set-up of a browser test file: a worker, a stand-in for it and Chromium, started before the
 * tests (unless the file is skipped) and closed after them. `started({worker, standin, browser})`
 * runs once all three are up, for the file's own set-up.
 */
export function screenSuite(started = () => {}) {
  let running = {};
  before(async () => {
    if (skipReason) return;
    const worker = await startWorker();
    const standin = await startStandinFor(worker);
    running = { worker, standin, browser: await launchBrowser() };
    await started(running);
  }, { timeout: 60_000 });
  after(async () => {
    await running.browser?.close();
    await running.standin?.close();
    await running.worker?.close();
  }, { timeout: 30_000 });
}

/**
 * The id of the focused element ("BODY" when focus is on the page itself), once it is `expected` or
 * after a few seconds: an action moves focus when it has finished, just after its last message.
 */
export async function focusAfterAction(page, expected) {
  // Functions, not strings: a string would be evaluated as code, which the page's CSP refuses.
  await page.waitForFunction(
    (id) => (document.activeElement === document.body ? "BODY" : document.activeElement?.id ?? "") === id,
    expected,
    { timeout: 5_000 },
  ).catch(() => {});
  return page.evaluate(() => (document.activeElement === document.body ? "BODY" : document.activeElement?.id ?? ""));
}
