//! The input fields a person or a caller fills in, and the checks every text field shares.
//!
//! Field names are spelled as JavaScript spells them (`baseUrl`, `clientSecret`), because they are
//! what `FieldError.field` reports and what a form uses to put a message next to its input. Each has
//! a label for messages (`Base URL`), taken from the connection screen. Control characters
//! (U+0000–U+001F, U+007F–U+009F) are refused everywhere: a line break in a value that reaches an HTTP
//! header or a URL would let it forge another line.

use crate::error::{FieldCode, FieldError};

/// Every field name the crate reports, with its label: the settings in form order, then the
/// arguments of the other operations.
const FIELDS: [(&str, &str); 43] = [
    ("baseUrl", "Base URL"),
    ("authType", "Authentication Type"),
    ("grantType", "Grant type"),
    ("username", "User Name"),
    ("password", "Password"),
    ("clientId", "Client ID"),
    ("clientSecret", "Client Secret"),
    ("authorizationUrl", "Authorization Token URL"),
    ("tokenUrl", "Access Token URL"),
    ("clientAuthentication", "Client authentication"),
    ("jwtSubject", "JWT subject"),
    ("privateKey", "Private key"),
    ("jwtAlgorithm", "Signing algorithm"),
    ("jwtKeyId", "Key ID"),
    ("jwtAudience", "JWT audience"),
    ("refreshTokenLifetimeSeconds", "Refresh token lifetime"),
    ("timeoutMs", "Timeout"),
    ("redirectUri", "Redirect URI"),
    ("scope", "Scope"),
    ("code", "Authorization code"),
    ("codeVerifier", "Code verifier"),
    ("state", "State"),
    ("path", "API path"),
    ("query", "Query"),
    ("refreshToken", "Refresh token"),
    ("accessToken", "Access token"),
    ("tokenType", "Token type"),
    ("issuedAt", "Issued at"),
    ("expiresAt", "Expires at"),
    ("refreshExpiresAt", "Refresh token expiry"),
    ("statePrefix", "State prefix"),
    ("settings", "Connection settings"),
    ("tokens", "Token set"),
    ("grant", "Code grant"),
    ("options", "Options"),
    ("issuer", "Issuer"),
    ("fetch", "Fetch function"),
    ("sealingKey", "Sealing key"),
    ("previousSealingKeys", "Previous sealing keys"),
    ("algorithm", "Signing algorithm"),
    ("subject", "Certificate subject"),
    ("validityDays", "Certificate validity"),
    ("keyId", "Key ID"),
];

/// The settings fields, in the order of the settings form (errors are reported in this order).
pub(crate) const SETTINGS_FIELDS: [&str; 17] = [
    "baseUrl",
    "authType",
    "grantType",
    "username",
    "password",
    "clientId",
    "clientSecret",
    "authorizationUrl",
    "tokenUrl",
    "clientAuthentication",
    "jwtSubject",
    "privateKey",
    "jwtAlgorithm",
    "jwtKeyId",
    "jwtAudience",
    "refreshTokenLifetimeSeconds",
    "timeoutMs",
];

/// The field of this name as a `'static` name, when it is one the crate knows.
pub(crate) fn known(name: &str) -> Option<&'static str> {
    FIELDS
        .iter()
        .find(|(field, _)| *field == name)
        .map(|(field, _)| *field)
}

/// The user-facing name of a field, for messages.
pub(crate) fn label(field: &str) -> &'static str {
    FIELDS
        .iter()
        .find(|(name, _)| *name == field)
        .map_or("Value", |(_, label)| *label)
}

/// `<Label> is required.`
pub(crate) fn required(field: &'static str) -> FieldError {
    FieldError::new(
        field,
        FieldCode::Required,
        format!("{} is required.", label(field)),
    )
}

/// `<Label> has the wrong type.`
pub(crate) fn wrong_type(field: &'static str) -> FieldError {
    FieldError::new(
        field,
        FieldCode::InvalidType,
        format!("{} has the wrong type.", label(field)),
    )
}

/// Whether `value` has a control character (U+0000–U+001F, U+007F–U+009F), checked on the UTF-8
/// bytes: U+0080–U+009F are encoded as 0xC2 0x80–0x9F, and 0xC2 never ends a sequence.
pub(crate) fn has_control_character(value: &str) -> bool {
    let bytes = value.as_bytes();
    bytes.iter().any(|&b| b < 0x20 || b == 0x7f)
        || bytes.windows(2).any(|pair| {
            pair.first() == Some(&0xc2) && pair.get(1).is_some_and(|b| (0x80..=0x9f).contains(b))
        })
}

/// Length and control characters: the checks every text field shares.
pub(crate) fn check_text(
    field: &'static str,
    value: &str,
    max_len: usize,
) -> Result<(), FieldError> {
    if has_control_character(value) {
        return Err(FieldError::new(
            field,
            FieldCode::ControlCharacter,
            format!(
                "{} must not contain control characters such as line breaks or tabs.",
                label(field)
            ),
        ));
    }
    if value.len() > max_len {
        return Err(FieldError::new(
            field,
            FieldCode::TooLong,
            format!("{} must be at most {max_len} bytes long.", label(field)),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_found_in_utf8() {
        for c in ['\u{0}', '\u{1f}', '\u{7f}', '\u{80}', '\u{9f}'] {
            assert!(has_control_character(&format!("a{c}b")), "{c:?}");
            assert_eq!(has_control_character(&c.to_string()), c.is_control());
        }
        for c in ['\u{a0}', 'é', '\u{2028}', '😀', 'Ā', '\u{c2}'] {
            assert!(!has_control_character(&format!("a{c}b")), "{c:?}");
        }
        for code in 0..0x800u32 {
            let c = char::from_u32(code).unwrap();
            assert_eq!(
                has_control_character(&c.to_string()),
                c.is_control(),
                "{code:#x}"
            );
        }
    }

    #[test]
    fn labels_and_known_names() {
        assert_eq!(label("baseUrl"), "Base URL");
        assert_eq!(label("nope"), "Value");
        assert_eq!(known("clientSecret"), Some("clientSecret"));
        assert_eq!(known("__proto__"), None);
        for field in SETTINGS_FIELDS {
            assert_eq!(known(field), Some(field));
        }
        assert_eq!(required("code").message, "Authorization code is required.");
        assert_eq!(wrong_type("tokens").code, FieldCode::InvalidType);
        assert_eq!(
            check_text("state", &"s".repeat(5), 4).unwrap_err().code,
            FieldCode::TooLong
        );
    }
}
