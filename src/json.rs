//! Reading JSON answers from the instance: token responses and ServiceNow error bodies.
//!
//! These answers are small objects read for a handful of members, so the reader keeps just that:
//! objects with their members in order, strings decoded, numbers as their text, and arrays checked
//! but not kept. It accepts exactly RFC 8259 JSON (no trailing commas, no comments, no raw control
//! characters in strings) and refuses nesting deeper than [`MAX_DEPTH`] and bodies larger than
//! [`MAX_JSON_BYTES`], so a hostile answer cannot exhaust the stack or the memory. A general JSON
//! library with a map type cost over 12 KB of wasm for this; the reader is fuzzed and property-tested
//! instead (`fuzz/`, `tests/properties.rs`).

/// Bodies larger than this are not parsed: no token or error answer comes near it.
pub(crate) const MAX_JSON_BYTES: usize = 256 * 1024;
/// Deeper nesting is refused (ServiceNow's answers nest two levels).
pub(crate) const MAX_DEPTH: usize = 32;

/// A JSON value. Numbers keep their text, so no float parsing is needed to read integers.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Value {
    /// `null`
    Null,
    /// `true` or `false`
    Bool(bool),
    /// A number, as its JSON text.
    Number(String),
    /// A decoded string.
    String(String),
    /// An array.
    Array(Vec<Value>),
    /// An object.
    Object(Object),
}

/// An object's members in document order. Lookups take the first member of a name.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Object(Vec<(String, Value)>);

impl Object {
    /// The first member of this name.
    pub(crate) fn get(&self, key: &str) -> Option<&Value> {
        self.0
            .iter()
            .find(|(name, _)| name == key)
            .map(|(_, value)| value)
    }
}

/// Exactly one JSON value of at most `max_bytes`, or `None` (too large, too deep, not UTF-8, not JSON).
pub(crate) fn parse_value(text: &[u8], max_bytes: usize) -> Option<Value> {
    if text.len() > max_bytes {
        return None;
    }
    let mut parser = Parser { bytes: text, at: 0 };
    let value = parser.value(0)?;
    parser.skip_whitespace();
    (parser.at == text.len()).then_some(value)
}

/// The body as a JSON object, or `None` when it is not exactly one (or too large, too deep, not UTF-8).
pub(crate) fn parse_object(body: &[u8]) -> Option<Object> {
    match parse_value(body, MAX_JSON_BYTES)? {
        Value::Object(object) => Some(object),
        _ => None,
    }
}

/// A JSON number's text as a non-negative integer below 2^53, when it is written as plain digits.
pub(crate) fn integer(text: &str) -> Option<u64> {
    let digits = !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
    digits
        .then(|| text.parse::<u64>().ok())
        .flatten()
        .filter(|&n| n < (1 << 53))
}

/// Whether the object has a member of this name.
pub(crate) fn has(object: &Object, key: &str) -> bool {
    object.get(key).is_some()
}

/// A string member, when present and a string.
pub(crate) fn string<'a>(object: &'a Object, key: &str) -> Option<&'a str> {
    match object.get(key)? {
        Value::String(value) => Some(value),
        _ => None,
    }
}

/// An object member, when present and an object.
pub(crate) fn object<'a>(object: &'a Object, key: &str) -> Option<&'a Object> {
    match object.get(key)? {
        Value::Object(inner) => Some(inner),
        _ => None,
    }
}

/// A non-negative integer member given as a number or a numeric string (`3600`, `"3600"`,
/// `3600.5`); a fraction is cut off. Exponents, signs and values of 2^53 or more are refused.
pub(crate) fn lenient_u64(object: &Object, key: &str) -> Option<u64> {
    let text = match object.get(key)? {
        Value::Number(text) => text.as_str(),
        Value::String(text) => text.trim(),
        _ => return None,
    };
    let (whole, fraction) = text.split_once('.').unwrap_or((text, "0"));
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !(digits(whole) && digits(fraction)) {
        return None;
    }
    whole.parse::<u64>().ok().filter(|&n| n < (1 << 53))
}

