//! The connection's settings: what a user enters, how it is checked, and the normalised form the rest of
//! the crate works with.
//!
//! A Base URL is the instance plus the REST API path and version (`https://<instance>/api/now/v2`;
//! `/api/now` alone means "latest"). Authentication is `basic` (user name + password, RFC 7617) or
//! `oauth2` (client ID + secret, authorization and token URLs defaulting to the instance's
//! `/oauth_auth.do` and `/oauth_token.do`, authorization-code grant only). Validation reports every
//! problem at once, each naming its field, so a form can show them all next to their inputs. Plain
//! `http:` is accepted only for loopback hosts and only when the caller opts in
//! (`allow_insecure_loopback`), which local development and tests need and production never does.

use crate::error::{FieldCode, FieldError};
use crate::http_url::{self, UrlProblem, WebUrl};
use crate::secret::Secret;

/// The Base URL paths the ServiceNow REST API answers on (Table API "now" namespace).
const API_PATHS: [&str; 3] = ["/api/now", "/api/now/v1", "/api/now/v2"];
const MAX_URL_LEN: usize = 2048;
const MAX_NAME_LEN: usize = 256;
const MAX_SECRET_LEN: usize = 4096;
/// ServiceNow's default refresh-token lifetime (Application Registry: 8,640,000 s = 100 days).
pub const DEFAULT_REFRESH_TOKEN_LIFETIME_SECONDS: u64 = 8_640_000;
const MAX_REFRESH_TOKEN_LIFETIME_SECONDS: u64 = 10 * 365 * 86_400;
/// How long one request to the instance may take before it counts as failed.
pub const DEFAULT_TIMEOUT_MS: u32 = 15_000;
const MAX_TIMEOUT_MS: u32 = 120_000;

/// The settings as entered; every field optional so that all problems can be reported together.
#[derive(Clone, Debug, Default)]
pub struct ConnectionInput {
    /// Instance plus API path, e.g. `https://dev8954.service-now.com/api/now/v2`.
    pub base_url: Option<String>,
    /// `basic` or `oauth2`.
    pub auth_type: Option<String>,
    /// Basic: the ServiceNow user name.
    pub username: Option<String>,
    /// Basic: the password.
    pub password: Option<Secret>,
    /// OAuth 2.0: the Application Registry's client ID.
    pub client_id: Option<String>,
    /// OAuth 2.0: the Application Registry's client secret.
    pub client_secret: Option<Secret>,
    /// OAuth 2.0: authorization endpoint; defaults to `<instance>/oauth_auth.do`.
    pub authorization_url: Option<String>,
    /// OAuth 2.0: token endpoint; defaults to `<instance>/oauth_token.do`.
    pub token_url: Option<String>,
    /// OAuth 2.0: `client_secret_post` (default) or `client_secret_basic`.
    pub client_authentication: Option<String>,
    /// OAuth 2.0: refresh-token lifetime set in the Application Registry, in seconds.
    pub refresh_token_lifetime_seconds: Option<f64>,
    /// Time limit for one request to the instance, in milliseconds.
    pub timeout_ms: Option<f64>,
    /// Accept `http:` URLs whose host is loopback (local development only).
    pub allow_insecure_loopback: bool,
    /// Fields whose value had the wrong type (filled in by the JavaScript bindings).
    pub wrong_types: Vec<&'static str>,
}

/// Options for [`validate`].
#[derive(Clone, Copy, Debug, Default)]
pub struct ValidateOptions {
    /// The password is already stored elsewhere: a missing one is not an error.
    pub password_stored: bool,
    /// The client secret is already stored elsewhere: a missing one is not an error.
    pub client_secret_stored: bool,
}

/// How the client authenticates to the token endpoint (RFC 6749 §2.3.1).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ClientAuthentication {
    /// `client_id` and `client_secret` in the form body: ServiceNow's documented way, the default.
    #[default]
    ClientSecretPost,
    /// HTTP Basic with the form-urlencoded client ID and secret.
    ClientSecretBasic,
}

impl ClientAuthentication {
    /// The RFC 7591 name of the method.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ClientSecretPost => "client_secret_post",
            Self::ClientSecretBasic => "client_secret_basic",
        }
    }
}

