// The authorization server: authorization-code flow with login and consent, PKCE, both client
// authentication methods, ServiceNow-shaped token answers and errors, the refresh grant's
// no-rotation/no-extension rule, and the rules on state, scope and request bodies.

import { test } from "node:test";
import assert from "node:assert/strict";

import { authorizeOverHttp } from "../authorize.js";
import {
  authorizationUrl,
  obtainCode,
  pkcePair,
  seedClient,
  seedUser,
  sleep,
  tokenRequest,
  tokensFor,
  withStandin,
} from "../harness.js";

const SERVICENOW_GRANT_ERROR = { error: "server_error", error_description: "access_denied" };

test("authorization code flow returns code and state to the registered redirect URI", () => withStandin({}, async (s) => {
  const { location, state, code } = await obtainCode(s);
  assert.equal(`${location.origin}${location.pathname}`, seedClient(s).redirectUris[0]);
  assert.match(code, /^[A-Za-z0-9_-]{20,}$/);
  assert.equal(location.searchParams.get("state"), state);
  assert.equal(s.counters().authorization.total, 1);
}));

test("code exchange with client_secret_post answers the ServiceNow token shape", () => withStandin({}, async (s) => {
  const { code, redirectUri, verifier } = await obtainCode(s);
  const answer = await tokenRequest(s, { grant_type: "authorization_code", code, redirect_uri: redirectUri, code_verifier: verifier });
  assert.equal(answer.status, 200);
  assert.equal(answer.headers.get("content-type"), "application/json;charset=UTF-8");
  assert.deepEqual(Object.keys(answer.json), ["access_token", "refresh_token", "scope", "token_type", "expires_in"]);
  assert.equal(answer.json.scope, "useraccount");
  assert.equal(answer.json.token_type, "Bearer");
  // Whole seconds left of a 1,800 s lifetime, as an instance reports it; 1798 only if a second
  // boundary passes between issuing and answering.
  assert.ok([1799, 1798].includes(answer.json.expires_in), String(answer.json.expires_in));
  assert.equal(typeof answer.json.access_token, "string");
  assert.equal(typeof answer.json.refresh_token, "string");
  assert.equal(answer.json.id_token, undefined);
  const counters = s.counters().token;
  assert.equal(counters.byGrantTypeAndOutcome.authorization_code.ok, 1);
}));

test("code exchange with client_secret_basic (form-urlencoded id and secret) works", () => withStandin({}, async (s) => {
  const client = { clientId: "id:with%colon", clientSecret: "secret+with/odd=chars: and space", redirectUris: ["http://127.0.0.1:9/cb"] };
  await s.addClient(client);
  const { code, redirectUri, verifier } = await obtainCode(s, { client });
  const answer = await tokenRequest(s, { grant_type: "authorization_code", code, redirect_uri: redirectUri, code_verifier: verifier }, { clientAuth: "basic", client });
  assert.equal(answer.status, 200, answer.text);
  assert.equal(answer.json.token_type, "Bearer");
}));

test("openid scope adds an id_token; without it there is none", () => withStandin({}, async (s) => {
  const withOpenid = await tokensFor(s, { scope: "openid useraccount" });
  assert.equal(typeof withOpenid.id_token, "string");
  assert.equal(withOpenid.id_token.split(".").length, 3);
  assert.equal(withOpenid.scope, "openid useraccount");
  const plain = await tokensFor(s, { scope: "useraccount" });
  assert.equal(plain.id_token, undefined);
  assert.equal(plain.scope, "useraccount");
}));

test("a request without scope is granted useraccount", () => withStandin({}, async (s) => {
  const tokens = await tokensFor(s, {});
  assert.equal(tokens.scope, "useraccount");
}));

test("PKCE S256: right verifier passes, wrong or missing verifier fails, no PKCE is allowed", () => withStandin({}, async (s) => {
  const wrong = await obtainCode(s);
  let answer = await tokenRequest(s, { grant_type: "authorization_code", code: wrong.code, redirect_uri: wrong.redirectUri, code_verifier: pkcePair().verifier });
  assert.equal(answer.status, 401);
  assert.deepEqual(answer.json, SERVICENOW_GRANT_ERROR);

  const missing = await obtainCode(s);
  answer = await tokenRequest(s, { grant_type: "authorization_code", code: missing.code, redirect_uri: missing.redirectUri });
  assert.equal(answer.status, 401);

  const none = await obtainCode(s, { pkce: false });
  answer = await tokenRequest(s, { grant_type: "authorization_code", code: none.code, redirect_uri: none.redirectUri });
  assert.equal(answer.status, 200, answer.text);
}));

test("PKCE method plain is refused at the authorization endpoint", () => withStandin({}, async (s) => {
  const { url } = authorizationUrl(s, { extra: { code_challenge: "x".repeat(43), code_challenge_method: "plain" } });
  const location = new URL(await authorizeOverHttp(url, { username: "admin", password: seedUser(s, "admin").password }));
  assert.equal(location.searchParams.get("error"), "invalid_request");
}));

