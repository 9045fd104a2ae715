// The leak check over a whole test run: no secret value may appear in anything a client or a log saw.
// Reads the secret values — the stand-in seed's passwords and client secrets, and every
// `*.secrets.jsonl` the harnesses and stand-ins wrote (admin tokens, sealing keys, client secrets,
// access and refresh tokens, authorization codes, PKCE verifiers, private keys the tests made, the
// JWT-bearer assertions and password-grant passwords the stand-ins received) — and searches every
// `*.transcript.jsonl` (URLs requested, response statuses, headers and bodies, the worker's console
// lines, errors callers of pkg/ got, URLs the stand-in received) for each of them, also in the forms a
// leak usually takes: JSON-escaped (once, and twice for a value inside a JSON body, which is how a
// PEM's line breaks end up in a transcript line), URL-encoded, base64, and a seeded user's Basic
// credentials.
// Secrets inside sealed values are ciphertext and cannot match. One exception is by design: an
// authorization code travels in the `code` parameter of the redirect to /oauth2/callback (RFC 6749
// §4.1.2; single use, PKCE-bound), so it is allowed in that request's URL and nowhere else.
// Findings name the file, line, what kind of record and which kind of secret, never the secret: a
// short SHA-256 prefix identifies it. Exit status: 0 clean, 1 leaks found or nothing to check.
//
// Usage: node tests/hardening/leak-check.mjs [--dir DIR] [--seed FILE] [--clear]
//   --dir    transcripts directory (default test-artifacts/transcripts)
//   --seed   stand-in seed with passwords and client secrets (default tests/servicenow-standin/seed.json)
//   --clear  delete the transcripts directory and exit (before a fresh run)

import { createHash } from "node:crypto";
import { existsSync, readFileSync, readdirSync, rmSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
// Shorter values are too likely to occur by chance to say anything; none of the real secrets is.
const MIN_SECRET_LENGTH = 8;
// A value such as "xxxx…" (a test's deliberately wrong PKCE verifier) is no secret and matches any
// run of the same letter; every real secret here is random and has far more distinct characters.
const MIN_DISTINCT_CHARACTERS = 6;
const PREFIX_LENGTH = MIN_SECRET_LENGTH;

function parseArguments(argv) {
  const options = {
    dir: path.join(REPO, "test-artifacts/transcripts"),
    seed: path.join(REPO, "tests/servicenow-standin/seed.json"),
    clear: false,
  };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (arg === "--clear") options.clear = true;
    else if (arg === "--dir" || arg === "--seed") {
      const value = argv[i + 1];
      if (value === undefined) throw new Error(`${arg} needs a value`);
      options[arg.slice(2)] = path.resolve(value);
      i += 1;
    } else {
      throw new Error(`unknown argument ${arg}`);
    }
  }
  return options;
}

function fingerprint(value) {
  return `sha256:${createHash("sha256").update(value).digest("hex").slice(0, 10)}`;
}

function jsonLines(file) {
  const records = [];
  const lines = readFileSync(file, "utf8").split("\n");
  for (const [index, line] of lines.entries()) {
    if (line.trim() === "") continue;
    try {
      records.push({ line: index + 1, value: JSON.parse(line) });
    } catch {
      throw new Error(`${file}:${index + 1} is not a JSON line`);
    }
  }
  return records;
}

/** Every secret: {kind, value, from}. */
function collectSecrets(options, files) {
  const secrets = [];
  const users = [];
  if (existsSync(options.seed)) {
    const seed = JSON.parse(readFileSync(options.seed, "utf8"));
    for (const user of seed.users ?? []) {
      secrets.push({ kind: "password", value: user.password, from: "seed" });
      users.push(user);
    }
    for (const client of seed.clients ?? []) secrets.push({ kind: "client_secret", value: client.clientSecret, from: "seed" });
  }
  const secretFiles = files.filter((f) => f.endsWith(".secrets.jsonl"));
  const extra = process.env.STANDIN_SECRET_LOG;
  if (extra && existsSync(extra) && !secretFiles.includes(path.resolve(extra))) secretFiles.push(path.resolve(extra));
  for (const file of secretFiles) {
    for (const { value } of jsonLines(file)) {
      secrets.push({ kind: String(value.kind ?? "secret"), value: value.value, from: path.basename(file) });
    }
  }
  return { secrets, users, secretFiles };
}

function base64(text) {
  return Buffer.from(text, "utf8").toString("base64");
}

/** The forms in which a secret would show up: as it is, escaped, encoded, in a Basic header. */
function variantsOf(secret, users) {
  const forms = new Map([["plain", secret.value]]);
  forms.set("json-escaped", JSON.stringify(secret.value).slice(1, -1));
  forms.set("json-escaped-twice", JSON.stringify(JSON.stringify(secret.value).slice(1, -1)).slice(1, -1));
  forms.set("url-encoded", encodeURIComponent(secret.value));
  forms.set("form-encoded", new URLSearchParams({ x: secret.value }).toString().slice(2));
  forms.set("base64", base64(secret.value).replace(/=+$/, ""));
  forms.set("base64url", Buffer.from(secret.value, "utf8").toString("base64url"));
  if (secret.kind === "password") {
    for (const user of users) {
      if (user.password === secret.value) forms.set("basic-credentials", base64(`${user.user_name}:${user.password}`).replace(/=+$/, ""));
    }
  }
  const seen = new Set();
  const variants = [];
  for (const [form, value] of forms) {
    if (value.length < MIN_SECRET_LENGTH || seen.has(value)) continue;
    seen.add(value);
    variants.push({ form, value });
  }
  return variants;
}

