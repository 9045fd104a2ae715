// The load generator: wrk (Debian's, installed by scripts/bench.sh) with a fixed number of keep-alive
// connections for a fixed time, on loopback. The request's method and headers (the admin token among
// them) go into a Lua script in a private temp dir rather than onto wrk's command line, which any
// local user could read. Reports requests per second, p50/p99 latency, the failed answers, and the CPU
// time the worker's workerd used per request (from /proc), which tells the two workers apart even when
// the stand-in behind them is what limits the rate.

import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";

import { cpuMs, tempDir, withTimeout } from "./processes.mjs";

const UNIT_MS = { us: 0.001, ms: 1, s: 1000, m: 60_000 };

function luaString(text) {
  return JSON.stringify(text); // a JSON string of printable ASCII is a valid Lua string literal
}

/** Parses wrk's --latency report into numbers. */
export function parseWrk(output) {
  const number = (pattern) => {
    const match = pattern.exec(output);
    return match ? Number(match[1]) : null;
  };
  const latency = {};
  for (const match of output.matchAll(/^\s+(50|75|90|99)%\s+([\d.]+)(us|ms|s|m)\s*$/gm)) {
    latency[`p${match[1]}`] = Number(match[2]) * UNIT_MS[match[3]];
  }
  const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
  return {
    requests: number(/(\d+) requests in/),
    rps: number(/Requests\/sec:\s+([\d.]+)/),
    p50_ms: latency.p50 ?? null,
    p99_ms: latency.p99 ?? null,
    non2xx: number(/Non-2xx or 3xx responses: (\d+)/) ?? 0,
    socketErrors: socketErrors ? socketErrors.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0,
  };
}

/**
 * Loads `url` with `connections` connections for `seconds`; `cpuPids()` names the processes whose
 * CPU time is charged to the run (the worker's workerd), `treePids()` a wider set (wrangler dev and
 * everything below it, which also prints the worker's logs).
 */
export async function runWrk({ url, method = "GET", headers = {}, connections, seconds, cpuPids = () => [], treePids = () => [] }) {
  const script = path.join(tempDir("wrk"), "request.lua");
  const lines = [`wrk.method = ${luaString(method)}`];
  for (const [name, value] of Object.entries(headers)) lines.push(`wrk.headers[${luaString(name)}] = ${luaString(value)}`);
  writeFileSync(script, `${lines.join("\n")}\n`, { mode: 0o600 });
  const args = ["-t1", `-c${connections}`, `-d${seconds}s`, "--latency", "--timeout", "10s", "-s", script, url];
  const pids = cpuPids();
  const tree = treePids();
  const cpuBefore = cpuMs(pids);
  const treeBefore = cpuMs(tree);
  const child = spawn("wrk", args, { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (chunk) => { output += chunk; });
  child.stderr.on("data", (chunk) => { output += chunk; });
  const exited = new Promise((resolve) => child.on("exit", resolve));
  let code;
  try {
    code = await withTimeout(`wrk on ${new URL(url).pathname}`, (seconds + 30) * 1000, exited);
  } catch (error) {
    child.kill("SIGKILL");
    throw error;
  }
  // A workerd that was replaced during the run (wrangler dev restarted it) took its CPU time along.
  const pidsAfter = cpuPids();
  const samePids = pids.length === pidsAfter.length && pids.every((pid) => pidsAfter.includes(pid));
  const cpu = samePids ? cpuMs(pids) - cpuBefore : null;
  const treeCpu = samePids ? cpuMs(tree) - treeBefore : null;
  if (code !== 0) throw new Error(`wrk failed (${code}): ${output.slice(-500)}`);
  const result = parseWrk(output);
  result.cpu_ms_per_request = result.requests && cpu !== null ? cpu / result.requests : null;
  result.tree_cpu_ms_per_request = result.requests && treeCpu !== null ? treeCpu / result.requests : null;
  result.restarted = !samePids;
  return result;
}
