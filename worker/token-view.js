// What a person and the page see about a connection's tokens: status, expiry times, the grant that
// issued them (and for JWT bearer the subject its assertions name), the ServiceNow user the token acts
// as, and the warning before the refresh token of the authorization-code grant dies (in whole days
// left, rounded down, as the page words it too). Tokens of the unattended grants are simply requested
// again when due, and a password-grant token whose refresh token died by a new password grant, so
// they never need a person and get no such warning. The freshness policy is the core's (tokenSummary,
// src/oauth/lifecycle.rs); it depends only on the times and on whether a refresh token exists, so it
// runs here on the stored, non-secret token times (tokenMeta) and needs no unsealing. The registry's
// listing uses the same function, so the list and the detail view always agree.

import { tokenSummary } from "./core.js";

/** The non-secret facts about a token set that the views need. */
export function tokenMeta(tokens) {
  const meta = {
    issuedAt: tokens.issuedAt,
    expiresAt: tokens.expiresAt ?? null,
    refreshExpiresAt: tokens.refreshExpiresAt ?? null,
    hasRefreshToken: Boolean(tokens.refreshToken),
  };
  if (typeof tokens.grantType === "string") meta.grantType = tokens.grantType;
  return meta;
}

/** The grant of OAuth 2.0 settings that name none, and the only one that needs a person. */
export const INTERACTIVE = "authorization_code";

/** `{grantType, subject?}` of OAuth 2.0 settings (as entered): the grant, and a JWT's subject. */
export function grantOfSettings(settings) {
  const grantType = settings?.grantType ?? INTERACTIVE;
  return grantType === "jwt_bearer" ? { grantType, subject: settings.jwtSubject ?? null } : { grantType };
}

const DAY_SECONDS = 86_400;

/**
 * The token part of a connection view. `tokenState` is what the connection stored: absent (no token
 * yet), `{state: "active", meta, user?}`, or `{state: "reauthorization_required", reason}`; `grant`
 * is `{grantType, subject?}` of the connection's settings (grantOfSettings).
 */
export function describeTokens(tokenState, now = Date.now(), grant = { grantType: INTERACTIVE }) {
  const grantType = grant?.grantType ?? INTERACTIVE;
  const named = { grantType, ...(grant?.subject != null ? { subject: grant.subject } : {}) };
  const interactive = grantType === INTERACTIVE;
  if (!tokenState) {
    return {
      status: "none",
      message: interactive
        ? "No access token yet: click Generate to authorize this connection."
        : "No access token yet: one is requested on the first use, or click Generate.",
      ...named,
    };
  }
  if (tokenState.state === "reauthorization_required") {
    return {
      status: "reauthorization_required",
      message: tokenState.reason || (interactive
        ? "Re-authorization required: click Generate to get a new token."
        : "The instance refused the credentials: correct the settings (saving them tries again) or click Generate."),
      since: tokenState.changedAt ?? null,
      ...named,
    };
  }
  const meta = tokenState.meta;
  // The policy needs only the times, so the sealed tokens stay sealed.
  const summary = tokenSummary({
    issuedAt: meta.issuedAt,
    expiresAt: meta.expiresAt,
    refreshExpiresAt: meta.refreshExpiresAt,
    hasRefreshToken: meta.hasRefreshToken,
    grantType: meta.grantType ?? grantType,
  }, now);
  const view = {
    status: summary.status === "reauthorize" ? "reauthorization_required" : summary.status,
    message: (interactive ? MESSAGES : RENEWED_MESSAGES)[summary.status] ?? MESSAGES[summary.status],
    ...named,
    issuedAt: meta.issuedAt,
    expiresAt: summary.expiresAt,
    refreshExpiresAt: summary.refreshExpiresAt,
    accessExpiresInSeconds: summary.accessExpiresInSeconds,
    refreshExpiresInSeconds: summary.refreshExpiresInSeconds,
    refreshExpiringSoon: interactive && summary.refreshExpiringSoon,
  };
  // `{known: true, userName, name}` or `{known: false}`; absent for tokens from before users were read.
  if (tokenState.user) view.user = tokenState.user;
  if (view.refreshExpiringSoon && summary.status !== "reauthorize") {
    const days = Math.max(0, Math.floor((summary.refreshExpiresInSeconds ?? 0) / DAY_SECONDS));
    const when = days === 0 ? "within a day" : `in ${days} day${days === 1 ? "" : "s"}`;
    view.warning = `The refresh token expires ${when} (${new Date(summary.refreshExpiresAt).toISOString()}). ` +
      "Generate a new token before then, or the connection will need re-authorization.";
  }
  return view;
}

const MESSAGES = {
  fresh: "Access token valid.",
  refresh_due: "Access token valid; it is refreshed on the next use.",
  expired: "Access token expired; it is refreshed automatically on the next use.",
  reauthorize: "The tokens can no longer be refreshed: re-authorization required. Click Generate.",
};

/** The unattended grants: a token that is due is replaced (refreshed first where a refresh token lives). */
const RENEWED_MESSAGES = {
  fresh: "Access token valid.",
  refresh_due: "Access token valid; a new one is obtained on the next use.",
  expired: "Access token expired; a new one is obtained automatically on the next use.",
};
