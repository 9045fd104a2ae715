// Per-operation cost in Node (the V8 that workerd runs), ours against oauth4webapi on the same
// inputs, interleaved in one process: building the authorization URL, and a full token exchange
// (callback check, request, an in-process fake fetch, response parsing), refresh, and a
// client-credentials token request. Prints JSON.
// With `--profile OPERATION MS` it runs only ours' side of one operation for MS milliseconds, for
// `node --cpu-prof` (bench/profile.mjs); BENCH_PKG_DIR then points at the build with function names.

import { readFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import * as oauth from "oauth4webapi";

const pkgDir = process.env.BENCH_PKG_DIR ?? new URL("../pkg/", import.meta.url).pathname;
const ours = await import(pathToFileURL(path.join(pkgDir, "servicenow_connection.js")).href);
ours.initSync({ module: readFileSync(path.join(pkgDir, "servicenow_connection_bg.wasm")) });

const INSTANCE = "https://dev8954.service-now.com";
const REDIRECT_URI = "https://worker.example/oauth2/callback";
const TOKEN_JSON = JSON.stringify({
  access_token: "a".repeat(86), refresh_token: "r".repeat(86), scope: "useraccount", token_type: "Bearer", expires_in: 1799,
});
const settings = {
  baseUrl: `${INSTANCE}/api/now/v2`, authType: "oauth2", clientId: "c".repeat(32), clientSecret: "s".repeat(32),
};
const as = {
  issuer: INSTANCE,
  authorization_endpoint: `${INSTANCE}/oauth_auth.do`,
  token_endpoint: `${INSTANCE}/oauth_token.do`,
};
const client = { client_id: settings.clientId };
// Both sides prepare their configuration once, as a server does: our Connection, their `as`,
// `client` and client authentication.
const connection = new ours.Connection(settings);
const clientAuth = oauth.ClientSecretPost(settings.clientSecret);

// The same answer for both; the body is read by each library as it would be from the network.
const fakeFetch = async () => new Response(TOKEN_JSON, {
  status: 200, headers: { "content-type": "application/json;charset=UTF-8" },
});

async function oursAuthorizationUrl() {
  return connection.authorizationRequest({ redirectUri: REDIRECT_URI }).url;
}

async function theirsAuthorizationUrl() {
  const codeVerifier = oauth.generateRandomCodeVerifier();
  const codeChallenge = await oauth.calculatePKCECodeChallenge(codeVerifier);
  const state = oauth.generateRandomState();
  const url = new URL(as.authorization_endpoint);
  url.searchParams.set("response_type", "code");
  url.searchParams.set("client_id", client.client_id);
  url.searchParams.set("redirect_uri", REDIRECT_URI);
  url.searchParams.set("state", state);
  url.searchParams.set("code_challenge", codeChallenge);
  url.searchParams.set("code_challenge_method", "S256");
  return url.href;
}

const verifier = "v".repeat(43);
const state = "s".repeat(43);
const callbackQuery = `?code=${"k".repeat(32)}&state=${state}`;

async function oursExchange() {
  const callback = ours.parseCallback(callbackQuery);
  if (callback.state !== state) throw new Error("state");
  return connection.exchangeCode({ code: callback.code, redirectUri: REDIRECT_URI, codeVerifier: verifier });
}

async function theirsExchange() {
  const params = oauth.validateAuthResponse(as, client, new URL(`${REDIRECT_URI}${callbackQuery}`), state);
  const response = await oauth.authorizationCodeGrantRequest(as, client, clientAuth, params, REDIRECT_URI, verifier, {
    [oauth.customFetch]: fakeFetch,
  });
  return oauth.processAuthorizationCodeResponse(as, client, response);
}

const tokens = { accessToken: "a", refreshToken: "r".repeat(86), tokenType: "Bearer", scope: null, issuedAt: 1, expiresAt: 2, refreshExpiresAt: null };

async function oursRefresh() {
  return connection.refreshTokens(tokens);
}

async function theirsRefresh() {
  const response = await oauth.refreshTokenGrantRequest(as, client, clientAuth, tokens.refreshToken, {
    [oauth.customFetch]: fakeFetch,
  });
  return oauth.processRefreshTokenResponse(as, client, response);
}

// The client-credentials grant: no person and no refresh token, a new token whenever one is due.
// Its answer, as ServiceNow gives it, has no refresh_token. Ours gets this answer through the
// Connection's own `fetch` option, theirs through customFetch.
const UNATTENDED_JSON = JSON.stringify({ access_token: "a".repeat(86), scope: "useraccount", token_type: "Bearer", expires_in: 1799 });
const unattendedFetch = async () => new Response(UNATTENDED_JSON, {
  status: 200, headers: { "content-type": "application/json;charset=UTF-8" },
});
const unattended = new ours.Connection({ ...settings, grantType: "client_credentials" }, { fetch: unattendedFetch });

async function oursClientCredentials() {
  return unattended.requestTokens();
}

async function theirsClientCredentials() {
  const response = await oauth.clientCredentialsGrantRequest(as, client, clientAuth, new URLSearchParams(), {
    [oauth.customFetch]: unattendedFetch,
  });
  return oauth.processClientCredentialsResponse(as, client, response);
}

async function measure(fn, ms) {
  let count = 0;
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(ms) * 1_000_000n;
  let now = start;
  while (now < deadline) {
    for (let i = 0; i < 50; i += 1) await fn();
    count += 50;
    now = process.hrtime.bigint();
  }
  return Number(now - start) / count;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

export const OPERATIONS = {
  authorization_url: [oursAuthorizationUrl, theirsAuthorizationUrl],
  code_exchange: [oursExchange, theirsExchange],
  refresh: [oursRefresh, theirsRefresh],
  client_credentials: [oursClientCredentials, theirsClientCredentials],
};

export async function run({ rounds = 5, ms = 400 } = {}) {
  // Ours gets its fake fetch through the global, the only way its entry module sends; the real one
  // is put back afterwards, as the rest of the benchmark talks to real servers.
  const realFetch = globalThis.fetch;
  globalThis.fetch = fakeFetch;
  try {
    return await measurePairs(OPERATIONS, { rounds, ms });
  } finally {
    globalThis.fetch = realFetch;
  }
}

async function measurePairs(pairs, { rounds, ms }) {
  const results = {};
  for (const [name, [mine, theirs]] of Object.entries(pairs)) {
    await measure(mine, 100);
    await measure(theirs, 100);
    const a = [];
    const b = [];
    for (let round = 0; round < rounds; round += 1) {
      a.push(await measure(mine, ms));
      b.push(await measure(theirs, ms));
    }
    results[name] = { ours_ns: median(a), theirs_ns: median(b) };
  }
  return results;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  if (process.argv[2] === "--profile") {
    globalThis.fetch = fakeFetch;
    await measure(OPERATIONS[process.argv[3]][0], Number(process.argv[4] ?? 3000));
  } else {
    console.log(JSON.stringify(await run(), null, 2));
  }
}
