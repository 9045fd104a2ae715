// The package as a user gets it: `npm pack` of pkg/, and a copy of one consumer fixture from
// tests/consumers/ in a temporary folder outside the repository (so nothing can resolve the package
// from the repository's own node_modules) with the tarball installed offline. Checks that what got
// installed is the tarball's content, not a link to the source tree. Used by the consumer tests and
// by the benchmark's package sizes.

import { execFile } from "node:child_process";
import { cpSync, lstatSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const FIXTURES = path.join(REPO, "tests/consumers");
export const PKG = path.join(REPO, "pkg");
export const PACKAGE_NAME = "servicenow-connection";

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

/** Like `run`, and throws with the command's output unless it exits 0. */
export async function runOk(command, args, options) {
  const result = await run(command, args, options);
  if (result.code !== 0) {
    throw new Error(`${path.basename(command)} ${args.join(" ")} failed (${result.code}):\n${result.stdout}\n${result.stderr}`);
  }
  return result;
}

const temporary = [];

function temporaryDir(prefix) {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  temporary.push(dir);
  return dir;
}

/** Removes every temporary folder made here. */
export function removeTemporary() {
  for (const dir of temporary.splice(0)) rmSync(dir, { recursive: true, force: true });
}

let packed;

/** `npm pack` of pkg/, once per process: `{ file, info, version }` with npm's own report (sizes, files). */
export function packTarball() {
  packed ??= (async () => {
    const pkgJson = JSON.parse(readFileSync(path.join(PKG, "package.json"), "utf8"));
    if (pkgJson.name !== PACKAGE_NAME) throw new Error("pkg/ is not built: run ./scripts/build.sh");
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
  if (lstatSync(installed).isSymbolicLink()) throw new Error(`${installed} is a link, not the tarball's content`);
  const { version } = JSON.parse(readFileSync(path.join(installed, "package.json"), "utf8"));
  if (version !== tarball.version) throw new Error(`installed ${version}, packed ${tarball.version}`);
  return dir;
}
