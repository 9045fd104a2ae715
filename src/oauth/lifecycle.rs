//! When tokens need attention: the freshness policy shared by the worker and the page.
//!
//! An access token is renewed ahead of its death, when at most 60 s or 10 % of its lifetime remains
//! (whichever is longer), so that a request never leaves with a token that dies on the way. What can
//! renew it depends on the grant that produced it: a live refresh token, or for the unattended grants
//! (client credentials, JWT bearer, password) the grant itself, so their tokens are `refresh_due` or
//! `expired`, never `reauthorize`; only a code-grant token without a live refresh token needs a person
//! again. A refresh token dies at a fixed time (ServiceNow does not extend it), so the summary says
//! how long it has left and, for the code grant, warns a week ahead, before users meet
//! "re-authorization required".

use serde::{Deserialize, Serialize};
use tsify::Tsify;

use crate::error::Error;
use crate::grant_type::GrantType;
use crate::json_limits::{Shape, argument};
use crate::oauth::token::TokenSet;
use crate::secret::Secret;

const MIN_MARGIN_MS: u64 = 60_000;
/// How early the refresh token's death is announced.
pub const REFRESH_WARNING_MS: u64 = 7 * 86_400_000;

/// The state of a token set at a moment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Tsify)]
#[serde(rename_all = "snake_case")]
pub enum TokenStatus {
    /// Usable as it is.
    Fresh,
    /// Usable, but should be renewed now (refreshed, or requested again).
    RefreshDue,
    /// The access token is dead; a refresh or the unattended grant can replace it.
    Expired,
    /// The access token is dead (or missing) and only a person can get a new one: Generate again.
    Reauthorize,
}

impl TokenStatus {
    /// The stable string form: `fresh`, `refresh_due`, `expired`, `reauthorize`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Fresh => "fresh",
            Self::RefreshDue => "refresh_due",
            Self::Expired => "expired",
            Self::Reauthorize => "reauthorize",
        }
    }
}

/// A token set's times without its secrets: what the freshness policy reads, so that a caller that
/// keeps tokens sealed can ask without opening them. A whole `TokenSet` reads as well.
#[derive(Deserialize, Tsify)]
#[serde(rename_all = "camelCase")]
pub struct TokenTimes {
    /// When the access token was issued (ms since the epoch).
    #[serde(default)]
    pub issued_at: u64,
    /// When the access token dies, when known.
    pub expires_at: Option<u64>,
    /// When the refresh token dies, when known.
    pub refresh_expires_at: Option<u64>,
    /// Whether there is a refresh token (or give `refreshToken` itself).
    #[serde(default)]
    pub has_refresh_token: bool,
    /// The refresh token of a whole token set; only its presence is read.
    #[serde(default)]
    #[tsify(type = "string | null")]
    pub refresh_token: Option<Secret>,
    /// The grant that produced the tokens (default `authorization_code`).
    #[serde(default)]
    #[tsify(optional)]
    pub grant_type: GrantType,
}

impl TokenTimes {
    /// Reads a `TokenTimes` or `TokenSet` from JSON text, as a token set with empty secrets (only
    /// whether a refresh token exists is kept); `None` for `null`.
    pub fn from_json(text: &str) -> Result<Option<TokenSet>, Error> {
        let times = argument::<Self>(text, "tokens", Shape::Object)?;
        Ok(times.map(|times| {
            let has_refresh_token = times.has_refresh_token
                || times.refresh_token.is_some_and(|token| !token.is_empty());
            TokenSet {
                access_token: Secret::default(),
                refresh_token: has_refresh_token.then(Secret::default),
                token_type: "Bearer".to_owned(),
                scope: None,
                issued_at_ms: times.issued_at,
                expires_at_ms: times.expires_at,
                refresh_expires_at_ms: times.refresh_expires_at,
                grant_type: times.grant_type,
            }
        }))
    }
}

/// Whether `tokens` hold a refresh token that has not reached its known death.
pub(crate) fn refresh_token_alive(tokens: &TokenSet, now_ms: u64) -> bool {
    tokens.refresh_token.is_some() && tokens.refresh_expires_at_ms.is_none_or(|at| now_ms < at)
}

/// Classifies `tokens` at `now_ms`. Tokens without a known expiry count as fresh (a 401 will tell).
pub fn token_status(tokens: &TokenSet, now_ms: u64) -> TokenStatus {
    let refreshable = refresh_token_alive(tokens, now_ms) || !tokens.grant_type.is_interactive();
    let Some(expires_at) = tokens.expires_at_ms else {
        return TokenStatus::Fresh;
    };
    if now_ms >= expires_at {
        return if refreshable {
            TokenStatus::Expired
        } else {
            TokenStatus::Reauthorize
        };
    }
    let lifetime = expires_at.saturating_sub(tokens.issued_at_ms);
    let margin = MIN_MARGIN_MS.max(lifetime / 10);
    if refreshable && expires_at - now_ms <= margin {
        TokenStatus::RefreshDue
    } else {
        TokenStatus::Fresh
    }
}

