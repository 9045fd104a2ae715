// The OAuth `state` this worker sends with an authorization request, and its check when the browser
// comes back to /oauth2/callback. The core makes the state `<connection id>.<random>` (43 base64url
// characters of randomness) so the callback can be routed to the connection's object; the worker adds
// a tag, `<connection id>.<random>.<tag>`, an HMAC-SHA-256 of the first two parts under a key derived
// (HKDF-SHA-256, RFC 5869) from SEALING_KEY. The router checks the tag before anything else, so a
// made-up state never reaches, and never creates, a connection's object; the object then checks that
// the state is one it issued and has not used (RFC 6749 §10.12, RFC 9700 §4.7). Tags made under
// SEALING_KEY_PREVIOUS still pass while a key rotation is under way.
//
// States issued before the tag existed (`<id>.<random>`, at most 10 minutes old) are told apart by
// their shape; the router passes them on only for connections the registry lists.

const INFO = new TextEncoder().encode("servicenow-connection oauth-state v1");
const PART = /^[A-Za-z0-9_-]{43}$/;
const ID = /^[A-Za-z0-9_-]{1,64}$/;

// Derived keys per isolate, by the sealing key they came from (deriving costs more than a check).
const derived = new Map();

function keyBytes(base64) {
  return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
}

async function stateKey(sealingKey) {
  let key = derived.get(sealingKey);
  if (!key) {
    const base = await crypto.subtle.importKey("raw", keyBytes(sealingKey), "HKDF", false, ["deriveKey"]);
    key = await crypto.subtle.deriveKey(
      { name: "HKDF", hash: "SHA-256", salt: new Uint8Array(0), info: INFO },
      base,
      { name: "HMAC", hash: "SHA-256", length: 256 },
      false,
      ["sign", "verify"],
    );
    if (derived.size >= 4) derived.clear();
    derived.set(sealingKey, key);
  }
  return key;
}

function sealingKeys(env) {
  return [env.SEALING_KEY, env.SEALING_KEY_PREVIOUS]
    .filter((key) => typeof key === "string" && key.trim() !== "")
    .map((key) => key.trim());
}

function base64url(bytes) {
  return btoa(String.fromCharCode(...new Uint8Array(bytes))).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

function fromBase64url(text) {
  return keyBytes(text.replaceAll("-", "+").replaceAll("_", "/") + "=");
}

/** `<id>.<random>` (the core's state) with its tag under the current sealing key. */
export async function tagState(env, state) {
  const [current] = sealingKeys(env);
  const tag = await crypto.subtle.sign("HMAC", await stateKey(current), new TextEncoder().encode(state));
  return `${state}.${base64url(tag)}`;
}

/**
 * What the router may conclude from a state: `{id, tagged: true}` for a state this worker tagged,
 * `{id, tagged: false}` for one of the untagged shape of earlier builds, or null for anything else —
 * a made-up or altered state, which must not reach any connection.
 */
export async function checkState(env, state) {
  const parts = state.split(".");
  const [id, random, tag] = parts;
  if (!ID.test(id ?? "") || !PART.test(random ?? "")) return null;
  if (parts.length === 2) return { id, tagged: false };
  if (parts.length !== 3 || !PART.test(tag)) return null;
  const signed = new TextEncoder().encode(`${id}.${random}`);
  const mac = fromBase64url(tag);
  // Only the canonical spelling: another string decoding to the same bytes is another state.
  if (base64url(mac) !== tag) return null;
  for (const sealingKey of sealingKeys(env)) {
    if (await crypto.subtle.verify("HMAC", await stateKey(sealingKey), mac, signed)) return { id, tagged: true };
  }
  return null;
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
