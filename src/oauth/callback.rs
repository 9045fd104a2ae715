//! The query string the instance sends back to the redirect URI (RFC 6749 §4.1.2, §4.1.2.1).
//!
//! Either `code` and `state`, or `error` (such as `access_denied` when the user clicks Deny) with an
//! optional description. Parameters must not repeat (§3.1), and everything is bounded, because the
//! callback is the one public, unauthenticated route: anyone can call it with anything. Names and
//! values are `application/x-www-form-urlencoded` (`+` is a space, `%XX` a byte); a broken escape or
//! bytes that are not UTF-8 make the whole query refused rather than repaired, as no server sends
//! them.

use percent_encoding::percent_decode_str;
use serde::Serialize;
use tsify::Tsify;

use crate::address::{origin, parse};
use crate::config::ConnectionConfig;
use crate::error::{Error, FieldCode, FieldError, server_text};
use crate::field::{check_text, required};
use crate::secret::{Secret, serialize_exposed};

const MAX_QUERY_BYTES: usize = 8192;

/// What the callback received.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Tsify)]
#[serde(tag = "kind")]
#[tsify(rename = "CallbackResult")]
pub enum Callback {
    /// The user granted access.
    #[serde(rename = "code")]
    Code {
        /// The authorization code.
        #[serde(serialize_with = "serialize_exposed")]
        #[tsify(type = "string")]
        code: Secret,
        /// The state to compare with the one sent.
        state: String,
        /// The issuer, when the server names itself (RFC 9207).
        #[serde(skip_serializing_if = "Option::is_none")]
        issuer: Option<String>,
    },
    /// The authorization server refused or the user denied.
    #[serde(rename = "error")]
    Denied {
        /// The RFC 6749 error code, e.g. `access_denied`.
        error: String,
        /// The server's description, shortened and printable.
        #[serde(rename = "errorDescription", skip_serializing_if = "Option::is_none")]
        description: Option<String>,
        /// The state, when sent back.
        #[serde(skip_serializing_if = "Option::is_none")]
        state: Option<String>,
    },
}

/// Parses a callback query (with or without the leading `?`).
pub fn parse_callback(query: &str) -> Result<Callback, Error> {
    let query = query.strip_prefix('?').unwrap_or(query);
    if query.len() > MAX_QUERY_BYTES {
        return Err(FieldError::new(
            "query",
            FieldCode::TooLong,
            format!("The callback query must be at most {MAX_QUERY_BYTES} bytes."),
        )
        .into());
    }
    let mut code = None;
    let mut state = None;
    let mut error = None;
    let mut description = None;
    let mut issuer = None;
    for pair in query.split('&').filter(|pair| !pair.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let (Some(key), Some(value)) = (decode_component(key), decode_component(value)) else {
            return Err(FieldError::new(
                "query",
                FieldCode::InvalidUrl,
                "The callback query is not valid percent-encoded UTF-8.",
            )
            .into());
        };
        let (slot, field) = match key.as_str() {
            "code" => (&mut code, "code"),
            "state" => (&mut state, "state"),
            "error" => (&mut error, "error"),
            "error_description" => (&mut description, "error_description"),
            "iss" => (&mut issuer, "iss"),
            _ => continue,
        };
        if slot.is_some() {
            return Err(FieldError::new(
                field,
                FieldCode::DuplicateParameter,
                format!("The callback parameter \"{field}\" appears more than once."),
            )
            .into());
        }
        *slot = Some(value);
    }
    let state = state.filter(|s| !s.is_empty());
    if let Some(state) = &state {
        check_text("state", state, 512)?;
    }
    if let Some(error) = error {
        return Ok(Callback::Denied {
            error: server_text(&error).chars().take(64).collect(),
            description: description.map(|d| server_text(&d)),
            state,
        });
    }
    let state = state.ok_or_else(|| Error::from(required("state")))?;
    let code = code
        .filter(|c| !c.is_empty())
        .ok_or_else(|| Error::from(required("code")))?;
    check_text("code", &code, 4096)?;
    Ok(Callback::Code {
        code: Secret::new(code),
        state,
        issuer: issuer.map(|i| server_text(&i)),
    })
}

/// One `application/x-www-form-urlencoded` name or value; `None` for a broken escape or bytes that
/// are not UTF-8.
fn decode_component(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let escapes_valid = bytes.iter().enumerate().all(|(i, &b)| {
        b != b'%'
            || bytes
                .get(i + 1..i + 3)
                .is_some_and(|hex| hex.iter().all(u8::is_ascii_hexdigit))
    });
    if !escapes_valid {
        return None;
    }
    let spaced = text.replace('+', " ");
    percent_decode_str(&spaced)
        .decode_utf8()
        .ok()
        .map(|decoded| decoded.into_owned())
}

