// The two workers under test, started the same way and driven through the same HTTP calls: the
// product's worker (wrangler.toml at the repository root) and the oauth4webapi comparison worker
// (bench/oauth4webapi-worker/). Connections are created with the admin API, and OAuth tokens are
// obtained the way a user does: Generate, the stand-in's login and consent pages (authorizeOverHttp),
// then the worker's own callback, so each worker exchanges the code with its own library.

import { randomBytes } from "node:crypto";
import { cpSync, existsSync } from "node:fs";
import path from "node:path";

import { authorizeOverHttp } from "../tests/servicenow-standin/authorize.js";
import { REPO, sleep, startWorker, tempDir } from "./processes.mjs";

export const OURS = "ours";
export const THEIRS = "oauth4webapi";

/**
 * Copies both workers' sources into one new dir and returns each one's wrangler.toml there.
 * wrangler dev bundles with esbuild in watch mode, which rebuilds (and wrangler restarts the worker)
 * when a file it read changes or an entry appears in any directory it listed, ancestors included:
 * run from the checkout, a build or an `npm ci` by someone else restarts the worker mid-measurement,
 * and under /tmp every new temp file does (it once left esbuild deadlocked). So the copies live below
 * /var/tmp, which nothing here writes to during a run, and are made before either worker starts.
 * The copy also pins the run to the pkg/ that scripts/bench.sh has just built.
 */
function snapshots() {
  const root = tempDir("workers", existsSync("/var/tmp") ? "/var/tmp" : undefined);
  const copy = (name, from, to = from) =>
    cpSync(path.join(REPO, from), path.join(root, name, to), { recursive: true });
  for (const entry of ["wrangler.toml", "worker", "www", "node_modules/hono"]) copy(OURS, entry);
  // The worker imports the package by name; a copy of pkg/, not the link to the checkout.
  copy(OURS, "pkg", "node_modules/servicenow-connection");
  copy(THEIRS, "bench/oauth4webapi-worker/wrangler.toml", "wrangler.toml");
  copy(THEIRS, "bench/oauth4webapi-worker/index.js", "index.js");
  copy(THEIRS, "node_modules/oauth4webapi", "node_modules/oauth4webapi");
  return { [OURS]: path.join(root, OURS, "wrangler.toml"), [THEIRS]: path.join(root, THEIRS, "wrangler.toml") };
}

/** HTTP calls to one running worker, with its admin token. */
export class WorkerClient {
  constructor(name, server, adminToken) {
    this.name = name;
    this.server = server;
    this.url = server.url;
    this.adminToken = adminToken;
    this.restarts = 0;
  }

  get adminHeaders() {
    return { authorization: `Bearer ${this.adminToken}` };
  }

  async api(route, { method = "GET", body, timeoutMs = 30_000 } = {}) {
    let response;
    let text;
    for (let attempt = 0; ; attempt += 1) {
      response = await fetch(`${this.url}${route}`, {
        method,
        headers: { ...this.adminHeaders, ...(body === undefined ? {} : { "content-type": "application/json" }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
      text = await response.text();
      // wrangler dev's proxy answers this when it restarted the worker under a request, which it
      // then never saw; the proxy itself asks for the request to be sent again. Counted and reported.
      if (response.status !== 503 || !text.startsWith("Your worker restarted mid-request") || attempt >= 3) break;
      this.restarts += 1;
      await sleep(500);
    }
    try {
      return { status: response.status, body: text ? JSON.parse(text) : null };
    } catch {
      throw new Error(`${this.name}: ${method} ${route} answered ${response.status} with no JSON: ${text.slice(0, 200)}`);
    }
  }

  async put(id, settings) {
    const answer = await this.api(`/api/connections/${id}`, { method: "PUT", body: settings });
    if (answer.status !== 200 && answer.status !== 201) {
      throw new Error(`${this.name}: PUT ${id} answered ${answer.status} ${JSON.stringify(answer.body?.code ?? null)}`);
    }
  }

  /** Generate, log in and consent at the stand-in, then the worker's callback. */
  async authorize(id, user) {
    const generated = await this.api(`/api/connections/${id}/oauth/generate`, { method: "POST" });
    if (generated.status !== 200) throw new Error(`${this.name}: Generate answered ${generated.status}`);
    const location = await authorizeOverHttp(generated.body.authorizationUrl, {
      username: user.user_name, password: user.password,
    });
    const callback = await fetch(location, { signal: AbortSignal.timeout(30_000) });
    await callback.arrayBuffer();
    if (callback.status !== 200) throw new Error(`${this.name}: the OAuth callback answered ${callback.status}`);
  }

  async test(id) {
    const answer = await this.api(`/api/connections/${id}/test`, { method: "POST" });
    if (answer.status !== 200) throw new Error(`${this.name}: Test Connection answered ${answer.status}`);
    return answer.body;
  }

  /** One forwarded GET; resolves with its status and time to the whole body (ms). */
  async forward(id, pathAndQuery, timeoutMs = 60_000) {
    const started = performance.now();
    const response = await fetch(`${this.url}/api/connections/${id}/now/${pathAndQuery}`, {
      headers: this.adminHeaders,
      signal: AbortSignal.timeout(timeoutMs),
    });
    await response.arrayBuffer();
    return { status: response.status, ms: performance.now() - started };
  }
}

/** Starts both workers, one after the other, with the same settings; registers their callbacks. */
export async function startWorkers({ standin, logDir }) {
  const adminToken = randomBytes(24).toString("base64url");
  const secrets = { ADMIN_TOKEN: adminToken, SEALING_KEY: randomBytes(32).toString("base64") };
  const clients = {};
  const configs = snapshots();
  for (const name of [OURS, THEIRS]) {
    const server = await startWorker({
      name, config: configs[name], secrets, vars: { ALLOW_INSECURE_LOOPBACK: "true" }, logDir,
    });
    clients[name] = new WorkerClient(name, server, adminToken);
  }
  const client = standin.seed.clients.find((c) => c.clientId === "standin-client");
  await standin.addRedirectUri(client.clientId, client.clientSecret, [
    ...client.redirectUris, ...Object.values(clients).map((c) => `${c.url}/oauth2/callback`),
  ]);
  return clients;
}

/** The settings of the benchmark's connections: OAuth with the seeded client, Basic as admin. */
export function connectionSettings(standin) {
  const client = standin.seed.clients.find((c) => c.clientId === "standin-client");
  const admin = standin.seed.users.find((u) => u.user_name === "admin");
  return {
    admin,
    oauth: { baseUrl: `${standin.url}/api/now/v2`, authType: "oauth2", clientId: client.clientId, clientSecret: client.clientSecret },
    basic: { baseUrl: `${standin.url}/api/now/v2`, authType: "basic", username: admin.user_name, password: admin.password },
  };
}
