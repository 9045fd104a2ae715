// Shared test helpers for the stand-in's own tests (kept outside test/ so the runner does not take
// it for a test file): start a stand-in for one test and always close it, build authorization
// URLs with PKCE, run the login/consent flow, and call the token endpoint and the Table API.

import { createHash, randomBytes } from "node:crypto";
import { request as httpRequest } from "node:http";

import { startStandin } from "./index.js";
import { authorizeOverHttp } from "./authorize.js";

export const TIMEOUT = 5000;

export async function withStandin(options, fn) {
  const standin = await startStandin({ port: 0, ...options });
  try {
    return await fn(standin);
  } finally {
    await standin.close();
  }
}

export function seedUser(standin, userName) {
  const user = standin.seed.users.find((u) => u.user_name === userName);
  if (!user) throw new Error(`no seed user ${userName}`);
  return user;
}

export function seedClient(standin) {
  return standin.seed.clients[0];
}

export function pkcePair() {
  const verifier = randomBytes(32).toString("base64url");
  const challenge = createHash("sha256").update(verifier).digest("base64url");
  return { verifier, challenge };
}

export function authorizationUrl(standin, {
  client = seedClient(standin),
  redirectUri = client.redirectUris[0],
  state = randomBytes(8).toString("hex"),
  scope,
  challenge,
  extra = {},
} = {}) {
  const url = new URL("/oauth_auth.do", standin.url);
  const params = { response_type: "code", client_id: client.clientId, redirect_uri: redirectUri, state, ...extra };
  if (scope !== undefined) params.scope = scope;
  if (challenge !== undefined) Object.assign(params, { code_challenge: challenge, code_challenge_method: "S256" });
  url.search = new URLSearchParams(params).toString();
  return { url: url.href, state, redirectUri };
}

// Runs the whole browser part and returns { code, state, location, redirectUri, verifier }.
export async function obtainCode(standin, { userName = "admin", pkce = true, ...rest } = {}) {
  const user = seedUser(standin, userName);
  const pair = pkce ? pkcePair() : undefined;
  const { url, redirectUri } = authorizationUrl(standin, { challenge: pair?.challenge, ...rest });
  const location = new URL(await authorizeOverHttp(url, { username: user.user_name, password: user.password }));
  return {
    code: location.searchParams.get("code"),
    state: location.searchParams.get("state"),
    location,
    redirectUri,
    verifier: pair?.verifier,
  };
}

export async function tokenRequest(standin, params, { clientAuth = "post", client = seedClient(standin), headers = {}, body } = {}) {
  const form = new URLSearchParams(params);
  const allHeaders = { "content-type": "application/x-www-form-urlencoded", accept: "application/json", ...headers };
  if (clientAuth === "post") {
    form.set("client_id", client.clientId);
    form.set("client_secret", client.clientSecret);
  } else if (clientAuth === "basic") {
    const id = encodeURIComponent(client.clientId);
    const secret = encodeURIComponent(client.clientSecret);
    allHeaders.authorization = `Basic ${Buffer.from(`${id}:${secret}`).toString("base64")}`;
  }
  const response = await fetch(new URL("/oauth_token.do", standin.url), {
    method: "POST",
    headers: allHeaders,
    body: body ?? form.toString(),
    signal: AbortSignal.timeout(TIMEOUT),
  });
  const text = await response.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

export async function tokensFor(standin, options = {}) {
  const { code, redirectUri, verifier } = await obtainCode(standin, options);
  const answer = await tokenRequest(standin, {
    grant_type: "authorization_code",
    code,
    redirect_uri: redirectUri,
    ...(verifier ? { code_verifier: verifier } : {}),
  }, options.client ? { client: options.client } : {});
  if (answer.status !== 200) throw new Error(`code exchange failed: ${answer.status} ${answer.text}`);
  return answer.json;
}

export function basicHeader(user) {
  return `Basic ${Buffer.from(`${user.user_name}:${user.password}`).toString("base64")}`;
}

export async function api(standin, path, { method = "GET", auth, accept = "application/json", headers = {}, body } = {}) {
  const allHeaders = { ...headers };
  if (accept !== undefined) allHeaders.accept = accept;
  if (auth) allHeaders.authorization = auth;
  if (body !== undefined && allHeaders["content-type"] === undefined) allHeaders["content-type"] = "application/json";
  const response = await fetch(new URL(path, standin.url), {
    method,
    headers: allHeaders,
    body,
    signal: AbortSignal.timeout(TIMEOUT),
  });
  const text = await response.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

// fetch always sends an Accept header; this request can leave it out.
export function rawRequest(standin, path, { method = "GET", headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const req = httpRequest(new URL(path, standin.url), { method, headers, timeout: TIMEOUT }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        let json;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode, headers: res.headers, text, json });
      });
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error("request timed out")));
    req.on("error", reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export const NOT_AUTHENTICATED = {
  error: { message: "User Not Authenticated", detail: "Required to provide Auth information" },
  status: "failure",
};

export const NOT_A_RESOURCE = {
  error: { message: "Requested URI does not represent any resource", detail: null },
  status: "failure",
};
