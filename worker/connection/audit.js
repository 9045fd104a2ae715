// A connection's audit trail: two logs of at most 1,000 records each — `traffic` (forwarded requests)
// and `admin` (created, settings changed, Generate, callback result, Reset, access key created, changed
// or revoked, Test Connection result) — kept apart so traffic never pushes administrative events out.
// A record says when, who (the admin, an access key by id and name, or the callback), what (method and
// API path with the names of its query parameters, never their values; or the event), the status,
// and for traffic the time taken and the bytes each way. Nothing secret and no record data is kept.
//
// Records are numbered per log and stored as `audit:<log>:<number>`; writing number n drops n - 1,000.
// Administrative events are stored before the operation answers. Traffic records are gathered for a
// moment and committed together (one transaction), so a busy connection does not write once per
// request; what was gathered when the object is reset is lost, never more than that moment's records. Reading commits what was gathered first, and pages newest first with
// a cursor (the number of the last record returned).

import { Code, HttpError } from "../errors.js";

export const AUDIT_PREFIX = "audit:";
export const LOGS = ["traffic", "admin"];
const KEPT = 1000;
const FLUSH_AFTER_MS = 200;
const FLUSH_AT = 50;
const MAX_PAGE = 200;
const NUMBER_WIDTH = 16;

function recordName(log, number) {
  return `${AUDIT_PREFIX}${log}:${String(number).padStart(NUMBER_WIDTH, "0")}`;
}

export class AuditTrail {
  #store;
  #next = {};
  #pending = [];
  #timer = null;
  #flushing = Promise.resolve();

  constructor(store) {
    this.#store = store;
  }

  /** Adds a record to `log` and stores it (with whatever was gathered) before resolving. */
  recordNow(log, entry) {
    this.#pending.push({ log, entry: { at: Date.now(), ...entry } });
    return this.flush();
  }

  /** Adds a record to `log` ("traffic" or "admin"); committed within a moment. */
  record(log, entry) {
    this.#pending.push({ log, entry: { at: Date.now(), ...entry } });
    if (this.#pending.length >= FLUSH_AT) {
      this.flush();
    } else if (this.#timer === null) {
      this.#timer = setTimeout(() => this.flush(), FLUSH_AFTER_MS);
    }
  }

  /** Commits what was gathered; resolves when it is stored. */
  flush() {
    clearTimeout(this.#timer);
    this.#timer = null;
    const batch = this.#pending;
    this.#pending = [];
    this.#flushing = this.#flushing.then(() => this.#write(batch)).catch((error) => {
      console.error(JSON.stringify({ event: "audit_write_failed", connection: this.#store.id, name: error?.name }));
    });
    return this.#flushing;
  }

  async #nextNumber(log) {
    if (this.#next[log] === undefined) {
      const last = await this.#store.list(`${AUDIT_PREFIX}${log}:`, { reverse: true, limit: 1 });
      const [name] = [...last.keys()];
      this.#next[log] = name ? Number(name.slice(name.lastIndexOf(":") + 1)) + 1 : 1;
    }
    const number = this.#next[log];
    this.#next[log] += 1;
    return number;
  }

  async #write(batch) {
    if (batch.length === 0) return;
    // A connection deleted meanwhile keeps no trail (and gets no storage back).
    if (!(await this.#store.config())) return;
    const put = {};
    const remove = [];
    for (const { log, entry } of batch) {
      const number = await this.#nextNumber(log);
      put[recordName(log, number)] = { id: String(number), ...entry };
      if (number > KEPT) remove.push(recordName(log, number - KEPT));
    }
    await this.#store.commit({ put, remove });
  }

  /** Forgets the numbering, after the connection's records were all deleted. */
  reset() {
    clearTimeout(this.#timer);
    this.#timer = null;
    this.#pending = [];
    this.#next = {};
  }

  /**
   * One page of `log`, newest first: `{log, entries, nextCursor}`; `cursor` is the `nextCursor` of the
   * page before (the id of its last record), `limit` 1 to 200 (default 100).
   */
  async page(log, { cursor = null, limit = 100 } = {}) {
    if (!LOGS.includes(log)) {
      throw new HttpError(400, Code.INVALID_AUDIT_QUERY, `log must be one of ${LOGS.join(", ")}.`, { field: "log" });
    }
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_PAGE) {
      throw new HttpError(400, Code.INVALID_AUDIT_QUERY, `limit must be a whole number from 1 to ${MAX_PAGE}.`, { field: "limit" });
    }
    if (cursor !== null && !/^[1-9][0-9]{0,15}$/.test(cursor)) {
      throw new HttpError(400, Code.INVALID_CURSOR, "cursor must be the nextCursor of an earlier page.", { field: "cursor" });
    }
    await this.#store.requireConfig();
    await this.flush();
    const options = { reverse: true, limit: limit + 1 };
    if (cursor !== null) options.end = recordName(log, Number(cursor));
    const found = [...(await this.#store.list(`${AUDIT_PREFIX}${log}:`, options)).values()];
    const entries = found.slice(0, limit);
    return { log, entries, nextCursor: found.length > limit ? entries[entries.length - 1].id : null };
  }
}
