// Transcripts for the leak check (tests/hardening/leak-check.mjs): every test process that loads a
// harness writes what a client or a log saw — URLs it requested, response statuses, headers and
// bodies, the worker's console lines, errors a caller of pkg/ got — to
// test-artifacts/transcripts/<suite>--<file>.transcript.jsonl, and the secret values it used or was
// issued (admin tokens, sealing keys, client secrets; the stand-in adds its tokens, codes and PKCE
// verifiers through STANDIN_SECRET_LOG) to <suite>--<file>.secrets.jsonl. Both files are started
// afresh when the process first records, so they describe the latest run of that test file. Values
// returned to the test by pkg functions or read through /__test/ hooks are what the test asked for,
// not what a client or log sees, and are never written as transcript.

import { appendFileSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
export const TRANSCRIPT_DIR = path.join(REPO, "test-artifacts/transcripts");

/** `worker--refresh.test` for tests/worker/refresh.test.js; `adhoc-<pid>` outside the test runner. */
function processName() {
  const script = process.argv[1] ?? "";
  const relative = path.relative(path.join(REPO, "tests"), script);
  if (!/\.test\.m?js$/.test(script) || relative.startsWith("..")) return `adhoc-${process.pid}`;
  return relative.replace(/\.m?js$/, "").split(path.sep).join("--");
}

const NAME = processName();
export const TRANSCRIPT_FILE = path.join(TRANSCRIPT_DIR, `${NAME}.transcript.jsonl`);
export const SECRETS_FILE = path.join(TRANSCRIPT_DIR, `${NAME}.secrets.jsonl`);

let started = false;

function start() {
  if (started) return;
  started = true;
  mkdirSync(TRANSCRIPT_DIR, { recursive: true });
  writeFileSync(TRANSCRIPT_FILE, "");
  writeFileSync(SECRETS_FILE, "");
  // A caller that set these itself collects the stand-in's records elsewhere (the leak check reads
  // STANDIN_SECRET_LOG from the environment as well).
  process.env.STANDIN_SECRET_LOG ??= SECRETS_FILE;
  process.env.STANDIN_REQUEST_LOG ??= TRANSCRIPT_FILE;
}

/**
 * Starts this process's transcript (idempotent) so that stand-ins started afterwards record into it.
 * Called when a harness is loaded.
 */
export function startTranscript() {
  start();
}

/** Appends what a client or log saw: `kind` (request, response, worker-log, error, …), where, text. */
export function record(kind, source, text) {
  start();
  appendFileSync(TRANSCRIPT_FILE, `${JSON.stringify({ kind, source, text: String(text) })}\n`);
}

/** Appends a secret value this process used, so the leak check looks for it. */
export function recordSecret(kind, value) {
  if (typeof value !== "string" || value === "") return;
  start();
  appendFileSync(SECRETS_FILE, `${JSON.stringify({ kind, value, source: NAME })}\n`);
}
