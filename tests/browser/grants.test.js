// The grant types on the connection screen, in headless Chromium against the worker and the stand-in:
// the Grant Type choice shows each grant's own fields (the password grant with its deprecation
// warning and its own User Name and Password, JWT bearer with subject, key, algorithm, key id and
// audience; the authorization URL and callback only for the authorization-code grant); Generate on an
// unattended grant gets the token without any window and the token state names the grant, the JWT
// subject and the user; a refusal shows the instance's cause and hint. For JWT bearer, "Generate key
// pair" makes the key in the browser: the certificate (checked with Node's X509Certificate: it parses,
// is self-signed and holds the same public key as the JWK) can be copied and downloaded, the private
// key leaves the page only in the save's body (captured here and then looked for everywhere it must not
// be), and the saved connection's JWKS URL is what the stand-in then verifies the assertions with.
// Screenshots go to test-artifacts/browser/.

import { X509Certificate } from "node:crypto";
import { readFile } from "node:fs/promises";
import { test } from "node:test";
import assert from "node:assert/strict";

import {
  ADMIN_TOKEN, CLIENT_SECRET, assertNoSecretsLogged, assertNoSecretsShown, knownSecrets, openScreen, putConnection, screenshot,
  screenSuite, seedPassword, skipReason,
} from "./support/harness.js";

const GRANTS_CLIENT = "browser-grants-client";

let worker;
let standin;
let browser;

screenSuite(async (started) => {
  ({ worker, standin, browser } = started);
  standin.configure({ clientCredentialsEnabled: true });
  await addGrantsClient();
});

const options = { skip: skipReason, timeout: 120_000 };

function addGrantsClient(jwtBearer = null) {
  return standin.addClient({
    clientId: GRANTS_CLIENT,
    clientSecret: CLIENT_SECRET,
    redirectUris: [`${worker.url}/oauth2/callback`],
    applicationUser: "itil.user",
    passwordGrant: true,
    jwtBearer,
  });
}

