//! A ServiceNow REST connection: everything needed to connect and log into one ServiceNow instance,
//! from JavaScript in browsers and edge workers (through WebAssembly) or from Rust.
//!
//! - [`config`]: the settings (Base URL, Basic or OAuth 2.0 with its grant) and their validation, every
//!   problem at once; [`grant_type`]: the OAuth grants (authorization code, client credentials, JWT
//!   bearer, password).
//! - [`basic`]: the RFC 7617 `Authorization` header.
//! - [`oauth`]: authorization request with PKCE and state, callback parsing, code exchange and refresh,
//!   the unattended grants and renewing, and the policy that says when tokens need renewing.
//! - [`jwt`]: the JWT-bearer grant's private keys, assertions, the [`Signer`] seam, and the key tools
//!   (key pairs with a self-signed certificate, public keys as JWKs).
//! - [`instance`]: Test Connection and its classification, the `Authorization` header.
//! - [`rest_path`]: URLs of requests forwarded to the REST API, kept below `/api/`.
//! - [`seal`]: AES-256-GCM sealing of secrets and tokens at rest, with key rotation.
//! - [`http`]: requests and responses as data; an [`HttpClient`] sends them (in the JavaScript package,
//!   `fetch`).
//! - [`answer`]: reading what an instance answers anywhere: error JSON, hibernation, rate limits.
//! - [`error`], [`secret`]: stable error codes; secrets that never print.
//!
//! JSON is read and written with serde and serde_json, URLs by the WHATWG standard (the platform's
//! `URL` in the wasm, the `url` crate natively), the standard `fetch` follows. The layers and seams
//! are described in `docs/architecture.md`.
//!
//! The core does no I/O of its own: it builds requests and reads answers, and the only `await` of each
//! operation is the send. Errors carry stable codes ([`ErrorCode`], [`FieldCode`]) and never secrets.
#![deny(missing_docs)]
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]
#![cfg_attr(
    test,
    allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic
    )
)]

mod address;
pub mod answer;
pub mod basic;
pub mod config;
mod encoding;
pub mod error;
mod field;
pub mod grant_type;
pub mod http;
pub mod instance;
mod json_limits;
pub mod jwt;
pub mod oauth;
mod random;
pub mod rest_path;
pub mod seal;
pub mod secret;
#[cfg(test)]
mod test_fixtures;

#[cfg(target_arch = "wasm32")]
mod bindings;

pub use basic::basic_authorization;
pub use config::{
    Auth, BasicCredentials, ClientAuthentication, ConnectionConfig, ConnectionInput, JwtAudience,
    JwtBearer, NormalizedConfig, NormalizedConnection, NormalizedGrant, OAuthClient, OAuthGrant,
    ValidateOptions, ValidationResult, validate,
};
pub use error::{Error, ErrorCode, FieldCode, FieldError};
pub use grant_type::GrantType;
pub use http::{HttpClient, HttpRequest, HttpResponse, Method, TransportError};
pub use instance::{
    TestCode, TestResult, authorization_header, process_test_answer, test_connection,
};
pub use jwt::signer::{GeneratedKey, Signer};
pub use jwt::signing_key::{JwtAlgorithm, SigningKey};
pub use oauth::authorize::{AuthorizationParams, AuthorizationRequest, authorization_request};
pub use oauth::callback::{Callback, parse_callback};
pub use oauth::grants::{grant_request, renew_tokens, request_tokens};
pub use oauth::lifecycle::{TokenStatus, TokenSummary, TokenTimes, token_status, token_summary};
pub use oauth::token::{
    CodeGrant, Grant, TokenSet, exchange_code, process_token_answer, refresh_tokens,
};
pub use rest_path::{api_request_url, rest_api_url};
pub use seal::Keyring;
pub use secret::Secret;
