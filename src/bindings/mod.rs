//! The JavaScript API of the package (`pkg/`), as `#[wasm_bindgen]` exports.
//!
//! Each export is one whole operation, so a call crosses the JS/wasm boundary once with its inputs and
//! once with its result. Inputs are plain objects checked member by member; the TypeScript types of
//! `types.d.ts` describe them precisely. Functions throw `ConnectionError`s, except `validateConfig`
//! and the Test Connection pair, whose failures are their results.
//!
//! Network operations are request/process pairs: the core builds the request as data and reads the
//! answer, and the package's entry module (`index.js`) sends it with the platform's `fetch` in
//! between: the one `await` of each operation. Keeping that await in JavaScript spares the wasm an
//! async runtime, about a fifth of its size.

mod convert;

use wasm_bindgen::prelude::*;

use crate::config::{Auth, ConnectionConfig, ValidateOptions, validate};
use crate::error::Error;
use crate::instance::TestResult;
use crate::oauth::authorize::AuthorizationParams;
use crate::oauth::callback::Callback;
use crate::oauth::token::{CodeGrant, Grant};
use crate::seal::Keyring as CoreKeyring;
use crate::secret::Secret;
use convert::{
    Member, ObjectBuilder, error_to_js, field_errors_to_js, float_to_u64, member, ms_to_js,
    read_connection_input, read_response, read_tokens, request_to_js, string_arg, string_list,
    string_member, summary_to_js, test_result_to_js, tokens_to_js, wrong_type,
};

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &str = include_str!("types.d.ts");

type JsResult = Result<JsValue, JsValue>;

fn now_ms() -> u64 {
    float_to_u64(js_sys::Date::now()).unwrap_or(0)
}

/// The caller's clock when given (tests, replays), else `Date.now()`.
fn optional_now(value: &JsValue) -> u64 {
    value.as_f64().and_then(float_to_u64).unwrap_or_else(now_ms)
}

/// Validates settings for operations; a failure becomes an `invalid_config` error with every problem.
fn config_from(value: &JsValue) -> Result<ConnectionConfig, Error> {
    validate(&read_connection_input(value), ValidateOptions::default())
        .map_err(Error::invalid_config)
}

fn throw(error: &Error) -> JsValue {
    error_to_js(error)
}

fn normalized_config_to_js(config: &ConnectionConfig) -> JsValue {
    let object = ObjectBuilder::new()
        .set("baseUrl", config.base_url.as_str())
        .set("instanceUrl", config.instance_url.as_str())
        .set("apiPath", config.api_path)
        .set("apiVersion", config.api_version())
        .set("timeoutMs", config.timeout_ms)
        .set("allowInsecureLoopback", config.allow_insecure_loopback);
    match &config.auth {
        Auth::Basic(basic) => object
            .set("authType", "basic")
            .set("username", basic.username.as_str()),
        Auth::OAuth2(oauth) => object
            .set("authType", "oauth2")
            .set("clientId", oauth.client_id.as_str())
            .set("authorizationUrl", oauth.authorization_url.as_str())
            .set("tokenUrl", oauth.token_url.as_str())
            .set("clientAuthentication", oauth.client_authentication.as_str())
            .set(
                "refreshTokenLifetimeSeconds",
                ms_to_js(oauth.refresh_token_lifetime_seconds),
            ),
    }
    .build()
}

/// Checks connection settings and reports every problem at once. Never throws.
#[wasm_bindgen(js_name = validateConfig, unchecked_return_type = "ValidationResult")]
pub fn validate_config(
    #[wasm_bindgen(unchecked_param_type = "ConnectionSettings")] input: JsValue,
    #[wasm_bindgen(unchecked_param_type = "ValidateOptions | undefined")] options: JsValue,
) -> JsValue {
    let stored =
        string_list(&member(&options, "storedSecrets"), "storedSecrets").unwrap_or_default();
    let options = ValidateOptions {
        password_stored: stored.iter().any(|s| s == "password"),
        client_secret_stored: stored.iter().any(|s| s == "clientSecret"),
    };
    let result = if input.is_object() {
        validate(&read_connection_input(&input), options)
    } else {
        Err(vec![
            crate::config::required("baseUrl"),
            crate::config::required("authType"),
        ])
    };
    match result {
        Ok(config) => ObjectBuilder::new()
            .set("ok", true)
            .set("errors", js_sys::Array::new())
            .set("config", normalized_config_to_js(&config))
            .build(),
        Err(errors) => ObjectBuilder::new()
            .set("ok", false)
            .set("errors", field_errors_to_js(&errors))
            .build(),
    }
}

