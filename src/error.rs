//! Errors with stable codes.
//!
//! Every failure a caller can meet carries a code from a closed, documented set, so that the worker,
//! the page and integrators can branch on it without parsing messages. Problems with one input field
//! are [`FieldError`]s (field + code + message, the shape `validateConfig` returns); everything else is
//! an [`Error`], which may wrap a list of field errors when a whole configuration is invalid.
//! Messages never contain secrets: they name fields and describe values by shape only.

use core::fmt;

use serde::Serialize;
use tsify::Tsify;

/// What is wrong with one input field. The string forms (see [`FieldCode::as_str`]) are the stable API.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Tsify)]
#[serde(rename_all = "snake_case")]
#[tsify(rename = "FieldErrorCode")]
pub enum FieldCode {
    /// The field is missing or empty.
    Required,
    /// The value is longer than the field allows.
    TooLong,
    /// The value contains a control character (U+0000–U+001F, U+007F–U+009F).
    ControlCharacter,
    /// The value is not a string (or not a number, for numeric fields).
    InvalidType,
    /// The value is not an absolute URL of the form `scheme://host[:port][/path]`.
    InvalidUrl,
    /// `http:` was used where only `https:` is allowed.
    InsecureScheme,
    /// A scheme other than `https:` (or `http:` for loopback hosts) was used.
    UnsupportedScheme,
    /// The URL contains `user:password@`.
    UserinfoNotAllowed,
    /// The URL contains a query string.
    QueryNotAllowed,
    /// The URL contains a `#fragment`.
    FragmentNotAllowed,
    /// The host is not a valid DNS name, IPv4 or bracketed IPv6 address (internationalised names must
    /// be entered in their `xn--` form).
    InvalidHost,
    /// The host is loopback (`localhost`, 127.0.0.0/8, `::1`), allowed only with `allowInsecureLoopback`.
    LoopbackAddress,
    /// The host is a private address (10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7), allowed only
    /// with `allowPrivateNetwork`.
    PrivateAddress,
    /// The host is a link-local (169.254/16 with cloud metadata, fe80::/10), multicast, broadcast or
    /// reserved address, never sent to.
    ReservedAddress,
    /// The port is not a number from 1 to 65535.
    InvalidPort,
    /// The Base URL path is not `/api/now`, `/api/now/v1` or `/api/now/v2`.
    InvalidApiPath,
    /// The authentication type is neither `basic` nor `oauth2`.
    InvalidAuthType,
    /// The user name contains `:`, which RFC 7617 forbids in a Basic user-id.
    UsernameContainsColon,
    /// The client authentication method is neither `client_secret_post` nor `client_secret_basic`.
    InvalidClientAuthentication,
    /// A number is outside its allowed range or not an integer.
    OutOfRange,
    /// The OAuth scope contains characters RFC 6749 §3.3 does not allow.
    InvalidScope,
    /// The PKCE code verifier is not 43–128 unreserved characters (RFC 7636 §4.1).
    InvalidCodeVerifier,
    /// A path for the instance's REST API tries to leave `/api/now/` (or `/api/`) or is malformed.
    InvalidApiRequestPath,
    /// A parameter appears more than once (RFC 6749 §3.1).
    DuplicateParameter,
    /// A state prefix is empty, too long or has characters outside `A–Z a–z 0–9 _ -`.
    InvalidStatePrefix,
    /// The grant type is not `authorization_code`, `client_credentials`, `jwt_bearer` or `password`.
    InvalidGrantType,
    /// The JWT signing algorithm is neither `RS256` nor `ES256`.
    InvalidJwtAlgorithm,
    /// The private key is not an unencrypted PKCS#8 PEM (`BEGIN PRIVATE KEY`) of an RSA or EC P-256 key.
    InvalidPrivateKey,
    /// The private key does not fit the signing algorithm (an EC key for RS256, an RSA key for ES256).
    KeyAlgorithmMismatch,
}

