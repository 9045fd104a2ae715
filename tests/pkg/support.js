// Shared setup for the package tests: loads pkg/ the way Node users do (initSync with the .wasm
// bytes), starts in-process stand-ins, and builds connection settings for the seeded users and client.
// Errors the tests expect are written to this process's transcript (what a caller would show or
// log), and the stand-ins record the tokens they issue, for the leak check over the whole test run.

import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import * as pkg from "../../pkg/servicenow_connection.js";
import { startStandin } from "../servicenow-standin/index.js";
import { authorizeOverHttp } from "../servicenow-standin/authorize.js";
import { record, startTranscript } from "../worker/support/transcript.js";

const wasmPath = fileURLToPath(new URL("../../pkg/servicenow_connection_bg.wasm", import.meta.url));
pkg.initSync({ module: readFileSync(wasmPath) });
startTranscript();

/** What a caller of pkg/ sees of an error, as it would show or log it. */
export function recordError(error) {
  const { name, code, field, status, message, detail, hint, errors } = error ?? {};
  record("error", "pkg", JSON.stringify({ name, code, field, status, message, detail, hint, errors, text: String(error) }));
}

export { pkg, startStandin, authorizeOverHttp };

/** The callback the seeded client has registered; the tests read the redirect, nothing listens. */
export const REDIRECT_URI = "http://127.0.0.1:8787/oauth2/callback";

export function user(standin, name) {
  const found = standin.seed.users.find((u) => u.user_name === name);
  if (!found) throw new Error(`no seeded user ${name}`);
  return found;
}

export function client(standin) {
  return standin.seed.clients[0];
}

export function basicSettings(standin, name = "admin", overrides = {}) {
  return {
    baseUrl: `${standin.url}/api/now/v2`,
    authType: "basic",
    username: name,
    password: user(standin, name).password,
    allowInsecureLoopback: true,
    ...overrides,
  };
}

export function oauthSettings(standin, overrides = {}) {
  const { clientId, clientSecret } = client(standin);
  return {
    baseUrl: `${standin.url}/api/now/v2`,
    authType: "oauth2",
    clientId,
    clientSecret,
    allowInsecureLoopback: true,
    ...overrides,
  };
}

/** Runs Generate → login → callback → code exchange, as a person with `name` would. */
export async function authorize(standin, settings, name = "admin") {
  const request = pkg.authorizationRequest(settings, { redirectUri: REDIRECT_URI });
  const location = await authorizeOverHttp(request.url, {
    username: name,
    password: user(standin, name).password,
  });
  const callback = pkg.parseCallback(new URL(location).search);
  if (callback.kind !== "code") throw new Error(`authorization failed: ${callback.error}`);
  if (callback.state !== request.state) throw new Error("state mismatch");
  return { request, callback };
}

/** Expects `promise` to reject with a ConnectionError and returns it. */
export async function rejection(promise) {
  try {
    await promise;
  } catch (error) {
    recordError(error);
    return error;
  }
  throw new Error("expected a rejection");
}

/** Expects `fn` to throw a ConnectionError and returns it. */
export function thrown(fn) {
  try {
    fn();
  } catch (error) {
    recordError(error);
    return error;
  }
  throw new Error("expected a throw");
}
