// Loads the OAuth engine (oidc-provider) once for the whole process.
// oidc-provider prints a warning on import when the Node release is older than its favourite LTS;
// the project deliberately runs on Node 20, which the engine supports, so that one line is dropped
// here instead of appearing in every test run. Any other warning still reaches stderr.

const UNSUPPORTED_RUNTIME = "oidc-provider WARNING: Unsupported runtime";

const originalWarn = console.warn;
console.warn = (...args) => {
  if (typeof args[0] === "string" && args[0].includes(UNSUPPORTED_RUNTIME)) return;
  originalWarn.apply(console, args);
};
let engine;
try {
  engine = await import("oidc-provider");
} finally {
  console.warn = originalWarn;
}

export const { Provider, interactionPolicy, errors } = engine;