impl FieldCode {
    /// Every field code.
    pub const ALL: [FieldCode; 29] = [
        Self::Required,
        Self::TooLong,
        Self::ControlCharacter,
        Self::InvalidType,
        Self::InvalidUrl,
        Self::InsecureScheme,
        Self::UnsupportedScheme,
        Self::UserinfoNotAllowed,
        Self::QueryNotAllowed,
        Self::FragmentNotAllowed,
        Self::InvalidHost,
        Self::LoopbackAddress,
        Self::PrivateAddress,
        Self::ReservedAddress,
        Self::InvalidPort,
        Self::InvalidApiPath,
        Self::InvalidAuthType,
        Self::UsernameContainsColon,
        Self::InvalidClientAuthentication,
        Self::OutOfRange,
        Self::InvalidScope,
        Self::InvalidCodeVerifier,
        Self::InvalidApiRequestPath,
        Self::DuplicateParameter,
        Self::InvalidStatePrefix,
        Self::InvalidGrantType,
        Self::InvalidJwtAlgorithm,
        Self::InvalidPrivateKey,
        Self::KeyAlgorithmMismatch,
    ];

    /// The stable string form of the code.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Required => "required",
            Self::TooLong => "too_long",
            Self::ControlCharacter => "control_character",
            Self::InvalidType => "invalid_type",
            Self::InvalidUrl => "invalid_url",
            Self::InsecureScheme => "insecure_scheme",
            Self::UnsupportedScheme => "unsupported_scheme",
            Self::UserinfoNotAllowed => "userinfo_not_allowed",
            Self::QueryNotAllowed => "query_not_allowed",
            Self::FragmentNotAllowed => "fragment_not_allowed",
            Self::InvalidHost => "invalid_host",
            Self::LoopbackAddress => "loopback_address",
            Self::PrivateAddress => "private_address",
            Self::ReservedAddress => "reserved_address",
            Self::InvalidPort => "invalid_port",
            Self::InvalidApiPath => "invalid_api_path",
            Self::InvalidAuthType => "invalid_auth_type",
            Self::UsernameContainsColon => "username_contains_colon",
            Self::InvalidClientAuthentication => "invalid_client_authentication",
            Self::OutOfRange => "out_of_range",
            Self::InvalidScope => "invalid_scope",
            Self::InvalidCodeVerifier => "invalid_code_verifier",
            Self::InvalidApiRequestPath => "invalid_api_request_path",
            Self::DuplicateParameter => "duplicate_parameter",
            Self::InvalidStatePrefix => "invalid_state_prefix",
            Self::InvalidGrantType => "invalid_grant_type",
            Self::InvalidJwtAlgorithm => "invalid_jwt_algorithm",
            Self::InvalidPrivateKey => "invalid_private_key",
            Self::KeyAlgorithmMismatch => "key_algorithm_mismatch",
        }
    }
}

/// One problem with one field: the unit `validateConfig` reports, all problems at once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Tsify)]
pub struct FieldError {
    /// The input field's name as JavaScript spells it (`baseUrl`, `clientSecret`, ...).
    #[tsify(type = "string")]
    pub field: &'static str,
    /// What is wrong.
    #[tsify(type = "FieldErrorCode")]
    pub code: FieldCode,
    /// A sentence for a person, starting with the field's label.
    pub message: String,
}

impl FieldError {
    pub(crate) fn new(field: &'static str, code: FieldCode, message: impl Into<String>) -> Self {
        Self {
            field,
            code,
            message: message.into(),
        }
    }
}

