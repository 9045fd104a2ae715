// The Change Management API's change-request basics, enough for a client to prove it reaches the
// sn_chg_rest namespace:
//   GET  /api/sn_chg_rest/change[?sysparm_query=…|<field>=<value>…&sysparm_offset=&sysparm_limit=]
//   POST /api/sn_chg_rest/change   JSON body (or query parameters) with the new request's fields
//   GET  /api/sn_chg_rest/change/<sys_id>
// also under /api/sn_chg_rest/v1/. Records come from the store's change_request table, so a new one
// gets the next CHG number, and every field is answered as {"value","display_value"} as this API
// does. Creating answers 200 (as documented), and sets type "normal", state "-5" (New) and the
// change model from the type when the request leaves them out. Table ACLs of change_request apply.
// Sources: ServiceNow "Change Management API" REST reference (GET/POST /sn_chg_rest/change,
// GET /sn_chg_rest/change/{sys_id}: parameters, status codes, example answers).

import { sendJson, sendServiceNowError } from "./http_io.js";
import { PagingError, readPaging } from "./paging.js";
import { readRecordBody, sendMethodNotAllowed } from "./rest_body.js";
import { NO_RECORD, refuseByAcl } from "./table_api.js";

const CHANGE_PATH = /^\/api\/sn_chg_rest\/(?:(v[0-9]+)\/)?change(?:\/([^/]+))?\/?$/;
const CHANGE_TABLE = "change_request";
const DEFAULT_LIMIT = 10_000;
const NOT_FILTERS = new Set(["order", "textSearch"]);

function withDisplayValues(record) {
  return Object.fromEntries(Object.entries(record).map(([field, value]) => [field, { display_value: value, value }]));
}

// The name-value filters of a list request as an encoded query ("active=true&state=-5" -> "active=true^state=-5").
function encodedQuery(searchParams) {
  if (searchParams.get("sysparm_query")) return searchParams.get("sysparm_query");
  const terms = [];
  for (const [name, value] of searchParams) {
    if (!name.startsWith("sysparm_") && !NOT_FILTERS.has(name) && /^[A-Za-z0-9_.]+$/.test(name)) terms.push(`${name}=${value}`);
  }
  if (searchParams.get("order") && /^[A-Za-z0-9_.]+$/.test(searchParams.get("order"))) terms.push(`ORDERBY${searchParams.get("order")}`);
  return terms.join("^");
}

export class ChangeApi {
  constructor({ store, switches }) {
    this.store = store;
    this.switches = switches;
  }

  versions() {
    return ["v1"];
  }

  match(pathname) {
    const match = CHANGE_PATH.exec(pathname);
    if (!match) return undefined;
    const [, version, sysId] = match;
    let decoded;
    try {
      decoded = sysId === undefined ? undefined : decodeURIComponent(sysId);
    } catch {
      return undefined;
    }
    const base = version ? `/api/sn_chg_rest/${version}/change` : "/api/sn_chg_rest/change";
    return { version, template: decoded === undefined ? base : `${base}/{sys_id}`, sysId: decoded };
  }

  async handle({ req, res, url, route, user }) {
    const allowed = route.sysId === undefined ? ["GET", "POST"] : ["GET"];
    if (!allowed.includes(req.method)) {
      sendMethodNotAllowed(res, req.method, allowed);
      return;
    }
    if (!this.store.hasTable(CHANGE_TABLE)) {
      sendServiceNowError(res, 400, `Invalid table ${CHANGE_TABLE}`, null);
      return;
    }
    const access = req.method === "GET" ? "read" : "write";
    if (refuseByAcl(res, this, user, CHANGE_TABLE, access)) return;

    if (route.sysId !== undefined) {
      const record = this.store.get(CHANGE_TABLE, route.sysId);
      if (!record) sendServiceNowError(res, 404, ...NO_RECORD);
      else sendJson(res, 200, { result: withDisplayValues(record) });
      return;
    }
    if (req.method === "GET") {
      let paging;
      try {
        paging = readPaging(url.searchParams, DEFAULT_LIMIT);
      } catch (error) {
        if (!(error instanceof PagingError)) throw error;
        sendServiceNowError(res, 400, `Invalid value for ${error.parameter}`, error.message);
        return;
      }
      const { page } = this.store.list(CHANGE_TABLE, { query: encodedQuery(url.searchParams), ...paging, currentUser: user });
      sendJson(res, 200, { result: page.map(withDisplayValues) });
      return;
    }
    const body = await readRecordBody(req, res, { allowEmpty: true });
    if (!body) return;
    const fromQuery = Object.fromEntries([...url.searchParams].filter(([name]) => !name.startsWith("sysparm_")));
    const values = { ...fromQuery, ...body };
    values.type ??= "normal";
    values.state ??= "-5";
    values.chg_model ??= `${String(values.type).charAt(0).toUpperCase()}${String(values.type).slice(1)}`;
    values.active ??= "true";
    const record = this.store.insert(CHANGE_TABLE, values);
    sendJson(res, 200, { result: withDisplayValues(record) });
  }
}
