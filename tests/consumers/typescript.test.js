// The TypeScript consumer: `tsc --strict --noEmit` over tests/types/consumer.ts (every export with the
// types a caller writes down) and manual.ts (the `manual` entry), with the package installed from
// the tarball instead of mapped to pkg/: once as a Node project (module resolution "nodenext") and
// once as a bundler project ("bundler"), each reading the package's exports map and its .d.ts. The
// package's own declarations are checked too (no skipLibCheck).

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync } from "node:fs";
import path from "node:path";

import { BIN, REPO, installFixture, removeTemporary, run } from "./support.js";

let dir;

before(async () => {
  dir = await installFixture("typescript");
  copyFileSync(path.join(REPO, "tests/types/consumer.ts"), path.join(dir, "consumer.ts"));
});

after(removeTemporary);

async function typeCheck(project) {
  const { code, stdout, stderr } = await run(path.join(BIN, "tsc"), ["-p", project], { cwd: dir, timeout: 60_000 });
  assert.equal(code, 0, `tsc -p ${project}:\n${stdout}${stderr}`);
}

test("tsc --strict accepts every export as a Node project (nodenext)", () => typeCheck("tsconfig.json"));

test("tsc --strict accepts every export as a bundler project", () => typeCheck("tsconfig.bundler.json"));
