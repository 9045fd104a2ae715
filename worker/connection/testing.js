// Test Connection: the core reads one row of sys_db_object and explains the answer (TestResult), on
// the connection's stored settings or on settings as typed in a form, which are tested and never
// stored. Stored settings: for OAuth 2.0 the token is made usable first (refreshed when due) and,
// after a 401, refreshed once and the test sent again; a failure before anything could be sent (a
// refresh that failed, re-authorization required) is a TestResult too, classified by the core.
// Typed settings: checked like a save (settings.js; a stored secret stands in for an omitted one only
// where a save would keep it). For the authorization-code grant the stored access token is used only
// while it belongs to those settings (same type, instance, client id and token URL) and has not
// expired; it is never refreshed, cleared or replaced: a token of other settings, an expired one or
// none at all is `reauthorization_required`, saying to save and Generate. An unattended grant needs no
// person, so a token is requested with the typed settings themselves — which tests their credentials
// too — used for the test and dropped: it is never stored. The answer says which kind of test ran
// (`tested`); only a test of the stored settings is the connection's last test (last-test.js).

import { Connection, errorCodes, testCodes, testResultFromError, tokenStatus } from "../core.js";
import { checkTypedSettings, fingerprintOf, grantTypeOf, isInteractive, secretFieldsOf, tokenIdentity } from "./settings.js";
import { publicKeyOf } from "./signing-keys.js";
import { RECORD, SECRET_RECORD } from "./store.js";
import { reauthorizationRequired } from "./token-keeper.js";

export async function testStoredSettings(opened, keeper) {
  return { ...(await storedSettingsResult(opened, keeper)), tested: "stored" };
}

async function storedSettingsResult(opened, keeper) {
  const loaded = await opened.load();
  const { settings, connection } = loaded;
  if (settings.authType !== "oauth2") return connection.testConnection(null);
  let tokens;
  try {
    tokens = await keeper.usable({ loaded });
  } catch (error) {
    return failedTestResult(error);
  }
  const result = await connection.testConnection(tokens);
  if (result.code !== testCodes.unauthorized) return result;
  try {
    tokens = await keeper.usable({ rejected: tokens.accessToken });
  } catch (error) {
    return failedTestResult(error);
  }
  return connection.testConnection(tokens);
}

/**
 * Tests `body` (the shape of a PUT body) as the settings of this connection, storing nothing. Field
 * errors are the 422 of a save.
 */
export async function testTypedSettings(store, body, switches) {
  const { input, given, normalized, carried, existing } = await checkTypedSettings(store, { body, switches });
  const settings = { ...input, ...switches };
  for (const field of secretFieldsOf(normalized)) {
    if (given[field] !== undefined) {
      settings[field] = given[field];
    } else if (carried.includes(field)) {
      // Opened, not re-sealed: a test writes nothing, not even a rotation's re-seal.
      settings[field] = store.open(field, await store.get(SECRET_RECORD[field]));
    }
  }
  if (grantTypeOf(normalized) === "jwt_bearer" && !settings.jwtKeyId) {
    // Signed as a save would make it sign: with the key's thumbprint as `kid`.
    const field = given.privateKey !== undefined ? "privateKey" : "jwtAlgorithm";
    settings.jwtKeyId = (await publicKeyOf(settings.privateKey, normalized, field)).keyId;
  }
  const connection = new Connection(settings);
  try {
    let result;
    if (normalized.authType !== "oauth2") {
      result = await connection.testConnection(null);
    } else if (!isInteractive(normalized)) {
      result = await withRequestedTokens(connection);
    } else {
      const usable = await storedTokensFor(store, existing, normalized);
      result = usable.tokens
        ? await connection.testConnection(usable.tokens)
        : testResultFromError(reauthorizationRequired(usable.reason));
    }
    return { ...result, tested: "typed" };
  } finally {
    connection.free();
  }
}

/** The test with a token the unattended grant obtains now and nobody keeps; its refusal is the result. */
async function withRequestedTokens(connection) {
  let tokens;
  try {
    tokens = await connection.requestTokens();
  } catch (error) {
    return failedTestResult(error);
  }
  return connection.testConnection(tokens);
}

/**
 * The stored tokens, if they may serve a test of `normalized` (typed OAuth 2.0 settings):
 * `{tokens}` or `{reason}` saying why not.
 */
async function storedTokensFor(store, existing, normalized) {
  const sealed = existing ? await store.get(RECORD.TOKENS) : undefined;
  if (typeof sealed !== "string") {
    return { reason: "These settings have no access token yet: save them, then click Generate to authorize the connection." };
  }
  if (tokenIdentity(existing.fingerprint) !== tokenIdentity(fingerprintOf(normalized))) {
    return {
      reason: "The stored access token belongs to the saved settings (another instance, client ID or token URL). "
        + "Save these settings, then click Generate to authorize them.",
    };
  }
  const tokens = JSON.parse(store.open("tokens", sealed));
  const status = tokenStatus(tokens, Date.now());
  if (status !== "fresh" && status !== "refresh_due") {
    return {
      reason: "The stored access token has expired, and a test of unsaved settings does not refresh it. "
        + "Save the settings, then test again or click Generate.",
    };
  }
  return { tokens };
}

/**
 * The Test Connection result for a failure met before the test could be sent. Anything that is not
 * the core's error is a bug, and is thrown on.
 */
function failedTestResult(error) {
  if (error?.name !== "ConnectionError" && error?.code !== errorCodes.reauthorization_required) throw error;
  return testResultFromError(error);
}