/// Basic credentials.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BasicCredentials {
    /// The ServiceNow user name.
    pub username: String,
    /// The password.
    pub password: Secret,
}

/// OAuth 2.0 client settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OAuthClient {
    /// Client ID.
    pub client_id: String,
    /// Client secret.
    pub client_secret: Secret,
    /// Authorization endpoint (explicit or the instance default).
    pub authorization_url: String,
    /// Token endpoint (explicit or the instance default).
    pub token_url: String,
    /// How the client authenticates to the token endpoint.
    pub client_authentication: ClientAuthentication,
    /// Refresh-token lifetime in seconds, used to compute when the refresh token dies.
    pub refresh_token_lifetime_seconds: u64,
}

/// How the connection authenticates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Auth {
    /// HTTP Basic (RFC 7617).
    Basic(BasicCredentials),
    /// OAuth 2.0 authorization code with PKCE.
    OAuth2(OAuthClient),
}

/// A validated, normalised connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnectionConfig {
    /// Origin plus API path, without a trailing slash.
    pub base_url: String,
    /// The instance's origin, `https://host[:port]`.
    pub instance_url: String,
    /// `/api/now`, `/api/now/v1` or `/api/now/v2`.
    pub api_path: &'static str,
    /// The authentication settings.
    pub auth: Auth,
    /// Time limit for one request to the instance.
    pub timeout_ms: u32,
    /// Whether loopback `http:` URLs were allowed for this connection.
    pub allow_insecure_loopback: bool,
}

impl ConnectionConfig {
    /// `latest`, `v1` or `v2`: the API version the Base URL selects.
    pub fn api_version(&self) -> &'static str {
        match self.api_path {
            "/api/now/v1" => "v1",
            "/api/now/v2" => "v2",
            _ => "latest",
        }
    }

    /// The OAuth settings, when the connection uses OAuth 2.0.
    pub fn oauth(&self) -> Option<&OAuthClient> {
        match &self.auth {
            Auth::OAuth2(client) => Some(client),
            Auth::Basic(_) => None,
        }
    }
}

/// The order of the settings form, in which errors are reported.
const FIELD_ORDER: [&str; 11] = [
    "baseUrl",
    "authType",
    "username",
    "password",
    "clientId",
    "clientSecret",
    "authorizationUrl",
    "tokenUrl",
    "clientAuthentication",
    "refreshTokenLifetimeSeconds",
    "timeoutMs",
];

/// The user-facing name of a field, for messages.
pub(crate) fn label(field: &str) -> &'static str {
    match field {
        "baseUrl" => "Base URL",
        "authType" => "Authentication Type",
        "username" => "User Name",
        "password" => "Password",
        "clientId" => "Client ID",
        "clientSecret" => "Client Secret",
        "authorizationUrl" => "Authorization Token URL",
        "tokenUrl" => "Access Token URL",
        "clientAuthentication" => "Client authentication",
        "refreshTokenLifetimeSeconds" => "Refresh token lifetime",
        "timeoutMs" => "Timeout",
        "redirectUri" => "Redirect URI",
        "scope" => "Scope",
        "code" => "Authorization code",
        "codeVerifier" => "Code verifier",
        "state" => "State",
        "path" => "API path",
        "query" => "Query",
        "refreshToken" => "Refresh token",
        "accessToken" => "Access token",
        "statePrefix" => "State prefix",
        "settings" => "Connection settings",
        "tokens" => "Token set",
        "grant" => "Code grant",
        "options" => "Options",
        "issuer" => "Issuer",
        _ => "Value",
    }
}

