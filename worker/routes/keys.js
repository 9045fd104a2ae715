// The admin routes of a connection's access keys and audit trail, handed to the connection's Durable
// Object (connection/keys.js, connection/audit.js) after the route's checks. A key id in the path is
// taken as sent and must have the shape of one; a key itself is in the answer to its creation only.

import { connectionStub } from "../connection-stub.js";
import { Code, HttpError } from "../errors.js";
import { readJsonObject } from "../http.js";

const KEY_ID = /^[A-Za-z0-9_-]{16}$/;

function stubOf(c) {
  return connectionStub(c.env, c.get("connectionId"));
}

async function answer(pending) {
  const response = await pending;
  return new Response(response.body, response);
}

/** The raw fifth segment of `/api/connections/<id>/keys/<keyId>`. */
function keyIdOf(c) {
  const keyId = c.req.path.split("/", 6)[5] ?? "";
  if (!KEY_ID.test(keyId)) throw new HttpError(404, Code.KEY_NOT_FOUND, "There is no such access key on this connection.");
  return keyId;
}

export async function createKey(c) {
  return answer(stubOf(c).createKey(c.get("connectionId"), await readJsonObject(c.req.raw)));
}

export function listKeys(c) {
  return answer(stubOf(c).listKeys(c.get("connectionId")));
}

export async function editKey(c) {
  const keyId = keyIdOf(c);
  return answer(stubOf(c).editKey(c.get("connectionId"), keyId, await readJsonObject(c.req.raw)));
}

export function revokeKey(c) {
  return answer(stubOf(c).revokeKey(c.get("connectionId"), keyIdOf(c)));
}

/** `GET …/audit?log=traffic|admin&limit=&cursor=`: one page of one log, newest first. */
export function auditPage(c) {
  const url = new URL(c.req.url);
  const known = new Set(["log", "limit", "cursor"]);
  for (const name of url.searchParams.keys()) {
    if (!known.has(name)) throw new HttpError(400, Code.INVALID_AUDIT_QUERY, `${name} is not a parameter of the audit trail (log, limit, cursor).`, { field: name });
  }
  const limit = url.searchParams.get("limit");
  return answer(stubOf(c).auditPage(c.get("connectionId"), {
    log: url.searchParams.get("log") ?? "traffic",
    limit: limit === null ? 100 : (/^[0-9]{1,4}$/.test(limit) ? Number(limit) : Number.NaN),
    cursor: url.searchParams.get("cursor"),
  }));
}