struct Parser<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn next(&mut self) -> Option<u8> {
        let byte = self.peek()?;
        self.at += 1;
        Some(byte)
    }

    fn skip_whitespace(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    fn expect(&mut self, literal: &[u8]) -> Option<()> {
        let end = self.at.checked_add(literal.len())?;
        (self.bytes.get(self.at..end)? == literal).then(|| self.at = end)
    }

    fn value(&mut self, depth: usize) -> Option<Value> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.skip_whitespace();
        match self.peek()? {
            b'{' => self.object(depth).map(Value::Object),
            b'[' => self.array(depth).map(Value::Array),
            b'"' => self.string().map(Value::String),
            b't' => self.expect(b"true").map(|()| Value::Bool(true)),
            b'f' => self.expect(b"false").map(|()| Value::Bool(false)),
            b'n' => self.expect(b"null").map(|()| Value::Null),
            b'-' | b'0'..=b'9' => self.number().map(Value::Number),
            _ => None,
        }
    }

    fn object(&mut self, depth: usize) -> Option<Object> {
        self.expect(b"{")?;
        let mut members = Vec::new();
        self.skip_whitespace();
        if self.peek() == Some(b'}') {
            self.at += 1;
            return Some(Object(members));
        }
        loop {
            self.skip_whitespace();
            let name = self.string()?;
            self.skip_whitespace();
            self.expect(b":")?;
            let value = self.value(depth + 1)?;
            members.push((name, value));
            self.skip_whitespace();
            match self.next()? {
                b',' => {}
                b'}' => return Some(Object(members)),
                _ => return None,
            }
        }
    }

    fn array(&mut self, depth: usize) -> Option<Vec<Value>> {
        self.expect(b"[")?;
        let mut items = Vec::new();
        self.skip_whitespace();
        if self.peek() == Some(b']') {
            self.at += 1;
            return Some(items);
        }
        loop {
            items.push(self.value(depth + 1)?);
            self.skip_whitespace();
            match self.next()? {
                b',' => {}
                b']' => return Some(items),
                _ => return None,
            }
        }
    }

    /// RFC 8259 §6: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`, kept as text.
    fn number(&mut self) -> Option<String> {
        let start = self.at;
        if self.peek() == Some(b'-') {
            self.at += 1;
        }
        match self.next()? {
            b'0' => {}
            b'1'..=b'9' => self.digits(),
            _ => return None,
        }
        if self.peek() == Some(b'.') {
            self.at += 1;
            self.required_digits()?;
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.at += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.at += 1;
            }
            self.required_digits()?;
        }
        let text = self.bytes.get(start..self.at)?;
        core::str::from_utf8(text).ok().map(str::to_owned)
    }

    fn digits(&mut self) {
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.at += 1;
        }
    }

    fn required_digits(&mut self) -> Option<()> {
        let start = self.at;
        self.digits();
        (self.at > start).then_some(())
    }

    /// RFC 8259 §7, with lone surrogates in `\u` escapes replaced by U+FFFD.
    fn string(&mut self) -> Option<String> {
        self.expect(b"\"")?;
        let mut out = Vec::new();
        loop {
            // Copy the run up to the next quote, escape or control byte in one go.
            let run = self
                .bytes
                .get(self.at..)?
                .iter()
                .position(|&b| b == b'"' || b == b'\\' || b < 0x20)?;
            out.extend_from_slice(self.bytes.get(self.at..self.at + run)?);
            self.at += run;
            match self.next()? {
                b'"' => return String::from_utf8(out).ok(),
                b'\\' => {
                    let escaped = match self.next()? {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => self.unicode_escape()?,
                        _ => return None,
                    };
                    let mut buffer = [0u8; 4];
                    out.extend_from_slice(escaped.encode_utf8(&mut buffer).as_bytes());
                }
                byte if byte < 0x20 => return None,
                byte => out.push(byte),
            }
        }
    }

    fn hex4(&mut self) -> Option<u32> {
        let end = self.at.checked_add(4)?;
        let text = core::str::from_utf8(self.bytes.get(self.at..end)?).ok()?;
        if !text.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        self.at = end;
        u32::from_str_radix(text, 16).ok()
    }

    /// A `\\u` escape, or a surrogate pair of two. A lone surrogate is refused: it stands for no
    /// character, and replacing it would make two different inputs read the same.
    fn unicode_escape(&mut self) -> Option<char> {
        let high = self.hex4()?;
        let code = if (0xD800..0xDC00).contains(&high) {
            self.expect(b"\\u")?;
            let low = self.hex4().filter(|low| (0xDC00..0xE000).contains(low))?;
            0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
        } else {
            high
        };
        char::from_u32(code)
    }
}

/// Builds one JSON object as text, member by member.
pub(crate) struct ObjectWriter {
    out: String,
    empty: bool,
}

impl ObjectWriter {
    pub(crate) fn new() -> Self {
        Self {
            out: String::from("{"),
            empty: true,
        }
    }

    fn key(&mut self, key: &str) {
        if !self.empty {
            self.out.push(',');
        }
        self.empty = false;
        write_string(&mut self.out, key);
        self.out.push(':');
    }

