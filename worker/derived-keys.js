// HMAC keys derived from the sealing key (HKDF-SHA-256, RFC 5869, one `info` per purpose), for the
// values the router must check before it opens any connection's object — the OAuth state's tag,
// access keys' check values and the tags of JWKS URLs — and the base64url encoding they are written in. A value made under
// SEALING_KEY_PREVIOUS still checks while a key rotation is under way. Derived keys are kept per
// isolate, by the sealing key they came from.

const derived = new Map();

/** SEALING_KEY, then SEALING_KEY_PREVIOUS when set. */
export function sealingKeys(env) {
  return [env.SEALING_KEY, env.SEALING_KEY_PREVIOUS]
    .filter((key) => typeof key === "string" && key.trim() !== "")
    .map((key) => key.trim());
}

/** The HMAC-SHA-256 key for `info` derived from `sealingKey` (base64 of 32 bytes). */
export async function derivedKey(sealingKey, info) {
  const name = `${info}\u0000${sealingKey}`;
  let key = derived.get(name);
  if (!key) {
    const raw = Uint8Array.from(atob(sealingKey), (c) => c.charCodeAt(0));
    const base = await crypto.subtle.importKey("raw", raw, "HKDF", false, ["deriveKey"]);
    key = await crypto.subtle.deriveKey(
      { name: "HKDF", hash: "SHA-256", salt: new Uint8Array(0), info: new TextEncoder().encode(info) },
      base,
      { name: "HMAC", hash: "SHA-256", length: 256 },
      false,
      ["sign", "verify"],
    );
    if (derived.size >= 8) derived.clear();
    derived.set(name, key);
  }
  return key;
}

/** HMAC-SHA-256 of `text` under the key for `info` derived from `sealingKey`. */
export async function mac(sealingKey, info, text) {
  return new Uint8Array(await crypto.subtle.sign("HMAC", await derivedKey(sealingKey, info), new TextEncoder().encode(text)));
}

export function base64url(bytes) {
  return btoa(String.fromCharCode(...bytes)).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/** The tag of `text` for `info` under `sealingKey`: its HMAC, cut to `bytes` bytes, in base64url. */
export async function tagOf(sealingKey, info, text, bytes = 32) {
  return base64url((await mac(sealingKey, info, text)).subarray(0, bytes));
}

/**
 * Whether `tag` is the tag of `text` for `info` under SEALING_KEY or, while a rotation is under way,
 * SEALING_KEY_PREVIOUS; compared in constant time.
 */
export async function isTagged(env, info, text, tag, bytes = 32) {
  for (const sealingKey of sealingKeys(env)) {
    if (sameText(await tagOf(sealingKey, info, text, bytes), tag)) return true;
  }
  return false;
}

/** Constant-time equality of two strings of the same alphabet. */
export function sameText(a, b) {
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  return x.byteLength === y.byteLength && crypto.subtle.timingSafeEqual(x, y);
}
