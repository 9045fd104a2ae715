// The connection logic of this worker: the wasm build of the Rust core (pkg/), instantiated once per
// isolate. Every module of the worker imports the core from here, so validation, OAuth, token policy,
// header building, path checks and sealing exist in one place only (see pkg/servicenow_connection.d.ts
// for the contract), and so do the error codes (`errorCodes`, `fieldCodes`, `testCodes`). Wrangler and Miniflare both load the .wasm import as a compiled module, which
// initSync instantiates without a network fetch.

import wasmModule from "../pkg/servicenow_connection_bg.wasm";
import { initSync } from "../pkg/servicenow_connection.js";

initSync({ module: wasmModule });

export {
  Connection,
  Keyring,
  apiRequestUrl,
  authorizationHeader,
  errorCodes,
  fieldCodes,
  authorizationRequest,
  exchangeCode,
  isHibernationPage,
  issuerMatches,
  parseCallback,
  refreshTokens,
  restApiUrl,
  testCodes,
  testConnection,
  testResultFromError,
  tokenStatus,
  tokenSummary,
  validateConfig,
} from "../pkg/servicenow_connection.js";
