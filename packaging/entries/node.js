// The package's entry for Node: reads the .wasm that sits next to this file and instantiates it
// synchronously while the module loads, so every export works as soon as the import returns, and
// `require()` of the package works too (no top-level await). Bundling for Node needs the .wasm copied
// next to the bundle.

import { readFileSync } from "node:fs";
import { initSync } from "./servicenow_connection.js";

initSync({ module: readFileSync(new URL("./servicenow_connection_bg.wasm", import.meta.url)) });

export * from "./servicenow_connection.js";
export { default } from "./servicenow_connection.js";