/// The kind of an [`Error`]. The string forms (see [`ErrorCode::as_str`]) are the stable API.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorCode {
    /// One input field is wrong; the field code is the error code.
    Field(FieldCode),
    /// The connection configuration has one or more field errors (listed in [`Error::field_errors`]).
    InvalidConfig,
    /// RFC 6749 §5.2 `invalid_request`.
    InvalidRequest,
    /// RFC 6749 §5.2 `invalid_client`: the client ID or secret was refused.
    InvalidClient,
    /// RFC 6749 §5.2 `invalid_grant`: the authorization code (or verifier, or redirect URI) was refused.
    InvalidGrant,
    /// RFC 6749 §5.2 `unauthorized_client`.
    UnauthorizedClient,
    /// RFC 6749 §5.2 `unsupported_grant_type`.
    UnsupportedGrantType,
    /// RFC 6749 §5.2 `invalid_scope`.
    InvalidScope,
    /// ServiceNow's refusal of a grant: HTTP 401 `{"error":"server_error","error_description":"access_denied"}`.
    AccessDenied,
    /// The refresh token is dead (expired, revoked or refused): the user must Generate again.
    ReauthorizationRequired,
    /// The instance answered 429; see [`Error::retry_after_seconds`].
    RateLimited,
    /// The token endpoint answered with a 5xx status.
    TokenEndpointUnavailable,
    /// The instance is hibernating (it answered with its wake-up page).
    Hibernating,
    /// The request did not reach the instance or no answer came back.
    NetworkError,
    /// No answer came back within the configured time.
    Timeout,
    /// The token endpoint answered 2xx with something that is not a usable token response.
    InvalidTokenResponse,
    /// The instance answered with a status or body this client does not understand.
    UnexpectedResponse,
    /// A sealing key is not base64 of exactly 32 bytes.
    InvalidSealingKey,
    /// A sealed value is not in the sealed format.
    MalformedSealedValue,
    /// A sealed value names a key the keyring does not hold.
    UnknownSealingKey,
    /// A sealed value fails authentication: tampered, or sealed for other associated data.
    SealAuthenticationFailed,
    /// The platform has no secure random number generator.
    RandomUnavailable,
    /// Tokens were requested without a person for a connection whose grant needs one (the
    /// authorization-code grant): Generate instead.
    InteractiveGrant,
    /// The instance does not accept the client-credentials grant (the system property
    /// `glide.oauth.inbound.client.credential.grant_type.enabled` is off).
    ClientCredentialsDisabled,
    /// The Application Registry record has no OAuth Application User for the client-credentials
    /// grant (`unauthorized_client`, "integration user is not configured").
    ApplicationUserMissing,
    /// The instance refused the JWT-bearer assertion (signature, key, issuer, audience or lifetime).
    AssertionRefused,
    /// The instance found no user for the assertion's subject on the record's User Field.
    UnknownSubject,
    /// The instance refused the user name or password of the password grant.
    PasswordRefused,
    /// The platform could not sign with the private key (WebCrypto refused the key or is missing).
    SigningFailed,
}

impl ErrorCode {
    /// Every code that is not a field code.
    pub const NON_FIELD: [ErrorCode; 28] = [
        Self::InvalidConfig,
        Self::InvalidRequest,
        Self::InvalidClient,
        Self::InvalidGrant,
        Self::UnauthorizedClient,
        Self::UnsupportedGrantType,
        Self::InvalidScope,
        Self::AccessDenied,
        Self::ReauthorizationRequired,
        Self::RateLimited,
        Self::TokenEndpointUnavailable,
        Self::Hibernating,
        Self::NetworkError,
        Self::Timeout,
        Self::InvalidTokenResponse,
        Self::UnexpectedResponse,
        Self::InvalidSealingKey,
        Self::MalformedSealedValue,
        Self::UnknownSealingKey,
        Self::SealAuthenticationFailed,
        Self::RandomUnavailable,
        Self::InteractiveGrant,
        Self::ClientCredentialsDisabled,
        Self::ApplicationUserMissing,
        Self::AssertionRefused,
        Self::UnknownSubject,
        Self::PasswordRefused,
        Self::SigningFailed,
    ];

