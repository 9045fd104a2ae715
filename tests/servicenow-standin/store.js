// In-memory tables behind the stand-in's REST APIs, plus the seeded users and their roles.
// Records are flat objects of strings, as the Table API returns them without display values.
// sys_user records are derived from the seed's users (minus passwords) so both always agree.
// Queries implement the small part of ServiceNow's encoded query language that clients use:
// field=value, field!=value, fieldSTARTSWITHvalue, fieldLIKEvalue, ^ for AND, ORDERBY/ORDERBYDESC,
// and the value javascript:gs.getUserID() for the signed-in user's sys_id. Task tables number new
// records as an instance's number maintenance does: prefix plus seven digits, from 0010001.
// Sources: ServiceNow "Table API" REST reference (sysparm_query, caller_id=javascript:gs.getUserID()),
// "Encoded query strings"; INC0010001 is the first number a new incident gets on a fresh instance.

import { randomBytes } from "node:crypto";

const USER_FIELDS_HIDDEN = new Set(["password", "roles"]);
const CURRENT_USER_ID = "javascript:gs.getUserID()";

// Number prefixes of the task tables an instance numbers on insert.
export const NUMBER_PREFIXES = Object.freeze({
  incident: "INC",
  change_request: "CHG",
  problem: "PRB",
  task: "TASK",
  change_task: "CTASK",
  problem_task: "PTASK",
  sc_request: "REQ",
  sc_req_item: "RITM",
  sc_task: "SCTASK",
});
const FIRST_NUMBER = 10001;
const NUMBER_DIGITS = 7;

export function newSysId() {
  return randomBytes(16).toString("hex");
}

function glideDateTime(date = new Date()) {
  return date.toISOString().slice(0, 19).replace("T", " ");
}

function userRecord(user) {
  const record = {};
  for (const [key, value] of Object.entries(user)) {
    if (!USER_FIELDS_HIDDEN.has(key)) record[key] = String(value);
  }
  record.roles = (user.roles ?? []).join(",");
  record.active ??= "true";
  record.name ??= `${user.first_name ?? ""} ${user.last_name ?? ""}`.trim();
  return record;
}

// Splits one encoded-query term into { field, op, value }; undefined when it is not understood.
function parseTerm(term) {
  const orderDesc = /^ORDERBYDESC([A-Za-z0-9_.]+)$/.exec(term);
  if (orderDesc) return { order: orderDesc[1], descending: true };
  const order = /^ORDERBY([A-Za-z0-9_.]+)$/.exec(term);
  if (order) return { order: order[1], descending: false };
  const match = /^([A-Za-z0-9_.]+?)(!=|=|STARTSWITH|ENDSWITH|LIKE|NOT LIKE)(.*)$/s.exec(term);
  if (!match) return undefined;
  return { field: match[1], op: match[2], value: match[3] };
}

export function parseQuery(text) {
  const conditions = [];
  const ordering = [];
  if (!text) return { conditions, ordering, valid: true };
  for (const term of text.split("^")) {
    if (term === "" || term === "EQ") continue;
    const parsed = parseTerm(term);
    if (!parsed) return { conditions, ordering, valid: false };
    if (parsed.order) ordering.push(parsed);
    else conditions.push(parsed);
  }
  return { conditions, ordering, valid: true };
}

// A condition's value as the instance evaluates it for this user.
function resolveValue(value, currentUser) {
  return value === CURRENT_USER_ID ? currentUser?.sys_id ?? "" : value;
}

function matches(record, { field, op, value }) {
  if (!(field in record)) return false;
  const actual = String(record[field]);
  switch (op) {
    case "=": return actual === value;
    case "!=": return actual !== value;
    case "STARTSWITH": return actual.startsWith(value);
    case "ENDSWITH": return actual.endsWith(value);
    case "LIKE": return actual.toLowerCase().includes(value.toLowerCase());
    case "NOT LIKE": return !actual.toLowerCase().includes(value.toLowerCase());
    default: return false;
  }
}

