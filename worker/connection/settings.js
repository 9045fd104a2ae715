// A connection's settings and what a person sees of them: the PUT body checked for what the core does
// not know about (name, unknown members, the loopback switch), the core's validateConfig on the rest,
// the rule that a stored secret never goes to another instance or token endpoint, the fingerprint that
// says which tokens and pending authorizations still belong to the settings, and the masked view
// (secrets only as `{"set": true}`, token status from the stored, non-secret token times).

import { errorCodes, fieldCodes, validateConfig } from "../core.js";
import { Code, HttpError } from "../errors.js";
import { describeTokens } from "../token-view.js";
import { RECORD, SECRET_RECORD } from "./store.js";

const MAX_NAME_LENGTH = 100;

const SETTINGS_BY_AUTH_TYPE = {
  basic: ["baseUrl", "authType", "timeoutMs", "username"],
  oauth2: [
    "baseUrl", "authType", "timeoutMs", "clientId", "authorizationUrl", "tokenUrl", "clientAuthentication",
    "refreshTokenLifetimeSeconds",
  ],
};
const SETTING_KEYS = [...new Set([...SETTINGS_BY_AUTH_TYPE.basic, ...SETTINGS_BY_AUTH_TYPE.oauth2])];
const SECRETS = ["password", "clientSecret"];
const BODY_KEYS = new Set(["name", ...SETTING_KEYS, ...SECRETS]);

/** The secret field of each authentication type. */
export const SECRET_FOR_AUTH_TYPE = Object.freeze({ basic: "password", oauth2: "clientSecret" });

/** The record holding the secret of a connection with these settings. */
export function secretRecordOf(settings) {
  return SECRET_RECORD[SECRET_FOR_AUTH_TYPE[settings.authType]];
}

/**
 * Stores the settings of a PUT body (creating the connection, or replacing its settings) and returns
 * `{config, created}`. Secrets are write-only: omitted, null or empty keeps the stored one, unless the
 * instance (or, for the client secret, the token URL) changes. Changing what the tokens belong to
 * clears them, and any change of the fingerprint drops pending authorizations — in the same change.
 */
export async function saveSettings(store, { id, body, createOnly, allowInsecureLoopback }) {
  const { name, input, given } = readConnectionBody(body, id);
  const existing = await store.config();
  if (existing && createOnly) {
    throw new HttpError(412, Code.CONNECTION_EXISTS,
      `A connection "${id}" exists already; choose another id, or edit that one.`, { field: "id" });
  }
  const { normalized } = await validateAgainstStored(store, existing, { input, given, allowInsecureLoopback });

  const fingerprint = fingerprintOf(normalized);
  const identityChanged = existing !== null && tokenIdentity(existing.fingerprint) !== tokenIdentity(fingerprint);
  const now = Date.now();
  const config = {
    id,
    name,
    settings: pick(input, SETTINGS_BY_AUTH_TYPE[normalized.authType]),
    fingerprint,
    generation: (existing?.generation ?? 0) + (identityChanged ? 1 : 0),
    createdAt: existing?.createdAt ?? now,
    updatedAt: now,
  };
  const secretField = SECRET_FOR_AUTH_TYPE[normalized.authType];
  const otherSecret = secretField === "password" ? "clientSecret" : "password";
  const put = { [RECORD.CONFIG]: config };
  if (given[secretField] !== undefined) put[SECRET_RECORD[secretField]] = store.seal(secretField, given[secretField]);
  const remove = [SECRET_RECORD[otherSecret]];
  // Tokens belong to the instance, client and token endpoint that issued them.
  if (identityChanged) remove.push(RECORD.TOKENS, RECORD.TOKEN_STATE);
  if (existing && !sameFingerprint(existing.fingerprint, fingerprint)) {
    remove.push(...(await store.pendingAuthorizations()).keys());
  }
  await store.commit({ put, remove });
  return { config, created: existing === null };
}

/**
 * Settings as PUT would store them, for Test Connection on settings as typed (nothing is stored):
 * the same body, the same checks and the same rule for stored secrets. Answers `{input, given,
 * normalized, carried, existing}`: the settings, the secrets typed, the core's normalized settings,
 * the stored secrets these settings may use, and the stored config (null for a new id).
 */
export async function checkTypedSettings(store, { body, allowInsecureLoopback }) {
  const { input, given } = readConnectionBody(body, store.id);
  const existing = await store.config();
  const { normalized, carried } = await validateAgainstStored(store, existing, { input, given, allowInsecureLoopback });
  return { input, given, normalized, carried, existing };
}

/**
 * The core's validateConfig on settings and typed secrets, where a stored secret counts as given only
 * if it may go with the new settings: a stored secret is never sent to another instance or token
 * endpoint, so moving the connection there means entering the secret again (422 `required`).
 * Answers `{normalized, carried}` (the stored secrets that may be used); throws the 422 otherwise.
 */
