// Vite's dev server pre-bundles dependencies into node_modules/.vite/, where the package's
// `new URL("…wasm", import.meta.url)` would no longer point at the .wasm; production builds need
// nothing.
export default {
  optimizeDeps: { exclude: ["servicenow-connection"] },
};
