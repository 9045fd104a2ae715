// `npx wrangler dev` from the checkout works with wrangler.toml as it is and the variables given on its
// command line: the worker, its wasm core, both Durable Objects (with local storage) and the admin
// check. Runs the real wrangler CLI on a free 127.0.0.1 port and stops it by pid.

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { once } from "node:events";
import { randomBytes } from "node:crypto";
import path from "node:path";

import { REPO, removeDir, sleep, tempDir } from "./support/harness.js";

async function freePort() {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

test("wrangler dev serves the worker with --var settings and local Durable Object storage", { timeout: 90_000 }, async () => {
  const port = await freePort();
  const persist = await tempDir("wrangler-dev-");
  const adminToken = randomBytes(16).toString("hex");
  const child = spawn(path.join(REPO, "node_modules/.bin/wrangler"), [
    "dev", "--ip", "127.0.0.1", "--port", String(port), "--persist-to", persist,
    "--var", `ADMIN_TOKEN:${adminToken}`, "--var", `SEALING_KEY:${randomBytes(32).toString("base64")}`,
    "--var", "ALLOW_INSECURE_LOOPBACK:true", "--var", `ALLOWED_ORIGINS:http://127.0.0.1:${port}`,
    "--show-interactive-dev-session=false",
  ], {
    cwd: REPO,
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (chunk) => { output += chunk; });
  child.stderr.on("data", (chunk) => { output += chunk; });
  const exited = once(child, "exit");
  try {
    const base = `http://127.0.0.1:${port}`;
    let ready = false;
    for (let i = 0; i < 600 && !ready; i += 1) {
      assert.equal(child.exitCode, null, `wrangler dev exited:\n${output}`);
      ready = await fetch(`${base}/api/connections`, { signal: AbortSignal.timeout(2000) }).then(() => true, () => false);
      if (!ready) await sleep(100);
    }
    assert.ok(ready, `wrangler dev did not answer:\n${output}`);

    const refused = await fetch(`${base}/api/connections`);
    assert.equal(refused.status, 401);
    const auth = { authorization: `Bearer ${adminToken}` };
    const created = await fetch(`${base}/api/connections/local`, {
      method: "PUT",
      headers: { ...auth, "content-type": "application/json" },
      body: JSON.stringify({ baseUrl: "http://127.0.0.1:9/api/now", authType: "basic", username: "u", password: "FAKE-pw-wrangler-dev" }),
    });
    assert.equal(created.status, 201, await created.text());
    const list = await (await fetch(`${base}/api/connections`, { headers: auth })).json();
    assert.deepEqual(list.connections.map((c) => c.id), ["local"]);
    const generate = await fetch(`${base}/api/connections/local/oauth/generate`, { method: "POST", headers: auth });
    assert.equal(generate.status, 409);
    assert.ok(!output.includes("FAKE-pw-wrangler-dev"));
    assert.ok(!output.includes(adminToken));
  } finally {
    child.kill("SIGTERM");
    await exited;
    await removeDir(persist);
  }
});
