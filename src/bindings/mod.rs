//! The JavaScript API of the package (`pkg/`), as `#[wasm_bindgen]` exports.
//!
//! Each export is one whole operation: its arguments cross the boundary once, as JSON text, and its
//! result once (`boundary.rs`). The TypeScript declarations of the shapes come from the Rust types
//! (`tsify` derives next to them); the few shapes that are not JSON (`HttpResponseData`, which carries
//! bytes, and the options holding a `fetch` function) are declared here and in `connection.rs`.
//! Functions throw `ConnectionError`s, except `validateConfig` and the Test Connection functions, whose
//! failures are their results. `exchangeCode`, `refreshTokens`, `requestTokens`, `renewTokens` and
//! `testConnection` are async: they send through `fetch` (`fetch.rs`) and return promises. So are
//! `grantRequest` and the key tools, which sign or make keys with WebCrypto (`webcrypto.rs`).

mod boundary;
mod connection;
mod fetch;
mod webcrypto;

use std::rc::Rc;

use js_sys::Promise;
use wasm_bindgen::prelude::*;

use crate::config::{ConnectionInput, ValidateOptions, ValidationResult, validate};
use crate::error::{Error, ErrorCode, server_text};
use crate::field::wrong_type;
use crate::instance::TestResult;
use crate::json_limits::{Shape, argument};
use crate::oauth::lifecycle::{TokenStatus, TokenTimes};
use crate::seal::Keyring as CoreKeyring;
use boundary::{
    error_to_js, json_text, member, optional_string_arg, read_response, string_arg, time, to_js,
};
pub use connection::Connection;
use connection::{client_from, config_from, run};

#[wasm_bindgen(typescript_custom_section)]
const RESPONSE_TYPE: &str = r#"
/**
 * What came back: the status, the headers the core reads (lower-case names: `content-type`,
 * `retry-after`, `x-ratelimit-reset`) and the body; or why nothing came back.
 */
export type HttpResponseData =
  | { status: number; headers: Record<string, string>; body: Uint8Array | string }
  | { transportError: "network" | "timeout" };
"#;

/// Checks connection settings and reports every problem at once. Never throws.
#[wasm_bindgen(js_name = validateConfig, unchecked_return_type = "ValidationResult")]
pub fn validate_config(
    #[wasm_bindgen(unchecked_param_type = "ConnectionSettings")] input: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "ValidateOptions")] options: JsValue,
) -> JsValue {
    let options = json_text(&options, "options").map_or_else(
        |_| ValidateOptions::default(),
        |text| ValidateOptions::from_json(&text),
    );
    let result =
        match json_text(&input, "settings").and_then(|text| ConnectionInput::from_json(&text)) {
            Ok(input) => validate(&input, options),
            Err(error) => Err(vec![crate::error::FieldError::new(
                "baseUrl",
                crate::error::FieldCode::InvalidType,
                error.message,
            )]),
        };
    to_js(&ValidationResult::from(&result))
}

/// `Basic <base64(username:password)>` (RFC 7617, UTF-8). Throws for a user name with `:` or control
/// characters.
#[wasm_bindgen(js_name = basicAuthorization)]
pub fn basic_authorization(
    #[wasm_bindgen(unchecked_param_type = "string")] username: JsValue,
    #[wasm_bindgen(unchecked_param_type = "string")] password: JsValue,
) -> Result<String, JsValue> {
    run(|| {
        let username = string_arg(&username, "username")?;
        let password = string_arg(&password, "password")?;
        Ok(crate::basic::basic_authorization(&username, &password)?)
    })
}

fn token_times(tokens: &JsValue) -> Result<Option<crate::oauth::token::TokenSet>, Error> {
    TokenTimes::from_json(&json_text(tokens, "tokens")?)
}

/// `fresh`, `refresh_due` (at most 60 s or 10 % of the lifetime left), `expired` or `reauthorize`.
#[wasm_bindgen(js_name = tokenStatus, unchecked_return_type = "TokenStatus")]
pub fn token_status(
    #[wasm_bindgen(unchecked_optional_param_type = "TokenSet | TokenTimes | null")] tokens: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "number")] now: JsValue,
) -> Result<JsValue, JsValue> {
    run(|| {
        let status = token_times(&tokens)?.map_or(TokenStatus::Reauthorize, |t| {
            crate::oauth::lifecycle::token_status(&t, time(&now))
        });
        Ok(status.as_str().into())
    })
}

