// `./scripts/dev.sh`, the local run, as a person starts it with its output redirected to a file: it
// builds, starts the stand-in and `wrangler dev` on free 127.0.0.1 ports with state in temp folders,
// and prints where the admin token is — never the token itself — in a file only its owner can read.
// The token from that file works. Stopped with SIGINT by pid; the script stops what it started.

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { readFileSync, statSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";

import { REPO, removeDir, sleep, tempDir } from "./support/harness.js";
import { record, recordSecret } from "./support/transcript.js";

async function freePort() {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

test("dev.sh puts the admin token in a 0600 file and prints only where it is", { timeout: 240_000 }, async () => {
  const stateDir = await tempDir("dev-state-");
  const persistDir = await tempDir("dev-persist-");
  const [standinPort, workerPort] = [await freePort(), await freePort()];
  const child = spawn(path.join(REPO, "scripts/dev.sh"), [], {
    cwd: REPO,
    env: {
      ...process.env,
      STANDIN_PORT: String(standinPort),
      WORKER_PORT: String(workerPort),
      DEV_STATE_DIR: stateDir,
      DEV_PERSIST_DIR: persistDir,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (chunk) => { output += chunk; });
  child.stderr.on("data", (chunk) => { output += chunk; });
  const exited = once(child, "exit");
  try {
    for (let i = 0; i < 2000 && !output.includes("Ctrl-C stops") && child.exitCode === null; i += 1) await sleep(100);
    assert.match(output, /Ctrl-C stops/, `dev.sh did not get ready:\n${output.slice(-2000)}`);
    const tokenFile = path.join(stateDir, "dev-admin-token");
    const token = readFileSync(tokenFile, "utf8").trim();
    recordSecret("admin_token", token);
    record("worker-log", "dev.sh output", output);
    assert.ok(token.length >= 16);
    assert.equal(statSync(tokenFile).mode & 0o777, 0o600, "only the owner can read the token file");
    assert.ok(!output.includes(token), "the token is not in the output");
    assert.match(output, new RegExp(`Admin token: +in ${tokenFile.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`));

    const listed = await fetch(`http://127.0.0.1:${workerPort}/api/connections`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(listed.status, 200);
    assert.deepEqual((await listed.json()).connections.map((c) => c.id), ["demo-basic", "demo-oauth"]);
  } finally {
    if (child.exitCode === null) child.kill("SIGINT");
    await exited;
    await removeDir(stateDir);
    await removeDir(persistDir);
  }
});
