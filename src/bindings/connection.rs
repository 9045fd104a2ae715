//! `Connection`: settings validated once, then used for any number of operations.
//!
//! Validating settings costs more than most operations themselves, so a server that keeps a
//! connection around (the worker's Durable Object, a page's editor) prepares it once; the functional
//! API runs each call on a connection made for it. The configuration sits in an `Rc`, so that the
//! network operations, which are promises that outlive the call, hold it without borrowing the
//! JavaScript object (which may be freed meanwhile).

use std::rc::Rc;

use js_sys::{Function, Promise};
use serde::Serialize;
use tsify::Tsify;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

use super::boundary::{
    error_to_js, json_text, member, now, optional_string_arg, read_response, string_arg, time,
    to_js,
};
use super::fetch::FetchClient;
use super::webcrypto::WebCryptoSigner;
use crate::config::{ConnectionConfig, ConnectionInput, validate_for_use};
use crate::error::Error;
use crate::field::wrong_type;
use crate::http::HttpRequest;
use crate::instance::TestResult;
use crate::oauth::authorize::AuthorizationParams;
use crate::oauth::grants;
use crate::oauth::token::{CodeGrant, Grant, TokenSet};

#[wasm_bindgen(typescript_custom_section)]
const OPTIONS_TYPE: &str = r#"
/** Options of a `Connection` and of the functional network operations. */
export interface ConnectionOptions {
  /**
   * Sends the requests instead of the global `fetch`, called as `fetch(url, init)` with `method`,
   * `headers`, `body`, `redirect: "manual"` and an abort `signal` in `init`.
   */
  fetch?: (url: string, init: RequestInit) => Promise<Response>;
}
"#;

/// `testConnectionRequest`'s answer: a request to send, or the result when there is nothing to send.
#[derive(Serialize, Tsify)]
#[serde(untagged)]
pub(crate) enum TestConnectionStart {
    /// Send this, then give the answer to `processTestResponse`.
    Request {
        /// The request.
        #[tsify(type = "HttpRequestData")]
        request: HttpRequest,
    },
    /// Nothing to send (no token, invalid settings): this is the result.
    Result {
        /// The result.
        result: TestResult,
    },
}

/// Runs `operation` and turns its error into a thrown `ConnectionError`.
pub(crate) fn run<T>(operation: impl FnOnce() -> Result<T, Error>) -> Result<T, JsValue> {
    operation().map_err(|error| error_to_js(&error))
}

/// Validated settings from a JavaScript value.
pub(crate) fn config_from(settings: &JsValue) -> Result<ConnectionConfig, Error> {
    validate_for_use(&ConnectionInput::from_json(&json_text(
        settings, "settings",
    )?)?)
}

/// The `fetch` of `{ fetch? }`, when given.
pub(crate) fn client_from(options: &JsValue) -> Result<FetchClient, Error> {
    let fetch = member(options, "fetch");
    if fetch.is_undefined() || fetch.is_null() {
        return Ok(FetchClient::default());
    }
    fetch
        .dyn_into::<Function>()
        .map(|fetch| FetchClient { fetch: Some(fetch) })
        .map_err(|_| wrong_type("fetch").into())
}

/// A token set argument, or `None` for `null`/`undefined`.
fn tokens_from(value: &JsValue) -> Result<Option<TokenSet>, Error> {
    TokenSet::from_json(&json_text(value, "tokens")?)
}

fn required_tokens_from(value: &JsValue) -> Result<TokenSet, Error> {
    tokens_from(value)?.ok_or_else(|| wrong_type("tokens").into())
}

/// A promise of `work`: resolved with its value as JSON, or rejected with a `ConnectionError`.
pub(crate) fn settle<T: Serialize>(
    work: impl Future<Output = Result<T, Error>> + 'static,
) -> Promise {
    future_to_promise(async move {
        work.await
            .map(|value| to_js(&value))
            .map_err(|error| error_to_js(&error))
    })
}

/// `exchangeCode`: the grant is read now; the promise rejects with a `ConnectionError`.
fn exchange_code(config: Rc<ConnectionConfig>, client: FetchClient, grant: &JsValue) -> Promise {
    let grant = match json_text(grant, "grant").and_then(|text| CodeGrant::from_json(&text)) {
        Ok(grant) => grant,
        Err(error) => return Promise::reject(&error_to_js(&error)),
    };
    settle(async move { crate::oauth::token::exchange_code(&client, &config, &grant, now()).await })
}

