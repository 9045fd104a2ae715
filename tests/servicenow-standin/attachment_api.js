// The Attachment API: files attached to records, kept byte for byte in memory.
//   POST   /api/now/attachment/file?table_name=&table_sys_id=&file_name=  raw body in the file's own
//          Content-Type -> 201 {"result":{metadata}} with Location
//   POST   /api/now/attachment/upload  multipart/form-data with table_name, table_sys_id, then the file
//   GET    /api/now/attachment[?sysparm_query=…]  metadata list (X-Total-Count, paging Link)
//   GET    /api/now/attachment/<sys_id>       metadata
//   GET    /api/now/attachment/<sys_id>/file  the bytes with their content type and X-Attachment-Metadata
//   DELETE /api/now/attachment/<sys_id>       204
// Also under /api/now/v1/. Metadata records live in the store's sys_attachment table (all values
// strings, as the API returns them). Uploading needs write access to the record's table, reading
// needs read access; a missing parameter is 400, a record that does not exist or that the caller
// may not use is 404 (as documented), a body over the attachmentMaxBytes switch is 413.
// Sources: ServiceNow "Attachment API" REST reference (endpoints, parameters, status codes,
// response fields, "Attachment API role requirements"); the Attachment API accepts every
// Content-Type and stores it with the file.

import { createHash } from "node:crypto";

import {
  BodyTooLarge,
  closeAfterAnswer,
  readBody,
  sendEmpty,
  sendJson,
  sendServiceNowError,
} from "./http_io.js";
import { pageHeaders, PagingError, readPaging } from "./paging.js";
import { sendMethodNotAllowed } from "./rest_body.js";
import { pickFields } from "./store.js";
import { NO_RECORD, requestedFields } from "./table_api.js";

const ATTACHMENT_PATH = /^\/api\/now\/(?:(v[0-9]+)\/)?attachment(?:\/([^/]+))?(?:\/(file))?\/?$/;
const ATTACHMENT_TABLE = "sys_attachment";
const DEFAULT_LIST_LIMIT = 1000;
const MISSING_ATTACHMENT = ["No Record found", "Attachment doesn't exist or ACL restricts the attachment retrieval"];

