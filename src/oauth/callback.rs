//! The query string the instance sends back to the redirect URI (RFC 6749 §4.1.2, §4.1.2.1).
//!
//! Either `code` and `state`, or `error` (such as `access_denied` when the user clicks Deny) with an
//! optional description. Parameters must not repeat (§3.1), and everything is bounded, because the
//! callback is the one public, unauthenticated route: anyone can call it with anything.

use crate::config::{ConnectionConfig, check_text, required};
use crate::error::{Error, FieldCode, FieldError, server_text};
use crate::secret::Secret;

const MAX_QUERY_BYTES: usize = 8192;

/// What the callback received.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Callback {
    /// The user granted access.
    Code {
        /// The authorization code.
        code: Secret,
        /// The state to compare with the one sent.
        state: String,
        /// The issuer, when the server names itself (RFC 9207).
        issuer: Option<String>,
    },
    /// The authorization server refused or the user denied.
    Denied {
        /// The RFC 6749 error code, e.g. `access_denied`.
        error: String,
        /// The server's description, shortened and printable.
        description: Option<String>,
        /// The state, when sent back.
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
    for (key, value) in form_urlencoded::parse(query.as_bytes()) {
        let (slot, field) = match key.as_ref() {
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
        *slot = Some(value.into_owned());
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

/// RFC 9207: when the authorization server names itself in `iss`, it must be this connection's.
/// A ServiceNow instance is its own issuer: its origin, which also serves the authorization URL
/// (a custom authorization URL's origin is accepted too). A trailing slash is ignored.
pub fn issuer_matches(config: &ConnectionConfig, issuer: &str) -> bool {
    let issuer = issuer.trim_end_matches('/');
    let authorization_origin = config
        .oauth()
        .and_then(|oauth| crate::http_url::parse(&oauth.authorization_url).ok())
        .map(|url| url.origin());
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
        use crate::config::{ConnectionInput, ValidateOptions, validate};
        let config = |authorization_url: Option<&str>| {
            validate(
                &ConnectionInput {
                    base_url: Some("https://dev1.service-now.com/api/now".to_owned()),
                    auth_type: Some("oauth2".to_owned()),
                    client_id: Some("c".to_owned()),
                    client_secret: Some(Secret::new("s")),
                    authorization_url: authorization_url.map(str::to_owned),
                    ..ConnectionInput::default()
                },
                ValidateOptions::default(),
            )
            .unwrap()
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
    fn invalid_percent_encoding_is_kept_lossily() {
        // form_urlencoded replaces invalid UTF-8 instead of failing; the state will simply not match.
        let parsed = parse_callback("code=a&state=%FF").unwrap();
        assert!(matches!(parsed, Callback::Code { state, .. } if state == "\u{fffd}"));
    }
}
