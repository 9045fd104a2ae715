// A connection's settings and what a person sees of them: the PUT body checked for what the core does
// not know about (name, unknown members, the network switches), the core's validateConfig on the rest,
// the rule that a stored secret never goes to another instance or token endpoint, the fingerprint that
// says which tokens and pending authorizations still belong to the settings, the public half of a
// JWT-bearer connection's key (signing-keys.js), and the masked view (secrets only as `{"set": true}`,
// token status from the stored, non-secret token times).

import { errorCodes, fieldCodes, validateConfig } from "../core.js";
import { SWITCH_VARIABLES } from "../environment.js";
import { Code, HttpError } from "../errors.js";
import { INTERACTIVE, describeTokens, grantOfSettings } from "../token-view.js";
import { afterSave, publicKeyOf, signingKeyView } from "./signing-keys.js";
import { RECORD, SECRET_RECORD } from "./store.js";

const MAX_NAME_LENGTH = 100;

const SETTINGS_BY_AUTH_TYPE = {
  basic: ["baseUrl", "authType", "timeoutMs", "username"],
  oauth2: [
    "baseUrl", "authType", "timeoutMs", "grantType", "clientId", "authorizationUrl", "tokenUrl", "clientAuthentication",
    "refreshTokenLifetimeSeconds",
  ],
};
/** The settings each OAuth 2.0 grant adds; those of other grants are not kept. */
const SETTINGS_BY_GRANT = {
  authorization_code: [],
  client_credentials: [],
  jwt_bearer: ["jwtSubject", "jwtAudience", "jwtKeyId", "jwtAlgorithm"],
  password: ["username"],
};
const SETTING_KEYS = [...new Set([...Object.values(SETTINGS_BY_AUTH_TYPE), ...Object.values(SETTINGS_BY_GRANT)].flat())];
const SECRETS = ["password", "clientSecret", "privateKey"];
const BODY_KEYS = new Set(["name", ...SETTING_KEYS, ...SECRETS]);

/** The grant of settings (as entered or normalized): null for Basic, `authorization_code` when not said. */
export function grantTypeOf(settings) {
  if (settings.authType !== "oauth2") return null;
  return grantOfSettings(settings).grantType;
}

/** Whether tokens of these settings need a person (Generate): only the authorization-code grant's do. */
export function isInteractive(settings) {
  return grantTypeOf(settings) === INTERACTIVE;
}

/** The secrets settings of this authentication type and grant use. */
export function secretFieldsOf(settings) {
  if (settings.authType !== "oauth2") return ["password"];
  const grant = grantTypeOf(settings);
  if (grant === "password") return ["clientSecret", "password"];
  if (grant === "jwt_bearer") return ["clientSecret", "privateKey"];
  return ["clientSecret"];
}

function settingKeysOf(settings) {
  const keys = SETTINGS_BY_AUTH_TYPE[settings.authType] ?? [];
  return settings.authType === "oauth2" ? [...keys, ...(SETTINGS_BY_GRANT[grantTypeOf(settings)] ?? [])] : keys;
}

/**
 * Stores the settings of a PUT body (creating the connection, or replacing its settings) and returns
 * `{config, created, keyChange}` (`keyChange`: the JWT-bearer key's `{keyId, previousKeyId}` when it
 * changed). Secrets are write-only: omitted, null or empty keeps the stored one, unless the instance
 * (or, for a secret sent to the token endpoint, the token URL) changes; secrets the new settings do
 * not use are deleted. Changing what the tokens belong to clears them, and any change of the
 * fingerprint drops pending authorizations — in the same change. For an unattended grant, saving
 * also lifts a "re-authorization required" mark, so the next use asks the instance once more.
 */