/// What a person should see about a token set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Tsify)]
#[serde(rename_all = "camelCase")]
pub struct TokenSummary {
    /// The status now.
    pub status: TokenStatus,
    /// The grant that produced the tokens.
    pub grant_type: GrantType,
    /// When the access token dies, when known.
    #[serde(rename = "expiresAt")]
    pub expires_at_ms: Option<u64>,
    /// When the refresh token dies, when there is one and it is known.
    #[serde(rename = "refreshExpiresAt")]
    pub refresh_expires_at_ms: Option<u64>,
    /// Whole seconds until the access token dies (negative when dead), when known.
    pub access_expires_in_seconds: Option<i64>,
    /// Whole seconds until the refresh token dies (negative when dead), when known.
    pub refresh_expires_in_seconds: Option<i64>,
    /// The refresh token dies within a week and only a person can replace it (code grant).
    pub refresh_expiring_soon: bool,
}

/// Summarises `tokens` at `now_ms`.
pub fn token_summary(tokens: &TokenSet, now_ms: u64) -> TokenSummary {
    // Whole seconds, rounded towards the past; saturating, so absurd times cannot overflow.
    let seconds_until = |at: u64| {
        if at >= now_ms {
            i64::try_from((at - now_ms) / 1000).unwrap_or(i64::MAX)
        } else {
            i64::try_from((now_ms - at).div_ceil(1000)).map_or(i64::MIN, |s| -s)
        }
    };
    TokenSummary {
        status: token_status(tokens, now_ms),
        grant_type: tokens.grant_type,
        expires_at_ms: tokens.expires_at_ms,
        refresh_expires_at_ms: tokens
            .refresh_token
            .as_ref()
            .and(tokens.refresh_expires_at_ms),
        access_expires_in_seconds: tokens.expires_at_ms.map(seconds_until),
        refresh_expires_in_seconds: tokens
            .refresh_token
            .as_ref()
            .and(tokens.refresh_expires_at_ms)
            .map(seconds_until),
        refresh_expiring_soon: tokens.grant_type.is_interactive()
            && tokens.refresh_token.is_some()
            && tokens
                .refresh_expires_at_ms
                .is_some_and(|at| at.saturating_sub(now_ms) < REFRESH_WARNING_MS),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: u64 = 1_700_000_000_000;

    fn tokens(lifetime_ms: u64) -> TokenSet {
        TokenSet {
            access_token: Secret::new("a"),
            refresh_token: Some(Secret::new("r")),
            token_type: "Bearer".to_owned(),
            scope: None,
            issued_at_ms: T0,
            expires_at_ms: Some(T0 + lifetime_ms),
            refresh_expires_at_ms: Some(T0 + 100 * 86_400_000),
            grant_type: GrantType::AuthorizationCode,
        }
    }

    #[test]
    fn ten_percent_margin_for_long_lifetimes() {
        let t = tokens(1_800_000);
        // 10 % of 1800 s is 180 s, more than 60 s.
        assert_eq!(token_status(&t, T0), TokenStatus::Fresh);
        assert_eq!(token_status(&t, T0 + 1_620_000 - 1), TokenStatus::Fresh);
        assert_eq!(token_status(&t, T0 + 1_620_000), TokenStatus::RefreshDue);
        assert_eq!(
            token_status(&t, T0 + 1_800_000 - 1),
            TokenStatus::RefreshDue
        );
        assert_eq!(token_status(&t, T0 + 1_800_000), TokenStatus::Expired);
    }

    #[test]
    fn sixty_second_margin_for_short_lifetimes() {
        let t = tokens(300_000);
        assert_eq!(token_status(&t, T0 + 240_000 - 1), TokenStatus::Fresh);
        assert_eq!(token_status(&t, T0 + 240_000), TokenStatus::RefreshDue);
        // Shorter than the margin: due at once.
        assert_eq!(token_status(&tokens(30_000), T0), TokenStatus::RefreshDue);
    }

    #[test]
    fn without_a_usable_refresh_token() {
        let mut t = tokens(1_800_000);
        t.refresh_token = None;
        assert_eq!(token_status(&t, T0 + 1_700_000), TokenStatus::Fresh);
        assert_eq!(token_status(&t, T0 + 1_800_000), TokenStatus::Reauthorize);
        let mut dead = tokens(1_800_000);
        dead.refresh_expires_at_ms = Some(T0 + 1_000);
        assert_eq!(
            token_status(&dead, T0 + 1_800_000),
            TokenStatus::Reauthorize
        );
    }

    #[test]
    fn unknown_expiry_is_fresh() {
        let mut t = tokens(0);
        t.expires_at_ms = None;
        assert_eq!(token_status(&t, u64::MAX), TokenStatus::Fresh);
        assert_eq!(TokenStatus::RefreshDue.as_str(), "refresh_due");
    }

    #[test]
    fn summary_warns_a_week_ahead() {
        let t = tokens(1_800_000);
        let now = T0 + 93 * 86_400_000 + 1;
        let summary = token_summary(&t, now);
        assert!(summary.refresh_expiring_soon);
        assert_eq!(summary.status, TokenStatus::Expired);
        assert_eq!(summary.refresh_expires_in_seconds, Some(7 * 86_400 - 1));
        assert!(summary.access_expires_in_seconds.unwrap() < 0);
        let early = token_summary(&t, T0);
        assert!(!early.refresh_expiring_soon);
        assert_eq!(early.access_expires_in_seconds, Some(1800));
        assert_eq!(early.refresh_expires_in_seconds, Some(100 * 86_400));
        assert_eq!(
            serde_json::to_string(&early).unwrap(),
            format!(
                r#"{{"status":"fresh","grantType":"authorization_code","expiresAt":{},"refreshExpiresAt":{},"accessExpiresInSeconds":1800,"refreshExpiresInSeconds":8640000,"refreshExpiringSoon":false}}"#,
                T0 + 1_800_000,
                T0 + 100 * 86_400_000
            )
        );
    }

    #[test]
    fn token_times_need_no_secrets() {
        let times = TokenTimes::from_json(r#"{"issuedAt":1,"expiresAt":2,"hasRefreshToken":true}"#)
            .unwrap()
            .unwrap();
        assert!(times.refresh_token.is_some());
        assert_eq!((times.issued_at_ms, times.expires_at_ms), (1, Some(2)));
        let full = TokenTimes::from_json(
            r#"{"accessToken":"a","refreshToken":"r","tokenType":"Bearer","scope":null,"issuedAt":1,"expiresAt":2,"refreshExpiresAt":null}"#,
        )
        .unwrap()
        .unwrap();
        assert!(
            full.refresh_token.unwrap().is_empty(),
            "the secret itself is not kept"
        );
        let none = TokenTimes::from_json(r#"{"expiresAt":2,"refreshToken":null}"#)
            .unwrap()
            .unwrap();
        assert!(none.refresh_token.is_none());
        assert!(TokenTimes::from_json("null").unwrap().is_none());
        for (bad, field) in [
            (r#"{"expiresAt":"x"}"#, "expiresAt"),
            (r#"{"accessToken":"a","expiresAt":"soon"}"#, "expiresAt"),
            (r#"{"refreshToken":5}"#, "refreshToken"),
            ("7", "tokens"),
        ] {
            let error = TokenTimes::from_json(bad).unwrap_err();
            assert_eq!(
                (error.code.as_str(), error.field),
                ("invalid_type", Some(field)),
                "{bad}"
            );
        }
    }

    #[test]
    fn unattended_grants_are_renewed_never_reauthorized() {
        for grant in [
            GrantType::ClientCredentials,
            GrantType::JwtBearer,
            GrantType::Password,
        ] {
            let mut t = tokens(1_800_000);
            t.grant_type = grant;
            t.refresh_token = None;
            t.refresh_expires_at_ms = None;
            assert_eq!(token_status(&t, T0), TokenStatus::Fresh, "{grant:?}");
            assert_eq!(token_status(&t, T0 + 1_620_000), TokenStatus::RefreshDue);
            assert_eq!(token_status(&t, T0 + 1_800_000), TokenStatus::Expired);
            let summary = token_summary(&t, T0 + 1_800_000);
            assert_eq!(summary.grant_type, grant);
            assert!(!summary.refresh_expiring_soon);
        }
        // A password-grant token whose refresh token died: the password renews it.
        let mut password = tokens(1_800_000);
        password.grant_type = GrantType::Password;
        password.refresh_expires_at_ms = Some(T0 + 1_000);
        assert_eq!(
            token_status(&password, T0 + 1_800_000),
            TokenStatus::Expired
        );
        assert!(!token_summary(&password, T0 + 500).refresh_expiring_soon);
        // The same for a code-grant token is for a person.
        password.grant_type = GrantType::AuthorizationCode;
        assert_eq!(
            token_status(&password, T0 + 1_800_000),
            TokenStatus::Reauthorize
        );
        assert!(token_summary(&password, T0 + 500).refresh_expiring_soon);
    }

    #[test]
    fn token_times_carry_the_grant() {
        let times = TokenTimes::from_json(
            r#"{"issuedAt":1,"expiresAt":2,"grantType":"client_credentials"}"#,
        )
        .unwrap()
        .unwrap();
        assert_eq!(times.grant_type, GrantType::ClientCredentials);
        assert_eq!(token_status(&times, 2), TokenStatus::Expired);
        let old = TokenTimes::from_json(r#"{"issuedAt":1,"expiresAt":2}"#)
            .unwrap()
            .unwrap();
        assert_eq!(old.grant_type, GrantType::AuthorizationCode);
        assert_eq!(token_status(&old, 2), TokenStatus::Reauthorize);
        let error = TokenTimes::from_json(r#"{"grantType":"refresh_token"}"#).unwrap_err();
        assert_eq!(error.code.as_str(), "invalid_type");
    }
}