/// Checks `input` and returns the normalised connection, or every problem found.
pub fn validate(
    input: &ConnectionInput,
    options: ValidateOptions,
) -> Result<ConnectionConfig, Vec<FieldError>> {
    let mut errors: Vec<FieldError> = input
        .wrong_types
        .iter()
        .map(|&field| {
            FieldError::new(
                field,
                FieldCode::InvalidType,
                format!("{} has the wrong type.", label(field)),
            )
        })
        .collect();
    let is_wrong_type = |field: &str| input.wrong_types.contains(&field);
    let rules = UrlRules {
        allow_insecure_loopback: input.allow_insecure_loopback,
        allow_query: false,
    };

    let base = match text_field(&mut errors, "baseUrl", input.base_url.as_deref(), MAX_URL_LEN) {
        Text::Valid(value) => check_url(&mut errors, "baseUrl", value, rules).and_then(|url| {
            let Some(path) = api_path(&url.path) else {
                errors.push(FieldError::new(
                    "baseUrl",
                    FieldCode::InvalidApiPath,
                    format!(
                        "Base URL must end with the REST API path /api/now, /api/now/v1 or /api/now/v2 (found \"{}\"), e.g. https://instance.service-now.com/api/now/v2.",
                        if url.path.is_empty() { "/" } else { url.path.as_str() }
                    ),
                ));
                return None;
            };
            Some((url, path))
        }),
        Text::Invalid => None,
        Text::Absent if is_wrong_type("baseUrl") => None,
        Text::Absent => {
            errors.push(required("baseUrl"));
            None
        }
    };

    let auth_type = match text_field(&mut errors, "authType", input.auth_type.as_deref(), 16) {
        Text::Valid(value) => Some(value),
        Text::Invalid => Some(""),
        Text::Absent => None,
    };
    let timeout_ms = number_field(
        &mut errors,
        "timeoutMs",
        input.timeout_ms,
        1_000,
        MAX_TIMEOUT_MS.into(),
    )
    .map_or(DEFAULT_TIMEOUT_MS, |ms| {
        u32::try_from(ms).unwrap_or(MAX_TIMEOUT_MS)
    });
    let auth = match auth_type {
        Some("basic") => basic_auth(&mut errors, input, options),
        Some("oauth2") => {
            let instance = base.as_ref().map(|(url, _)| url.origin());
            oauth_auth(&mut errors, input, options, instance.as_deref(), rules)
        }
        Some("") => None,
        Some(_) => {
            errors.push(FieldError::new(
                "authType",
                FieldCode::InvalidAuthType,
                "Authentication Type must be \"basic\" or \"oauth2\".",
            ));
            None
        }
        None if is_wrong_type("authType") => None,
        None => {
            errors.push(required("authType"));
            None
        }
    };

    // Grouped by field in form order, each field's errors in the order found. (A filter per field
    // instead of a sort: sorting would add kilobytes of wasm to order a handful of items.)
    let errors: Vec<FieldError> = FIELD_ORDER
        .iter()
        .flat_map(|&field| errors.iter().filter(move |e| e.field == field).cloned())
        .collect();
    match (base, auth) {
        (Some((url, api_path)), Some(auth)) if errors.is_empty() => {
            let instance_url = url.origin();
            Ok(ConnectionConfig {
                base_url: format!("{instance_url}{api_path}"),
                instance_url,
                api_path,
                auth,
                timeout_ms,
                allow_insecure_loopback: input.allow_insecure_loopback,
            })
        }
        _ => Err(errors),
    }
}

fn basic_auth(
    errors: &mut Vec<FieldError>,
    input: &ConnectionInput,
    options: ValidateOptions,
) -> Option<Auth> {
    let username = required_text(
        errors,
        input,
        "username",
        input.username.as_deref(),
        MAX_NAME_LEN,
    );
    if let Some(name) = username
        && name.contains(':')
    {
        errors.push(FieldError::new(
            "username",
            FieldCode::UsernameContainsColon,
            "User Name must not contain ':' (Basic authentication cannot carry it).",
        ));
    }
    let password = secret_field(
        errors,
        input,
        "password",
        input.password.as_ref(),
        options.password_stored,
    );
    Some(Auth::Basic(BasicCredentials {
        username: username?.to_owned(),
        password: password?,
    }))
}

