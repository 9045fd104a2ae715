// The stand-in's own control routes under /__standin/, for tests that drive it over HTTP
// (a worker test in another process, a person with curl). They mirror the module API:
// counters, switches, clients (with their grant settings) and "revoke all". Only loopback callers are served, and bad input
// gets a ServiceNow-style error JSON, never a crash.

import { ClientError, UnknownClientError } from "./oauth.js";
import { SwitchError } from "./switches.js";
import {
  BodyTooLarge,
  closeAfterAnswer,
  isLoopback,
  readBody,
  sendJson,
  sendServiceNowError,
} from "./http_io.js";

export const ADMIN_PREFIX = "/__standin/";
const ADMIN_BODY_LIMIT = 64 * 1024;

async function readJson(req, res) {
  let body;
  try {
    body = await readBody(req, ADMIN_BODY_LIMIT);
  } catch (error) {
    if (!(error instanceof BodyTooLarge)) throw error;
    closeAfterAnswer(res);
    sendServiceNowError(res, 413, "Request entity too large", `The request body exceeds ${ADMIN_BODY_LIMIT} bytes`);
    return { ok: false };
  }
  try {
    return { ok: true, value: JSON.parse(body.toString("utf8")) };
  } catch {
    sendServiceNowError(res, 400, "Exception while reading request", "The payload is not valid JSON.");
    return { ok: false };
  }
}

export class AdminRoutes {
  constructor(standin) {
    this.standin = standin;
  }

  async handle(req, res, pathname) {
    if (!isLoopback(req.socket.remoteAddress)) {
      sendServiceNowError(res, 403, "Forbidden", "The stand-in's admin routes answer loopback callers only");
      return;
    }
    const rest = pathname.slice(ADMIN_PREFIX.length);
    const route = this.#route(rest);
    if (!route) {
      sendServiceNowError(res, 404, "Requested URI does not represent any resource", null);
      return;
    }
    const handler = route.methods[req.method];
    if (!handler) {
      sendServiceNowError(res, 405, "Method not Supported", `${req.method.slice(0, 20)} method not supported for ${pathname}`,
        { Allow: Object.keys(route.methods).join(", ") });
      return;
    }
    await handler(req, res, route.params);
  }

  #route(rest) {
    const s = this.standin;
    if (rest === "counters") {
      return { methods: { GET: (_req, res) => sendJson(res, 200, s.counters()) } };
    }
    if (rest === "counters/reset") {
      return {
        methods: {
          POST: (_req, res) => {
            s.resetCounters();
            sendJson(res, 200, s.counters());
          },
        },
      };
    }
    if (rest === "config") {
      return {
        methods: {
          GET: (_req, res) => sendJson(res, 200, s.config()),
          POST: async (req, res) => {
            const patch = await readJson(req, res);
            if (!patch.ok) return;
            try {
              sendJson(res, 200, s.configure(patch.value));
            } catch (error) {
              if (!(error instanceof SwitchError)) throw error;
              sendServiceNowError(res, 400, "Invalid config", error.message);
            }
          },
        },
      };
    }
    if (rest === "revoke-all") {
      return { methods: { POST: (_req, res) => sendJson(res, 200, { revoked: s.revokeAllTokens() }) } };
    }
    const client = /^clients\/([^/]+)$/.exec(rest);
    if (client) {
      let clientId;
      try {
        clientId = decodeURIComponent(client[1]);
      } catch {
        return undefined;
      }
      return {
        methods: {
          GET: (_req, res) => {
            const view = s.client(clientId);
            if (view) sendJson(res, 200, view);
            else sendServiceNowError(res, 404, "No Record found", `No client ${clientId.slice(0, 100)}`);
          },
          PATCH: async (req, res) => {
            const body = await readJson(req, res);
            if (!body.ok) return;
            try {
              sendJson(res, 200, s.configureClient(clientId, body.value));
            } catch (error) {
              if (error instanceof UnknownClientError) {
                sendServiceNowError(res, 404, "No Record found", `No client ${clientId.slice(0, 100)}`);
                return;
              }
              if (!(error instanceof ClientError)) throw error;
              sendServiceNowError(res, 400, "Invalid client", error.message);
            }
          },
          PUT: async (req, res) => {
            const body = await readJson(req, res);
            if (!body.ok) return;
            if (body.value === null || typeof body.value !== "object" || Array.isArray(body.value)) {
              sendServiceNowError(res, 400, "Invalid client", "The payload must be a JSON object");
              return;
            }
            try {
              sendJson(res, 200, await s.addClient({ ...body.value, clientId }));
            } catch (error) {
              if (!(error instanceof ClientError)) throw error;
              sendServiceNowError(res, 400, "Invalid client", error.message);
            }
          },
        },
      };
    }
    return undefined;
  }
}
