// The connection logic of this worker: the package `servicenow-connection` (the wasm build of the Rust
// core, pkg/, linked through the `file:pkg` dependency), imported by its name like any consumer. Its
// workerd entry instantiates the .wasm, imported as a compiled module, once per isolate. Every module
// of the worker imports the core from here, so validation, OAuth, token policy, header building, path
// checks and sealing exist in one place only (see pkg/servicenow_connection.d.ts for the contract),
// and so do the error codes (`errorCodes`, `fieldCodes`, `testCodes`).

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
  publicSigningKey,
  refreshTokens,
  restApiUrl,
  testCodes,
  testConnection,
  testResultFromError,
  tokenStatus,
  tokenSummary,
  validateConfig,
} from "servicenow-connection";
