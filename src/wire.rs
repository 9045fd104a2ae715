//! The JSON forms of the crate's inputs and results, as the JavaScript API passes them.
//!
//! Values cross the JavaScript boundary as one JSON text each way (`JSON.stringify` going in,
//! `JSON.parse` coming out), because member-by-member access costs a boundary crossing per member:
//! a whole validation took 18 µs that way and a few µs this way. This module reads settings, tokens
//! and grants from parsed JSON (a member of the wrong type becomes a field error, never a trap) and
//! writes the results. It is plain Rust, so its tests run natively.

use crate::config::{Auth, ConnectionConfig, ConnectionInput, ValidateOptions, label};
use crate::error::{Error, ErrorCode, FieldCode, FieldError};
use crate::http::HttpRequest;
use crate::instance::TestResult;
use crate::json::{self, ObjectWriter, Value, array, integer};
use crate::oauth::authorize::{AuthorizationParams, AuthorizationRequest};
use crate::oauth::callback::Callback;
use crate::oauth::lifecycle::TokenSummary;
use crate::oauth::token::{CodeGrant, TokenSet};
use crate::secret::Secret;

/// The largest JSON text accepted from JavaScript for one argument.
pub(crate) const MAX_INPUT_BYTES: usize = 1 << 20;

/// A member of an object; `null` counts as absent, as `undefined` (dropped by `JSON.stringify`) does.
fn member<'a>(value: &'a Value, key: &str) -> Option<&'a Value> {
    match value {
        Value::Object(object) => object.get(key).filter(|v| **v != Value::Null),
        _ => None,
    }
}

fn wrong_type(field: &'static str) -> Error {
    FieldError::new(
        field,
        FieldCode::InvalidType,
        format!("{} has the wrong type.", label(field)),
    )
    .into()
}

/// A string member: `Ok(None)` when absent, an `invalid_type` error for `field` when not a string.
fn text(value: &Value, key: &str, field: &'static str) -> Result<Option<String>, Error> {
    match member(value, key) {
        None => Ok(None),
        Some(Value::String(text)) => Ok(Some(text.clone())),
        Some(_) => Err(wrong_type(field)),
    }
}

/// A millisecond timestamp member: a plain non-negative integer below 2^53.
fn timestamp(value: &Value, key: &'static str) -> Result<Option<u64>, Error> {
    match member(value, key) {
        None => Ok(None),
        Some(Value::Number(number)) => integer(number).map(Some).ok_or_else(|| wrong_type(key)),
        Some(_) => Err(wrong_type(key)),
    }
}

/// Connection settings. Members of the wrong type are recorded for validation to report with the
/// other problems; a value that is not an object reads as empty settings.
pub(crate) fn connection_input(value: &Value) -> ConnectionInput {
    let mut input = ConnectionInput::default();
    let mut wrong = Vec::new();
    let mut read = |key: &'static str| match text(value, key, key) {
        Ok(text) => text,
        Err(_) => {
            wrong.push(key);
            None
        }
    };
    input.base_url = read("baseUrl");
    input.auth_type = read("authType");
    input.username = read("username");
    input.password = read("password").map(Secret::new);
    input.client_id = read("clientId");
    input.client_secret = read("clientSecret").map(Secret::new);
    input.authorization_url = read("authorizationUrl");
    input.token_url = read("tokenUrl");
    input.client_authentication = read("clientAuthentication");
    for (key, slot) in [
        (
            "refreshTokenLifetimeSeconds",
            &mut input.refresh_token_lifetime_seconds,
        ),
        ("timeoutMs", &mut input.timeout_ms),
    ] {
        match member(value, key) {
            None => {}
            // Not a whole number in range: NaN, which validation reports as out of range.
            #[allow(clippy::cast_precision_loss)]
            Some(Value::Number(number)) => {
                *slot = Some(integer(number).map_or(f64::NAN, |n| n as f64));
            }
            Some(_) => wrong.push(key),
        }
    }
    input.allow_insecure_loopback =
        member(value, "allowInsecureLoopback") == Some(&Value::Bool(true));
    input.wrong_types = wrong;
    input
}

