//! The base64 forms the crate writes and reads (RFC 4648), through the `base64` crate: standard with
//! padding (§4) for HTTP Basic and sealing keys, URL-safe without padding (§5) for state, PKCE values
//! and sealed data. Decoding is strict: padding exactly as the form requires and no stray bits in the
//! last character, so each value has one spelling.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};

/// Standard base64 with padding.
pub(crate) fn base64(bytes: impl AsRef<[u8]>) -> String {
    STANDARD.encode(bytes)
}

/// URL-safe base64 without padding.
pub(crate) fn base64url(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Decodes standard base64 with padding; `None` when it is not canonical base64.
pub(crate) fn decode_base64(text: &str) -> Option<Vec<u8>> {
    STANDARD.decode(text).ok()
}

/// Decodes URL-safe base64 without padding; `None` when it is not canonical.
pub(crate) fn decode_base64url(text: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(text).ok()
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
    }

    #[test]
    fn decoding_is_canonical() {
        // Missing or extra padding, the other alphabet, whitespace, stray bits in the last character.
        for bad in ["Zm8", "Zm8==", "Zm8=\n", " Zm8=", "-_8=", "Zm9=", "Zg="] {
            assert!(decode_base64(bad).is_none(), "{bad:?}");
        }
        assert!(decode_base64("Zg==").is_some());
        for bad in ["+/8", "-_8=", "-_9", "Zm8\n", "Z"] {
            assert!(decode_base64url(bad).is_none(), "{bad:?}");
        }
    }
}
