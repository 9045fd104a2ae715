//! The connection's settings: what a user enters, how it is checked, and the normalised form the rest of
//! the crate works with.
//!
//! A Base URL is the instance plus the REST API path and version (`https://<instance>/api/now/v2`;
//! `/api/now` alone means "latest"). Authentication is `basic` (user name + password, RFC 7617) or
//! `oauth2` (client ID + secret, authorization and token URLs defaulting to the instance's
//! `/oauth_auth.do` and `/oauth_token.do`) with one grant: authorization code (the default), client
//! credentials, JWT bearer (a PKCS#8 private key that signs the assertions, the ServiceNow user they
//! name, and how `aud` and `kid` are set) or the opt-in password grant (see [`crate::grant_type`]).
//! Validation reports every problem at once, each naming its field, so a form can show them all next
//! to their inputs.
//! Settings from JavaScript are read into a loose shape first (every member any JSON value), so a
//! member of the wrong type is one more field error rather than the end of reading. URLs follow the
//! rules of the `address` module: `https:` only, plain `http:` and loopback hosts only when the caller
//! allows insecure loopback (local development), private-network hosts only when the caller allows
//! them (on-premise instances). Both switches belong to the caller (the worker sets them from its own
//! configuration), never to stored settings.

use serde::{Deserialize, Serialize};
use tsify::Tsify;

use crate::address::{UrlRules, check_url, origin};
use crate::error::{Error, FieldCode, FieldError};
use crate::field::{SETTINGS_FIELDS, check_text, label, required, wrong_type};
use crate::grant_type::GrantType;
use crate::json_limits::{Loose, Shape, argument};
use crate::jwt::signing_key::{JwtAlgorithm, SigningKey};
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
    /// Basic and the password grant: the ServiceNow user name.
    pub username: Option<String>,
    /// Basic and the password grant: the password.
    pub password: Option<Secret>,
    /// OAuth 2.0: `authorization_code` (default), `client_credentials`, `jwt_bearer` or `password`.
    pub grant_type: Option<String>,
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
    /// JWT bearer: the ServiceNow user the assertions name (`sub`), as the record's User Field holds it.
    pub jwt_subject: Option<String>,
    /// JWT bearer: the PKCS#8 PEM private key that signs the assertions.
    pub private_key: Option<Secret>,
    /// JWT bearer: `RS256` (default) or `ES256`.
    pub jwt_algorithm: Option<String>,
    /// JWT bearer: the `kid` of the assertions' header.
    pub jwt_key_id: Option<String>,
    /// JWT bearer: `client_id` (default), `token_endpoint`, or the `aud` value itself.
    pub jwt_audience: Option<String>,
    /// OAuth 2.0: refresh-token lifetime set in the Application Registry, in seconds.
    pub refresh_token_lifetime_seconds: Option<f64>,
    /// Time limit for one request to the instance, in milliseconds.
    pub timeout_ms: Option<f64>,
    /// Accept `http:` URLs and loopback hosts (local development only).
    pub allow_insecure_loopback: bool,
    /// Accept hosts in private networks (on-premise instances).
    pub allow_private_network: bool,
    /// Fields whose value had the wrong type (filled in when reading JSON).
    pub wrong_types: Vec<&'static str>,
}

/// Connection settings as JavaScript passes them. Secrets (`password`, `clientSecret`, `privateKey`)
/// are only read, never returned.
#[derive(Default, Deserialize, Tsify)]
#[serde(rename_all = "camelCase")]
#[tsify(rename = "ConnectionSettings")]
struct SettingsDocument {
    /// Instance plus REST API path, e.g. `https://dev8954.service-now.com/api/now/v2`.
    #[tsify(type = "string")]
    base_url: Option<Loose>,
    /// How the connection authenticates.
    #[tsify(type = "\"basic\" | \"oauth2\"")]
    auth_type: Option<Loose>,
    /// Basic, and OAuth 2.0 with the password grant: the ServiceNow user name.
    #[tsify(optional, type = "string")]
    username: Option<Loose>,
    /// Basic, and OAuth 2.0 with the password grant: the password.
    #[tsify(optional, type = "string")]
    password: Option<Loose>,
    /// OAuth 2.0: how tokens are obtained. `authorization_code` (default): a person signs in
    /// (Generate). `client_credentials`: the client's own credentials (the instance needs
    /// `glide.oauth.inbound.client.credential.grant_type.enabled` and an OAuth Application User).
    /// `jwt_bearer`: an assertion signed with `privateKey`. `password`: `username` and `password`
    /// (deprecated by current OAuth guidance; only when chosen).
    #[tsify(optional, type = "GrantType")]
    grant_type: Option<Loose>,
    /// OAuth 2.0: the Application Registry's client ID.
    #[tsify(optional, type = "string")]
    client_id: Option<Loose>,
    /// OAuth 2.0: the Application Registry's client secret.
    #[tsify(optional, type = "string")]
    client_secret: Option<Loose>,
    /// Defaults to `<instance>/oauth_auth.do`.
    #[tsify(optional, type = "string")]
    authorization_url: Option<Loose>,
    /// Defaults to `<instance>/oauth_token.do`.
    #[tsify(optional, type = "string")]
    token_url: Option<Loose>,
    /// `client_secret_post` (default: ID and secret in the form body) or `client_secret_basic`
    /// (RFC 6749 §2.3.1).
    #[tsify(optional, type = "ClientAuthentication")]
    client_authentication: Option<Loose>,
    /// JWT bearer: the ServiceNow user the assertions name (`sub`), as the record's User Field holds
    /// it (a user name, an email address, …).
    #[tsify(optional, type = "string")]
    jwt_subject: Option<Loose>,
    /// JWT bearer: the private key that signs the assertions, unencrypted PKCS#8 PEM
    /// (`-----BEGIN PRIVATE KEY-----`), RSA for RS256 or EC P-256 for ES256. A secret: never returned.
    #[tsify(optional, type = "string")]
    private_key: Option<Loose>,
    /// JWT bearer: `RS256` (default) or `ES256`.
    #[tsify(optional, type = "JwtAlgorithm")]
    jwt_algorithm: Option<Loose>,
    /// JWT bearer: the `kid` of the assertions' header, as the instance's verifier map or JWKS names
    /// the key.
    #[tsify(optional, type = "string")]
    jwt_key_id: Option<Loose>,
    /// JWT bearer: the `aud` claim: `client_id` (default: the Client ID, as ServiceNow's JWT endpoint
    /// documentation asks), `token_endpoint` (the Access Token URL, as newer documentation says), or
    /// the value itself.
    #[tsify(optional, type = "\"client_id\" | \"token_endpoint\" | (string & {})")]
    jwt_audience: Option<Loose>,
    /// Refresh-token lifetime of the Application Registry record, in seconds (default 8,640,000 = 100 days).
    #[tsify(optional, type = "number")]
    refresh_token_lifetime_seconds: Option<Loose>,
    /// Time limit for one request to the instance, 1,000 to 120,000 ms (default 15,000).
    #[tsify(optional, type = "number")]
    timeout_ms: Option<Loose>,
    /// Accept `http:` URLs and loopback hosts (127.0.0.0/8, ::1, localhost). For local development only;
    /// set by the caller, not stored with the settings.
    #[tsify(optional, type = "boolean")]
    allow_insecure_loopback: Option<Loose>,
    /// Accept hosts in private networks (10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7), for
    /// on-premise instances; set by the caller, not stored with the settings.
    #[tsify(optional, type = "boolean")]
    allow_private_network: Option<Loose>,
}