fn oauth_auth(
    errors: &mut Vec<FieldError>,
    input: &ConnectionInput,
    options: ValidateOptions,
    instance: Option<&str>,
    rules: UrlRules,
) -> Option<Auth> {
    let client_id = required_text(
        errors,
        input,
        "clientId",
        input.client_id.as_deref(),
        MAX_NAME_LEN,
    );
    let client_secret = secret_field(
        errors,
        input,
        "clientSecret",
        input.client_secret.as_ref(),
        options.client_secret_stored,
    );
    let mut endpoint =
        |field: &'static str, value: Option<&str>, default_path: &str| match text_field(
            errors,
            field,
            value,
            MAX_URL_LEN,
        ) {
            Text::Valid(value) => {
                let before = errors.len();
                let url = check_url(errors, field, value, rules)?;
                (errors.len() == before).then(|| url.serialize())
            }
            Text::Absent => instance.map(|origin| format!("{origin}{default_path}")),
            Text::Invalid => None,
        };
    let authorization_url = endpoint(
        "authorizationUrl",
        input.authorization_url.as_deref(),
        "/oauth_auth.do",
    );
    let token_url = endpoint("tokenUrl", input.token_url.as_deref(), "/oauth_token.do");
    let client_authentication = match text_field(
        errors,
        "clientAuthentication",
        input.client_authentication.as_deref(),
        32,
    ) {
        Text::Absent | Text::Valid("client_secret_post") => {
            Some(ClientAuthentication::ClientSecretPost)
        }
        Text::Valid("client_secret_basic") => Some(ClientAuthentication::ClientSecretBasic),
        Text::Invalid => None,
        Text::Valid(_) => {
            errors.push(FieldError::new(
                "clientAuthentication",
                FieldCode::InvalidClientAuthentication,
                "Client authentication must be \"client_secret_post\" or \"client_secret_basic\".",
            ));
            None
        }
    };
    let refresh_token_lifetime_seconds = number_field(
        errors,
        "refreshTokenLifetimeSeconds",
        input.refresh_token_lifetime_seconds,
        60,
        MAX_REFRESH_TOKEN_LIFETIME_SECONDS,
    )
    .unwrap_or(DEFAULT_REFRESH_TOKEN_LIFETIME_SECONDS);
    Some(Auth::OAuth2(OAuthClient {
        client_id: client_id?.to_owned(),
        client_secret: client_secret?,
        authorization_url: authorization_url?,
        token_url: token_url?,
        client_authentication: client_authentication?,
        refresh_token_lifetime_seconds,
    }))
}

/// A text field after the shared checks.
enum Text<'a> {
    /// Missing or blank.
    Absent,
    /// Present but refused (the reason is recorded).
    Invalid,
    /// Trimmed, non-empty, bounded and free of control characters.
    Valid(&'a str),
}

fn text_field<'a>(
    errors: &mut Vec<FieldError>,
    field: &'static str,
    value: Option<&'a str>,
    max_len: usize,
) -> Text<'a> {
    let Some(value) = value.map(|v| v.trim_matches(' ')).filter(|v| !v.is_empty()) else {
        return Text::Absent;
    };
    match check_text(field, value, max_len) {
        Ok(()) => Text::Valid(value),
        Err(error) => {
            errors.push(error);
            Text::Invalid
        }
    }
}

fn required_text<'a>(
    errors: &mut Vec<FieldError>,
    input: &ConnectionInput,
    field: &'static str,
    value: Option<&'a str>,
    max_len: usize,
) -> Option<&'a str> {
    let present = value.is_some_and(|v| !v.trim_matches(' ').is_empty());
    if !present && !input.wrong_types.contains(&field) {
        errors.push(required(field));
    }
    match text_field(errors, field, value, max_len) {
        Text::Valid(value) => Some(value),
        Text::Absent | Text::Invalid => None,
    }
}

/// Secrets are not trimmed: spaces may be part of a password.
fn secret_field(
    errors: &mut Vec<FieldError>,
    input: &ConnectionInput,
    field: &'static str,
    value: Option<&Secret>,
    stored: bool,
) -> Option<Secret> {
    match value.filter(|s| !s.is_empty()) {
        Some(secret) => check_text(field, secret.expose(), MAX_SECRET_LEN)
            .map(|_| secret.clone())
            .map_err(|error| errors.push(error))
            .ok(),
        None if stored => Some(Secret::default()),
        None => {
            if !input.wrong_types.contains(&field) {
                errors.push(required(field));
            }
            None
        }
    }
}

fn number_field(
    errors: &mut Vec<FieldError>,
    field: &'static str,
    value: Option<f64>,
    min: u64,
    max: u64,
) -> Option<u64> {
    let value = value?;
    // Casts are exact here: the value is an integer within [min, max], far below 2^53.
    #[allow(
        clippy::cast_precision_loss,
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss
    )]
    if value.fract() == 0.0 && value >= min as f64 && value <= max as f64 {
        return Some(value as u64);
    }
    errors.push(FieldError::new(
        field,
        FieldCode::OutOfRange,
        format!(
            "{} must be a whole number from {min} to {max}.",
            label(field)
        ),
    ));
    None
}

