// A recording "instance" on 127.0.0.1 for worker tests: it keeps every request it receives (method,
// URL, headers, body bytes) and answers with whatever the test sets up, so a test sees exactly what
// the worker sent and controls exactly what comes back, including answers no real instance would
// give on demand (a held answer, a stalled or trickling body, a huge page).

import { once } from "node:events";
import { createServer } from "node:http";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";

import { record } from "./transcript.js";

const DEFAULT_ANSWER = () => ({ status: 200, headers: { "content-type": "application/json" }, body: '{"result":[]}' });

/**
 * Starts the recorder. `answer(req, arrived)` returns `{status, headers, body}` (body: string,
 * bytes, or an async iterable of chunks) or a promise of one; or it may write to `res` itself and
 * return null. `keepBodies: false` counts request bytes without keeping them (for large uploads).
 */
export async function startRecorder({ keepBodies = true } = {}) {
  const received = [];
  let answer = DEFAULT_ANSWER;
  const server = createServer((req, res) => {
    const chunks = [];
    let size = 0;
    const arrived = { method: req.method, url: req.url, headers: req.headers, body: "", bytes: null, size: 0 };
    req.on("data", (chunk) => {
      size += chunk.length;
      if (keepBodies) chunks.push(chunk);
    });
    req.on("error", () => {});
    req.on("end", async () => {
      arrived.size = size;
      arrived.bytes = Buffer.concat(chunks);
      arrived.body = arrived.bytes.toString();
      received.push(arrived);
      record("request", "recorder", `${req.method} ${req.url}`);
      try {
        const reply = await answer(req, arrived, res);
        if (reply === null) return;
        res.writeHead(reply.status, reply.headers ?? {});
        if (reply.body !== undefined && typeof reply.body !== "string" && !(reply.body instanceof Uint8Array)) {
          await pipeline(Readable.from(reply.body), res);
        } else {
          res.end(reply.body);
        }
      } catch {
        res.destroy();
      }
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    received,
    answer: (fn) => {
      answer = fn;
    },
    reset: () => {
      received.length = 0;
      answer = DEFAULT_ANSWER;
    },
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(resolve);
    }),
  };
}
