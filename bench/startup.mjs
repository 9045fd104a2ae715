// Start-up medians over fresh Node processes (default 50 each), ours and oauth4webapi alternated.

import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const child = fileURLToPath(new URL("./startup-child.mjs", import.meta.url));

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

export function run({ processes = 50 } = {}) {
  const samples = { ours: [], theirs: [] };
  for (let i = 0; i < processes; i += 1) {
    for (const which of ["ours", "theirs"]) {
      samples[which].push(JSON.parse(execFileSync(process.execPath, [child, which], { encoding: "utf8" })));
    }
  }
  const summary = {};
  for (const [which, list] of Object.entries(samples)) {
    summary[which] = {};
    for (const key of Object.keys(list[0])) summary[which][key] = median(list.map((s) => s[key]));
  }
  summary.processes = processes;
  return summary;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify(run({ processes: Number(process.argv[2] ?? 50) }), null, 2));
}
