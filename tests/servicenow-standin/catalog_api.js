// The Service Catalog API's item reads, enough for a client to prove it reaches the sn_sc namespace:
//   GET /api/sn_sc/servicecatalog/items[?sysparm_text=&sysparm_category=&sysparm_catalog=&sysparm_limit=&sysparm_offset=]
//   GET /api/sn_sc/servicecatalog/items/<sys_id>
// also under /api/sn_sc/v1/. Items come from the store's sc_cat_item table and are answered in the
// API's own shape ({name, short_description, catalogs:[{sys_id,title}], category:{sys_id,title}, …}),
// not as table records. An unknown item is 404.
// Sources: ServiceNow "Service Catalog API" REST reference (GET /sn_sc/servicecatalog/items and
// items/{sys_id}: parameters, response fields, example answer).

import { sendJson, sendServiceNowError } from "./http_io.js";
import { PagingError, readPaging } from "./paging.js";
import { sendMethodNotAllowed } from "./rest_body.js";

const ITEMS_PATH = /^\/api\/sn_sc\/(?:(v[0-9]+)\/)?servicecatalog\/items(?:\/([^/]+))?\/?$/;
const ITEM_TABLE = "sc_cat_item";
const DEFAULT_LIMIT = 10_000;

function catalogItem(record) {
  return {
    short_description: record.short_description ?? "",
    kb_article: "",
    icon: "images/icons/catalog_item.gifx",
    description: record.description ?? "",
    show_price: Number(record.price ?? 0) > 0,
    type: record.type ?? "item",
    show_quantity: true,
    sys_class_name: record.sys_class_name ?? ITEM_TABLE,
    picture: "",
    url: "",
    sys_id: record.sys_id,
    content_type: "",
    price: record.price ?? "",
    catalogs: record.sc_catalogs ? [{ sys_id: record.sc_catalogs, title: record.catalog_title ?? "" }] : [],
    name: record.name ?? "",
    category: record.category ? { sys_id: record.category, title: record.category_title ?? "" } : {},
    order: Number(record.order ?? 0),
  };
}

function mentions(record, text) {
  const needle = text.toLowerCase();
  return ["name", "short_description", "description"].some((field) => String(record[field] ?? "").toLowerCase().includes(needle));
}

export class CatalogApi {
  constructor({ store }) {
    this.store = store;
  }

  versions() {
    return ["v1"];
  }

  match(pathname) {
    const match = ITEMS_PATH.exec(pathname);
    if (!match) return undefined;
    const [, version, sysId] = match;
    let decoded;
    try {
      decoded = sysId === undefined ? undefined : decodeURIComponent(sysId);
    } catch {
      return undefined;
    }
    const base = version ? `/api/sn_sc/${version}/servicecatalog/items` : "/api/sn_sc/servicecatalog/items";
    return { version, template: decoded === undefined ? base : `${base}/{sys_id}`, sysId: decoded };
  }

  async handle({ req, res, url, route }) {
    if (req.method !== "GET") {
      sendMethodNotAllowed(res, req.method, ["GET"]);
      return;
    }
    const records = this.store.hasTable(ITEM_TABLE)
      ? this.store.list(ITEM_TABLE, { query: "active=true", limit: Number.MAX_SAFE_INTEGER, offset: 0 }).page
        .sort((a, b) => Number(a.order ?? 0) - Number(b.order ?? 0) || String(a.name).localeCompare(String(b.name)))
      : [];
    if (route.sysId !== undefined) {
      const record = records.find((r) => r.sys_id === route.sysId);
      if (!record) sendServiceNowError(res, 404, "No Record found", "Catalog item doesn't exist or is not available");
      else sendJson(res, 200, { result: catalogItem(record) });
      return;
    }
    let paging;
    try {
      paging = readPaging(url.searchParams, DEFAULT_LIMIT);
    } catch (error) {
      if (!(error instanceof PagingError)) throw error;
      sendServiceNowError(res, 400, `Invalid value for ${error.parameter}`, error.message);
      return;
    }
    const params = url.searchParams;
    const matching = records
      .filter((r) => !params.get("sysparm_text") || mentions(r, params.get("sysparm_text")))
      .filter((r) => !params.get("sysparm_category") || r.category === params.get("sysparm_category"))
      .filter((r) => !params.get("sysparm_catalog") || r.sc_catalogs === params.get("sysparm_catalog"));
    const page = matching.slice(paging.offset, paging.offset + paging.limit).map(catalogItem);
    sendJson(res, 200, { result: page });
  }
}
