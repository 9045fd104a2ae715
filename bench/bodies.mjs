// Forwarding large bodies: a 5 MB and a 50 MB body sent through the worker — up to the stand-in's
// scoped Scripted REST API (`/api/x_snc_demo/echo`, which hashes the body as it streams) and down from
// its Attachment API (`/api/now/attachment/<sys_id>/file`) — against the same call made to the
// stand-in directly, with the worker's memory while the bytes pass: the growth of workerd's peak
// resident set (VmHWM, reset through /proc/<pid>/clear_refs before each transfer) over its resident
// set before it. Times are medians; the memory is the largest growth seen. Only our worker forwards
// bodies this way, so the comparison is the direct call.

import { readFileSync, writeFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { randomBytes } from "node:crypto";

import { connectionSettings, OURS } from "./workers.mjs";

export const SIZES = [5 * 1024 * 1024, 50 * 1024 * 1024];

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function statusKb(pid, field) {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, "m").exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

/** Resets the peak resident set of `pids`; returns their resident sets now (bytes). */
function resetPeaks(pids) {
  let rss = 0;
  for (const pid of pids) {
    try {
      writeFileSync(`/proc/${pid}/clear_refs`, "5");
    } catch {
      // Not ours or gone: its peak stays as it was, which can only make the growth look larger.
    }
    rss += statusKb(pid, "VmRSS") * 1024;
  }
  return rss;
}

function peaks(pids) {
  return pids.reduce((sum, pid) => sum + statusKb(pid, "VmHWM") * 1024, 0);
}

/** One HTTP exchange; resolves with the status, the answer's size and the time to its last byte. */
function exchange(url, { method = "GET", headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const target = new URL(url);
    const req = httpRequest({
      host: target.hostname, port: target.port, path: target.pathname + target.search, method,
      headers: body ? { ...headers, "content-length": String(body.length) } : headers,
    }, (res) => {
      let size = 0;
      res.on("data", (chunk) => { size += chunk.length; });
      res.on("end", () => resolve({ status: res.statusCode, size, ms: performance.now() - started }));
      res.on("error", reject);
    });
    req.setTimeout(120_000, () => req.destroy(new Error(`${method} ${target.pathname}: no answer in 120 s`)));
    req.on("error", reject);
    req.end(body);
  });
}

/**
 * `{upload: {[size]: {worker_ms, direct_ms, memory_bytes}}, download: {…}, runs}` for our worker.
 * `runs(size)`: how many transfers per size and direction.
 */
export async function run({ workers, standin, runs = (size) => (size > 10 * 1024 * 1024 ? 3 : 5) }) {
  const worker = workers[OURS];
  const settings = connectionSettings(standin);
  await worker.put("bench-bodies", { ...settings.basic, baseUrl: `${standin.url}/api/now` });
  const basic = `Basic ${Buffer.from(`${settings.admin.user_name}:${settings.admin.password}`).toString("base64")}`;
  const direct = { authorization: basic, accept: "application/json" };
  const through = { ...worker.adminHeaders, accept: "application/json" };
  const incidents = await exchangeJson(`${standin.url}/api/now/table/incident?sysparm_limit=1&sysparm_fields=sys_id`, direct);
  const incident = incidents.result[0].sys_id;

  const results = { upload: {}, download: {} };
  for (const size of SIZES) {
    const body = randomBytes(size);
    const count = runs(size);
    // Up: the echo API reads and hashes the whole body before it answers.
    const upload = { worker: [], direct: [], memory: 0 };
    for (let i = 0; i < count; i += 1) {
      const pids = worker.server.workerdPids();
      const before = resetPeaks(pids);
      const forwarded = await exchange(`${worker.url}/api/connections/bench-bodies/api/x_snc_demo/echo`, {
        method: "POST", headers: { ...through, "content-type": "application/octet-stream" }, body,
      });
      upload.memory = Math.max(upload.memory, peaks(pids) - before);
      if (forwarded.status !== 200) throw new Error(`upload of ${size} bytes through the worker answered ${forwarded.status}`);
      upload.worker.push(forwarded.ms);
      const straight = await exchange(`${standin.url}/api/x_snc_demo/echo`, {
        method: "POST", headers: { ...direct, "content-type": "application/octet-stream" }, body,
      });
      if (straight.status !== 200) throw new Error(`upload of ${size} bytes to the stand-in answered ${straight.status}`);
      upload.direct.push(straight.ms);
    }
    results.upload[size] = { worker_ms: median(upload.worker), direct_ms: median(upload.direct), memory_bytes: upload.memory, runs: count };

    // Down: an attachment of this size, stored once at the stand-in.
    const query = new URLSearchParams({ table_name: "incident", table_sys_id: incident, file_name: `bench-${size}.bin` });
    const stored = await fetch(`${standin.url}/api/now/attachment/file?${query}`, {
      method: "POST", headers: { ...direct, "content-type": "application/octet-stream" }, body, signal: AbortSignal.timeout(60_000),
    });
    if (stored.status !== 201) throw new Error(`storing a ${size}-byte attachment answered ${stored.status}`);
    const sysId = (await stored.json()).result.sys_id;
    const download = { worker: [], direct: [], memory: 0 };
    for (let i = 0; i < count; i += 1) {
      const pids = worker.server.workerdPids();
      const before = resetPeaks(pids);
      const forwarded = await exchange(`${worker.url}/api/connections/bench-bodies/now/attachment/${sysId}/file`, { headers: through });
      download.memory = Math.max(download.memory, peaks(pids) - before);
      if (forwarded.status !== 200 || forwarded.size !== size) {
        throw new Error(`download of ${size} bytes through the worker: ${forwarded.status}, ${forwarded.size} bytes`);
      }
      download.worker.push(forwarded.ms);
      const straight = await exchange(`${standin.url}/api/now/attachment/${sysId}/file`, { headers: direct });
      if (straight.status !== 200 || straight.size !== size) throw new Error(`download of ${size} bytes from the stand-in: ${straight.status}`);
      download.direct.push(straight.ms);
    }
    results.download[size] = { worker_ms: median(download.worker), direct_ms: median(download.direct), memory_bytes: download.memory, runs: count };
  }
  return results;
}

async function exchangeJson(url, headers) {
  const response = await fetch(url, { headers, signal: AbortSignal.timeout(30_000) });
  if (!response.ok) throw new Error(`${new URL(url).pathname}: ${response.status}`);
  return response.json();
}
