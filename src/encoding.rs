//! The base64 forms the crate writes and reads: standard (RFC 4648 §4) for HTTP Basic and sealing keys,
//! URL-safe without padding (§5) for state, PKCE values and sealed data. `base64ct` is constant-time,
//! which matters for keys and secrets, and small in wasm.

use base64ct::{Base64, Base64UrlUnpadded, Encoding as _};

/// Standard base64 with padding.
pub(crate) fn base64(bytes: impl AsRef<[u8]>) -> String {
    Base64::encode_string(bytes.as_ref())
}

/// URL-safe base64 without padding.
pub(crate) fn base64url(bytes: impl AsRef<[u8]>) -> String {
    Base64UrlUnpadded::encode_string(bytes.as_ref())
}

/// Decodes standard base64 with padding; `None` when it is not canonical base64.
pub(crate) fn decode_base64(text: &str) -> Option<Vec<u8>> {
    Base64::decode_vec(text).ok()
}

/// Decodes URL-safe base64 without padding; `None` when it is not canonical.
pub(crate) fn decode_base64url(text: &str) -> Option<Vec<u8>> {
    Base64UrlUnpadded::decode_vec(text).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_4648_vectors() {
        assert_eq!(base64("foobar"), "Zm9vYmFy");
        assert_eq!(base64("fo"), "Zm8=");
        assert_eq!(base64url([0xfb, 0xff]), "-_8");
        assert_eq!(decode_base64("Zm8=").unwrap(), b"fo");
        assert_eq!(decode_base64url("-_8").unwrap(), [0xfb, 0xff]);
        assert!(decode_base64("Zm8").is_none());
        assert!(decode_base64url("+/8").is_none());
        assert!(decode_base64("Zm8=\n").is_none());
    }
}
