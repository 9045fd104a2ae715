// Shared helpers for the worker tests: run the worker in workerd through Miniflare (in-process, on
// 127.0.0.1 with a random port, optionally with persisted Durable Object storage), start stand-ins,
// walk the whole Generate -> authorize -> callback flow over HTTP, and keep every response body and
// every line the worker printed so each test file can check that no secret ever left the worker.
// The same is written to this process's transcript (transcript.js) for the leak check over the whole
// test run, together with the secret values used here.

import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import assert from "node:assert/strict";
import { after, before } from "node:test";

import { Miniflare } from "miniflare";

import { startStandin } from "../../servicenow-standin/index.js";
import { authorizeOverHttp } from "../../servicenow-standin/authorize.js";
import { bundleWorker } from "./bundle.js";
import { record, recordSecret, startTranscript } from "./transcript.js";

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
export const COMPATIBILITY_DATE = "2026-04-01";
export const PAGE_ORIGIN = "http://page.test:8080";

export const ADMIN_TOKEN = `FAKE-worker-admin-token-${randomBytes(12).toString("hex")}`;
export const SEALING_KEY = randomBytes(32).toString("base64");
export const CLIENT_SECRET = `FAKE-worker-test-client-secret-${randomBytes(8).toString("hex")}`;

/** Strings that must never appear in a response body, a header or a log line. */
export const secrets = new Set([ADMIN_TOKEN, SEALING_KEY, CLIENT_SECRET]);

// Before any stand-in starts, so that it records the tokens it issues into this process's files.
startTranscript();
recordSecret("admin_token", ADMIN_TOKEN);
recordSecret("sealing_key", SEALING_KEY);
recordSecret("client_secret", CLIENT_SECRET);

/**
 * The answer that creates an access key is the one place the key is shown, by design: its `key` is
 * left out of the transcripts, so a key found anywhere else is a leak.
 */
function shownOnce(method, target, text) {
  if (method !== "POST" || !/^\/api\/connections\/[^/]+\/keys$/.test(target.pathname)) return text;
  try {
    const key = JSON.parse(text).key;
    return typeof key === "string" ? text.replaceAll(key, "<the new key, shown once>") : text;
  } catch {
    return text;
  }
}

/** Worker variables whose values are secrets wherever they come from. */
const SECRET_BINDINGS = ["ADMIN_TOKEN", "SEALING_KEY", "SEALING_KEY_PREVIOUS"];

/** Everything the worker said, over all workers of this process. */
const transcript = [];

export async function tempDir(prefix) {
  return mkdtemp(path.join(tmpdir(), prefix));
}

export class WorkerUnderTest {
  constructor(mf, url, output) {
    this.mf = mf;
    this.url = url;
    this.origin = url.origin;
    this.output = output;
  }

  /** A request to the worker; the answer's body is read, kept for the leak check and parsed. */
  async request(pathOrUrl, { method = "GET", headers = {}, body, admin = false, raw = false } = {}) {
    const target = new URL(pathOrUrl, this.url);
    const allHeaders = { ...headers };
    if (admin) allHeaders.authorization = `Bearer ${ADMIN_TOKEN}`;
    let payload = body;
    if (body !== undefined && typeof body === "object" && !(body instanceof Uint8Array)) {
      payload = JSON.stringify(body);
      allHeaders["content-type"] ??= "application/json";
    }
    const response = await this.mf.dispatchFetch(target, { method, headers: allHeaders, body: payload, redirect: "manual" });
    const text = await response.text();
    if (!target.pathname.startsWith("/__test/")) {
      const seen = `${response.status} ${[...response.headers].map(([k, v]) => `${k}: ${v}`).join("\n")}\n${shownOnce(method, target, text)}`;
      transcript.push(seen);
      record("request", "client", `${method} ${target.href}`);
      record("response", `${method} ${target.pathname}`, seen);
    }
    let json;
    if ((response.headers.get("content-type") ?? "").includes("json")) {
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
    }
    return { status: response.status, headers: response.headers, text, json, raw: raw ? response : undefined };
  }

