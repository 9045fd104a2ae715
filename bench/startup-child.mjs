// One fresh process's start-up, printed as JSON: for ours, compiling the .wasm, instantiating it
// and the first call; for oauth4webapi, importing the module and the first call. Run by startup.mjs.

import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";

const which = process.argv[2];
const result = {};
if (which === "ours") {
  let t = performance.now();
  const glue = await import("../pkg/servicenow_connection.js");
  result.import_ms = performance.now() - t;
  const bytes = readFileSync(new URL("../pkg/servicenow_connection_bg.wasm", import.meta.url));
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