/// `refreshTokens`: the token set is read now; the promise rejects with a `ConnectionError`.
fn refresh_tokens(config: Rc<ConnectionConfig>, client: FetchClient, tokens: &JsValue) -> Promise {
    let tokens = match required_tokens_from(tokens) {
        Ok(tokens) => tokens,
        Err(error) => return Promise::reject(&error_to_js(&error)),
    };
    settle(
        async move { crate::oauth::token::refresh_tokens(&client, &config, &tokens, now()).await },
    )
}

/// `requestTokens`: the connection's unattended grant; the promise rejects with a `ConnectionError`.
fn request_tokens(config: Rc<ConnectionConfig>, client: FetchClient) -> Promise {
    settle(async move { grants::request_tokens(&client, &WebCryptoSigner, &config, now()).await })
}

/// `renewTokens`: the token set (or `null`) is read now; the promise rejects with a
/// `ConnectionError`.
fn renew_tokens(config: Rc<ConnectionConfig>, client: FetchClient, tokens: &JsValue) -> Promise {
    let tokens = match tokens_from(tokens) {
        Ok(tokens) => tokens,
        Err(error) => return Promise::reject(&error_to_js(&error)),
    };
    settle(async move {
        grants::renew_tokens(&client, &WebCryptoSigner, &config, tokens.as_ref(), now()).await
    })
}

/// `grantRequest`: the unattended grant's request as data (signed now, for JWT bearer).
fn grant_request(config: Rc<ConnectionConfig>) -> Promise {
    settle(async move { grants::grant_request(&config, &WebCryptoSigner, now()).await })
}

/// `testConnection`: never rejects; every failure is a result.
pub(crate) fn test_connection(
    config: Result<Rc<ConnectionConfig>, Error>,
    client: FetchClient,
    tokens: &JsValue,
) -> Promise {
    let started_at = now();
    let prepared = config.and_then(|config| Ok((config, tokens_from(tokens)?)));
    future_to_promise(async move {
        let result = match prepared {
            Ok((config, tokens)) => {
                crate::instance::test_connection(
                    &client,
                    &WebCryptoSigner,
                    &config,
                    tokens.as_ref(),
                    started_at,
                )
                .await
            }
            Err(error) => TestResult::from_error(&error),
        };
        Ok(to_js(&TestResult {
            elapsed_ms: now().saturating_sub(started_at),
            ..result
        }))
    })
}

/// The Test Connection request, or the result when there is nothing to send.
pub(crate) fn test_connection_start(
    config: Result<&ConnectionConfig, Error>,
    tokens: &JsValue,
) -> JsValue {
    let request = config.and_then(|config| {
        crate::instance::test_connection_request(config, tokens_from(tokens)?.as_ref())
    });
    to_js(&match request {
        Ok(request) => TestConnectionStart::Request { request },
        Err(error) => TestConnectionStart::Result {
            result: TestResult::from_error(&error),
        },
    })
}

/// Classifies an answer to the Test Connection request; `startedAt` gives `elapsedMs`.
pub(crate) fn process_test_response(
    config: Result<&ConnectionConfig, Error>,
    response: &JsValue,
    started_at: &JsValue,
) -> JsValue {
    let now = now();
    let result = match config {
        Ok(config) => crate::instance::process_test_answer(config, read_response(response), now),
        Err(error) => TestResult::from_error(&error),
    };
    to_js(&TestResult {
        elapsed_ms: now.saturating_sub(time(started_at)),
        ..result
    })
}

/// Validated connection settings, for any number of operations. The constructor throws an
/// `invalid_config` `ConnectionError` listing every problem.
#[wasm_bindgen]
pub struct Connection {
    config: Rc<ConnectionConfig>,
    client: FetchClient,
}