/// Status plus remaining lifetimes, and whether the refresh token dies within 7 days.
#[wasm_bindgen(js_name = tokenSummary, unchecked_return_type = "TokenSummary")]
pub fn token_summary(
    #[wasm_bindgen(unchecked_param_type = "TokenSet | TokenTimes")] tokens: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "number")] now: JsValue,
) -> Result<JsValue, JsValue> {
    run(|| {
        let tokens = token_times(&tokens)?.ok_or_else(|| Error::from(wrong_type("tokens")))?;
        Ok(to_js(&crate::oauth::lifecycle::token_summary(
            &tokens,
            time(&now),
        )))
    })
}

/// The Test Connection result for an error met before the test request could be sent (such as a
/// failed refresh), so that every result is classified the same way.
#[wasm_bindgen(js_name = testResultFromError, unchecked_return_type = "TestResult")]
pub fn test_result_from_error(
    #[wasm_bindgen(unchecked_param_type = "Error")] error: JsValue,
) -> JsValue {
    let code = member(&error, "code").as_string();
    let message = member(&error, "message").as_string().unwrap_or_default();
    let mut core_error = Error::new(
        code.as_deref()
            .and_then(ErrorCode::from_code)
            .unwrap_or(ErrorCode::UnexpectedResponse),
        server_text(&message),
    );
    core_error.status = member(&error, "status")
        .as_f64()
        .filter(|s| (100.0..600.0).contains(s))
        // Bounded and truncated, so the cast is exact.
        .map(|s| {
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let status = s as u16;
            status
        });
    core_error.retry_after_seconds = member(&error, "retryAfterSeconds")
        .as_f64()
        .map(|s| time(&JsValue::from_f64(s)));
    let result = TestResult::from_error(&core_error);
    // The error's own hint (a refused grant's) is more precise than the one for its code.
    let hint = member(&error, "hint")
        .as_string()
        .filter(|hint| hint.len() <= 1024 && !crate::field::has_control_character(hint));
    to_js(&TestResult {
        hint: hint.or_else(|| result.hint.clone()),
        ..result
    })
}

/// Whether an answer is a hibernating instance's wake-up page (HTML, not JSON, whatever the status).
#[wasm_bindgen(js_name = isHibernationPage)]
pub fn is_hibernation_page(
    #[wasm_bindgen(unchecked_param_type = "HttpResponseData")] response: JsValue,
) -> bool {
    read_response(&response).is_ok_and(|r| crate::answer::is_hibernation_page(&r))
}

/// Parses the query string the instance sent to the redirect URI.
#[wasm_bindgen(js_name = parseCallback, unchecked_return_type = "CallbackResult")]
pub fn parse_callback(
    #[wasm_bindgen(unchecked_param_type = "string")] query: JsValue,
) -> Result<JsValue, JsValue> {
    run(|| {
        let query = string_arg(&query, "query")?;
        Ok(to_js(&crate::oauth::callback::parse_callback(&query)?))
    })
}

/// Runs `use_connection` on a connection made for this one call.
fn with_settings<T>(
    settings: &JsValue,
    use_connection: impl FnOnce(&crate::config::ConnectionConfig) -> Result<T, Error>,
) -> Result<T, JsValue> {
    run(|| use_connection(&config_from(settings)?))
}

/// The authorization URL with `state` and a PKCE S256 challenge, plus the values to keep.
#[wasm_bindgen(js_name = authorizationRequest, unchecked_return_type = "AuthorizationRequest")]
pub fn authorization_request(
    #[wasm_bindgen(unchecked_param_type = "ConnectionSettings")] settings: JsValue,
    #[wasm_bindgen(unchecked_param_type = "AuthorizationOptions")] options: JsValue,
) -> Result<JsValue, JsValue> {
    with_settings(&settings, |config| {
        let params = crate::oauth::authorize::AuthorizationParams::from_json(&json_text(
            &options, "options",
        )?)?;
        Ok(to_js(&crate::oauth::authorize::authorization_request(
            config, &params,
        )?))
    })
}