/// `{ storedSecrets?: ["password" | "clientSecret"] }`; anything else is ignored.
pub(crate) fn validate_options(value: &Value) -> ValidateOptions {
    let stored = |name: &str| match member(value, "storedSecrets") {
        Some(Value::Array(items)) => items.iter().any(|v| *v == Value::String(name.to_owned())),
        _ => false,
    };
    ValidateOptions {
        password_stored: stored("password"),
        client_secret_stored: stored("clientSecret"),
    }
}

/// A token set's times only (`TokenTimes`): what the freshness policy reads, so that a caller that
/// keeps tokens sealed can ask without opening them. `hasRefreshToken: true` stands for a refresh
/// token; a full `TokenSet` reads as well. `None` for `null`/`undefined`.
pub(crate) fn token_times(value: &Value) -> Result<Option<TokenSet>, Error> {
    match value {
        Value::Null => return Ok(None),
        Value::Object(_) => {}
        _ => return Err(wrong_type("tokens")),
    }
    let has_refresh_token = member(value, "hasRefreshToken") == Some(&Value::Bool(true))
        || text(value, "refreshToken", "refreshToken")?.is_some_and(|t| !t.is_empty());
    Ok(Some(TokenSet {
        access_token: Secret::default(),
        refresh_token: has_refresh_token.then(Secret::default),
        token_type: "Bearer".to_owned(),
        scope: None,
        issued_at_ms: timestamp(value, "issuedAt")?.unwrap_or(0),
        expires_at_ms: timestamp(value, "expiresAt")?,
        refresh_expires_at_ms: timestamp(value, "refreshExpiresAt")?,
    }))
}

/// A token set, or `None` for `null`/`undefined`.
pub(crate) fn tokens(value: &Value) -> Result<Option<TokenSet>, Error> {
    let Some(mut tokens) = token_times(value)? else {
        return Ok(None);
    };
    tokens.access_token = text(value, "accessToken", "accessToken")?
        .filter(|t| !t.is_empty())
        .map(Secret::new)
        .ok_or_else(|| wrong_type("accessToken"))?;
    tokens.refresh_token = text(value, "refreshToken", "refreshToken")?
        .filter(|t| !t.is_empty())
        .map(Secret::new);
    tokens.scope = text(value, "scope", "scope")?;
    Ok(Some(tokens))
}

/// `{ code, redirectUri, codeVerifier }`; absent members read as empty and are refused later.
pub(crate) fn code_grant(value: &Value) -> Result<CodeGrant, Error> {
    let read = |key: &'static str| text(value, key, key).map(Option::unwrap_or_default);
    Ok(CodeGrant {
        code: Secret::new(read("code")?),
        redirect_uri: read("redirectUri")?,
        code_verifier: Secret::new(read("codeVerifier")?),
    })
}

/// `{ redirectUri, scope?, statePrefix? }`.
pub(crate) fn authorization_params(value: &Value) -> Result<AuthorizationParams, Error> {
    Ok(AuthorizationParams {
        redirect_uri: text(value, "redirectUri", "redirectUri")?.unwrap_or_default(),
        scope: text(value, "scope", "scope")?,
        state_prefix: text(value, "statePrefix", "statePrefix")?,
    })
}

/// `ValidationResult`.
pub(crate) fn validation(result: &Result<ConnectionConfig, Vec<FieldError>>) -> String {
    match result {
        Ok(config) => ObjectWriter::new()
            .bool("ok", true)
            .raw("errors", "[]")
            .raw("config", &normalized_config(config))
            .finish(),
        Err(errors) => ObjectWriter::new()
            .bool("ok", false)
            .raw("errors", &field_errors(errors))
            .finish(),
    }
}

