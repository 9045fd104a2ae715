// Small request/response helpers shared by the stand-in's routes: bounded body reading,
// ServiceNow-shaped JSON answers, and the injected faults (error statuses, delays, broken bodies,
// dropped connections). Everything here writes to a plain node:http response.

import { hibernationPage, serverErrorPage } from "./pages.js";

export const JSON_TYPE = "application/json;charset=UTF-8";

export class BodyTooLarge extends Error {
  constructor(limit) {
    super(`request body is larger than ${limit} bytes`);
    this.name = "BodyTooLarge";
  }
}

// Reads the whole body, refusing more than `limit` bytes (declared or received).
export async function readBody(req, limit) {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > limit) throw new BodyTooLarge(limit);
  const chunks = [];
  let received = 0;
  for await (const chunk of req) {
    received += chunk.length;
    if (received > limit) throw new BodyTooLarge(limit);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, received);
}

// After a refused oversized body, the rest of the upload is not read; closing the connection
// after the answer keeps the socket from being reused with unread bytes in it.
export function closeAfterAnswer(res) {
  res.setHeader("Connection", "close");
}

export function sendJson(res, status, body, headers = {}) {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "Content-Type": JSON_TYPE,
    "Content-Length": Buffer.byteLength(text),
    "Cache-Control": "no-cache,no-store,must-revalidate,max-age=-1",
    ...headers,
  });
  res.end(text);
}

export function sendHtml(res, status, html, headers = {}) {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, {
    "Content-Type": "text/html;charset=UTF-8",
    "Content-Length": Buffer.byteLength(html),
    "Cache-Control": "no-cache,no-store,must-revalidate,max-age=-1",
    ...headers,
  });
  res.end(html);
}

export function sendEmpty(res, status, headers = {}) {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, headers);
  res.end();
}

// The error body of ServiceNow's REST APIs.
export function serviceNowError(message, detail = null) {
  return { error: { message, detail }, status: "failure" };
}

export function sendServiceNowError(res, status, message, detail = null, headers = {}) {
  sendJson(res, status, serviceNowError(message, detail), headers);
}

export function sendHibernating(res) {
  sendHtml(res, 200, hibernationPage());
}

export function isLoopback(address) {
  if (!address) return false;
  return address === "::1" || address.startsWith("127.") || address.startsWith("::ffff:127.");
}

// Cancels pending delays when the stand-in closes, so close() never waits on a timer.
export class Timers {
  #pending = new Set();

  sleep(ms) {
    return new Promise((resolve) => {
      const handle = setTimeout(() => {
        this.#pending.delete(entry);
        resolve(true);
      }, ms);
      const entry = { handle, resolve };
      this.#pending.add(entry);
    });
  }

  cancelAll() {
    for (const entry of this.#pending) {
      clearTimeout(entry.handle);
      entry.resolve(false);
    }
    this.#pending.clear();
  }
}

// Answers a fault that replaces the real answer. Returns true when the response was taken over;
// "delay" only waits and returns false so the caller goes on with the real answer.
// surface is "token" (OAuth JSON shapes) or "api" (Table API shapes).
export async function applyFault(res, fault, timers, surface) {
  switch (fault.kind) {
    case "delay": {
      const completed = await timers.sleep(fault.delayMs);
      if (!completed) {
        res.destroy();
        return true;
      }
      return res.destroyed;
    }
    case "500":
      if (surface === "token") {
        sendJson(res, 500, { error: "server_error", error_description: "Internal Server Error" });
      } else {
        sendServiceNowError(res, 500, "Internal Server Error", "The server failed to process the request");
      }
      return true;
    case "503":
      sendHtml(res, 503, serverErrorPage(503, "Service Unavailable"), { "Retry-After": "5" });
      return true;
    case "html":
      sendHtml(res, 500, serverErrorPage(500, "Internal Server Error"));
      return true;
    case "malformed_json": {
      const text = surface === "token"
        ? '{"access_token":"truncated-answer","refresh_token":'
        : '{"result":[{"sys_id":"0123456789abcdef0123456789abcdef","name":';
      res.writeHead(200, { "Content-Type": JSON_TYPE, "Content-Length": Buffer.byteLength(text) });
      res.end(text);
      return true;
    }
    case "garbage": {
      const bytes = Buffer.from([0x00, 0xff, 0xfe, 0x3c, 0x21, 0x7b, 0x80, 0x81, 0x0a, 0x47, 0x41, 0x52, 0x42, 0x41, 0x47, 0x45]);
      res.writeHead(200, { "Content-Type": JSON_TYPE, "Content-Length": bytes.length });
      res.end(bytes);
      return true;
    }
    case "drop":
      res.socket?.destroy();
      res.destroy();
      return true;
    default:
      return false;
  }
}
