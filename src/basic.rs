//! The HTTP Basic `Authorization` header (RFC 7617).
//!
//! The credentials are `user-id ":" password` encoded as UTF-8 (the `charset="UTF-8"` of RFC 7617 §2.1,
//! which ServiceNow accepts) and then base64. A user-id cannot contain `:` (§2: the first colon ends
//! it), and neither part may contain control characters; a password may contain `:`.

use crate::encoding::base64;
use crate::error::{FieldCode, FieldError};
use crate::field::{check_text, required};

const MAX_LEN: usize = 4096;

/// `Basic <base64(username:password)>`, or the field error that forbids it.
pub fn basic_authorization(username: &str, password: &str) -> Result<String, FieldError> {
    if username.is_empty() {
        return Err(required("username"));
    }
    check_text("username", username, MAX_LEN)?;
    if username.contains(':') {
        return Err(FieldError::new(
            "username",
            FieldCode::UsernameContainsColon,
            "User Name must not contain ':' (Basic authentication cannot carry it).",
        ));
    }
    check_text("password", password, MAX_LEN)?;
    Ok(format!(
        "Basic {}",
        base64(format!("{username}:{password}"))
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_7617_example() {
        // RFC 7617 §2: "Aladdin" / "open sesame".
        assert_eq!(
            basic_authorization("Aladdin", "open sesame").unwrap(),
            "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
        );
    }

    #[test]
    fn utf8_credentials() {
        // RFC 7617 §2.1: "test" / "123£" with charset UTF-8.
        assert_eq!(
            basic_authorization("test", "123\u{a3}").unwrap(),
            "Basic dGVzdDoxMjPCow=="
        );
    }

    #[test]
    fn password_may_contain_colons_and_be_empty() {
        assert_eq!(
            basic_authorization("a", "b:c").unwrap(),
            format!("Basic {}", base64("a:b:c"))
        );
        assert_eq!(basic_authorization("a", "").unwrap(), "Basic YTo=");
    }

    #[test]
    fn username_rules_have_their_own_codes() {
        let colon = basic_authorization("a:b", "x").unwrap_err();
        assert_eq!(
            (colon.field, colon.code),
            ("username", FieldCode::UsernameContainsColon)
        );
        let control = basic_authorization("a\r\nX-Injected: 1", "x").unwrap_err();
        assert_eq!(
            (control.field, control.code),
            ("username", FieldCode::ControlCharacter)
        );
        let empty = basic_authorization("", "x").unwrap_err();
        assert_eq!((empty.field, empty.code), ("username", FieldCode::Required));
        let password = basic_authorization("a", "x\u{0}").unwrap_err();
        assert_eq!(
            (password.field, password.code),
            ("password", FieldCode::ControlCharacter)
        );
        let long = basic_authorization("a", &"x".repeat(MAX_LEN + 1)).unwrap_err();
        assert_eq!(long.code, FieldCode::TooLong);
    }

    #[test]
    fn errors_never_echo_the_password() {
        let error = basic_authorization("a", "sekret\u{7}").unwrap_err();
        assert!(!error.message.contains("sekret"));
    }
}
