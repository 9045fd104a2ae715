// A connection's access keys (access-keys.js has their format): created with a name and an optional
// scope — methods, API path prefixes (key-scope.js), an expiry — shown once, and stored as one record
// each holding the SHA-256 hash of the key, never the key; listed without it; renamed or re-scoped;
// revoked at once by deleting the record. `authorize` is the check of a key the router already found
// well-formed and of this connection: it exists (the hash matches, in constant time), has not expired,
// and allows the method and the path — 401 for the first two, 403 with the limit's code for the last.
// When a key was last used is kept to the minute, so a busy key does not write on every request.

import { fieldCodes } from "../core.js";
import { sameText } from "../derived-keys.js";
import { Code, HttpError } from "../errors.js";
import { FORWARD_METHODS } from "../http.js";
import { checkPaths, pathAllowed, requestSegments } from "./key-scope.js";

export const KEY_RECORD_PREFIX = "access-key:";
const MAX_KEYS = 100;
const MAX_NAME_LENGTH = 100;
const MAX_LIFETIME_MS = 10 * 365 * 86_400_000;
const LAST_USED_PRECISION_MS = 60_000;
const BODY_KEYS = new Set(["name", "methods", "paths", "expiresAt"]);

function unauthorized(message) {
  return new HttpError(401, Code.UNAUTHORIZED, message, { headers: { "www-authenticate": 'Bearer realm="servicenow-connection"' } });
}

/** What a listing shows of a key: everything but its hash. */
export function keyView(record) {
  const { id, name, methods, paths, createdAt, expiresAt, lastUsedAt } = record;
  return { id, name, methods, paths, createdAt, expiresAt, lastUsedAt };
}

function invalid(errors) {
  const first = errors[0];
  const message = errors.length === 1 ? first.message : `${first.message} (and ${errors.length - 1} more problems)`;
  return new HttpError(422, Code.INVALID_KEY_REQUEST, message, { field: first.field, errors });
}

/**
 * The members of a create (`partial` false: `name` required) or edit body, checked: `{name?,
 * methods?, paths?, expiresAt?}` with null meaning "no limit".
 */
function readKeyBody(body, { partial }) {
  const errors = [];
  const read = {};
  for (const key of Object.keys(body)) {
    if (!BODY_KEYS.has(key)) errors.push({ field: key, code: Code.UNKNOWN_FIELD, message: `${key} is not a setting of an access key.` });
  }
  if (body.name !== undefined || !partial) {
    const name = typeof body.name === "string" ? body.name.trim() : body.name;
    if (typeof name !== "string" || name === "") {
      errors.push({ field: "name", code: fieldCodes.required, message: "Name is required: say which application uses the key." });
    } else if (name.length > MAX_NAME_LENGTH) {
      errors.push({ field: "name", code: fieldCodes.too_long, message: `Name must be at most ${MAX_NAME_LENGTH} characters.` });
    } else if (/\p{Cc}/u.test(name)) {
      errors.push({ field: "name", code: fieldCodes.control_character, message: "Name must not contain control characters." });
    } else {
      read.name = name;
    }
  }
  if (body.methods !== undefined) {
    if (body.methods === null) {
      read.methods = null;
    } else if (!Array.isArray(body.methods) || body.methods.length === 0
      || body.methods.some((m) => typeof m !== "string" || !FORWARD_METHODS.includes(m.toUpperCase()))) {
      errors.push({ field: "methods", code: "invalid_methods",
        message: `methods must be a list of ${FORWARD_METHODS.join(", ")} (for example ["GET", "HEAD"] for read-only), or null for every method.` });
    } else {
      read.methods = [...new Set(body.methods.map((m) => m.toUpperCase()))];
    }
  }
  if (body.paths !== undefined) {
    if (body.paths === null) {
      read.paths = null;
    } else {
      const problems = checkPaths(body.paths);
      if (problems.length > 0) errors.push(...problems);
      else read.paths = [...body.paths];
    }
  }
  if (body.expiresAt !== undefined) {
    const now = Date.now();
    if (body.expiresAt === null) {
      read.expiresAt = null;
    } else if (!Number.isSafeInteger(body.expiresAt) || body.expiresAt <= now || body.expiresAt > now + MAX_LIFETIME_MS) {
      errors.push({ field: "expiresAt", code: fieldCodes.out_of_range,
        message: "expiresAt must be a time in the future (milliseconds since 1970), at most 10 years ahead, or null for no expiry." });
    } else {
      read.expiresAt = body.expiresAt;
    }
  }
  if (errors.length > 0) throw invalid(errors);
  return read;
}

