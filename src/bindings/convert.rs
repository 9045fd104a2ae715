//! Converting between JavaScript values and the core's types.
//!
//! Plain objects are read and built member by member through `Reflect`, which costs far less wasm than
//! a serialisation framework and lets every wrongly typed member become a field error instead of a
//! trap. Errors become real `Error` objects named `ConnectionError` with `code`, `retryable` and,
//! where known, `field`, `status`, `detail`, `retryAfterSeconds` and `errors`.

use js_sys::{Array, Object, Reflect};
use wasm_bindgen::{JsCast, JsValue};

use crate::config::ConnectionInput;
use crate::error::{Error, ErrorCode, FieldCode, FieldError};
use crate::http::{HttpRequest, HttpResponse, TransportError};
use crate::instance::TestResult;
use crate::oauth::lifecycle::TokenSummary;
use crate::oauth::token::TokenSet;
use crate::secret::Secret;

/// A member of a JS object: absent (`undefined` or `null`), present, or of the wrong type.
pub(crate) enum Member<T> {
    Absent,
    Present(T),
    WrongType,
}

pub(crate) fn member(object: &JsValue, key: &str) -> JsValue {
    if object.is_object() {
        Reflect::get(object, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
    } else {
        JsValue::UNDEFINED
    }
}

pub(crate) fn string_member(object: &JsValue, key: &str) -> Member<String> {
    let value = member(object, key);
    if value.is_undefined() || value.is_null() {
        Member::Absent
    } else {
        value.as_string().map_or(Member::WrongType, Member::Present)
    }
}

pub(crate) fn number_member(object: &JsValue, key: &str) -> Member<f64> {
    let value = member(object, key);
    if value.is_undefined() || value.is_null() {
        Member::Absent
    } else {
        value.as_f64().map_or(Member::WrongType, Member::Present)
    }
}

/// A finite, non-negative number below 2^53 (JavaScript's exact integers), fraction cut off.
pub(crate) fn float_to_u64(value: f64) -> Option<u64> {
    // Bounded to below 2^53, so the cast is exact after truncation.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    (0.0..9.0e15).contains(&value).then_some(value as u64)
}

#[allow(clippy::cast_precision_loss)]
pub(crate) fn ms_to_js(ms: u64) -> f64 {
    ms as f64
}

/// A required string argument (not a member): its wrong type is an `invalid_type` error for `field`.
pub(crate) fn string_arg(value: &JsValue, field: &'static str) -> Result<String, Error> {
    value.as_string().ok_or_else(|| wrong_type(field))
}

pub(crate) fn wrong_type(field: &'static str) -> Error {
    FieldError::new(
        field,
        FieldCode::InvalidType,
        format!("{} has the wrong type.", crate::config::label(field)),
    )
    .into()
}

/// Reads connection settings; wrong member types are recorded for validation to report.
pub(crate) fn read_connection_input(value: &JsValue) -> ConnectionInput {
    let mut input = ConnectionInput::default();
    let text = |key: &'static str, wrong: &mut Vec<&'static str>| match string_member(value, key) {
        Member::Present(s) => Some(s),
        Member::Absent => None,
        Member::WrongType => {
            wrong.push(key);
            None
        }
    };
    let mut wrong = Vec::new();
    input.base_url = text("baseUrl", &mut wrong);
    input.auth_type = text("authType", &mut wrong);
    input.username = text("username", &mut wrong);
    input.password = text("password", &mut wrong).map(Secret::new);
    input.client_id = text("clientId", &mut wrong);
    input.client_secret = text("clientSecret", &mut wrong).map(Secret::new);
    input.authorization_url = text("authorizationUrl", &mut wrong);
    input.token_url = text("tokenUrl", &mut wrong);
    input.client_authentication = text("clientAuthentication", &mut wrong);
    for (key, slot) in [
        (
            "refreshTokenLifetimeSeconds",
            &mut input.refresh_token_lifetime_seconds,
        ),
        ("timeoutMs", &mut input.timeout_ms),
    ] {
        match number_member(value, key) {
            Member::Present(n) => *slot = Some(n),
            Member::Absent => {}
            Member::WrongType => wrong.push(key),
        }
    }
    input.allow_insecure_loopback = member(value, "allowInsecureLoopback").as_bool() == Some(true);
    input.wrong_types = wrong;
    input
}

/// Reads a token set; `None` for `undefined`/`null`.
pub(crate) fn read_tokens(value: &JsValue) -> Result<Option<TokenSet>, Error> {
    if value.is_undefined() || value.is_null() {
        return Ok(None);
    }
    if !value.is_object() {
        return Err(wrong_type("tokens"));
    }
    let access_token = match string_member(value, "accessToken") {
        Member::Present(token) if !token.is_empty() => token,
        _ => return Err(wrong_type("accessToken")),
    };
    let optional_string = |key: &'static str| match string_member(value, key) {
        Member::Present(s) if !s.is_empty() => Ok(Some(s)),
        Member::Present(_) | Member::Absent => Ok(None),
        Member::WrongType => Err(wrong_type_member(key)),
    };
    let optional_time = |key: &'static str| match number_member(value, key) {
        Member::Present(n) => float_to_u64(n)
            .map(Some)
            .ok_or_else(|| wrong_type_member(key)),
        Member::Absent => Ok(None),
        Member::WrongType => Err(wrong_type_member(key)),
    };
    Ok(Some(TokenSet {
        access_token: Secret::new(access_token),
        refresh_token: optional_string("refreshToken")?.map(Secret::new),
        token_type: "Bearer".to_owned(),
        scope: optional_string("scope")?,
        issued_at_ms: optional_time("issuedAt")?.unwrap_or(0),
        expires_at_ms: optional_time("expiresAt")?,
        refresh_expires_at_ms: optional_time("refreshExpiresAt")?,
    }))
}

