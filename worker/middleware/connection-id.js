// The connection id of a route, taken from the path exactly as sent: a route parameter would be
// percent-decoded, and `a%2Fb` must not become `a/b`, nor `%61` become `a` (two spellings of one
// connection). Ids are safe in URLs, storage names and as the OAuth state's prefix (which ends at ".").

import { Code, HttpError } from "../errors.js";

export const CONNECTION_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** The raw third segment of `/api/connections/<id>/…`. */
export function rawConnectionId(c) {
  return c.req.path.split("/", 4)[3] ?? "";
}

export async function requireConnectionId(c, next) {
  const id = rawConnectionId(c);
  if (!CONNECTION_ID.test(id)) {
    throw new HttpError(400, Code.INVALID_CONNECTION_ID,
      "Connection ids are 1 to 64 letters, digits, '_' or '-'.", { field: "id" });
  }
  c.set("connectionId", id);
  await next();
}
