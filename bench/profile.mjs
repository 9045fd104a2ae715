// What dominates a missed target, found by measuring rather than guessing. Three tools:
// - a profiling build of the wasm (the release profile without stripping, wasm-bindgen --keep-debug,
//   in the git-ignored bench/.work/ so the project's own build is untouched) whose name section lets
//   the code section be split by function and by crate;
// - V8 CPU profiles of the per-operation loop (`node --cpu-prof`) on that build, so wasm frames have
//   names, summarised as self time per function;
// - a CPU profile of a worker's isolate taken over the DevTools protocol of `wrangler dev` while wrk
//   loads it (Durable Objects run in the same isolate locally), summarised the same way; there the
//   shipped .wasm runs, whose frames have no names, so they count as one layer.

import { execFileSync, spawn } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";

import { REPO, withTimeout } from "./processes.mjs";

const WORK = path.join(REPO, "bench/.work");
export const PROFILE_PKG = path.join(WORK, "profile-pkg");

// ---- the profiling build ----

/** Builds pkg/ again with function names kept, into bench/.work/profile-pkg. */
export function buildProfilingPackage() {
  const cargo = readFileSync(path.join(REPO, "Cargo.toml"), "utf8");
  const version = /^wasm-bindgen = "=([0-9.]+)"/m.exec(cargo)[1];
  const env = {
    ...process.env,
    CARGO_TARGET_DIR: path.join(WORK, "target"),
    CARGO_PROFILE_RELEASE_STRIP: "false",
    // The flags of scripts/build.sh, so the code is the compiler's output that pkg/ is made from
    // (only the sections that stripping drops differ); pkg/'s .wasm then goes through wasm-opt, which
    // this build skips, so its function sizes are before that step.
    RUSTFLAGS: '--cfg aes_backend_soft="compact" --cfg sha2_backend_soft="compact" '
      + `--remap-path-prefix=${process.env.CARGO_HOME ?? path.join(process.env.HOME ?? "", ".cargo")}=cargo --remap-path-prefix=${REPO.replace(/\/$/, "")}=.`,
  };
  execFileSync("cargo", ["build", "--quiet", "--locked", "--release", "--target", "wasm32-unknown-unknown"], {
    cwd: REPO, env, stdio: ["ignore", "ignore", "inherit"], timeout: 15 * 60_000,
  });
  rmSync(PROFILE_PKG, { recursive: true, force: true });
  execFileSync(path.join(REPO, `.tools/wasm-bindgen-${version}/bin/wasm-bindgen`), [
    "--target", "web", "--keep-debug", "--out-dir", PROFILE_PKG, "--out-name", "servicenow_connection_core",
    path.join(WORK, "target/wasm32-unknown-unknown/release/servicenow_connection.wasm"),
  ], { cwd: REPO, stdio: ["ignore", "ignore", "inherit"], timeout: 5 * 60_000 });
  // The same file layout as pkg/, so the entry module works unchanged.
  const glue = path.join(PROFILE_PKG, "servicenow_connection_core.js");
  writeFileSync(glue, readFileSync(glue, "utf8").replace("servicenow_connection_core_bg.wasm", "servicenow_connection_bg.wasm"));
  renameSync(path.join(PROFILE_PKG, "servicenow_connection_core_bg.wasm"), path.join(PROFILE_PKG, "servicenow_connection_bg.wasm"));
  copyFileSync(path.join(REPO, "pkg/servicenow_connection.js"), path.join(PROFILE_PKG, "servicenow_connection.js"));
}

// ---- wasm size by function ----

function readLeb(bytes, offset) {
  let result = 0;
  let shift = 0;
  let at = offset;
  for (;;) {
    const byte = bytes[at];
    at += 1;
    result += (byte & 0x7f) * 2 ** shift;
    shift += 7;
    if ((byte & 0x80) === 0) return [result, at];
  }
}