async function validateAgainstStored(store, existing, { input, given, allowInsecureLoopback }) {
  const storedSecrets = await store.getMany(Object.values(SECRET_RECORD));
  const stored = SECRETS.filter((field) => storedSecrets.has(SECRET_RECORD[field]));
  const candidate = { ...input, ...given, allowInsecureLoopback };
  let result = validateConfig(candidate, { storedSecrets: stored });
  let carried = stored;
  if (result.ok && existing) {
    carried = stored.filter((field) => secretCarries(field, existing.fingerprint, result.config));
    if (carried.length !== stored.length) {
      result = validateConfig(candidate, { storedSecrets: carried });
      for (const error of result.errors) {
        if (error.code === fieldCodes.required && stored.includes(error.field) && !carried.includes(error.field)) {
          error.message += " It must be entered again because the instance or token URL changed.";
        }
      }
    }
  }
  if (!result.ok) throw invalidConfig(result.errors);
  return { normalized: result.config, carried };
}

/** The view of a connection: settings as entered, secrets masked, resolved values, token status. */
export async function viewOf(store, config, { callbackUrl, allowInsecureLoopback }) {
  const { settings } = config;
  const authType = settings.authType;
  const secretField = SECRET_FOR_AUTH_TYPE[authType];
  const records = await store.getMany([SECRET_RECORD[secretField], RECORD.TOKEN_STATE, RECORD.LAST_TEST]);
  const secretSet = records.has(SECRET_RECORD[secretField]);
  const checked = validateConfig(
    { ...settings, allowInsecureLoopback },
    { storedSecrets: secretSet ? [secretField] : [] },
  );
  const view = { id: config.id, name: config.name, ...settings, [secretField]: { set: secretSet } };
  if (checked.ok) {
    const { instanceUrl, apiPath, apiVersion, timeoutMs } = checked.config;
    view.resolved = { instanceUrl, apiPath, apiVersion, timeoutMs };
    if (authType === "oauth2") {
      const { authorizationUrl, tokenUrl, clientAuthentication, refreshTokenLifetimeSeconds } = checked.config;
      Object.assign(view.resolved, { authorizationUrl, tokenUrl, clientAuthentication, refreshTokenLifetimeSeconds });
    }
  } else {
    view.configErrors = checked.errors;
  }
  if (authType === "oauth2") {
    view.callbackUrl = callbackUrl;
    view.token = describeTokens(records.get(RECORD.TOKEN_STATE) ?? null);
  } else {
    view.token = null;
  }
  view.lastTest = records.get(RECORD.LAST_TEST) ?? null;
  view.createdAt = config.createdAt;
  view.updatedAt = config.updatedAt;
  return view;
}

/** The normalized facts that decide where secrets and tokens may go. */
export function fingerprintOf(normalized) {
  return {
    authType: normalized.authType,
    instanceUrl: normalized.instanceUrl,
    clientId: normalized.clientId ?? null,
    authorizationUrl: normalized.authorizationUrl ?? null,
    tokenUrl: normalized.tokenUrl ?? null,
  };
}

export function sameFingerprint(a, b) {
  return JSON.stringify(a) === JSON.stringify(b);
}

export function invalidConfig(errors) {
  const first = errors[0];
  const message = errors.length === 1 ? first.message : `${first.message} (and ${errors.length - 1} more problems)`;
  return new HttpError(422, errorCodes.invalid_config, message, { field: first.field, errors });
}

/** The body of PUT /api/connections/:id, checked for what the core does not know about. */
function readConnectionBody(body, id) {
  const errors = [];
  for (const key of Object.keys(body)) {
    if (key === "allowInsecureLoopback") {
      errors.push({ field: key, code: Code.NOT_ALLOWED,
        message: "allowInsecureLoopback is set by the worker's ALLOW_INSECURE_LOOPBACK variable, not per connection." });
    } else if (!BODY_KEYS.has(key)) {
      errors.push({ field: key, code: Code.UNKNOWN_FIELD, message: `${key} is not a connection setting.` });
    }
  }
  let name = id;
  if (body.name !== undefined && body.name !== null) {
    if (typeof body.name !== "string") {
      errors.push({ field: "name", code: fieldCodes.invalid_type, message: "Name must be a string." });
    } else if (body.name.trim().length > MAX_NAME_LENGTH) {
      errors.push({ field: "name", code: fieldCodes.too_long, message: `Name must be at most ${MAX_NAME_LENGTH} characters.` });
    } else if (/\p{Cc}/u.test(body.name)) {
      errors.push({ field: "name", code: fieldCodes.control_character, message: "Name must not contain control characters." });
    } else if (body.name.trim() !== "") {
      name = body.name.trim();
    }
  }
  if (errors.length > 0) throw invalidConfig(errors);
  // Empty strings mean "not given", as an empty form field does: defaults apply, secrets are kept.
  const input = {};
  for (const key of SETTING_KEYS) {
    if (body[key] !== undefined && body[key] !== null && body[key] !== "") input[key] = body[key];
  }
  const given = {};
  for (const key of SECRETS) {
    if (body[key] !== undefined && body[key] !== null && body[key] !== "") given[key] = body[key];
  }
  return { name, input, given };
}

function pick(object, keys) {
  const picked = {};
  for (const key of keys) if (object[key] !== undefined) picked[key] = object[key];
  return picked;
}

/** What tokens belong to: the authentication type, instance, client id and token URL. */
export function tokenIdentity(fingerprint) {
  const { authType, instanceUrl, clientId, tokenUrl } = fingerprint;
  return JSON.stringify([authType, instanceUrl, clientId, tokenUrl]);
}

function secretCarries(field, previous, next) {
  if (previous.instanceUrl !== next.instanceUrl) return false;
  return field !== "clientSecret" || previous.tokenUrl === (next.tokenUrl ?? null);
}
