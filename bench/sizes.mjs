// Sizes, raw and gzipped (level 9): our .wasm and JS glue (entry module plus wasm-bindgen glue),
// and an esbuild bundle (minified ES module) of the oauth4webapi subset that does the same job.

import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = new URL("../", import.meta.url);
const gz = (bytes) => gzipSync(bytes, { level: 9 }).length;

export async function run() {
  const wasm = readFileSync(new URL("pkg/servicenow_connection_bg.wasm", root));
  const glue = Buffer.concat([
    readFileSync(new URL("pkg/servicenow_connection.js", root)),
    readFileSync(new URL("pkg/servicenow_connection_core.js", root)),
  ]);
  const bundle = await build({
    entryPoints: [fileURLToPath(new URL("bench/oauth4webapi-subset.js", root))],
    bundle: true,
    minify: true,
    format: "esm",
    platform: "neutral",
    write: false,
    logLevel: "silent",
  });
  const theirs = Buffer.from(bundle.outputFiles[0].contents);
  return {
    ours: { wasm_raw: wasm.length, wasm_gz: gz(wasm), glue_raw: glue.length, glue_gz: gz(glue), total_gz: gz(wasm) + gz(glue) },
    theirs: { bundle_raw: theirs.length, bundle_gz: gz(theirs) },
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify(await run(), null, 2));
}
