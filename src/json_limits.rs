//! JSON read through `serde_json` within bounds: a size limit and a nesting limit checked before
//! parsing, and serde's error texts kept away from people.
//!
//! Answers from an instance and arguments from JavaScript are small objects, so anything larger than
//! the limits here is refused unread. serde_json's own recursion limit is 128 levels; a linear pre-scan
//! over the bytes outside strings refuses more than [`MAX_DEPTH`] first, so a hostile text can exhaust
//! neither the stack nor the memory. serde_json itself refuses what RFC 8259 does not allow, and, when
//! reading into `String` and `f64`, lone surrogate escapes (`"\ud800"`) and numbers out of range
//! (`1e400`). The top level must be an object where one is expected: serde's derived readers also
//! accept a struct written as an array, which no caller means. serde's messages can quote the value
//! they failed on, a secret included, so they are replaced by messages that name the field: the
//! member whose value holds the position serde_json reports.

use core::fmt;

use serde::Deserialize;
use serde::de::{self, DeserializeOwned, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::error::{Error, ErrorCode, FieldCode};
use crate::field::{known, label, wrong_type};

/// Deeper nesting is refused (ServiceNow's answers and the package's arguments nest two levels).
pub(crate) const MAX_DEPTH: usize = 32;
/// Answer bodies larger than this are not parsed: no token or error answer comes near it.
pub(crate) const MAX_ANSWER_BYTES: usize = 256 * 1024;
/// The largest JSON text accepted from JavaScript for one argument.
pub(crate) const MAX_ARGUMENT_BYTES: usize = 1 << 20;

/// What the top level of an argument must be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Shape {
    /// `{…}`
    Object,
    /// `[…]` (read by the JavaScript bindings only: the previous sealing keys)
    #[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
    Array,
    /// `{…}`, and anything else reads as `null`.
    ObjectOrNull,
}

/// Why a text was not parsed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// Longer than the limit.
    TooLarge,
    /// Nested deeper than [`MAX_DEPTH`].
    TooDeep,
}

