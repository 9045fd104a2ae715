// What each OAuth client may do besides the authorization-code grant, as an instance's Application
// Registry record says it:
// - applicationUser: the "OAuth Application User" (a seeded user_name) that client-credentials
//   tokens act as; without one the client-credentials grant is refused;
// - passwordGrant: whether the client takes the resource-owner password grant (off by default,
//   as for a client not registered as an "OAuth Resource owner password credential grant");
// - jwtBearer: the "OAuth JWT API endpoint" settings that check JWT-bearer assertions: the
//   verifier maps' public keys (PEM certificates or SPKI public keys, optionally with a kid), a
//   JWKS URL (only on 127.0.0.1), which `aud` values count (the client id and/or the token
//   endpoint), the sys_user field that `sub` is matched on, JTI verification, clock skew, the
//   expected `iss`, and how long a fetched JWKS is cached.
// Settings are validated whole: one bad field and nothing changes, with an error naming the field.
// Sources: ServiceNow docs, "Add the OAuth Application User", "Create an OAuth JWT API endpoint
// for external clients", "Configure an OAuth JSON web token bearer grant", "Configure an OAuth
// resource owner password credential grant".

import { createPublicKey, X509Certificate } from "node:crypto";

export const JWT_AUDIENCES = Object.freeze(["client_id", "token_endpoint"]);
export const JWT_USER_FIELDS = Object.freeze(["user_name", "email", "sys_id"]);
const JWT_KEYS = ["keys", "jwksUrl", "audiences", "userField", "jtiVerification", "clockSkewSeconds", "issuer", "jwksCacheSeconds"];
const SETTINGS_KEYS = ["applicationUser", "passwordGrant", "jwtBearer"];
const MAX_KEYS = 10;
const MAX_PEM_CHARS = 16 * 1024;

export class ClientSettingsError extends Error {
  constructor(field, message) {
    super(`${field}: ${message}`);
    this.name = "ClientSettingsError";
    this.field = field;
  }
}

export function defaultClientSettings() {
  return { applicationUser: null, passwordGrant: false, jwtBearer: null };
}

function plainObject(field, value) {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new ClientSettingsError(field, "must be an object");
  }
  return value;
}

function rejectUnknownKeys(field, value, allowed) {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) throw new ClientSettingsError(`${field}.${key}`, "is not a known setting");
  }
}

// The PEM's public key type ("rsa", "ec", …), or a ClientSettingsError; the key is parsed by
// node:crypto only to refuse garbage early. Verifying signatures is the JOSE library's job.
function publicKeyType(field, pem) {
  if (typeof pem !== "string" || pem.length > MAX_PEM_CHARS) {
    throw new ClientSettingsError(field, "must be a PEM certificate or public key");
  }
  try {
    if (pem.includes("-----BEGIN CERTIFICATE-----")) return new X509Certificate(pem).publicKey.asymmetricKeyType;
    if (pem.includes("-----BEGIN PUBLIC KEY-----")) return createPublicKey(pem).asymmetricKeyType;
  } catch {
    throw new ClientSettingsError(field, "is not a readable PEM certificate or public key");
  }
  throw new ClientSettingsError(field, "must be a PEM certificate (BEGIN CERTIFICATE) or SPKI public key (BEGIN PUBLIC KEY)");
}

function verifierKeys(value) {
  if (!Array.isArray(value) || value.length > MAX_KEYS) {
    throw new ClientSettingsError("jwtBearer.keys", `must be an array of at most ${MAX_KEYS} keys`);
  }
  return value.map((key, index) => {
    const field = `jwtBearer.keys[${index}]`;
    plainObject(field, key);
    rejectUnknownKeys(field, key, ["kid", "pem"]);
    if (key.kid !== undefined && (typeof key.kid !== "string" || !/^[\x21-\x7e]{1,200}$/.test(key.kid))) {
      throw new ClientSettingsError(`${field}.kid`, "must be 1-200 visible ASCII characters");
    }
    const type = publicKeyType(`${field}.pem`, key.pem);
    if (type !== "rsa" && type !== "ec") throw new ClientSettingsError(`${field}.pem`, `holds a ${type} key; RSA or EC is needed`);
    return { ...(key.kid === undefined ? {} : { kid: key.kid }), pem: key.pem };
  });
}