export async function saveSettings(store, { id, body, createOnly, switches }) {
  const { name, input, given } = readConnectionBody(body, id);
  const existing = await store.config();
  if (existing && createOnly) {
    throw new HttpError(412, Code.CONNECTION_EXISTS,
      `A connection "${id}" exists already; choose another id, or edit that one.`, { field: "id" });
  }
  const { normalized } = await validateAgainstStored(store, existing, { input, given, switches });

  const fingerprint = fingerprintOf(normalized);
  const identityChanged = existing !== null && tokenIdentity(existing.fingerprint) !== tokenIdentity(fingerprint);
  const now = Date.now();
  const config = {
    id,
    name,
    settings: pick(input, settingKeysOf(normalized)),
    fingerprint,
    generation: (existing?.generation ?? 0) + (identityChanged ? 1 : 0),
    createdAt: existing?.createdAt ?? now,
    updatedAt: now,
  };
  const used = secretFieldsOf(normalized);
  const put = { [RECORD.CONFIG]: config };
  for (const field of used) {
    if (given[field] !== undefined) put[SECRET_RECORD[field]] = store.seal(field, given[field]);
  }
  const remove = SECRETS.filter((field) => !used.includes(field)).map((field) => SECRET_RECORD[field]);
  let keyChange = null;
  if (grantTypeOf(normalized) === "jwt_bearer") {
    const typed = given.privateKey !== undefined;
    const privateKey = typed ? given.privateKey : store.open("privateKey", await store.get(SECRET_RECORD.privateKey));
    const before = (await store.get(RECORD.SIGNING_KEYS)) ?? null;
    const { changed, record } = afterSave(before, await publicKeyOf(privateKey, normalized, typed ? "privateKey" : "jwtAlgorithm"), now);
    if (changed) {
      put[RECORD.SIGNING_KEYS] = record;
      keyChange = { keyId: record.current.keyId, previousKeyId: record.previous?.keyId ?? null };
    }
  } else {
    remove.push(RECORD.SIGNING_KEYS);
  }
  // Tokens belong to the instance, client, token endpoint, grant and user that issued them.
  if (identityChanged) {
    remove.push(RECORD.TOKENS, RECORD.TOKEN_STATE);
  } else if (existing && !isInteractive(normalized)
    && (await store.get(RECORD.TOKEN_STATE))?.state === "reauthorization_required") {
    remove.push(RECORD.TOKEN_STATE);
  }
  if (existing && !sameFingerprint(existing.fingerprint, fingerprint)) {
    remove.push(...(await store.pendingAuthorizations()).keys());
  }
  await store.commit({ put, remove });
  return { config, created: existing === null, keyChange };
}

/**
 * Settings as PUT would store them, for Test Connection on settings as typed (nothing is stored):
 * the same body, the same checks and the same rule for stored secrets. Answers `{input, given,
 * normalized, carried, existing}`: the settings, the secrets typed, the core's normalized settings,
 * the stored secrets these settings may use, and the stored config (null for a new id).
 */
export async function checkTypedSettings(store, { body, switches }) {
  const { input, given } = readConnectionBody(body, store.id);
  const existing = await store.config();
  const { normalized, carried } = await validateAgainstStored(store, existing, { input, given, switches });
  return { input, given, normalized, carried, existing };
}

/**
 * The core's validateConfig on settings and typed secrets, where a stored secret counts as given only
 * if it may go with the new settings: a stored secret is never sent to another instance or token
 * endpoint, so moving the connection there means entering the secret again (422 `required`).
 * Answers `{normalized, carried}` (the stored secrets that may be used); throws the 422 otherwise.
 */
