// The public half of a JWT-bearer connection's signing key, kept in the clear next to the sealed
// private key so that the key set (a JWKS document, RFC 7517 §5) can be served without opening any
// secret: ServiceNow fetches it from the connection's JWKS URL (jwks-url.js) to check the assertions
// the connection signs. The public JWK comes from the core's `publicSigningKey` (key id: the
// connection's `jwtKeyId`, else the key's RFC 7638 thumbprint), and is made again whenever the
// settings are saved, so a new algorithm or key id shows at once.
//
// Rotation: when the key changes (a new private key, another key id or algorithm), the previous public
// key stays in the set next to the new one, so a verifier that still holds assertions or a cached set
// of the old key is not cut off mid-switch. It leaves the set as soon as the instance has issued a
// token for an assertion signed with the new key — the proof that the switch is done — so a key that
// was replaced because it leaked stops being trusted with the first successful Generate.
//
//   signingKeys   {current: {keyId, algorithm, jwk, since}, previous: {keyId, algorithm, jwk, since, replacedAt} | null}

import { errorCodes, fieldCodes, publicSigningKey } from "../core.js";
import { Code, HttpError } from "../errors.js";
import { RECORD } from "./store.js";

/**
 * The public key of `privateKey` (PKCS#8 PEM) as the connection with these normalized settings
 * signs with it: `{keyId, algorithm, jwk}`. A key the core cannot read, or one that does not fit the
 * algorithm, is a 422 on `field` (the private key when it was typed, the algorithm when a stored key
 * no longer fits a changed one).
 */
export async function publicKeyOf(privateKey, normalized, field) {
  const algorithm = normalized.jwtAlgorithm;
  try {
    const { jwk, keyId } = await publicSigningKey(privateKey, {
      algorithm,
      ...(normalized.jwtKeyId ? { keyId: normalized.jwtKeyId } : {}),
    });
    return { keyId, algorithm, jwk };
  } catch (error) {
    if (error?.name !== "ConnectionError") throw error;
    const message = field === "privateKey"
      ? error.message
      : `${error.message} The stored private key does not fit ${algorithm}: enter a key for it, or choose the key's algorithm.`;
    // A key WebCrypto refuses (signing_failed) is a key that cannot be used: the field's problem too.
    const code = Object.values(fieldCodes).includes(error.code) ? error.code : fieldCodes.invalid_private_key;
    // The 422 of every other settings problem: invalid_config, with the field's own code in `errors`.
    throw new HttpError(422, errorCodes.invalid_config, message, { field, errors: [{ field, code, message }] });
  }
}

/**
 * The record after a save whose key is `next` (`{keyId, algorithm, jwk}`): unchanged when the same
 * key is described the same way, else `next` becomes current and the current one previous.
 */
export function afterSave(record, next, now = Date.now()) {
  const current = record?.current ?? null;
  if (current && JSON.stringify(current.jwk) === JSON.stringify(next.jwk)) return { changed: false, record };
  return {
    changed: true,
    record: {
      current: { ...next, since: now },
      previous: current ? { ...current, replacedAt: now } : null,
    },
  };
}

/** The JWKS document: the current key and, during a rotation, the previous one. */
export function jwksDocument(record) {
  return { keys: [record?.current?.jwk, record?.previous?.jwk].filter(Boolean) };
}

/** What the connection's view says about its key (nothing secret: key ids and the public JWK). */
export function signingKeyView(record) {
  if (!record?.current) return null;
  const { keyId, algorithm, jwk, since } = record.current;
  return {
    keyId, algorithm, jwk, since,
    previous: record.previous ? { keyId: record.previous.keyId, replacedAt: record.previous.replacedAt } : null,
  };
}

/** Ends a rotation once a token was issued for the current key: the previous key leaves the set. */
export async function retirePreviousKey(store) {
  const record = await store.get(RECORD.SIGNING_KEYS);
  if (!record?.previous) return false;
  await store.commit({ put: { [RECORD.SIGNING_KEYS]: { ...record, previous: null } } });
  return true;
}

/** The key set of the connection behind `store`: 404 unless it is a JWT-bearer connection with a key. */
export async function jwksOf(store) {
  const records = await store.getMany([RECORD.CONFIG, RECORD.SIGNING_KEYS]);
  const config = records.get(RECORD.CONFIG);
  const keys = records.get(RECORD.SIGNING_KEYS);
  if (!config || config.settings.grantType !== "jwt_bearer" || !keys?.current) {
    throw new HttpError(404, Code.NOT_FOUND, "There is no such key set.");
  }
  return jwksDocument(keys);
}
