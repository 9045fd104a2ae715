// The Cloudflare Workers consumer: a wrangler project that installed the tarball imports the package by
// name, `wrangler deploy --dry-run` bundles it as it would for an upload (the .wasm as a separate
// compiled module), and that very bundle runs in workerd through Miniflare on 127.0.0.1, answering a
// Test Connection against a stand-in.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";

import { Miniflare } from "miniflare";

import { BIN, installFixture, record, recordSecret, removeTemporary, runOk, startStandin } from "./support.js";

let dir;
let standin;
let admin;
let bundle;

before(async () => {
  [dir, standin] = await Promise.all([installFixture("worker"), startStandin({ port: 0 })]);
  admin = standin.seed.users.find((user) => user.user_name === "admin");
  recordSecret("password", admin.password);
  await runOk(path.join(BIN, "wrangler"), ["deploy", "--dry-run", "--outdir", "dist"], { cwd: dir });
  bundle = path.join(dir, "dist");
});

after(async () => {
  await standin?.close();
  removeTemporary();
});

/** Runs the bundle wrangler wrote with the fixture's variables, `vars` overriding them. */
async function startBundle(vars) {
  const mf = new Miniflare({
    scriptPath: path.join(bundle, "index.js"),
    modules: true,
    modulesRoot: bundle,
    modulesRules: [
      { type: "ESModule", include: ["**/*.js"] },
      { type: "CompiledWasm", include: ["**/*.wasm"] },
    ],
    compatibilityDate: "2026-04-01",
    // The placeholder Request.cf, not one fetched from Cloudflare: the test stays on loopback.
    cf: false,
    bindings: {
      SERVICENOW_BASE_URL: `${standin.url}/api/now/v2`,
      SERVICENOW_USER: "admin",
      ALLOW_INSECURE_LOOPBACK: "true",
      ...vars,
    },
    host: "127.0.0.1",
    port: 0,
  });
  // A worker whose start-up never settles would otherwise keep `ready` pending for ever.
  let timer;
  const timeout = new Promise((resolve, reject) => {
    timer = setTimeout(() => reject(new Error("the worker did not start within 30 s")), 30_000);
  });
  try {
    await Promise.race([mf.ready, timeout]);
  } catch (error) {
    await mf.dispose();
    throw error;
  } finally {
    clearTimeout(timer);
  }
  return mf;
}

async function testConnectionThrough(vars) {
  const mf = await startBundle(vars);
  try {
    const response = await mf.dispatchFetch("http://127.0.0.1/test");
    const text = await response.text();
    record("response", "consumer worker", `${response.status}\n${text}`);
    return { status: response.status, body: JSON.parse(text) };
  } finally {
    await mf.dispose();
  }
}

test("wrangler bundles the workerd entry with the .wasm as its own module", () => {
  const files = readdirSync(bundle);
  const wasm = files.filter((name) => name.endsWith(".wasm"));
  assert.equal(wasm.length, 1, `one .wasm next to the bundle: ${files.join(", ")}`);
  const code = readFileSync(path.join(bundle, "index.js"), "utf8");
  // Only the workerd entry imports the .wasm; the others read or fetch it.
  assert.ok(code.includes(`from "./${wasm[0]}"`), "the bundle imports the .wasm as a module");
});

test("the bundled worker answers Test Connection: ok", async () => {
  const apiCalls = standin.counters().api.total;
  const { status, body } = await testConnectionThrough({ SERVICENOW_PASSWORD: admin.password });
  assert.equal(status, 200, JSON.stringify(body));
  assert.equal(body.ok, true);
  assert.equal(body.code, "ok");
  assert.equal(standin.counters().api.total, apiCalls + 1, "one request reached the instance");
});

test("the bundled worker explains a wrong password: unauthorized", async () => {
  const { status, body } = await testConnectionThrough({ SERVICENOW_PASSWORD: "FAKE-wrong-password-worker" });
  assert.equal(status, 502);
  assert.equal(body.code, "unauthorized");
  assert.equal(body.status, 401);
});
