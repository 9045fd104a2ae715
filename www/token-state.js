// How the page shows an OAuth connection's access token: not authorized yet, valid until a time,
// expired but refreshed (or, for the unattended grants, requested again) on the next use, or
// re-authorization required; which grant issued it and, for JWT bearer, the subject its assertions
// name; which ServiceNow user it acts as; and how long the refresh token has left, with a warning in
// its last days for the authorization-code grant (ServiceNow does not extend a refresh token when it
// is used, so the connection dies on that day unless someone clicks Generate; the password grant
// simply runs again). The facts come from the worker's connection view (`token`), which applies the core's
// freshness policy (tokenSummary): whether the refresh token is "expiring soon" is the core's
// `refreshExpiringSoon`, never decided here, so the page, the listing and the worker's warning text
// always agree. Days are whole days left, rounded down as the worker's warning rounds them, so the
// number shown never promises more time than there is. Times are shown in the reader's local time
// with the zone name, so "valid until" is never ambiguous.

const DAY_SECONDS = 86_400;

/** The grants by name, as sentences use them ("… (client credentials grant)"). */
export const GRANT_LABELS = Object.freeze({
  authorization_code: "authorization code",
  client_credentials: "client credentials",
  jwt_bearer: "JWT bearer",
  password: "password",
});

/** The grant of an OAuth 2.0 connection that names none. */
export const DEFAULT_GRANT = "authorization_code";

/** Whether a token (or a listed connection) belongs to a grant that needs no person. */
export const isUnattended = (withGrant) => (withGrant?.grantType ?? DEFAULT_GRANT) !== DEFAULT_GRANT;

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

/** "in N days" (whole days left, rounded down) from the worker's seconds count; under a day says so. */
export function daysText(seconds) {
  const days = Math.floor(seconds / DAY_SECONDS);
  if (days < 1) return "within a day";
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
      return { text: isUnattended(token) ? "Token expired, renewed on use" : "Token expired, refreshed on use", tone: "warn" };
    case "reauthorization_required":
      return { text: "Re-authorization required", tone: "bad" };
    default:
      return { text: isUnattended(token) ? "No token yet" : "Not authorized yet", tone: "none" };
  }
}

function refreshWarns(token) {
  return token.refreshExpiringSoon === true;
}

/**
 * Whose token it is: the ServiceNow user read with the token right after Generate (`token.user`,
 * `{known: true, userName, name}`), or unknown when the instance did not let the token read it.
 * Tokens from before the worker recorded users have no `user`: nothing is said then.
 */
function userLine(user) {
  if (!user || typeof user !== "object") return null;
  if (user.known !== true) {
    return paragraph("token-user", "ServiceNow user: unknown (the instance did not allow this token to read its user record).");
  }
  const who = document.createElement("strong");
  who.textContent = user.userName;
  const parts = ["Acts as ServiceNow user ", who];
  if (user.name && user.name !== user.userName) parts.push(` (${user.name})`);
  parts.push(".");
  return paragraph("token-user", ...parts);
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

/** "Grant: client credentials." or "Grant: JWT bearer, subject <b>svc@example.com</b>." */
function grantLine(token) {
  const grantType = token.grantType ?? DEFAULT_GRANT;
  const parts = [`Grant: ${GRANT_LABELS[grantType] ?? grantType}`];
  if (grantType === "jwt_bearer" && typeof token.subject === "string") {
    const subject = document.createElement("strong");
    subject.textContent = token.subject;
    parts.push(", subject ", subject);
  }
  parts.push(".");
  const line = paragraph("token-grant", ...parts);
  line.dataset.tokenGrant = grantType;
  return line;
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
  const unattended = isUnattended(token);
  container.dataset.tokenGrant = token.grantType ?? DEFAULT_GRANT;
  switch (token.status) {
    case "none":
      container.append(paragraph("token-headline", badge, unattended
        ? " This connection has no access token yet. One is requested from the instance on the first use, or click Generate."
        : " This connection has no access token. Click Generate to authorize it."), grantLine(token));
      return;
    case "reauthorization_required":
      container.append(
        paragraph("token-headline", badge, unattended
          ? " The instance refused this connection's credentials."
          : " The connection can no longer refresh its token."),
        paragraph("", token.message || "Click Generate to authorize it again."),
        grantLine(token),
      );
      return;
    default:
      break;
  }
  if (token.expiresAt == null) {
    container.append(paragraph("token-headline", badge, " Access token valid (the instance gave no expiry time)."));
  } else if (token.status === "expired") {
    container.append(paragraph("token-headline", badge, " Access token expired at ", timeElement(token.expiresAt),
      unattended ? "; a new one is obtained automatically on the next use." : "; it is refreshed automatically on the next use."));
  } else {
    container.append(paragraph("token-headline", badge, " Access token valid until ", timeElement(token.expiresAt), "."));
  }
  container.append(grantLine(token));
  const user = userLine(token.user);
  if (user) container.append(user);
  if (token.refreshExpiresAt == null) {
    container.append(paragraph("", unattended
      ? "No refresh token: a new access token is requested from the instance when this one is due."
      : "No refresh token: click Generate again when the access token expires."));
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
