// The Node consumer: a project that installed the tarball imports the package by name, with no
// initialisation of its own, validates settings and runs Test Connection against a stand-in over real
// fetch; the `manual` entry waits for initSync(); CommonJS require() works; and the exports map sends
// Node to the entry that reads the .wasm from disk.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";

import { installFixture, record, recordSecret, removeTemporary, run, startStandin } from "./support.js";

let dir;
let standin;
let admin;

before(async () => {
  [dir, standin] = await Promise.all([installFixture("node"), startStandin({ port: 0 })]);
  admin = standin.seed.users.find((user) => user.user_name === "admin");
  recordSecret("password", admin.password);
});

after(async () => {
  await standin?.close();
  removeTemporary();
});

async function node(script, env = {}) {
  const result = await run(process.execPath, [script], { cwd: dir, env, timeout: 30_000 });
  record("response", `consumer node ${script}`, `${result.code}\n${result.stdout}\n${result.stderr}`);
  return result;
}

function settingsEnv(password) {
  return { SERVICENOW_BASE_URL: `${standin.url}/api/now/v2`, SERVICENOW_USER: "admin", SERVICENOW_PASSWORD: password };
}

test("the exports map gives Node its own entry", async () => {
  const script = `for (const s of ["servicenow-connection", "servicenow-connection/manual"]) console.log(import.meta.resolve(s));`;
  const { code, stdout, stderr } = await run(process.execPath, ["--input-type=module", "-e", script], { cwd: dir });
  assert.equal(code, 0, stderr);
  const [main, manual] = stdout.trim().split("\n").map((url) => path.basename(new URL(url).pathname));
  assert.deepEqual([main, manual], ["node.js", "servicenow_connection.js"]);
});

test("Test Connection with the right password: ok, exit 0, without any explicit init", async () => {
  const apiCalls = standin.counters().api.total;
  const { code, stdout, stderr } = await node("index.js", settingsEnv(admin.password));
  assert.equal(code, 0, stderr);
  assert.equal(standin.counters().api.total, apiCalls + 1, "one request reached the instance");
  assert.match(stdout, /^ok: Connected/);
  assert.ok(!stdout.includes(admin.password));
});

test("Test Connection with a wrong password: unauthorized with a hint, exit 1", async () => {
  const { code, stdout } = await node("index.js", settingsEnv("FAKE-wrong-password-consumer"));
  assert.equal(code, 1);
  assert.match(stdout, /^unauthorized: /);
  assert.match(stdout, /^hint: /m);
});

test("invalid settings: every field error named", async () => {
  const { code, stderr } = await node("index.js", { SERVICENOW_BASE_URL: "ftp://dev12345.service-now.com/api/now" });
  assert.equal(code, 2);
  assert.match(stderr, /^baseUrl \(unsupported_scheme\): /m);
  assert.match(stderr, /^username \(required\): /m);
  assert.match(stderr, /^password \(required\): /m);
});

test("the manual entry loads nothing until initSync()", async () => {
  const { code, stdout, stderr } = await node("manual.js");
  assert.equal(code, 0, stderr);
  const lines = stdout.trim().split("\n");
  assert.notEqual(lines[0], "before init: worked");
  assert.equal(lines[1], "after init: username,password");
});

test("CommonJS require() of the package works", async () => {
  const { code, stdout, stderr } = await node("require.cjs");
  assert.equal(code, 0, stderr);
  assert.deepEqual(stdout.trim().split("\n"), [
    "valid: false",
    `Basic ${Buffer.from("integration.user:correct horse").toString("base64")}`,
  ]);
});
