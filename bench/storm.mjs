// Refresh storm: N concurrent forwarded requests (N = 1, 10, 100, 1,000) reach a connection whose
// access token has expired, and the stand-in's counters say how many times the token endpoint was
// called for it (the refresh_token grant), which must be once. Each round uses a new connection whose
// token was issued with a 2 s lifetime (the stand-in's accessTtl switch, set back to 1,800 s before
// the storm so the refreshed token lives on), and starts once that token is dead at both ends.
// Latency is per request, from sending to the whole answer read, over all N.

import { sleep } from "./processes.mjs";
import { connectionSettings } from "./workers.mjs";

const SHORT_TTL_S = 2;
const LONG_TTL_S = 1800;

function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

const refreshCalls = (counters) => counters.token.byGrantType.refresh_token ?? 0;

async function round(worker, standin, n) {
  const settings = connectionSettings(standin);
  const id = `storm-${n}`;
  await worker.put(id, settings.oauth);
  await standin.configure({ accessTtl: SHORT_TTL_S });
  try {
    await worker.authorize(id, settings.admin);
  } finally {
    await standin.configure({ accessTtl: LONG_TTL_S });
  }
  // The stand-in checks expiry to the second; one more second makes sure it is dead there too.
  await sleep((SHORT_TTL_S + 1.5) * 1000);
  const before = refreshCalls(await standin.counters());
  const answers = await Promise.all(Array.from({ length: n }, () =>
    worker.forward(id, "table/incident?sysparm_limit=1").catch(() => ({ status: "failed", ms: NaN }))));
  const after = refreshCalls(await standin.counters());
  const failed = answers.filter((a) => a.status !== 200).length;
  const latencies = answers.map((a) => a.ms).filter(Number.isFinite);
  return {
    n,
    refresh_calls: after - before,
    failed,
    p50_ms: latencies.length ? percentile(latencies, 50) : null,
    p99_ms: latencies.length ? percentile(latencies, 99) : null,
  };
}

/** Runs every concurrency on each worker, the workers alternating. */
export async function run({ workers, standin, sizes = [1, 10, 100, 1000] }) {
  const results = {};
  for (const n of sizes) {
    for (const worker of Object.values(workers)) {
      results[worker.name] ??= [];
      results[worker.name].push(await round(worker, standin, n));
    }
  }
  return results;
}
