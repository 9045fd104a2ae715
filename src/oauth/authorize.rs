//! The authorization request: where *Generate* sends the user's browser.
//!
//! RFC 6749 §4.1.1 with PKCE S256 (RFC 7636 §4) always, and a `state` of 256 bits from the platform's
//! CSPRNG, which the caller must keep and compare on the way back (RFC 9700 §2.1, §4.7: ServiceNow
//! falls back to the first registered redirect URL when none matches, so state binding is the
//! client's own defence). The code verifier is 32 random bytes in base64url: 43 characters, the
//! shortest RFC 7636 allows, with 256 bits of entropy.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tsify::Tsify;

use crate::address::{UrlRules, check_url};
use crate::config::ConnectionConfig;
use crate::encoding::base64url;
use crate::error::{Error, ErrorCode, FieldCode, FieldError};
use crate::field::{check_text, required};
use crate::json_limits::{Shape, argument};
use crate::random::random_bytes;
use crate::secret::{Secret, serialize_exposed};

/// What the caller of *Generate* supplies.
#[derive(Clone, Debug, Default)]
pub struct AuthorizationParams {
    /// Where the instance sends the user back: the worker's `/oauth2/callback`.
    pub redirect_uri: String,
    /// Space-separated scopes; ServiceNow grants `useraccount` when none is asked for.
    pub scope: Option<String>,
    /// A routing label put before the random state (`<prefix>.<random>`), so that a server with many
    /// connections can send the callback to the one that started it. It adds no secrecy: the random
    /// part alone binds the callback. 1–64 characters of `A–Z a–z 0–9 _ -`.
    pub state_prefix: Option<String>,
}

/// What *Generate* supplies, as JavaScript passes it.
#[derive(Deserialize, Tsify)]
#[serde(rename_all = "camelCase")]
#[tsify(rename = "AuthorizationOptions")]
struct AuthorizationOptionsDocument {
    /// Absolute https URL of the callback (loopback http with `allowInsecureLoopback`).
    #[tsify(type = "string")]
    redirect_uri: Option<String>,
    /// Space-separated scopes; ServiceNow grants `useraccount` when none is asked for.
    #[tsify(optional)]
    scope: Option<String>,
    /// Routing label for servers with many connections: the state becomes `<statePrefix>.<random>`.
    #[tsify(optional)]
    state_prefix: Option<String>,
}

impl AuthorizationParams {
    /// Reads `{ redirectUri, scope?, statePrefix? }` from JSON text.
    pub fn from_json(text: &str) -> Result<Self, Error> {
        let options = argument::<AuthorizationOptionsDocument>(text, "options", Shape::Object)?;
        Ok(options.map_or_else(Self::default, |options| Self {
            redirect_uri: options.redirect_uri.unwrap_or_default(),
            scope: options.scope,
            state_prefix: options.state_prefix,
        }))
    }
}

/// The URL to open and the values to keep until the callback.
#[derive(Clone, Debug, Serialize, Tsify)]
#[serde(rename_all = "camelCase")]
pub struct AuthorizationRequest {
    /// The authorization URL with all parameters: open it in the user's browser.
    pub url: String,
    /// The state to keep and compare with the callback's.
    pub state: String,
    /// The PKCE code verifier: keep it secret until the code exchange.
    #[serde(serialize_with = "serialize_exposed")]
    #[tsify(type = "string")]
    pub code_verifier: Secret,
}

/// Builds the authorization request for an OAuth 2.0 connection.
pub fn authorization_request(
    config: &ConnectionConfig,
    params: &AuthorizationParams,
) -> Result<AuthorizationRequest, Error> {
    let random = base64url(random_bytes::<32>()?);
    let state = match params.state_prefix.as_deref() {
        Some(prefix) => format!("{}.{random}", check_state_prefix(prefix)?),
        None => random,
    };
    let verifier = base64url(random_bytes::<32>()?);
    build(config, params, state, Secret::new(verifier))
}

fn build(
    config: &ConnectionConfig,
    params: &AuthorizationParams,
    state: String,
    code_verifier: Secret,
) -> Result<AuthorizationRequest, Error> {
    let oauth = config.oauth().ok_or_else(not_oauth)?;
    let redirect_uri = check_redirect_uri(&params.redirect_uri, config.allow_insecure_loopback)?;
    let scope = params
        .scope
        .as_deref()
        .map(|s| s.trim_matches(' '))
        .filter(|s| !s.is_empty())
        .map(check_scope)
        .transpose()?;
    let mut query = form_urlencoded::Serializer::new(String::new());
    query
        .append_pair("response_type", "code")
        .append_pair("client_id", &oauth.client_id)
        .append_pair("redirect_uri", &redirect_uri)
        .append_pair("state", &state)
        .append_pair("code_challenge", &code_challenge(&code_verifier))
        .append_pair("code_challenge_method", "S256");
    if let Some(scope) = scope {
        query.append_pair("scope", scope);
    }
    Ok(AuthorizationRequest {
        url: format!("{}?{}", oauth.authorization_url, query.finish()),
        state,
        code_verifier,
    })
}

