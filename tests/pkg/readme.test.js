// Runs the README's JavaScript example exactly as written (between the example markers), in a
// child Node process against an in-process stand-in, so the documentation cannot drift from the API.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync, rmSync } from "node:fs";
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { startStandin, user } from "./support.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
let standin;

before(async () => {
  standin = await startStandin({ port: 0 });
});

after(async () => {
  await standin?.close();
});

function readmeExample() {
  const readme = readFileSync(`${root}README.md`, "utf8");
  const block = /<!-- example:start -->\s*```js\n([\s\S]*?)```\s*<!-- example:end -->/.exec(readme);
  assert.ok(block, "README has an example block");
  return block[1];
}

test("the README example runs and prints what it promises", async () => {
  // Written next to the README so that its relative imports resolve as they do for a reader.
  const file = `${root}.readme-example.test-run.mjs`;
  writeFileSync(file, readmeExample());
  try {
    const output = await new Promise((resolve, reject) => {
      execFile(process.execPath, [file], {
        cwd: root,
        timeout: 20_000,
        env: { ...process.env, SERVICENOW_URL: standin.url, SERVICENOW_PASSWORD: user(standin, "admin").password },
      }, (error, stdout, stderr) => (error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout)));
    });
    const lines = output.trim().split("\n");
    assert.equal(lines[0], `Testing ${standin.url}/api/now/v2 (API v2)`);
    assert.match(lines[1], /^ok Connected: the Table API/);
    assert.deepEqual(lines.slice(2), ["true", "reauthorize", "true"]);
    assert.ok(!output.includes(user(standin, "admin").password), "the example prints no secret");
  } finally {
    rmSync(file, { force: true });
  }
});