  admin(pathOrUrl, options = {}) {
    return this.request(pathOrUrl, { ...options, admin: true });
  }

  putConnection(id, body) {
    return this.admin(`/api/connections/${id}`, { method: "PUT", body });
  }

  /**
   * Creates an access key of connection `id` (`body`: {name, methods?, paths?, expiresAt?}); the key
   * and its stored hash are remembered as secrets for the leak checks.
   */
  async createKey(id, body) {
    const created = await this.admin(`/api/connections/${id}/keys`, { method: "POST", body });
    if (created.json?.key) rememberKey(created.json.key);
    return created;
  }

  /** The connection's tokens as stored (unsealed by a test hook), and remembered as secrets. */
  async storedTokens(id) {
    const { json } = await this.request(`/__test/tokens?id=${id}`);
    if (json) {
      secrets.add(json.accessToken);
      recordSecret("access_token", json.accessToken);
      if (json.refreshToken) {
        secrets.add(json.refreshToken);
        recordSecret("refresh_token", json.refreshToken);
      }
    }
    return json;
  }

  async hook(name, params = {}, body) {
    const query = new URLSearchParams(params).toString();
    return (await this.request(`/__test/${name}?${query}`, body === undefined ? {} : { method: "POST", body })).json;
  }

  async close() {
    await this.mf.dispose();
    transcript.push(this.output.join(""));
  }
}

/**
 * Starts the worker. `vars` override the defaults (a value of `undefined` removes the variable);
 * `persistDir` keeps Durable Object storage on disk across restarts; `assetsDir` serves static files.
 */
export async function startWorker({ vars = {}, persistDir, assetsDir } = {}) {
  const bindings = {
    ADMIN_TOKEN,
    SEALING_KEY,
    ALLOWED_ORIGINS: PAGE_ORIGIN,
    ALLOW_INSECURE_LOOPBACK: "true",
    ...vars,
  };
  for (const [key, value] of Object.entries(bindings)) if (value === undefined) delete bindings[key];
  for (const name of SECRET_BINDINGS) if (typeof bindings[name] === "string") recordSecret(name.toLowerCase(), bindings[name]);
  const output = [];
  const options = {
    ...(await bundleWorker("tests/worker/support/hooked-entry.js")),
    modules: true,
    compatibilityDate: COMPATIBILITY_DATE,
    durableObjects: {
      CONNECTIONS: { className: "ConnectionObject", useSQLite: true },
      REGISTRY: { className: "ConnectionRegistry", useSQLite: true },
    },
    durableObjectsPersist: persistDir ?? false,
    bindings,
    host: "127.0.0.1",
    port: 0,
    handleRuntimeStdio(stdout, stderr) {
      const keep = (stream) => (chunk) => {
        output.push(String(chunk));
        record("worker-log", `workerd ${stream}`, chunk);
      };
      stdout.on("data", keep("stdout"));
      stderr.on("data", keep("stderr"));
    },
  };
  if (assetsDir) {
    options.assets = {
      directory: assetsDir,
      binding: "ASSETS",
      routerConfig: { has_user_worker: true, static_routing: { user_worker: ["/api/*", "/oauth2/*"] } },
    };
  }
  const mf = new Miniflare(options);
  const url = await mf.ready;
  return new WorkerUnderTest(mf, url, output);
}

/** A stand-in whose extra client accepts this worker's callback URL. */
export async function startStandinFor(worker, options = {}) {
  const standin = await startStandin({ port: 0, ...options });
  for (const user of standin.seed.users) {
    secrets.add(user.password);
    recordSecret("password", user.password);
  }
  for (const client of standin.seed.clients) {
    secrets.add(client.clientSecret);
    recordSecret("client_secret", client.clientSecret);
  }
  await standin.addClient({
    clientId: "worker-test-client",
    clientSecret: CLIENT_SECRET,
    redirectUris: [`${worker.origin}/oauth2/callback`],
  });
  return standin;
}

