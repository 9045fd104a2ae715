//! A string that must not be shown: passwords, client secrets, tokens, PKCE verifiers.
//!
//! `Debug` prints `[redacted]`, so a secret inside any struct stays out of logs and panic messages;
//! the value is reachable only through [`Secret::expose`], which makes every use visible in review.
//! For the same reason there is no `Serialize` for `Secret`: the one shape that must carry secrets out
//! (the token set handed to the caller) names each such field with `serialize_with` and the helpers
//! below. Reading a secret in (`Deserialize`) shows nothing, so it is derived as for a string.

use core::fmt;

use serde::{Deserialize, Deserializer, Serializer};

/// A secret string. Compare and print it only through [`Secret::expose`].
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The value itself, for the one place that must send or store it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether the value is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Self)
    }
}

/// Writes the secret's value: for `#[serde(serialize_with)]` on a field that must carry it.
pub(crate) fn serialize_exposed<S: Serializer>(
    secret: &Secret,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(secret.expose())
}

/// Writes the secret's value or `null`: for `#[serde(serialize_with)]` on an optional field.
#[allow(clippy::ref_option)] // serde hands the field itself
pub(crate) fn serialize_exposed_option<S: Serializer>(
    secret: &Option<Secret>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match secret {
        Some(secret) => serializer.serialize_str(secret.expose()),
        None => serializer.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::Secret;

    #[test]
    fn debug_never_shows_the_value() {
        let secret = Secret::new("hunter2-very-secret");
        assert_eq!(format!("{secret:?}"), "[redacted]");
        assert_eq!(format!("{:?}", Some(&secret)), "Some([redacted])");
        assert_eq!(secret.expose(), "hunter2-very-secret");
        assert!(!secret.is_empty());
        assert!(Secret::default().is_empty());
    }

    #[test]
    fn serialised_only_where_a_field_asks() {
        #[derive(serde::Serialize)]
        struct Carrier {
            #[serde(serialize_with = "super::serialize_exposed")]
            token: Secret,
            #[serde(serialize_with = "super::serialize_exposed_option")]
            refresh: Option<Secret>,
        }
        let carrier = Carrier {
            token: Secret::new("t"),
            refresh: None,
        };
        assert_eq!(
            serde_json::to_string(&carrier).unwrap(),
            r#"{"token":"t","refresh":null}"#
        );
        let read: Secret = serde_json::from_str(r#""in""#).unwrap();
        assert_eq!(read.expose(), "in");
    }
}
