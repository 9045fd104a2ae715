// Forwarding carries real traffic: bodies stream through the worker both ways, byte for byte, under
// FORWARD_BODY_LIMIT_BYTES; the connection's time limit bounds each wait (the first byte, any gap),
// not the whole transfer; a body that was streamed is never sent twice; an HTML answer is looked at
// only up to its first 256 KB, so even a 300 MB one flows through; and every forwarded answer is inert
// on the worker's origin. A recording "instance" on 127.0.0.1 shows what arrived and sends what no
// real instance sends on demand (a trickle, a stall, a huge page). Large bodies are sent and read
// here directly, not through the harness's transcript.

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { request as httpRequest } from "node:http";

import { ADMIN_TOKEN, secrets, sleep, workerSuite } from "./support/harness.js";
import { startRecorder } from "./support/recorder.js";
import { recordSecret } from "./support/transcript.js";

let worker;
let recorder;

const TIMEOUT_MS = 1000;
const MB = 1024 * 1024;

workerSuite(async (started) => {
  ({ worker } = started);
  recorder = await startRecorder();
  const basic = { authType: "basic", username: "streamer", password: "FAKE-streaming-password-3f9a", timeoutMs: TIMEOUT_MS };
  assert.equal((await worker.putConnection("bytes", { ...basic, baseUrl: `${recorder.url}/api/now` })).status, 201);
  assert.equal((await worker.putConnection("oauth-bytes", {
    baseUrl: `${recorder.url}/api/now`, authType: "oauth2", clientId: "streaming-client",
    clientSecret: "FAKE-streaming-client-secret-81c2", timeoutMs: TIMEOUT_MS,
  })).status, 201);
  return [recorder];
});

const sha256 = (bytes) => createHash("sha256").update(bytes).digest("hex");