/** Sections, imported function count, code body sizes and function names of a .wasm. */
function parseWasm(bytes) {
  const sections = [];
  let importedFunctions = 0;
  const bodies = [];
  const names = new Map();
  let at = 8;
  while (at < bytes.length) {
    const id = bytes[at];
    const [size, start] = readLeb(bytes, at + 1);
    const end = start + size;
    let name = String(id);
    if (id === 0) {
      const [length, nameStart] = readLeb(bytes, start);
      name = Buffer.from(bytes.subarray(nameStart, nameStart + length)).toString("utf8");
      if (name === "name") readNames(bytes, nameStart + length, end, names);
    } else if (id === 2) {
      let [count, p] = readLeb(bytes, start);
      for (let i = 0; i < count; i += 1) {
        let length;
        [length, p] = readLeb(bytes, p);
        p += length;
        [length, p] = readLeb(bytes, p);
        p += length;
        const kind = bytes[p];
        p += 1;
        if (kind === 0) {
          importedFunctions += 1;
          [, p] = readLeb(bytes, p);
        } else if (kind === 1) {
          p += 1;
          const flags = bytes[p];
          [, p] = readLeb(bytes, p + 1);
          if (flags & 1) [, p] = readLeb(bytes, p);
        } else if (kind === 2) {
          const flags = bytes[p];
          [, p] = readLeb(bytes, p + 1);
          if (flags & 1) [, p] = readLeb(bytes, p);
        } else if (kind === 3) {
          p += 2;
        } else {
          [, p] = readLeb(bytes, p + 1);
        }
      }
    } else if (id === 10) {
      let [count, p] = readLeb(bytes, start);
      for (let i = 0; i < count; i += 1) {
        const [bodySize, bodyStart] = readLeb(bytes, p);
        bodies.push(bodySize + (bodyStart - p));
        p = bodyStart + bodySize;
      }
    }
    sections.push({ id, name, size: end - at });
    at = end;
  }
  return { sections, importedFunctions, bodies, names };
}

function readNames(bytes, start, end, names) {
  let at = start;
  while (at < end) {
    const kind = bytes[at];
    const [size, p0] = readLeb(bytes, at + 1);
    if (kind === 1) {
      let [count, p] = readLeb(bytes, p0);
      for (let i = 0; i < count; i += 1) {
        let index;
        let length;
        [index, p] = readLeb(bytes, p);
        [length, p] = readLeb(bytes, p);
        names.set(index, Buffer.from(bytes.subarray(p, p + length)).toString("utf8"));
        p += length;
      }
    }
    at = p0 + size;
  }
}

/** Rust's legacy symbol mangling, enough to read paths: `_ZN3foo3bar17h…E` -> `foo::bar`. */
export function demangle(symbol) {
  if (!symbol.startsWith("_ZN")) {
    // Already readable (rustc's v0 names in the name section): drop crate disambiguators and hashes.
    return symbol.replace(/\[[0-9a-f]{8,}\]/g, "").replace(/::h[0-9a-f]{16}$/, "");
  }
  const parts = [];
  let at = 3;
  while (at < symbol.length && symbol[at] !== "E") {
    const digits = /^\d+/.exec(symbol.slice(at));
    if (!digits) break;
    at += digits[0].length;
    parts.push(symbol.slice(at, at + Number(digits[0])));
    at += Number(digits[0]);
  }
  if (/^h[0-9a-f]{16}$/.test(parts.at(-1) ?? "")) parts.pop();
  return parts.join("::")
    .replaceAll("$LT$", "<").replaceAll("$GT$", ">").replaceAll("$u20$", " ").replaceAll("$RF$", "&")
    .replaceAll("$C$", ",").replaceAll("$BP$", "*").replaceAll("$u7b$", "{").replaceAll("$u7d$", "}")
    .replaceAll("$u5b$", "[").replaceAll("$u5d$", "]").replaceAll("$u27$", "'").replaceAll("..", "::")
    .replace(/^_</, "<");
}

/** The crate a (demangled) function belongs to: the first path segment, inside `<… as …>` too. */
export function crateOf(name) {
  if (name.startsWith("__wbg") || name.startsWith("__wbindgen") || name.startsWith("wasm_bindgen")) return "wasm-bindgen glue";
  // Inherent methods of primitive types (`<u8>::…`, `<str>::…`, `<[T]>::…`) live in core.
  if (/^<(?:[iu](?:8|16|32|64|128|size)|f32|f64|bool|char|str|\[.*\])>::/.test(name)) return "core";
  const match = /([A-Za-z_][A-Za-z0-9_]*)::/.exec(name);
  if (match) return match[1];
  return /^[a-z_][a-z0-9_]*$/.test(name) ? "exported (no path)" : "other";
}