/// RFC 7636 §4.2: `BASE64URL(SHA256(ASCII(code_verifier)))`.
pub(crate) fn code_challenge(verifier: &Secret) -> String {
    base64url(Sha256::digest(verifier.expose().as_bytes()))
}

pub(crate) fn not_oauth() -> Error {
    Error::new(
        ErrorCode::InvalidConfig,
        "This operation needs an OAuth 2.0 connection (Authentication Type \"oauth2\").",
    )
    .with_field("authType")
}

/// An absolute `https:` redirect URI (loopback `http:` only with the option), with no fragment
/// (RFC 6749 §3.1.2). A query is allowed.
pub(crate) fn check_redirect_uri(
    value: &str,
    allow_insecure_loopback: bool,
) -> Result<String, Error> {
    let value = value.trim_matches(' ');
    if value.is_empty() {
        return Err(required("redirectUri").into());
    }
    check_text("redirectUri", value, 2048)?;
    let mut errors = Vec::new();
    // The browser goes there, not this crate: only the scheme rules apply, not the address ranges.
    let rules = UrlRules {
        allow_insecure_loopback,
        allow_query: true,
        ..UrlRules::default()
    };
    let url = check_url(&mut errors, "redirectUri", value, rules);
    match (url, errors.into_iter().next()) {
        (Some(url), None) => Ok(url.to_string()),
        (_, Some(error)) => Err(error.into()),
        (None, None) => Err(required("redirectUri").into()),
    }
}

fn check_state_prefix(prefix: &str) -> Result<&str, Error> {
    let valid = (1..=64).contains(&prefix.len())
        && prefix
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if valid {
        Ok(prefix)
    } else {
        Err(FieldError::new(
            "statePrefix",
            FieldCode::InvalidStatePrefix,
            "State prefix must be 1 to 64 letters, digits, '_' or '-'.",
        )
        .into())
    }
}

/// RFC 6749 §3.3: space-delimited tokens of `%x21 / %x23-5B / %x5D-7E`.
fn check_scope(scope: &str) -> Result<&str, Error> {
    let valid = scope.len() <= 1024
        && scope.split(' ').all(|token| {
            !token.is_empty()
                && token
                    .bytes()
                    .all(|b| b == 0x21 || (0x23..=0x5b).contains(&b) || (0x5d..=0x7e).contains(&b))
        });
    if valid {
        Ok(scope)
    } else {
        Err(FieldError::new(
            "scope",
            FieldCode::InvalidScope,
            "Scope must be space-separated names of printable ASCII without quotes or backslashes.",
        )
        .into())
    }
}