async function api(path) {
  const response = await fetch(`${worker.url}${path}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  return response.json();
}

/** Starts a new OAuth 2.0 connection in the form and goes to the OAuth 2.0 tab. */
async function newOAuthConnection(page, name) {
  await page.getByRole("button", { name: "New connection" }).click();
  await page.getByLabel("Name", { exact: true }).fill(name);
  await page.getByLabel("Base URL").fill(`${standin.url}/api/now/v2`);
  await page.getByRole("radio", { name: "OAuth 2.0" }).check();
  await page.getByRole("tab", { name: /^OAuth 2\.0/ }).click();
  await page.getByLabel("Client ID").fill(GRANTS_CLIENT);
  await page.getByRole("button", { name: "Client Secret Click to Set" }).click();
  await page.getByRole("textbox", { name: "Client Secret" }).fill(CLIENT_SECRET);
}

function countPopups(page) {
  const opened = { count: 0 };
  page.on("popup", () => {
    opened.count += 1;
  });
  return opened;
}

async function generateWithoutWindow(page) {
  await page.getByRole("button", { name: "Generate", exact: true }).click();
  await page.locator("#generate-status.ok").waitFor({ timeout: 20_000 });
}

test("Grant Type shows each grant's fields; client credentials gets its token without any window", options, async () => {
  const { page, context, problems } = await openScreen(browser, worker, { adminToken: ADMIN_TOKEN });
  try {
    const popups = countPopups(page);
    await newOAuthConnection(page, "Machine to machine");
    const visible = (locator) => locator.isVisible();
    // The authorization-code grant is the default.
    assert.equal(await page.getByRole("radio", { name: "Authorization code" }).isChecked(), true);
    assert.equal(await visible(page.getByLabel("Authorization Token URL")), true);
    assert.equal(await visible(page.getByLabel("Callback URL")), true);
    assert.equal(await visible(page.getByLabel("JWT Subject")), false);

    await page.getByRole("radio", { name: "Password (legacy)" }).check();
    assert.equal(await visible(page.locator("#password-grant-warning")), true);
    assert.match(await page.locator("#password-grant-warning").textContent(), /deprecated by current OAuth guidance/);
    assert.equal(await visible(page.getByRole("textbox", { name: "User Name" })), true);
    assert.equal(await visible(page.getByLabel("Authorization Token URL")), false);
    await screenshot(page, "grants-1-password-warning");

    await page.getByRole("radio", { name: "JWT bearer" }).check();
    for (const label of ["JWT Subject", "Key ID", "Audience"]) assert.equal(await visible(page.getByLabel(label, { exact: true })), true, label);
    assert.equal(await visible(page.getByRole("button", { name: "Generate key pair" })), true);
    assert.equal(await visible(page.locator("#password-grant-warning")), false);
    await page.getByRole("button", { name: "Save" }).click();
    await page.locator("#jwtSubject-error").waitFor();
    assert.match(await page.locator("#jwtSubject-error").textContent(), /JWT subject|required/i);
    assert.equal(await visible(page.locator("#privateKey-error")), true, "the missing private key is named");
    await screenshot(page, "grants-2-jwt-missing-fields");

    await page.getByRole("radio", { name: "Client credentials" }).check();
    assert.match(await page.locator("#grant-client-credentials-note").textContent(), /glide\.oauth\.inbound\.client\.credential\.grant_type\.enabled/);
    assert.equal(await visible(page.getByLabel("Callback URL")), false);
    await page.getByRole("button", { name: "Save" }).click();
    await page.locator("#form-status").getByText("created").waitFor();
    await generateWithoutWindow(page);
    assert.match(await page.locator("#generate-status").textContent(), /client credentials grant/);
    const state = page.locator("#token-state");
    assert.match(await state.textContent(), /Grant: client credentials\./);
    assert.match(await state.textContent(), /Acts as ServiceNow user itil\.user/);
    assert.match(await state.textContent(), /No refresh token: a new access token is requested/);
    assert.match(await page.locator(".connection-item", { hasText: "Machine to machine" }).textContent(), /OAuth 2\.0 \(client credentials\)/);
    assert.equal(popups.count, 0, "no window was opened");
    await screenshot(page, "grants-3-client-credentials-token");
    await assertNoSecretsShown(page, knownSecrets(standin));
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test("the password grant: its own User Name and Password on the OAuth 2.0 tab, a token with a refresh token", options, async () => {
  const { page, context, problems } = await openScreen(browser, worker, { adminToken: ADMIN_TOKEN });
  try {
    const popups = countPopups(page);
    await newOAuthConnection(page, "Legacy integration");
    await page.getByRole("radio", { name: "Password (legacy)" }).check();
    await page.getByRole("textbox", { name: "User Name" }).fill("itil.user");
    await page.locator('[data-secret="grant-password"]').getByRole("button", { name: /Click to Set/ }).click();
    await page.locator("#grant-password").fill(seedPassword(standin, "itil.user"));
    await page.getByRole("button", { name: "Generate", exact: true }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Save and Generate" }).click();
    await page.locator("#generate-status.ok").waitFor({ timeout: 20_000 });
    const state = await page.locator("#token-state").textContent();
    assert.match(state, /Grant: password\./);
    assert.match(state, /Acts as ServiceNow user itil\.user/);
    assert.match(state, /Refresh token expires in 99 days/);
    assert.equal(popups.count, 0);
    const view = await api("/api/connections/legacy-integration");
    assert.equal(view.grantType, "password");
    assert.equal(view.username, "itil.user");
    assert.deepEqual(view.password, { set: true });
    // On the Connection tab, Basic's own fields stay empty: the grant's user is the OAuth 2.0 tab's.
    await page.getByRole("tab", { name: /^Connection/ }).click();
    assert.equal(await page.locator("#username").inputValue(), "");
    await assertNoSecretsShown(page, knownSecrets(standin));
    assertNoSecretsLogged(worker, knownSecrets(standin));
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test("a refused grant says what the instance needs, and the token state says the credentials were refused", options, async () => {
  await putConnection(worker, "refused-m2m", {
    name: "Refused", baseUrl: `${standin.url}/api/now`, authType: "oauth2", grantType: "client_credentials",
    clientId: GRANTS_CLIENT, clientSecret: CLIENT_SECRET,
  });
  standin.configure({ clientCredentialsEnabled: false, tokenErrorStyle: "rfc" });
  const { page, context, problems } = await openScreen(browser, worker, { adminToken: ADMIN_TOKEN });
  try {
    await page.getByRole("button", { name: /^Refused/ }).click();
    await page.getByRole("heading", { name: "Refused", exact: true }).waitFor();
    await page.getByRole("tab", { name: /^OAuth 2\.0/ }).click();
    await page.getByRole("button", { name: "Generate", exact: true }).click();
    await page.locator("#generate-status.error").waitFor({ timeout: 20_000 });
    assert.match(await page.locator("#generate-status").textContent(), /glide\.oauth\.inbound\.client\.credential\.grant_type\.enabled/);
    await page.locator('#token-state[data-status="reauthorization_required"]').waitFor();
    assert.match(await page.locator("#token-state").textContent(), /refused this connection's credentials/);
    await screenshot(page, "grants-4-refused");
    // The page's own console stays clean: the 409 is an answer, not a failure of the page.
    assert.deepEqual(problems.filter((problem) => !/409/.test(problem)), []);
  } finally {
    standin.configure({ clientCredentialsEnabled: true, tokenErrorStyle: "servicenow" });
    await context.close();
  }
});

test("JWT bearer: a key pair generated in the browser, its certificate and JWK, the JWKS URL the instance verifies with", options, async () => {
  const { page, context, problems } = await openScreen(browser, worker, { adminToken: ADMIN_TOKEN });
  const captured = [];
  try {
    const popups = countPopups(page);
    // The private key leaves the page only in the save's body: taken from there, so it can be looked for.
    page.on("request", (request) => {
      if (request.method() !== "PUT" || !request.url().includes("/api/connections/")) return;
      const key = JSON.parse(request.postData() ?? "{}").privateKey;
      if (typeof key === "string") captured.push(key);
    });
    await newOAuthConnection(page, "Signed assertions");
    await page.getByRole("radio", { name: "JWT bearer" }).check();
    await page.getByLabel("JWT Subject").fill("admin");
    await page.getByRole("button", { name: "Generate key pair" }).click();
    await page.locator("#generated-key").waitFor();
    assert.equal(await page.locator("#privateKey-state").textContent(), "New key pair: saved with the connection");
    const pem = await page.locator("#generated-certificate").inputValue();
    const certificate = new X509Certificate(pem);
    assert.equal(certificate.verify(certificate.publicKey), true, "self-signed");
    assert.match(certificate.subject, /CN=servicenow-connection signed-assertions/);
    const jwk = JSON.parse(await page.locator("#jwk").inputValue());
    assert.equal(jwk.kty, "RSA");
    assert.equal(jwk.alg, "RS256");
    assert.equal(jwk.use, "sig");
    assert.equal(certificate.publicKey.export({ format: "jwk" }).n, jwk.n, "the certificate holds the JWK's key");

    await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: worker.url });
    await page.getByRole("button", { name: "Copy certificate" }).click();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), pem);
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("link", { name: "Download certificate" }).click(),
    ]);
    assert.equal(download.suggestedFilename(), "signed-assertions-signing-certificate.pem");
    assert.equal(await readFile(await download.path(), "utf8"), pem);
    await screenshot(page, "grants-5-key-pair-generated");

    await page.getByRole("button", { name: "Save" }).click();
    await page.locator("#form-status").getByText("created").waitFor();
    assert.equal(captured.length, 1, "the private key was sent once, with the save");
    assert.match(captured[0], /^-----BEGIN PRIVATE KEY-----/);
    assert.equal(await page.locator("#privateKey-state").textContent(), "Set");
    assert.match(await page.locator("#generated-key-note").textContent(), /^Saved:/);
    const jwksUrl = await page.locator("#jwksUrl").inputValue();
    assert.match(jwksUrl, new RegExp(`^${worker.url}/oauth2/jwks/signed-assertions/[A-Za-z0-9_-]{22}$`));
    assert.match(await page.locator("#signing-key-state").textContent(), new RegExp(`Key ID ${jwk.kid} \\(RS256\\)`));
    const served = await (await fetch(jwksUrl)).json();
    assert.deepEqual(served.keys.map((key) => key.n), [jwk.n], "the worker serves the key the page made");

    // The instance trusts what the JWKS URL serves, and nothing else.
    await addGrantsClient({ jwksUrl, jwksCacheSeconds: 0 });
    await generateWithoutWindow(page);
    const state = await page.locator("#token-state").textContent();
    assert.match(state, /Grant: JWT bearer, subject admin\./);
    assert.match(state, /Acts as ServiceNow user admin/);
    assert.equal(popups.count, 0, "no window was opened");
    await screenshot(page, "grants-6-jwt-token");

    const secrets = [...knownSecrets(standin), ...captured, captured[0].replace(/-----[A-Z ]+-----|\s+/g, "")];
    await assertNoSecretsShown(page, secrets);
    assertNoSecretsLogged(worker, secrets);
    assert.equal(JSON.stringify(await api("/api/connections/signed-assertions")).includes(captured[0].split("\n")[1]), false);
    assert.deepEqual(problems, []);
  } finally {
    await addGrantsClient();
    await context.close();
  }
});

test("JWT bearer with ES256: the key pair is an EC P-256 key, and an unsaved key is not kept when discarded", options, async () => {
  const { page, context, problems } = await openScreen(browser, worker, { adminToken: ADMIN_TOKEN });
  try {
    await newOAuthConnection(page, "Elliptic");
    await page.getByRole("radio", { name: "JWT bearer" }).check();
    await page.getByRole("radio", { name: /ES256/ }).check();
    await page.getByRole("button", { name: "Generate key pair" }).click();
    await page.locator("#generated-key").waitFor();
    const certificate = new X509Certificate(await page.locator("#generated-certificate").inputValue());
    assert.equal(certificate.publicKey.asymmetricKeyType, "ec");
    assert.equal(certificate.publicKey.asymmetricKeyDetails.namedCurve, "prime256v1");
    const jwk = JSON.parse(await page.locator("#jwk").inputValue());
    assert.deepEqual([jwk.kty, jwk.crv, jwk.alg], ["EC", "P-256", "ES256"]);
    // Typing a key instead replaces the generated one.
    await page.getByRole("button", { name: "Private Key Click to Set" }).click();
    assert.equal(await page.locator("#privateKey-state").isVisible(), false);
    await page.locator('[data-secret="privateKey"]').getByRole("button", { name: "Cancel" }).click();
    assert.equal(await page.locator("#privateKey-state").textContent(), "Not set");
    assert.equal(await page.locator("#generated-key").isHidden(), true);
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});
