// The leak check can fail: secrets planted in a scratch transcript directory — a token in a response
// body, a seeded password in a worker log line, Basic credentials in a header, a URL-encoded client
// secret in a URL, an authorization code anywhere but its callback URL, an access key in a listing,
// a key's stored hash in a log line, a private key (PEM) inside a JSON answer, a JWT assertion in a
// log line — are each reported with file and line, and the report never repeats the secret. A clean directory passes, and an empty one fails
// (a check that saw nothing proves nothing).

import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createHash, generateKeyPairSync, randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const SCRIPT = path.join(HERE, "leak-check.mjs");
const SEED = path.join(HERE, "../servicenow-standin/seed.json");

function runCheck(dir) {
  return new Promise((resolve) => {
    // The scratch directory is all the check may read: no secret log from the environment.
    const env = { ...process.env };
    delete env.STANDIN_SECRET_LOG;
    execFile(process.execPath, [SCRIPT, "--dir", dir, "--seed", SEED], { env, timeout: 20_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? error.code : 0, output: stdout + stderr });
    });
  });
}

const lines = (records) => records.map((r) => JSON.stringify(r)).join("\n") + "\n";

async function withScratch(fn) {
  const dir = await mkdtemp(path.join(tmpdir(), "leak-check-"));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test("planted secrets are reported with file and line, never with their value", async () => {
  const seed = JSON.parse(await readFile(SEED, "utf8"));
  const admin = seed.users.find((u) => u.user_name === "admin");
  const clientSecret = seed.clients[0].clientSecret;
  const accessToken = randomBytes(32).toString("base64url");
  const code = randomBytes(32).toString("base64url");
  const accessKey = `snck_conn-a.${randomBytes(12).toString("base64url")}.${randomBytes(32).toString("base64url")}.${randomBytes(16).toString("base64url")}`;
  const keyHash = createHash("sha256").update(accessKey).digest("hex");
  const privateKey = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ type: "pkcs8", format: "pem" });
  const assertion = [{ alg: "ES256" }, { sub: "admin", jti: randomBytes(16).toString("hex") }]
    .map((part) => Buffer.from(JSON.stringify(part)).toString("base64url")).join(".") + `.${randomBytes(64).toString("base64url")}`;
  await withScratch(async (dir) => {
    await writeFile(path.join(dir, "planted.secrets.jsonl"), lines([
      { kind: "access_token", value: accessToken },
      { kind: "authorization_code", value: code },
      { kind: "access_key", value: accessKey },
      { kind: "access_key_hash", value: keyHash },
      { kind: "private_key", value: privateKey },
      { kind: "assertion", value: assertion },
    ]));
    await writeFile(path.join(dir, "planted.transcript.jsonl"), lines([
      { kind: "request", source: "client", text: "GET http://127.0.0.1:1/api/connections" },
      { kind: "response", source: "GET /x", text: `200 content-type: application/json\n{"token":"${accessToken}"}` },
      { kind: "worker-log", source: "workerd stdout", text: `{"event":"api","password":"${admin.password}"}` },
      { kind: "response", source: "GET /y", text: `200 authorization: Basic ${Buffer.from(`admin:${admin.password}`).toString("base64")}` },
      { kind: "request", source: "client", text: `GET http://127.0.0.1:1/x?secret=${encodeURIComponent(clientSecret)}` },
      { kind: "request", source: "client", text: `GET http://127.0.0.1:1/oauth2/callback?code=${code}&state=a.b` },
      { kind: "response", source: "GET /oauth2/callback", text: `200 <p>${code}</p>` },
      { kind: "response", source: "GET /api/connections/conn-a/keys", text: `200 content-type: application/json\n{"keys":[{"key":"${accessKey}"}]}` },
      { kind: "worker-log", source: "workerd stdout", text: `{"event":"api","hash":"${keyHash}"}` },
      { kind: "response", source: "GET /z", text: `200 content-type: application/json\n${JSON.stringify({ privateKey })}` },
      { kind: "worker-log", source: "workerd stderr", text: `token request: assertion=${assertion}` },
    ]));
    const { code: status, output } = await runCheck(dir);
    assert.equal(status, 1, output);
    assert.match(output, /planted\.transcript\.jsonl:2: access_token \(plain, sha256:[0-9a-f]{10}\) in a response record/);
    assert.match(output, /planted\.transcript\.jsonl:3: password \(plain, .*\) in a worker-log record/);
    assert.match(output, /planted\.transcript\.jsonl:4: password \(basic-credentials, .*\) in a response record/);
    assert.match(output, /planted\.transcript\.jsonl:5: client_secret \((plain|url-encoded), .*\) in a request record/);
    assert.match(output, /planted\.transcript\.jsonl:7: authorization_code \(plain, .*\) in a response record/);
    assert.match(output, /planted\.transcript\.jsonl:8: access_key \(plain, .*\) in a response record/);
    assert.match(output, /planted\.transcript\.jsonl:9: access_key_hash \(plain, .*\) in a worker-log record/);
    assert.match(output, /planted\.transcript\.jsonl:10: private_key \(json-escaped-twice, .*\) in a response record/);
    assert.match(output, /planted\.transcript\.jsonl:11: assertion \(plain, .*\) in a worker-log record/);
    assert.doesNotMatch(output, /planted\.transcript\.jsonl:6:/, "the code in its own callback URL is allowed");
    assert.doesNotMatch(output, /planted\.transcript\.jsonl:1:/);
    for (const secret of [accessToken, code, admin.password, clientSecret, accessKey, keyHash, privateKey.split("\n")[1], assertion]) {
      assert.ok(!output.includes(secret), "the report does not repeat a secret");
    }
  });
});

test("a transcript without secrets passes; an empty directory does not", async () => {
  await withScratch(async (dir) => {
    const empty = await runCheck(dir);
    assert.equal(empty.code, 1);
    assert.match(empty.output, /nothing to check/);

    await writeFile(path.join(dir, "clean.secrets.jsonl"), lines([{ kind: "access_token", value: randomBytes(32).toString("base64url") }]));
    await writeFile(path.join(dir, "clean.transcript.jsonl"), lines([
      { kind: "response", source: "GET /x", text: '200 content-type: application/json\n{"password":{"set":true}}' },
    ]));
    const clean = await runCheck(dir);
    assert.equal(clean.code, 0, clean.output);
    assert.match(clean.output, /no secret in 1 lines of 1 transcripts/);
  });
});
