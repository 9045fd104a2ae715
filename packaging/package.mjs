// Turns what wasm-bindgen wrote into pkg/ (one `--target web` build: the API module over its glue, one
// .wasm, their .d.ts) into an npm package: a package.json whose `exports` map gives each runtime the
// entry that loads the wasm the way that runtime can (packaging/entries/), the package README and
// the licence files. Name, version, description and licence come from Cargo.toml through
// `cargo metadata`, so the crate and the package never disagree. Conditions follow Node's
// "Conditional exports" rules: the first matching key wins, so `types` comes first and `default` last;
// wrangler resolves `workerd`, Node `node`, browsers' bundlers `browser`.
//
// Usage: node packaging/package.mjs <pkg-dir>

import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "..");

/** What the entries import; the build must produce these names. */
const API_MODULE = "servicenow_connection.js";
const API_TYPES = "servicenow_connection.d.ts";
const WASM = "servicenow_connection_bg.wasm";
const ENTRIES = ["browser.js", "node.js", "workerd.js"];
const LICENCES = ["LICENSE-APACHE", "LICENSE-MIT"];

function fail(message) {
  console.error(`package.mjs: ${message}`);
  process.exit(1);
}

const pkgArg = process.argv[2];
if (!pkgArg) fail("usage: node packaging/package.mjs <pkg-dir>");
const pkgDir = path.resolve(pkgArg);

for (const name of [API_MODULE, API_TYPES, WASM]) {
  if (!existsSync(path.join(pkgDir, name))) fail(`${name} is missing from ${pkgDir}; the entries import it by that name`);
}
const wasmFiles = readdirSync(pkgDir).filter((name) => name.endsWith(".wasm"));
if (wasmFiles.length !== 1) fail(`expected one .wasm in ${pkgDir}, found: ${wasmFiles.join(", ") || "none"}`);

// The entries call `initSync` and the default `init`; importing the API module loads no wasm, so this
// checks the names without side effects.
const apiModule = await import(pathToFileURL(path.join(pkgDir, API_MODULE)).href);
for (const name of ["default", "initSync"]) {
  if (typeof apiModule[name] !== "function") fail(`${API_MODULE} does not export ${name}() any more; update packaging/entries/`);
}

const metadata = JSON.parse(
  execFileSync("cargo", ["metadata", "--no-deps", "--format-version", "1", "--offline", "--manifest-path", path.join(root, "Cargo.toml")], {
    encoding: "utf8",
  }),
);
const crate = metadata.packages.find((p) => p.manifest_path === path.join(root, "Cargo.toml"));
if (!crate) fail("cargo metadata did not list this crate");
if (!crate.license) fail("Cargo.toml has no license");

for (const entry of ENTRIES) copyFileSync(path.join(here, "entries", entry), path.join(pkgDir, entry));
for (const licence of LICENCES) copyFileSync(path.join(root, licence), path.join(pkgDir, licence));

// The list of functions is the repository README's, so the two never disagree.
const rootReadme = readFileSync(path.join(root, "README.md"), "utf8");
const apiSection = /<!-- api:start -->\n([\s\S]*?)<!-- api:end -->/.exec(rootReadme)?.[1];
if (!apiSection) fail("README.md has no <!-- api:start --> … <!-- api:end --> section");
if (/\]\((?!https?:|#)/.test(apiSection)) fail("README.md's api section links to a file, which the package does not carry");
const readme = readFileSync(path.join(here, "README.md"), "utf8")
  .replaceAll("{{version}}", crate.version)
  .replace("<!-- api -->\n", apiSection)
  // The markers name the repository's consumer projects that run each example; not the package's business.
  .replace(/<!-- consumer: \S+ -->\n/g, "");
if (/\{\{|<!-- api -->/.test(readme)) fail("packaging/README.md has a placeholder this script does not fill");
writeFileSync(path.join(pkgDir, "README.md"), readme);

/** Every file and folder in pkg/ but package.json (which npm always packs), in a stable order. */
const files = readdirSync(pkgDir)
  .filter((name) => name !== "package.json")
  .map((name) => (statSync(path.join(pkgDir, name)).isDirectory() ? `${name}/` : name))
  .sort();

const types = `./${API_TYPES}`;
const manifest = {
  name: crate.name,
  version: crate.version,
  description: crate.description,
  license: crate.license,
  keywords: ["servicenow", "oauth2", "rest", "webassembly", "cloudflare-workers"],
  type: "module",
  types,
  exports: {
    ".": {
      types,
      workerd: "./workerd.js",
      node: "./node.js",
      browser: "./browser.js",
      default: "./browser.js",
    },
    // No automatic loading: call `init()` or `initSync()` yourself, with the wasm from wherever it is.
    "./manual": { types, default: `./${API_MODULE}` },
    [`./${WASM}`]: `./${WASM}`,
    "./package.json": "./package.json",
  },
  files,
  // The entries load the wasm as they are evaluated; a bundler that dropped them as unused would hand
  // out functions over an uninitialised module. wasm-bindgen's snippets may run code at load too.
  sideEffects: [...ENTRIES.map((entry) => `./${entry}`), ...(files.includes("snippets/") ? ["./snippets/*"] : [])],
  engines: { node: ">=20" },
};
writeFileSync(path.join(pkgDir, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);
console.log(`[package] ${crate.name}@${crate.version}: ${files.length} files, entries for ${ENTRIES.join(", ")}`);