/// `NormalizedConfig`: the settings without secrets.
pub(crate) fn normalized_config(config: &ConnectionConfig) -> String {
    let object = ObjectWriter::new()
        .string("baseUrl", &config.base_url)
        .string("instanceUrl", &config.instance_url)
        .string("apiPath", config.api_path)
        .string("apiVersion", config.api_version())
        .number("timeoutMs", config.timeout_ms.into())
        .bool("allowInsecureLoopback", config.allow_insecure_loopback);
    match &config.auth {
        Auth::Basic(basic) => object
            .string("authType", "basic")
            .string("username", &basic.username),
        Auth::OAuth2(oauth) => object
            .string("authType", "oauth2")
            .string("clientId", &oauth.client_id)
            .string("authorizationUrl", &oauth.authorization_url)
            .string("tokenUrl", &oauth.token_url)
            .string("clientAuthentication", oauth.client_authentication.as_str())
            .number(
                "refreshTokenLifetimeSeconds",
                oauth.refresh_token_lifetime_seconds,
            ),
    }
    .finish()
}

/// `FieldError[]`.
pub(crate) fn field_errors(errors: &[FieldError]) -> String {
    array(errors.iter().map(|error| {
        ObjectWriter::new()
            .string("field", error.field)
            .string("code", error.code.as_str())
            .string("message", &error.message)
            .finish()
    }))
}

/// `AuthorizationRequest`.
pub(crate) fn authorization_request(request: &AuthorizationRequest) -> String {
    ObjectWriter::new()
        .string("url", &request.url)
        .string("state", &request.state)
        .string("codeVerifier", request.code_verifier.expose())
        .finish()
}

/// `TokenSet`.
pub(crate) fn token_set(tokens: &TokenSet) -> String {
    ObjectWriter::new()
        .string("accessToken", tokens.access_token.expose())
        .string_or_null(
            "refreshToken",
            tokens.refresh_token.as_ref().map(Secret::expose),
        )
        .string("tokenType", &tokens.token_type)
        .string_or_null("scope", tokens.scope.as_deref())
        .number("issuedAt", tokens.issued_at_ms)
        .number_or_null("expiresAt", tokens.expires_at_ms)
        .number_or_null("refreshExpiresAt", tokens.refresh_expires_at_ms)
        .finish()
}

/// `TokenSummary`.
pub(crate) fn token_summary(tokens: &TokenSet, summary: &TokenSummary) -> String {
    let refresh_expires_at = tokens
        .refresh_token
        .as_ref()
        .and(tokens.refresh_expires_at_ms);
    ObjectWriter::new()
        .string("status", summary.status.as_str())
        .number_or_null("expiresAt", tokens.expires_at_ms)
        .number_or_null("refreshExpiresAt", refresh_expires_at)
        .signed_or_null("accessExpiresInSeconds", summary.access_expires_in_seconds)
        .signed_or_null(
            "refreshExpiresInSeconds",
            summary.refresh_expires_in_seconds,
        )
        .bool("refreshExpiringSoon", summary.refresh_expiring_soon)
        .finish()
}

/// `TestResult`.
pub(crate) fn test_result(result: &TestResult, elapsed_ms: u64) -> String {
    ObjectWriter::new()
        .bool("ok", result.ok)
        .string("code", result.code.as_str())
        .some_number("status", result.status.map(u64::from))
        .string("message", &result.message)
        .some_string("hint", result.hint.as_deref())
        .some_number("retryAfterSeconds", result.retry_after_seconds)
        .number("elapsedMs", elapsed_ms)
        .finish()
}

/// `HttpRequestData`.
pub(crate) fn request(request: &HttpRequest) -> String {
    let headers = array(request.headers.iter().map(|(name, value)| {
        let mut pair = String::from("[");
        json::write_string(&mut pair, name);
        pair.push(',');
        json::write_string(&mut pair, value);
        pair.push(']');
        pair
    }));
    ObjectWriter::new()
        .string("url", &request.url)
        .string("method", request.method.as_str())
        .raw("headers", &headers)
        .string_or_null("body", request.body.as_deref())
        .number("timeoutMs", request.timeout_ms.into())
        .finish()
}