test("a code is single use and bound to its redirect_uri", () => withStandin({}, async (s) => {
  const { code, redirectUri, verifier } = await obtainCode(s);
  const other = seedClient(s).redirectUris[1];
  let answer = await tokenRequest(s, { grant_type: "authorization_code", code, redirect_uri: other, code_verifier: verifier });
  assert.equal(answer.status, 401);
  assert.deepEqual(answer.json, SERVICENOW_GRANT_ERROR);
  const second = await obtainCode(s);
  answer = await tokenRequest(s, { grant_type: "authorization_code", code: second.code, redirect_uri: second.redirectUri, code_verifier: second.verifier });
  assert.equal(answer.status, 200);
  answer = await tokenRequest(s, { grant_type: "authorization_code", code: second.code, redirect_uri: second.redirectUri, code_verifier: second.verifier });
  assert.equal(answer.status, 401);
  assert.deepEqual(answer.json, SERVICENOW_GRANT_ERROR);
}));

test("refresh grant returns the same refresh token and a new access token", () => withStandin({}, async (s) => {
  const tokens = await tokensFor(s);
  const answer = await tokenRequest(s, { grant_type: "refresh_token", refresh_token: tokens.refresh_token }, { clientAuth: "basic" });
  assert.equal(answer.status, 200, answer.text);
  assert.equal(answer.json.refresh_token, tokens.refresh_token);
  assert.notEqual(answer.json.access_token, tokens.access_token);
  assert.deepEqual(Object.keys(answer.json), ["access_token", "refresh_token", "scope", "token_type", "expires_in"]);
  assert.equal(answer.json.scope, "useraccount");
  assert.equal(s.counters().token.byGrantTypeAndOutcome.refresh_token.ok, 1);
}));

test("refreshing does not extend the refresh token's life", { timeout: 15000 }, () => withStandin({ refreshTtl: 3 }, async (s) => {
  const tokens = await tokensFor(s);
  const issuedAt = Date.now();
  await sleep(1500);
  const refreshed = await tokenRequest(s, { grant_type: "refresh_token", refresh_token: tokens.refresh_token });
  assert.equal(refreshed.status, 200, refreshed.text);
  await sleep(Math.max(0, issuedAt + 3300 - Date.now()));
  const late = await tokenRequest(s, { grant_type: "refresh_token", refresh_token: tokens.refresh_token });
  assert.equal(late.status, 401);
  assert.deepEqual(late.json, SERVICENOW_GRANT_ERROR);
}));

test("failed grants: ServiceNow style by default, RFC 6749 §5.2 style when switched", () => withStandin({}, async (s) => {
  let answer = await tokenRequest(s, { grant_type: "refresh_token", refresh_token: "not-a-token" });
  assert.equal(answer.status, 401);
  assert.deepEqual(answer.json, SERVICENOW_GRANT_ERROR);
  answer = await tokenRequest(s, { grant_type: "refresh_token", refresh_token: "x" }, { client: { ...seedClient(s), clientSecret: "wrong" } });
  assert.equal(answer.status, 401);
  assert.deepEqual(answer.json, SERVICENOW_GRANT_ERROR);

  s.configure({ tokenErrorStyle: "rfc" });
  answer = await tokenRequest(s, { grant_type: "refresh_token", refresh_token: "not-a-token" });
  assert.equal(answer.status, 400);
  assert.equal(answer.json.error, "invalid_grant");
  answer = await tokenRequest(s, { grant_type: "refresh_token", refresh_token: "x" }, { client: { ...seedClient(s), clientSecret: "wrong" } });
  assert.equal(answer.status, 401);
  assert.equal(answer.json.error, "invalid_client");
  answer = await tokenRequest(s, { grant_type: "urn:example:unknown-grant" });
  assert.equal(answer.status, 400);
  assert.equal(answer.json.error, "unsupported_grant_type");
  const counts = s.counters().token;
  assert.equal(counts.byOutcome.error, 5);
  assert.equal(counts.byGrantType["urn:example:unknown-grant"], 1);
}));

test("a JSON body to the token endpoint is refused with 400", () => withStandin({}, async (s) => {
  const client = seedClient(s);
  const body = JSON.stringify({ grant_type: "refresh_token", refresh_token: "x", client_id: client.clientId, client_secret: client.clientSecret });
  const answer = await tokenRequest(s, {}, { clientAuth: "none", headers: { "content-type": "application/json" }, body });
  assert.equal(answer.status, 400);
  assert.equal(answer.json.error, "invalid_request");
  assert.equal(s.counters().token.byOutcome.error, 1);
}));

test("denied consent redirects with error=access_denied and the state", () => withStandin({}, async (s) => {
  const admin = seedUser(s, "admin");
  const { url, state } = authorizationUrl(s);
  const location = new URL(await authorizeOverHttp(url, { username: admin.user_name, password: admin.password, decision: "deny" }));
  assert.equal(location.searchParams.get("error"), "access_denied");
  assert.equal(location.searchParams.get("state"), state);
  assert.equal(location.searchParams.get("code"), null);
}));