/** A JWKS URL the stand-in may fetch: http on 127.0.0.1 only. */
export function loopbackJwksUrl(value) {
  let url;
  try {
    url = new URL(value);
  } catch {
    throw new ClientSettingsError("jwtBearer.jwksUrl", "must be a URL");
  }
  if (url.protocol !== "http:" || url.hostname !== "127.0.0.1" || url.username || url.password || url.hash) {
    throw new ClientSettingsError("jwtBearer.jwksUrl", "must be an http://127.0.0.1:PORT/… URL");
  }
  return url.href;
}

function nonNegativeInteger(field, value, max) {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new ClientSettingsError(field, `must be an integer from 0 to ${max}`);
  }
  return value;
}

function jwtBearer(value) {
  if (value === null) return null;
  plainObject("jwtBearer", value);
  rejectUnknownKeys("jwtBearer", value, JWT_KEYS);
  const keys = verifierKeys(value.keys ?? []);
  const jwksUrl = value.jwksUrl === undefined || value.jwksUrl === null ? null : loopbackJwksUrl(value.jwksUrl);
  if (keys.length === 0 && !jwksUrl) throw new ClientSettingsError("jwtBearer", "needs at least one key or a jwksUrl");
  const audiences = value.audiences ?? ["client_id"];
  if (!Array.isArray(audiences) || audiences.length === 0 || audiences.some((a) => !JWT_AUDIENCES.includes(a))) {
    throw new ClientSettingsError("jwtBearer.audiences", `must be a non-empty array of ${JWT_AUDIENCES.join(", ")}`);
  }
  const userField = value.userField ?? "user_name";
  if (!JWT_USER_FIELDS.includes(userField)) {
    throw new ClientSettingsError("jwtBearer.userField", `must be one of ${JWT_USER_FIELDS.join(", ")}`);
  }
  const jtiVerification = value.jtiVerification ?? true;
  if (typeof jtiVerification !== "boolean") throw new ClientSettingsError("jwtBearer.jtiVerification", "must be true or false");
  if (value.issuer !== undefined && (typeof value.issuer !== "string" || value.issuer === "" || value.issuer.length > 1024)) {
    throw new ClientSettingsError("jwtBearer.issuer", "must be a non-empty string");
  }
  return {
    keys,
    jwksUrl,
    audiences: [...new Set(audiences)],
    userField,
    jtiVerification,
    clockSkewSeconds: nonNegativeInteger("jwtBearer.clockSkewSeconds", value.clockSkewSeconds ?? 0, 3600),
    issuer: value.issuer ?? null,
    jwksCacheSeconds: nonNegativeInteger("jwtBearer.jwksCacheSeconds", value.jwksCacheSeconds ?? 0, 86_400),
  };
}

/** Validates a partial settings object; returns the clean fields it sets. */
export function validateClientSettings(patch, { userExists }) {
  plainObject("settings", patch);
  const clean = {};
  for (const [key, value] of Object.entries(patch)) {
    if (!SETTINGS_KEYS.includes(key) || value === undefined) continue;
    if (key === "applicationUser") {
      if (value !== null && (typeof value !== "string" || !userExists(value))) {
        throw new ClientSettingsError("applicationUser", "must be the user_name of a seeded user, or null");
      }
      clean.applicationUser = value;
    } else if (key === "passwordGrant") {
      if (typeof value !== "boolean") throw new ClientSettingsError("passwordGrant", "must be true or false");
      clean.passwordGrant = value;
    } else {
      clean.jwtBearer = jwtBearer(value);
    }
  }
  return clean;
}

export const CLIENT_SETTING_NAMES = Object.freeze([...SETTINGS_KEYS]);

/** Each client's grant settings, by client id. */
export class ClientGrants {
  #settings = new Map();

  get(clientId) {
    return structuredClone(this.#settings.get(clientId) ?? defaultClientSettings());
  }

  has(clientId) {
    return this.#settings.has(clientId);
  }

  /** Replaces a client's settings: fields not in `clean` go back to their defaults. */
  replace(clientId, clean) {
    this.#settings.set(clientId, { ...defaultClientSettings(), ...structuredClone(clean) });
  }

  /** Changes only the fields in `clean`. */
  update(clientId, clean) {
    this.#settings.set(clientId, { ...this.get(clientId), ...structuredClone(clean) });
  }
}