export function oauthSettings(standin, extra = {}) {
  return {
    name: "OAuth to the stand-in",
    baseUrl: `${standin.url}/api/now/v2`,
    authType: "oauth2",
    clientId: "worker-test-client",
    clientSecret: CLIENT_SECRET,
    ...extra,
  };
}

export function basicSettings(standin, userName = "admin", extra = {}) {
  const user = standin.seed.users.find((u) => u.user_name === userName);
  return {
    name: `Basic as ${userName}`,
    baseUrl: `${standin.url}/api/now`,
    authType: "basic",
    username: userName,
    password: user.password,
    ...extra,
  };
}

export function seedPassword(standin, userName) {
  return standin.seed.users.find((u) => u.user_name === userName).password;
}

/** Generate, then log in at the stand-in over HTTP; returns the callback URL the browser would open. */
export async function authorize(worker, id, standin, { userName = "admin", decision = "allow" } = {}) {
  const generated = await worker.admin(`/api/connections/${id}/oauth/generate`, { method: "POST" });
  assert.equal(generated.status, 200, generated.text);
  const location = await authorizeOverHttp(generated.json.authorizationUrl, {
    username: userName,
    password: seedPassword(standin, userName),
    decision,
  });
  return new URL(location);
}

/** Generate, authorize and open the callback: the whole flow. */
export async function connect(worker, id, standin, options) {
  const location = await authorize(worker, id, standin, options);
  const page = await worker.request(location.pathname + location.search);
  return { location, page };
}

/** The message the callback page posts to its opener. */
export function postedMessage(html) {
  const match = /<script type="application\/json" id="result">([^<]*)<\/script>/.exec(html);
  assert.ok(match, "the callback page carries its result");
  return JSON.parse(match[1]);
}

/** Remembers an access key and the hash the worker stores of it as secrets for the leak checks. */
export function rememberKey(key) {
  const hash = createHash("sha256").update(key).digest("hex");
  secrets.add(key);
  secrets.add(hash);
  recordSecret("access_key", key);
  recordSecret("access_key_hash", hash);
  return hash;
}

/** The known secrets that occur in `text`. */
export function secretsIn(text) {
  return [...secrets].filter((secret) => secret && text.includes(secret));
}

/** Asserts that no known secret appears in anything the worker answered or printed. */
export function assertNoSecretsLeaked() {
  const everything = transcript.join("\n");
  assert.ok(everything.length > 0, "something was recorded");
  assert.match(everything, /"event":"/, "the worker's own log lines were captured");
  const leaked = secretsIn(everything);
  assert.deepEqual(leaked.map((s) => `${s.slice(0, 12)}…`), [], "secrets leaked into a response or log");
}

/** Runs `fn` with a fresh worker and stand-in, and always closes both. */
export async function withWorkerAndStandin(fn, { worker: workerOptions, standin: standinOptions } = {}) {
  const worker = await startWorker(workerOptions);
  let standin;
  try {
    standin = await startStandinFor(worker, standinOptions);
    return await fn({ worker, standin });
  } finally {
    await standin?.close();
    await worker.close();
  }
}

export async function writePlaceholderPage(dir) {
  await writeFile(path.join(dir, "index.html"), "<!doctype html><title>placeholder page</title>\n");
}

export async function removeDir(dir) {
  await rm(dir, { recursive: true, force: true });
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The usual set-up of a test file: a worker and a stand-in for it, started before the tests and
 * closed after them, then the check that no secret leaked. `started({worker, standin})` runs once
 * both are up, for the file's own set-up; the things with a `close()` in an array it returns are
 * closed first.
 */
export function workerSuite(started = () => []) {
  let running = {};
  let extras = [];
  before(async () => {
    const worker = await startWorker();
    running = { worker, standin: await startStandinFor(worker) };
    const returned = await started(running);
    extras = Array.isArray(returned) ? returned : [];
  });
  after(async () => {
    for (const extra of extras) await extra?.close();
    await running.standin?.close();
    await running.worker?.close();
    assertNoSecretsLeaked();
  });
}