impl ConnectionInput {
    /// Reads settings from JSON text, as JavaScript passes them. Members of the wrong type are
    /// recorded for [`validate`] to report with the other problems; a value that is not an object
    /// reads as empty settings. Only text that is not JSON at all (or too large or deep) is an error.
    pub fn from_json(text: &str) -> Result<Self, Error> {
        let document = argument::<SettingsDocument>(text, "settings", Shape::ObjectOrNull)?
            .unwrap_or_default();
        let mut wrong = Vec::new();
        let mut text = |field: &'static str, value: Option<Loose>| match value {
            None | Some(Loose::Null) => None,
            Some(Loose::Text(text)) => Some(text),
            Some(_) => {
                wrong.push(field);
                None
            }
        };
        let mut input = Self {
            base_url: text("baseUrl", document.base_url),
            auth_type: text("authType", document.auth_type),
            username: text("username", document.username),
            password: text("password", document.password).map(Secret::new),
            client_id: text("clientId", document.client_id),
            client_secret: text("clientSecret", document.client_secret).map(Secret::new),
            authorization_url: text("authorizationUrl", document.authorization_url),
            token_url: text("tokenUrl", document.token_url),
            client_authentication: text("clientAuthentication", document.client_authentication),
            grant_type: text("grantType", document.grant_type),
            jwt_subject: text("jwtSubject", document.jwt_subject),
            private_key: text("privateKey", document.private_key).map(Secret::new),
            jwt_algorithm: text("jwtAlgorithm", document.jwt_algorithm),
            jwt_key_id: text("jwtKeyId", document.jwt_key_id),
            jwt_audience: text("jwtAudience", document.jwt_audience),
            ..Self::default()
        };
        for (field, value, slot) in [
            (
                "refreshTokenLifetimeSeconds",
                document.refresh_token_lifetime_seconds,
                &mut input.refresh_token_lifetime_seconds,
            ),
            ("timeoutMs", document.timeout_ms, &mut input.timeout_ms),
        ] {
            match value {
                None | Some(Loose::Null) => {}
                Some(Loose::Number(number)) => *slot = Some(number),
                Some(_) => wrong.push(field),
            }
        }
        input.allow_insecure_loopback = document.allow_insecure_loopback == Some(Loose::Bool(true));
        input.allow_private_network = document.allow_private_network == Some(Loose::Bool(true));
        input.wrong_types = wrong;
        Ok(input)
    }
}

/// Options for [`validate`].
#[derive(Clone, Copy, Debug, Default)]
pub struct ValidateOptions {
    /// The password is already stored elsewhere: a missing one is not an error.
    pub password_stored: bool,
    /// The client secret is already stored elsewhere: a missing one is not an error.
    pub client_secret_stored: bool,
    /// The JWT-bearer private key is already stored elsewhere: a missing one is not an error.
    pub private_key_stored: bool,
}

/// Options of `validateConfig`.
#[derive(Deserialize, Tsify)]
#[serde(rename_all = "camelCase")]
#[tsify(rename = "ValidateOptions")]
struct ValidateOptionsDocument {
    /// Secrets already stored elsewhere: their absence is not an error.
    #[tsify(
        optional,
        type = "Array<\"password\" | \"clientSecret\" | \"privateKey\">"
    )]
    stored_secrets: Option<Vec<Loose>>,
}

