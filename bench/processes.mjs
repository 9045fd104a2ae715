// The processes the benchmark runs against: the ServiceNow stand-in (its CLI, in its own process so it
// does not share an event loop with the load it answers) and a worker under `wrangler dev` (workerd)
// on 127.0.0.1 with fresh local storage. Every process started here is remembered by pid and stopped
// by `stopAll()` (bench/run.mjs calls it at the end, also on failure and on Ctrl-C), together with the
// workerd that wrangler started under it. Secrets reach wrangler through a dotenv file (mode 600) in a
// private temp dir, never through command-line arguments, which other local users could read.

import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { once } from "node:events";
import { mkdtempSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync, closeSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const REPO = fileURLToPath(new URL("../", import.meta.url));
export const HOST = "127.0.0.1";

const started = new Set();
const tempDirs = new Set();

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Rejects with a message naming `what` when `promise` takes longer than `ms`. */
export async function withTimeout(what, ms, promise) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${Math.round(ms / 1000)} s`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export function tempDir(prefix, base = tmpdir()) {
  const dir = mkdtempSync(path.join(base, `snc-bench-${prefix}-`));
  tempDirs.add(dir);
  return dir;
}

export async function freePort() {
  const server = createServer();
  server.listen(0, HOST);
  await once(server, "listening");
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function track(child, name, logFile) {
  const entry = { child, name, logFile, exited: once(child, "exit") };
  started.add(entry);
  entry.exited.then(() => started.delete(entry));
  return entry;
}

function logTail(logFile) {
  try {
    return readFileSync(logFile, "utf8").split("\n").slice(-20).join("\n");
  } catch {
    return "";
  }
}

/** Starts the stand-in's CLI on a free port; resolves with {url, pid, config(), counters(), …}. */
export async function startStandin({ logDir, options = [] }) {
  const logFile = path.join(logDir, "standin.log");
  const log = openFileFor(logFile);
  const child = spawn(process.execPath, ["tests/servicenow-standin/server.js", "--port", "0", ...options], {
    cwd: REPO,
    stdio: ["ignore", "pipe", log],
  });
  closeSync(log);
  const entry = track(child, "stand-in", logFile);
  let output = "";
  const url = await withTimeout("starting the stand-in", 20_000, new Promise((resolve, reject) => {
    child.stdout.on("data", (chunk) => {
      output += chunk;
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match) resolve(match[1]);
    });
    entry.exited.then(([code]) => reject(new Error(`the stand-in exited (${code}): ${logTail(logFile)}`)));
  }));
  child.stdout.resume();
  const admin = async (route, body) => {
    const response = await fetch(`${url}/__standin/${route}`, {
      method: body === undefined ? "GET" : "POST",
      headers: { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
    if (!response.ok) throw new Error(`stand-in ${route}: ${response.status}`);
    return response.json();
  };
  return {
    url,
    pid: child.pid,
    seed: JSON.parse(readFileSync(path.join(REPO, "tests/servicenow-standin/seed.json"), "utf8")),
    configure: (patch) => admin("config", patch),
    counters: () => admin("counters"),
    async addRedirectUri(clientId, clientSecret, redirectUris) {
      const response = await fetch(`${url}/__standin/clients/${clientId}`, {
        method: "PUT",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ clientSecret, redirectUris }),
        signal: AbortSignal.timeout(10_000),
      });
      if (!response.ok) throw new Error(`stand-in client registration: ${response.status}`);
    },
    stop: () => stopEntry(entry),
  };
}

function openFileFor(file) {
  return openSync(file, "a", 0o600);
}

/**
 * Runs `wrangler dev` for `config` (a wrangler.toml) on a free port with storage in a fresh temp dir.
 * `secrets` go through a private dotenv file; `vars` are plain settings. Resolves once the worker
 * answers HTTP, with {url, persistDir, pid, workerdPids(), stop()}.
 */
export async function startWorker({ name, config, secrets, vars = {}, logDir }) {
  const port = await freePort();
  const inspectorPort = await freePort();
  const persistDir = tempDir(`${name}-state`);
  const envFile = path.join(tempDir(`${name}-env`), "worker.env");
  writeFileSync(envFile, Object.entries(secrets).map(([k, v]) => `${k}=${v}\n`).join(""), { mode: 0o600 });
  const logFile = path.join(logDir, `${name}.log`);
  const args = [
    "dev", "--config", config, "--ip", HOST, "--port", String(port), "--inspector-port", String(inspectorPort),
    "--persist-to", persistDir, "--env-file", envFile, "--show-interactive-dev-session=false",
    ...Object.entries(vars).flatMap(([k, v]) => ["--var", `${k}:${v}`]),
  ];
  const log = openFileFor(logFile);
  const child = spawn(path.join(REPO, "node_modules/.bin/wrangler"), args, {
    // wrangler writes its build output (.wrangler/) next to the config, in the copy.
    cwd: path.dirname(config),
    env: {
      ...process.env,
      WRANGLER_SEND_METRICS: "false",
      CLOUDFLARE_CF_FETCH_ENABLED: "false",
      // Each worker its own dev registry: wrangler dev sessions on one machine find each other through
      // a shared one, and each time one comes or goes the others reload their worker.
      WRANGLER_REGISTRY_PATH: tempDir(`${name}-registry`),
    },
    stdio: ["ignore", log, log],
  });
  closeSync(log);
  const entry = track(child, name, logFile);
  const url = `http://${HOST}:${port}`;
  await withTimeout(`starting wrangler dev for ${name}`, 90_000, (async () => {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`wrangler dev for ${name} exited: ${logTail(logFile)}`);
      const answered = await fetch(`${url}/api/connections/ready-check`, { signal: AbortSignal.timeout(2000) })
        .then((r) => r.arrayBuffer().then(() => true), () => false);
      if (answered) return;
      await sleep(200);
    }
  })());
  return {
    url,
    pid: child.pid,
    persistDir,
    inspectorPort,
    workerdPids: () => descendants(child.pid).filter((pid) => commandOf(pid).includes("workerd")),
    stop: () => stopEntry(entry),
  };
}

