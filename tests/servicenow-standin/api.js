// The Table API stand-in: /api/now/table/:table[/:sys_id], also under /api/now/v1 and
// /api/now/v2, over the in-memory store. It answers like an instance: {"result": ...} with
// application/json;charset=UTF-8, X-Total-Count on lists, and {"error":{message,detail},
// "status":"failure"} for every error (401 User Not Authenticated, 403 User Not Authorized,
// 404 for unknown URIs and records, 400 for an unknown table, bad JSON or a missing Accept header).
// Authentication is Basic for seeded users (unless switched off) or a Bearer access token issued
// by this stand-in's OAuth engine. Sources: ServiceNow "Table API" REST reference.

import { timingSafeEqual } from "node:crypto";

import {
  applyFault,
  BodyTooLarge,
  closeAfterAnswer,
  readBody,
  sendEmpty,
  sendHibernating,
  sendJson,
  sendServiceNowError,
} from "./http_io.js";
import { pickFields } from "./store.js";

const BODY_LIMIT = 1024 * 1024;
const DEFAULT_LIMIT = 10_000;
const TABLE_PATH = /^\/api\/now\/(?:(v[0-9]+)\/)?table(?:\/([^/]*))?(?:\/([^/]*))?\/?$/;

const NOT_A_RESOURCE = "Requested URI does not represent any resource";
const NOT_AUTHENTICATED = ["User Not Authenticated", "Required to provide Auth information"];
const NO_RECORD = ["No Record found", "Record doesn't exist or ACL restricts the record retrieval"];

function matchRoute(pathname) {
  const match = TABLE_PATH.exec(pathname);
  if (!match) return undefined;
  const [, version, table, sysId] = match;
  if (!table) return undefined;
  let decodedTable;
  let decodedSysId;
  try {
    decodedTable = decodeURIComponent(table);
    decodedSysId = sysId === undefined || sysId === "" ? undefined : decodeURIComponent(sysId);
  } catch {
    return undefined;
  }
  return { version, table: decodedTable, sysId: decodedSysId };
}

function routeLabel(method, route) {
  if (!route) return `${method} (unknown)`;
  const base = route.version ? `/api/now/${route.version}/table` : "/api/now/table";
  return `${method} ${base}/{table}${route.sysId === undefined ? "" : "/{sys_id}"}`;
}

function acceptsJson(accept) {
  return accept.split(",").some((part) => {
    const type = part.split(";")[0].trim().toLowerCase();
    return type === "application/json" || type === "application/*" || type === "*/*";
  });
}

function safeEqual(expected, given) {
  const a = Buffer.from(String(expected));
  const b = Buffer.from(String(given));
  return a.length === b.length && timingSafeEqual(a, b);
}

function nonNegativeInteger(value) {
  return /^[0-9]{1,9}$/.test(value) ? Number(value) : undefined;
}

export class TableApi {
  constructor({ oauth, store, switches, counters, timers }) {
    this.oauth = oauth;
    this.store = store;
    this.switches = switches;
    this.counters = counters;
    this.timers = timers;
  }

  async handle(req, res, url) {
    const route = matchRoute(url.pathname);
    const label = routeLabel(req.method, route);
    res.once("close", () => {
      this.counters.apiCall(label, res.writableFinished ? res.statusCode : "dropped");
    });

    if (this.switches.get("hibernating")) {
      sendHibernating(res);
      return;
    }
    const rate = this.switches.checkRate();
    if (rate) {
      for (const [name, value] of Object.entries(rate.headers)) res.setHeader(name, value);
      if (rate.limited) {
        sendServiceNowError(res, 429, "Rate limit exceeded",
          `Too many requests. Retry after ${rate.headers["Retry-After"]} seconds.`);
        return;
      }
    }
    const fault = this.switches.takeFault("apiFault");
    if (fault && await applyFault(res, fault, this.timers, "api")) return;

    if (!route || (route.version && !this.switches.get("apiVersions").includes(route.version))) {
      sendServiceNowError(res, 404, NOT_A_RESOURCE, null);
      return;
    }
    const accept = req.headers.accept;
    if (accept === undefined || accept.trim() === "") {
      sendServiceNowError(res, 400, "Accept header is missing", "Send Accept: application/json");
      return;
    }
    if (!acceptsJson(accept)) {
      sendServiceNowError(res, 406, "Requested response format is not supported", `Accept: ${accept.slice(0, 100)}`);
      return;
    }
    const user = await this.#authenticate(req);
    if (!user) {
      const challenge = this.switches.get("basicDisabled") ? {} : { "WWW-Authenticate": 'Basic realm="Service-now"' };
      sendServiceNowError(res, 401, ...NOT_AUTHENTICATED, challenge);
      return;
    }
    await this.#dispatch(req, res, url, route, user);
  }