    /// The code with this string form, field codes included.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::NON_FIELD
            .into_iter()
            .find(|c| c.as_str() == code)
            .or_else(|| {
                FieldCode::ALL
                    .into_iter()
                    .find(|c| c.as_str() == code)
                    .map(Self::Field)
            })
    }

    /// The stable string form of the code.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Field(code) => code.as_str(),
            Self::InvalidConfig => "invalid_config",
            Self::InvalidRequest => "invalid_request",
            Self::InvalidClient => "invalid_client",
            Self::InvalidGrant => "invalid_grant",
            Self::UnauthorizedClient => "unauthorized_client",
            Self::UnsupportedGrantType => "unsupported_grant_type",
            Self::InvalidScope => "invalid_scope",
            Self::AccessDenied => "access_denied",
            Self::ReauthorizationRequired => "reauthorization_required",
            Self::RateLimited => "rate_limited",
            Self::TokenEndpointUnavailable => "token_endpoint_unavailable",
            Self::Hibernating => "hibernating",
            Self::NetworkError => "network_error",
            Self::Timeout => "timeout",
            Self::InvalidTokenResponse => "invalid_token_response",
            Self::UnexpectedResponse => "unexpected_response",
            Self::InvalidSealingKey => "invalid_sealing_key",
            Self::MalformedSealedValue => "malformed_sealed_value",
            Self::UnknownSealingKey => "unknown_sealing_key",
            Self::SealAuthenticationFailed => "seal_authentication_failed",
            Self::RandomUnavailable => "random_unavailable",
            Self::InteractiveGrant => "interactive_grant",
            Self::ClientCredentialsDisabled => "client_credentials_disabled",
            Self::ApplicationUserMissing => "application_user_missing",
            Self::AssertionRefused => "assertion_refused",
            Self::UnknownSubject => "unknown_subject",
            Self::PasswordRefused => "password_refused",
            Self::SigningFailed => "signing_failed",
        }
    }

    /// Whether trying the same operation again later can succeed without anyone changing anything.
    pub fn retryable(self) -> bool {
        matches!(
            self,
            Self::RateLimited
                | Self::TokenEndpointUnavailable
                | Self::NetworkError
                | Self::Timeout
                | Self::InvalidTokenResponse
        )
    }
}

/// A failure of an operation: a stable code, a message for a person, and what is known besides.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    /// What went wrong.
    pub code: ErrorCode,
    /// A sentence for a person. Never contains a secret.
    pub message: String,
    /// The input field at fault, when there is one.
    pub field: Option<&'static str>,
    /// The HTTP status the server answered with, when the failure came from an answer.
    pub status: Option<u16>,
    /// The server's own description (`error_description`, ServiceNow's `error.detail`), shortened.
    pub detail: Option<String>,
    /// Seconds to wait before trying again, when the server said so.
    pub retry_after_seconds: Option<u64>,
    /// What to check or do about it, when the cause is known (the instance's settings that refuse a
    /// grant, for example).
    pub hint: Option<&'static str>,
    /// All field errors, for [`ErrorCode::InvalidConfig`].
    pub field_errors: Box<[FieldError]>,
}

impl Error {
    pub(crate) fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            field: None,
            status: None,
            detail: None,
            retry_after_seconds: None,
            hint: None,
            field_errors: Box::default(),
        }
    }

    pub(crate) fn with_field(mut self, field: &'static str) -> Self {
        self.field = Some(field);
        self
    }

    pub(crate) fn with_status(mut self, status: u16) -> Self {
        self.status = Some(status);
        self
    }

    pub(crate) fn with_detail(mut self, detail: Option<String>) -> Self {
        self.detail = detail;
        self
    }

    /// Several field errors at once, for a configuration that does not validate.
    pub fn invalid_config(errors: Vec<FieldError>) -> Self {
        let message = match errors.as_slice() {
            [] => "The connection settings are invalid.".to_owned(),
            [only] => only.message.clone(),
            [first, rest @ ..] => format!("{} (and {} more problems)", first.message, rest.len()),
        };
        Self {
            field: errors.first().map(|e| e.field),
            field_errors: errors.into_boxed_slice(),
            ..Self::new(ErrorCode::InvalidConfig, message)
        }
    }

    /// Whether trying again later can help (see [`ErrorCode::retryable`]).
    pub fn retryable(&self) -> bool {
        self.code.retryable()
    }
}

impl From<FieldError> for Error {
    fn from(error: FieldError) -> Self {
        Self {
            field: Some(error.field),
            ..Self::new(ErrorCode::Field(error.code), error.message)
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.message, self.code.as_str())
    }
}

impl std::error::Error for Error {}

