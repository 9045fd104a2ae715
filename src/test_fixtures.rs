//! Settings and tokens the unit tests share: one valid Basic and one valid OAuth 2.0 connection on a
//! made-up instance, and token sets around a fixed time.

use crate::config::{ConnectionConfig, ConnectionInput, ValidateOptions, validate};
use crate::oauth::token::TokenSet;
use crate::secret::Secret;

/// The fixed "now" of the tests: 2023-11-14T22:13:20Z.
pub(crate) const NOW: u64 = 1_700_000_000_000;

/// Valid Basic settings on `base_url`.
pub(crate) fn basic_input(base_url: &str) -> ConnectionInput {
    ConnectionInput {
        base_url: Some(base_url.to_owned()),
        auth_type: Some("basic".to_owned()),
        username: Some("admin".to_owned()),
        password: Some(Secret::new("pw")),
        ..ConnectionInput::default()
    }
}

/// Valid OAuth 2.0 settings on `base_url`.
pub(crate) fn oauth_input(base_url: &str) -> ConnectionInput {
    ConnectionInput {
        base_url: Some(base_url.to_owned()),
        auth_type: Some("oauth2".to_owned()),
        client_id: Some("id".to_owned()),
        client_secret: Some(Secret::new("secret")),
        ..ConnectionInput::default()
    }
}

/// Settings that must validate.
pub(crate) fn config(input: &ConnectionInput) -> ConnectionConfig {
    match validate(input, ValidateOptions::default()) {
        Ok(config) => config,
        Err(errors) => panic!("fixture settings do not validate: {errors:?}"),
    }
}

/// Basic, admin / pw, at `https://dev1.service-now.com/api/now/v2`.
pub(crate) fn basic_config() -> ConnectionConfig {
    config(&basic_input("https://dev1.service-now.com/api/now/v2"))
}

/// OAuth 2.0, id / secret, at `https://dev1.service-now.com/api/now`.
pub(crate) fn oauth_config() -> ConnectionConfig {
    config(&oauth_input("https://dev1.service-now.com/api/now"))
}

/// A token set issued at [`NOW`] without known expiry.
pub(crate) fn token_set(access_token: &str, refresh_token: Option<&str>) -> TokenSet {
    TokenSet {
        access_token: Secret::new(access_token),
        refresh_token: refresh_token.map(Secret::new),
        token_type: "Bearer".to_owned(),
        scope: None,
        issued_at_ms: NOW,
        expires_at_ms: None,
        refresh_expires_at_ms: None,
    }
}
