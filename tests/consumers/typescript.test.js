// The TypeScript consumer: `tsc --strict --noEmit` over a file that uses every export of the installed
// package with the types a caller writes down, once as a Node project (module resolution "nodenext")
// and once as a bundler project ("bundler"), each reading the package's exports map and its .d.ts.
// The package's own declarations are checked too (no skipLibCheck).

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";

import { BIN, installFixture, removeTemporary, run } from "./support.js";

let dir;

before(async () => {
  dir = await installFixture("typescript");
});

after(removeTemporary);

async function typeCheck(project) {
  const { code, stdout, stderr } = await run(path.join(BIN, "tsc"), ["-p", project], { cwd: dir, timeout: 60_000 });
  assert.equal(code, 0, `tsc -p ${project}:\n${stdout}${stderr}`);
}

test("tsc --strict accepts every export as a Node project (nodenext)", () => typeCheck("tsconfig.json"));

test("tsc --strict accepts every export as a bundler project", () => typeCheck("tsconfig.bundler.json"));
