// Access keys: bearer credentials scoped to one connection, for applications that send traffic through
// the worker without holding the admin token. A key reads
//
//   snck_<connection id>.<key id>.<secret>.<check>
//
// — a fixed prefix secret scanners can match (`snck_`), the connection it belongs to, its id (16
// base64url characters, not secret: the key's name in listings and storage), 256 bits of randomness
// (43 base64url characters) and a check value: the first 128 bits of an HMAC-SHA-256 of everything
// before it, under a key derived from SEALING_KEY (derived-keys.js). The router checks the connection
// and the check value before anything else, so a made-up key, a key with one character changed or a
// key of another connection is refused without opening any connection's object (forged input creates
// no storage); the connection's object then checks that the key exists (stored as a SHA-256 hash
// only), is not revoked or expired, and allows the method and path. Check values made under
// SEALING_KEY_PREVIOUS still pass while a key rotation is under way; once the previous key is removed,
// keys issued under it no longer pass, and new ones must be created.

import { base64url, isTagged, sealingKeys, tagOf } from "./derived-keys.js";

const PREFIX = "snck_";
const INFO = "servicenow-connection access-key v1";
const KEY = /^snck_([A-Za-z0-9_-]{1,64})\.([A-Za-z0-9_-]{16})\.([A-Za-z0-9_-]{43})\.([A-Za-z0-9_-]{22})$/;

/** Whether a bearer token is meant as an access key (it may still be a broken one). */
export function looksLikeAccessKey(token) {
  return token.startsWith(PREFIX);
}

// The check value: the first 128 bits of the key body's HMAC.
const CHECK_BYTES = 16;

/** SHA-256 of the whole key, hex: what the connection stores. */
export async function keyHash(key) {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(key));
  return [...new Uint8Array(digest)].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}

/** A new key for connection `connectionId`: `{key, keyId, hash}`. The key is shown once, never stored. */
export async function issueKey(env, connectionId) {
  const keyId = base64url(crypto.getRandomValues(new Uint8Array(12)));
  const secret = base64url(crypto.getRandomValues(new Uint8Array(32)));
  const body = `${PREFIX}${connectionId}.${keyId}.${secret}`;
  const [current] = sealingKeys(env);
  const key = `${body}.${await tagOf(current, INFO, body, CHECK_BYTES)}`;
  return { key, keyId, hash: await keyHash(key) };
}

/**
 * `{connectionId, keyId}` when `key` is a well-formed key this worker issued (its check value
 * passes), or null. Says nothing about whether it was revoked, expired or exists at all.
 */
export async function checkAccessKey(env, key) {
  const match = KEY.exec(key);
  if (!match) return null;
  const [, connectionId, keyId, , check] = match;
  const body = key.slice(0, key.lastIndexOf("."));
  return (await isTagged(env, INFO, body, check, CHECK_BYTES)) ? { connectionId, keyId } : null;
}
