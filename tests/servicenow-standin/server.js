#!/usr/bin/env node
// Command line for the local ServiceNow stand-in:
//   npm run standin -- --port P [--seed FILE] [--access-ttl S] [--refresh-ttl S] [--basic-disabled] [--hibernating]
// Prints exactly one line, "servicenow-standin listening on http://127.0.0.1:PORT", when ready,
// and stops cleanly on SIGTERM or SIGINT, or when the process that started it is gone.
// Nothing else goes to stdout; passwords, secrets, tokens and codes are never printed.

import { parseArgs } from "node:util";

import { startStandin } from "./index.js";

const USAGE = `usage: node tests/servicenow-standin/server.js --port P [--seed FILE] [--access-ttl S] [--refresh-ttl S] [--basic-disabled] [--hibernating]`;

function fail(message) {
  process.stderr.write(`servicenow-standin: ${message}\n${USAGE}\n`);
  process.exit(2);
}

function integerOption(name, text, min, max) {
  if (text === undefined) return undefined;
  if (!/^[0-9]+$/.test(text) || Number(text) < min || Number(text) > max) {
    fail(`--${name} must be an integer from ${min} to ${max}`);
  }
  return Number(text);
}

let parsed;
try {
  parsed = parseArgs({
    options: {
      port: { type: "string" },
      seed: { type: "string" },
      "access-ttl": { type: "string" },
      "refresh-ttl": { type: "string" },
      "basic-disabled": { type: "boolean" },
      hibernating: { type: "boolean" },
      help: { type: "boolean" },
    },
    strict: true,
    allowPositionals: false,
  }).values;
} catch (error) {
  fail(error.message);
}
if (parsed.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}

const options = {
  port: integerOption("port", parsed.port ?? "0", 0, 65535),
  seed: parsed.seed,
  accessTtl: integerOption("access-ttl", parsed["access-ttl"], 1, 315_360_000),
  refreshTtl: integerOption("refresh-ttl", parsed["refresh-ttl"], 1, 315_360_000),
  basicDisabled: parsed["basic-disabled"] || undefined,
  hibernating: parsed.hibernating || undefined,
};
for (const key of Object.keys(options)) if (options[key] === undefined) delete options[key];

let standin;
try {
  standin = await startStandin(options);
} catch (error) {
  fail(`could not start: ${error.code ?? ""} ${error.message}`.trim());
}
process.stdout.write(`servicenow-standin listening on ${standin.url}\n`);

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  const watchdog = setTimeout(() => process.exit(1), 5000);
  watchdog.unref();
  await standin.close();
  process.exit(0);
}
process.on("SIGTERM", stop);
process.on("SIGINT", stop);

// `npm run standin` starts this through a shell that does not pass SIGTERM on; when that parent
// goes away the stand-in would be left listening, so it stops once it has been re-parented.
const parentAtStart = process.ppid;
const orphanWatch = setInterval(() => {
  if (process.ppid !== parentAtStart) stop();
}, 500);
orphanWatch.unref();