impl ValidateOptions {
    /// Reads `{ storedSecrets?: ["password" | "clientSecret" | "privateKey"] }`; anything else is
    /// ignored.
    pub fn from_json(text: &str) -> Self {
        let stored = argument::<ValidateOptionsDocument>(text, "options", Shape::Object)
            .ok()
            .flatten()
            .and_then(|options| options.stored_secrets)
            .unwrap_or_default();
        let has = |name: &str| {
            stored
                .iter()
                .any(|item| matches!(item, Loose::Text(text) if text == name))
        };
        Self {
            password_stored: has("password"),
            client_secret_stored: has("clientSecret"),
            private_key_stored: has("privateKey"),
        }
    }
}

/// How the client authenticates to the token endpoint (RFC 6749 §2.3.1).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Tsify)]
#[serde(rename_all = "snake_case")]
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
    /// How tokens are obtained.
    pub grant: OAuthGrant,
}

/// The grant of an OAuth 2.0 connection, with what it needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OAuthGrant {
    /// Authorization code with PKCE: a person signs in (Generate).
    AuthorizationCode,
    /// Client credentials: the client ID and secret alone.
    ClientCredentials,
    /// JWT bearer: an assertion signed with a private key.
    JwtBearer(JwtBearer),
    /// Resource-owner password credentials.
    Password(BasicCredentials),
}

impl OAuthGrant {
    /// The grant's name.
    pub fn grant_type(&self) -> GrantType {
        match self {
            Self::AuthorizationCode => GrantType::AuthorizationCode,
            Self::ClientCredentials => GrantType::ClientCredentials,
            Self::JwtBearer(_) => GrantType::JwtBearer,
            Self::Password(_) => GrantType::Password,
        }
    }
}

/// The settings of the JWT-bearer grant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JwtBearer {
    /// The ServiceNow user the assertions name (`sub`).
    pub subject: String,
    /// What `aud` holds.
    pub audience: JwtAudience,
    /// The `kid` of the header, when set.
    pub key_id: Option<String>,
    /// How assertions are signed.
    pub algorithm: JwtAlgorithm,
    /// The private key; `None` when validated without it because it is stored elsewhere.
    pub private_key: Option<SigningKey>,
}

/// What the assertions' `aud` claim holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JwtAudience {
    /// The client ID (ServiceNow's "OAuth JWT API endpoint for external clients" documentation).
    ClientId,
    /// The token endpoint's URL (newer ServiceNow documentation, RFC 7523 §3).
    TokenEndpoint,
    /// This value.
    Other(String),
}

impl JwtAudience {
    /// The setting as entered: `client_id`, `token_endpoint` or the value.
    pub fn as_setting(&self) -> &str {
        match self {
            Self::ClientId => "client_id",
            Self::TokenEndpoint => "token_endpoint",
            Self::Other(value) => value,
        }
    }
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
    /// Whether `http:` and loopback hosts were allowed for this connection.
    pub allow_insecure_loopback: bool,
    /// Whether private-network hosts were allowed for this connection.
    pub allow_private_network: bool,
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

    /// The settings without secrets.
    pub fn normalized(&self) -> NormalizedConfig {
        let connection = NormalizedConnection {
            base_url: self.base_url.clone(),
            instance_url: self.instance_url.clone(),
            api_path: self.api_path,
            api_version: self.api_version(),
            timeout_ms: self.timeout_ms,
            allow_insecure_loopback: self.allow_insecure_loopback,
            allow_private_network: self.allow_private_network,
        };
        match &self.auth {
            Auth::Basic(basic) => NormalizedConfig::Basic {
                connection,
                username: basic.username.clone(),
            },
            Auth::OAuth2(oauth) => NormalizedConfig::OAuth2 {
                connection,
                client_id: oauth.client_id.clone(),
                authorization_url: oauth.authorization_url.clone(),
                token_url: oauth.token_url.clone(),
                client_authentication: oauth.client_authentication,
                refresh_token_lifetime_seconds: oauth.refresh_token_lifetime_seconds,
                grant: NormalizedGrant::from(&oauth.grant),
            },
        }
    }
}

/// The grant of the normalised settings, without the private key or password.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Tsify)]
#[serde(tag = "grantType", rename_all = "snake_case")]
pub enum NormalizedGrant {
    /// Authorization code with PKCE.
    AuthorizationCode,
    /// Client credentials.
    ClientCredentials,
    /// JWT bearer.
    #[serde(rename_all = "camelCase")]
    JwtBearer {
        /// The ServiceNow user the assertions name.
        jwt_subject: String,
        /// `client_id`, `token_endpoint` or the `aud` value.
        jwt_audience: String,
        /// The header's `kid`, when set.
        #[serde(skip_serializing_if = "Option::is_none")]
        #[tsify(optional)]
        jwt_key_id: Option<String>,
        /// How assertions are signed.
        jwt_algorithm: JwtAlgorithm,
    },
    /// Password.
    Password {
        /// The user name.
        username: String,
    },
}

impl From<&OAuthGrant> for NormalizedGrant {
    fn from(grant: &OAuthGrant) -> Self {
        match grant {
            OAuthGrant::AuthorizationCode => Self::AuthorizationCode,
            OAuthGrant::ClientCredentials => Self::ClientCredentials,
            OAuthGrant::JwtBearer(jwt) => Self::JwtBearer {
                jwt_subject: jwt.subject.clone(),
                jwt_audience: jwt.audience.as_setting().to_owned(),
                jwt_key_id: jwt.key_id.clone(),
                jwt_algorithm: jwt.algorithm,
            },
            OAuthGrant::Password(credentials) => Self::Password {
                username: credentials.username.clone(),
            },
        }
    }
}