/// `Basic <base64(username:password)>` (RFC 7617, UTF-8). Throws for a user name with `:` or control
/// characters.
#[wasm_bindgen(js_name = basicAuthorization)]
pub fn basic_authorization(
    #[wasm_bindgen(unchecked_param_type = "string")] username: JsValue,
    #[wasm_bindgen(unchecked_param_type = "string")] password: JsValue,
) -> Result<String, JsValue> {
    let username = string_arg(&username, "username").map_err(|e| throw(&e))?;
    let password = string_arg(&password, "password").map_err(|e| throw(&e))?;
    crate::basic::basic_authorization(&username, &password).map_err(|e| throw(&e.into()))
}

/// The authorization URL with `state` and a PKCE S256 challenge, plus the values to keep.
#[wasm_bindgen(js_name = authorizationRequest, unchecked_return_type = "AuthorizationRequest")]
pub fn authorization_request(
    #[wasm_bindgen(unchecked_param_type = "ConnectionSettings")] config: JsValue,
    #[wasm_bindgen(unchecked_param_type = "AuthorizationOptions")] options: JsValue,
) -> JsResult {
    let run = || -> Result<JsValue, Error> {
        let config = config_from(&config)?;
        let params = AuthorizationParams {
            redirect_uri: match string_member(&options, "redirectUri") {
                Member::Present(uri) => uri,
                Member::Absent => String::new(),
                Member::WrongType => return Err(wrong_type("redirectUri")),
            },
            scope: optional_string(&options, "scope")?,
            state_prefix: optional_string(&options, "statePrefix")?,
        };
        let request = crate::oauth::authorize::authorization_request(&config, &params)?;
        Ok(ObjectBuilder::new()
            .set("url", request.url)
            .set("state", request.state)
            .set("codeVerifier", request.code_verifier.expose())
            .build())
    };
    run().map_err(|e| throw(&e))
}

fn optional_string(object: &JsValue, key: &'static str) -> Result<Option<String>, Error> {
    match string_member(object, key) {
        Member::Present(value) => Ok(Some(value)),
        Member::Absent => Ok(None),
        Member::WrongType => Err(wrong_type(key)),
    }
}

fn grant_from(value: &JsValue) -> Result<CodeGrant, Error> {
    let text = |key: &'static str| match string_member(value, key) {
        Member::Present(s) => Ok(s),
        Member::Absent => Ok(String::new()),
        Member::WrongType => Err(wrong_type(key)),
    };
    Ok(CodeGrant {
        code: Secret::new(text("code")?),
        redirect_uri: text("redirectUri")?,
        code_verifier: Secret::new(text("codeVerifier")?),
    })
}

/// The code-exchange request as data (the first half of `exchangeCode`).
#[wasm_bindgen(js_name = codeExchangeRequest, unchecked_return_type = "HttpRequestData")]
pub fn code_exchange_request(
    #[wasm_bindgen(unchecked_param_type = "ConnectionSettings")] config: JsValue,
    #[wasm_bindgen(unchecked_param_type = "CodeGrant")] grant: JsValue,
) -> JsResult {
    let run = || -> Result<JsValue, Error> {
        let config = config_from(&config)?;
        let request = crate::oauth::token::code_exchange_request(&config, &grant_from(&grant)?)?;
        Ok(request_to_js(&request))
    };
    run().map_err(|e| throw(&e))
}

/// The refresh request as data (the first half of `refreshTokens`).
#[wasm_bindgen(js_name = refreshRequest, unchecked_return_type = "HttpRequestData")]
pub fn refresh_request(
    #[wasm_bindgen(unchecked_param_type = "ConnectionSettings")] config: JsValue,
    #[wasm_bindgen(unchecked_param_type = "TokenSet")] tokens: JsValue,
) -> JsResult {
    let run = || -> Result<JsValue, Error> {
        let config = config_from(&config)?;
        let tokens = read_tokens(&tokens)?.ok_or_else(|| wrong_type("tokens"))?;
        let request = crate::oauth::token::refresh_request_for(&config, &tokens)?;
        Ok(request_to_js(&request))
    };
    run().map_err(|e| throw(&e))
}