test("a wrong password ends in error=access_denied", () => withStandin({}, async (s) => {
  const { url, state } = authorizationUrl(s);
  const location = new URL(await authorizeOverHttp(url, { username: "admin", password: "wrong-password" }));
  assert.equal(location.searchParams.get("error"), "access_denied");
  assert.equal(location.searchParams.get("state"), state);
}));

test("three failed logins on one page abort the flow by themselves", () => withStandin({}, async (s) => {
  const { url, state } = authorizationUrl(s);
  const jar = [];
  let response = await fetch(url, { redirect: "manual" });
  for (const c of response.headers.getSetCookie()) jar.push(c.split(";")[0]);
  const interaction = new URL(response.headers.get("location"), s.url);
  const cookie = jar.join("; ");
  const page = await (await fetch(interaction, { headers: { cookie } })).text();
  assert.match(page, /<label for="user_name">User name<\/label>/);
  assert.match(page, /<label for="user_password">Password<\/label>/);
  const statuses = [];
  for (let i = 0; i < 3; i += 1) {
    response = await fetch(new URL(`${interaction.pathname}/login`, s.url), {
      method: "POST",
      redirect: "manual",
      headers: { cookie, "content-type": "application/x-www-form-urlencoded" },
      body: "user_name=admin&user_password=nope",
    });
    statuses.push(response.status);
    await response.text();
  }
  assert.deepEqual(statuses, [401, 401, 303]);
  response = await fetch(new URL(response.headers.get("location"), s.url), { redirect: "manual", headers: { cookie } });
  const final = new URL(response.headers.get("location"));
  assert.equal(final.searchParams.get("error"), "access_denied");
  assert.equal(final.searchParams.get("state"), state);
}));

test("state is required at the authorization endpoint", () => withStandin({}, async (s) => {
  const url = new URL(authorizationUrl(s).url);
  url.searchParams.delete("state");
  const response = await fetch(url, { redirect: "manual" });
  assert.equal(response.status, 400);
  assert.match(await response.text(), /state parameter is required/);
}));

test("an unregistered redirect URI or unknown client gets an error page, not a redirect", () => withStandin({}, async (s) => {
  let response = await fetch(authorizationUrl(s, { redirectUri: "http://127.0.0.1:1/elsewhere" }).url, { redirect: "manual" });
  assert.equal(response.status, 400);
  assert.match(await response.text(), /redirect_uri did not match/);
  const unknown = { clientId: "nobody", clientSecret: "x", redirectUris: ["http://127.0.0.1:1/cb"] };
  response = await fetch(authorizationUrl(s, { client: unknown }).url, { redirect: "manual" });
  assert.equal(response.status, 400);
  assert.match(await response.text(), /invalid_client/);
  await assert.rejects(authorizeOverHttp(authorizationUrl(s, { client: unknown }).url, { username: "admin", password: "x" }),
    /unexpected page/);
}));

test("the token revocation endpoint kills a refresh token", () => withStandin({}, async (s) => {
  const tokens = await tokensFor(s);
  const client = seedClient(s);
  const response = await fetch(new URL("/oauth_revoke_token.do", s.url), {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ token: tokens.refresh_token, client_id: client.clientId, client_secret: client.clientSecret }),
  });
  assert.equal(response.status, 200);
  const answer = await tokenRequest(s, { grant_type: "refresh_token", refresh_token: tokens.refresh_token });
  assert.equal(answer.status, 401);
  assert.equal(s.counters().revocation.total, 1);
}));

test("a signed-in browser session skips the login page but still asks for consent", () => withStandin({}, async (s) => {
  const admin = seedUser(s, "admin");
  const cookies = new Map();
  const send = async (url, init = {}) => {
    const response = await fetch(url, {
      redirect: "manual",
      ...init,
      headers: { ...(init.headers ?? {}), cookie: [...cookies.values()].join("; ") },
    });
    for (const c of response.headers.getSetCookie()) {
      const pair = c.split(";")[0];
      cookies.set(pair.split("=")[0], pair);
    }
    return response;
  };
  // Follows one authorization like a browser that keeps its cookies; returns the pages seen.
  const authorize = async () => {
    const seen = [];
    let response = await send(authorizationUrl(s).url);
    for (let hop = 0; hop < 10; hop += 1) {
      if (response.status === 303 || response.status === 302) {
        const location = new URL(response.headers.get("location"), s.url);
        if (location.origin !== s.url) return { seen, location };
        response = await send(location);
        continue;
      }
      const html = await response.text();
      const form = /<form id="(login|consent)-form" method="post" action="([^"]+)"/.exec(html);
      seen.push(form[1]);
      const body = form[1] === "login"
        ? { user_name: admin.user_name, user_password: admin.password }
        : { decision: "allow" };
      response = await send(new URL(form[2], s.url), {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams(body),
      });
    }
    throw new Error("too many hops");
  };
  const first = await authorize();
  assert.deepEqual(first.seen, ["login", "consent"]);
  assert.ok(first.location.searchParams.get("code"));
  const second = await authorize();
  assert.deepEqual(second.seen, ["consent"]);
  assert.ok(second.location.searchParams.get("code"));
}));