    /// A member whose value is already JSON text.
    pub(crate) fn raw(mut self, key: &str, json: &str) -> Self {
        self.key(key);
        self.out.push_str(json);
        self
    }

    pub(crate) fn string(mut self, key: &str, value: &str) -> Self {
        self.key(key);
        write_string(&mut self.out, value);
        self
    }

    pub(crate) fn number(self, key: &str, value: u64) -> Self {
        self.raw(key, &value.to_string())
    }

    pub(crate) fn signed(self, key: &str, value: i64) -> Self {
        self.raw(key, &value.to_string())
    }

    pub(crate) fn bool(self, key: &str, value: bool) -> Self {
        self.raw(key, if value { "true" } else { "false" })
    }

    /// The member only when there is a value.
    pub(crate) fn some_string(self, key: &str, value: Option<&str>) -> Self {
        match value {
            Some(value) => self.string(key, value),
            None => self,
        }
    }

    /// The member only when there is a value.
    pub(crate) fn some_number(self, key: &str, value: Option<u64>) -> Self {
        match value {
            Some(value) => self.number(key, value),
            None => self,
        }
    }

    /// `null` when there is no value.
    pub(crate) fn string_or_null(self, key: &str, value: Option<&str>) -> Self {
        match value {
            Some(value) => self.string(key, value),
            None => self.raw(key, "null"),
        }
    }

    /// `null` when there is no value.
    pub(crate) fn number_or_null(self, key: &str, value: Option<u64>) -> Self {
        match value {
            Some(value) => self.number(key, value),
            None => self.raw(key, "null"),
        }
    }

    /// `null` when there is no value.
    pub(crate) fn signed_or_null(self, key: &str, value: Option<i64>) -> Self {
        match value {
            Some(value) => self.signed(key, value),
            None => self.raw(key, "null"),
        }
    }

    pub(crate) fn finish(mut self) -> String {
        self.out.push('}');
        self.out
    }
}

/// `[a,b,…]` from items that are already JSON text.
pub(crate) fn array(items: impl IntoIterator<Item = String>) -> String {
    let mut out = String::from("[");
    for (index, item) in items.into_iter().enumerate() {
        if index > 0 {
            out.push(',');
        }
        out.push_str(&item);
    }
    out.push(']');
    out
}

