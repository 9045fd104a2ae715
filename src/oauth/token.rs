//! The token endpoint: code exchange (RFC 6749 §4.1.3) and refresh (§6), as request builders, a
//! response parser and the two orchestrations that join them with one `await` each. The unattended
//! grants (`oauth::grants`) build their requests and read their answers with the same pieces.
//!
//! Requests are `application/x-www-form-urlencoded` (ServiceNow refuses JSON bodies), with the client
//! credentials in the body by default or as HTTP Basic with form-urlencoded ID and secret (§2.3.1).
//! Parsing is tolerant where instances differ (`expires_in` as a number, a numeric string or absent;
//! `token_type` in any case; unknown members ignored; a refresh answer without `refresh_token` keeps
//! the old one) and strict where safety needs it (an access token must be there, the type must be
//! Bearer). ServiceNow's refresh grant returns the same refresh token without extending its life, so
//! `refresh_expires_at_ms` is set once, at the first issue, from the configured lifetime (default
//! 100 days) and carried across refreshes. A token set records the grant that produced it (a refresh
//! keeps it), which decides what renewing it takes. Refusals are read by grant (`oauth::refusal`): on
//! the refresh grant, a refusal means the refresh token is dead: `reauthorization_required`.

use core::fmt;

use serde::de::{self, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use tsify::Tsify;

use crate::answer::{is_hibernation_page, transport_error};
use crate::config::{ClientAuthentication, ConnectionConfig, OAuthClient};
use crate::encoding::base64;
use crate::error::{Error, ErrorCode, server_text};
use crate::field::{check_text, has_control_character, required, wrong_type};
pub use crate::grant_type::Grant;
use crate::grant_type::GrantType;
use crate::http::{HttpClient, HttpRequest, HttpResponse, Method, TransportError};
use crate::json_limits::{Shape, answer_object, argument};
use crate::oauth::authorize::{check_code_verifier, check_redirect_uri, not_oauth};
use crate::oauth::refusal::token_error;
use crate::secret::{Secret, serialize_exposed, serialize_exposed_option};

/// Tokens and what is known of their lifetimes; times are milliseconds since the Unix epoch.
///
/// Its JSON form (`accessToken`, `refreshToken`, `tokenType`, `scope`, `issuedAt`, `expiresAt`,
/// `refreshExpiresAt`, `grantType`) is what the JavaScript API returns and what servers store sealed,
/// so it must read back in every later version; a token set stored before `grantType` existed reads
/// as one of the authorization-code grant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Tsify)]
#[serde(rename_all = "camelCase")]
pub struct TokenSet {
    /// The access token.
    #[serde(serialize_with = "serialize_exposed")]
    #[tsify(type = "string")]
    pub access_token: Secret,
    /// The refresh token, when one was issued.
    #[serde(serialize_with = "serialize_exposed_option")]
    #[tsify(type = "string | null")]
    pub refresh_token: Option<Secret>,
    /// Always `Bearer`.
    #[tsify(type = "\"Bearer\"")]
    pub token_type: String,
    /// The granted scope, as the server reported it.
    pub scope: Option<String>,
    /// When the access token was requested (so expiry errs early, never late).
    #[serde(rename = "issuedAt")]
    pub issued_at_ms: u64,
    /// When the access token dies, when the server said (`expires_in`).
    #[serde(rename = "expiresAt")]
    pub expires_at_ms: Option<u64>,
    /// When the refresh token dies: set at the first issue from the configured lifetime, kept across
    /// refreshes.
    #[serde(rename = "refreshExpiresAt")]
    pub refresh_expires_at_ms: Option<u64>,
    /// The grant that produced the tokens (a refresh keeps it); `authorization_code` when absent.
    #[serde(default)]
    pub grant_type: GrantType,
}

impl TokenSet {
    /// Reads a token set from JSON text, as JavaScript passes it and servers store it; `None` for
    /// `null`. The access token must be a non-empty string; an empty refresh token counts as none.
    pub fn from_json(text: &str) -> Result<Option<Self>, Error> {
        let Some(mut tokens) = argument::<Self>(text, "tokens", Shape::Object)? else {
            return Ok(None);
        };
        if tokens.access_token.is_empty() {
            return Err(wrong_type("accessToken").into());
        }
        tokens.refresh_token = tokens.refresh_token.filter(|t| !t.is_empty());
        Ok(Some(tokens))
    }
}

/// What the callback brought back, for [`exchange_code`].
#[derive(Clone, Debug, Default)]
pub struct CodeGrant {
    /// The authorization code.
    pub code: Secret,
    /// The redirect URI used in the authorization request (RFC 6749 §4.1.3: must be identical).
    pub redirect_uri: String,
    /// The PKCE code verifier kept since the authorization request.
    pub code_verifier: Secret,
}

/// What the callback brought back, as JavaScript passes it.
#[derive(Deserialize, Tsify)]
#[serde(rename_all = "camelCase")]
#[tsify(rename = "CodeGrant")]
struct CodeGrantDocument {
    /// The authorization code from the callback.
    #[tsify(type = "string")]
    code: Option<Secret>,
    /// The redirect URI of the authorization request.
    #[tsify(type = "string")]
    redirect_uri: Option<String>,
    /// The PKCE code verifier kept since the authorization request.
    #[tsify(type = "string")]
    code_verifier: Option<Secret>,
}

impl CodeGrant {
    /// Reads `{ code, redirectUri, codeVerifier }` from JSON text; absent members read as empty and
    /// are refused as missing when the request is built.
    pub fn from_json(text: &str) -> Result<Self, Error> {
        let document = argument::<CodeGrantDocument>(text, "grant", Shape::Object)?;
        Ok(document.map_or_else(Self::default, |grant| Self {
            code: grant.code.unwrap_or_default(),
            redirect_uri: grant.redirect_uri.unwrap_or_default(),
            code_verifier: grant.code_verifier.unwrap_or_default(),
        }))
    }
}

/// The members of a token endpoint's answer this client reads (RFC 6749 §5.1, §5.2); others are
/// ignored.
#[derive(Deserialize)]
struct TokenAnswer {
    access_token: Option<String>,
    token_type: Option<String>,
    refresh_token: Option<String>,
    scope: Option<String>,
    #[serde(default, deserialize_with = "lenient_seconds")]
    expires_in: Option<u64>,
}

/// `expires_in` as a number, a numeric string (`"3600"`, as some servers send it) or absent; a
/// fraction is cut off; anything else (negative, 2^53 or more, not a number) counts as absent.
fn lenient_seconds<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<u64>, D::Error> {
    deserializer.deserialize_any(SecondsVisitor)
}

const SECONDS_LIMIT: u64 = 1 << 53;

struct SecondsVisitor;

impl<'de> Visitor<'de> for SecondsVisitor {
    type Value = Option<u64>;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("a number of seconds")
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<Option<u64>, E> {
        Ok(Some(value).filter(|&s| s < SECONDS_LIMIT))
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<Option<u64>, E> {
        Ok(u64::try_from(value).ok().filter(|&s| s < SECONDS_LIMIT))
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<Option<u64>, E> {
        // In [0, 2^53) and truncated, so the cast is exact.
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            clippy::cast_precision_loss
        )]
        Ok((0.0..SECONDS_LIMIT as f64)
            .contains(&value)
            .then_some(value as u64))
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Option<u64>, E> {
        let value = value.trim();
        let (whole, fraction) = value.split_once('.').unwrap_or((value, "0"));
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        Ok((digits(whole) && digits(fraction))
            .then(|| whole.parse::<u64>().ok())
            .flatten()
            .filter(|&s| s < SECONDS_LIMIT))
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Option<u64>, E> {
        Ok(None)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Option<u64>, E> {
        Ok(None)
    }

    fn visit_none<E: de::Error>(self) -> Result<Option<u64>, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Option<u64>, D::Error> {
        deserializer.deserialize_any(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Option<u64>, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(None)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Option<u64>, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(None)
    }
}

/// Builds the code-exchange request.
pub fn code_exchange_request(
    config: &ConnectionConfig,
    grant: &CodeGrant,
) -> Result<HttpRequest, Error> {
    let oauth = config.oauth().ok_or_else(not_oauth)?;
    if grant.code.is_empty() {
        return Err(required("code").into());
    }
    check_text("code", grant.code.expose(), 4096)?;
    check_code_verifier(grant.code_verifier.expose())?;
    let redirect_uri = check_redirect_uri(&grant.redirect_uri, config.allow_insecure_loopback)?;
    Ok(token_request(
        config,
        oauth,
        &[
            ("grant_type", "authorization_code"),
            ("code", grant.code.expose()),
            ("redirect_uri", &redirect_uri),
            ("code_verifier", grant.code_verifier.expose()),
        ],
    ))
}

/// Builds the refresh request.
pub fn refresh_request(
    config: &ConnectionConfig,
    refresh_token: &Secret,
) -> Result<HttpRequest, Error> {
    let oauth = config.oauth().ok_or_else(not_oauth)?;
    if refresh_token.is_empty() {
        return Err(no_refresh_token());
    }
    check_text("refreshToken", refresh_token.expose(), 8192)?;
    Ok(token_request(
        config,
        oauth,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token.expose()),
        ],
    ))
}

/// A form POST to the token endpoint with `params` and the client's authentication.
pub(crate) fn token_request(
    config: &ConnectionConfig,
    oauth: &OAuthClient,
    params: &[(&str, &str)],
) -> HttpRequest {
    let mut form = form_urlencoded::Serializer::new(String::new());
    form.extend_pairs(params);
    let mut headers = vec![
        (
            "Content-Type".to_owned(),
            "application/x-www-form-urlencoded".to_owned(),
        ),
        ("Accept".to_owned(), "application/json".to_owned()),
    ];
    match oauth.client_authentication {
        ClientAuthentication::ClientSecretPost => {
            form.append_pair("client_id", &oauth.client_id);
            form.append_pair("client_secret", oauth.client_secret.expose());
        }
        ClientAuthentication::ClientSecretBasic => {
            let id: String = form_urlencoded::byte_serialize(oauth.client_id.as_bytes()).collect();
            let secret: String =
                form_urlencoded::byte_serialize(oauth.client_secret.expose().as_bytes()).collect();
            headers.push((
                "Authorization".to_owned(),
                format!("Basic {}", base64(format!("{id}:{secret}"))),
            ));
        }
    }
    HttpRequest {
        method: Method::Post,
        url: oauth.token_url.clone(),
        headers,
        body: Some(form.finish()),
        timeout_ms: config.timeout_ms,
    }
}

/// Reads a token-endpoint answer. `requested_at_ms` is when the request was sent; `previous` is the
/// token set being refreshed, whose grant the new set keeps.
pub fn parse_token_response(
    response: &HttpResponse,
    grant: Grant,
    requested_at_ms: u64,
    refresh_lifetime_seconds: u64,
    previous: Option<&TokenSet>,
) -> Result<TokenSet, Error> {
    if is_hibernation_page(response) {
        return Err(hibernating(response.status));
    }
    if !(200..300).contains(&response.status) {
        return Err(token_error(response, grant, requested_at_ms));
    }
    let invalid = |why: &str| {
        Error::new(
            ErrorCode::InvalidTokenResponse,
            format!("The token endpoint answered without a usable token ({why})."),
        )
        .with_status(response.status)
    };
    let body: TokenAnswer = answer_object(&response.body)
        .ok_or_else(|| invalid("the body is not a JSON token response"))?;
    let access_token = body
        .access_token
        .filter(|token| !token.is_empty())
        .ok_or_else(|| invalid("no access_token"))?;
    if let Some(token_type) = &body.token_type
        && !token_type.eq_ignore_ascii_case("bearer")
    {
        return Err(invalid("token_type is not Bearer"));
    }
    if has_control_character(&access_token) {
        return Err(invalid("the access token contains control characters"));
    }
    let issued_refresh = body
        .refresh_token
        .filter(|token| !token.is_empty() && !has_control_character(token));
    let previous_refresh = previous.and_then(|p| p.refresh_token.as_ref());
    let (refresh_token, refresh_expires_at_ms) = match issued_refresh {
        // A new refresh token starts a new life; the same one (ServiceNow) keeps its first deadline.
        Some(token) if previous_refresh.is_none_or(|old| old.expose() != token.as_str()) => (
            Some(Secret::new(token)),
            Some(requested_at_ms.saturating_add(refresh_lifetime_seconds.saturating_mul(1000))),
        ),
        _ => (
            previous_refresh.cloned(),
            previous.and_then(|p| p.refresh_expires_at_ms),
        ),
    };
    let expires_at_ms = body
        .expires_in
        .map(|seconds| requested_at_ms.saturating_add(seconds.saturating_mul(1000)));
    Ok(TokenSet {
        access_token: Secret::new(access_token),
        refresh_token,
        token_type: "Bearer".to_owned(),
        scope: body
            .scope
            .map(|scope| server_text(&scope))
            .or_else(|| previous.and_then(|p| p.scope.clone())),
        issued_at_ms: requested_at_ms,
        expires_at_ms,
        refresh_expires_at_ms,
        grant_type: grant
            .grant_type()
            .or_else(|| previous.map(|p| p.grant_type))
            .unwrap_or_default(),
    })
}

fn hibernating(status: u16) -> Error {
    Error::new(
        ErrorCode::Hibernating,
        "The instance is hibernating. Sign in to the instance to wake it, then try again.",
    )
    .with_status(status)
}

fn no_refresh_token() -> Error {
    Error::new(
        ErrorCode::ReauthorizationRequired,
        "There is no refresh token: re-authorization required. Generate a new token.",
    )
}

fn transport_failure(error: TransportError, config: &ConnectionConfig) -> Error {
    transport_error(error, "the token endpoint", config.timeout_ms)
}

/// Exchanges an authorization code for tokens.
pub async fn exchange_code<C: HttpClient>(
    client: &C,
    config: &ConnectionConfig,
    grant: &CodeGrant,
    now_ms: u64,
) -> Result<TokenSet, Error> {
    let request = code_exchange_request(config, grant)?;
    let answer = client.send(request).await;
    process_token_answer(config, Grant::AuthorizationCode, answer, now_ms, None)
}

/// The refresh request for `tokens`, or `reauthorization_required` when they hold no refresh token.
pub fn refresh_request_for(
    config: &ConnectionConfig,
    tokens: &TokenSet,
) -> Result<HttpRequest, Error> {
    refresh_request(
        config,
        tokens.refresh_token.as_ref().ok_or_else(no_refresh_token)?,
    )
}

/// Refreshes `tokens`. On success the refresh token and its deadline carry over unless the server
/// issued a new one; on failure nothing is lost: the caller still holds `tokens`.
pub async fn refresh_tokens<C: HttpClient>(
    client: &C,
    config: &ConnectionConfig,
    tokens: &TokenSet,
    now_ms: u64,
) -> Result<TokenSet, Error> {
    let request = refresh_request_for(config, tokens)?;
    let answer = client.send(request).await;
    process_token_answer(config, Grant::RefreshToken, answer, now_ms, Some(tokens))
}

/// Reads what came back from the token endpoint, answer or transport failure: the second half of
/// [`exchange_code`], [`refresh_tokens`] and the unattended grants, for callers that send requests
/// themselves. A refresh without `previous` is taken to be of the connection's own grant.
pub fn process_token_answer(
    config: &ConnectionConfig,
    grant: Grant,
    answer: Result<HttpResponse, TransportError>,
    requested_at_ms: u64,
    previous: Option<&TokenSet>,
) -> Result<TokenSet, Error> {
    let response = answer.map_err(|e| transport_failure(e, config))?;
    let oauth = config.oauth();
    let lifetime = oauth.map_or(0, |o| o.refresh_token_lifetime_seconds);
    let mut tokens = parse_token_response(&response, grant, requested_at_ms, lifetime, previous)?;
    if grant == Grant::RefreshToken
        && previous.is_none()
        && let Some(oauth) = oauth
    {
        tokens.grant_type = oauth.grant.grant_type();
    }
    Ok(tokens)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_fixtures::{NOW, json_response, oauth_input};
    use core::cell::Cell;

    const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

    fn config(client_authentication: Option<&str>) -> ConnectionConfig {
        let mut input = oauth_input("https://dev1.service-now.com/api/now/v2");
        input.client_id = Some("id:1 é".to_owned());
        input.client_secret = Some(Secret::new("se:cr+et"));
        input.client_authentication = client_authentication.map(str::to_owned);
        input.refresh_token_lifetime_seconds = Some(3600.0);
        crate::test_fixtures::config(&input)
    }

    fn grant() -> CodeGrant {
        CodeGrant {
            code: Secret::new("the code"),
            redirect_uri: "https://app.example/oauth2/callback".to_owned(),
            code_verifier: Secret::new(VERIFIER),
        }
    }

    const SERVICENOW_TOKEN: &str = r#"{"access_token":"AT1","refresh_token":"RT1","scope":"useraccount","token_type":"Bearer","expires_in":1799}"#;

    fn issued() -> TokenSet {
        parse_token_response(
            &json_response(200, SERVICENOW_TOKEN),
            Grant::AuthorizationCode,
            NOW,
            3600,
            None,
        )
        .unwrap()
    }

    #[test]
    fn exchange_request_with_secret_in_body() {
        let request = code_exchange_request(&config(None), &grant()).unwrap();
        assert_eq!(request.method, Method::Post);
        assert_eq!(request.url, "https://dev1.service-now.com/oauth_token.do");
        assert_eq!(
            request.header("content-type"),
            Some("application/x-www-form-urlencoded")
        );
        assert_eq!(request.header("accept"), Some("application/json"));
        assert_eq!(request.header("authorization"), None);
        assert_eq!(
            request.body.as_deref(),
            Some(
                "grant_type=authorization_code&code=the+code\
                 &redirect_uri=https%3A%2F%2Fapp.example%2Foauth2%2Fcallback\
                 &code_verifier=dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk\
                 &client_id=id%3A1+%C3%A9&client_secret=se%3Acr%2Bet"
            )
        );
        assert_eq!(request.timeout_ms, 15_000);
    }

    #[test]
    fn exchange_request_with_http_basic_client_authentication() {
        let request =
            code_exchange_request(&config(Some("client_secret_basic")), &grant()).unwrap();
        // RFC 6749 §2.3.1: form-urlencode ID and secret, then Basic.
        let expected = base64("id%3A1+%C3%A9:se%3Acr%2Bet");
        assert_eq!(
            request.header("authorization"),
            Some(format!("Basic {expected}").as_str())
        );
        let body = request.body.unwrap();
        assert!(!body.contains("client_secret"));
        assert!(!body.contains("client_id"));
    }

    #[test]
    fn exchange_request_checks_its_inputs() {
        let mut bad = grant();
        bad.code = Secret::default();
        let error = code_exchange_request(&config(None), &bad).unwrap_err();
        assert_eq!(
            (error.code.as_str(), error.field),
            ("required", Some("code"))
        );
        let mut bad = grant();
        bad.code_verifier = Secret::new("short");
        let error = code_exchange_request(&config(None), &bad).unwrap_err();
        assert_eq!(
            (error.code.as_str(), error.field),
            ("invalid_code_verifier", Some("codeVerifier"))
        );
        let mut bad = grant();
        bad.redirect_uri = "http://app.example/cb".to_owned();
        let error = code_exchange_request(&config(None), &bad).unwrap_err();
        assert_eq!(
            (error.code.as_str(), error.field),
            ("insecure_scheme", Some("redirectUri"))
        );
        let mut bad = grant();
        bad.code = Secret::new("a\r\nb");
        let error = code_exchange_request(&config(None), &bad).unwrap_err();
        assert_eq!(
            (error.code.as_str(), error.field),
            ("control_character", Some("code"))
        );
    }

    #[test]
    fn refresh_request_shape() {
        let request = refresh_request(&config(None), &Secret::new("R T")).unwrap();
        assert_eq!(
            request.body.as_deref(),
            Some(
                "grant_type=refresh_token&refresh_token=R+T&client_id=id%3A1+%C3%A9&client_secret=se%3Acr%2Bet"
            )
        );
        let error = refresh_request(&config(None), &Secret::default()).unwrap_err();
        assert_eq!(error.code, ErrorCode::ReauthorizationRequired);
    }

    #[test]
    fn parses_servicenow_token_json() {
        let tokens = issued();
        assert_eq!(tokens.access_token.expose(), "AT1");
        assert_eq!(tokens.refresh_token.as_ref().unwrap().expose(), "RT1");
        assert_eq!(tokens.token_type, "Bearer");
        assert_eq!(tokens.scope.as_deref(), Some("useraccount"));
        assert_eq!(tokens.issued_at_ms, NOW);
        assert_eq!(tokens.expires_at_ms, Some(NOW + 1_799_000));
        assert_eq!(tokens.refresh_expires_at_ms, Some(NOW + 3_600_000));
    }

    #[test]
    fn tolerant_parsing() {
        let parse = |body: &str| {
            parse_token_response(
                &json_response(200, body),
                Grant::AuthorizationCode,
                NOW,
                60,
                None,
            )
        };
        let t = parse(r#"{"access_token":"a","token_type":"bearer","expires_in":"3600","x":[1]}"#)
            .unwrap();
        assert_eq!(t.expires_at_ms, Some(NOW + 3_600_000));
        assert_eq!(t.refresh_token, None);
        assert_eq!(t.refresh_expires_at_ms, None);
        let t = parse(r#"{"access_token":"a","token_type":"BEARER"}"#).unwrap();
        assert_eq!(t.expires_at_ms, None);
        let t = parse(r#"{"access_token":"a"}"#).unwrap();
        assert_eq!(t.token_type, "Bearer");
        let t =
            parse(r#"{"access_token":"a","expires_in":null,"refresh_token":null,"scope":null}"#)
                .unwrap();
        assert_eq!(
            (t.expires_at_ms, t.refresh_token, t.scope),
            (None, None, None)
        );
        for (expires_in, expected) in [
            ("3600.9", Some(3600)),
            ("12.9", Some(12)),
            ("\" 3600 \"", Some(3600)),
            ("\"3600.5\"", Some(3600)),
            ("-5", None),
            ("1e300", None),
            ("9007199254740993", None),
            ("\"soon\"", None),
            ("\"1e3\"", None),
            ("[]", None),
        ] {
            let t = parse(&format!(
                r#"{{"access_token":"a","expires_in":{expires_in}}}"#
            ))
            .unwrap();
            assert_eq!(
                t.expires_at_ms,
                expected.map(|s: u64| NOW + s * 1000),
                "{expires_in}"
            );
        }
    }

    #[test]
    fn token_sets_read_back_from_their_json() {
        let tokens = issued();
        let text = serde_json::to_string(&tokens).unwrap();
        assert_eq!(
            text,
            format!(
                r#"{{"accessToken":"AT1","refreshToken":"RT1","tokenType":"Bearer","scope":"useraccount","issuedAt":{NOW},"expiresAt":{},"refreshExpiresAt":{},"grantType":"authorization_code"}}"#,
                NOW + 1_799_000,
                NOW + 3_600_000
            )
        );
        assert_eq!(TokenSet::from_json(&text).unwrap(), Some(tokens));
        assert_eq!(TokenSet::from_json("null").unwrap(), None);
        let bare = TokenSet::from_json(
            r#"{"accessToken":"a","refreshToken":"","tokenType":"Bearer","scope":null,"issuedAt":5,"expiresAt":null,"refreshExpiresAt":null}"#,
        )
        .unwrap()
        .unwrap();
        assert_eq!(bare.refresh_token, None);
        for (bad, field) in [
            (
                r#"{"accessToken":"","tokenType":"Bearer","issuedAt":1,"expiresAt":null,"refreshExpiresAt":null,"scope":null,"refreshToken":null}"#,
                "accessToken",
            ),
            (r#"{"accessToken":5}"#, "accessToken"),
            (
                r#"{"accessToken":"a","tokenType":"Bearer","issuedAt":1,"expiresAt":"soon","refreshExpiresAt":null,"scope":null,"refreshToken":null}"#,
                "expiresAt",
            ),
            (
                r#"{"accessToken":"a","tokenType":"Bearer","issuedAt":1.5,"expiresAt":null,"refreshExpiresAt":null,"scope":null,"refreshToken":null}"#,
                "issuedAt",
            ),
            ("7", "tokens"),
            ("[\"a\"]", "tokens"),
        ] {
            let error = TokenSet::from_json(bad).unwrap_err();
            assert_eq!(
                (error.code.as_str(), error.field),
                ("invalid_type", Some(field)),
                "{bad}"
            );
        }
    }

    #[test]
    fn code_grants_read_with_absent_members_empty() {
        let grant = CodeGrant::from_json(r#"{"code":"c","redirectUri":"https://a/cb"}"#).unwrap();
        assert_eq!(grant.code.expose(), "c");
        assert!(grant.code_verifier.is_empty());
        assert_eq!(
            CodeGrant::from_json(r#"{"code":1}"#).unwrap_err().field,
            Some("code")
        );
        assert!(CodeGrant::from_json("null").unwrap().code.is_empty());
    }

    #[test]
    fn unusable_success_answers_are_refused() {
        let parse = |status: u16, content_type: &str, body: &str| {
            let response = HttpResponse {
                status,
                headers: vec![("content-type".to_owned(), content_type.to_owned())],
                body: body.as_bytes().to_vec(),
            };
            parse_token_response(&response, Grant::RefreshToken, NOW, 60, None).unwrap_err()
        };
        for body in [
            "not json",
            "[]",
            r#"{"token_type":"Bearer"}"#,
            r#"{"access_token":""}"#,
            r#"{"access_token":5}"#,
            r#"{"access_token":"a","scope":7}"#,
            r#"["a"]"#,
            r#"{"access_token":"a","token_type":"mac"}"#,
            r#"{"access_token":"a\r\nb"}"#,
        ] {
            let error = parse(200, "application/json", body);
            assert_eq!(error.code, ErrorCode::InvalidTokenResponse, "{body}");
            assert!(error.retryable());
        }
        let error = parse(
            200,
            "text/html; charset=UTF-8",
            "<html><body>Your instance is hibernating. Sign in to the site to wake your instance.</body></html>",
        );
        assert_eq!(error.code, ErrorCode::Hibernating);
        assert!(!error.message.contains("AT"));
    }

    #[test]
    fn refresh_keeps_the_refresh_token_and_its_deadline() {
        let first = issued();
        let later = NOW + 1_000_000;
        let same = parse_token_response(
            &json_response(200, r#"{"access_token":"AT2","refresh_token":"RT1","token_type":"Bearer","expires_in":1799}"#),
            Grant::RefreshToken,
            later,
            3600,
            Some(&first),
        )
        .unwrap();
        assert_eq!(same.access_token.expose(), "AT2");
        assert_eq!(same.refresh_expires_at_ms, first.refresh_expires_at_ms);
        assert_eq!(same.expires_at_ms, Some(later + 1_799_000));
        let absent = parse_token_response(
            &json_response(200, r#"{"access_token":"AT3","expires_in":1799}"#),
            Grant::RefreshToken,
            later,
            3600,
            Some(&first),
        )
        .unwrap();
        assert_eq!(absent.refresh_token, first.refresh_token);
        assert_eq!(absent.refresh_expires_at_ms, first.refresh_expires_at_ms);
        assert_eq!(absent.scope.as_deref(), Some("useraccount"));
        let rotated = parse_token_response(
            &json_response(200, r#"{"access_token":"AT4","refresh_token":"RT2"}"#),
            Grant::RefreshToken,
            later,
            3600,
            Some(&first),
        )
        .unwrap();
        assert_eq!(rotated.refresh_token.unwrap().expose(), "RT2");
        assert_eq!(rotated.refresh_expires_at_ms, Some(later + 3_600_000));
    }

    fn error_for(status: u16, body: &str, grant: Grant) -> Error {
        parse_token_response(&json_response(status, body), grant, NOW, 60, None).unwrap_err()
    }

    #[test]
    fn servicenow_refusal_maps_by_grant() {
        let body = r#"{"error":"server_error","error_description":"access_denied"}"#;
        let exchange = error_for(401, body, Grant::AuthorizationCode);
        assert_eq!(exchange.code, ErrorCode::AccessDenied);
        assert_eq!(exchange.status, Some(401));
        assert_eq!(exchange.detail.as_deref(), Some("access_denied"));
        assert!(!exchange.retryable());
        let refresh = error_for(401, body, Grant::RefreshToken);
        assert_eq!(refresh.code, ErrorCode::ReauthorizationRequired);
        assert!(!refresh.retryable());
    }

    #[test]
    fn rfc_6749_error_codes() {
        let cases = [
            (
                400,
                "invalid_request",
                Grant::AuthorizationCode,
                ErrorCode::InvalidRequest,
            ),
            (
                401,
                "invalid_client",
                Grant::AuthorizationCode,
                ErrorCode::InvalidClient,
            ),
            (
                401,
                "invalid_client",
                Grant::RefreshToken,
                ErrorCode::InvalidClient,
            ),
            (
                400,
                "invalid_grant",
                Grant::AuthorizationCode,
                ErrorCode::InvalidGrant,
            ),
            (
                400,
                "invalid_grant",
                Grant::RefreshToken,
                ErrorCode::ReauthorizationRequired,
            ),
            (
                400,
                "unauthorized_client",
                Grant::AuthorizationCode,
                ErrorCode::UnauthorizedClient,
            ),
            (
                400,
                "unsupported_grant_type",
                Grant::RefreshToken,
                ErrorCode::UnsupportedGrantType,
            ),
            (
                400,
                "invalid_scope",
                Grant::AuthorizationCode,
                ErrorCode::InvalidScope,
            ),
            (
                400,
                "access_denied",
                Grant::AuthorizationCode,
                ErrorCode::AccessDenied,
            ),
            (
                400,
                "server_error",
                Grant::RefreshToken,
                ErrorCode::TokenEndpointUnavailable,
            ),
            (
                400,
                "temporarily_unavailable",
                Grant::RefreshToken,
                ErrorCode::TokenEndpointUnavailable,
            ),
            (
                400,
                "something_new",
                Grant::RefreshToken,
                ErrorCode::UnexpectedResponse,
            ),
        ];
        for (status, error, grant, code) in cases {
            let body = format!(r#"{{"error":"{error}","error_description":"why\nnot"}}"#);
            let mapped = error_for(status, &body, grant);
            assert_eq!(mapped.code, code, "{status} {error} {grant:?}");
            assert_eq!(mapped.detail.as_deref(), Some("why not"));
        }
    }

    #[test]
    fn status_only_refusals() {
        assert_eq!(
            error_for(401, "", Grant::RefreshToken).code,
            ErrorCode::ReauthorizationRequired
        );
        assert_eq!(
            error_for(401, "", Grant::AuthorizationCode).code,
            ErrorCode::AccessDenied
        );
        assert_eq!(
            error_for(400, "", Grant::RefreshToken).code,
            ErrorCode::UnexpectedResponse
        );
        assert_eq!(
            error_for(302, "", Grant::RefreshToken).code,
            ErrorCode::UnexpectedResponse
        );
        for status in [500, 502, 503, 504] {
            let error = error_for(status, "<html>oops</html>", Grant::RefreshToken);
            assert_eq!(error.code, ErrorCode::TokenEndpointUnavailable);
            assert!(error.retryable());
            assert_eq!(error.status, Some(status));
        }
    }

    #[test]
    fn unavailable_token_endpoint_carries_retry_after() {
        let response = HttpResponse {
            status: 503,
            headers: vec![("Retry-After".to_owned(), "5".to_owned())],
            body: b"<html>busy</html>".to_vec(),
        };
        let error =
            parse_token_response(&response, Grant::RefreshToken, NOW, 60, None).unwrap_err();
        assert_eq!(error.code, ErrorCode::TokenEndpointUnavailable);
        assert_eq!(error.retry_after_seconds, Some(5));
        assert_eq!(
            error_for(500, "", Grant::RefreshToken).retry_after_seconds,
            None
        );
    }

    #[test]
    fn rate_limit_carries_retry_after() {
        let response = HttpResponse {
            status: 429,
            headers: vec![("Retry-After".to_owned(), "17".to_owned())],
            body: Vec::new(),
        };
        let error =
            parse_token_response(&response, Grant::RefreshToken, NOW, 60, None).unwrap_err();
        assert_eq!(error.code, ErrorCode::RateLimited);
        assert_eq!(error.retry_after_seconds, Some(17));
        assert!(error.retryable());
        assert!(error.message.contains("17 s"));
    }

    #[test]
    fn exchange_sends_once_and_parses() {
        let calls = Cell::new(0);
        let client = |request: HttpRequest| {
            calls.set(calls.get() + 1);
            async move {
                assert!(request.body.unwrap().contains("code_verifier="));
                Ok(json_response(200, SERVICENOW_TOKEN))
            }
        };
        let tokens =
            pollster::block_on(exchange_code(&client, &config(None), &grant(), NOW)).unwrap();
        assert_eq!(tokens.access_token.expose(), "AT1");
        assert_eq!(calls.get(), 1);
    }

    #[test]
    fn transport_failures_are_retryable_errors() {
        let down = |_: HttpRequest| async { Err(TransportError::Network) };
        let error =
            pollster::block_on(exchange_code(&down, &config(None), &grant(), NOW)).unwrap_err();
        assert_eq!(error.code, ErrorCode::NetworkError);
        assert!(error.retryable());
        let slow = |_: HttpRequest| async { Err(TransportError::Timeout) };
        let error =
            pollster::block_on(refresh_tokens(&slow, &config(None), &issued(), NOW)).unwrap_err();
        assert_eq!(error.code, ErrorCode::Timeout);
        assert!(
            error
                .message
                .starts_with("No answer from the token endpoint within 15000 ms")
        );
    }

    #[test]
    fn refresh_without_refresh_token_sends_nothing() {
        let calls = Cell::new(0);
        let client = |_: HttpRequest| {
            calls.set(calls.get() + 1);
            async { Ok(json_response(200, SERVICENOW_TOKEN)) }
        };
        let mut tokens = issued();
        tokens.refresh_token = None;
        let error =
            pollster::block_on(refresh_tokens(&client, &config(None), &tokens, NOW)).unwrap_err();
        assert_eq!(error.code, ErrorCode::ReauthorizationRequired);
        assert_eq!(calls.get(), 0);
    }

    #[test]
    fn refresh_orchestration_keeps_deadline() {
        let first = issued();
        let client = |request: HttpRequest| async move {
            assert!(
                request
                    .body
                    .unwrap()
                    .starts_with("grant_type=refresh_token&refresh_token=RT1&")
            );
            Ok(json_response(
                200,
                r#"{"access_token":"AT2","refresh_token":"RT1","expires_in":1799}"#,
            ))
        };
        let later = NOW + 5_000;
        let next =
            pollster::block_on(refresh_tokens(&client, &config(None), &first, later)).unwrap();
        assert_eq!(next.access_token.expose(), "AT2");
        assert_eq!(next.refresh_expires_at_ms, first.refresh_expires_at_ms);
    }

    #[test]
    fn errors_never_contain_secrets() {
        let secret_echo = r#"{"error":"invalid_grant","error_description":"bad"}"#;
        let error = error_for(400, secret_echo, Grant::AuthorizationCode);
        let shown = format!("{error:?}");
        assert!(!shown.contains("se:cr+et"));
        let request = code_exchange_request(&config(None), &grant()).unwrap();
        assert!(!request.url.contains("secret"));
    }
}
