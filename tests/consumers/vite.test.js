// The browser consumer: a page that installed the tarball and imports the package by name, built by
// Vite for production (the .wasm emitted as a hashed asset), served on 127.0.0.1 and loaded in
// Debian's headless Chromium, where it validates settings and builds an authorization URL. The same
// page also runs on Vite's dev server with the fixture's vite.config.js, as the package README says.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { createServer } from "node:http";
import path from "node:path";

import { BIN, installFixture, record, recordSecret, removeTemporary, runOk } from "./support.js";

const CHROMIUM = "/usr/bin/chromium";
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];
const CLIENT_SECRET = "FAKE-vite-consumer-client-secret-5c1e";
const skip = existsSync(CHROMIUM) ? false : `${CHROMIUM} is not installed (./scripts/setup.sh --browser)`;

const CONTENT_TYPES = { ".html": "text/html; charset=utf-8", ".js": "text/javascript", ".wasm": "application/wasm" };

let dir;
let browser;
const servers = [];

before(async () => {
  if (skip) return;
  recordSecret("client_secret", CLIENT_SECRET);
  dir = await installFixture("vite");
  await runOk(path.join(BIN, "vite"), ["build", "--logLevel", "warn"], { cwd: dir });
  const { chromium } = await import("playwright-core");
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 30_000 });
});

after(async () => {
  await browser?.close();
  for (const server of servers) await server.close();
  removeTemporary();
});

/** A static file server for the production build, on a random loopback port. */
async function serveStatic(root) {
  const server = createServer((request, response) => {
    const pathname = new URL(request.url, "http://127.0.0.1").pathname;
    const file = path.join(root, pathname === "/" ? "index.html" : pathname);
    if (!file.startsWith(root + path.sep) || !existsSync(file)) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { "content-type": CONTENT_TYPES[path.extname(file)] ?? "application/octet-stream" });
    response.end(readFileSync(file));
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const handle = { url: `http://127.0.0.1:${server.address().port}/`, close: () => new Promise((resolve) => server.close(resolve)) };
  servers.push(handle);
  return handle;
}

/** Opens the page; `problems` collects console errors, page errors and failed requests. */
async function openPage(url) {
  const context = await browser.newContext();
  context.setDefaultTimeout(10_000);
  const page = await context.newPage();
  const problems = [];
  const wasmResponses = [];
  page.on("console", (message) => {
    if (message.type() === "error" || message.type() === "warning") problems.push(`console: ${message.text()}`);
  });
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  page.on("requestfailed", (request) => problems.push(`failed: ${request.url()}`));
  page.on("response", (response) => {
    if (response.status() >= 400) problems.push(`${response.status()}: ${response.url()}`);
    if (new URL(response.url()).pathname.endsWith(".wasm")) wasmResponses.push(response);
  });
  await page.goto(url);
  return { page, problems, wasmResponses, close: () => context.close() };
}

async function submit(page, { baseUrl, clientId, clientSecret }) {
  await page.fill("input[name=baseUrl]", baseUrl);
  await page.fill("input[name=clientId]", clientId);
  await page.fill("input[name=clientSecret]", clientSecret);
  await page.click("button");
}

/** Invalid settings list their field errors; valid ones give an authorization URL (PKCE S256, state). */
async function checkPage(url) {
  const opened = await openPage(url);
  const { page, problems } = opened;
  try {
    await submit(page, { baseUrl: "http://dev12345.service-now.com/api/now/v2", clientId: "", clientSecret: "" });
    await page.waitForSelector("#errors li");
    const errors = await page.locator("#errors li").allTextContents();
    assert.deepEqual(errors.map((line) => line.split(":")[0]), ["baseUrl", "clientId", "clientSecret"]);
    assert.equal(await page.evaluate(() => document.querySelector("#authorization-url").value), "");

    await submit(page, { baseUrl: "https://dev12345.service-now.com/api/now/v2", clientId: "page-client", clientSecret: CLIENT_SECRET });
    await page.waitForFunction(() => document.querySelector("#authorization-url").value !== "").catch((error) => {
      throw new Error(`no authorization URL: ${error.message}\n${problems.join("\n")}`);
    });
    assert.deepEqual(await page.locator("#errors li").allTextContents(), []);
    const authorizationUrl = new URL(await page.evaluate(() => document.querySelector("#authorization-url").value));
    const stored = JSON.parse(await page.evaluate(() => sessionStorage.getItem("servicenow-authorization")));
    const text = await page.evaluate(() => document.body.innerText);
    record("response", `consumer vite ${url}`, `${authorizationUrl.href}\n${text}`);

    assert.equal(authorizationUrl.origin + authorizationUrl.pathname, "https://dev12345.service-now.com/oauth_auth.do");
    const params = authorizationUrl.searchParams;
    assert.equal(params.get("response_type"), "code");
    assert.equal(params.get("client_id"), "page-client");
    assert.equal(params.get("redirect_uri"), "https://connections.example.com/oauth2/callback");
    assert.equal(params.get("code_challenge_method"), "S256");
    assert.match(params.get("code_challenge"), /^[A-Za-z0-9_-]{43}$/);
    assert.equal(params.get("state"), stored.state);
    assert.match(stored.codeVerifier, /^[A-Za-z0-9._~-]{43,128}$/);
    assert.ok(!authorizationUrl.href.includes(CLIENT_SECRET), "the client secret stays out of the URL");
    assert.deepEqual(problems, []);
    return opened;
  } finally {
    await opened.close();
  }
}

test("the production build emits the .wasm as an asset next to a small script", { skip }, () => {
  const assets = readdirSync(path.join(dir, "dist/assets"));
  assert.equal(assets.filter((name) => name.endsWith(".wasm")).length, 1, assets.join(", "));
  assert.equal(assets.filter((name) => name.endsWith(".js")).length, 1, assets.join(", "));
});

test("the production build, served, validates settings and builds an authorization URL in Chromium", { skip }, async () => {
  const server = await serveStatic(path.join(dir, "dist"));
  const { wasmResponses } = await checkPage(server.url);
  assert.equal(wasmResponses.length, 1, "the .wasm is fetched once");
  assert.equal(wasmResponses[0].headers()["content-type"], "application/wasm");
});

test("Vite's dev server with optimizeDeps.exclude serves the same page", { skip }, async () => {
  const { createServer: createViteServer } = await import("vite");
  const vite = await createViteServer({ root: dir, logLevel: "warn", server: { host: "127.0.0.1", port: 0, strictPort: true } });
  await vite.listen();
  servers.push({ close: () => vite.close() });
  await checkPage(vite.resolvedUrls.local[0]);
});
