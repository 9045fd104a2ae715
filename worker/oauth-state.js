// The OAuth `state` this worker sends with an authorization request, and its check when the browser
// comes back to /oauth2/callback. The core makes the state `<connection id>.<random>` (43 base64url
// characters of randomness) so the callback can be routed to the connection's object; the worker adds
// a tag, `<connection id>.<random>.<tag>`, an HMAC-SHA-256 of the first two parts under a key derived
// from SEALING_KEY (derived-keys.js). The router checks the tag before anything else, so a made-up
// state never reaches, and never creates, a connection's object; the object then checks that the
// state is one it issued and has not used (RFC 6749 §10.12, RFC 9700 §4.7).
//
// States issued before the tag existed (`<id>.<random>`, at most 10 minutes old) are told apart by
// their shape; the router passes them on only for connections the registry lists.

import { isTagged, sealingKeys, tagOf } from "./derived-keys.js";
import { CONNECTION_ID } from "./middleware/connection-id.js";

const INFO = "servicenow-connection oauth-state v1";
const PART = /^[A-Za-z0-9_-]{43}$/;

/** `<id>.<random>` (the core's state) with its tag under the current sealing key. */
export async function tagState(env, state) {
  const [current] = sealingKeys(env);
  return `${state}.${await tagOf(current, INFO, state)}`;
}

/**
 * What the router may conclude from a state: `{id, tagged: true}` for a state this worker tagged,
 * `{id, tagged: false}` for one of the untagged shape of earlier builds, or null for anything else —
 * a made-up or altered state, which must not reach any connection.
 */
export async function checkState(env, state) {
  const parts = state.split(".");
  const [id, random, tag] = parts;
  if (!CONNECTION_ID.test(id ?? "") || !PART.test(random ?? "")) return null;
  if (parts.length === 2) return { id, tagged: false };
  if (parts.length !== 3 || !PART.test(tag)) return null;
  return (await isTagged(env, INFO, `${id}.${random}`, tag)) ? { id, tagged: true } : null;
}

/** The authorization URL with its `state` parameter replaced; every other byte of it stays. */
export function withState(authorizationUrl, state, tagged) {
  const url = new URL(authorizationUrl);
  if (url.searchParams.getAll("state").length !== 1 || url.searchParams.get("state") !== state) {
    throw new Error("the authorization URL does not carry the state it was made with");
  }
  url.search = url.search.slice(1).split("&")
    .map((pair) => (pair.split("=")[0] === "state" ? `state=${encodeURIComponent(tagged)}` : pair))
    .join("&");
  return url.href;
}