/// Reads the token endpoint's answer (the second half of `exchangeCode` and `refreshTokens`).
#[wasm_bindgen(js_name = processTokenResponse, unchecked_return_type = "TokenSet")]
pub fn process_token_response(
    #[wasm_bindgen(unchecked_param_type = "ConnectionSettings")] config: JsValue,
    #[wasm_bindgen(unchecked_param_type = "\"authorization_code\" | \"refresh_token\"")]
    grant: JsValue,
    #[wasm_bindgen(unchecked_param_type = "HttpResponseData")] response: JsValue,
    #[wasm_bindgen(unchecked_param_type = "number")] requested_at: JsValue,
    #[wasm_bindgen(unchecked_param_type = "TokenSet | null | undefined")] previous: JsValue,
) -> JsResult {
    let run = || -> Result<JsValue, Error> {
        let config = config_from(&config)?;
        let grant = match grant.as_string().as_deref() {
            Some("authorization_code") => Grant::AuthorizationCode,
            Some("refresh_token") => Grant::RefreshToken,
            _ => return Err(wrong_type("grant")),
        };
        let previous = read_tokens(&previous)?;
        let tokens = crate::oauth::token::process_token_answer(
            &config,
            grant,
            read_response(&response),
            optional_now(&requested_at),
            previous.as_ref(),
        )?;
        Ok(tokens_to_js(&tokens))
    };
    run().map_err(|e| throw(&e))
}

/// `fresh`, `refresh_due` (at most 60 s or 10 % of the lifetime left), `expired` or `reauthorize`.
#[wasm_bindgen(js_name = tokenStatus, unchecked_return_type = "TokenStatus")]
pub fn token_status(
    #[wasm_bindgen(unchecked_param_type = "TokenSet | null | undefined")] tokens: JsValue,
    #[wasm_bindgen(unchecked_param_type = "number | undefined")] now: JsValue,
) -> JsResult {
    let tokens = read_tokens(&tokens).map_err(|e| throw(&e))?;
    let status = tokens.map_or(crate::oauth::lifecycle::TokenStatus::Reauthorize, |t| {
        crate::oauth::lifecycle::token_status(&t, optional_now(&now))
    });
    Ok(status.as_str().into())
}

/// Status plus remaining lifetimes, and whether the refresh token dies within 7 days.
#[wasm_bindgen(js_name = tokenSummary, unchecked_return_type = "TokenSummary")]
pub fn token_summary(
    #[wasm_bindgen(unchecked_param_type = "TokenSet")] tokens: JsValue,
    #[wasm_bindgen(unchecked_param_type = "number | undefined")] now: JsValue,
) -> JsResult {
    let tokens = read_tokens(&tokens)
        .and_then(|t| t.ok_or_else(|| wrong_type("tokens")))
        .map_err(|e| throw(&e))?;
    let summary = crate::oauth::lifecycle::token_summary(&tokens, optional_now(&now));
    Ok(summary_to_js(&tokens, &summary))
}

/// The Test Connection request as data, or the result when there is nothing to send (invalid
/// settings, no token): the first half of `testConnection`.
#[wasm_bindgen(js_name = testConnectionRequest, unchecked_return_type = "TestConnectionStart")]
pub fn test_connection_request(
    #[wasm_bindgen(unchecked_param_type = "ConnectionSettings")] config: JsValue,
    #[wasm_bindgen(unchecked_param_type = "TokenSet | null | undefined")] tokens: JsValue,
) -> JsValue {
    let request = config_from(&config).and_then(|config| {
        let tokens = read_tokens(&tokens)?;
        crate::instance::test_connection_request(&config, tokens.as_ref())
    });
    match request {
        Ok(request) => ObjectBuilder::new()
            .set("request", request_to_js(&request))
            .build(),
        Err(error) => ObjectBuilder::new()
            .set(
                "result",
                test_result_to_js(&TestResult::from_error(&error), 0.0),
            )
            .build(),
    }
}

/// Classifies the answer to the Test Connection request (the second half of `testConnection`);
/// `startedAt` (ms) gives the result's `elapsedMs`.
#[wasm_bindgen(js_name = processTestResponse, unchecked_return_type = "TestResult")]
pub fn process_test_response(
    #[wasm_bindgen(unchecked_param_type = "ConnectionSettings")] config: JsValue,
    #[wasm_bindgen(unchecked_param_type = "HttpResponseData")] response: JsValue,
    #[wasm_bindgen(unchecked_param_type = "number")] started_at: JsValue,
) -> JsValue {
    let now = js_sys::Date::now();
    let result = match config_from(&config) {
        Ok(config) => {
            crate::instance::process_test_answer(&config, read_response(&response), now_ms())
        }
        Err(error) => TestResult::from_error(&error),
    };
    let elapsed = started_at
        .as_f64()
        .map_or(0.0, |started| (now - started).max(0.0));
    test_result_to_js(&result, elapsed)
}