// Header values must stay printable ASCII; JSON escapes keep a file name such as "café.png" intact.
function asciiJson(value) {
  return JSON.stringify(value).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

function badRequest(res, detail) {
  sendServiceNowError(res, 400, "Bad Request", detail);
}

export class AttachmentApi {
  #files = new Map();

  constructor({ store, switches }) {
    this.store = store;
    this.switches = switches;
  }

  versions() {
    return ["v1"];
  }

  match(pathname) {
    const match = ATTACHMENT_PATH.exec(pathname);
    if (!match) return undefined;
    const [, version, segment, file] = match;
    const base = version ? `/api/now/${version}/attachment` : "/api/now/attachment";
    if (segment === undefined) return { version, template: base, kind: "list" };
    if (segment === "file" || segment === "upload") {
      if (file) return undefined;
      return { version, template: `${base}/${segment}`, kind: segment };
    }
    let sysId;
    try {
      sysId = decodeURIComponent(segment);
    } catch {
      return undefined;
    }
    if (file) return { version, template: `${base}/{sys_id}/file`, kind: "download", sysId, answersAnyType: true };
    return { version, template: `${base}/{sys_id}`, kind: "record", sysId };
  }

  async handle(call) {
    const { req, res, route } = call;
    const allowed = {
      list: ["GET"],
      file: ["POST"],
      upload: ["POST"],
      download: ["GET"],
      record: ["GET", "DELETE"],
    }[route.kind];
    if (!allowed.includes(req.method)) {
      sendMethodNotAllowed(res, req.method, allowed);
      return;
    }
    if (route.kind === "list") return this.#list(call);
    if (route.kind === "file") return this.#uploadRaw(call);
    if (route.kind === "upload") return this.#uploadMultipart(call);
    const meta = this.#readable(call.user, route.sysId);
    if (!meta) {
      sendServiceNowError(res, 404, ...MISSING_ATTACHMENT);
      return undefined;
    }
    if (route.kind === "download") return this.#download(res, meta);
    if (req.method === "GET") {
      sendJson(res, 200, { result: meta });
      return undefined;
    }
    if (!this.#may(call.user, meta.table_name, "write")) {
      sendServiceNowError(res, 404, ...MISSING_ATTACHMENT);
      return undefined;
    }
    this.store.remove(ATTACHMENT_TABLE, meta.sys_id);
    this.#files.delete(meta.sys_id);
    sendEmpty(res, 204);
    return undefined;
  }

  #may(user, table, access) {
    if (!this.store.hasTable(table)) return false;
    if (access === "read" && this.switches.get("readDenied").includes(table)) return false;
    return this.store.allowed(user, table, access);
  }

  // Metadata of an attachment the user may read, or undefined.
  #readable(user, sysId) {
    const meta = this.store.get(ATTACHMENT_TABLE, sysId);
    if (!meta || !this.#files.has(sysId)) return undefined;
    return this.#may(user, meta.table_name, "read") ? meta : undefined;
  }

  #list({ res, url, user, origin }) {
    let paging;
    try {
      paging = readPaging(url.searchParams, DEFAULT_LIST_LIMIT);
    } catch (error) {
      if (!(error instanceof PagingError)) throw error;
      sendServiceNowError(res, 400, `Invalid value for ${error.parameter}`, error.message);
      return;
    }
    const { page } = this.store.list(ATTACHMENT_TABLE, {
      query: url.searchParams.get("sysparm_query") ?? "",
      fields: undefined,
      limit: Number.MAX_SAFE_INTEGER,
      offset: 0,
      currentUser: user,
    });
    const visible = page.filter((meta) => this.#files.has(meta.sys_id) && this.#may(user, meta.table_name, "read"));
    const fields = requestedFields(url.searchParams);
    const result = visible.slice(paging.offset, paging.offset + paging.limit).map((meta) => pickFields(meta, fields));
    sendJson(res, 200, { result },
      pageHeaders({ origin, pathname: url.pathname, rawQuery: url.search, total: visible.length, ...paging }));
  }

  // Checks the target record; answers the error and returns false when the upload cannot go there.
  #checkTarget(res, user, tableName, tableSysId) {
    if (!this.#may(user, tableName, "write") || !this.store.get(tableName, tableSysId)) {
      sendServiceNowError(res, 404, ...NO_RECORD);
      return false;
    }
    return true;
  }

  async #readFile(req, res) {
    const limit = this.switches.get("attachmentMaxBytes");
    try {
      return await readBody(req, limit);
    } catch (error) {
      if (!(error instanceof BodyTooLarge)) throw error;
      closeAfterAnswer(res);
      sendServiceNowError(res, 413, "Request entity too large", `The attachment exceeds the maximum size of ${limit} bytes`);
      return undefined;
    }
  }

  async #uploadRaw({ req, res, url, user, origin }) {
    const params = url.searchParams;
    for (const name of ["table_name", "table_sys_id", "file_name"]) {
      if (!params.get(name)) {
        badRequest(res, `Missing mandatory parameter ${name}`);
        return;
      }
    }
    const contentType = req.headers["content-type"];
    if (!contentType) {
      badRequest(res, "The Content-Type header (the file's content type) is mandatory");
      return;
    }
    if (!this.#checkTarget(res, user, params.get("table_name"), params.get("table_sys_id"))) return;
    const bytes = await this.#readFile(req, res);
    if (!bytes) return;
    this.#store(res, {
      origin,
      user,
      tableName: params.get("table_name"),
      tableSysId: params.get("table_sys_id"),
      fileName: params.get("file_name"),
      contentType,
      bytes,
    });
  }

  async #uploadMultipart({ req, res, user, origin }) {
    const contentType = req.headers["content-type"] ?? "";
    if (!/^multipart\/form-data\b/i.test(contentType)) {
      badRequest(res, "Send the file as multipart/form-data");
      return;
    }
    const body = await this.#readFile(req, res);
    if (!body) return;
    let form;
    try {
      form = await new Response(body, { headers: { "content-type": contentType } }).formData();
    } catch {
      badRequest(res, "The multipart body could not be read");
      return;
    }
    const tableName = form.get("table_name");
    const tableSysId = form.get("table_sys_id");
    const file = [...form.values()].findLast((value) => typeof value === "object" && value !== null);
    if (typeof tableName !== "string" || tableName === "" || typeof tableSysId !== "string" || tableSysId === "") {
      badRequest(res, "Missing mandatory form field table_name or table_sys_id");
      return;
    }
    if (!file) {
      badRequest(res, "Missing the file part");
      return;
    }
    if (!this.#checkTarget(res, user, tableName, tableSysId)) return;
    this.#store(res, {
      origin,
      user,
      tableName,
      tableSysId,
      fileName: file.name || "attachment",
      contentType: /^[\x21-\x7e][\x20-\x7e]*$/.test(file.type) ? file.type : "application/octet-stream",
      bytes: Buffer.from(await file.arrayBuffer()),
    });
  }

  #store(res, { origin, user, tableName, tableSysId, fileName, contentType, bytes }) {
    const inserted = this.store.insert(ATTACHMENT_TABLE, {
      table_name: tableName,
      table_sys_id: tableSysId,
      file_name: fileName,
      content_type: contentType,
      size_bytes: String(bytes.length),
      size_compressed: "",
      compressed: "false",
      hash: createHash("sha256").update(bytes).digest("hex"),
      average_image_color: "",
      image_height: "",
      image_width: "",
      sys_created_by: user.user_name,
      sys_updated_by: user.user_name,
      sys_mod_count: "0",
      sys_tags: "",
    });
    const meta = this.store.update(ATTACHMENT_TABLE, inserted.sys_id, {
      download_link: `${origin}/api/now/attachment/${inserted.sys_id}/file`,
    });
    this.#files.set(meta.sys_id, bytes);
    sendJson(res, 201, { result: meta }, { Location: `${origin}/api/now/attachment/${meta.sys_id}` });
  }

  #download(res, meta) {
    const bytes = this.#files.get(meta.sys_id);
    if (res.headersSent || res.destroyed) return;
    res.writeHead(200, {
      "Content-Type": meta.content_type,
      "Content-Length": bytes.length,
      "X-Attachment-Metadata": asciiJson(meta),
      "Cache-Control": "no-cache,no-store,must-revalidate,max-age=-1",
    });
    res.end(bytes);
  }
}
