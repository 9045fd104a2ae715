// Shared set-up for the consumer projects: packs pkg/ with `npm pack` (what a user installs), copies one
// fixture folder from tests/consumers/ to a temporary folder outside the repository (so nothing can
// resolve the package from the repository's own node_modules), installs the tarball there offline,
// and checks that what got installed is the tarball's content, not a link to the source tree. The
// fixtures install only the package: their tools (wrangler, Miniflare, Vite, TypeScript) are the
// repository's own, pinned in its package.json and run from its node_modules, so no run downloads
// anything. What the consumers print goes to this process's transcript for the leak check.

import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { cpSync, lstatSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { record, recordSecret, startTranscript } from "../worker/support/transcript.js";

export { startStandin } from "../servicenow-standin/index.js";
export { record, recordSecret };

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const FIXTURES = path.join(REPO, "tests/consumers");
export const PKG = path.join(REPO, "pkg");
/** The repository's own command-line tools. */
export const BIN = path.join(REPO, "node_modules/.bin");
export const PACKAGE_NAME = "servicenow-connection";

startTranscript();

/** Runs a command to its end (bounded by `timeout`); resolves with its exit code and output, never rejects. */
export function run(command, args, { cwd, env = {}, timeout = 120_000 } = {}) {
  return new Promise((resolve) => {
    execFile(
      command,
      args,
      { cwd, env: { ...process.env, WRANGLER_SEND_METRICS: "false", ...env }, timeout, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : (error.signal ?? String(error.code))) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** Like `run`, and fails the test with the command's output unless it exits 0. */
export async function runOk(command, args, options) {
  const result = await run(command, args, options);
  assert.equal(result.code, 0, `${path.basename(command)} ${args.join(" ")} failed:\n${result.stdout}\n${result.stderr}`);
  return result;
}

const temporary = [];

function temporaryDir(prefix) {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  temporary.push(dir);
  return dir;
}

/** Removes every temporary folder this process made. */
export function removeTemporary() {
  for (const dir of temporary.splice(0)) rmSync(dir, { recursive: true, force: true });
}

let packed;

/** `npm pack` of pkg/, once per process: `{ file, info }` with npm's own report (sizes, file list). */
export async function packTarball() {
  packed ??= (async () => {
    const pkgJson = JSON.parse(readFileSync(path.join(PKG, "package.json"), "utf8"));
    assert.equal(pkgJson.name, PACKAGE_NAME, "pkg/ is built (./scripts/build.sh)");
    const dir = temporaryDir("servicenow-connection-tarball-");
    const { stdout } = await runOk("npm", ["pack", "--json", "--pack-destination", dir], { cwd: PKG });
    const [info] = JSON.parse(stdout);
    return { file: path.join(dir, info.filename), info, version: pkgJson.version };
  })();
  return packed;
}

/**
 * Copies the fixture `name` to a temporary folder, installs the tarball into it offline, and returns
 * the folder. The fixture's package.json depends on `file:servicenow-connection.tgz`.
 */
export async function installFixture(name) {
  const tarball = await packTarball();
  const dir = path.join(temporaryDir(`servicenow-connection-consumer-${name}-`), name);
  cpSync(path.join(FIXTURES, name), dir, { recursive: true });
  cpSync(tarball.file, path.join(dir, "servicenow-connection.tgz"));
  await runOk("npm", ["install", "--offline", "--no-audit", "--no-fund", "--no-package-lock", "--loglevel=error"], { cwd: dir });
  const installed = path.join(dir, "node_modules", PACKAGE_NAME);
  assert.ok(!lstatSync(installed).isSymbolicLink(), "the package is installed from the tarball, not linked");
  const installedJson = JSON.parse(readFileSync(path.join(installed, "package.json"), "utf8"));
  assert.equal(installedJson.version, tarball.version);
  return dir;
}