/** The pids below `root` in the process tree, read from /proc. */
export function descendants(root) {
  const children = new Map();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push(Number(name));
    } catch {
      // The process ended while the table was read.
    }
  }
  const found = [];
  const queue = [root];
  while (queue.length > 0) {
    for (const pid of children.get(queue.shift()) ?? []) {
      found.push(pid);
      queue.push(pid);
    }
  }
  return found;
}

function commandOf(pid) {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
  } catch {
    return "";
  }
}

/** CPU time (user + system, ms) used so far by the processes `pids`. */
export function cpuMs(pids) {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // Ended: its time is gone with it.
    }
  }
  return ticks * 10; // USER_HZ is 100 on Linux.
}

async function stopEntry(entry) {
  if (!started.has(entry)) return;
  const pid = entry.child.pid;
  // workerd runs below wrangler; remember it before wrangler goes, in case it is left behind.
  const below = descendants(pid).map((child) => ({ child, command: commandOf(child) }));
  entry.child.kill("SIGTERM");
  const stopped = await Promise.race([entry.exited.then(() => true), sleep(10_000).then(() => false)]);
  if (!stopped) entry.child.kill("SIGKILL");
  await sleep(200);
  for (const { child, command } of below) {
    // Only the very process seen before (same pid and command line), never a reused pid.
    if (command === "" || commandOf(child) !== command) continue;
    try {
      process.kill(child, "SIGKILL");
    } catch {
      // Already gone, as it should be.
    }
  }
}

/** Stops every process started here and removes the temp dirs (state, secrets). */
export async function stopAll() {
  await Promise.all([...started].map(stopEntry));
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
}

/** Synchronous last resort for process exit paths: kill by pid, no waiting. */
export function killAllNow() {
  for (const entry of started) {
    for (const pid of [...descendants(entry.child.pid), entry.child.pid]) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // Gone.
      }
    }
  }
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
}
