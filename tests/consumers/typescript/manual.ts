// The `manual` entry has the same declarations as the package's main entry, init functions included.
import init, { initSync, validateConfig, type InitOutput, type ValidationResult } from "servicenow-connection/manual";

export async function load(bytes: Uint8Array): Promise<ValidationResult> {
  const output: InitOutput = initSync({ module: bytes });
  await init({ module_or_path: new URL("https://example.com/servicenow_connection_bg.wasm") });
  void output;
  return validateConfig({ baseUrl: "https://dev12345.service-now.com/api/now", authType: "basic" });
}
