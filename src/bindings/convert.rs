//! Moving values across the JavaScript boundary.
//!
//! Plain data crosses as JSON text, one crossing each way (`JSON.stringify` in, `JSON.parse` out);
//! `wire.rs` reads and writes the text. Two things cannot be JSON: response bodies (bytes, read
//! straight from their `Uint8Array`) and errors, which become real `Error` objects named
//! `ConnectionError` with `code`, `retryable` and, where known, `field`, `status`, `detail`,
//! `retryAfterSeconds` and `errors`.

use js_sys::{JSON, Reflect};
use wasm_bindgen::{JsCast, JsValue};

use crate::error::Error;
use crate::http::{HttpResponse, TransportError};
use crate::json::Value;
use crate::wire;

/// A JavaScript value as parsed JSON; `undefined` reads as `null`.
pub(crate) fn read(value: &JsValue, field: &'static str) -> Result<Value, Error> {
    if value.is_undefined() || value.is_null() {
        return Ok(Value::Null);
    }
    let text = JSON::stringify(value)
        .ok()
        .and_then(|text| text.as_string())
        .ok_or_else(|| wire::unreadable(field))?;
    wire::parse_argument(&text, field)
}

/// JSON text written by `wire.rs` as a JavaScript value.
pub(crate) fn write(json: &str) -> JsValue {
    // The text is always valid JSON: wire.rs writes it.
    JSON::parse(json).unwrap_or(JsValue::UNDEFINED)
}

pub(crate) fn member(object: &JsValue, key: &str) -> JsValue {
    if object.is_object() {
        Reflect::get(object, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
    } else {
        JsValue::UNDEFINED
    }
}

/// A string argument, or an `invalid_type` error for `field`.
pub(crate) fn string_arg(value: &JsValue, field: &'static str) -> Result<String, Error> {
    value.as_string().ok_or_else(|| {
        crate::error::FieldError::new(
            field,
            crate::error::FieldCode::InvalidType,
            format!("{} has the wrong type.", crate::config::label(field)),
        )
        .into()
    })
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
        set("retryAfterSeconds", write(&seconds.to_string()));
    }
    if !error.field_errors.is_empty() {
        set("errors", write(&wire::field_errors(&error.field_errors)));
    }
    value
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
        .filter(|s| s.fract() == 0.0 && (0.0..1000.0).contains(s))
        // In range and whole, so the cast is exact.
        .map(|s| {
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let status = s as u16;
            status
        })
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