  async #authenticate(req) {
    const header = req.headers.authorization;
    if (typeof header !== "string") return undefined;
    const space = header.indexOf(" ");
    if (space === -1) return undefined;
    const scheme = header.slice(0, space).toLowerCase();
    const credentials = header.slice(space + 1).trim();
    if (scheme === "basic") {
      if (this.switches.get("basicDisabled")) return undefined;
      const decoded = Buffer.from(credentials, "base64").toString("utf8");
      const colon = decoded.indexOf(":");
      if (colon === -1) return undefined;
      const user = this.store.user(decoded.slice(0, colon));
      return user && safeEqual(user.password, decoded.slice(colon + 1)) ? user : undefined;
    }
    if (scheme === "bearer") {
      const accountId = await this.oauth.accountForAccessToken(credentials);
      return accountId === undefined ? undefined : this.store.user(accountId);
    }
    return undefined;
  }

  async #dispatch(req, res, url, route, user) {
    const { table, sysId } = route;
    const method = req.method;
    const allowed = sysId === undefined ? ["GET", "POST"] : ["GET", "PUT", "PATCH", "DELETE"];
    if (!allowed.includes(method)) {
      sendServiceNowError(res, 405, "Method not Supported", `${method.slice(0, 20)} method not supported for API`,
        { Allow: allowed.join(", ") });
      return;
    }
    if (!this.store.hasTable(table)) {
      sendServiceNowError(res, 400, `Invalid table ${table}`, null);
      return;
    }
    const access = method === "GET" ? "read" : "write";
    if (!this.store.allowed(user, table, access)) {
      const roles = this.store.rolesNeeded(table, access);
      sendServiceNowError(res, 403, "User Not Authorized",
        `${access === "read" ? "Read" : "Write"} access to table ${table} is denied by ACL; roles needed: ${roles.join(", ")}`);
      return;
    }

    const query = url.searchParams;
    const fields = query.get("sysparm_fields")
      ? query.get("sysparm_fields").split(",").map((f) => f.trim()).filter(Boolean)
      : undefined;

    if (method === "GET" && sysId === undefined) {
      const limit = query.has("sysparm_limit") ? nonNegativeInteger(query.get("sysparm_limit")) : DEFAULT_LIMIT;
      const offset = query.has("sysparm_offset") ? nonNegativeInteger(query.get("sysparm_offset")) : 0;
      if (limit === undefined || offset === undefined) {
        const name = limit === undefined ? "sysparm_limit" : "sysparm_offset";
        sendServiceNowError(res, 400, `Invalid value for ${name}`, `${name} must be a non-negative integer`);
        return;
      }
      const { total, page } = this.store.list(table, {
        query: query.get("sysparm_query") ?? "",
        fields,
        limit,
        offset,
      });
      sendJson(res, 200, { result: page }, { "X-Total-Count": String(total) });
      return;
    }
    if (method === "GET") {
      const record = this.store.get(table, sysId, fields);
      if (!record) sendServiceNowError(res, 404, ...NO_RECORD);
      else sendJson(res, 200, { result: record });
      return;
    }
    if (method === "DELETE") {
      if (this.store.remove(table, sysId)) sendEmpty(res, 204);
      else sendServiceNowError(res, 404, ...NO_RECORD);
      return;
    }

    const values = await this.#readRecordBody(req, res);
    if (!values) return;
    if (method === "POST") {
      const record = this.store.insert(table, values);
      const location = `${url.origin}/api/now/table/${encodeURIComponent(table)}/${record.sys_id}`;
      sendJson(res, 201, { result: pickFields(record, fields) }, { Location: location });
      return;
    }
    const record = this.store.update(table, sysId, values, fields);
    if (!record) sendServiceNowError(res, 404, ...NO_RECORD);
    else sendJson(res, 200, { result: record });
  }

  // A record body is a JSON object; anything else is refused the way an instance refuses it.
  async #readRecordBody(req, res) {
    const contentType = req.headers["content-type"];
    if (contentType && !/^application\/json\b/i.test(contentType)) {
      sendServiceNowError(res, 415, "Unsupported Media Type", `Content-Type ${contentType.slice(0, 100)} is not supported; send application/json`);
      return undefined;
    }
    let body;
    try {
      body = await readBody(req, BODY_LIMIT);
    } catch (error) {
      if (!(error instanceof BodyTooLarge)) throw error;
      closeAfterAnswer(res);
      sendServiceNowError(res, 413, "Request entity too large", `The request body exceeds ${BODY_LIMIT} bytes`);
      return undefined;
    }
    let values;
    try {
      values = JSON.parse(body.toString("utf8"));
    } catch {
      sendServiceNowError(res, 400, "Exception while reading request", "The payload is not valid JSON.");
      return undefined;
    }
    if (values === null || typeof values !== "object" || Array.isArray(values)) {
      sendServiceNowError(res, 400, "Exception while reading request", "The payload must be a JSON object.");
      return undefined;
    }
    for (const value of Object.values(values)) {
      if (value !== null && typeof value === "object") {
        sendServiceNowError(res, 400, "Exception while reading request", "Field values must be strings, numbers, booleans or null.");
        return undefined;
      }
    }
    return values;
  }
}