/** A request to the worker over plain HTTP with a declared Content-Length; the answer's bytes. */
function upload(path, { method = "POST", headers = {}, body }) {
  return new Promise((resolve, reject) => {
    const req = httpRequest({
      host: worker.url.hostname, port: worker.url.port, path, method,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-length": String(body.length), ...headers },
    }, (res) => {
      const chunks = [];
      res.on("data", (chunk) => chunks.push(chunk));
      res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, bytes: Buffer.concat(chunks) }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}

/**
 * A GET to the worker over plain HTTP, its answer streamed: `{status, headers, chunks()}`, where
 * chunks() yields the body's chunks and throws when the transfer was cut off.
 */
function streamed(path) {
  return new Promise((resolve, reject) => {
    const req = httpRequest({
      host: worker.url.hostname, port: worker.url.port, path, headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    }, (res) => {
      resolve({
        status: res.statusCode,
        headers: res.headers,
        async* chunks() {
          for await (const chunk of res) yield chunk;
          if (!res.complete) throw new Error("the answer was cut off");
        },
      });
    });
    req.on("error", reject);
    req.end();
  });
}

function admin(path, init = {}) {
  return worker.mf.dispatchFetch(new URL(path, worker.url), {
    ...init, headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...init.headers },
  });
}

async function* chunksOf(bytes, size, delayMs = 0) {
  for (let offset = 0; offset < bytes.length; offset += size) {
    if (delayMs > 0) await sleep(delayMs);
    yield bytes.subarray(offset, offset + size);
  }
}

describe("bodies stream through, byte for byte", () => {
  test("a 5 MB image uploaded as an attachment arrives whole, with its type and length", async () => {
    recorder.reset();
    recorder.answer(() => ({ status: 201, headers: { "content-type": "application/json" }, body: '{"result":{"sys_id":"a1"}}' }));
    const image = randomBytes(5 * MB);
    const answer = await upload("/api/connections/bytes/now/attachment/file?table_name=incident&table_sys_id=abc&file_name=photo.png", {
      headers: { "content-type": "image/png" }, body: image,
    });
    assert.equal(answer.status, 201, answer.bytes.toString());
    const [arrived] = recorder.received;
    assert.equal(arrived.url, "/api/now/attachment/file?table_name=incident&table_sys_id=abc&file_name=photo.png");
    assert.equal(arrived.headers["content-type"], "image/png");
    assert.equal(arrived.headers["content-length"], String(image.length), "the declared length is kept");
    assert.equal(arrived.size, image.length);
    assert.equal(sha256(arrived.bytes), sha256(image));
  });

  test("a 5 MB file downloaded comes back whole, and inert", async () => {
    recorder.reset();
    const file = randomBytes(5 * MB);
    recorder.answer(() => ({ status: 200, headers: { "content-type": "image/jpeg", "content-length": String(file.length) }, body: chunksOf(file, 64 * 1024) }));
    const response = await admin("/api/connections/bytes/now/attachment/a1/file");
    assert.equal(response.status, 200);
    const bytes = Buffer.from(await response.arrayBuffer());
    assert.equal(bytes.length, file.length);
    assert.equal(sha256(bytes), sha256(file));
    assert.equal(response.headers.get("content-type"), "image/jpeg");
    assert.equal(response.headers.get("x-content-type-options"), "nosniff");
    assert.equal(response.headers.get("content-security-policy"), "sandbox");
    assert.equal(response.headers.get("content-disposition"), null, "an image is not an active document");
  });

  test("a chunked upload that passes the limit is cut off there: 413 naming the limit", async () => {
    const { startWorker } = await import("./support/harness.js");
    const limited = await startWorker({ vars: { FORWARD_BODY_LIMIT_BYTES: String(MB) } });
    try {
      assert.equal((await limited.putConnection("bytes", {
        baseUrl: `${recorder.url}/api/now`, authType: "basic", username: "streamer", password: "FAKE-streaming-password-3f9a",
      })).status, 201);
      recorder.reset();
      const body = new ReadableStream({
        async start(controller) {
          for (let i = 0; i < 48; i += 1) controller.enqueue(new Uint8Array(64 * 1024).fill(0x61));
          controller.close();
        },
      });
      const response = await limited.mf.dispatchFetch(new URL("/api/connections/bytes/now/import/u_staging", limited.url), {
        method: "POST", headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "text/csv" }, body, duplex: "half",
      });
      assert.equal(response.status, 413);
      const error = (await response.json()).error;
      assert.equal(error.code, "body_too_large");
      assert.match(error.message, /at most 1 MB/);
      for (const arrived of recorder.received) assert.ok(arrived.size <= MB, `${arrived.size} bytes reached the instance`);
    } finally {
      await limited.close();
    }
  });
});

describe("waits, not deadlines", () => {
  test("an answer that trickles in for longer than the time limit, without a long gap, arrives whole", async () => {
    recorder.reset();
    const parts = Array.from({ length: 8 }, (_, i) => `{"part":${i}}`);
    recorder.answer(() => ({
      status: 200,
      headers: { "content-type": "application/json" },
      body: (async function* trickle() {
        for (const part of parts) {
          await sleep(TIMEOUT_MS * 0.35);
          yield part;
        }
      })(),
    }));
    const started = Date.now();
    const response = await admin("/api/connections/bytes/now/table/incident");
    const text = await response.text();
    assert.ok(Date.now() - started > 2 * TIMEOUT_MS, "the transfer took longer than the time limit");
    assert.equal(response.status, 200);
    assert.equal(text, parts.join(""));
  });

  test("an answer whose body stalls for longer than the time limit ends in an error, never as if complete", async () => {
    recorder.reset();
    recorder.answer(() => ({
      status: 200,
      headers: { "content-type": "application/json", "content-length": "100000" },
      body: (async function* stall() {
        yield "x".repeat(1000);
        await sleep(TIMEOUT_MS * 4);
        yield "y".repeat(99_000);
      })(),
    }));
    const response = await streamed("/api/connections/bytes/now/table/incident");
    assert.equal(response.status, 200);
    assert.equal(response.headers["content-length"], "100000", "the instance's length is kept");
    await assert.rejects(async () => {
      for await (const chunk of response.chunks()) void chunk;
    }, "the cut-off body is an error for the caller");
  });
});

describe("no replay of a streamed body", () => {
  test("a request with a body that gets a 401 is not sent twice: the caller gets the instance's 401", async () => {
    const accessToken = "FAKE-streaming-access-token-6a0f2d";
    const refreshToken = "FAKE-streaming-refresh-token-c4e7b9";
    for (const value of [accessToken, refreshToken]) {
      secrets.add(value);
      recordSecret("access_token", value);
    }
    await worker.hook("set-tokens", { id: "oauth-bytes" }, JSON.stringify({
      accessToken, refreshToken, tokenType: "Bearer", scope: "useraccount",
      issuedAt: Date.now(), expiresAt: Date.now() + 1_800_000, refreshExpiresAt: Date.now() + 86_400_000,
    }));
    recorder.reset();
    recorder.answer(() => ({ status: 401, headers: { "content-type": "application/json" }, body: '{"error":{"message":"User Not Authenticated"},"status":"failure"}' }));
    const response = await admin("/api/connections/oauth-bytes/now/table/incident", {
      method: "POST", headers: { "content-type": "application/json" }, body: '{"short_description":"once"}',
    });
    assert.equal(response.status, 401);
    assert.match(await response.text(), /User Not Authenticated/);
    assert.deepEqual(recorder.received.map((r) => `${r.method} ${r.url}`), ["POST /api/now/table/incident"],
      "sent once, and no refresh was asked for on its behalf");
    assert.equal(recorder.received[0].body, '{"short_description":"once"}');
  });
});

describe("HTML answers", () => {
  test("a 300 MB HTML answer flows through: the caller has its first bytes before the instance sent the rest", { timeout: 120_000 }, async () => {
    recorder.reset();
    const head = Buffer.from(`<!doctype html><title>big</title>${"<p>a page that is not the hibernation page</p>".repeat(22_000)}`);
    const rest = 300 * MB - head.length;
    let firstBytesSeen;
    const seen = new Promise((resolve) => { firstBytesSeen = resolve; });
    recorder.answer(() => ({
      status: 200,
      headers: { "content-type": "text/html; charset=utf-8" },
      body: (async function* page() {
        yield head;
        // The rest only once the caller holds the beginning: a worker reading the page whole first
        // would wait here for ever.
        await seen;
        const block = Buffer.alloc(MB, 0x20);
        for (let sent = 0; sent < rest; sent += block.length) yield block.subarray(0, Math.min(block.length, rest - sent));
      })(),
    }));
    const response = await streamed("/api/connections/bytes/now/table/incident");
    assert.equal(response.status, 200);
    assert.equal(response.headers["content-disposition"], "attachment");
    assert.equal(response.headers["content-security-policy"], "sandbox");
    let received = 0;
    for await (const chunk of response.chunks()) {
      if (received === 0) firstBytesSeen();
      received += chunk.length;
    }
    assert.equal(received, 300 * MB);
    recorder.reset();
    const after = await admin("/api/connections/bytes/now/table/incident");
    assert.equal(after.status, 200, "the worker is still there");
    await after.arrayBuffer();
  });
});