/// Parses the query string the instance sent to the redirect URI.
#[wasm_bindgen(js_name = parseCallback, unchecked_return_type = "CallbackResult")]
pub fn parse_callback(#[wasm_bindgen(unchecked_param_type = "string")] query: JsValue) -> JsResult {
    let query = string_arg(&query, "query").map_err(|e| throw(&e))?;
    match crate::oauth::callback::parse_callback(&query).map_err(|e| throw(&e))? {
        Callback::Code {
            code,
            state,
            issuer,
        } => Ok(ObjectBuilder::new()
            .set("kind", "code")
            .set("code", code.expose())
            .set("state", state)
            .set_some("issuer", issuer)
            .build()),
        Callback::Denied {
            error,
            description,
            state,
        } => Ok(ObjectBuilder::new()
            .set("kind", "error")
            .set("error", error)
            .set_some("errorDescription", description)
            .set_some("state", state)
            .build()),
    }
}

/// The `Authorization` header value for a request to the instance (`Basic …` or `Bearer …`).
#[wasm_bindgen(js_name = authorizationHeader)]
pub fn authorization_header(
    #[wasm_bindgen(unchecked_param_type = "ConnectionSettings")] config: JsValue,
    #[wasm_bindgen(unchecked_param_type = "TokenSet | null | undefined")] tokens: JsValue,
) -> Result<String, JsValue> {
    let run = || -> Result<String, Error> {
        let config = config_from(&config)?;
        let tokens = read_tokens(&tokens)?;
        crate::instance::authorization_header(&config, tokens.as_ref())
    };
    run().map_err(|e| throw(&e))
}

/// `<instance>/api/now/<path>[?query]`, refusing any path that could leave `/api/now/`.
#[wasm_bindgen(js_name = apiRequestUrl)]
pub fn api_request_url(
    #[wasm_bindgen(unchecked_param_type = "ConnectionSettings")] config: JsValue,
    #[wasm_bindgen(unchecked_param_type = "string")] path: JsValue,
    #[wasm_bindgen(unchecked_param_type = "string | undefined")] query: JsValue,
) -> Result<String, JsValue> {
    let run = || -> Result<String, Error> {
        let config = config_from(&config)?;
        let path = string_arg(&path, "path")?;
        let query = if query.is_undefined() || query.is_null() {
            None
        } else {
            Some(string_arg(&query, "query")?)
        };
        crate::instance::api_request_url(&config, &path, query.as_deref())
    };
    run().map_err(|e| throw(&e))
}

/// AES-256-GCM sealing keys: the current one and earlier ones still accepted for opening.
#[wasm_bindgen]
pub struct Keyring(CoreKeyring);

#[wasm_bindgen]
impl Keyring {
    /// Base64 keys of 32 bytes: the current key and, optionally, earlier keys.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "string")] current: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string[] | undefined")] previous: JsValue,
    ) -> Result<Keyring, JsValue> {
        let run = || -> Result<Keyring, Error> {
            let current = string_arg(&current, "sealingKey")?;
            let previous = string_list(&previous, "previousSealingKeys")?;
            let previous: Vec<&str> = previous.iter().map(String::as_str).collect();
            Ok(Keyring(CoreKeyring::new(&current, &previous)?))
        };
        run().map_err(|e| throw(&e))
    }

    /// The id of the current key, as written in sealed values.
    #[wasm_bindgen(getter, js_name = currentKeyId)]
    pub fn current_key_id(&self) -> String {
        self.0.current_key_id().to_owned()
    }

    /// Seals `plaintext`, bound to `aad` (such as `"<connection id>:clientSecret"`).
    pub fn seal(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] aad: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] plaintext: JsValue,
    ) -> Result<String, JsValue> {
        let run = || -> Result<String, Error> {
            self.0.seal(
                &string_arg(&aad, "aad")?,
                &string_arg(&plaintext, "plaintext")?,
            )
        };
        run().map_err(|e| throw(&e))
    }

    /// Opens a sealed value; throws when it was altered, sealed for other `aad`, or under an unknown key.
    pub fn unseal(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] aad: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] sealed: JsValue,
    ) -> Result<String, JsValue> {
        let run = || -> Result<String, Error> {
            self.0
                .unseal(&string_arg(&aad, "aad")?, &string_arg(&sealed, "sealed")?)
        };
        run().map_err(|e| throw(&e))
    }

    /// Whether `sealed` is under the current key (otherwise seal it again to finish a rotation).
    #[wasm_bindgen(js_name = isCurrent)]
    pub fn is_current(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] sealed: JsValue,
    ) -> bool {
        sealed.as_string().is_some_and(|s| self.0.is_current(&s))
    }
}
