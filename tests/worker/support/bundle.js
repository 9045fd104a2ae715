// The worker as workerd runs it in tests: one ES module bundle made by esbuild — as wrangler bundles
// it for `wrangler dev` and deployment — since Miniflare runs modules as they are and cannot resolve
// the npm packages the worker imports (hono). The core's .wasm is copied next to the bundle and stays
// a separate compiled module; `cloudflare:workers` is the runtime's own. One bundle per entry and
// test process, written below test-artifacts/.

import { createHash } from "node:crypto";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { build } from "esbuild";

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const built = new Map();

/**
 * Bundles `entry` (a path in the checkout) and returns Miniflare's module options for it:
 * `{scriptPath, modulesRoot, modulesRules}`.
 */
export function bundleWorker(entry) {
  const absolute = path.resolve(REPO, entry);
  if (!built.has(absolute)) built.set(absolute, bundle(absolute));
  return built.get(absolute);
}

async function bundle(entry) {
  const name = createHash("sha256").update(`${entry}:${process.pid}`).digest("hex").slice(0, 12);
  const outdir = path.join(REPO, "test-artifacts", "worker-bundles", name);
  await mkdir(outdir, { recursive: true });
  await build({
    entryPoints: [entry],
    outdir,
    bundle: true,
    format: "esm",
    platform: "neutral",
    target: "es2022",
    conditions: ["workerd", "worker", "import"],
    mainFields: ["module", "main"],
    external: ["cloudflare:workers"],
    loader: { ".wasm": "copy" },
    logLevel: "silent",
  });
  return {
    scriptPath: path.join(outdir, `${path.basename(entry, ".js")}.js`),
    modulesRoot: outdir,
    modulesRules: [
      { type: "ESModule", include: ["**/*.js"] },
      { type: "CompiledWasm", include: ["**/*.wasm"] },
    ],
  };
}
