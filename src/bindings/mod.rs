//! The JavaScript API of the package (`pkg/`), as `#[wasm_bindgen]` exports.
//!
//! Each export is one whole operation: its arguments cross the boundary once, as JSON text, and its
//! result once (`convert.rs`, `wire.rs`); the TypeScript types of `types.d.ts` describe every shape.
//! Functions throw `ConnectionError`s, except `validateConfig` and the Test Connection pair, whose
//! failures are their results.
//!
//! Network operations are request/process pairs: the core builds the request as data and reads the
//! answer, and the package's entry module (`index.js`) sends it with the platform's `fetch` in
//! between: the one `await` of each operation. Keeping that await in JavaScript spares the wasm an
//! async runtime, about a fifth of its size.

mod connection;
mod convert;

use wasm_bindgen::prelude::*;

use crate::config::{ConnectionConfig, ValidateOptions, validate};
use crate::error::Error;
use crate::instance::TestResult;
use crate::oauth::lifecycle::TokenStatus;
use crate::seal::Keyring as CoreKeyring;
use crate::wire;
use convert::{error_to_js, read, read_response, string_arg, write};

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &str = include_str!("types.d.ts");

type JsResult = Result<JsValue, JsValue>;

/// Milliseconds since the epoch: the caller's clock when given (tests, replays), else `Date.now()`.
fn time(value: &JsValue) -> u64 {
    let ms = value.as_f64().unwrap_or_else(js_sys::Date::now);
    // Bounded below 2^53, so the cast is exact after truncation.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    if (0.0..9.0e15).contains(&ms) {
        ms as u64
    } else {
        0
    }
}

/// Validates settings for an operation; a failure is an `invalid_config` error with every problem.
fn config_from(value: &JsValue) -> Result<ConnectionConfig, Error> {
    let input = wire::connection_input(&read(value, "settings")?);
    validate(&input, ValidateOptions::default()).map_err(Error::invalid_config)
}

/// Runs `operation` and turns its error into a thrown `ConnectionError`.
fn run<T>(operation: impl FnOnce() -> Result<T, Error>) -> Result<T, JsValue> {
    operation().map_err(|error| error_to_js(&error))
}

/// Checks connection settings and reports every problem at once. Never throws.
#[wasm_bindgen(js_name = validateConfig, unchecked_return_type = "ValidationResult")]
pub fn validate_config(
    #[wasm_bindgen(unchecked_param_type = "ConnectionSettings")] input: JsValue,
    #[wasm_bindgen(unchecked_param_type = "ValidateOptions | undefined")] options: JsValue,
) -> JsValue {
    let options = read(&options, "options").map_or_else(
        |_| ValidateOptions::default(),
        |o| wire::validate_options(&o),
    );
    let result = match read(&input, "settings") {
        Ok(value) => validate(&wire::connection_input(&value), options),
        Err(error) => Err(vec![crate::error::FieldError::new(
            "baseUrl",
            crate::error::FieldCode::InvalidType,
            error.message,
        )]),
    };
    write(&wire::validation(&result))
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

/// `fresh`, `refresh_due` (at most 60 s or 10 % of the lifetime left), `expired` or `reauthorize`.
#[wasm_bindgen(js_name = tokenStatus, unchecked_return_type = "TokenStatus")]
pub fn token_status(
    #[wasm_bindgen(unchecked_param_type = "TokenSet | TokenTimes | null | undefined")]
    tokens: JsValue,
    #[wasm_bindgen(unchecked_param_type = "number | undefined")] now: JsValue,
) -> JsResult {
    run(|| {
        let times = wire::token_times(&read(&tokens, "tokens")?)?;
        let status = times.map_or(TokenStatus::Reauthorize, |t| {
            crate::oauth::lifecycle::token_status(&t, time(&now))
        });
        Ok(status.as_str().into())
    })
}

/// Status plus remaining lifetimes, and whether the refresh token dies within 7 days.
#[wasm_bindgen(js_name = tokenSummary, unchecked_return_type = "TokenSummary")]
pub fn token_summary(
    #[wasm_bindgen(unchecked_param_type = "TokenSet | TokenTimes")] tokens: JsValue,
    #[wasm_bindgen(unchecked_param_type = "number | undefined")] now: JsValue,
) -> JsResult {
    run(|| {
        let tokens = wire::token_times(&read(&tokens, "tokens")?)?
            .ok_or_else(|| wire::unreadable("tokens"))?;
        let summary = crate::oauth::lifecycle::token_summary(&tokens, time(&now));
        Ok(write(&wire::token_summary(&tokens, &summary)))
    })
}

/// The Test Connection result for an error met before the test request could be sent (such as a
/// failed refresh), so that every result is classified the same way.
#[wasm_bindgen(js_name = testResultFromError, unchecked_return_type = "TestResult")]
pub fn test_result_from_error(
    #[wasm_bindgen(unchecked_param_type = "ConnectionError | Error")] error: JsValue,
) -> JsValue {
    let code = convert::member(&error, "code").as_string();
    let message = convert::member(&error, "message")
        .as_string()
        .unwrap_or_default();
    let mut core_error = Error::new(
        code.as_deref()
            .and_then(crate::error::ErrorCode::from_code)
            .unwrap_or(crate::error::ErrorCode::UnexpectedResponse),
        crate::error::server_text(&message),
    );
    core_error.status = convert::member(&error, "status")
        .as_f64()
        .filter(|s| (100.0..600.0).contains(s))
        // Bounded and truncated, so the cast is exact.
        .map(|s| {
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let status = s as u16;
            status
        });
    core_error.retry_after_seconds = convert::member(&error, "retryAfterSeconds")
        .as_f64()
        .map(|s| time(&JsValue::from_f64(s)));
    write(&wire::test_result(&TestResult::from_error(&core_error), 0))
}

/// Whether an answer is a hibernating instance's wake-up page (HTML, not JSON, whatever the status).
#[wasm_bindgen(js_name = isHibernationPage)]
pub fn is_hibernation_page(
    #[wasm_bindgen(unchecked_param_type = "HttpResponseData")] response: JsValue,
) -> bool {
    read_response(&response).is_ok_and(|r| crate::instance::is_hibernation_page(&r))
}

/// Parses the query string the instance sent to the redirect URI.
#[wasm_bindgen(js_name = parseCallback, unchecked_return_type = "CallbackResult")]
pub fn parse_callback(#[wasm_bindgen(unchecked_param_type = "string")] query: JsValue) -> JsResult {
    run(|| {
        let query = string_arg(&query, "query")?;
        let callback = crate::oauth::callback::parse_callback(&query)?;
        Ok(write(&wire::callback(&callback)))
    })
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
        run(|| {
            let current = string_arg(&current, "sealingKey")?;
            let previous = match read(&previous, "previousSealingKeys")? {
                crate::json::Value::Null => Vec::new(),
                crate::json::Value::Array(items) => items
                    .into_iter()
                    .map(|item| match item {
                        crate::json::Value::String(key) => Ok(key),
                        _ => Err(wire::unreadable("previousSealingKeys")),
                    })
                    .collect::<Result<Vec<_>, _>>()?,
                _ => return Err(wire::unreadable("previousSealingKeys")),
            };
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

/// Talc instead of the standard library's dlmalloc: about 6 KB less wasm, and faster at the many
/// small, short-lived allocations these operations make. The module is single-threaded.
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();