export function pickFields(record, fields) {
  if (!fields) return { ...record };
  const picked = {};
  for (const field of fields) {
    if (field in record) picked[field] = record[field];
  }
  return picked;
}

export class TableStore {
  #tables = new Map();
  #users = new Map();
  #acls;
  #nextNumbers = new Map();

  constructor(seed) {
    for (const user of seed.users ?? []) this.#users.set(user.user_name, structuredClone(user));
    for (const [name, records] of Object.entries(seed.tables ?? {})) {
      this.#tables.set(name, new Map(records.map((r) => [r.sys_id, structuredClone(r)])));
    }
    if (!this.#tables.has("sys_user")) {
      this.#tables.set("sys_user", new Map([...this.#users.values()].map((u) => [u.sys_id, userRecord(u)])));
    }
    // Attachment metadata; the Attachment API keeps the bytes.
    if (!this.#tables.has("sys_attachment")) this.#tables.set("sys_attachment", new Map());
    this.#acls = structuredClone(seed.acls ?? {});
  }

  user(userName) {
    return this.#users.get(userName);
  }

  userBySysId(sysId) {
    for (const user of this.#users.values()) if (user.sys_id === sysId) return user;
    return undefined;
  }

  // The user whose `field` (user_name, email, sys_id) equals `value`; undefined when none or several do.
  findUser(field, value) {
    if (typeof value !== "string" || value === "") return undefined;
    const found = [...this.#users.values()].filter((user) => String(user[field] ?? "") === value);
    return found.length === 1 ? found[0] : undefined;
  }

  hasTable(table) {
    return this.#tables.has(table);
  }

  // admin passes every ACL, as on an instance; tables without an ACL entry are open to any user.
  allowed(user, table, access) {
    const roles = user.roles ?? [];
    if (roles.includes("admin")) return true;
    const needed = this.#acls[table]?.[access];
    if (!needed) return true;
    return needed.some((role) => roles.includes(role));
  }

  rolesNeeded(table, access) {
    return this.#acls[table]?.[access] ?? [];
  }

  list(table, { query, fields, limit, offset, currentUser }) {
    const { conditions, ordering, valid } = parseQuery(query);
    const resolved = conditions.map((c) => ({ ...c, value: resolveValue(c.value, currentUser) }));
    let rows = valid ? [...this.#tables.get(table).values()] : [];
    rows = rows.filter((record) => resolved.every((c) => matches(record, c)));
    for (const { order, descending } of [...ordering].reverse()) {
      rows.sort((a, b) => {
        const cmp = String(a[order] ?? "").localeCompare(String(b[order] ?? ""));
        return descending ? -cmp : cmp;
      });
    }
    const total = rows.length;
    const page = rows.slice(offset, offset + limit).map((r) => pickFields(r, fields));
    return { total, page };
  }

  get(table, sysId, fields) {
    const record = this.#tables.get(table)?.get(sysId);
    return record ? pickFields(record, fields) : undefined;
  }

  insert(table, values) {
    const now = glideDateTime();
    const record = {};
    for (const [key, value] of Object.entries(values)) record[key] = value === null ? "" : String(value);
    record.sys_id = newSysId();
    if (NUMBER_PREFIXES[table] && !record.number) record.number = this.#nextNumber(table);
    record.sys_created_on = now;
    record.sys_updated_on = now;
    this.#tables.get(table).set(record.sys_id, record);
    return { ...record };
  }

  #nextNumber(table) {
    const next = this.#nextNumbers.get(table) ?? FIRST_NUMBER;
    this.#nextNumbers.set(table, next + 1);
    return `${NUMBER_PREFIXES[table]}${String(next).padStart(NUMBER_DIGITS, "0")}`;
  }

  update(table, sysId, values, fields) {
    const record = this.#tables.get(table)?.get(sysId);
    if (!record) return undefined;
    for (const [key, value] of Object.entries(values)) {
      if (key !== "sys_id") record[key] = value === null ? "" : String(value);
    }
    record.sys_updated_on = glideDateTime();
    return pickFields(record, fields);
  }

  remove(table, sysId) {
    return this.#tables.get(table)?.delete(sysId) ?? false;
  }
}
