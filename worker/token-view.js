// What a person and the page see about a connection's tokens: status, expiry times, the ServiceNow
// user the token acts as, and the warning before the refresh token dies (in whole days left, rounded
// down, as the page words it too). The freshness policy is the core's (tokenSummary,
// src/oauth/lifecycle.rs); it depends only on the times and on whether a refresh token exists, so it
// runs here on the stored, non-secret token times (tokenMeta) and needs no unsealing. The registry's
// listing uses the same function, so the list and the detail view always agree.

import { tokenSummary } from "./core.js";

/** The non-secret facts about a token set that the views need. */
export function tokenMeta(tokens) {
  return {
    issuedAt: tokens.issuedAt,
    expiresAt: tokens.expiresAt ?? null,
    refreshExpiresAt: tokens.refreshExpiresAt ?? null,
    hasRefreshToken: Boolean(tokens.refreshToken),
  };
}

const DAY_SECONDS = 86_400;

/**
 * The token part of a connection view. `tokenState` is what the connection stored: absent (no token
 * yet), `{state: "active", meta, user?}`, or `{state: "reauthorization_required", reason}`.
 */
export function describeTokens(tokenState, now = Date.now()) {
  if (!tokenState) {
    return { status: "none", message: "No access token yet: click Generate to authorize this connection." };
  }
  if (tokenState.state === "reauthorization_required") {
    return {
      status: "reauthorization_required",
      message: tokenState.reason || "Re-authorization required: click Generate to get a new token.",
      since: tokenState.changedAt ?? null,
    };
  }
  const meta = tokenState.meta;
  // The policy needs only the times, so the sealed tokens stay sealed.
  const summary = tokenSummary({
    issuedAt: meta.issuedAt,
    expiresAt: meta.expiresAt,
    refreshExpiresAt: meta.refreshExpiresAt,
    hasRefreshToken: meta.hasRefreshToken,
  }, now);
  const view = {
    status: summary.status === "reauthorize" ? "reauthorization_required" : summary.status,
    message: MESSAGES[summary.status],
    issuedAt: meta.issuedAt,
    expiresAt: summary.expiresAt,
    refreshExpiresAt: summary.refreshExpiresAt,
    accessExpiresInSeconds: summary.accessExpiresInSeconds,
    refreshExpiresInSeconds: summary.refreshExpiresInSeconds,
    refreshExpiringSoon: summary.refreshExpiringSoon,
  };
  // `{known: true, userName, name}` or `{known: false}`; absent for tokens from before users were read.
  if (tokenState.user) view.user = tokenState.user;
  if (summary.refreshExpiringSoon && summary.status !== "reauthorize") {
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
