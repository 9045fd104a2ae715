// The Table API: /api/now/table/:table[/:sys_id], also under /api/now/v1 and /api/now/v2, over the
// in-memory store. Lists answer {"result":[…]} with X-Total-Count and the paging Link header;
// records {"result":{…}}; creates 201 with Location and, on task tables, a new number (INC0010001…).
// Errors are ServiceNow's: 405 for a method the resource lacks, 400 "Invalid table", 403 "User Not
// Authorized" when an ACL refuses (always for tables in the readDenied switch), 400 for bad paging
// values, 404 "No Record found". sysparm_query may use javascript:gs.getUserID() for the caller,
// so sys_user?sysparm_query=sys_id=javascript:gs.getUserID() reads the caller's own record.
// Sources: ServiceNow "Table API" REST reference.

import { pageHeaders, PagingError, readPaging } from "./paging.js";
import { readRecordBody, sendMethodNotAllowed } from "./rest_body.js";
import { sendEmpty, sendJson, sendServiceNowError } from "./http_io.js";
import { pickFields } from "./store.js";

const DEFAULT_LIMIT = 10_000;
const TABLE_PATH = /^\/api\/now\/(?:(v[0-9]+)\/)?table(?:\/([^/]*))?(?:\/([^/]*))?\/?$/;
export const NO_RECORD = ["No Record found", "Record doesn't exist or ACL restricts the record retrieval"];

export function requestedFields(searchParams) {
  const text = searchParams.get("sysparm_fields");
  return text ? text.split(",").map((f) => f.trim()).filter(Boolean) : undefined;
}

/** Answers 403 when the ACL (or the readDenied switch) refuses `access` to `table`; returns whether it did. */
export function refuseByAcl(res, { store, switches }, user, table, access) {
  const deniedRead = access === "read" && switches.get("readDenied").includes(table);
  if (!deniedRead && store.allowed(user, table, access)) return false;
  const roles = deniedRead ? [] : store.rolesNeeded(table, access);
  const detail = deniedRead
    ? `Read access to table ${table} is denied by ACL`
    : `${access === "read" ? "Read" : "Write"} access to table ${table} is denied by ACL; roles needed: ${roles.join(", ")}`;
  sendServiceNowError(res, 403, "User Not Authorized", detail);
  return true;
}

export class TableApi {
  constructor({ store, switches }) {
    this.store = store;
    this.switches = switches;
  }

  versions() {
    return this.switches.get("apiVersions");
  }

  match(pathname) {
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
    const base = version ? `/api/now/${version}/table` : "/api/now/table";
    return {
      version,
      template: `${base}/{table}${decodedSysId === undefined ? "" : "/{sys_id}"}`,
      table: decodedTable,
      sysId: decodedSysId,
    };
  }

  async handle({ req, res, url, route, user, origin }) {
    const { table, sysId } = route;
    const method = req.method;
    const allowed = sysId === undefined ? ["GET", "POST"] : ["GET", "PUT", "PATCH", "DELETE"];
    if (!allowed.includes(method)) {
      sendMethodNotAllowed(res, method, allowed);
      return;
    }
    if (!this.store.hasTable(table)) {
      sendServiceNowError(res, 400, `Invalid table ${table}`, null);
      return;
    }
    if (refuseByAcl(res, this, user, table, method === "GET" ? "read" : "write")) return;

    const query = url.searchParams;
    const fields = requestedFields(query);

    if (method === "GET" && sysId === undefined) {
      let paging;
      try {
        paging = readPaging(query, DEFAULT_LIMIT);
      } catch (error) {
        if (!(error instanceof PagingError)) throw error;
        sendServiceNowError(res, 400, `Invalid value for ${error.parameter}`, error.message);
        return;
      }
      const { total, page } = this.store.list(table, {
        query: query.get("sysparm_query") ?? "",
        fields,
        ...paging,
        currentUser: user,
      });
      sendJson(res, 200, { result: page },
        pageHeaders({ origin, pathname: url.pathname, rawQuery: url.search, total, ...paging }));
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

    const values = await readRecordBody(req, res);
    if (!values) return;
    if (method === "POST") {
      const record = this.store.insert(table, values);
      const location = `${origin}/api/now/table/${encodeURIComponent(table)}/${record.sys_id}`;
      sendJson(res, 201, { result: pickFields(record, fields) }, { Location: location });
      return;
    }
    const record = this.store.update(table, sysId, values, fields);
    if (!record) sendServiceNowError(res, 404, ...NO_RECORD);
    else sendJson(res, 200, { result: record });
  }
}