/// RFC 7636 §4.1: 43 to 128 characters of `[A-Z] / [a-z] / [0-9] / "-" / "." / "_" / "~"`.
pub(crate) fn check_code_verifier(verifier: &str) -> Result<(), Error> {
    let valid = (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'));
    if valid {
        Ok(())
    } else {
        Err(FieldError::new(
            "codeVerifier",
            FieldCode::InvalidCodeVerifier,
            "Code verifier must be 43 to 128 letters, digits, '-', '.', '_' or '~' (RFC 7636).",
        )
        .into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_fixtures::{basic_config, oauth_input};

    fn config(base: &str, allow_insecure_loopback: bool) -> ConnectionConfig {
        let mut input = oauth_input(base);
        input.client_id = Some("client id&=".to_owned());
        input.allow_insecure_loopback = allow_insecure_loopback;
        crate::test_fixtures::config(&input)
    }

    fn params(redirect_uri: &str) -> AuthorizationParams {
        AuthorizationParams {
            redirect_uri: redirect_uri.to_owned(),
            ..AuthorizationParams::default()
        }
    }

    #[test]
    fn rfc_7636_appendix_b_challenge() {
        let verifier = Secret::new("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
        assert_eq!(
            code_challenge(&verifier),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn builds_the_exact_url() {
        let request = build(
            &config("https://dev1.service-now.com/api/now/v2", false),
            &AuthorizationParams {
                redirect_uri: "https://app.example/oauth2/callback".to_owned(),
                scope: Some("useraccount".to_owned()),
                state_prefix: None,
            },
            "st4te".to_owned(),
            Secret::new("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
        )
        .unwrap();
        assert_eq!(
            request.url,
            "https://dev1.service-now.com/oauth_auth.do?response_type=code&client_id=client+id%26%3D\
             &redirect_uri=https%3A%2F%2Fapp.example%2Foauth2%2Fcallback&state=st4te\
             &code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256\
             &scope=useraccount"
        );
        assert_eq!(request.state, "st4te");
    }

    #[test]
    fn state_and_verifier_are_fresh_and_long() {
        let config = config("https://dev1.service-now.com/api/now", false);
        let a = authorization_request(&config, &params("https://app.example/cb")).unwrap();
        let b = authorization_request(&config, &params("https://app.example/cb")).unwrap();
        assert_ne!(a.state, b.state);
        assert_ne!(a.code_verifier, b.code_verifier);
        // 32 bytes = 256 bits, base64url without padding.
        assert_eq!(a.state.len(), 43);
        assert!(check_code_verifier(a.code_verifier.expose()).is_ok());
        assert!(!a.url.contains(a.code_verifier.expose()));
        assert!(a.url.contains(&format!("state={}", a.state)));
        assert!(!a.url.contains("scope="));
    }

    #[test]
    fn redirect_uri_rules() {
        let strict = config("https://dev1.service-now.com/api/now", false);
        let loose = config("https://dev1.service-now.com/api/now", true);
        let code = |config: &ConnectionConfig, uri: &str| {
            authorization_request(config, &params(uri))
                .err()
                .map(|e| (e.code.as_str(), e.field))
        };
        assert_eq!(code(&strict, "https://app.example/cb?x=1"), None);
        assert_eq!(
            code(&strict, "http://127.0.0.1:8787/oauth2/callback"),
            Some(("insecure_scheme", Some("redirectUri")))
        );
        assert_eq!(code(&loose, "http://127.0.0.1:8787/oauth2/callback"), None);
        assert_eq!(
            code(&loose, "http://app.example/cb"),
            Some(("insecure_scheme", Some("redirectUri")))
        );
        assert_eq!(
            code(&strict, "https://app.example/cb#x"),
            Some(("fragment_not_allowed", Some("redirectUri")))
        );
        assert_eq!(
            code(&strict, "/oauth2/callback"),
            Some(("invalid_url", Some("redirectUri")))
        );
        assert_eq!(code(&strict, ""), Some(("required", Some("redirectUri"))));
        assert_eq!(
            code(&strict, "https://app.example/cb\r\n"),
            Some(("control_character", Some("redirectUri")))
        );
    }

    #[test]
    fn scope_rules() {
        let config = config("https://dev1.service-now.com/api/now", false);
        let with_scope = |scope: &str| {
            authorization_request(
                &config,
                &AuthorizationParams {
                    redirect_uri: "https://app.example/cb".to_owned(),
                    scope: Some(scope.to_owned()),
                    state_prefix: None,
                },
            )
        };
        assert!(
            with_scope("useraccount a:b")
                .unwrap()
                .url
                .ends_with("&scope=useraccount+a%3Ab")
        );
        assert!(!with_scope("  ").unwrap().url.contains("scope"));
        for bad in ["a  b", "a\"b", "a\\b", "é"] {
            let error = with_scope(bad).unwrap_err();
            assert_eq!(
                error.code,
                ErrorCode::Field(FieldCode::InvalidScope),
                "{bad}"
            );
            assert_eq!(error.field, Some("scope"));
        }
    }

    #[test]
    fn basic_connections_cannot_authorize() {
        let basic = basic_config();
        let error = authorization_request(&basic, &params("https://app.example/cb")).unwrap_err();
        assert_eq!(error.code, ErrorCode::InvalidConfig);
        assert_eq!(error.field, Some("authType"));
    }

    #[test]
    fn state_prefix_routes_without_replacing_randomness() {
        let config = config("https://dev1.service-now.com/api/now", false);
        let mut with_prefix = params("https://app.example/cb");
        with_prefix.state_prefix = Some("conn_1-A".to_owned());
        let request = authorization_request(&config, &with_prefix).unwrap();
        let (prefix, random) = request.state.split_once('.').unwrap();
        assert_eq!(prefix, "conn_1-A");
        assert_eq!(random.len(), 43);
        for bad in ["", "a.b", "a b", &"x".repeat(65)] {
            with_prefix.state_prefix = Some(bad.to_owned());
            let error = authorization_request(&config, &with_prefix).unwrap_err();
            assert_eq!(error.code.as_str(), "invalid_state_prefix", "{bad}");
            assert_eq!(error.field, Some("statePrefix"));
        }
    }

    #[test]
    fn options_read_from_json() {
        let params =
            AuthorizationParams::from_json(r#"{"redirectUri":"u","statePrefix":"p"}"#).unwrap();
        assert_eq!(
            (params.redirect_uri.as_str(), params.state_prefix.as_deref()),
            ("u", Some("p"))
        );
        assert_eq!(
            AuthorizationParams::from_json(r#"{"scope":[]}"#)
                .unwrap_err()
                .field,
            Some("scope")
        );
        let request = AuthorizationRequest {
            url: "https://a.example/x".to_owned(),
            state: "s".to_owned(),
            code_verifier: Secret::new("v"),
        };
        assert_eq!(
            serde_json::to_string(&request).unwrap(),
            r#"{"url":"https://a.example/x","state":"s","codeVerifier":"v"}"#
        );
    }

    #[test]
    fn code_verifier_rules() {
        assert!(check_code_verifier(&"a".repeat(43)).is_ok());
        assert!(check_code_verifier(&"a".repeat(128)).is_ok());
        assert!(check_code_verifier(&"a".repeat(42)).is_err());
        assert!(check_code_verifier(&"a".repeat(129)).is_err());
        assert!(check_code_verifier(&format!("{}+", "a".repeat(43))).is_err());
    }
}