/// A short, printable excerpt of text that came from a server, for `detail` fields: control characters
/// replaced and the length bounded, so that a hostile answer cannot flood logs or forge lines.
pub(crate) fn server_text(text: &str) -> String {
    const MAX_CHARS: usize = 300;
    let mut out = String::new();
    for (count, c) in text.trim().chars().enumerate() {
        if count == MAX_CHARS {
            out.push('…');
            break;
        }
        out.push(if c.is_control() { ' ' } else { c });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_config_message_counts_the_rest() {
        let errors = vec![
            FieldError::new("baseUrl", FieldCode::Required, "Base URL is required."),
            FieldError::new(
                "authType",
                FieldCode::Required,
                "Authentication type is required.",
            ),
            FieldError::new("username", FieldCode::Required, "User name is required."),
        ];
        let error = Error::invalid_config(errors);
        assert_eq!(error.code.as_str(), "invalid_config");
        assert_eq!(error.field, Some("baseUrl"));
        assert_eq!(error.message, "Base URL is required. (and 2 more problems)");
        assert_eq!(error.field_errors.len(), 3);
        assert!(!error.retryable());
    }

    #[test]
    fn single_and_empty_invalid_config_messages() {
        let one = Error::invalid_config(vec![FieldError::new(
            "tokenUrl",
            FieldCode::InsecureScheme,
            "Access Token URL must use https.",
        )]);
        assert_eq!(one.message, "Access Token URL must use https.");
        let none = Error::invalid_config(Vec::new());
        assert_eq!(none.field, None);
        assert_eq!(none.message, "The connection settings are invalid.");
    }

    #[test]
    fn field_error_becomes_an_error_with_its_own_code() {
        let error: Error = FieldError::new(
            "username",
            FieldCode::UsernameContainsColon,
            "User name must not contain ':'.",
        )
        .into();
        assert_eq!(error.code.as_str(), "username_contains_colon");
        assert_eq!(error.field, Some("username"));
        assert_eq!(
            error.to_string(),
            "User name must not contain ':'. (username_contains_colon)"
        );
    }

    #[test]
    fn retryable_codes() {
        for code in [
            ErrorCode::RateLimited,
            ErrorCode::TokenEndpointUnavailable,
            ErrorCode::NetworkError,
            ErrorCode::Timeout,
            ErrorCode::InvalidTokenResponse,
        ] {
            assert!(code.retryable(), "{code:?}");
        }
        for code in [
            ErrorCode::ReauthorizationRequired,
            ErrorCode::InvalidGrant,
            ErrorCode::AccessDenied,
            ErrorCode::Hibernating,
            ErrorCode::InvalidClient,
        ] {
            assert!(!code.retryable(), "{code:?}");
        }
    }

    #[test]
    fn server_text_is_bounded_and_printable() {
        assert_eq!(server_text("  a\r\nb\u{7}c "), "a  b c");
        let long = "x".repeat(1000);
        let short = server_text(&long);
        assert_eq!(short.chars().count(), 301);
        assert!(short.ends_with('…'));
    }
    #[test]
    fn codes_are_unique_and_read_back() {
        let codes: Vec<&str> = FieldCode::ALL
            .iter()
            .map(|c| c.as_str())
            .chain(ErrorCode::NON_FIELD.iter().map(|c| c.as_str()))
            .collect();
        let mut unique = codes.clone();
        unique.sort_unstable();
        unique.dedup();
        // invalid_scope is both a field code and an RFC 6749 error code, with one spelling.
        assert_eq!(unique.len(), codes.len() - 1);
        for code in &codes {
            assert_eq!(
                ErrorCode::from_code(code).map(ErrorCode::as_str),
                Some(*code)
            );
        }
        assert_eq!(ErrorCode::from_code("nope"), None);
    }

    #[test]
    fn serialised_field_codes_are_their_string_forms() {
        for code in FieldCode::ALL {
            assert_eq!(
                serde_json::to_string(&code).unwrap(),
                format!("\"{}\"", code.as_str())
            );
        }
        let error = FieldError::new("baseUrl", FieldCode::Required, "Base URL is required.");
        assert_eq!(
            serde_json::to_string(&error).unwrap(),
            r#"{"field":"baseUrl","code":"required","message":"Base URL is required."}"#
        );
    }
}
