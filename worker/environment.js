// The worker's configuration, read from its variables and secrets (wrangler.toml `[vars]`, `wrangler
// secret put`, or `--var` on `wrangler dev`): ADMIN_TOKEN, SEALING_KEY, SEALING_KEY_PREVIOUS,
// ALLOWED_ORIGINS, ALLOW_INSECURE_LOOPBACK, ALLOW_PRIVATE_NETWORK, PUBLIC_URL and
// FORWARD_BODY_LIMIT_BYTES. Missing or broken security settings never fall open: they become 503
// answers that name the setting, never its value.

import { Keyring } from "./core.js";
import { Code, HttpError } from "./errors.js";

/** Shorter admin tokens are refused as if unset: a guessable token is no protection. */
export const MIN_ADMIN_TOKEN_LENGTH = 16;

/** The configured admin token, or the 503 that explains why the admin API is closed. */
export function adminToken(env) {
  const token = typeof env.ADMIN_TOKEN === "string" ? env.ADMIN_TOKEN : "";
  if (token === "") {
    throw new HttpError(503, Code.ADMIN_TOKEN_NOT_CONFIGURED,
      "The admin API is disabled: the worker has no ADMIN_TOKEN secret configured.");
  }
  if (token.length < MIN_ADMIN_TOKEN_LENGTH) {
    throw new HttpError(503, Code.ADMIN_TOKEN_TOO_SHORT,
      `The admin API is disabled: ADMIN_TOKEN must be at least ${MIN_ADMIN_TOKEN_LENGTH} characters long.`);
  }
  return token;
}

// One keyring per isolate and key pair: building it decodes and checks the keys in wasm.
let cachedKeyring = null;

/** The keyring of SEALING_KEY (current) and SEALING_KEY_PREVIOUS (read-only), or a 503. */
export function keyring(env) {
  const current = typeof env.SEALING_KEY === "string" ? env.SEALING_KEY.trim() : "";
  const previous = typeof env.SEALING_KEY_PREVIOUS === "string" ? env.SEALING_KEY_PREVIOUS.trim() : "";
  if (current === "") {
    throw new HttpError(503, Code.SEALING_KEY_NOT_CONFIGURED,
      "The worker has no SEALING_KEY secret configured (base64 of 32 random bytes), so it cannot store secrets.");
  }
  if (cachedKeyring && cachedKeyring.current === current && cachedKeyring.previous === previous) {
    return cachedKeyring.keyring;
  }
  let built;
  try {
    built = new Keyring(current, previous === "" ? [] : [previous]);
  } catch {
    throw new HttpError(503, Code.SEALING_KEY_INVALID,
      "SEALING_KEY (or SEALING_KEY_PREVIOUS) is not the base64 encoding of exactly 32 bytes.");
  }
  cachedKeyring?.keyring.free();
  cachedKeyring = { current, previous, keyring: built };
  return built;
}

/** Plain http to loopback instances, for local runs only; only the exact string "true" turns it on. */
export function insecureLoopbackAllowed(env) {
  return env.ALLOW_INSECURE_LOOPBACK === "true";
}

/**
 * The core's network switches, as this worker's variables set them: ALLOW_INSECURE_LOOPBACK and
 * ALLOW_PRIVATE_NETWORK (instances at private addresses, for on-premise deployments). Only the exact
 * string "true" turns one on. They are passed to the core at every call and never read from a
 * connection's stored settings, so whoever can edit a connection cannot point it at the worker's
 * own network.
 */
export function networkSwitches(env) {
  return Object.freeze(Object.fromEntries(
    Object.entries(SWITCH_VARIABLES).map(([setting, variable]) => [setting, env[variable] === "true"]),
  ));
}

/** Each network switch of the core, and the worker variable that sets it. */
export const SWITCH_VARIABLES = Object.freeze({
  allowInsecureLoopback: "ALLOW_INSECURE_LOOPBACK",
  allowPrivateNetwork: "ALLOW_PRIVATE_NETWORK",
});

/** The http(s) origins of ALLOWED_ORIGINS; entries that are not plain origins are ignored. */
export function allowedOrigins(env) {
  const raw = typeof env.ALLOWED_ORIGINS === "string" ? env.ALLOWED_ORIGINS : "";
  const origins = [];
  for (const entry of raw.split(",")) {
    const origin = asOrigin(entry.trim());
    if (origin && !origins.includes(origin)) origins.push(origin);
  }
  return origins;
}

function asOrigin(text) {
  if (text === "") return null;
  try {
    const url = new URL(text);
    if (url.protocol !== "https:" && url.protocol !== "http:") return null;
    // Only a bare origin counts: "https://a.example/path" is a mistake, not an origin.
    if (url.origin !== text.replace(/\/$/, "")) return null;
    return url.origin;
  } catch {
    return null;
  }
}

const LOOPBACK_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]"]);

/**
 * The origin this worker is reached at: PUBLIC_URL. Never the request's Host header, which whoever
 * sends the request chooses (DNS rebinding, a proxy passing it on). Only with the development switch
 * ALLOW_INSECURE_LOOPBACK=true, and only for a request to a loopback host, may PUBLIC_URL be left
 * unset: a local run is then reached at the origin it was called on.
 */
export function publicOrigin(env, request) {
  const configured = typeof env.PUBLIC_URL === "string" ? env.PUBLIC_URL.trim() : "";
  if (configured !== "") {
    const origin = asOrigin(configured);
    if (!origin) {
      throw new HttpError(503, Code.PUBLIC_URL_INVALID,
        "PUBLIC_URL must be an http(s) origin such as https://connections.example.com (no path).");
    }
    return origin;
  }
  if (insecureLoopbackAllowed(env)) {
    const url = new URL(request.url);
    if (LOOPBACK_HOSTS.has(url.hostname)) return url.origin;
  }
  throw new HttpError(503, Code.PUBLIC_URL_NOT_CONFIGURED,
    "The worker has no PUBLIC_URL variable configured (the origin it is reached at, such as https://connections.example.com), so it cannot build its callback URL or tell its own origin.");
}

/** The OAuth redirect URI registered at the instance for this worker. */
export function callbackUrl(env, request) {
  return `${publicOrigin(env, request)}/oauth2/callback`;
}

/** The platform's request body limit on the paid plans; larger uploads never reach a worker. */
export const DEFAULT_FORWARD_BODY_LIMIT_BYTES = 100 * 1024 * 1024;

/**
 * Largest forwarded request body: FORWARD_BODY_LIMIT_BYTES (a whole number of bytes, as a string or
 * a number) or 100 MB when unset. Anything else is a 503 that names the variable, so a typo neither
 * lifts nor silently changes the limit.
 */
export function forwardBodyLimit(env) {
  const raw = env.FORWARD_BODY_LIMIT_BYTES;
  if (raw === undefined || raw === null || raw === "") return DEFAULT_FORWARD_BODY_LIMIT_BYTES;
  const text = String(raw).trim();
  if (/^[1-9][0-9]{0,15}$/.test(text)) return Number(text);
  throw new HttpError(503, Code.FORWARD_BODY_LIMIT_INVALID,
    "FORWARD_BODY_LIMIT_BYTES must be a whole number of bytes, such as 104857600 for 100 MB.");
}
