// Many connections: 1,000 Basic connections created through each worker's admin API (16 PUTs in
// flight), the local Durable Object storage they take on disk (the persist dir before and after,
// divided by the count), and Test Connection timed across a sample of them, one at a time and 16 at a
// time. Basic, because 1,000 OAuth authorizations through login pages would measure the stand-in's
// login pages; an OAuth connection's extra storage (its sealed token set) is given by sealedSizes().

import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";

import { sleep } from "./processes.mjs";
import { connectionSettings } from "./workers.mjs";

function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** Bytes of the files under `dir` (their length, and the blocks they occupy). */
export function diskUsage(dir) {
  let bytes = 0;
  let allocated = 0;
  let files = 0;
  const walk = (current) => {
    for (const entry of readdirSync(current, { withFileTypes: true })) {
      const full = path.join(current, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile()) {
        // SQLite drops its -wal and -shm files when a database closes, possibly mid-walk.
        const stat = statSync(full, { throwIfNoEntry: false });
        if (!stat) continue;
        bytes += stat.size;
        allocated += stat.blocks * 512;
        files += 1;
      }
    }
  };
  walk(dir);
  return { bytes, allocated, files };
}

/** Runs `task(i)` for i in [0, count) with at most `width` in flight; resolves with the times (ms). */
async function pool(count, width, task) {
  const times = new Array(count);
  let next = 0;
  const lane = async () => {
    while (next < count) {
      const i = next;
      next += 1;
      const started = performance.now();
      await task(i);
      times[i] = performance.now() - started;
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, count) }, lane));
  return times;
}

const summary = (times) => ({ p50_ms: percentile(times, 50), p99_ms: percentile(times, 99) });

async function forWorker(worker, standin, { count, sample }) {
  const { basic } = connectionSettings(standin);
  const id = (i) => `many-${String(i).padStart(4, "0")}`;
  await sleep(1000);
  const before = diskUsage(worker.server.persistDir);
  const started = performance.now();
  const put = await pool(count, 16, (i) => worker.put(id(i), { ...basic, name: `Connection ${i}` }));
  const createSeconds = (performance.now() - started) / 1000;
  // Give SQLite's write-ahead logs a moment to settle before measuring.
  await sleep(2000);
  const after = diskUsage(worker.server.persistDir);
  const step = Math.max(1, Math.floor(count / sample));
  const sampled = Array.from({ length: Math.min(sample, count) }, (_, k) => id(k * step));
  let failedTests = 0;
  const check = async (k) => {
    const result = await worker.test(sampled[k]);
    if (!result.ok) failedTests += 1;
  };
  const sequential = await pool(sampled.length, 1, check);
  const concurrent = await pool(sampled.length, 16, check);
  return {
    count,
    create_seconds: createSeconds,
    put: summary(put),
    disk_bytes_per_connection: (after.bytes - before.bytes) / count,
    disk_allocated_per_connection: (after.allocated - before.allocated) / count,
    files_per_connection: (after.files - before.files) / count,
    sampled: sampled.length,
    test_sequential: summary(sequential),
    test_concurrent: summary(concurrent),
    failed_tests: failedTests,
  };
}

/**
 * The sizes of what ours stores per connection, computed with the core's own Keyring (the format the
 * worker stores): the sealed password of a Basic connection, the sealed client secret and token set
 * of an OAuth one (ServiceNow-sized tokens, 86 characters each).
 */
export async function sealedSizes() {
  const core = await import("../pkg/servicenow_connection.js");
  core.initSync({ module: readFileSync(new URL("../pkg/servicenow_connection_bg.wasm", import.meta.url)) });
  const keyring = new core.Keyring(Buffer.alloc(32, 7).toString("base64"));
  const tokens = JSON.stringify({
    accessToken: "a".repeat(86), refreshToken: "r".repeat(86), tokenType: "Bearer", scope: "useraccount",
    issuedAt: 1767225600000, expiresAt: 1767227399000, refreshExpiresAt: 1775865600000,
  });
  const sizes = {
    password_plain: 32,
    password_sealed: keyring.seal("many-0001:password", "p".repeat(32)).length,
    token_set_plain: tokens.length,
    token_set_sealed: keyring.seal("many-0001:tokens", tokens).length,
  };
  keyring.free();
  return sizes;
}

export async function run({ workers, standin, count = 1000, sample = 200 }) {
  const results = {};
  for (const worker of Object.values(workers)) results[worker.name] = await forWorker(worker, standin, { count, sample });
  results.sealed = await sealedSizes();
  return results;
}
