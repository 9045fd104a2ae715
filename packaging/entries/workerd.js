// The package's entry for Cloudflare Workers (workerd): wrangler, and Miniflare with a CompiledWasm
// module rule, turn the .wasm import into a compiled `WebAssembly.Module`, which is instantiated
// synchronously while the module loads. Workers may not compile wasm from bytes at run time, so this
// is the one way in there; it also needs no fetch.

import wasmModule from "./servicenow_connection_bg.wasm";
import { initSync } from "./servicenow_connection.js";

initSync({ module: wasmModule });

export * from "./servicenow_connection.js";
export { default } from "./servicenow_connection.js";