/// RFC 9207: when the authorization server names itself in `iss`, it must be this connection's.
/// A ServiceNow instance is its own issuer: its origin, which also serves the authorization URL
/// (a custom authorization URL's origin is accepted too). A trailing slash is ignored.
pub fn issuer_matches(config: &ConnectionConfig, issuer: &str) -> bool {
    let issuer = issuer.trim_end_matches('/');
    let authorization_origin = config
        .oauth()
        .and_then(|oauth| parse(&oauth.authorization_url))
        .map(|url| origin(&url));
    issuer.eq_ignore_ascii_case(&config.instance_url)
        || authorization_origin.is_some_and(|origin| issuer.eq_ignore_ascii_case(&origin))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code_of(query: &str) -> &'static str {
        parse_callback(query).unwrap_err().code.as_str()
    }

    #[test]
    fn code_and_state() {
        let parsed =
            parse_callback("?code=abc%2Bdef&state=s1&iss=https%3A%2F%2Fi.example&x=1").unwrap();
        assert_eq!(
            parsed,
            Callback::Code {
                code: Secret::new("abc+def"),
                state: "s1".to_owned(),
                issuer: Some("https://i.example".to_owned()),
            }
        );
    }

    #[test]
    fn denied_by_the_user() {
        let parsed =
            parse_callback("error=access_denied&error_description=User+said+no%0A&state=s1")
                .unwrap();
        assert_eq!(
            parsed,
            Callback::Denied {
                error: "access_denied".to_owned(),
                description: Some("User said no".to_owned()),
                state: Some("s1".to_owned()),
            }
        );
        assert!(matches!(
            parse_callback("error=x").unwrap(),
            Callback::Denied { state: None, .. }
        ));
    }

    #[test]
    fn refuses_missing_repeated_and_hostile_parameters() {
        assert_eq!(code_of("code=abc"), "required");
        assert_eq!(parse_callback("code=abc").unwrap_err().field, Some("state"));
        assert_eq!(code_of("code=abc&state="), "required");
        assert_eq!(code_of("state=s"), "required");
        assert_eq!(
            parse_callback("state=s&code=").unwrap_err().field,
            Some("code")
        );
        assert_eq!(code_of(""), "required");
        assert_eq!(code_of("code=a&code=b&state=s"), "duplicate_parameter");
        assert_eq!(code_of("code=a&state=s&state=t"), "duplicate_parameter");
        assert_eq!(
            code_of("code=a&state=s%0D%0ASet-Cookie:x"),
            "control_character"
        );
        assert_eq!(code_of("code=a%00&state=s"), "control_character");
        assert_eq!(
            code_of(&format!("code=a&state={}", "s".repeat(513))),
            "too_long"
        );
        assert_eq!(
            code_of(&format!("code=a&state=s&pad={}", "p".repeat(9000))),
            "too_long"
        );
    }

    #[test]
    fn issuer_must_be_the_instance_or_its_authorization_server() {
        let config = |authorization_url: Option<&str>| {
            let mut input =
                crate::test_fixtures::oauth_input("https://dev1.service-now.com/api/now");
            input.authorization_url = authorization_url.map(str::to_owned);
            crate::test_fixtures::config(&input)
        };
        let default = config(None);
        assert!(issuer_matches(&default, "https://dev1.service-now.com"));
        assert!(issuer_matches(&default, "https://DEV1.service-now.com/"));
        assert!(!issuer_matches(&default, "https://evil.example"));
        assert!(!issuer_matches(
            &default,
            "https://dev1.service-now.com.evil.example"
        ));
        assert!(!issuer_matches(&default, ""));
        let custom = config(Some("https://login.example.com:8443/authorize"));
        assert!(issuer_matches(&custom, "https://login.example.com:8443"));
        assert!(!issuer_matches(&custom, "https://login.example.com"));
    }

    #[test]
    fn results_serialise_as_the_javascript_api_describes() {
        let code = parse_callback("code=c&state=s").unwrap();
        assert_eq!(
            serde_json::to_string(&code).unwrap(),
            r#"{"kind":"code","code":"c","state":"s"}"#
        );
        let denied = Callback::Denied {
            error: "access_denied".to_owned(),
            description: None,
            state: Some("s".to_owned()),
        };
        assert_eq!(
            serde_json::to_string(&denied).unwrap(),
            r#"{"kind":"error","error":"access_denied","state":"s"}"#
        );
    }

    #[test]
    fn broken_encoding_is_refused() {
        for query in [
            "code=a&state=%FF",
            "code=a%2&state=s",
            "code=a%zz&state=s",
            "state=s&code=%",
        ] {
            let error = parse_callback(query).unwrap_err();
            assert_eq!(
                (error.code.as_str(), error.field),
                ("invalid_url", Some("query")),
                "{query}"
            );
        }
        let spaced = parse_callback("code=a+b%20c%2B&state=%C3%A9&&x").unwrap();
        assert!(
            matches!(spaced, Callback::Code { code, state, .. } if code.expose() == "a b c+" && state == "é")
        );
    }
}