export class AccessKeys {
  #store;
  #issue;

  /** `issue()` makes a new key for this connection: `{key, keyId, hash}` (access-keys.js). */
  constructor(store, issue) {
    this.#store = store;
    this.#issue = issue;
  }

  #record(keyId) {
    return this.#store.get(KEY_RECORD_PREFIX + keyId);
  }

  /** Creates a key: `{key, ...view}`, the key itself shown this once. */
  async create(body) {
    await this.#store.requireConfig();
    const read = readKeyBody(body, { partial: false });
    const existing = await this.#store.list(KEY_RECORD_PREFIX);
    if (existing.size >= MAX_KEYS) {
      throw new HttpError(409, Code.TOO_MANY_KEYS, `A connection has at most ${MAX_KEYS} access keys; revoke one first.`);
    }
    const { key, keyId, hash } = await this.#issue();
    const record = {
      id: keyId, name: read.name, hash, methods: read.methods ?? null, paths: read.paths ?? null,
      createdAt: Date.now(), expiresAt: read.expiresAt ?? null, lastUsedAt: null,
    };
    await this.#store.commit({ put: { [KEY_RECORD_PREFIX + keyId]: record } });
    return { key, ...keyView(record) };
  }

  async list() {
    await this.#store.requireConfig();
    const records = [...(await this.#store.list(KEY_RECORD_PREFIX)).values()];
    records.sort((a, b) => b.createdAt - a.createdAt);
    return records.map(keyView);
  }

  async #requireKey(keyId) {
    await this.#store.requireConfig();
    const record = await this.#record(keyId);
    if (!record) throw new HttpError(404, Code.KEY_NOT_FOUND, "There is no such access key on this connection (it may have been revoked).");
    return record;
  }

  /** Renames or re-scopes a key; its secret stays the same. */
  async edit(keyId, body) {
    const record = await this.#requireKey(keyId);
    const next = { ...record, ...readKeyBody(body, { partial: true }) };
    await this.#store.commit({ put: { [KEY_RECORD_PREFIX + keyId]: next } });
    return keyView(next);
  }

  /** Revokes a key: its record is gone, so the key is refused from the next request on. Returns its view. */
  async revoke(keyId) {
    const record = await this.#requireKey(keyId);
    await this.#store.commit({ remove: [KEY_RECORD_PREFIX + keyId] });
    return keyView(record);
  }

  /**
   * Checks a key (`{keyId, hash}`) for a request: `request` is `{method, route, path}` for the
   * forwarding routes, absent for Test Connection. Returns the key's record; throws 401 or 403.
   */
  async authorize({ keyId, hash }, request) {
    const record = await this.#record(keyId);
    if (!record || !sameText(record.hash, hash)) {
      throw unauthorized("This access key is not valid for this connection: it is unknown or was revoked.");
    }
    const now = Date.now();
    if (record.expiresAt !== null && now >= record.expiresAt) {
      throw unauthorized(`This access key expired at ${new Date(record.expiresAt).toISOString()}.`);
    }
    if (request) {
      if (record.methods !== null && !record.methods.includes(request.method)) {
        throw new HttpError(403, Code.KEY_METHOD_NOT_ALLOWED,
          `This access key allows ${record.methods.join(", ")} only, not ${request.method}.`);
      }
      if (record.paths !== null && !pathAllowed(record.paths, requestSegments(request.route, request.path))) {
        throw new HttpError(403, Code.KEY_PATH_NOT_ALLOWED,
          `This access key allows only paths below ${record.paths.map((p) => `"${p}"`).join(", ")}.`);
      }
    }
    if (record.lastUsedAt === null || now - record.lastUsedAt >= LAST_USED_PRECISION_MS) {
      await this.#store.commit({ put: { [KEY_RECORD_PREFIX + keyId]: { ...record, lastUsedAt: now } } });
    }
    return record;
  }
}
