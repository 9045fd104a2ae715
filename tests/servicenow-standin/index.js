// startStandin(): one self-contained local ServiceNow stand-in on 127.0.0.1 — OAuth 2.0
// authorization server (oidc-provider), REST APIs, and test switches/counters — with its own
// store, token vault and signing key, so several stand-ins in one process never share state and a
// token from one is refused by another. server.js is the command-line front of the same function.

import { once } from "node:events";
import { readFile } from "node:fs/promises";
import { createServer } from "node:http";
import { fileURLToPath } from "node:url";

import { AdminRoutes, ADMIN_PREFIX } from "./admin.js";
import { TokenVault } from "./adapter.js";
import { Counters } from "./counters.js";
import { sendHibernating, sendServiceNowError, Timers } from "./http_io.js";
import { InteractionPages } from "./interactions.js";
import { OAuthServer, ROUTES } from "./oauth.js";
import { recordRequest } from "./recording.js";
import { RestApi } from "./rest.js";
import { TableStore } from "./store.js";
import { SWITCH_NAMES, Switches } from "./switches.js";

export const DEFAULT_SEED_PATH = fileURLToPath(new URL("./seed.json", import.meta.url));

const START_OPTIONS = new Set(["port", "seed", ...SWITCH_NAMES]);

async function loadSeed(seed) {
  const value = seed === undefined || typeof seed === "string"
    ? JSON.parse(await readFile(seed ?? DEFAULT_SEED_PATH, "utf8"))
    : structuredClone(seed);
  if (value === null || typeof value !== "object") throw new TypeError("seed must be an object");
  if (!Array.isArray(value.users)) throw new TypeError("seed.users must be an array");
  if (!Array.isArray(value.clients ?? [])) throw new TypeError("seed.clients must be an array");
  for (const user of value.users) {
    if (typeof user.user_name !== "string" || typeof user.password !== "string") {
      throw new TypeError("each seed user needs a user_name and a password");
    }
  }
  return value;
}

function isEngineRoute(pathname) {
  return pathname === ROUTES.authorization
    || pathname.startsWith(`${ROUTES.authorization}/`)
    || pathname === ROUTES.revocation
    || pathname.startsWith("/.well-known/")
    || pathname === "/jwks";
}

/**
 * Starts a stand-in. Options: port (0 = any free port), seed (path or object), and any switch
 * of configure() (see SWITCH_NAMES in switches.js).
 */
export async function startStandin(options = {}) {
  for (const key of Object.keys(options)) {
    if (!START_OPTIONS.has(key)) throw new TypeError(`unknown stand-in option ${key}`);
  }
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new TypeError("port must be an integer from 0 to 65535");

  const seed = await loadSeed(options.seed);
  const initialSwitches = Object.fromEntries(SWITCH_NAMES.filter((k) => options[k] !== undefined).map((k) => [k, options[k]]));
  const switches = new Switches(initialSwitches);
  const counters = new Counters();
  const store = new TableStore(seed);
  const vault = new TokenVault();
  const timers = new Timers();

  let routes;
  const server = createServer((req, res) => {
    serve(req, res).catch((error) => {
      if (!res.headersSent) {
        sendServiceNowError(res, 500, "Internal Server Error", error?.name ?? "Error");
      } else {
        res.destroy();
      }
    });
  });

  async function serve(req, res) {
    recordRequest(req.method, req.url);
    let url;
    try {
      url = new URL(req.url, baseUrl);
    } catch {
      sendServiceNowError(res, 400, "Bad Request", "The request URI is not valid");
      return;
    }
    const { pathname } = url;
    if (!routes) {
      sendServiceNowError(res, 503, "Service Unavailable", "The stand-in is starting");
      return undefined;
    }
    if (pathname.startsWith(ADMIN_PREFIX)) return routes.admin.handle(req, res, pathname);
    if (pathname === "/api" || pathname.startsWith("/api/")) return routes.api.handle(req, res, url);
    if (pathname === ROUTES.token) return routes.oauth.handleToken(req, res);
    if (await routes.interactions.handle(req, res, pathname)) return undefined;
    if (isEngineRoute(pathname)) return routes.oauth.handleEngine(req, res);
    if (switches.get("hibernating")) return sendHibernating(res);
    return sendServiceNowError(res, 404, "Requested URI does not represent any resource", null);
  }

  server.listen(port, "127.0.0.1");
  await once(server, "listening");
  const actualPort = server.address().port;
  const baseUrl = `http://127.0.0.1:${actualPort}`;

  const oauth = new OAuthServer({ issuer: baseUrl, port: actualPort, vault, store, switches, counters, timers });
  let closed;

  const standin = {
    url: baseUrl,
    port: actualPort,
    seed: structuredClone(seed),
    configure: (patch) => switches.apply(patch),
    config: () => switches.snapshot(),
    counters: () => counters.snapshot(),
    resetCounters: () => counters.reset(),
    addClient: (client) => oauth.addClient(client),
    configureClient: (clientId, settings) => oauth.configureClient(clientId, settings),
    client: (clientId) => oauth.clientView(clientId),
    revokeAllTokens: () => vault.revokeAllTokens(),
    close() {
      closed ??= (async () => {
        timers.cancelAll();
        const done = once(server, "close");
        server.close();
        server.closeAllConnections();
        await done;
      })();
      return closed;
    },
  };

  routes = {
    oauth,
    admin: new AdminRoutes(standin),
    api: new RestApi({ origin: baseUrl, oauth, store, switches, counters, timers }),
    interactions: new InteractionPages({ oauth, store, switches }),
  };
  try {
    for (const client of seed.clients ?? []) await oauth.addClient(client);
  } catch (error) {
    await standin.close();
    throw error;
  }
  return standin;
}