async function validateAgainstStored(store, existing, { input, given, switches }) {
  const storedSecrets = await store.getMany(Object.values(SECRET_RECORD));
  const stored = SECRETS.filter((field) => storedSecrets.has(SECRET_RECORD[field]));
  const candidate = { ...input, ...given, ...switches };
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

/**
 * The view of a connection: settings as entered, secrets masked, resolved values, token status, and
 * for a JWT-bearer connection its key set's URL (`jwksUrl`, made by the caller) and public key.
 */
export async function viewOf(store, config, { callbackUrl, jwksUrl, switches }) {
  const { settings } = config;
  const authType = settings.authType;
  const used = secretFieldsOf(settings);
  const records = await store.getMany([
    ...used.map((field) => SECRET_RECORD[field]), RECORD.TOKEN_STATE, RECORD.LAST_TEST, RECORD.SIGNING_KEYS,
  ]);
  const storedSecrets = used.filter((field) => records.has(SECRET_RECORD[field]));
  const checked = validateConfig({ ...settings, ...switches }, { storedSecrets });
  const view = { id: config.id, name: config.name, ...settings };
  for (const field of used) view[field] = { set: storedSecrets.includes(field) };
  if (checked.ok) {
    const { instanceUrl, apiPath, apiVersion, timeoutMs } = checked.config;
    view.resolved = { instanceUrl, apiPath, apiVersion, timeoutMs };
    if (authType === "oauth2") {
      const { authorizationUrl, tokenUrl, clientAuthentication, refreshTokenLifetimeSeconds } = checked.config;
      Object.assign(view.resolved, {
        authorizationUrl, tokenUrl, clientAuthentication, refreshTokenLifetimeSeconds, grantType: grantTypeOf(checked.config),
      });
      for (const key of SETTINGS_BY_GRANT[grantTypeOf(checked.config)] ?? []) {
        if (checked.config[key] !== undefined) view.resolved[key] = checked.config[key];
      }
    }
  } else {
    view.configErrors = checked.errors;
  }
  if (authType === "oauth2") {
    view.callbackUrl = callbackUrl;
    view.token = describeTokens(records.get(RECORD.TOKEN_STATE) ?? null, Date.now(), grantOfSettings(settings));
    if (grantTypeOf(settings) === "jwt_bearer") {
      view.jwksUrl = jwksUrl ?? null;
      view.signingKey = signingKeyView(records.get(RECORD.SIGNING_KEYS));
    }
  } else {
    view.token = null;
  }
  view.lastTest = records.get(RECORD.LAST_TEST) ?? null;
  view.createdAt = config.createdAt;
  view.updatedAt = config.updatedAt;
  return view;
}

/**
 * The normalized facts that decide where secrets and tokens may go. The authorization-code grant's
 * fingerprint is the one earlier builds stored; the unattended grants add the grant and the user the
 * tokens act as (the JWT subject, the password grant's user name).
 */
export function fingerprintOf(normalized) {
  const fingerprint = {
    authType: normalized.authType,
    instanceUrl: normalized.instanceUrl,
    clientId: normalized.clientId ?? null,
    authorizationUrl: normalized.authorizationUrl ?? null,
    tokenUrl: normalized.tokenUrl ?? null,
  };
  const grantType = grantTypeOf(normalized);
  if (grantType !== null && grantType !== INTERACTIVE) {
    fingerprint.grantType = grantType;
    fingerprint.subject = grantType === "jwt_bearer" ? normalized.jwtSubject : grantType === "password" ? normalized.username : null;
  }
  return fingerprint;
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
    if (Object.hasOwn(SWITCH_VARIABLES, key)) {
      errors.push({ field: key, code: Code.NOT_ALLOWED,
        message: `${key} is set by the worker's ${SWITCH_VARIABLES[key]} variable, not per connection.` });
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

/**
 * What tokens belong to: the authentication type, instance, client id and token URL, and for the
 * unattended grants the grant and the user the tokens act as.
 */
export function tokenIdentity(fingerprint) {
  const { authType, instanceUrl, clientId, tokenUrl, grantType, subject } = fingerprint;
  const identity = [authType, instanceUrl, clientId, tokenUrl];
  if (grantType !== undefined) identity.push(grantType, subject ?? null);
  return JSON.stringify(identity);
}

/**
 * Whether a stored secret may be used with the new settings: never on another instance, and a secret
 * sent to the token endpoint (the client secret, the private key's assertions, the password grant's
 * password) never to another token URL.
 */
function secretCarries(field, previous, next) {
  if (previous.instanceUrl !== next.instanceUrl) return false;
  const toTokenEndpoint = field !== "password" || next.authType === "oauth2";
  return !toTokenEndpoint || previous.tokenUrl === (next.tokenUrl ?? null);
}
