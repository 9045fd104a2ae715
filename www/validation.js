// Validation as you type, with the worker's rules: connection settings go through the wasm core's
// validateConfig (the function the worker calls on save), so the page and the worker can never
// disagree about a Base URL or a missing Client ID. The two fields the core does not know, the
// connection id and the name, are checked here against the worker's own limits
// (worker/middleware/connection-id.js CONNECTION_ID, worker/connection/settings.js MAX_NAME_LENGTH).
// The worker stays the authority: its 422 field errors are shown the same way (connection-form.js).
// Codes are the core's (fieldCodes), except the worker's own invalid_connection_id.

import { fieldCodes, validateConfig } from "./pkg/servicenow_connection.js";
import { networkSwitches } from "./worker-info.js";

export const CONNECTION_ID = /^[A-Za-z0-9_-]{1,64}$/;
const MAX_NAME_LENGTH = 100;

/**
 * `settings`: the non-secret fields as entered; `secrets`: values typed into secret fields;
 * `storedSecrets`: which secrets the worker already holds. Answers `{ok, errors, config?}` in the
 * core's shape, including the id and name checks.
 */
export function validateConnection({ id, name, settings, secrets, storedSecrets, isNew }) {
  const input = { ...settings, ...secrets, ...networkSwitches() };
  const result = validateConfig(input, { storedSecrets });
  const errors = [...result.errors];
  if (isNew) {
    if (id === "") {
      errors.push({ field: "id", code: fieldCodes.required, message: "Connection ID is required." });
    } else if (!CONNECTION_ID.test(id)) {
      errors.push({
        field: "id",
        code: "invalid_connection_id",
        message: 'Connection ID must be 1 to 64 letters, digits, "_" or "-".',
      });
    }
  }
  if (name.trim().length > MAX_NAME_LENGTH) {
    errors.push({ field: "name", code: fieldCodes.too_long, message: `Name must be at most ${MAX_NAME_LENGTH} characters.` });
  } else if (/\p{Cc}/u.test(name)) {
    errors.push({ field: "name", code: fieldCodes.control_character, message: "Name must not contain control characters." });
  }
  return { ok: errors.length === 0, errors, config: result.config };
}

/**
 * The instance's default OAuth URLs for a Base URL, for the placeholders of the two URL fields, or
 * null while the Base URL is not valid. The core computes them only for a whole valid OAuth
 * configuration, so it is asked about a probe that has a stand-in Client ID and claims a stored
 * secret (no secret value is involved).
 */
export function defaultOAuthUrls(baseUrl) {
  if (baseUrl.trim() === "") return null;
  const probe = validateConfig(
    { baseUrl, authType: "oauth2", clientId: "probe", ...networkSwitches() },
    { storedSecrets: ["clientSecret"] },
  );
  if (!probe.ok) return null;
  return { authorizationUrl: probe.config.authorizationUrl, tokenUrl: probe.config.tokenUrl };
}

function parseUrl(text) {
  try {
    return typeof text === "string" && text.trim() !== "" ? new URL(text.trim()) : null;
  } catch {
    return null;
  }
}

const OTHER_HOST_REASON = {
  authorizationUrl: {
    label: "Authorization Token URL",
    why: "People sign in there when you click Generate: use it only if your instance signs people in on that host.",
  },
  tokenUrl: {
    label: "Access Token URL",
    why: "The client secret and the authorization codes are sent there: check that it is your instance's token endpoint.",
  },
};

/**
 * Warnings, not errors: OAuth 2.0 URLs entered on another host than the Base URL's instance. That
 * can be right (an identity provider in front of the instance) but is more often a copy-and-paste
 * slip that would send the client secret elsewhere. `[{field, message}]`; none while the Base URL
 * or the field is empty or unreadable (the errors speak then).
 */
export function otherHostWarnings(settings) {
  if (settings.authType !== "oauth2") return [];
  const instance = parseUrl(settings.baseUrl);
  if (!instance) return [];
  const warnings = [];
  for (const [field, { label, why }] of Object.entries(OTHER_HOST_REASON)) {
    const url = parseUrl(settings[field]);
    if (url && url.host !== "" && url.host !== instance.host) {
      warnings.push({ field, message: `${label} is on ${url.host}, not on the instance (${instance.host}). ${why}` });
    }
  }
  return warnings;
}

/** A connection id suggested from a name: "Dev 8954 (OAuth)" -> "dev-8954-oauth". */
export function suggestId(name) {
  return name
    .toLowerCase()
    .normalize("NFKD")
    .replace(/\p{M}+/gu, "")
    .replace(/[^a-z0-9_-]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 64);
}