/// A JSON string literal (RFC 8259 §7): quotes, backslashes and control characters escaped.
/// Runs of plain characters are copied whole, which matters for speed in wasm.
pub(crate) fn write_string(out: &mut String, value: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('"');
    let mut start = 0;
    for (index, byte) in value.bytes().enumerate() {
        let escape = match byte {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0..=0x1f => "",
            _ => continue,
        };
        // Escaped bytes are ASCII, so these slice bounds are character boundaries.
        out.push_str(value.get(start..index).unwrap_or_default());
        start = index + 1;
        if escape.is_empty() {
            out.push_str("\\u00");
            for digit in [byte >> 4, byte & 0xf] {
                out.push(char::from(
                    HEX.get(usize::from(digit)).copied().unwrap_or(b'0'),
                ));
            }
        } else {
            out.push_str(escape);
        }
    }
    out.push_str(value.get(start..).unwrap_or_default());
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Option<Object> {
        parse_object(text.as_bytes())
    }

    #[test]
    fn reads_members_tolerantly() {
        let object = parse(
            r#"{"a":"x","n":1799,"s":" 3600 ","sf":"3600.9","f":12.9,"neg":-5,"big":1e300,"bad":"soon","e":"1e3","huge":9007199254740993,"o":{"k":"v"}}"#,
        )
        .unwrap();
        assert_eq!(string(&object, "a"), Some("x"));
        assert_eq!(string(&object, "n"), None);
        assert_eq!(lenient_u64(&object, "n"), Some(1799));
        assert_eq!(lenient_u64(&object, "s"), Some(3600));
        assert_eq!(lenient_u64(&object, "sf"), Some(3600));
        assert_eq!(lenient_u64(&object, "f"), Some(12));
        assert_eq!(lenient_u64(&object, "neg"), None);
        assert_eq!(lenient_u64(&object, "big"), None);
        assert_eq!(lenient_u64(&object, "bad"), None);
        assert_eq!(lenient_u64(&object, "e"), None);
        assert_eq!(lenient_u64(&object, "huge"), None);
        assert_eq!(lenient_u64(&object, "missing"), None);
        assert_eq!(string(super::object(&object, "o").unwrap(), "k"), Some("v"));
        assert!(super::object(&object, "a").is_none());
        assert!(has(&object, "o") && !has(&object, "p"));
    }

    #[test]
    fn decodes_string_escapes() {
        let object = parse(r#"{"s":"a\"b\\c\/d\b\f\n\r\t\u00e9\ud83d\ude00x"}"#).unwrap();
        assert_eq!(string(&object, "s"), Some("a\"b\\c/d\u{8}\u{c}\n\r\té😀x"));
        let raw = parse("{\"s\":\"é\"}").unwrap();
        assert_eq!(string(&raw, "s"), Some("é"));
        for lone in [
            r#"{"s":"\ud800x"}"#,
            r#"{"s":"\udc00"}"#,
            r#"{"s":"\ud800\u0041"}"#,
        ] {
            assert!(parse(lone).is_none(), "{lone}");
        }
    }

    #[test]
    fn whitespace_nesting_and_first_member_wins() {
        let object =
            parse(" \n{ \"a\" : [1, {\"b\":[]}, true, false, null] ,\r\n\t\"a\":\"second\" } \n")
                .unwrap();
        assert!(matches!(object.get("a"), Some(Value::Array(items)) if items.len() == 5));
        assert!(parse("{}").is_some());
    }

    #[test]
    fn refuses_what_is_not_exactly_one_json_object() {
        for text in [
            "",
            "[1,2]",
            "\"s\"",
            "<html>",
            "{",
            "{\"a\":1,}",
            "{\"a\":1}x",
            "{\"a\":1}{}",
            "{a:1}",
            "{'a':1}",
            "{\"a\":01}",
            "{\"a\":1.}",
            "{\"a\":.5}",
            "{\"a\":1e}",
            "{\"a\":-}",
            "{\"a\":+1}",
            "{\"a\":tru}",
            "{\"a\":\"\u{1}\"}",
            "{\"a\":\"\\x\"}",
            "{\"a\":\"\\u12\"}",
            "{\"a\":\"unterminated}",
            "{\"a\" 1}",
            "{\"a\":[1 2]}",
            "{\"a\":[1,]}",
            "// comment\n{}",
        ] {
            assert!(parse(text).is_none(), "{text:?}");
        }
        assert!(parse_object(&[b'{', b'"', 0xff, b'"', b':', b'1', b'}']).is_none());
    }

    #[test]
    fn writes_json_that_reads_back() {
        let text = ObjectWriter::new()
            .string("s", "q\"b\\n\nt\u{1}é")
            .number("n", 1_700_000_000_000)
            .signed("neg", -3)
            .bool("t", true)
            .some_string("absent", None)
            .string_or_null("null", None)
            .raw("arr", &array(["1".to_owned(), "\"x\"".to_owned()]))
            .finish();
        assert_eq!(
            text,
            r#"{"s":"q\"b\\n\nt\u0001é","n":1700000000000,"neg":-3,"t":true,"null":null,"arr":[1,"x"]}"#
        );
        let object = parse(&text).unwrap();
        assert_eq!(string(&object, "s"), Some("q\"b\\n\nt\u{1}é"));
        assert_eq!(object.get("t"), Some(&Value::Bool(true)));
        assert_eq!(object.get("null"), Some(&Value::Null));
        assert_eq!(ObjectWriter::new().finish(), "{}");
    }

    #[test]
    fn integers_are_plain_digits_below_2_pow_53() {
        assert_eq!(integer("0"), Some(0));
        assert_eq!(integer("1700000000000"), Some(1_700_000_000_000));
        for text in ["", "-1", "1.5", "1e3", "9007199254740992", "+1", " 1"] {
            assert_eq!(integer(text), None, "{text}");
        }
    }

    #[test]
    fn refuses_oversized_bodies() {
        let mut big = b"{\"a\":\"".to_vec();
        big.resize(MAX_JSON_BYTES + 10, b'x');
        big.extend_from_slice(b"\"}");
        assert!(parse_object(&big).is_none());
    }

    #[test]
    fn deep_nesting_is_refused_without_overflow() {
        let ok = format!(
            "{{\"a\":{}{}}}",
            "[".repeat(MAX_DEPTH - 1),
            "]".repeat(MAX_DEPTH - 1)
        );
        assert!(parse(&ok).is_some());
        let deep = format!(
            "{{\"a\":{}{}}}",
            "[".repeat(MAX_DEPTH + 1),
            "]".repeat(MAX_DEPTH + 1)
        );
        assert!(parse(&deep).is_none());
        let hostile = format!("{{\"a\":{}", "[".repeat(100_000));
        assert!(parse(&hostile).is_none());
    }
}
