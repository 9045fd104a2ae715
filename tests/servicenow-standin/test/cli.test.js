// The command line: one "listening" line on stdout when ready, start options, clean exit on
// SIGTERM and SIGINT, refusal of bad arguments, and no passwords or secrets in the output.

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const SERVER = fileURLToPath(new URL("../server.js", import.meta.url));
const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const SEED = JSON.parse(readFileSync(new URL("../seed.json", import.meta.url), "utf8"));
const SECRETS = [...SEED.users.map((u) => u.password), ...SEED.clients.map((c) => c.clientSecret)];
const LINE = /^servicenow-standin listening on (http:\/\/127\.0\.0\.1:([0-9]+))\n$/;

// Starts server.js and resolves once its first line is out; the process is always killed by the caller.
function launch(args, { viaNpm = false } = {}) {
  const child = viaNpm
    ? spawn("npm", ["run", "--silent", "standin", "--", ...args], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] })
    : spawn(process.execPath, [SERVER, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  const output = { stdout: "", stderr: "" };
  child.stdout.on("data", (c) => { output.stdout += c; });
  child.stderr.on("data", (c) => { output.stderr += c; });
  const exited = new Promise((resolve) => child.on("exit", (code, signal) => resolve({ code, signal })));
  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ready line; stderr: ${output.stderr}`)), 10_000);
    const check = () => {
      if (output.stdout.includes("\n")) {
        clearTimeout(timer);
        resolve(output.stdout);
      }
    };
    child.stdout.on("data", check);
    exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`exited early; stderr: ${output.stderr}`));
    });
  });
  // Tests that expect an early exit never await `ready`; its rejection is not an error there.
  ready.catch(() => {});
  return { child, output, exited, ready };
}

async function stop(child, exited, signal) {
  const timer = setTimeout(() => child.kill("SIGKILL"), 8000);
  child.kill(signal);
  const result = await exited;
  clearTimeout(timer);
  return result;
}

for (const signal of ["SIGTERM", "SIGINT"]) {
  test(`starts on a free port, prints one line, serves, and stops on ${signal}`, { timeout: 20_000 }, async () => {
    const { child, output, exited, ready } = launch(["--port", "0", "--access-ttl", "7", "--refresh-ttl", "70", "--basic-disabled"]);
    try {
      const line = await ready;
      const match = LINE.exec(line);
      assert.ok(match, JSON.stringify(line));
      const base = match[1];
      const config = await (await fetch(`${base}/__standin/config`, { signal: AbortSignal.timeout(5000) })).json();
      assert.equal(config.accessTtl, 7);
      assert.equal(config.refreshTtl, 70);
      assert.equal(config.basicDisabled, true);
      assert.equal(config.hibernating, false);
      const user = SEED.users[0];
      const answer = await fetch(`${base}/api/now/table/incident`, {
        headers: { accept: "application/json", authorization: `Basic ${Buffer.from(`${user.user_name}:${user.password}`).toString("base64")}` },
        signal: AbortSignal.timeout(5000),
      });
      assert.equal(answer.status, 401);
      await answer.text();
    } finally {
      const result = await stop(child, exited, signal);
      assert.deepEqual(result, { code: 0, signal: null });
    }
    assert.match(output.stdout, LINE, "exactly one line on stdout");
    assert.equal(output.stderr, "");
    for (const secret of SECRETS) assert.ok(!`${output.stdout}${output.stderr}`.includes(secret));
  });
}

test("--hibernating and --seed start options", { timeout: 20_000 }, async () => {
  const seedPath = fileURLToPath(new URL("../seed.json", import.meta.url));
  const { child, exited, ready } = launch(["--port", "0", "--hibernating", "--seed", seedPath]);
  try {
    const base = LINE.exec(await ready)[1];
    const answer = await fetch(`${base}/api/now/table/incident`, { signal: AbortSignal.timeout(5000) });
    assert.equal(answer.status, 200);
    assert.match(await answer.text(), /Your instance is hibernating/);
  } finally {
    await stop(child, exited, "SIGTERM");
  }
});

test("bad arguments exit with status 2 and a usage line on stderr", { timeout: 20_000 }, async () => {
  for (const args of [["--port", "abc"], ["--port", "70000"], ["--access-ttl", "0"], ["--colour", "blue"], ["extra"], ["--seed", "/nonexistent/seed.json"]]) {
    const { child, output, exited } = launch(args);
    const timer = setTimeout(() => child.kill("SIGKILL"), 8000);
    const result = await exited;
    clearTimeout(timer);
    assert.equal(result.code, 2, args.join(" "));
    assert.equal(output.stdout, "");
    assert.match(output.stderr, /usage: node tests\/servicenow-standin\/server\.js/);
  }
});

test("a port already in use is reported, not a crash trace", { timeout: 20_000 }, async () => {
  const first = launch(["--port", "0"]);
  try {
    const port = LINE.exec(await first.ready)[2];
    const second = launch(["--port", port]);
    const timer = setTimeout(() => second.child.kill("SIGKILL"), 8000);
    const result = await second.exited;
    clearTimeout(timer);
    assert.equal(result.code, 2);
    assert.match(second.output.stderr, /could not start: EADDRINUSE/);
  } finally {
    await stop(first.child, first.exited, "SIGTERM");
  }
});

test("npm run standin: stopping npm also stops the stand-in", { timeout: 30_000 }, async () => {
  const { child, exited, ready } = launch(["--port", "0"], { viaNpm: true });
  let base;
  try {
    base = LINE.exec(await ready)[1];
    assert.equal((await fetch(`${base}/__standin/config`, { signal: AbortSignal.timeout(5000) })).status, 200);
  } finally {
    await stop(child, exited, "SIGTERM");
  }
  // The shell under npm does not pass SIGTERM on; the stand-in notices it lost its parent.
  let gone = false;
  for (let i = 0; i < 40 && !gone; i += 1) {
    try {
      await (await fetch(`${base}/__standin/config`, { signal: AbortSignal.timeout(1000) })).text();
      await new Promise((resolve) => setTimeout(resolve, 100));
    } catch {
      gone = true;
    }
  }
  assert.ok(gone, "the stand-in stopped listening");
});