/// The validated settings without secrets, by authentication type.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Tsify)]
#[serde(tag = "authType")]
pub enum NormalizedConfig {
    /// HTTP Basic.
    #[serde(rename = "basic")]
    Basic {
        /// What every connection has.
        #[serde(flatten)]
        connection: NormalizedConnection,
        /// The user name.
        username: String,
    },
    /// OAuth 2.0.
    #[serde(rename = "oauth2", rename_all = "camelCase")]
    OAuth2 {
        /// What every connection has.
        #[serde(flatten)]
        connection: NormalizedConnection,
        /// Client ID.
        client_id: String,
        /// Authorization endpoint.
        authorization_url: String,
        /// Token endpoint.
        token_url: String,
        /// How the client authenticates to the token endpoint.
        client_authentication: ClientAuthentication,
        /// Refresh-token lifetime in seconds.
        refresh_token_lifetime_seconds: u64,
        /// The grant and its settings.
        #[serde(flatten)]
        grant: NormalizedGrant,
    },
}

/// The normalised settings every connection has, whatever its authentication.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Tsify)]
#[serde(rename_all = "camelCase")]
pub struct NormalizedConnection {
    /// Origin plus API path, without a trailing slash.
    pub base_url: String,
    /// The instance's origin.
    pub instance_url: String,
    /// The REST API path of the Base URL.
    #[tsify(type = "\"/api/now\" | \"/api/now/v1\" | \"/api/now/v2\"")]
    pub api_path: &'static str,
    /// The API version the Base URL selects.
    #[tsify(type = "\"latest\" | \"v1\" | \"v2\"")]
    pub api_version: &'static str,
    /// Time limit for one request to the instance, in milliseconds.
    pub timeout_ms: u32,
    /// Whether `http:` and loopback hosts were allowed.
    pub allow_insecure_loopback: bool,
    /// Whether private-network hosts were allowed.
    pub allow_private_network: bool,
}

/// What `validateConfig` returns: every problem, or the normalised settings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Tsify)]
pub struct ValidationResult {
    /// Whether the settings are valid.
    pub ok: bool,
    /// Every problem, grouped by field in form order.
    pub errors: Vec<FieldError>,
    /// The normalised settings, when valid.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub config: Option<NormalizedConfig>,
}

