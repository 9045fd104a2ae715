//! `Connection`: settings validated once, then used for any number of operations.
//!
//! Validating settings on every call costs more than most operations themselves, so a server that
//! keeps a connection around (the worker's Durable Object, a page's editor) prepares it once. The
//! package's entry module builds its functional API (`exchangeCode(settings, …)` and the rest) on
//! a short-lived `Connection`, and adds the `fetch`-based methods to the class it exports.

use wasm_bindgen::prelude::*;

use super::convert::{read, read_response, string_arg, write};
use super::{JsResult, config_from, run, time};
use crate::config::ConnectionConfig;
use crate::error::Error;
use crate::instance::TestResult;
use crate::json::ObjectWriter;
use crate::oauth::token::{Grant, TokenSet};
use crate::wire;

/// Validated connection settings.
#[wasm_bindgen]
pub struct Connection {
    config: ConnectionConfig,
}

fn tokens_from(value: &JsValue) -> Result<Option<TokenSet>, Error> {
    wire::tokens(&read(value, "tokens")?)
}

#[wasm_bindgen]
impl Connection {
    /// Validates `settings`; throws an `invalid_config` error listing every problem.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "ConnectionSettings")] settings: JsValue,
    ) -> Result<Connection, JsValue> {
        run(|| {
            Ok(Connection {
                config: config_from(&settings)?,
            })
        })
    }

    /// The normalised settings, without secrets.
    #[wasm_bindgen(getter, unchecked_return_type = "NormalizedConfig")]
    pub fn config(&self) -> JsValue {
        write(&wire::normalized_config(&self.config))
    }

    /// The authorization URL with `state` and a PKCE S256 challenge, plus the values to keep.
    #[wasm_bindgen(js_name = authorizationRequest, unchecked_return_type = "AuthorizationRequest")]
    pub fn authorization_request(
        &self,
        #[wasm_bindgen(unchecked_param_type = "AuthorizationOptions")] options: JsValue,
    ) -> JsResult {
        run(|| {
            let params = wire::authorization_params(&read(&options, "options")?)?;
            let request = crate::oauth::authorize::authorization_request(&self.config, &params)?;
            Ok(write(&wire::authorization_request(&request)))
        })
    }

    /// The code-exchange request as data (the first half of `exchangeCode`).
    #[wasm_bindgen(js_name = codeExchangeRequest, unchecked_return_type = "HttpRequestData")]
    pub fn code_exchange_request(
        &self,
        #[wasm_bindgen(unchecked_param_type = "CodeGrant")] grant: JsValue,
    ) -> JsResult {
        run(|| {
            let grant = wire::code_grant(&read(&grant, "grant")?)?;
            let request = crate::oauth::token::code_exchange_request(&self.config, &grant)?;
            Ok(write(&wire::request(&request)))
        })
    }

    /// The refresh request as data (the first half of `refreshTokens`).
    #[wasm_bindgen(js_name = refreshRequest, unchecked_return_type = "HttpRequestData")]
    pub fn refresh_request(
        &self,
        #[wasm_bindgen(unchecked_param_type = "TokenSet")] tokens: JsValue,
    ) -> JsResult {
        run(|| {
            let tokens = tokens_from(&tokens)?.ok_or_else(|| wire::unreadable("tokens"))?;
            let request = crate::oauth::token::refresh_request_for(&self.config, &tokens)?;
            Ok(write(&wire::request(&request)))
        })
    }

    /// Reads the token endpoint's answer (the second half of `exchangeCode` and `refreshTokens`).
    #[wasm_bindgen(js_name = processTokenResponse, unchecked_return_type = "TokenSet")]
    pub fn process_token_response(
        &self,
        #[wasm_bindgen(unchecked_param_type = "\"authorization_code\" | \"refresh_token\"")]
        grant: JsValue,
        #[wasm_bindgen(unchecked_param_type = "HttpResponseData")] response: JsValue,
        #[wasm_bindgen(unchecked_param_type = "number")] requested_at: JsValue,
        #[wasm_bindgen(unchecked_param_type = "TokenSet | null | undefined")] previous: JsValue,
    ) -> JsResult {
        run(|| {
            let grant = match grant.as_string().as_deref() {
                Some("authorization_code") => Grant::AuthorizationCode,
                Some("refresh_token") => Grant::RefreshToken,
                _ => return Err(wire::unreadable("grant")),
            };
            let previous = tokens_from(&previous)?;
            let tokens = crate::oauth::token::process_token_answer(
                &self.config,
                grant,
                read_response(&response),
                time(&requested_at),
                previous.as_ref(),
            )?;
            Ok(write(&wire::token_set(&tokens)))
        })
    }

    /// The Test Connection request as data, or the result when there is nothing to send (no token):
    /// the first half of `testConnection`.
    #[wasm_bindgen(js_name = testConnectionRequest, unchecked_return_type = "TestConnectionStart")]
    pub fn test_connection_request(
        &self,
        #[wasm_bindgen(unchecked_param_type = "TokenSet | null | undefined")] tokens: JsValue,
    ) -> JsValue {
        let request = tokens_from(&tokens).and_then(|tokens| {
            crate::instance::test_connection_request(&self.config, tokens.as_ref())
        });
        let (key, json) = match request {
            Ok(request) => ("request", wire::request(&request)),
            Err(error) => (
                "result",
                wire::test_result(&TestResult::from_error(&error), 0),
            ),
        };
        write(&ObjectWriter::new().raw(key, &json).finish())
    }

    /// Classifies the answer to the Test Connection request (the second half of `testConnection`);
    /// `startedAt` (ms) gives the result's `elapsedMs`.
    #[wasm_bindgen(js_name = processTestResponse, unchecked_return_type = "TestResult")]
    pub fn process_test_response(
        &self,
        #[wasm_bindgen(unchecked_param_type = "HttpResponseData")] response: JsValue,
        #[wasm_bindgen(unchecked_param_type = "number")] started_at: JsValue,
    ) -> JsValue {
        let now = time(&JsValue::UNDEFINED);
        let result =
            crate::instance::process_test_answer(&self.config, read_response(&response), now);
        write(&wire::test_result(
            &result,
            now.saturating_sub(time(&started_at)),
        ))
    }

    /// The `Authorization` header value for a request to the instance (`Basic …` or `Bearer …`).
    #[wasm_bindgen(js_name = authorizationHeader)]
    pub fn authorization_header(
        &self,
        #[wasm_bindgen(unchecked_param_type = "TokenSet | null | undefined")] tokens: JsValue,
    ) -> Result<String, JsValue> {
        run(|| {
            let tokens = tokens_from(&tokens)?;
            crate::instance::authorization_header(&self.config, tokens.as_ref())
        })
    }

    /// `<instance>/api/now/<path>[?query]`, refusing any path that could leave `/api/now/`.
    #[wasm_bindgen(js_name = apiRequestUrl)]
    pub fn api_request_url(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] path: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string | undefined")] query: JsValue,
    ) -> Result<String, JsValue> {
        run(|| {
            let path = string_arg(&path, "path")?;
            let query = if query.is_undefined() || query.is_null() {
                None
            } else {
                Some(string_arg(&query, "query")?)
            };
            crate::instance::api_request_url(&self.config, &path, query.as_deref())
        })
    }

    /// Whether `iss` from a callback names this connection's authorization server (RFC 9207).
    #[wasm_bindgen(js_name = issuerMatches)]
    pub fn issuer_matches(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] issuer: JsValue,
    ) -> bool {
        issuer
            .as_string()
            .is_some_and(|iss| crate::oauth::callback::issuer_matches(&self.config, &iss))
    }
}