/** Authorization codes are allowed as the `code` of the callback redirect, in that request only. */
function allowed(secret, record) {
  if (secret.kind !== "authorization_code" || record?.kind !== "request") return false;
  const target = String(record.text ?? "").replace(/^[A-Z]+ /, "");
  try {
    const url = new URL(target);
    return url.pathname === "/oauth2/callback" && url.searchParams.get("code") === secret.value;
  } catch {
    return false;
  }
}

/**
 * Searches one transcript for every variant: findings {line, kind, source, secretKind, form, id} and
 * the number of allowed occurrences (codes in their callback URL).
 */
function scan(file, index) {
  const text = readFileSync(file, "utf8");
  const lines = text.split("\n");
  const findings = [];
  const reported = new Set();
  let allowedCount = 0;
  let line = 1;
  for (let i = 0; i + PREFIX_LENGTH <= text.length; i += 1) {
    if (i > 0 && text.charCodeAt(i - 1) === 10) line += 1;
    const candidates = index.get(text.slice(i, i + PREFIX_LENGTH));
    if (!candidates) continue;
    for (const candidate of candidates) {
      if (!text.startsWith(candidate.value, i)) continue;
      let record;
      try {
        record = JSON.parse(lines[line - 1]);
      } catch {
        record = undefined;
      }
      if (allowed(candidate.secret, record)) {
        allowedCount += 1;
        continue;
      }
      const id = fingerprint(candidate.secret.value);
      if (reported.has(`${line} ${id} ${candidate.form}`)) continue;
      reported.add(`${line} ${id} ${candidate.form}`);
      findings.push({
        line,
        kind: record?.kind ?? "?",
        source: record?.source ?? "?",
        secretKind: candidate.secret.kind,
        form: candidate.form,
        id,
      });
    }
  }
  return { findings, allowedCount, lineCount: lines.filter((l) => l !== "").length };
}

export function leakCheck(options) {
  const files = existsSync(options.dir)
    ? readdirSync(options.dir).filter((f) => f.endsWith(".jsonl")).sort().map((f) => path.join(options.dir, f))
    : [];
  const transcripts = files.filter((f) => f.endsWith(".transcript.jsonl"));
  const { secrets, users, secretFiles } = collectSecrets(options, files);

  const index = new Map();
  const kinds = new Map();
  let skipped = 0;
  const distinct = new Set();
  for (const secret of secrets) {
    if (typeof secret.value !== "string" || secret.value.length < MIN_SECRET_LENGTH
      || new Set(secret.value).size < MIN_DISTINCT_CHARACTERS) {
      skipped += 1;
      continue;
    }
    if (distinct.has(`${secret.kind}\0${secret.value}`)) continue;
    distinct.add(`${secret.kind}\0${secret.value}`);
    kinds.set(secret.kind, (kinds.get(secret.kind) ?? 0) + 1);
    for (const variant of variantsOf(secret, users)) {
      const key = variant.value.slice(0, PREFIX_LENGTH);
      if (!index.has(key)) index.set(key, []);
      index.get(key).push({ ...variant, secret });
    }
  }

  const report = {
    transcripts: transcripts.length, secretFiles: secretFiles.length, lines: 0, secrets: distinct.size, kinds, skipped,
    allowed: 0, findings: [],
  };
  for (const file of transcripts) {
    const { findings, allowedCount, lineCount } = scan(file, index);
    report.lines += lineCount;
    report.allowed += allowedCount;
    for (const finding of findings) report.findings.push({ file: path.relative(process.cwd(), file), ...finding });
  }
  return report;
}

function main() {
  let options;
  try {
    options = parseArguments(process.argv.slice(2));
  } catch (error) {
    console.error(`leak-check: ${error.message}`);
    process.exit(2);
  }
  if (options.clear) {
    rmSync(options.dir, { recursive: true, force: true });
    console.log(`leak-check: cleared ${path.relative(process.cwd(), options.dir) || options.dir}`);
    return;
  }
  const started = Date.now();
  const report = leakCheck(options);
  const kinds = [...report.kinds].map(([kind, count]) => `${count} ${kind}`).join(", ");
  if (report.transcripts === 0 || report.lines === 0) {
    console.error(`leak-check: nothing to check in ${options.dir} (run the test suites first)`);
    process.exit(1);
  }
  if (report.findings.length > 0) {
    for (const f of report.findings) {
      console.error(`${f.file}:${f.line}: ${f.secretKind} (${f.form}, ${f.id}) in a ${f.kind} record from ${f.source}`);
    }
    console.error(`leak-check: FAILED, ${report.findings.length} secret occurrence(s) in ${report.lines} transcript lines`);
    process.exit(1);
  }
  console.log(`leak-check: no secret in ${report.lines} lines of ${report.transcripts} transcripts; `
    + `looked for ${report.secrets} secrets (${kinds}) from the seed and ${report.secretFiles} secret logs `
    + `(left out as too short or too uniform to be secrets: ${report.skipped}); `
    + `${report.allowed} authorization codes seen only in their callback URL; ${Date.now() - started} ms`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