/// The code-exchange request as data (the first half of `exchangeCode`).
#[wasm_bindgen(js_name = codeExchangeRequest, unchecked_return_type = "HttpRequestData")]
pub fn code_exchange_request(
    #[wasm_bindgen(unchecked_param_type = "ConnectionSettings")] settings: JsValue,
    #[wasm_bindgen(unchecked_param_type = "CodeGrant")] grant: JsValue,
) -> Result<JsValue, JsValue> {
    Connection::new(settings, JsValue::UNDEFINED)?.code_exchange_request(grant)
}

/// The refresh request as data (the first half of `refreshTokens`).
#[wasm_bindgen(js_name = refreshRequest, unchecked_return_type = "HttpRequestData")]
pub fn refresh_request(
    #[wasm_bindgen(unchecked_param_type = "ConnectionSettings")] settings: JsValue,
    #[wasm_bindgen(unchecked_param_type = "TokenSet")] tokens: JsValue,
) -> Result<JsValue, JsValue> {
    Connection::new(settings, JsValue::UNDEFINED)?.refresh_request(tokens)
}

/// The unattended grant's token request as data (the first half of `requestTokens`; async, since a
/// JWT assertion is signed by WebCrypto). Rejects with `interactive_grant` for the
/// authorization-code grant.
#[wasm_bindgen(js_name = grantRequest, unchecked_return_type = "Promise<HttpRequestData>")]
pub fn grant_request(
    #[wasm_bindgen(unchecked_param_type = "ConnectionSettings")] settings: JsValue,
) -> Promise {
    with_connection(settings, JsValue::UNDEFINED, |connection| {
        connection.grant_request()
    })
}

/// Reads the token endpoint's answer (the second half of `exchangeCode`, `refreshTokens` and
/// `requestTokens`); `grant` names the request's grant.
#[wasm_bindgen(js_name = processTokenResponse, unchecked_return_type = "TokenSet")]
pub fn process_token_response(
    #[wasm_bindgen(unchecked_param_type = "ConnectionSettings")] settings: JsValue,
    #[wasm_bindgen(unchecked_param_type = "GrantType | \"refresh_token\"")] grant: JsValue,
    #[wasm_bindgen(unchecked_param_type = "HttpResponseData")] response: JsValue,
    #[wasm_bindgen(unchecked_param_type = "number")] requested_at: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "TokenSet | null")] previous: JsValue,
) -> Result<JsValue, JsValue> {
    Connection::new(settings, JsValue::UNDEFINED)?.process_token_response(
        grant,
        response,
        requested_at,
        previous,
    )
}

/// The `Authorization` header value for a request to the instance (`Basic …` or `Bearer …`).
#[wasm_bindgen(js_name = authorizationHeader)]
pub fn authorization_header(
    #[wasm_bindgen(unchecked_param_type = "ConnectionSettings")] settings: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "TokenSet | null")] tokens: JsValue,
) -> Result<String, JsValue> {
    Connection::new(settings, JsValue::UNDEFINED)?.authorization_header(tokens)
}

/// `<instance>/api/now/<path>[?query]`, refusing any path that could leave `/api/now/`.
#[wasm_bindgen(js_name = apiRequestUrl)]
pub fn api_request_url(
    #[wasm_bindgen(unchecked_param_type = "ConnectionSettings")] settings: JsValue,
    #[wasm_bindgen(unchecked_param_type = "string")] path: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "string")] query: JsValue,
) -> Result<String, JsValue> {
    with_settings(&settings, |config| {
        crate::rest_path::api_request_url(
            config,
            &string_arg(&path, "path")?,
            optional_string_arg(&query, "query")?.as_deref(),
        )
    })
}

/// `<instance>/api/<namespace>/<path>[?query]` for any REST namespace, refusing any path that could
/// leave `/api/`.
#[wasm_bindgen(js_name = restApiUrl)]
pub fn rest_api_url(
    #[wasm_bindgen(unchecked_param_type = "ConnectionSettings")] settings: JsValue,
    #[wasm_bindgen(unchecked_param_type = "string")] path: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "string")] query: JsValue,
) -> Result<String, JsValue> {
    with_settings(&settings, |config| {
        crate::rest_path::rest_api_url(
            config,
            &string_arg(&path, "path")?,
            optional_string_arg(&query, "query")?.as_deref(),
        )
    })
}

