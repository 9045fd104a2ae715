// The READMEs' per-runtime examples are the consumer projects' files, word for word: each block marked
// `<!-- consumer: tests/consumers/… -->` must equal that file, which the other tests in this folder
// run against the installed tarball. So an example that stops working fails here or there.

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";

import { REPO } from "./support.js";

/** Which fixture files each README shows. */
const EXPECTED = {
  "README.md": ["tests/consumers/worker/src/index.js", "tests/consumers/vite/main.js", "tests/consumers/vite/vite.config.js"],
  "packaging/README.md": [
    "tests/consumers/node/index.js",
    "tests/consumers/worker/src/index.js",
    "tests/consumers/vite/main.js",
    "tests/consumers/vite/vite.config.js",
  ],
};

function consumerBlocks(readme) {
  const text = readFileSync(path.join(REPO, readme), "utf8");
  return [...text.matchAll(/<!-- consumer: (\S+) -->\n```[a-z]*\n([\s\S]*?)```\n/g)].map(([, file, body]) => ({ file, body }));
}

for (const [readme, files] of Object.entries(EXPECTED)) {
  test(`${readme} shows the consumer projects' files as they are`, () => {
    const blocks = consumerBlocks(readme);
    assert.deepEqual(blocks.map((block) => block.file), files);
    for (const { file, body } of blocks) {
      assert.equal(body, readFileSync(path.join(REPO, file), "utf8"), `${readme}: the block for ${file} differs from the file`);
    }
  });
}
