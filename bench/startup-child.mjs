// One fresh process's start-up, printed as JSON: for ours, compiling the .wasm, instantiating it
// and the first call; for oauth4webapi, importing the module and the first call. Run by startup.mjs.

import { readFileSync } from "node:fs";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";

// BENCH_PKG_DIR: another build than pkg/ (bench/compare.mjs).
const pkgDir = process.env.BENCH_PKG_DIR ?? new URL("../pkg/", import.meta.url).pathname;

const which = process.argv[2];
const result = {};
if (which === "ours") {
  let t = performance.now();
  const glue = await import(pathToFileURL(path.join(pkgDir, "servicenow_connection.js")).href);
  result.import_ms = performance.now() - t;
  const bytes = readFileSync(path.join(pkgDir, "servicenow_connection_bg.wasm"));
  t = performance.now();
  const module = await WebAssembly.compile(bytes);
  result.compile_ms = performance.now() - t;
  t = performance.now();
  glue.initSync({ module });
  result.instantiate_ms = performance.now() - t;
  t = performance.now();
  glue.validateConfig({ baseUrl: "https://dev8954.service-now.com/api/now/v2", authType: "basic", username: "u", password: "p" });
  result.first_call_ms = performance.now() - t;
} else {
  let t = performance.now();
  const oauth = await import("oauth4webapi");
  result.import_ms = performance.now() - t;
  t = performance.now();
  oauth.generateRandomState();
  result.first_call_ms = performance.now() - t;
}
console.log(JSON.stringify(result));