/// Whether `iss` from a callback names this connection's authorization server (RFC 9207).
#[wasm_bindgen(js_name = issuerMatches)]
pub fn issuer_matches(
    #[wasm_bindgen(unchecked_param_type = "ConnectionSettings")] settings: JsValue,
    #[wasm_bindgen(unchecked_param_type = "string")] issuer: JsValue,
) -> Result<bool, JsValue> {
    with_settings(&settings, |config| {
        Ok(issuer
            .as_string()
            .is_some_and(|iss| crate::oauth::callback::issuer_matches(config, &iss)))
    })
}

/// The promise of `operation` on a connection made for one call; a promise rejected with the
/// constructor's `ConnectionError` when `settings` or `options` are not valid.
fn with_connection(
    settings: JsValue,
    options: JsValue,
    operation: impl FnOnce(&Connection) -> Promise,
) -> Promise {
    Connection::new(settings, options)
        .map_or_else(|error| Promise::reject(&error), |c| operation(&c))
}

/// Exchanges an authorization code for tokens at the token endpoint. Rejects with a
/// `ConnectionError`, also for invalid settings.
#[wasm_bindgen(js_name = exchangeCode, unchecked_return_type = "Promise<TokenSet>")]
pub fn exchange_code(
    #[wasm_bindgen(unchecked_param_type = "ConnectionSettings")] settings: JsValue,
    #[wasm_bindgen(unchecked_param_type = "CodeGrant")] grant: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "ConnectionOptions")] options: JsValue,
) -> Promise {
    with_connection(settings, options, |connection| {
        connection.exchange_code(grant)
    })
}

/// Refreshes tokens; the refresh token and its deadline carry over unless a new one is issued.
/// Rejects with a `ConnectionError`, also for invalid settings.
#[wasm_bindgen(js_name = refreshTokens, unchecked_return_type = "Promise<TokenSet>")]
pub fn refresh_tokens(
    #[wasm_bindgen(unchecked_param_type = "ConnectionSettings")] settings: JsValue,
    #[wasm_bindgen(unchecked_param_type = "TokenSet")] tokens: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "ConnectionOptions")] options: JsValue,
) -> Promise {
    with_connection(settings, options, |connection| {
        connection.refresh_tokens(tokens)
    })
}

/// Obtains tokens with the connection's unattended grant (client credentials, JWT bearer, password).
/// Rejects with a `ConnectionError`: `interactive_grant` for the authorization-code grant, which
/// needs Generate, and for invalid settings.
#[wasm_bindgen(js_name = requestTokens, unchecked_return_type = "Promise<TokenSet>")]
pub fn request_tokens(
    #[wasm_bindgen(unchecked_param_type = "ConnectionSettings")] settings: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "ConnectionOptions")] options: JsValue,
) -> Promise {
    with_connection(settings, options, |connection| connection.request_tokens())
}

/// New tokens for due ones, whatever the grant needs: a refresh while the refresh token lives, else
/// the unattended grant again; `reauthorization_required` for the authorization-code grant without
/// a live refresh token. Rejects with a `ConnectionError`, also for invalid settings.
#[wasm_bindgen(js_name = renewTokens, unchecked_return_type = "Promise<TokenSet>")]
pub fn renew_tokens(
    #[wasm_bindgen(unchecked_param_type = "ConnectionSettings")] settings: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "TokenSet | null")] tokens: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "ConnectionOptions")] options: JsValue,
) -> Promise {
    with_connection(settings, options, |connection| {
        connection.renew_tokens(tokens)
    })
}

/// A new JWT signing key (WebCrypto; RSA 2,048 bits for RS256, P-256 for ES256) with a self-signed
/// certificate for an instance's JWT verifier map and a JWK for a JWKS document; its key id is the
/// RFC 7638 thumbprint. Rejects with a `ConnectionError`.
#[wasm_bindgen(js_name = generateSigningKey, unchecked_return_type = "Promise<SigningKeyPair>")]
pub fn generate_signing_key(
    #[wasm_bindgen(unchecked_optional_param_type = "SigningKeyOptions")] options: JsValue,
) -> Promise {
    let options = match json_text(&options, "options")
        .and_then(|text| crate::jwt::key_tools::GenerateKeyOptions::from_json(&text))
    {
        Ok(options) => options,
        Err(error) => return Promise::reject(&error_to_js(&error)),
    };
    connection::settle(async move {
        crate::jwt::key_tools::generate_signing_key(
            &webcrypto::WebCryptoSigner,
            &options,
            boundary::now(),
        )
        .await
    })
}