pub(crate) fn required(field: &'static str) -> FieldError {
    FieldError::new(
        field,
        FieldCode::Required,
        format!("{} is required.", label(field)),
    )
}

/// Whether `value` has a control character (U+0000–U+001F, U+007F–U+009F), checked on the UTF-8
/// bytes: U+0080–U+009F are encoded as 0xC2 0x80–0x9F, and 0xC2 never ends a sequence.
pub(crate) fn has_control_character(value: &str) -> bool {
    let bytes = value.as_bytes();
    bytes.iter().any(|&b| b < 0x20 || b == 0x7f)
        || bytes.windows(2).any(|pair| {
            pair.first() == Some(&0xc2) && pair.get(1).is_some_and(|b| (0x80..=0x9f).contains(b))
        })
}

/// Length and control characters: the checks every text field shares.
pub(crate) fn check_text(
    field: &'static str,
    value: &str,
    max_len: usize,
) -> Result<(), FieldError> {
    if has_control_character(value) {
        return Err(FieldError::new(
            field,
            FieldCode::ControlCharacter,
            format!(
                "{} must not contain control characters such as line breaks or tabs.",
                label(field)
            ),
        ));
    }
    if value.len() > max_len {
        return Err(FieldError::new(
            field,
            FieldCode::TooLong,
            format!("{} must be at most {max_len} bytes long.", label(field)),
        ));
    }
    Ok(())
}

/// Which URL features a field admits.
#[derive(Clone, Copy, Debug)]
pub(crate) struct UrlRules {
    pub(crate) allow_insecure_loopback: bool,
    pub(crate) allow_query: bool,
}

/// Parses and checks one URL field, recording each problem. Returns the URL whenever it parses, so
/// that callers can check more (the API path) and report everything at once; whether it passed is
/// whether `errors` grew.
pub(crate) fn check_url(
    errors: &mut Vec<FieldError>,
    field: &'static str,
    value: &str,
    rules: UrlRules,
) -> Option<WebUrl> {
    let name = label(field);
    let url = match http_url::parse(value) {
        Ok(url) => url,
        Err(problem) => {
            let (code, message) = match problem {
                UrlProblem::NotAbsolute => (
                    FieldCode::InvalidUrl,
                    format!("{name} must be an absolute URL starting with https://."),
                ),
                UrlProblem::InvalidCharacters => (
                    FieldCode::InvalidUrl,
                    format!(
                        "{name} contains characters that must be percent-encoded (such as spaces)."
                    ),
                ),
                UrlProblem::UnsupportedScheme => (
                    FieldCode::UnsupportedScheme,
                    format!("{name} must use https://."),
                ),
                UrlProblem::InvalidHost => (
                    FieldCode::InvalidHost,
                    format!(
                        "{name} has an invalid host name (internationalised names must be entered in their xn-- form)."
                    ),
                ),
                UrlProblem::InvalidPort => (
                    FieldCode::InvalidPort,
                    format!("{name} has an invalid port: use a number from 1 to 65535."),
                ),
            };
            errors.push(FieldError::new(field, code, message));
            return None;
        }
    };
    if !(url.https || (rules.allow_insecure_loopback && url.is_loopback())) {
        let message = if url.is_loopback() {
            format!(
                "{name} must use https:// (plain http is accepted for loopback hosts only when insecure loopback is allowed)."
            )
        } else {
            format!("{name} must use https://.")
        };
        errors.push(FieldError::new(field, FieldCode::InsecureScheme, message));
    }
    if url.has_userinfo {
        errors.push(FieldError::new(
            field,
            FieldCode::UserinfoNotAllowed,
            format!("{name} must not contain a user name or password; use the credential fields."),
        ));
    }
    if url.query.is_some() && !rules.allow_query {
        errors.push(FieldError::new(
            field,
            FieldCode::QueryNotAllowed,
            format!("{name} must not contain a query string (?...)."),
        ));
    }
    if url.fragment.is_some() {
        errors.push(FieldError::new(
            field,
            FieldCode::FragmentNotAllowed,
            format!("{name} must not contain a fragment (#...)."),
        ));
    }
    Some(url)
}

