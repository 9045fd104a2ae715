// `./scripts/dev.sh`, the local run, as a person starts it with its output redirected to a file: it
// builds, starts the stand-in and `wrangler dev` on free 127.0.0.1 ports with state in temp folders,
// creates its demo connections (the JWT-bearer one with a token the stand-in issued after reading the
// key from the worker's JWKS URL), and prints where the admin token and the demo access key are — never the values — each in a file
// only its owner can read. Both work, the key only as far as its scope, and the README's curl example
// runs as written against this local run. Stopped with SIGINT by pid; the script stops what it started.

import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { readFileSync, statSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";

import { REPO, rememberKey, removeDir, sleep, tempDir } from "./support/harness.js";
import { record, recordSecret } from "./support/transcript.js";

async function freePort() {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

test("dev.sh puts the admin token and a demo key in 0600 files and prints only where they are", { timeout: 240_000 }, async () => {
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
    const { connections } = await listed.json();
    assert.deepEqual(connections.map((c) => c.id), ["demo-basic", "demo-jwt", "demo-oauth"]);
    // The JWT-bearer demo got its token without a person, the stand-in reading its key from the worker.
    const jwt = connections.find((c) => c.id === "demo-jwt");
    assert.deepEqual([jwt.grantType, jwt.token.status, jwt.token.subject], ["jwt_bearer", "fresh", "admin"]);

    const keyFile = path.join(stateDir, "dev-demo-key");
    const key = readFileSync(keyFile, "utf8").trim();
    rememberKey(key);
    assert.equal(statSync(keyFile).mode & 0o777, 0o600);
    assert.ok(!output.includes(key), "the key is not in the output");
    const base = `http://127.0.0.1:${workerPort}/api/connections/demo-oauth`;
    const read = await fetch(`${base}/now/table/incident?sysparm_limit=2`, { headers: { authorization: `Bearer ${key}` } });
    assert.equal(read.status, 200);
    await read.arrayBuffer();
    const write = await fetch(`${base}/now/table/incident`, {
      method: "POST", headers: { authorization: `Bearer ${key}`, "content-type": "application/json" }, body: "{}",
    });
    assert.equal(write.status, 403, "the demo key reads only");
    await write.arrayBuffer();

    // The README's example, with this run's port and state folder in place of the defaults.
    const readme = readFileSync(path.join(REPO, "README.md"), "utf8");
    const example = /<!-- curl-example:start -->\s*```sh\n([\s\S]*?)```\s*<!-- curl-example:end -->/.exec(readme);
    assert.ok(example, "the README has its curl example");
    const script = example[1].replaceAll("http://127.0.0.1:8787", `http://127.0.0.1:${workerPort}`)
      .replaceAll(".state/", `${stateDir}/`);
    const printed = await new Promise((resolve, reject) => {
      execFile("bash", ["-euo", "pipefail", "-c", script], { cwd: REPO, timeout: 30_000 }, (error, stdout, stderr) =>
        (error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout)));
    });
    const [incidents, created] = printed.trim().split("\n").map((line) => JSON.parse(line));
    assert.ok(Array.isArray(incidents.result) && incidents.result.length === 2, printed.slice(0, 200));
    assert.match(created.key, /^snck_demo-oauth\./);
    rememberKey(created.key);
    assert.deepEqual(created.paths, ["table/incident", "table/problem"]);
  } finally {
    if (child.exitCode === null) child.kill("SIGINT");
    await exited;
    await removeDir(stateDir);
    await removeDir(persistDir);
  }
});
