// The package's entry for browsers and bundlers (and the default for any other runtime): fetches the
// .wasm next to this module and instantiates it (streaming where the server sends
// `application/wasm`) with a top-level await, so importers see a ready module. Bundlers recognise
// `new URL("…", import.meta.url)` and emit the .wasm as an asset with its own hashed name.

import init from "./servicenow_connection.js";

await init({ module_or_path: new URL("./servicenow_connection_bg.wasm", import.meta.url) });

export * from "./servicenow_connection.js";
export { default } from "./servicenow_connection.js";
