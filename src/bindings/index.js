// The package's entry module: everything the wasm core exports, plus the three operations that go
// over the network. Each builds its request in the core, sends it with the platform's `fetch` (the one
// await), and gives the answer back to the core to read, so all logic stays in the core while the
// wasm needs no async runtime of its own. `fetch` is the global one, which browsers, workers and Node
// share. Redirects are not followed: a token request must never be replayed, with its secrets, to
// wherever a redirect points, and a redirect from the API means the Base URL is wrong. Every request
// is aborted after its time limit, so no call hangs.

import * as core from "./servicenow_connection_core.js";

export * from "./servicenow_connection_core.js";
export { default } from "./servicenow_connection_core.js";

const RESPONSE_HEADERS = ["content-type", "retry-after", "x-ratelimit-reset"];

async function send(request) {
  try {
    const response = await fetch(request.url, {
      method: request.method,
      headers: request.headers,
      body: request.body ?? undefined,
      redirect: "manual",
      signal: AbortSignal.timeout(request.timeoutMs),
    });
    const headers = {};
    for (const name of RESPONSE_HEADERS) {
      const value = response.headers.get(name);
      if (value !== null) headers[name] = value;
    }
    return { status: response.status, headers, body: new Uint8Array(await response.arrayBuffer()) };
  } catch (error) {
    return { transportError: error?.name === "TimeoutError" ? "timeout" : "network" };
  }
}

/** Exchanges an authorization code for tokens at the token endpoint. */
export async function exchangeCode(settings, grant) {
  const requestedAt = Date.now();
  const request = core.codeExchangeRequest(settings, grant);
  return core.processTokenResponse(settings, "authorization_code", await send(request), requestedAt);
}

/** Refreshes tokens; the refresh token and its deadline carry over unless a new one is issued. */
export async function refreshTokens(settings, tokens) {
  const requestedAt = Date.now();
  const request = core.refreshRequest(settings, tokens);
  return core.processTokenResponse(settings, "refresh_token", await send(request), requestedAt, tokens);
}

/** Test Connection: reads one row of sys_db_object and classifies the answer. Never rejects. */
export async function testConnection(settings, tokens) {
  const startedAt = Date.now();
  const start = core.testConnectionRequest(settings, tokens);
  if (start.result) return start.result;
  return core.processTestResponse(settings, await send(start.request), startedAt);
}
