//! Moving values across the JavaScript boundary.
//!
//! Plain data crosses as one JSON text each way: `JSON.stringify` in, read by serde_json within the
//! bounds of `json_limits`; `serde_json::to_string` out, turned into objects by `JSON.parse`. Reading
//! member by member instead would cost a boundary crossing per member. Two things cannot be JSON:
//! response bodies (bytes, read straight from their `Uint8Array`) and errors, which become real
//! `Error` objects named `ConnectionError` with `code`, `retryable` and, where known, `field`,
//! `status`, `detail`, `retryAfterSeconds`, `hint` and `errors`.

use js_sys::{JSON, Reflect};
use serde::Serialize;
use wasm_bindgen::{JsCast, JsValue};

use crate::error::Error;
use crate::field::wrong_type;
use crate::http::{HttpResponse, TransportError};
use crate::json_limits::unreadable;

/// A JavaScript value as JSON text; `undefined` reads as `null`.
pub(crate) fn json_text(value: &JsValue, field: &'static str) -> Result<String, Error> {
    if value.is_undefined() || value.is_null() {
        return Ok("null".to_owned());
    }
    JSON::stringify(value)
        .ok()
        .and_then(|text| text.as_string())
        .ok_or_else(|| unreadable(field, "it must be plain data (objects, strings, numbers)"))
}

/// A result as a JavaScript value.
pub(crate) fn to_js<T: Serialize>(value: &T) -> JsValue {
    // Every shape written here serialises (no maps with non-string keys), and its text parses.
    serde_json::to_string(value)
        .ok()
        .and_then(|text| JSON::parse(&text).ok())
        .unwrap_or(JsValue::UNDEFINED)
}

/// A member of a JavaScript object, or `undefined`.
pub(crate) fn member(object: &JsValue, key: &str) -> JsValue {
    if object.is_object() {
        Reflect::get(object, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
    } else {
        JsValue::UNDEFINED
    }
}

/// A string argument, or an `invalid_type` error for `field`.
pub(crate) fn string_arg(value: &JsValue, field: &'static str) -> Result<String, Error> {
    value.as_string().ok_or_else(|| wrong_type(field).into())
}

/// An optional string argument (`undefined` and `null` read as absent).
pub(crate) fn optional_string_arg(
    value: &JsValue,
    field: &'static str,
) -> Result<Option<String>, Error> {
    if value.is_undefined() || value.is_null() {
        Ok(None)
    } else {
        string_arg(value, field).map(Some)
    }
}

/// Milliseconds since the epoch: the caller's clock when given (tests, replays), else `Date.now()`.
pub(crate) fn time(value: &JsValue) -> u64 {
    milliseconds(value.as_f64().unwrap_or_else(js_sys::Date::now))
}

/// `Date.now()`.
pub(crate) fn now() -> u64 {
    milliseconds(js_sys::Date::now())
}

fn milliseconds(ms: f64) -> u64 {
    // Bounded below 2^53, so the cast is exact after truncation.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    if (0.0..9.0e15).contains(&ms) {
        ms as u64
    } else {
        0
    }
}

/// The error as a thrown `ConnectionError`.
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
        set("retryAfterSeconds", to_js(&seconds));
    }
    if let Some(hint) = error.hint {
        set("hint", hint.into());
    }
    if !error.field_errors.is_empty() {
        set("errors", to_js(&error.field_errors));
    }
    value
}

/// The headers the core reads from answers: `content-type` first (read on every answer), then the
/// rate-limit headers (read on answers that are not 2xx).
pub(crate) const RESPONSE_HEADERS: [&str; 3] = ["content-type", "retry-after", "x-ratelimit-reset"];

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
