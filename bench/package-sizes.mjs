// The package as users get it: the npm tarball's packed and unpacked sizes (npm's own report), and
// the production build of the Vite consumer page (tests/consumers/vite: validateConfig and
// authorizationRequest), its JavaScript and its .wasm asset, raw and gzipped (level 9), with the
// tarball installed into a copy of that page as a user would.

import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { gzipSync } from "node:zlib";

import { installFixture, packTarball, removeTemporary, REPO, runOk } from "../tests/consumers/tarball.js";

const gz = (bytes) => gzipSync(bytes, { level: 9 }).length;

export async function run() {
  try {
    const { info } = await packTarball();
    const dir = await installFixture("vite");
    await runOk(path.join(REPO, "node_modules/.bin/vite"), ["build", "--logLevel", "warn"], { cwd: dir });
    const assets = path.join(dir, "dist/assets");
    const sum = (extension) => {
      const files = readdirSync(assets).filter((name) => name.endsWith(extension)).map((name) => readFileSync(path.join(assets, name)));
      return { raw: files.reduce((total, bytes) => total + bytes.length, 0), gz: files.reduce((total, bytes) => total + gz(bytes), 0) };
    };
    return {
      tarball: { packed: info.size, unpacked: info.unpackedSize, files: info.entryCount },
      vite: { js: sum(".js"), wasm: sum(".wasm") },
    };
  } finally {
    removeTemporary();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify(await run(), null, 2));
}
