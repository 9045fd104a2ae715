// How the page shows an OAuth connection's access token: none yet, valid until a time, expired but
// refreshed on the next use, or re-authorization required; and how long the refresh token has left,
// with a warning in its last 7 days (ServiceNow does not extend a refresh token when it is used, so
// the connection dies on that day unless someone clicks Generate; DESIGN.md, "ServiceNow behaviour").
// The facts come from the worker's connection view (`token`, worker/token-view.js), which applies the
// core's freshness policy; this module only words them. Times are shown in the reader's local time
// with the zone name, so "valid until" is never ambiguous.

const DAY_SECONDS = 86_400;
const WARN_DAYS = 7;

// dateStyle/timeStyle cannot be combined with timeZoneName, so the parts are named one by one.
const timeFormat = new Intl.DateTimeFormat(undefined, {
  year: "numeric",
  month: "short",
  day: "numeric",
  hour: "2-digit",
  minute: "2-digit",
  timeZoneName: "short",
});

/** A <time> element with the local time and zone, and the exact instant in `datetime`. */
export function timeElement(ms) {
  const element = document.createElement("time");
  const date = new Date(ms);
  element.dateTime = date.toISOString();
  element.textContent = timeFormat.format(date);
  return element;
}

/**
 * "in N days", from the worker's seconds count (computed at the worker's clock). Rounded, so a
 * 100-day token read a second after it was issued says 100, not 99; under a day says so.
 */
function daysText(seconds) {
  if (seconds < DAY_SECONDS) return "within a day";
  const days = Math.round(seconds / DAY_SECONDS);
  return `in ${days} ${days === 1 ? "day" : "days"}`;
}

/** A short label and tone for lists and badges: `{text, tone}`, tone one of ok, warn, bad, none. */
export function tokenBadge(token) {
  if (!token) return null;
  switch (token.status) {
    case "fresh":
    case "refresh_due":
      return refreshWarns(token) ? { text: "Token valid, refresh token expiring", tone: "warn" } : { text: "Token valid", tone: "ok" };
    case "expired":
      return { text: "Token expired, refreshed on use", tone: "warn" };
    case "reauthorization_required":
      return { text: "Re-authorization required", tone: "bad" };
    default:
      return { text: "No access token", tone: "none" };
  }
}

function refreshWarns(token) {
  if (token.refreshExpiresInSeconds == null) return false;
  return Boolean(token.refreshExpiringSoon) || token.refreshExpiresInSeconds < WARN_DAYS * DAY_SECONDS;
}

function paragraph(className, ...parts) {
  const element = document.createElement("p");
  if (className) element.className = className;
  element.append(...parts);
  return element;
}

function badgeElement({ text, tone }) {
  const badge = document.createElement("span");
  badge.className = `badge ${tone}`;
  badge.textContent = text;
  return badge;
}

/**
 * Fills `container` with the token state of a connection view's `token` (null for a connection not
 * saved yet).
 */
export function renderTokenState(container, token) {
  container.replaceChildren();
  container.dataset.status = token?.status ?? "unsaved";
  if (!token) {
    container.append(paragraph("", "Save the connection, then click Generate to get an access token."));
    return;
  }
  const badge = badgeElement(tokenBadge(token));
  switch (token.status) {
    case "none":
      container.append(paragraph("token-headline", badge, " No access token yet. Click Generate to authorize this connection."));
      return;
    case "reauthorization_required":
      container.append(
        paragraph("token-headline", badge, " The connection can no longer refresh its token."),
        paragraph("", token.message || "Click Generate to authorize it again."),
      );
      return;
    default:
      break;
  }
  if (token.expiresAt == null) {
    container.append(paragraph("token-headline", badge, " Access token valid (the instance gave no expiry time)."));
  } else if (token.status === "expired") {
    container.append(paragraph("token-headline", badge, " Access token expired at ", timeElement(token.expiresAt),
      "; it is refreshed automatically on the next use."));
  } else {
    container.append(paragraph("token-headline", badge, " Access token valid until ", timeElement(token.expiresAt), "."));
  }
  if (token.refreshExpiresAt == null) {
    container.append(paragraph("", "No refresh token: click Generate again when the access token expires."));
    return;
  }
  const seconds = Math.max(0, token.refreshExpiresInSeconds ?? (token.refreshExpiresAt - Date.now()) / 1000);
  const refresh = paragraph(refreshWarns(token) ? "refresh warn" : "refresh",
    `Refresh token expires ${daysText(seconds)} (`, timeElement(token.refreshExpiresAt), ").");
  container.append(refresh);
  if (refreshWarns(token)) {
    container.append(paragraph("warn", "Click Generate before then, or the connection will need re-authorization."));
  }
}