fn wrong_type_member(key: &'static str) -> Error {
    Error::new(
        ErrorCode::Field(FieldCode::InvalidType),
        format!("Token set member {key} has the wrong type."),
    )
    .with_field(key)
}

/// Builds a plain object member by member.
pub(crate) struct ObjectBuilder(Object);

impl ObjectBuilder {
    pub(crate) fn new() -> Self {
        Self(Object::new())
    }

    pub(crate) fn set(self, key: &str, value: impl Into<JsValue>) -> Self {
        self.set_value(key, &value.into())
    }

    /// The one non-generic setter, so that each value type adds only its conversion.
    fn set_value(self, key: &str, value: &JsValue) -> Self {
        // Setting a data property on a fresh plain object cannot fail.
        let _ = Reflect::set(&self.0, &JsValue::from_str(key), value);
        self
    }

    pub(crate) fn set_some(self, key: &str, value: Option<impl Into<JsValue>>) -> Self {
        match value {
            Some(value) => self.set(key, value),
            None => self,
        }
    }

    /// `null` when absent, for members the types declare as `T | null`.
    pub(crate) fn set_or_null(self, key: &str, value: Option<impl Into<JsValue>>) -> Self {
        match value {
            Some(value) => self.set(key, value),
            None => self.set(key, JsValue::NULL),
        }
    }

    pub(crate) fn build(self) -> JsValue {
        self.0.into()
    }
}

pub(crate) fn field_errors_to_js(errors: &[FieldError]) -> Array {
    errors
        .iter()
        .map(|error| {
            ObjectBuilder::new()
                .set("field", error.field)
                .set("code", error.code.as_str())
                .set("message", error.message.as_str())
                .build()
        })
        .collect()
}

pub(crate) fn error_to_js(error: &Error) -> JsValue {
    let js_error = js_sys::Error::new(&error.message);
    js_error.set_name("ConnectionError");
    let value: JsValue = js_error.into();
    let set = |key: &str, member: JsValue| {
        let _ = Reflect::set(&value, &JsValue::from_str(key), &member);
    };
    set("code", error.code.as_str().into());
    set("retryable", error.retryable().into());
    if let Some(field) = error.field {
        set("field", field.into());
    }
    if let Some(status) = error.status {
        set("status", status.into());
    }
    if let Some(detail) = &error.detail {
        set("detail", detail.as_str().into());
    }
    if let Some(seconds) = error.retry_after_seconds {
        set("retryAfterSeconds", ms_to_js(seconds).into());
    }
    if !error.field_errors.is_empty() {
        set("errors", field_errors_to_js(&error.field_errors).into());
    }
    value
}

pub(crate) fn tokens_to_js(tokens: &TokenSet) -> JsValue {
    ObjectBuilder::new()
        .set("accessToken", tokens.access_token.expose())
        .set_or_null(
            "refreshToken",
            tokens.refresh_token.as_ref().map(Secret::expose),
        )
        .set("tokenType", tokens.token_type.as_str())
        .set_or_null("scope", tokens.scope.as_deref())
        .set("issuedAt", ms_to_js(tokens.issued_at_ms))
        .set_or_null("expiresAt", tokens.expires_at_ms.map(ms_to_js))
        .set_or_null(
            "refreshExpiresAt",
            tokens.refresh_expires_at_ms.map(ms_to_js),
        )
        .build()
}

