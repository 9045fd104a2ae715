// The answer to Test Connection, as a person reads it: the classification (the core's TestCode,
// DESIGN.md "JavaScript API of pkg/"), the message and the hint the core wrote for it (403: roles
// and sys_db_object; hibernating: wake the instance; 404: API path and version; 401 with Basic: maybe
// Basic is disabled, use OAuth), the HTTP status and how long the test took. The words for each
// class live here; the explanations come from the core so that the worker, the package and the page
// say the same thing.

const CLASSIFICATION = {
  ok: { label: "Connected", tone: "ok" },
  unauthorized: { label: "Unauthorized", tone: "bad" },
  forbidden: { label: "Forbidden", tone: "bad" },
  not_found: { label: "Not found", tone: "bad" },
  hibernating: { label: "Instance hibernating", tone: "warn" },
  rate_limited: { label: "Rate limited", tone: "warn" },
  unreachable: { label: "Unreachable", tone: "bad" },
  server_error: { label: "Server error", tone: "bad" },
  unexpected_response: { label: "Unexpected response", tone: "bad" },
  reauthorization_required: { label: "Re-authorization required", tone: "bad" },
  invalid_config: { label: "Invalid settings", tone: "bad" },
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

/**
 * Fills `container` with `result` (a TestResult). `roundTripMs` is the page's own measurement, used
 * when the worker did not time a request (it answered without calling the instance).
 */
export function renderTestResult(container, result, roundTripMs) {
  const known = CLASSIFICATION[result.code] ?? { label: result.code, tone: "bad" };
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
  if (result.hint) parts.push(line("result-hint", "Hint", result.hint));
  if (result.retryAfterSeconds != null) {
    parts.push(line("result-retry", "Retry after", `${result.retryAfterSeconds} s`));
  }
  parts.push(line("result-time", "Took", `${Math.round(elapsed)} ms`));
  container.replaceChildren(...parts);
  container.dataset.code = result.code;
}