/// `CallbackResult`.
pub(crate) fn callback(callback: &Callback) -> String {
    match callback {
        Callback::Code {
            code,
            state,
            issuer,
        } => ObjectWriter::new()
            .string("kind", "code")
            .string("code", code.expose())
            .string("state", state)
            .some_string("issuer", issuer.as_deref())
            .finish(),
        Callback::Denied {
            error,
            description,
            state,
        } => ObjectWriter::new()
            .string("kind", "error")
            .string("error", error)
            .some_string("errorDescription", description.as_deref())
            .some_string("state", state.as_deref())
            .finish(),
    }
}

/// An input that is not plain data (`JSON.stringify` refused it, or a wrong argument) as an error
/// for `field`.
pub(crate) fn unreadable(field: &'static str) -> Error {
    unreadable_because(field, "it must be plain data (objects, strings, numbers)")
}

fn unreadable_because(field: &'static str, why: &str) -> Error {
    Error::new(
        ErrorCode::Field(FieldCode::InvalidType),
        format!("{} could not be read: {why}.", label(field)),
    )
    .with_field(field)
}

/// Parses an argument's JSON text.
pub(crate) fn parse_argument(text: &str, field: &'static str) -> Result<Value, Error> {
    if text.len() > MAX_INPUT_BYTES {
        return Err(unreadable_because(
            field,
            &format!("it is larger than {MAX_INPUT_BYTES} bytes"),
        ));
    }
    json::parse_value(text.as_bytes(), MAX_INPUT_BYTES).ok_or_else(|| {
        unreadable_because(
            field,
            &format!(
                "it must be plain data nested at most {} levels deep, with valid text",
                json::MAX_DEPTH
            ),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::validate;
    use crate::json::Object;

    fn parse(text: &str) -> Value {
        parse_argument(text, "settings").unwrap()
    }

    fn object(text: &str) -> Object {
        match parse(text) {
            Value::Object(object) => object,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn settings_read_with_wrong_types_recorded() {
        let input = connection_input(&parse(
            r#"{"baseUrl":"https://a.example/api/now","authType":"basic","username":7,"password":"p",
               "timeoutMs":1.5,"refreshTokenLifetimeSeconds":"60","allowInsecureLoopback":"yes","clientId":null}"#,
        ));
        assert_eq!(input.base_url.as_deref(), Some("https://a.example/api/now"));
        assert_eq!(input.password.as_ref().map(Secret::expose), Some("p"));
        assert_eq!(input.client_id, None);
        assert!(input.timeout_ms.unwrap().is_nan());
        assert!(!input.allow_insecure_loopback);
        assert_eq!(
            input.wrong_types,
            vec!["username", "refreshTokenLifetimeSeconds"]
        );
        let errors = validate(&input, ValidateOptions::default()).unwrap_err();
        let codes: Vec<_> = errors.iter().map(|e| (e.field, e.code.as_str())).collect();
        assert_eq!(
            codes,
            vec![
                ("username", "invalid_type"),
                ("refreshTokenLifetimeSeconds", "invalid_type"),
                ("timeoutMs", "out_of_range"),
            ]
        );
        assert!(connection_input(&parse("[1]")).base_url.is_none());
        let on = connection_input(&parse(r#"{"allowInsecureLoopback":true}"#));
        assert!(on.allow_insecure_loopback);
    }

    #[test]
    fn options_tokens_and_grants() {
        let options = validate_options(&parse(r#"{"storedSecrets":["clientSecret",5]}"#));
        assert!(options.client_secret_stored && !options.password_stored);
        assert!(!validate_options(&Value::Null).client_secret_stored);

        let tokens = tokens(&parse(
            r#"{"accessToken":"a","refreshToken":"","tokenType":"x","scope":null,"issuedAt":5,"expiresAt":10,"refreshExpiresAt":null}"#,
        ))
        .unwrap()
        .unwrap();
        assert_eq!(tokens.access_token.expose(), "a");
        assert_eq!(tokens.refresh_token, None);
        assert_eq!((tokens.issued_at_ms, tokens.expires_at_ms), (5, Some(10)));
        assert!(super::tokens(&Value::Null).unwrap().is_none());
        for bad in [
            r#"{"accessToken":""}"#,
            r#"{"accessToken":"a","expiresAt":"soon"}"#,
            r#"{"accessToken":"a","expiresAt":1.5}"#,
            r#"{"accessToken":"a","refreshToken":5}"#,
            "7",
        ] {
            assert_eq!(
                super::tokens(&parse(bad)).unwrap_err().code.as_str(),
                "invalid_type",
                "{bad}"
            );
        }

        let grant = code_grant(&parse(r#"{"code":"c","redirectUri":"https://a/cb"}"#)).unwrap();
        assert_eq!(grant.code.expose(), "c");
        assert!(grant.code_verifier.is_empty());
        assert_eq!(
            code_grant(&parse(r#"{"code":1}"#)).unwrap_err().field,
            Some("code")
        );
        let params =
            authorization_params(&parse(r#"{"redirectUri":"u","statePrefix":"p"}"#)).unwrap();
        assert_eq!(
            (params.redirect_uri.as_str(), params.state_prefix.as_deref()),
            ("u", Some("p"))
        );
        assert_eq!(
            authorization_params(&parse(r#"{"scope":[]}"#))
                .unwrap_err()
                .field,
            Some("scope")
        );
    }

    #[test]
    fn token_times_need_no_secrets() {
        let times = token_times(&parse(
            r#"{"issuedAt":1,"expiresAt":2,"hasRefreshToken":true}"#,
        ))
        .unwrap()
        .unwrap();
        assert!(times.refresh_token.is_some());
        assert_eq!((times.issued_at_ms, times.expires_at_ms), (1, Some(2)));
        let full = token_times(&parse(
            r#"{"accessToken":"a","refreshToken":"r","expiresAt":2}"#,
        ))
        .unwrap()
        .unwrap();
        assert!(
            full.refresh_token.unwrap().is_empty(),
            "the secret itself is not kept"
        );
        let none = token_times(&parse(r#"{"expiresAt":2,"refreshToken":null}"#))
            .unwrap()
            .unwrap();
        assert!(none.refresh_token.is_none());
        assert!(token_times(&Value::Null).unwrap().is_none());
        assert!(token_times(&parse(r#"{"expiresAt":"x"}"#)).is_err());
    }

    #[test]
    fn results_are_json_that_reads_back() {
        let result = TestResult {
            status: Some(403),
            retry_after_seconds: Some(3),
            ..TestResult::failed(
                crate::instance::TestCode::Forbidden,
                "No \"access\".",
                Some("roles"),
            )
        };
        let written = object(&test_result(&result, 12));
        assert_eq!(json::string(&written, "code"), Some("forbidden"));
        assert_eq!(json::string(&written, "message"), Some("No \"access\"."));
        assert_eq!(
            written.get("status"),
            Some(&Value::Number("403".to_owned()))
        );
        assert_eq!(written.get("ok"), Some(&Value::Bool(false)));
        let tokens = TokenSet {
            access_token: Secret::new("a\"b"),
            refresh_token: None,
            token_type: "Bearer".to_owned(),
            scope: None,
            issued_at_ms: 1,
            expires_at_ms: Some(2),
            refresh_expires_at_ms: None,
        };
        let round = super::tokens(&parse(&token_set(&tokens))).unwrap().unwrap();
        assert_eq!(round, tokens);
        let denied = object(&callback(&Callback::Denied {
            error: "access_denied".to_owned(),
            description: None,
            state: Some("s".to_owned()),
        }));
        assert_eq!(json::string(&denied, "kind"), Some("error"));
        assert!(!json::has(&denied, "errorDescription"));
    }

    #[test]
    fn oversized_or_invalid_arguments_are_refused() {
        let big = format!("\"{}\"", "x".repeat(MAX_INPUT_BYTES));
        assert_eq!(
            parse_argument(&big, "settings").unwrap_err().field,
            Some("settings")
        );
        assert!(parse_argument("{", "grant").is_err());
    }
}