/// The first byte of the top-level value (after whitespace), once the text is known to nest at most
/// [`MAX_DEPTH`] levels. Only brackets outside strings count; everything else is serde_json's job.
pub(crate) fn scan(text: &[u8], max_bytes: usize) -> Result<Option<u8>, Refusal> {
    if text.len() > max_bytes {
        return Err(Refusal::TooLarge);
    }
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for &byte in text {
        if in_string {
            match (escaped, byte) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'{' | b'[' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Err(Refusal::TooDeep);
                }
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(text
        .iter()
        .copied()
        .find(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r')))
}

/// An answer body as `T` when it is one JSON object within the bounds that reads as `T`; `None`
/// otherwise (too large, too deep, not UTF-8, not JSON, not an object, members of the wrong type).
pub(crate) fn answer_object<T: DeserializeOwned>(body: &[u8]) -> Option<T> {
    match scan(body, MAX_ANSWER_BYTES) {
        Ok(Some(b'{')) => serde_json::from_slice(body).ok(),
        _ => None,
    }
}

/// An argument's JSON text (from `JSON.stringify`) as `T`; `None` for `null`. A member of the wrong
/// type is an `invalid_type` error for that member when it is a known field, else for `field`.
pub(crate) fn argument<T: DeserializeOwned>(
    text: &str,
    field: &'static str,
    shape: Shape,
) -> Result<Option<T>, Error> {
    let first = scan(text.as_bytes(), MAX_ARGUMENT_BYTES).map_err(|refusal| match refusal {
        Refusal::TooLarge => unreadable(
            field,
            &format!("it is larger than {MAX_ARGUMENT_BYTES} bytes"),
        ),
        Refusal::TooDeep => unreadable(
            field,
            &format!("it must be plain data nested at most {MAX_DEPTH} levels deep"),
        ),
    })?;
    if text.trim() == "null" {
        return Ok(None);
    }
    match (first, shape) {
        (Some(b'{'), Shape::Object | Shape::ObjectOrNull) | (Some(b'['), Shape::Array) => {}
        (_, Shape::ObjectOrNull) => return Ok(None),
        _ => return Err(wrong_type(field).into()),
    }
    let not_plain_data = || {
        unreadable(
            field,
            "it must be plain data (objects, strings, numbers) with valid text",
        )
    };
    // from_slice for arguments and answers alike: one instance of the reader in the wasm.
    serde_json::from_slice(text.as_bytes())
        .map(Some)
        .map_err(|error| {
            if error.classify() == serde_json::error::Category::Data {
                let member = (error.line() == 1)
                    .then(|| member_at(text, error.column()))
                    .flatten()
                    .and_then(known);
                wrong_type(member.unwrap_or(field)).into()
            } else {
                not_plain_data()
            }
        })
}

/// The name of the top-level member whose value ends at or before byte `position` of one-line JSON
/// text (serde_json reports the position just after the value it could not read): the last member
/// name met at depth 1 before it.
fn member_at(text: &str, position: usize) -> Option<&str> {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    let mut expect_name = false;
    let mut name_start = None;
    let mut member = None;
    for (index, &byte) in bytes.iter().enumerate().take(position) {
        if in_string {
            match (escaped, byte) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => {
                    in_string = false;
                    if let Some(start) = name_start.take() {
                        member = text.get(start..index);
                    }
                }
                _ => {}
            }
            continue;
        }
        match byte {
            b'"' => {
                in_string = true;
                if depth == 1 && expect_name {
                    name_start = Some(index + 1);
                    expect_name = false;
                }
            }
            b'{' | b'[' => {
                depth += 1;
                expect_name = depth == 1 && byte == b'{';
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            b',' if depth == 1 => expect_name = true,
            _ => {}
        }
    }
    member
}

/// One member read without a type in mind, so that a wrong type is one more problem to report rather
/// than the end of reading (the settings form). Nested arrays and objects are skipped unread.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) enum Loose {
    /// `null` (or absent).
    #[default]
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number.
    Number(f64),
    /// A string.
    Text(String),
    /// An array or an object.
    Other,
}

impl<'de> Deserialize<'de> for Loose {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(LooseVisitor)
    }
}

struct LooseVisitor;

impl<'de> Visitor<'de> for LooseVisitor {
    type Value = Loose;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("any JSON value")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Loose, E> {
        Ok(Loose::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Loose, E> {
        Ok(Loose::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Loose, D::Error> {
        Loose::deserialize(deserializer)
    }

    fn visit_bool<E: de::Error>(self, value: bool) -> Result<Loose, E> {
        Ok(Loose::Bool(value))
    }

    // Millisecond and second counts stay far below 2^53, where f64 is exact.
    #[allow(clippy::cast_precision_loss)]
    fn visit_u64<E: de::Error>(self, value: u64) -> Result<Loose, E> {
        Ok(Loose::Number(value as f64))
    }

    #[allow(clippy::cast_precision_loss)]
    fn visit_i64<E: de::Error>(self, value: i64) -> Result<Loose, E> {
        Ok(Loose::Number(value as f64))
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<Loose, E> {
        Ok(Loose::Number(value))
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Loose, E> {
        Ok(Loose::Text(value.to_owned()))
    }

    fn visit_string<E: de::Error>(self, value: String) -> Result<Loose, E> {
        Ok(Loose::Text(value))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Loose, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Loose::Other)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Loose, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Loose::Other)
    }
}

/// An input that is not plain data, as an error for `field`.
pub(crate) fn unreadable(field: &'static str, why: &str) -> Error {
    Error::new(
        ErrorCode::Field(FieldCode::InvalidType),
        format!("{} could not be read: {why}.", label(field)),
    )
    .with_field(field)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(rename_all = "camelCase")]
    struct Probe {
        code: Option<String>,
        expires_at: Option<u64>,
        amount: Option<f64>,
    }

    fn probe(text: &str) -> Result<Option<Probe>, Error> {
        argument(text, "grant", Shape::Object)
    }

    #[test]
    fn reads_objects_and_null() {
        let read = probe(r#"{"code":"c","expiresAt":5,"extra":[1,{"x":null}]}"#)
            .unwrap()
            .unwrap();
        assert_eq!(read.code.as_deref(), Some("c"));
        assert_eq!(read.expires_at, Some(5));
        assert!(probe("null").unwrap().is_none());
    }

    #[test]
    fn wrong_types_name_the_member() {
        let error = probe(r#"{"code":7}"#).unwrap_err();
        assert_eq!(
            (error.code.as_str(), error.field),
            ("invalid_type", Some("code"))
        );
        let error = probe(r#"{"expiresAt":1.5}"#).unwrap_err();
        assert_eq!(error.field, Some("expiresAt"));
        // Not an object at the top: the argument itself has the wrong type.
        for text in ["[\"c\"]", "7", "\"x\""] {
            assert_eq!(probe(text).unwrap_err().field, Some("grant"), "{text}");
        }
    }

    #[test]
    fn lone_surrogates_and_infinite_numbers_are_refused() {
        for text in [
            r#"{"code":"\ud800"}"#,
            r#"{"code":"\udc00x"}"#,
            r#"{"code":"\ud800\u0041"}"#,
            r#"{"amount":1e400}"#,
            r#"{"amount":-1e400}"#,
        ] {
            let error = probe(text).unwrap_err();
            assert_eq!(error.field, Some("grant"), "{text}");
            assert!(error.message.contains("could not be read"), "{text}");
        }
        // A surrogate pair is a character.
        let pair = probe(r#"{"code":"\ud83d\ude00"}"#).unwrap().unwrap();
        assert_eq!(pair.code.as_deref(), Some("😀"));
    }

    #[test]
    fn serde_texts_never_reach_the_message() {
        // serde would quote the value: "invalid type: string \"SECRET…\", expected u64".
        let error = probe(r#"{"expiresAt":"SECRET-value-123"}"#).unwrap_err();
        assert!(!error.message.contains("SECRET"), "{}", error.message);
        let error = probe(r#"{"code":"SECRET-value-123"#).unwrap_err();
        assert!(!error.message.contains("SECRET"), "{}", error.message);
        let error = probe(r#"{"code":"a"} SECRET"#).unwrap_err();
        assert!(!error.message.contains("SECRET"), "{}", error.message);
    }

    #[test]
    fn members_are_found_by_position() {
        let text = r#"{"a":{"b":[1,"x"]},"code":7,"c":"\"q\"","d":null}"#;
        let at = |needle: &str| member_at(text, text.find(needle).unwrap() + needle.len());
        assert_eq!(at("[1"), Some("a"));
        assert_eq!(at(":7"), Some("code"));
        assert_eq!(at("q\\\""), Some("c"));
        assert_eq!(at("null"), Some("d"));
        assert_eq!(member_at(text, 1), None);
        assert_eq!(member_at("[1,2]", 4), None);
    }

    #[test]
    fn loose_members_read_any_value() {
        #[derive(Deserialize)]
        struct Document {
            a: Option<Loose>,
            b: Option<Loose>,
            c: Option<Loose>,
            d: Option<Loose>,
            e: Option<Loose>,
            f: Option<Loose>,
        }
        let read: Document = serde_json::from_str(
            r#"{"a":"x","b":15000,"c":-1.5,"d":true,"e":{"k":[1,{"z":null}]},"f":null}"#,
        )
        .unwrap();
        assert_eq!(read.a, Some(Loose::Text("x".to_owned())));
        assert_eq!(read.b, Some(Loose::Number(15000.0)));
        assert_eq!(read.c, Some(Loose::Number(-1.5)));
        assert_eq!(read.d, Some(Loose::Bool(true)));
        assert_eq!(read.e, Some(Loose::Other));
        assert_eq!(read.f, None);
    }

    #[test]
    fn size_and_depth_are_bounded_before_parsing() {
        let big = format!("{{\"code\":\"{}\"}}", "x".repeat(MAX_ARGUMENT_BYTES));
        assert!(probe(&big).unwrap_err().message.contains("larger than"));
        let ok = format!(
            "{{\"extra\":{}{}}}",
            "[".repeat(MAX_DEPTH - 1),
            "]".repeat(MAX_DEPTH - 1)
        );
        assert!(probe(&ok).is_ok());
        let deep = format!(
            "{{\"extra\":{}{}}}",
            "[".repeat(MAX_DEPTH),
            "]".repeat(MAX_DEPTH)
        );
        assert!(probe(&deep).unwrap_err().message.contains("32 levels"));
        let hostile = format!("{{\"extra\":{}", "[".repeat(100_000));
        assert!(probe(&hostile).is_err());
        // Brackets inside strings do not count, escaped quotes do not end them.
        let quoted = format!("{{\"code\":\"\\\"{}\"}}", "[".repeat(100));
        assert!(probe(&quoted).is_ok());
    }

    #[test]
    fn answers_must_be_one_object() {
        #[derive(Deserialize)]
        struct Answer {
            access_token: Option<String>,
        }
        let read = |text: &str| answer_object::<Answer>(text.as_bytes()).map(|a| a.access_token);
        assert_eq!(
            read(r#" {"access_token":"a","x":1} "#),
            Some(Some("a".to_owned()))
        );
        for text in [
            "",
            "[\"a\"]",
            "\"s\"",
            "{",
            "{\"access_token\":\"a\",}",
            "{\"access_token\":\"a\"}x",
            "{\"access_token\":\"a\"}{}",
            "{'a':1}",
            "// c\n{}",
        ] {
            assert!(read(text).is_none(), "{text:?}");
        }
        assert!(answer_object::<Answer>(&[b'{', b'"', 0xff, b'"', b':', b'1', b'}']).is_none());
        let mut big = b"{\"a\":\"".to_vec();
        big.resize(MAX_ANSWER_BYTES + 10, b'x');
        big.extend_from_slice(b"\"}");
        assert!(answer_object::<Answer>(&big).is_none());
    }
}