#[wasm_bindgen]
impl Connection {
    /// Validates `settings`; `options.fetch` replaces the global `fetch` for this connection.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "ConnectionSettings")] settings: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "ConnectionOptions")] options: JsValue,
    ) -> Result<Connection, JsValue> {
        run(|| {
            Ok(Connection {
                config: Rc::new(config_from(&settings)?),
                client: client_from(&options)?,
            })
        })
    }

    /// The normalised settings, without secrets.
    #[wasm_bindgen(getter, unchecked_return_type = "NormalizedConfig")]
    pub fn config(&self) -> JsValue {
        to_js(&self.config.normalized())
    }

    /// The authorization URL with `state` and a PKCE S256 challenge, plus the values to keep.
    #[wasm_bindgen(js_name = authorizationRequest, unchecked_return_type = "AuthorizationRequest")]
    pub fn authorization_request(
        &self,
        #[wasm_bindgen(unchecked_param_type = "AuthorizationOptions")] options: JsValue,
    ) -> Result<JsValue, JsValue> {
        run(|| {
            let params = AuthorizationParams::from_json(&json_text(&options, "options")?)?;
            let request = crate::oauth::authorize::authorization_request(&self.config, &params)?;
            Ok(to_js(&request))
        })
    }

    /// Exchanges an authorization code for tokens at the token endpoint. Rejects with a
    /// `ConnectionError`.
    #[wasm_bindgen(js_name = exchangeCode, unchecked_return_type = "Promise<TokenSet>")]
    pub fn exchange_code(
        &self,
        #[wasm_bindgen(unchecked_param_type = "CodeGrant")] grant: JsValue,
    ) -> Promise {
        exchange_code(Rc::clone(&self.config), self.client.clone(), &grant)
    }

    /// Refreshes tokens; the refresh token and its deadline carry over unless a new one is issued.
    /// Rejects with a `ConnectionError`.
    #[wasm_bindgen(js_name = refreshTokens, unchecked_return_type = "Promise<TokenSet>")]
    pub fn refresh_tokens(
        &self,
        #[wasm_bindgen(unchecked_param_type = "TokenSet")] tokens: JsValue,
    ) -> Promise {
        refresh_tokens(Rc::clone(&self.config), self.client.clone(), &tokens)
    }

    /// Obtains tokens with the connection's unattended grant (client credentials, JWT bearer,
    /// password). Rejects with a `ConnectionError`: `interactive_grant` for the authorization-code
    /// grant, which needs Generate.
    #[wasm_bindgen(js_name = requestTokens, unchecked_return_type = "Promise<TokenSet>")]
    pub fn request_tokens(&self) -> Promise {
        request_tokens(Rc::clone(&self.config), self.client.clone())
    }

    /// New tokens for due ones: a refresh while the refresh token lives and belongs to the
    /// connection's grant, else the unattended grant again (also when a password grant's refresh
    /// token is refused); `reauthorization_required` for the authorization-code grant without a live
    /// refresh token. Rejects with a `ConnectionError`; the old tokens stay the caller's.
    #[wasm_bindgen(js_name = renewTokens, unchecked_return_type = "Promise<TokenSet>")]
    pub fn renew_tokens(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "TokenSet | null")] tokens: JsValue,
    ) -> Promise {
        renew_tokens(Rc::clone(&self.config), self.client.clone(), &tokens)
    }

    /// Whether `renewTokens(tokens)` would start with a refresh (the refresh token lives and came
    /// from this connection's grant) rather than with the grant itself. Throws a `ConnectionError`
    /// when `tokens` is not a token set.
    #[wasm_bindgen(js_name = renewsByRefresh)]
    pub fn renews_by_refresh(
        &self,
        #[wasm_bindgen(unchecked_param_type = "TokenSet")] tokens: JsValue,
    ) -> Result<bool, JsValue> {
        run(|| {
            let tokens = required_tokens_from(&tokens)?;
            Ok(grants::renews_by_refresh(&self.config, &tokens, now()))
        })
    }

    /// The unattended grant's token request as data (the first half of `requestTokens`; async,
    /// since a JWT assertion is signed by WebCrypto).
    #[wasm_bindgen(js_name = grantRequest, unchecked_return_type = "Promise<HttpRequestData>")]
    pub fn grant_request(&self) -> Promise {
        grant_request(Rc::clone(&self.config))
    }

    /// Test Connection: reads one row of sys_db_object and classifies the answer; without tokens, a
    /// connection with an unattended grant first obtains some (not kept). Never rejects.
    #[wasm_bindgen(js_name = testConnection, unchecked_return_type = "Promise<TestResult>")]
    pub fn test_connection(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "TokenSet | null")] tokens: JsValue,
    ) -> Promise {
        test_connection(Ok(Rc::clone(&self.config)), self.client.clone(), &tokens)
    }

    /// The code-exchange request as data (the first half of `exchangeCode`).
    #[wasm_bindgen(js_name = codeExchangeRequest, unchecked_return_type = "HttpRequestData")]
    pub fn code_exchange_request(
        &self,
        #[wasm_bindgen(unchecked_param_type = "CodeGrant")] grant: JsValue,
    ) -> Result<JsValue, JsValue> {
        run(|| {
            let grant = CodeGrant::from_json(&json_text(&grant, "grant")?)?;
            let request = crate::oauth::token::code_exchange_request(&self.config, &grant)?;
            Ok(to_js(&request))
        })
    }

    /// The refresh request as data (the first half of `refreshTokens`).
    #[wasm_bindgen(js_name = refreshRequest, unchecked_return_type = "HttpRequestData")]
    pub fn refresh_request(
        &self,
        #[wasm_bindgen(unchecked_param_type = "TokenSet")] tokens: JsValue,
    ) -> Result<JsValue, JsValue> {
        run(|| {
            let tokens = required_tokens_from(&tokens)?;
            let request = crate::oauth::token::refresh_request_for(&self.config, &tokens)?;
            Ok(to_js(&request))
        })
    }

    /// Reads the token endpoint's answer (the second half of `exchangeCode`, `refreshTokens` and
    /// `requestTokens`); `grant` names the request's grant.
    #[wasm_bindgen(js_name = processTokenResponse, unchecked_return_type = "TokenSet")]
    pub fn process_token_response(
        &self,
        #[wasm_bindgen(unchecked_param_type = "GrantType | \"refresh_token\"")] grant: JsValue,
        #[wasm_bindgen(unchecked_param_type = "HttpResponseData")] response: JsValue,
        #[wasm_bindgen(unchecked_param_type = "number")] requested_at: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "TokenSet | null")] previous: JsValue,
    ) -> Result<JsValue, JsValue> {
        run(|| {
            let grant = grant
                .as_string()
                .as_deref()
                .and_then(Grant::from_name)
                .ok_or_else(|| Error::from(wrong_type("grant")))?;
            let previous = tokens_from(&previous)?;
            let tokens = crate::oauth::token::process_token_answer(
                &self.config,
                grant,
                read_response(&response),
                time(&requested_at),
                previous.as_ref(),
            )?;
            Ok(to_js(&tokens))
        })
    }

    /// The Test Connection request as data, or the result when there is nothing to send (no token):
    /// the first half of `testConnection`.
    #[wasm_bindgen(js_name = testConnectionRequest, unchecked_return_type = "TestConnectionStart")]
    pub fn test_connection_request(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "TokenSet | null")] tokens: JsValue,
    ) -> JsValue {
        test_connection_start(Ok(&self.config), &tokens)
    }

    /// Classifies the answer to the Test Connection request (the second half of `testConnection`);
    /// `startedAt` (ms) gives the result's `elapsedMs`.
    #[wasm_bindgen(js_name = processTestResponse, unchecked_return_type = "TestResult")]
    pub fn process_test_response(
        &self,
        #[wasm_bindgen(unchecked_param_type = "HttpResponseData")] response: JsValue,
        #[wasm_bindgen(unchecked_param_type = "number")] started_at: JsValue,
    ) -> JsValue {
        process_test_response(Ok(&self.config), &response, &started_at)
    }

    /// The `Authorization` header value for a request to the instance (`Basic …` or `Bearer …`).
    #[wasm_bindgen(js_name = authorizationHeader)]
    pub fn authorization_header(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "TokenSet | null")] tokens: JsValue,
    ) -> Result<String, JsValue> {
        run(|| crate::instance::authorization_header(&self.config, tokens_from(&tokens)?.as_ref()))
    }

    /// `<instance>/api/now/<path>[?query]`, refusing any path that could leave `/api/now/`.
    #[wasm_bindgen(js_name = apiRequestUrl)]
    pub fn api_request_url(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] path: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "string")] query: JsValue,
    ) -> Result<String, JsValue> {
        run(|| {
            crate::rest_path::api_request_url(
                &self.config,
                &string_arg(&path, "path")?,
                optional_string_arg(&query, "query")?.as_deref(),
            )
        })
    }

    /// `<instance>/api/<namespace>/<path>[?query]` for any REST namespace (`now/table/incident`,
    /// `sn_sc/servicecatalog/items`), refusing any path that could leave `/api/`.
    #[wasm_bindgen(js_name = restApiUrl)]
    pub fn rest_api_url(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] path: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "string")] query: JsValue,
    ) -> Result<String, JsValue> {
        run(|| {
            crate::rest_path::rest_api_url(
                &self.config,
                &string_arg(&path, "path")?,
                optional_string_arg(&query, "query")?.as_deref(),
            )
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
