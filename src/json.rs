//! Reading JSON answers from the instance.
//!
//! Token responses and ServiceNow error bodies are read as a generic value and then picked apart by
//! hand, which is what tolerant parsing needs (`expires_in` as a number or a numeric string, unknown
//! fields ignored). `miniserde` parses without recursion, so hostile nesting cannot overflow the stack,
//! and costs a fraction of `serde_json` in wasm.

use miniserde::json::{Number, Object, Value};

/// Bodies larger than this are not parsed: no token or error answer comes near it.
pub(crate) const MAX_JSON_BYTES: usize = 256 * 1024;

/// The body as a JSON object, or `None` when it is not one (or is too large, or not UTF-8).
pub(crate) fn parse_object(body: &[u8]) -> Option<Object> {
    if body.len() > MAX_JSON_BYTES {
        return None;
    }
    let text = core::str::from_utf8(body).ok()?;
    match miniserde::json::from_str::<Value>(text).ok()? {
        Value::Object(object) => Some(object),
        _ => None,
    }
}

/// A string member, when present and a string.
pub(crate) fn string<'a>(object: &'a Object, key: &str) -> Option<&'a str> {
    match object.get(key)? {
        Value::String(value) => Some(value),
        _ => None,
    }
}

/// A non-negative integer member given as a number or a numeric string; fractions are cut off.
pub(crate) fn lenient_u64(object: &Object, key: &str) -> Option<u64> {
    match object.get(key)? {
        Value::Number(Number::U64(n)) => Some(*n),
        Value::Number(Number::I64(n)) => u64::try_from(*n).ok(),
        Value::Number(Number::F64(n)) => float_to_u64(*n),
        Value::String(text) => {
            // Digits with an optional fraction, which is cut off. Parsing the text as a float instead
            // would link the float parser's tables (over 10 KB of wasm) for this one case.
            let text = text.trim();
            let (whole, fraction) = text.split_once('.').unwrap_or((text, "0"));
            let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
            (digits(whole) && digits(fraction))
                .then(|| whole.parse::<u64>().ok())
                .flatten()
        }
        _ => None,
    }
}

/// A finite, non-negative number below 2^53 (JavaScript's exact integers), fraction cut off.
pub(crate) fn float_to_u64(value: f64) -> Option<u64> {
    // Bounded to below 2^53, so the cast is exact after truncation.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    (0.0..9.0e15).contains(&value).then_some(value as u64)
}

/// An object member, when present and an object.
pub(crate) fn object<'a>(object: &'a Object, key: &str) -> Option<&'a Object> {
    match object.get(key)? {
        Value::Object(inner) => Some(inner),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_members_tolerantly() {
        let object = parse_object(
            br#"{"a":"x","n":1799,"s":" 3600 ","sf":"3600.9","f":12.9,"neg":-5,"big":1e300,"bad":"soon","e":"1e3","o":{"k":"v"}}"#,
        )
        .unwrap();
        assert_eq!(string(&object, "a"), Some("x"));
        assert_eq!(string(&object, "n"), None);
        assert_eq!(lenient_u64(&object, "n"), Some(1799));
        assert_eq!(lenient_u64(&object, "s"), Some(3600));
        assert_eq!(lenient_u64(&object, "f"), Some(12));
        assert_eq!(lenient_u64(&object, "sf"), Some(3600));
        assert_eq!(lenient_u64(&object, "e"), None);
        assert_eq!(lenient_u64(&object, "neg"), None);
        assert_eq!(lenient_u64(&object, "big"), None);
        assert_eq!(lenient_u64(&object, "bad"), None);
        assert_eq!(lenient_u64(&object, "missing"), None);
        assert_eq!(string(super::object(&object, "o").unwrap(), "k"), Some("v"));
        assert!(super::object(&object, "a").is_none());
    }

    #[test]
    fn refuses_non_objects_and_oversized_bodies() {
        assert!(parse_object(b"[1,2]").is_none());
        assert!(parse_object(b"<html>").is_none());
        assert!(parse_object(&[0xff, 0xfe]).is_none());
        let mut big = b"{\"a\":\"".to_vec();
        big.resize(MAX_JSON_BYTES + 10, b'x');
        big.extend_from_slice(b"\"}");
        assert!(parse_object(&big).is_none());
    }

    #[test]
    fn deep_nesting_does_not_overflow() {
        let depth = 100_000;
        let body = format!("{{\"a\":{}{}}}", "[".repeat(depth), "]".repeat(depth));
        // Either parsed or refused; the point is that neither parsing nor dropping recurses.
        let _ = parse_object(body.as_bytes());
    }
}