/** Code bytes per crate and the largest functions of the named profiling build. */
export function wasmSizeProfile({ top = 10 } = {}) {
  const bytes = readFileSync(path.join(PROFILE_PKG, "servicenow_connection_bg.wasm"));
  const { sections, importedFunctions, bodies, names } = parseWasm(bytes);
  const functions = bodies.map((size, i) => {
    const name = demangle(names.get(importedFunctions + i) ?? `func${importedFunctions + i}`);
    return { name, crate: crateOf(name), size };
  });
  const code = bodies.reduce((a, b) => a + b, 0);
  const shipped = parseWasm(readFileSync(path.join(REPO, "pkg/servicenow_connection_bg.wasm")));
  const byCrate = new Map();
  for (const f of functions) byCrate.set(f.crate, (byCrate.get(f.crate) ?? 0) + f.size);
  const sectionSize = (id) => sections.filter((s) => s.id === id).reduce((a, s) => a + s.size, 0);
  return {
    shipped_code_bytes: shipped.bodies.reduce((a, b) => a + b, 0),
    shipped_functions: shipped.bodies.length,
    code_bytes: code,
    data_bytes: sectionSize(11),
    functions: functions.length,
    crates: [...byCrate].sort((a, b) => b[1] - a[1]).slice(0, top).map(([crate, size]) => ({ crate, size, share: size / code })),
    largest: [...functions].sort((a, b) => b.size - a.size).slice(0, top),
  };
}

// ---- CPU profiles ----

/** Self time per function of a V8 CPU profile (the .cpuprofile format), largest first. */
export function summarizeCpuProfile(profile, { top = 12 } = {}) {
  const self = new Map();
  const categories = new Map();
  const readable = (name) => demangle(name || "(anonymous)");
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const deltas = profile.timeDeltas ?? [];
  let total = 0;
  for (let i = 0; i < profile.samples.length; i += 1) {
    const node = byId.get(profile.samples[i]);
    const dt = deltas[i] ?? 0;
    const frame = node.callFrame;
    if (frame.functionName === "(idle)" || frame.functionName === "(program)") continue;
    const where = frame.url && !frame.url.startsWith("wasm://") ? path.basename(frame.url.split("?")[0]) : "";
    const name = readable(frame.functionName);
    const key = `${name}${where ? ` (${where})` : ""}`;
    self.set(key, (self.get(key) ?? 0) + dt);
    const category = categoryOf(frame, name);
    categories.set(category, (categories.get(category) ?? 0) + dt);
    total += dt;
  }
  return {
    total_ms: total / 1000,
    top: [...self].sort((a, b) => b[1] - a[1]).slice(0, top).map(([fn, us]) => ({ fn, ms: us / 1000, share: us / total })),
    categories: [...categories].sort((a, b) => b[1] - a[1]).map(([category, us]) => ({ category, ms: us / 1000, share: us / total })),
  };
}