impl From<&Result<ConnectionConfig, Vec<FieldError>>> for ValidationResult {
    fn from(result: &Result<ConnectionConfig, Vec<FieldError>>) -> Self {
        match result {
            Ok(config) => Self {
                ok: true,
                errors: Vec::new(),
                config: Some(config.normalized()),
            },
            Err(errors) => Self {
                ok: false,
                errors: errors.clone(),
                config: None,
            },
        }
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
        .map(|&field| wrong_type(field))
        .collect();
    let is_wrong_type = |field: &str| input.wrong_types.contains(&field);
    let rules = UrlRules {
        allow_insecure_loopback: input.allow_insecure_loopback,
        allow_private_network: input.allow_private_network,
        allow_query: false,
        sends_to: true,
    };

    let base = match text_field(&mut errors, "baseUrl", input.base_url.as_deref(), MAX_URL_LEN) {
        Text::Valid(value) => check_url(&mut errors, "baseUrl", value, rules).and_then(|url| {
            let Some(path) = api_path(url.path()) else {
                let message = if url.path() == "/" {
                    // An instance address alone is the commonest mistake; "/" would read as a path.
                    "Base URL is missing the REST API path: add /api/now/v2 (or /api/now, /api/now/v1) after the instance, e.g. https://instance.service-now.com/api/now/v2.".to_owned()
                } else {
                    format!(
                        "Base URL must end with the REST API path /api/now, /api/now/v1 or /api/now/v2 (found \"{}\"), e.g. https://instance.service-now.com/api/now/v2.",
                        url.path()
                    )
                };
                errors.push(FieldError::new(
                    "baseUrl",
                    FieldCode::InvalidApiPath,
                    message,
                ));
                return None;
            };
            Some((origin(&url), path))
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
            let instance = base.as_ref().map(|(origin, _)| origin.as_str());
            oauth_auth(&mut errors, input, options, instance, rules)
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

    // Grouped by field in form order, each field's errors in the order found.
    let errors: Vec<FieldError> = SETTINGS_FIELDS
        .iter()
        .flat_map(|&field| errors.iter().filter(move |e| e.field == field).cloned())
        .collect();
    match (base, auth) {
        (Some((instance_url, api_path)), Some(auth)) if errors.is_empty() => Ok(ConnectionConfig {
            base_url: format!("{instance_url}{api_path}"),
            instance_url,
            api_path,
            auth,
            timeout_ms,
            allow_insecure_loopback: input.allow_insecure_loopback,
            allow_private_network: input.allow_private_network,
        }),
        _ => Err(errors),
    }
}

/// Validates settings for an operation; a failure is an `invalid_config` error with every problem.
pub fn validate_for_use(input: &ConnectionInput) -> Result<ConnectionConfig, Error> {
    validate(input, ValidateOptions::default()).map_err(Error::invalid_config)
}

fn basic_auth(
    errors: &mut Vec<FieldError>,
    input: &ConnectionInput,
    options: ValidateOptions,
) -> Option<Auth> {
    credentials(errors, input, options, false).map(Auth::Basic)
}

/// The user name and password of Basic authentication, or (`colon_allowed`, as a form field rather
/// than in a Basic header) of the password grant.
fn credentials(
    errors: &mut Vec<FieldError>,
    input: &ConnectionInput,
    options: ValidateOptions,
    colon_allowed: bool,
) -> Option<BasicCredentials> {
    let username = required_text(
        errors,
        input,
        "username",
        input.username.as_deref(),
        MAX_NAME_LEN,
    );
    if let Some(name) = username
        && !colon_allowed
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
    Some(BasicCredentials {
        username: username?.to_owned(),
        password: password?,
    })
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
                (errors.len() == before).then(|| url.to_string())
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
    let grant = oauth_grant(errors, input, options);
    Some(Auth::OAuth2(OAuthClient {
        client_id: client_id?.to_owned(),
        client_secret: client_secret?,
        authorization_url: authorization_url?,
        token_url: token_url?,
        client_authentication: client_authentication?,
        refresh_token_lifetime_seconds,
        grant: grant?,
    }))
}

/// The grant and the fields it needs; the fields of other grants are ignored.
fn oauth_grant(
    errors: &mut Vec<FieldError>,
    input: &ConnectionInput,
    options: ValidateOptions,
) -> Option<OAuthGrant> {
    let grant_type = match text_field(errors, "grantType", input.grant_type.as_deref(), 32) {
        Text::Absent => GrantType::AuthorizationCode,
        Text::Valid(name) => {
            let Some(grant_type) = GrantType::from_name(name) else {
                errors.push(FieldError::new(
                    "grantType",
                    FieldCode::InvalidGrantType,
                    "Grant type must be \"authorization_code\", \"client_credentials\", \"jwt_bearer\" or \"password\".",
                ));
                return None;
            };
            grant_type
        }
        Text::Invalid => return None,
    };
    match grant_type {
        GrantType::AuthorizationCode => Some(OAuthGrant::AuthorizationCode),
        GrantType::ClientCredentials => Some(OAuthGrant::ClientCredentials),
        GrantType::Password => credentials(errors, input, options, true).map(OAuthGrant::Password),
        GrantType::JwtBearer => jwt_bearer(errors, input, options).map(OAuthGrant::JwtBearer),
    }
}

fn jwt_bearer(
    errors: &mut Vec<FieldError>,
    input: &ConnectionInput,
    options: ValidateOptions,
) -> Option<JwtBearer> {
    let subject = required_text(
        errors,
        input,
        "jwtSubject",
        input.jwt_subject.as_deref(),
        MAX_NAME_LEN,
    );
    let algorithm = match text_field(errors, "jwtAlgorithm", input.jwt_algorithm.as_deref(), 16) {
        Text::Absent => Some(JwtAlgorithm::default()),
        Text::Valid(name) => JwtAlgorithm::parse(name, "jwtAlgorithm")
            .map_err(|error| errors.push(error))
            .ok(),
        Text::Invalid => None,
    };
    let private_key = match input.private_key.as_ref().filter(|key| !key.is_empty()) {
        Some(pem) => SigningKey::from_pem(pem.expose(), "privateKey")
            .and_then(|key| match algorithm {
                Some(algorithm) => key.check_algorithm(algorithm, "privateKey").map(|()| key),
                None => Ok(key),
            })
            .map(Some)
            .map_err(|error| errors.push(error))
            .ok(),
        None if options.private_key_stored => Some(None),
        None => {
            if !input.wrong_types.contains(&"privateKey") {
                errors.push(required("privateKey"));
            }
            None
        }
    };
    let key_id = match text_field(
        errors,
        "jwtKeyId",
        input.jwt_key_id.as_deref(),
        MAX_NAME_LEN,
    ) {
        Text::Absent => Some(None),
        Text::Valid(kid) => Some(Some(kid.to_owned())),
        Text::Invalid => None,
    };
    let audience = match text_field(
        errors,
        "jwtAudience",
        input.jwt_audience.as_deref(),
        MAX_URL_LEN,
    ) {
        Text::Absent | Text::Valid("client_id") => Some(JwtAudience::ClientId),
        Text::Valid("token_endpoint") => Some(JwtAudience::TokenEndpoint),
        Text::Valid(value) => Some(JwtAudience::Other(value.to_owned())),
        Text::Invalid => None,
    };
    Some(JwtBearer {
        subject: subject?.to_owned(),
        audience: audience?,
        key_id: key_id?,
        algorithm: algorithm?,
        private_key: private_key?,
    })
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
            .map(|()| secret.clone())
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

/// The API path of a Base URL, with one trailing slash forgiven.
fn api_path(path: &str) -> Option<&'static str> {
    let trimmed = path.strip_suffix('/').unwrap_or(path);
    API_PATHS.into_iter().find(|&known| known == trimmed)
}
#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_fixtures::oauth_input;

    fn basic_input(base_url: &str) -> ConnectionInput {
        ConnectionInput {
            password: Some(Secret::new("pa:ss word")),
            ..crate::test_fixtures::basic_input(base_url)
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
            "https://a.example/api/now%2Fv2",
            "https://sn.example.com/api now",
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
        // Without any path, the message says the path is missing rather than quoting "/".
        for bare in [
            "https://a.example",
            "https://a.example/",
            "https://A.example:443",
        ] {
            let errors = validate(&basic_input(bare), ValidateOptions::default()).unwrap_err();
            assert_eq!(errors[0].code, FieldCode::InvalidApiPath, "{bare}");
            assert!(
                errors[0].message.contains("missing the REST API path")
                    && !errors[0].message.contains("found"),
                "{bare}: {}",
                errors[0].message
            );
        }
    }

    #[test]
    fn base_urls_are_read_as_fetch_reads_them() {
        // WHATWG resolves dot segments and percent-encoded dots: fetch would request /api/now.
        for (url, base) in [
            (
                "https://a.example/api/now/../now",
                "https://a.example/api/now",
            ),
            (
                "https://a.example/api/x/%2e%2e/now/v2",
                "https://a.example/api/now/v2",
            ),
            (
                "HTTPS://A.EXAMPLE:443/api/now/v1",
                "https://a.example/api/now/v1",
            ),
            ("https://%61.example/api/now", "https://a.example/api/now"),
            (
                "https://xn--bcher-kva.example/api/now",
                "https://xn--bcher-kva.example/api/now",
            ),
        ] {
            let config = validate(&basic_input(url), ValidateOptions::default()).unwrap();
            assert_eq!(config.base_url, base, "{url}");
        }
    }

    #[test]
    fn url_shape_problems_have_their_own_codes() {
        let cases = [
            ("sn.example.com/api/now", "invalid_url"),
            ("https://sn example.com/api/now", "invalid_host"),
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
    fn custom_domains_and_public_ip_hosts_are_accepted() {
        for url in [
            "https://servicenow.corp.example.org/api/now/v2",
            "https://203.0.113.7:8443/api/now",
            "https://[2001:db8::5]/api/now/v1",
        ] {
            assert_eq!(codes(&basic_input(url)), vec![], "{url}");
        }
    }

    #[test]
    fn private_and_loopback_hosts_need_the_callers_switch() {
        // The core sees what fetch sees: 0x7f000001 is 127.0.0.1.
        assert_eq!(
            codes(&basic_input("https://0x7f000001:9901/api/now")),
            vec![("baseUrl", "loopback_address")]
        );
        assert_eq!(
            codes(&basic_input("https://10.1.2.3:8443/api/now")),
            vec![("baseUrl", "private_address")]
        );
        assert_eq!(
            codes(&basic_input("https://169.254.169.254/api/now")),
            vec![("baseUrl", "reserved_address")]
        );
        let mut on_premise = basic_input("https://10.1.2.3:8443/api/now");
        on_premise.allow_private_network = true;
        let config = validate(&on_premise, ValidateOptions::default()).unwrap();
        assert!(config.allow_private_network);
        let NormalizedConfig::Basic { connection, .. } = config.normalized() else {
            panic!("basic expected")
        };
        assert!(connection.allow_private_network);
        // Every URL the crate sends to: the OAuth endpoints too.
        let mut input = oauth_input("https://sn.example.com/api/now");
        input.token_url = Some("https://[::ffff:7f00:1]/oauth_token.do".to_owned());
        input.authorization_url = Some("https://192.168.0.10/oauth_auth.do".to_owned());
        assert_eq!(
            codes(&input),
            vec![
                ("authorizationUrl", "private_address"),
                ("tokenUrl", "loopback_address")
            ]
        );
        input.allow_private_network = true;
        input.allow_insecure_loopback = true;
        assert_eq!(codes(&input), vec![]);
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
    fn settings_read_from_json_with_wrong_types_recorded() {
        let input = ConnectionInput::from_json(
            r#"{"baseUrl":"https://a.example/api/now","authType":"basic","username":7,"password":"p",
               "timeoutMs":1.5,"refreshTokenLifetimeSeconds":"60","allowInsecureLoopback":"yes","clientId":null,
               "allowPrivateNetwork":true,"unknown":{"x":[1]}}"#,
        )
        .unwrap();
        assert_eq!(input.base_url.as_deref(), Some("https://a.example/api/now"));
        assert_eq!(input.password.as_ref().map(Secret::expose), Some("p"));
        assert_eq!(input.client_id, None);
        assert_eq!(input.timeout_ms, Some(1.5));
        assert!(!input.allow_insecure_loopback);
        assert!(input.allow_private_network);
        assert_eq!(
            input.wrong_types,
            vec!["username", "refreshTokenLifetimeSeconds"]
        );
        assert_eq!(
            codes(&input),
            vec![
                ("username", "invalid_type"),
                ("refreshTokenLifetimeSeconds", "invalid_type"),
                ("timeoutMs", "out_of_range"),
            ]
        );
        for not_an_object in [
            "[\"https://a.example/api/now\",\"basic\"]",
            "7",
            "null",
            "\"x\"",
        ] {
            let input = ConnectionInput::from_json(not_an_object).unwrap();
            assert!(input.base_url.is_none(), "{not_an_object}");
        }
        let on = ConnectionInput::from_json(r#"{"allowInsecureLoopback":true}"#).unwrap();
        assert!(on.allow_insecure_loopback);
        // Text that is not JSON, or a lone surrogate, is unreadable; the message quotes nothing.
        for text in [r#"{"password":"\ud800SECRET"}"#, r#"{"password":"SECRET"#] {
            let error = ConnectionInput::from_json(text).unwrap_err();
            assert_eq!(error.field, Some("settings"));
            assert!(!error.message.contains("SECRET"));
        }
    }

    #[test]
    fn options_read_from_json() {
        let options = ValidateOptions::from_json(r#"{"storedSecrets":["clientSecret",5]}"#);
        assert!(options.client_secret_stored && !options.password_stored);
        assert!(!ValidateOptions::from_json("null").client_secret_stored);
        assert!(!ValidateOptions::from_json(r#"{"storedSecrets":"password"}"#).password_stored);
    }

    #[test]
    fn results_serialise_as_the_javascript_api_describes() {
        let config = validate(
            &basic_input("https://a.example/api/now/v2"),
            ValidateOptions::default(),
        );
        let text = serde_json::to_string(&ValidationResult::from(&config)).unwrap();
        assert_eq!(
            text,
            r#"{"ok":true,"errors":[],"config":{"authType":"basic","baseUrl":"https://a.example/api/now/v2","instanceUrl":"https://a.example","apiPath":"/api/now/v2","apiVersion":"v2","timeoutMs":15000,"allowInsecureLoopback":false,"allowPrivateNetwork":false,"username":"admin"}}"#
        );
        assert!(!text.contains("pa:ss"));
        let config = validate(
            &oauth_input("https://a.example/api/now"),
            ValidateOptions::default(),
        );
        let text = serde_json::to_string(&ValidationResult::from(&config)).unwrap();
        assert!(text.ends_with(r#""allowPrivateNetwork":false,"clientId":"id","authorizationUrl":"https://a.example/oauth_auth.do","tokenUrl":"https://a.example/oauth_token.do","clientAuthentication":"client_secret_post","refreshTokenLifetimeSeconds":8640000,"grantType":"authorization_code"}}"#), "{text}");
        assert!(!text.contains("secret\""));
        let failed = validate(&ConnectionInput::default(), ValidateOptions::default());
        assert_eq!(
            serde_json::to_string(&ValidationResult::from(&failed)).unwrap(),
            r#"{"ok":false,"errors":[{"field":"baseUrl","code":"required","message":"Base URL is required."},{"field":"authType","code":"required","message":"Authentication Type is required."}]}"#
        );
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

    fn grant_input(grant: &str) -> ConnectionInput {
        ConnectionInput {
            grant_type: Some(grant.to_owned()),
            ..oauth_input("https://a.example/api/now")
        }
    }

    fn normalized_json(input: &ConnectionInput, options: ValidateOptions) -> serde_json::Value {
        let config = validate(input, options).unwrap();
        serde_json::to_value(config.normalized()).unwrap()
    }

    #[test]
    fn client_credentials_needs_only_the_client() {
        let input = grant_input("client_credentials");
        let config = validate(&input, ValidateOptions::default()).unwrap();
        assert_eq!(config.oauth().unwrap().grant, OAuthGrant::ClientCredentials);
        let json = normalized_json(&input, ValidateOptions::default());
        assert_eq!(json["grantType"], "client_credentials");
        let mut missing = grant_input("client_credentials");
        missing.client_secret = None;
        assert_eq!(codes(&missing), vec![("clientSecret", "required")]);
    }

    #[test]
    fn password_grant_needs_user_and_password() {
        let mut input = grant_input("password");
        input.client_id = None;
        assert_eq!(
            codes(&input),
            vec![
                ("username", "required"),
                ("password", "required"),
                ("clientId", "required")
            ]
        );
        input.client_id = Some("id".to_owned());
        input.username = Some("svc:integration".to_owned());
        input.password = Some(Secret::new("pw-SECRET"));
        let config = validate(&input, ValidateOptions::default()).unwrap();
        let OAuthGrant::Password(credentials) = &config.oauth().unwrap().grant else {
            panic!("password expected")
        };
        assert_eq!(credentials.username, "svc:integration");
        let json = normalized_json(&input, ValidateOptions::default());
        assert_eq!(json["grantType"], "password");
        assert_eq!(json["username"], "svc:integration");
        assert!(!json.to_string().contains("pw-SECRET"));
        input.password = None;
        let stored = ValidateOptions {
            password_stored: true,
            ..ValidateOptions::default()
        };
        assert!(validate(&input, stored).is_ok());
    }

    #[test]
    fn jwt_bearer_reports_every_missing_field_at_once() {
        let mut input = grant_input("jwt_bearer");
        input.client_id = None;
        input.client_secret = None;
        input.jwt_algorithm = Some("HS256".to_owned());
        assert_eq!(
            codes(&input),
            vec![
                ("clientId", "required"),
                ("clientSecret", "required"),
                ("jwtSubject", "required"),
                ("privateKey", "required"),
                ("jwtAlgorithm", "invalid_jwt_algorithm"),
            ]
        );
    }

    #[test]
    fn jwt_bearer_settings_are_normalised_without_the_key() {
        use crate::test_fixtures::{EC_KEY_PEM, RSA_KEY_PEM};
        let mut input = grant_input("jwt_bearer");
        input.jwt_subject = Some(" svc@example.com ".to_owned());
        input.private_key = Some(Secret::new(RSA_KEY_PEM));
        let config = validate(&input, ValidateOptions::default()).unwrap();
        let OAuthGrant::JwtBearer(jwt) = &config.oauth().unwrap().grant else {
            panic!("jwt expected")
        };
        assert_eq!(jwt.subject, "svc@example.com");
        assert_eq!(jwt.audience, JwtAudience::ClientId);
        assert_eq!(jwt.algorithm, JwtAlgorithm::Rs256);
        assert_eq!(jwt.key_id, None);
        assert!(
            !format!("{config:?}").contains("MII"),
            "Debug hides the key"
        );
        let json = normalized_json(&input, ValidateOptions::default());
        assert_eq!(
            json.as_object()
                .unwrap()
                .iter()
                .filter(|(name, _)| name.starts_with("jwt") || *name == "grantType")
                .map(|(name, value)| format!("{name}={value}"))
                .collect::<Vec<_>>(),
            vec![
                r#"grantType="jwt_bearer""#,
                r#"jwtAlgorithm="RS256""#,
                r#"jwtAudience="client_id""#,
                r#"jwtSubject="svc@example.com""#,
            ]
        );
        assert!(!json.to_string().contains("PRIVATE KEY"));
        input.private_key = Some(Secret::new(EC_KEY_PEM));
        input.jwt_algorithm = Some("ES256".to_owned());
        input.jwt_key_id = Some("key-2026".to_owned());
        input.jwt_audience = Some("token_endpoint".to_owned());
        let json = normalized_json(&input, ValidateOptions::default());
        assert_eq!(json["jwtAlgorithm"], "ES256");
        assert_eq!(json["jwtKeyId"], "key-2026");
        assert_eq!(json["jwtAudience"], "token_endpoint");
        input.jwt_audience = Some("https://aud.example".to_owned());
        let config = validate(&input, ValidateOptions::default()).unwrap();
        let OAuthGrant::JwtBearer(jwt) = &config.oauth().unwrap().grant else {
            panic!("jwt expected")
        };
        assert_eq!(
            jwt.audience,
            JwtAudience::Other("https://aud.example".to_owned())
        );
    }

    #[test]
    fn jwt_bearer_key_must_fit_the_algorithm_or_be_stored() {
        use crate::test_fixtures::EC_KEY_PEM;
        let mut input = grant_input("jwt_bearer");
        input.jwt_subject = Some("svc".to_owned());
        input.private_key = Some(Secret::new(EC_KEY_PEM));
        assert_eq!(
            codes(&input),
            vec![("privateKey", "key_algorithm_mismatch")]
        );
        input.private_key = Some(Secret::new("-----BEGIN RSA PRIVATE KEY-----"));
        assert_eq!(codes(&input), vec![("privateKey", "invalid_private_key")]);
        input.private_key = None;
        let stored = ValidateOptions {
            private_key_stored: true,
            ..ValidateOptions::default()
        };
        let config = validate(&input, stored).unwrap();
        let OAuthGrant::JwtBearer(jwt) = &config.oauth().unwrap().grant else {
            panic!("jwt expected")
        };
        assert!(jwt.private_key.is_none());
        input.jwt_key_id = Some("bad\nkid".to_owned());
        input.jwt_audience = Some("a".repeat(MAX_URL_LEN + 1));
        assert_eq!(
            validate(&input, stored)
                .unwrap_err()
                .iter()
                .map(|e| (e.field, e.code.as_str()))
                .collect::<Vec<_>>(),
            vec![
                ("jwtKeyId", "control_character"),
                ("jwtAudience", "too_long")
            ]
        );
    }

    #[test]
    fn grant_type_must_be_known_and_other_grants_fields_are_ignored() {
        let mut input = grant_input("refresh_token");
        assert_eq!(codes(&input), vec![("grantType", "invalid_grant_type")]);
        input.grant_type = Some("authorization_code".to_owned());
        input.jwt_algorithm = Some("HS256".to_owned());
        input.private_key = Some(Secret::new("not a key"));
        input.username = Some("a:b".to_owned());
        let config = validate(&input, ValidateOptions::default()).unwrap();
        assert_eq!(config.oauth().unwrap().grant, OAuthGrant::AuthorizationCode);
    }

    #[test]
    fn grant_settings_read_from_json() {
        let input = ConnectionInput::from_json(
            r#"{"grantType":"jwt_bearer","jwtSubject":"svc","privateKey":"k","jwtAlgorithm":"ES256",
               "jwtKeyId":"kid","jwtAudience":"token_endpoint"}"#,
        )
        .unwrap();
        assert_eq!(input.grant_type.as_deref(), Some("jwt_bearer"));
        assert_eq!(input.jwt_subject.as_deref(), Some("svc"));
        assert_eq!(input.private_key.as_ref().map(Secret::expose), Some("k"));
        assert_eq!(input.jwt_algorithm.as_deref(), Some("ES256"));
        assert_eq!(input.jwt_key_id.as_deref(), Some("kid"));
        assert_eq!(input.jwt_audience.as_deref(), Some("token_endpoint"));
        let wrong = ConnectionInput::from_json(
            r#"{"baseUrl":"https://a.example/api/now","authType":"oauth2","clientId":"i","clientSecret":"s",
               "grantType":1,"privateKey":{"pem":"x"}}"#,
        )
        .unwrap();
        assert_eq!(wrong.wrong_types, vec!["grantType", "privateKey"]);
        assert_eq!(
            codes(&wrong),
            vec![
                ("grantType", "invalid_type"),
                ("privateKey", "invalid_type")
            ]
        );
        let options = ValidateOptions::from_json(r#"{"storedSecrets":["privateKey"]}"#);
        assert!(options.private_key_stored && !options.password_stored);
    }
}