/// The API path of a Base URL, with one trailing slash forgiven.
fn api_path(path: &str) -> Option<&'static str> {
    let trimmed = path.strip_suffix('/').unwrap_or(path);
    API_PATHS.into_iter().find(|&known| known == trimmed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn oauth_input(base_url: &str) -> ConnectionInput {
        ConnectionInput {
            base_url: Some(base_url.to_owned()),
            auth_type: Some("oauth2".to_owned()),
            client_id: Some("3f2a".to_owned()),
            client_secret: Some(Secret::new("s3cr3t")),
            ..ConnectionInput::default()
        }
    }

    fn basic_input(base_url: &str) -> ConnectionInput {
        ConnectionInput {
            base_url: Some(base_url.to_owned()),
            auth_type: Some("basic".to_owned()),
            username: Some("admin".to_owned()),
            password: Some(Secret::new("pa:ss word")),
            ..ConnectionInput::default()
        }
    }

    fn codes(input: &ConnectionInput) -> Vec<(&'static str, &'static str)> {
        match validate(input, ValidateOptions::default()) {
            Ok(_) => Vec::new(),
            Err(errors) => errors.iter().map(|e| (e.field, e.code.as_str())).collect(),
        }
    }

    #[test]
    fn normalises_a_basic_connection() {
        let config = validate(
            &basic_input(" https://Dev8954.service-now.com:443/api/now/v2/ "),
            ValidateOptions::default(),
        )
        .unwrap();
        assert_eq!(
            config.base_url,
            "https://dev8954.service-now.com/api/now/v2"
        );
        assert_eq!(config.instance_url, "https://dev8954.service-now.com");
        assert_eq!(config.api_version(), "v2");
        assert_eq!(config.timeout_ms, DEFAULT_TIMEOUT_MS);
        assert!(config.oauth().is_none());
        let Auth::Basic(basic) = &config.auth else {
            panic!("basic expected")
        };
        assert_eq!(basic.username, "admin");
        assert_eq!(basic.password.expose(), "pa:ss word");
    }

    #[test]
    fn oauth_urls_default_from_the_instance() {
        let config = validate(
            &oauth_input("https://sn.example.com/api/now"),
            ValidateOptions::default(),
        )
        .unwrap();
        assert_eq!(config.api_version(), "latest");
        let oauth = config.oauth().unwrap();
        assert_eq!(
            oauth.authorization_url,
            "https://sn.example.com/oauth_auth.do"
        );
        assert_eq!(oauth.token_url, "https://sn.example.com/oauth_token.do");
        assert_eq!(
            oauth.client_authentication,
            ClientAuthentication::ClientSecretPost
        );
        assert_eq!(
            oauth.refresh_token_lifetime_seconds,
            DEFAULT_REFRESH_TOKEN_LIFETIME_SECONDS
        );
    }

    #[test]
    fn explicit_oauth_settings_are_kept() {
        let mut input = oauth_input("https://sn.example.com/api/now/v1");
        input.authorization_url = Some("https://login.example.com/authorize".to_owned());
        input.token_url = Some("https://login.example.com:8443/token".to_owned());
        input.client_authentication = Some("client_secret_basic".to_owned());
        input.refresh_token_lifetime_seconds = Some(86_400.0);
        input.timeout_ms = Some(5_000.0);
        let config = validate(&input, ValidateOptions::default()).unwrap();
        let oauth = config.oauth().unwrap();
        assert_eq!(
            oauth.authorization_url,
            "https://login.example.com/authorize"
        );
        assert_eq!(oauth.token_url, "https://login.example.com:8443/token");
        assert_eq!(
            oauth.client_authentication,
            ClientAuthentication::ClientSecretBasic
        );
        assert_eq!(oauth.client_authentication.as_str(), "client_secret_basic");
        assert_eq!(oauth.refresh_token_lifetime_seconds, 86_400);
        assert_eq!(config.timeout_ms, 5_000);
        assert_eq!(config.api_version(), "v1");
    }

    #[test]
    fn reports_every_problem_at_once() {
        let input = ConnectionInput {
            base_url: Some("http://user:pw@sn.example.com/api/now/v3?x=1#y".to_owned()),
            auth_type: Some("oauth2".to_owned()),
            token_url: Some("ftp://sn.example.com/t".to_owned()),
            authorization_url: Some("https://sn.example.com/a\n".to_owned()),
            client_authentication: Some("private_key_jwt".to_owned()),
            refresh_token_lifetime_seconds: Some(1.5),
            ..ConnectionInput::default()
        };
        assert_eq!(
            codes(&input),
            vec![
                ("baseUrl", "insecure_scheme"),
                ("baseUrl", "userinfo_not_allowed"),
                ("baseUrl", "query_not_allowed"),
                ("baseUrl", "fragment_not_allowed"),
                ("baseUrl", "invalid_api_path"),
                ("clientId", "required"),
                ("clientSecret", "required"),
                ("authorizationUrl", "control_character"),
                ("tokenUrl", "unsupported_scheme"),
                ("clientAuthentication", "invalid_client_authentication"),
                ("refreshTokenLifetimeSeconds", "out_of_range"),
            ]
        );
    }

    #[test]
    fn empty_input_names_the_required_fields() {
        assert_eq!(
            codes(&ConnectionInput::default()),
            vec![("baseUrl", "required"), ("authType", "required")]
        );
        let input = ConnectionInput {
            base_url: Some("https://a.example/api/now".to_owned()),
            auth_type: Some("basic".to_owned()),
            username: Some("   ".to_owned()),
            ..ConnectionInput::default()
        };
        assert_eq!(
            codes(&input),
            vec![("username", "required"), ("password", "required")]
        );
    }

    #[test]
    fn api_path_rules() {
        for ok in [
            "https://a.example/api/now",
            "https://a.example/api/now/",
            "https://a.example/api/now/v1",
            "https://a.example/api/now/v2/",
        ] {
            assert_eq!(codes(&basic_input(ok)), vec![], "{ok}");
        }
        for bad in [
            "https://a.example",
            "https://a.example/",
            "https://a.example/api",
            "https://a.example/api/now/v3",
            "https://a.example/api/now//",
            "https://a.example/api/now/v2/table",
            "https://a.example/API/now",
            "https://a.example/api/now/../now",
        ] {
            assert_eq!(
                codes(&basic_input(bad)),
                vec![("baseUrl", "invalid_api_path")],
                "{bad}"
            );
        }
        let errors = validate(
            &basic_input("https://a.example/x"),
            ValidateOptions::default(),
        )
        .unwrap_err();
        assert!(
            errors[0].message.contains("(found \"/x\")"),
            "{}",
            errors[0].message
        );
    }

    #[test]
    fn url_shape_problems_have_their_own_codes() {
        let cases = [
            ("sn.example.com/api/now", "invalid_url"),
            ("https://sn example.com/api/now", "invalid_host"),
            ("https://sn.example.com/api now", "invalid_url"),
            ("https://sn.example.com:99999/api/now", "invalid_port"),
            ("wss://sn.example.com/api/now", "unsupported_scheme"),
            ("https://bücher.example/api/now", "invalid_host"),
        ];
        for (url, code) in cases {
            assert_eq!(codes(&basic_input(url)), vec![("baseUrl", code)], "{url}");
        }
        let long = format!("https://a.example/{}", "x".repeat(MAX_URL_LEN));
        assert_eq!(codes(&basic_input(&long)), vec![("baseUrl", "too_long")]);
    }

    #[test]
    fn custom_domains_and_ip_hosts_are_accepted() {
        for url in [
            "https://servicenow.corp.example.org/api/now/v2",
            "https://10.1.2.3:8443/api/now",
            "https://[2001:db8::5]/api/now/v1",
        ] {
            assert_eq!(codes(&basic_input(url)), vec![], "{url}");
        }
    }

    #[test]
    fn loopback_http_only_with_the_option() {
        let mut input = oauth_input("http://127.0.0.1:9000/api/now/v2");
        let errors = validate(&input, ValidateOptions::default()).unwrap_err();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].code, FieldCode::InsecureScheme);
        assert!(errors[0].message.contains("loopback"));
        input.allow_insecure_loopback = true;
        let config = validate(&input, ValidateOptions::default()).unwrap();
        assert!(config.allow_insecure_loopback);
        assert_eq!(
            config.oauth().unwrap().token_url,
            "http://127.0.0.1:9000/oauth_token.do"
        );
        let mut remote = oauth_input("http://sn.example.com/api/now");
        remote.allow_insecure_loopback = true;
        assert_eq!(codes(&remote), vec![("baseUrl", "insecure_scheme")]);
        let errors = validate(&remote, ValidateOptions::default()).unwrap_err();
        assert!(!errors[0].message.contains("loopback"));
    }

    #[test]
    fn username_colon_and_control_characters() {
        let mut input = basic_input("https://a.example/api/now");
        input.username = Some("ad:min".to_owned());
        assert_eq!(codes(&input), vec![("username", "username_contains_colon")]);
        input.username = Some("admin\t".to_owned());
        assert_eq!(codes(&input), vec![("username", "control_character")]);
        input.username = Some("admin".to_owned());
        input.password = Some(Secret::new("line\nbreak"));
        assert_eq!(codes(&input), vec![("password", "control_character")]);
        input.password = Some(Secret::new("x".repeat(MAX_SECRET_LEN + 1)));
        assert_eq!(codes(&input), vec![("password", "too_long")]);
    }

    #[test]
    fn control_characters_are_found_in_utf8() {
        for c in ['\u{0}', '\u{1f}', '\u{7f}', '\u{80}', '\u{9f}'] {
            assert!(has_control_character(&format!("a{c}b")), "{c:?}");
            assert_eq!(has_control_character(&c.to_string()), c.is_control());
        }
        for c in ['\u{a0}', 'é', '\u{2028}', '😀', 'Ā', '\u{c2}'] {
            assert!(!has_control_character(&format!("a{c}b")), "{c:?}");
        }
        for code in 0..0x800u32 {
            let c = char::from_u32(code).unwrap();
            assert_eq!(
                has_control_character(&c.to_string()),
                c.is_control(),
                "{code:#x}"
            );
        }
    }

    #[test]
    fn auth_type_must_be_known() {
        let mut input = basic_input("https://a.example/api/now");
        input.auth_type = Some("ntlm".to_owned());
        assert_eq!(codes(&input), vec![("authType", "invalid_auth_type")]);
    }

    #[test]
    fn stored_secrets_count_as_present() {
        let mut input = oauth_input("https://a.example/api/now");
        input.client_secret = None;
        assert_eq!(codes(&input), vec![("clientSecret", "required")]);
        let options = ValidateOptions {
            client_secret_stored: true,
            ..ValidateOptions::default()
        };
        let config = validate(&input, options).unwrap();
        assert!(config.oauth().unwrap().client_secret.is_empty());
        let mut basic = basic_input("https://a.example/api/now");
        basic.password = None;
        let options = ValidateOptions {
            password_stored: true,
            ..ValidateOptions::default()
        };
        assert!(validate(&basic, options).is_ok());
    }

    #[test]
    fn wrong_types_are_reported_once() {
        let mut input = basic_input("https://a.example/api/now");
        input.username = None;
        input.base_url = None;
        input.wrong_types = vec!["username", "baseUrl"];
        assert_eq!(
            codes(&input),
            vec![("baseUrl", "invalid_type"), ("username", "invalid_type")]
        );
    }

    #[test]
    fn timeout_range() {
        let mut input = basic_input("https://a.example/api/now");
        input.timeout_ms = Some(10.0);
        assert_eq!(codes(&input), vec![("timeoutMs", "out_of_range")]);
        input.timeout_ms = Some(f64::NAN);
        assert_eq!(codes(&input), vec![("timeoutMs", "out_of_range")]);
        input.timeout_ms = Some(120_000.0);
        assert_eq!(
            validate(&input, ValidateOptions::default())
                .unwrap()
                .timeout_ms,
            120_000
        );
    }

    #[test]
    fn messages_name_the_field() {
        let errors = validate(&ConnectionInput::default(), ValidateOptions::default()).unwrap_err();
        assert_eq!(errors[0].message, "Base URL is required.");
        assert_eq!(errors[1].message, "Authentication Type is required.");
        let errors = validate(
            &basic_input("https://a.example:0/api/now"),
            ValidateOptions::default(),
        )
        .unwrap_err();
        assert!(
            errors[0].message.starts_with("Base URL "),
            "{}",
            errors[0].message
        );
    }
}
