// The two workers under test, started the same way and driven through the same HTTP calls: the
// product's worker (wrangler.toml at the repository root) and the oauth4webapi comparison worker
// (bench/oauth4webapi-worker/). Connections are created with the admin API, and OAuth tokens are
// obtained the way a user does: Generate, the stand-in's login and consent pages (authorizeOverHttp),
// then the worker's own callback, so each worker exchanges the code with its own library.

import { randomBytes } from "node:crypto";
import { cpSync } from "node:fs";
import path from "node:path";

import { authorizeOverHttp } from "../tests/servicenow-standin/authorize.js";
import { REPO, sleep, startWorker, tempDir } from "./processes.mjs";

export const OURS = "ours";
export const THEIRS = "oauth4webapi";

/**
 * Copies a worker's sources into a temp dir and returns its wrangler.toml there. wrangler dev watches
 * what it bundles and restarts the worker when a file changes; run from the checkout, a build or an
 * `npm ci` by someone else on the machine would restart it in the middle of a measurement. The copy
 * also pins the run to the pkg/ that scripts/bench.sh has just built.
 */
function snapshot(name) {
  const dir = tempDir(`${name}-src`);
  const copy = (from, to = from) => cpSync(path.join(REPO, from), path.join(dir, to), { recursive: true });
  if (name === OURS) {
    for (const entry of ["wrangler.toml", "worker", "pkg", "www"]) copy(entry);
  } else {
    copy("bench/oauth4webapi-worker/wrangler.toml", "wrangler.toml");
    copy("bench/oauth4webapi-worker/index.js", "index.js");
    copy("node_modules/oauth4webapi", "node_modules/oauth4webapi");
  }
  return path.join(dir, "wrangler.toml");
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
  for (const name of [OURS, THEIRS]) {
    const server = await startWorker({
      name, config: snapshot(name), secrets, vars: { ALLOW_INSECURE_LOOPBACK: "true" }, logDir,
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
