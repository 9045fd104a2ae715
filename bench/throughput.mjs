// Worker throughput: wrk on the Test Connection route (POST /api/connections/:id/test) and the
// forwarding route (GET /api/connections/:id/now/table/incident?sysparm_limit=1), for an OAuth
// connection (token obtained through Generate and the callback) and a Basic one, on both workers with
// the same load: a warm-up, then the measured run. The two workers run one after the other per route,
// their order alternating from route to route so a drift in the machine's load favours neither.

import { runWrk } from "./load.mjs";
import { descendants } from "./processes.mjs";
import { connectionSettings } from "./workers.mjs";

export const SCENARIOS = [
  { key: "test_oauth", label: "Test Connection, OAuth", id: "bench-oauth", method: "POST", route: "test" },
  { key: "test_basic", label: "Test Connection, Basic", id: "bench-basic", method: "POST", route: "test" },
  { key: "forward_oauth", label: "forward, OAuth", id: "bench-oauth", method: "GET", route: "now/table/incident?sysparm_limit=1" },
  { key: "forward_basic", label: "forward, Basic", id: "bench-basic", method: "GET", route: "now/table/incident?sysparm_limit=1" },
];

/** Creates the two connections on a worker and checks that both work before any load. */
export async function prepare(worker, standin) {
  const settings = connectionSettings(standin);
  await worker.put("bench-oauth", settings.oauth);
  await worker.put("bench-basic", settings.basic);
  await worker.authorize("bench-oauth", settings.admin);
  for (const id of ["bench-oauth", "bench-basic"]) {
    const result = await worker.test(id);
    if (!result.ok) throw new Error(`${worker.name}: Test Connection of ${id} failed: ${result.code}`);
    const forwarded = await worker.forward(id, "table/incident?sysparm_limit=1");
    if (forwarded.status !== 200) throw new Error(`${worker.name}: forwarding for ${id} answered ${forwarded.status}`);
  }
}

export async function run({ workers, standin, seconds, warmupSeconds, connections }) {
  const list = Object.values(workers);
  for (const worker of list) await prepare(worker, standin);
  const results = {};
  for (const [index, scenario] of SCENARIOS.entries()) {
    const order = index % 2 === 0 ? list : [...list].reverse();
    results[scenario.key] = {};
    for (const worker of order) {
      const load = {
        url: `${worker.url}/api/connections/${scenario.id}/${scenario.route}`,
        method: scenario.method,
        headers: worker.adminHeaders,
        connections,
        cpuPids: () => worker.server.workerdPids(),
        treePids: () => [worker.server.pid, ...descendants(worker.server.pid)],
      };
      await runWrk({ ...load, seconds: warmupSeconds });
      results[scenario.key][worker.name] = await runWrk({ ...load, seconds });
    }
  }
  return results;
}
