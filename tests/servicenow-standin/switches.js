// The stand-in's test switches: token lifetimes, hibernation, rate limiting, injected faults,
// Basic auth, allowed API versions, the token error style, tables whose reads an ACL refuses, the
// largest attachment accepted, and the two instance properties that switch server-to-server grants. One Switches object per stand-in;
// it is changed through configure(patch) in-process or POST /__standin/config over HTTP, and both
// go through the same validation so a bad patch is refused whole with a message naming the field.

export const FAULT_KINDS = Object.freeze(["500", "503", "delay", "malformed_json", "garbage", "html", "drop"]);
export const TOKEN_ERROR_STYLES = Object.freeze(["servicenow", "rfc"]);
export const KNOWN_API_VERSIONS = Object.freeze(["v1", "v2"]);

// ServiceNow's defaults for an Application Registry record: 30 minutes and 100 days.
export const DEFAULT_ACCESS_TTL = 1800;
export const DEFAULT_REFRESH_TTL = 8_640_000;
// An instance accepts attachments up to com.glide.attachment.max_size (1024 MB by default); the
// stand-in keeps files in memory, so its own default is lower.
export const DEFAULT_ATTACHMENT_MAX_BYTES = 200 * 1024 * 1024;
const MAX_ATTACHMENT_BYTES = 1024 * 1024 * 1024;

const MAX_TTL = 10 * 365 * 24 * 3600;
const MAX_DELAY_MS = 120_000;

export class SwitchError extends Error {
  constructor(field, message) {
    super(`${field}: ${message}`);
    this.name = "SwitchError";
    this.field = field;
  }
}

export function defaultSwitches() {
  return {
    accessTtl: DEFAULT_ACCESS_TTL,
    refreshTtl: DEFAULT_REFRESH_TTL,
    hibernating: false,
    basicDisabled: false,
    rateLimit: null,
    tokenFault: null,
    apiFault: null,
    apiVersions: [...KNOWN_API_VERSIONS],
    tokenErrorStyle: "servicenow",
    readDenied: [],
    attachmentMaxBytes: DEFAULT_ATTACHMENT_MAX_BYTES,
    clientCredentialsEnabled: false,
    passwordGrantDisabled: false,
  };
}

function positiveInteger(field, value, max) {
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new SwitchError(field, `must be an integer from 1 to ${max}`);
  }
  return value;
}

function boolean(field, value) {
  if (typeof value !== "boolean") throw new SwitchError(field, "must be true or false");
  return value;
}

function plainObject(field, value) {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new SwitchError(field, "must be an object or null");
  }
  return value;
}

function rejectUnknownKeys(field, value, allowed) {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) throw new SwitchError(`${field}.${key}`, "is not a known setting");
  }
}

function rateLimit(value) {
  if (value === null || value === false) return null;
  plainObject("rateLimit", value);
  rejectUnknownKeys("rateLimit", value, ["limit", "windowSeconds"]);
  return {
    limit: positiveInteger("rateLimit.limit", value.limit, 1_000_000),
    windowSeconds: positiveInteger("rateLimit.windowSeconds", value.windowSeconds ?? 60, 86_400),
  };
}

function fault(field, value) {
  if (value === null || value === false) return null;
  plainObject(field, value);
  rejectUnknownKeys(field, value, ["kind", "count", "delayMs"]);
  const kind = String(value.kind);
  if (!FAULT_KINDS.includes(kind)) {
    throw new SwitchError(`${field}.kind`, `must be one of ${FAULT_KINDS.join(", ")}`);
  }
  const count = value.count === undefined || value.count === null
    ? null
    : positiveInteger(`${field}.count`, value.count, 1_000_000);
  let delayMs = 0;
  if (kind === "delay") {
    if (!Number.isInteger(value.delayMs) || value.delayMs < 0 || value.delayMs > MAX_DELAY_MS) {
      throw new SwitchError(`${field}.delayMs`, `must be an integer from 0 to ${MAX_DELAY_MS}`);
    }
    delayMs = value.delayMs;
  } else if (value.delayMs !== undefined) {
    throw new SwitchError(`${field}.delayMs`, "only applies to kind \"delay\"");
  }
  return { kind, count, delayMs };
}

