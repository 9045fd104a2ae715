// The `manual` entry loads no wasm by itself: the first call fails until initSync() (or init()) ran.
import { readFileSync } from "node:fs";
import { initSync, validateConfig } from "servicenow-connection/manual";

const settings = { baseUrl: "https://dev12345.service-now.com/api/now", authType: "basic" };
try {
  validateConfig(settings);
  console.log("before init: worked");
} catch (error) {
  console.log(`before init: ${error.name}`);
}

const wasmUrl = new URL(import.meta.resolve("servicenow-connection/servicenow_connection_bg.wasm"));
initSync({ module: readFileSync(wasmUrl) });
console.log(`after init: ${validateConfig(settings).errors.map((error) => error.field).join(",")}`);