pub(crate) fn summary_to_js(tokens: &TokenSet, summary: &TokenSummary) -> JsValue {
    #[allow(clippy::cast_precision_loss)]
    let seconds = |s: Option<i64>| s.map(|s| s as f64);
    ObjectBuilder::new()
        .set("status", summary.status.as_str())
        .set_or_null("expiresAt", tokens.expires_at_ms.map(ms_to_js))
        .set_or_null(
            "refreshExpiresAt",
            tokens
                .refresh_token
                .as_ref()
                .and(tokens.refresh_expires_at_ms)
                .map(ms_to_js),
        )
        .set_or_null(
            "accessExpiresInSeconds",
            seconds(summary.access_expires_in_seconds),
        )
        .set_or_null(
            "refreshExpiresInSeconds",
            seconds(summary.refresh_expires_in_seconds),
        )
        .set("refreshExpiringSoon", summary.refresh_expiring_soon)
        .build()
}

pub(crate) fn test_result_to_js(result: &TestResult, elapsed_ms: f64) -> JsValue {
    ObjectBuilder::new()
        .set("ok", result.ok)
        .set("code", result.code.as_str())
        .set_some("status", result.status)
        .set("message", result.message.as_str())
        .set_some("hint", result.hint.as_deref())
        .set_some(
            "retryAfterSeconds",
            result.retry_after_seconds.map(ms_to_js),
        )
        .set("elapsedMs", elapsed_ms)
        .build()
}

/// A JS array of strings, for the keyring's previous keys; anything else is a wrong type.
pub(crate) fn string_list(value: &JsValue, field: &'static str) -> Result<Vec<String>, Error> {
    if value.is_undefined() || value.is_null() {
        return Ok(Vec::new());
    }
    let array = value.dyn_ref::<Array>().ok_or_else(|| wrong_type(field))?;
    array
        .iter()
        .map(|item| item.as_string().ok_or_else(|| wrong_type(field)))
        .collect()
}

/// An `HttpRequestData` for JavaScript to send: `{ url, method, headers: [name, value][], body, timeoutMs }`.
pub(crate) fn request_to_js(request: &HttpRequest) -> JsValue {
    let headers: Array = request
        .headers
        .iter()
        .map(|(name, value)| {
            let pair: Array = [JsValue::from_str(name), JsValue::from_str(value)]
                .into_iter()
                .collect();
            JsValue::from(pair)
        })
        .collect();
    ObjectBuilder::new()
        .set("url", request.url.as_str())
        .set("method", request.method.as_str())
        .set("headers", headers)
        .set_or_null("body", request.body.as_deref())
        .set("timeoutMs", request.timeout_ms)
        .build()
}

/// The headers the core reads; the sender copies these (lower-case names) into `headers`.
const RESPONSE_HEADERS: [&str; 3] = ["content-type", "retry-after", "x-ratelimit-reset"];

/// Reads an `HttpResponseData`: `{ status, headers, body: Uint8Array | string }`, or
/// `{ transportError: "network" | "timeout" }` when no answer came. Anything malformed counts as a
/// network failure, the one reading that cannot mistake garbage for an answer.
pub(crate) fn read_response(value: &JsValue) -> Result<HttpResponse, TransportError> {
    match member(value, "transportError").as_string().as_deref() {
        Some("timeout") => return Err(TransportError::Timeout),
        Some(_) => return Err(TransportError::Network),
        None => {}
    }
    let status = member(value, "status")
        .as_f64()
        .filter(|s| (0.0..1000.0).contains(s))
        .and_then(float_to_u64)
        .and_then(|s| u16::try_from(s).ok())
        .ok_or(TransportError::Network)?;
    let headers_object = member(value, "headers");
    let headers = RESPONSE_HEADERS
        .iter()
        .filter_map(|&name| {
            let value = member(&headers_object, name).as_string()?;
            Some((name.to_owned(), value))
        })
        .collect();
    let body_value = member(value, "body");
    let body = if let Some(bytes) = body_value.dyn_ref::<js_sys::Uint8Array>() {
        bytes.to_vec()
    } else {
        body_value
            .as_string()
            .map(String::into_bytes)
            .unwrap_or_default()
    };
    Ok(HttpResponse {
        status,
        headers,
        body,
    })
}