function apiVersions(value) {
  if (!Array.isArray(value) || value.length === 0) {
    throw new SwitchError("apiVersions", `must be a non-empty array of ${KNOWN_API_VERSIONS.join(", ")}`);
  }
  for (const version of value) {
    if (!KNOWN_API_VERSIONS.includes(version)) {
      throw new SwitchError("apiVersions", `unknown version ${JSON.stringify(version)}; known: ${KNOWN_API_VERSIONS.join(", ")}`);
    }
  }
  return [...new Set(value)];
}

function tableNames(value) {
  if (!Array.isArray(value)) throw new SwitchError("readDenied", "must be an array of table names");
  for (const name of value) {
    if (typeof name !== "string" || !/^[A-Za-z0-9_]{1,80}$/.test(name)) {
      throw new SwitchError("readDenied", `${JSON.stringify(name)} is not a table name`);
    }
  }
  return [...new Set(value)];
}

const VALIDATORS = {
  accessTtl: (v) => positiveInteger("accessTtl", v, MAX_TTL),
  refreshTtl: (v) => positiveInteger("refreshTtl", v, MAX_TTL),
  hibernating: (v) => boolean("hibernating", v),
  basicDisabled: (v) => boolean("basicDisabled", v),
  rateLimit,
  tokenFault: (v) => fault("tokenFault", v),
  apiFault: (v) => fault("apiFault", v),
  apiVersions,
  tokenErrorStyle: (v) => {
    if (!TOKEN_ERROR_STYLES.includes(v)) {
      throw new SwitchError("tokenErrorStyle", `must be one of ${TOKEN_ERROR_STYLES.join(", ")}`);
    }
    return v;
  },
  readDenied: tableNames,
  attachmentMaxBytes: (v) => positiveInteger("attachmentMaxBytes", v, MAX_ATTACHMENT_BYTES),
  // The instance's glide.oauth.inbound.client.credential.grant_type.enabled property (false by default).
  clientCredentialsEnabled: (v) => boolean("clientCredentialsEnabled", v),
  // The instance's glide.oauth.inbound.ropc.grant_type.disabled property (false by default).
  passwordGrantDisabled: (v) => boolean("passwordGrantDisabled", v),
};

export const SWITCH_NAMES = Object.freeze(Object.keys(VALIDATORS));

// Validates the whole patch before applying any of it.
export function validatePatch(patch) {
  if (patch === null || typeof patch !== "object" || Array.isArray(patch)) {
    throw new SwitchError("config", "must be a JSON object");
  }
  const clean = {};
  for (const [name, value] of Object.entries(patch)) {
    const validate = VALIDATORS[name];
    if (!validate) throw new SwitchError(name, `is not a known switch; known: ${SWITCH_NAMES.join(", ")}`);
    clean[name] = validate(value);
  }
  return clean;
}

export class Switches {
  #values = defaultSwitches();
  #rateWindow = { startedAt: 0, calls: 0 };

  constructor(initial = {}) {
    this.apply(initial);
  }

  apply(patch) {
    const clean = validatePatch(patch);
    Object.assign(this.#values, clean);
    if ("rateLimit" in clean) this.#rateWindow = { startedAt: 0, calls: 0 };
    return this.snapshot();
  }

  get(name) {
    return this.#values[name];
  }

  snapshot() {
    return structuredClone(this.#values);
  }

  // Returns the fault to inject on this call, counting it down; null when none applies.
  takeFault(name) {
    const current = this.#values[name];
    if (!current) return null;
    if (current.count !== null) {
      current.count -= 1;
      if (current.count <= 0) this.#values[name] = null;
    }
    return { kind: current.kind, delayMs: current.delayMs };
  }

  // Fixed window that starts with the first call after the previous window ended.
  // Returns null when the call is allowed, else what the 429 answer needs.
  checkRate(nowMs = Date.now()) {
    const limit = this.#values.rateLimit;
    if (!limit) return null;
    const windowMs = limit.windowSeconds * 1000;
    if (nowMs >= this.#rateWindow.startedAt + windowMs) {
      this.#rateWindow = { startedAt: nowMs, calls: 0 };
    }
    this.#rateWindow.calls += 1;
    const resetMs = this.#rateWindow.startedAt + windowMs;
    const headers = {
      "X-RateLimit-Limit": String(limit.limit),
      "X-RateLimit-Reset": String(Math.ceil(resetMs / 1000)),
    };
    if (this.#rateWindow.calls <= limit.limit) return { limited: false, headers };
    return {
      limited: true,
      headers: { ...headers, "Retry-After": String(Math.max(1, Math.ceil((resetMs - nowMs) / 1000))) },
    };
  }
}