/** A coarse owner for a profile frame, so a summary can say which layer the time goes to. */
function categoryOf(frame, name) {
  const url = frame.url ?? "";
  if (frame.functionName === "(garbage collector)") return "garbage collection";
  if (url.startsWith("wasm://") || /^wasm-function\[/.test(frame.functionName)) return "wasm (the core)";
  if (/servicenow_connection_core\.js$/.test(url) || /^__wbg|^__wbindgen|^(pass|get)[A-Za-z]*(ToWasm|FromWasm)0$/.test(name)) return "wasm-bindgen glue (values in and out)";
  if (/servicenow_connection\.js$/.test(url)) return "entry module (send)";
  if (/abort_controller|js_transferable|timers/.test(url)) return "AbortController and timer (the request time limit)";
  if (/undici|webstreams|fetch|blob|encoding/.test(url)) return "Response and body reading (undici)";
  if (/oauth4webapi/.test(url)) return "oauth4webapi";
  if (url === "") return "runtime built-ins (no script)";
  if (url.startsWith("node:") || url.includes("internal/")) return "Node internals";
  return `script ${path.basename(url.split("?")[0])}`;
}

/** Profiles ours alone running `operation` of ops.mjs for a few seconds, on the named build. */
export async function opsCpuProfile(operation, { seconds = 3 } = {}) {
  const dir = path.join(WORK, "cpu-profiles", operation);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const child = spawn(process.execPath, [
    "--cpu-prof", "--cpu-prof-dir", dir, "--cpu-prof-interval", "100",
    path.join(REPO, "bench/ops.mjs"), "--profile", operation, String(seconds * 1000),
  ], { cwd: REPO, env: { ...process.env, BENCH_PKG_DIR: PROFILE_PKG }, stdio: ["ignore", "ignore", "inherit"] });
  const exited = new Promise((resolve) => child.on("exit", resolve));
  try {
    await withTimeout(`profiling ${operation}`, (seconds + 60) * 1000, exited);
  } catch (error) {
    child.kill("SIGKILL");
    throw error;
  }
  const file = readdirSync(dir).find((name) => name.endsWith(".cpuprofile"));
  if (!file) throw new Error(`no CPU profile written for ${operation}`);
  return summarizeCpuProfile(JSON.parse(readFileSync(path.join(dir, file), "utf8")));
}

async function openWebSocket(url) {
  const WebSocketClass = globalThis.WebSocket ?? (await import("ws")).WebSocket;
  const socket = new WebSocketClass(url);
  await new Promise((resolve, reject) => {
    socket.onopen = resolve;
    socket.onerror = () => reject(new Error("could not open the worker's DevTools socket"));
  });
  let nextId = 1;
  const pending = new Map();
  socket.onmessage = (event) => {
    const message = JSON.parse(typeof event.data === "string" ? event.data : event.data.toString());
    if (message.id !== undefined && pending.has(message.id)) {
      pending.get(message.id)(message);
      pending.delete(message.id);
    }
  };
  const send = (method, params = {}) => new Promise((resolve, reject) => {
    const id = nextId;
    nextId += 1;
    pending.set(id, (message) => (message.error ? reject(new Error(`${method}: ${message.error.message}`)) : resolve(message.result)));
    socket.send(JSON.stringify({ id, method, params }));
  });
  return { send, close: () => socket.close() };
}

/**
 * Profiles a running worker's isolate during each of `loads` ({key, run}), in one DevTools session
 * over wrangler dev's inspector. Workerd's isolate runs the worker and its Durable Objects, so each
 * profile covers both. Resolves with {key: summary}.
 */
export async function workerCpuProfiles(worker, loads) {
  const targets = await (await fetch(`http://127.0.0.1:${worker.server.inspectorPort}/json/list`, {
    signal: AbortSignal.timeout(10_000),
  })).json();
  const target = targets.find((t) => t.webSocketDebuggerUrl) ?? null;
  if (!target) throw new Error("the worker offers no DevTools target");
  const devtools = await withTimeout("opening DevTools", 15_000, openWebSocket(target.webSocketDebuggerUrl));
  const found = {};
  try {
    await devtools.send("Profiler.enable");
    await devtools.send("Profiler.setSamplingInterval", { interval: 200 });
    for (const { key, run } of loads) {
      await devtools.send("Profiler.start");
      await run();
      const { profile } = await withTimeout("collecting the worker's profile", 60_000, devtools.send("Profiler.stop"));
      // The shipped .wasm has no names (wasm-bindgen keeps a different set of functions in the
      // unstripped build, so its names cannot be lent): wasm frames count as one layer here.
      const summary = summarizeCpuProfile(profile);
      // wrangler bundles the worker (router, Durable Objects, the package's JS and its own dev
      // middleware) into one index.js.
      for (const entry of summary.categories) {
        if (entry.category === "script index.js") entry.category = "the worker's JS (router, Durable Object, wasm-bindgen glue, one bundle)";
      }
      found[key] = summary;
    }
    return found;
  } finally {
    devtools.close();
    await settleSockets(worker);
  }
}

/**
 * While the profiler is attached, ours' workerd closes the sockets of finished requests only once it
 * is detached (about 5,000 were open after 4 s of load here, and 20,000 ran it out of file
 * descriptors), so wait until they are gone before the next load.
 */
async function settleSockets(worker, { limit = 1000, ms = 60_000 } = {}) {
  const openFiles = () => worker.server.workerdPids().reduce((sum, pid) => {
    try {
      return sum + readdirSync(`/proc/${pid}/fd`).length;
    } catch {
      return sum;
    }
  }, 0);
  const deadline = Date.now() + ms;
  while (openFiles() > limit && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 500));
}

export function profilingBuildExists() {
  return existsSync(path.join(PROFILE_PKG, "servicenow_connection_bg.wasm"));
}
