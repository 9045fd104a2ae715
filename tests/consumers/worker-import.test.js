// The repository's own worker is a consumer too: it imports the package by its name (resolved through
// the `file:pkg` dependency, by wrangler and by the tests' bundler alike), never by a path into pkg/,
// so it uses exactly what the package exports for workerd.

import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";

import { REPO } from "./tarball.js";

function moduleFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) return moduleFiles(file);
    return entry.name.endsWith(".js") ? [file] : [];
  });
}

/** Every module specifier in `import … from "…"`, `export … from "…"` and `import("…")`. */
function specifiers(source) {
  return [...source.matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*)["']([^"']+)["']/g)].map((match) => match[1]);
}

test("the worker imports the package by name and nothing from pkg/ by path", () => {
  const imports = moduleFiles(path.join(REPO, "worker")).flatMap((file) =>
    specifiers(readFileSync(file, "utf8")).map((specifier) => ({ file: path.relative(REPO, file), specifier })),
  );
  assert.deepEqual(imports.filter(({ specifier }) => /(^|\/)pkg\//.test(specifier)), []);
  assert.ok(imports.some(({ specifier }) => specifier === "servicenow-connection"), "some module imports servicenow-connection");
});
