// The public URL of a JWT-bearer connection's key set (RFC 7517 §5, a JWKS document), which ServiceNow
// fetches to check the assertions the connection signs: `<origin>/oauth2/jwks/<connection id>/<tag>`,
// the tag being the first 128 bits of an HMAC-SHA-256 of the connection id under a key derived from
// SEALING_KEY (derived-keys.js), base64url. Only this worker can make a tag, so the router checks it
// before anything else: a made-up URL, one with any character changed, or another connection's tag
// never reaches, and never creates, a connection's object. A URL made under SEALING_KEY_PREVIOUS
// still passes while a key rotation is under way; once the previous key is removed it no longer does,
// so the URL in ServiceNow must be updated during the rotation (the connection's view shows the new one).

import { isTagged, sealingKeys, tagOf } from "./derived-keys.js";
import { CONNECTION_ID } from "./middleware/connection-id.js";

const INFO = "servicenow-connection jwks v1";
const TAG_BYTES = 16;
const TAG = /^[A-Za-z0-9_-]{22}$/;

/** The path prefix of the route. */
export const JWKS_PREFIX = "/oauth2/jwks/";

/** The key set's URL for connection `connectionId`, at the worker's `origin`, under the current sealing key. */
export async function jwksUrl(env, origin, connectionId) {
  const [current] = sealingKeys(env);
  return `${origin}${JWKS_PREFIX}${connectionId}/${await tagOf(current, INFO, connectionId, TAG_BYTES)}`;
}

/**
 * The connection id of a key-set path this worker issued (`/oauth2/jwks/<id>/<tag>`, exactly as
 * sent), or null for anything else. Says nothing about whether the connection exists.
 */
export async function checkJwksPath(env, path) {
  if (!path.startsWith(JWKS_PREFIX)) return null;
  const parts = path.slice(JWKS_PREFIX.length).split("/");
  if (parts.length !== 2) return null;
  const [connectionId, tag] = parts;
  if (!CONNECTION_ID.test(connectionId) || !TAG.test(tag)) return null;
  return (await isTagged(env, INFO, connectionId, tag, TAG_BYTES)) ? connectionId : null;
}
