// The package's entry module: the wasm core's exports, `Connection` with the three operations that go
// over the network, and the functional API on top of it.
//
// A network operation builds its request in the core, sends it with the platform's `fetch` (the one
// await), and gives the answer back to the core to read, so all logic stays in the core while the
// wasm needs no async runtime of its own. `fetch` is the global one, which browsers, workers and Node
// share. Redirects are not followed: a token request must never be replayed, with its secrets, to
// wherever a redirect points, and a redirect from the API means the Base URL is wrong. Every request
// is aborted after its time limit, body included, so no call hangs.

import * as core from "./servicenow_connection_core.js";

export * from "./servicenow_connection_core.js";
export { default } from "./servicenow_connection_core.js";

const RESPONSE_HEADERS = ["content-type", "retry-after", "x-ratelimit-reset"];

async function send(request) {
  // A timer that is cleared as soon as the answer is in: AbortSignal.timeout would leave one pending
  // timer per request alive for the whole time limit, which under load costs more than the request.
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, request.timeoutMs);
  try {
    const response = await fetch(request.url, {
      method: request.method,
      headers: request.headers,
      body: request.body ?? undefined,
      redirect: "manual",
      signal: controller.signal,
    });
    const headers = {};
    for (const name of RESPONSE_HEADERS) {
      const value = response.headers.get(name);
      if (value !== null) headers[name] = value;
    }
    return { status: response.status, headers, body: new Uint8Array(await response.arrayBuffer()) };
  } catch {
    return { transportError: timedOut ? "timeout" : "network" };
  } finally {
    clearTimeout(timer);
  }
}

/** Validated settings, for any number of operations; `free()` (or disposal) releases it early. */
export class Connection extends core.Connection {
  /** Exchanges an authorization code for tokens at the token endpoint. */
  async exchangeCode(grant) {
    const requestedAt = Date.now();
    const request = this.codeExchangeRequest(grant);
    return this.processTokenResponse("authorization_code", await send(request), requestedAt);
  }

  /** Refreshes tokens; the refresh token and its deadline carry over unless a new one is issued. */
  async refreshTokens(tokens) {
    const requestedAt = Date.now();
    const request = this.refreshRequest(tokens);
    return this.processTokenResponse("refresh_token", await send(request), requestedAt, tokens);
  }

  /** Test Connection: reads one row of sys_db_object and classifies the answer. Never rejects. */
  async testConnection(tokens) {
    const startedAt = Date.now();
    const start = this.testConnectionRequest(tokens);
    if (start.result) return start.result;
    return this.processTestResponse(await send(start.request), startedAt);
  }

  [Symbol.dispose]() {
    this.free();
  }
}

/**
 * Runs `use` on a connection made for this one call and releases it after (after the promise, for
 * the network operations). Settings that do not validate throw their `invalid_config` error, or,
 * with `asResult`, give their Test Connection result through it.
 */
function once(settings, use, asResult) {
  let connection;
  try {
    connection = new Connection(settings);
  } catch (error) {
    if (asResult) return asResult(core.testResultFromError(error));
    throw error;
  }
  const release = () => connection.free();
  try {
    const outcome = use(connection);
    if (outcome instanceof Promise) return outcome.finally(release);
    release();
    return outcome;
  } catch (error) {
    release();
    throw error;
  }
}

const asIs = (testResult) => testResult;

export const authorizationRequest = (settings, options) => once(settings, (c) => c.authorizationRequest(options));
export const codeExchangeRequest = (settings, grant) => once(settings, (c) => c.codeExchangeRequest(grant));
export const refreshRequest = (settings, tokens) => once(settings, (c) => c.refreshRequest(tokens));
export const processTokenResponse = (settings, grant, response, requestedAt, previous) =>
  once(settings, (c) => c.processTokenResponse(grant, response, requestedAt, previous));
export const authorizationHeader = (settings, tokens) => once(settings, (c) => c.authorizationHeader(tokens));
export const apiRequestUrl = (settings, path, query) => once(settings, (c) => c.apiRequestUrl(path, query));
export const issuerMatches = (settings, issuer) => once(settings, (c) => c.issuerMatches(issuer));
// `async`, so that invalid settings reject rather than throw.
export const exchangeCode = async (settings, grant) => once(settings, (c) => c.exchangeCode(grant));
export const refreshTokens = async (settings, tokens) => once(settings, (c) => c.refreshTokens(tokens));

/** Test Connection without a prepared connection; invalid settings are a result too. Never rejects. */
export const testConnection = async (settings, tokens) => once(settings, (c) => c.testConnection(tokens), asIs);

/** The Test Connection request for settings, or the result when there is nothing to send. */
export const testConnectionRequest = (settings, tokens) =>
  once(settings, (c) => c.testConnectionRequest(tokens), (testResult) => ({ result: testResult }));

/** Classifies an answer to the Test Connection request; invalid settings are a result too. */
export const processTestResponse = (settings, response, startedAt) =>
  once(settings, (c) => c.processTestResponse(response, startedAt), asIs);
