// The answer to Test Connection, as a person reads it: the classification (the core's TestCode,
// pkg/servicenow_connection.d.ts), the message and the hint the core wrote for it (403: roles
// and sys_db_object; hibernating: wake the instance; 404: API path and version; 401 with Basic: maybe
// Basic is disabled, use OAuth), the HTTP status and how long the test took. The words for each
// class live here; the explanations come from the core so that the worker, the package and the page
// say the same thing. The result also says what was tested (the settings as typed, not saved, or
// the saved ones), and is marked out of date as soon as what it describes changes: an edit to the
// settings, a new token from Generate, a Reset.

import { testCodes } from "./pkg/servicenow_connection.js";

const CLASSIFICATION = {
  [testCodes.ok]: { label: "Connected", tone: "ok" },
  [testCodes.unauthorized]: { label: "Unauthorized", tone: "bad" },
  [testCodes.forbidden]: { label: "Forbidden", tone: "bad" },
  [testCodes.not_found]: { label: "Not found", tone: "bad" },
  [testCodes.hibernating]: { label: "Instance hibernating", tone: "warn" },
  [testCodes.rate_limited]: { label: "Rate limited", tone: "warn" },
  [testCodes.unreachable]: { label: "Unreachable", tone: "bad" },
  [testCodes.server_error]: { label: "Server error", tone: "bad" },
  [testCodes.unexpected_response]: { label: "Unexpected response", tone: "bad" },
  [testCodes.reauthorization_required]: { label: "Re-authorization required", tone: "bad" },
  [testCodes.invalid_config]: { label: "Invalid settings", tone: "bad" },
};

function line(className, label, value) {
  const row = document.createElement("p");
  row.className = className;
  if (label) {
    const name = document.createElement("span");
    name.className = "result-label";
    name.textContent = `${label}: `;
    row.append(name);
  }
  row.append(value);
  return row;
}


const TESTED = {
  typed: "Tested the settings as entered. Nothing was saved.",
  stored: "Tested the saved settings.",
};

/**
 * The class's label and tone, with "re-authorization required" worded for what it means here: a
 * connection that never had a token is not authorized yet, and settings typed but not saved have no
 * token. Also for the list's "last test".
 */
export function testLabel(result, tokenStatus = null) {
  const known = CLASSIFICATION[result.code] ?? { label: result.code, tone: "bad" };
  if (result.code !== testCodes.reauthorization_required) return known;
  if (tokenStatus === "none" || tokenStatus === "unsaved") return { label: "Not authorized yet", tone: "bad" };
  if (result.tested === "typed" && tokenStatus !== "reauthorization_required") {
    return { label: "Not authorized for these settings", tone: "bad" };
  }
  return known;
}

/**
 * Fills `container` with `result` (a TestResult plus `tested`). `roundTripMs` is the page's own
 * measurement, used when the worker did not time a request (it answered without calling the
 * instance). `tokenStatus`: the connection's token status when the test ran ("unsaved" for a
 * connection not created yet), for the wording of a missing authorization.
 */
export function renderTestResult(container, result, roundTripMs, { tokenStatus = null } = {}) {
  const known = testLabel(result, tokenStatus);
  const badge = document.createElement("span");
  badge.className = `badge ${known.tone}`;
  badge.textContent = known.label;
  const status = result.status ? ` (HTTP ${result.status})` : "";
  const headline = document.createElement("p");
  headline.className = "result-headline";
  headline.dataset.code = result.code;
  headline.append(badge, status);

  const elapsed = result.elapsedMs > 0 ? result.elapsedMs : roundTripMs;
  const parts = [headline, line("result-message", "", result.message)];
  if (TESTED[result.tested]) parts.push(line("result-tested", "", TESTED[result.tested]));
  if (result.hint) parts.push(line("result-hint", "Hint", result.hint));
  if (result.retryAfterSeconds != null) {
    parts.push(line("result-retry", "Retry after", `${result.retryAfterSeconds} s`));
  }
  parts.push(line("result-time", "Took", `${Math.round(elapsed)} ms`));
  container.replaceChildren(...parts);
  container.dataset.code = result.code;
}

/**
 * Marks the shown result as out of date (`reason` says what changed), or as current again with
 * `reason` null. `section` holds the result and its note (a `.stale-note` element).
 */
export function markTestResultStale(section, reason) {
  const note = section.querySelector(".stale-note");
  section.classList.toggle("stale", reason !== null);
  section.dataset.stale = String(reason !== null);
  note.textContent = reason === null ? "" : `Out of date: ${reason} Click Test Connection to test again.`;
  note.hidden = reason === null;
}
