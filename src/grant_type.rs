//! Which OAuth 2.0 grant an `oauth2` connection uses to obtain tokens, and which grant produced a token
//! set.
//!
//! The authorization-code grant (RFC 6749 §4.1, with PKCE) needs a person to sign in and consent;
//! the other three run unattended: client credentials (§4.4; ServiceNow Washington DC and later, once
//! the instance property `glide.oauth.inbound.client.credential.grant_type.enabled` is on and the
//! Application Registry record names an OAuth Application User), JWT bearer (RFC 7523 §2.1;
//! ServiceNow's "OAuth JWT API endpoint for external clients") and the resource-owner password grant
//! (§4.3; deprecated by current OAuth guidance, RFC 9700 §2.4, so it is used only when chosen). Only
//! the code and password grants come with a refresh token; when a token of client credentials or
//! JWT bearer is due, the grant is simply run again, and the password grant refreshes while its
//! refresh token lives, then runs again. [`Grant`] names the request a token answer belongs to: one of
//! these grants, or a refresh.

use serde::{Deserialize, Serialize};
use tsify::Tsify;

/// The grant of an OAuth 2.0 connection. The string forms are the stable API.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, Tsify)]
#[serde(rename_all = "snake_case")]
pub enum GrantType {
    /// A person signs in and consents (Generate); refreshed with its refresh token.
    #[default]
    AuthorizationCode,
    /// The client's own credentials; tokens act as the record's OAuth Application User.
    ClientCredentials,
    /// A JWT assertion signed with the connection's private key; tokens act as its subject.
    JwtBearer,
    /// A user name and password (opt-in, legacy); refreshed with its refresh token.
    Password,
}

impl GrantType {
    /// Every grant.
    pub const ALL: [GrantType; 4] = [
        Self::AuthorizationCode,
        Self::ClientCredentials,
        Self::JwtBearer,
        Self::Password,
    ];

    /// The stable string form: `authorization_code`, `client_credentials`, `jwt_bearer`, `password`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AuthorizationCode => "authorization_code",
            Self::ClientCredentials => "client_credentials",
            Self::JwtBearer => "jwt_bearer",
            Self::Password => "password",
        }
    }

    /// The grant with this string form.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|grant| grant.as_str() == name)
    }

    /// Whether the grant needs a person (Generate): only the authorization-code grant does. Tokens of
    /// the others can always be obtained again without anyone.
    pub fn is_interactive(self) -> bool {
        self == Self::AuthorizationCode
    }
}

/// Which grant an answer belongs to: the same refusal means different things for each.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Grant {
    /// `authorization_code`
    AuthorizationCode,
    /// `refresh_token`
    RefreshToken,
    /// `client_credentials`
    ClientCredentials,
    /// `urn:ietf:params:oauth:grant-type:jwt-bearer`
    JwtBearer,
    /// `password`
    Password,
}

impl Grant {
    /// The grant by the name `processTokenResponse` takes: a [`GrantType`] name or `refresh_token`.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "refresh_token" => Some(Self::RefreshToken),
            _ => GrantType::from_name(name).map(Self::from),
        }
    }

    /// The grant that produces tokens this way; `None` for a refresh, which keeps the grant of the
    /// tokens it refreshes.
    pub fn grant_type(self) -> Option<GrantType> {
        match self {
            Self::AuthorizationCode => Some(GrantType::AuthorizationCode),
            Self::RefreshToken => None,
            Self::ClientCredentials => Some(GrantType::ClientCredentials),
            Self::JwtBearer => Some(GrantType::JwtBearer),
            Self::Password => Some(GrantType::Password),
        }
    }
}

impl From<GrantType> for Grant {
    fn from(grant: GrantType) -> Self {
        match grant {
            GrantType::AuthorizationCode => Self::AuthorizationCode,
            GrantType::ClientCredentials => Self::ClientCredentials,
            GrantType::JwtBearer => Self::JwtBearer,
            GrantType::Password => Self::Password,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_read_back_and_serialise_as_themselves() {
        for grant in GrantType::ALL {
            assert_eq!(GrantType::from_name(grant.as_str()), Some(grant));
            assert_eq!(
                serde_json::to_string(&grant).unwrap(),
                format!("\"{}\"", grant.as_str())
            );
        }
        assert_eq!(GrantType::from_name("refresh_token"), None);
        assert_eq!(GrantType::default(), GrantType::AuthorizationCode);
        assert!(GrantType::AuthorizationCode.is_interactive());
        assert!(!GrantType::Password.is_interactive());
    }
}