/// The public JWK (and key id) of a PKCS#8 PEM private key, for a JWKS document. Rejects with a
/// `ConnectionError`.
#[wasm_bindgen(js_name = publicSigningKey, unchecked_return_type = "Promise<PublicSigningKey>")]
pub fn public_signing_key(
    #[wasm_bindgen(unchecked_param_type = "string")] private_key: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "SigningKeyOptions")] options: JsValue,
) -> Promise {
    let arguments = string_arg(&private_key, "privateKey").and_then(|pem| {
        let options =
            crate::jwt::key_tools::PublicKeyOptions::from_json(&json_text(&options, "options")?)?;
        Ok((pem, options))
    });
    let (pem, options) = match arguments {
        Ok(arguments) => arguments,
        Err(error) => return Promise::reject(&error_to_js(&error)),
    };
    connection::settle(async move {
        crate::jwt::key_tools::public_signing_key(&webcrypto::WebCryptoSigner, &pem, options).await
    })
}

/// Test Connection without a prepared connection; invalid settings are a result too. Without tokens,
/// a connection with an unattended grant first obtains some (not kept). Never rejects.
#[wasm_bindgen(js_name = testConnection, unchecked_return_type = "Promise<TestResult>")]
pub fn test_connection(
    #[wasm_bindgen(unchecked_param_type = "ConnectionSettings")] settings: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "TokenSet | null")] tokens: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "ConnectionOptions")] options: JsValue,
) -> Promise {
    let client = client_from(&options);
    let config = config_from(&settings).map(Rc::new);
    match client {
        Ok(client) => connection::test_connection(config, client, &tokens),
        Err(error) => connection::test_connection(Err(error), Default::default(), &tokens),
    }
}

/// The Test Connection request for settings, or the result when there is nothing to send.
#[wasm_bindgen(js_name = testConnectionRequest, unchecked_return_type = "TestConnectionStart")]
pub fn test_connection_request(
    #[wasm_bindgen(unchecked_param_type = "ConnectionSettings")] settings: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "TokenSet | null")] tokens: JsValue,
) -> JsValue {
    connection::test_connection_start(
        config_from(&settings).as_ref().map_err(Clone::clone),
        &tokens,
    )
}

/// Classifies an answer to the Test Connection request; invalid settings are a result too.
#[wasm_bindgen(js_name = processTestResponse, unchecked_return_type = "TestResult")]
pub fn process_test_response(
    #[wasm_bindgen(unchecked_param_type = "ConnectionSettings")] settings: JsValue,
    #[wasm_bindgen(unchecked_param_type = "HttpResponseData")] response: JsValue,
    #[wasm_bindgen(unchecked_param_type = "number")] started_at: JsValue,
) -> JsValue {
    connection::process_test_response(
        config_from(&settings).as_ref().map_err(Clone::clone),
        &response,
        &started_at,
    )
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
        #[wasm_bindgen(unchecked_optional_param_type = "string[]")] previous: JsValue,
    ) -> Result<Keyring, JsValue> {
        run(|| {
            let current = string_arg(&current, "sealingKey")?;
            let previous: Vec<String> = argument(
                &json_text(&previous, "previousSealingKeys")?,
                "previousSealingKeys",
                Shape::Array,
            )?
            .unwrap_or_default();
            let previous: Vec<&str> = previous.iter().map(String::as_str).collect();
            Ok(Keyring(CoreKeyring::new(&current, &previous)?))
        })
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
        run(|| {
            self.0.seal(
                &string_arg(&aad, "aad")?,
                &string_arg(&plaintext, "plaintext")?,
            )
        })
    }

    /// Opens a sealed value; throws when it was altered, sealed for other `aad`, or under an unknown key.
    pub fn unseal(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] aad: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] sealed: JsValue,
    ) -> Result<String, JsValue> {
        run(|| {
            self.0
                .unseal(&string_arg(&aad, "aad")?, &string_arg(&sealed, "sealed")?)
        })
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

/// Talc instead of the standard library's dlmalloc: smaller wasm, and faster at the many small,
/// short-lived allocations these operations make. The module is single-threaded.
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();
