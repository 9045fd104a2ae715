//! A signing key's public half as a JWK (RFC 7517 §4, RFC 7518 §6), for a JWKS document, and its
//! key id, the JWK thumbprint (RFC 7638).
//!
//! The public key arrives as a SubjectPublicKeyInfo (RFC 5280 §4.1.2.7; what WebCrypto exports as
//! `spki`), read by RustCrypto's `spki` and `der`: for RSA its `RSAPublicKey` (RFC 8017 §A.1.1) gives
//! `n` and `e`, for EC P-256 the uncompressed point (SEC 1 §2.3.3) gives `x` and `y`. The thumbprint
//! hashes the required members in lexicographic order without whitespace (RFC 7638 §3), written by
//! serde_json, with SHA-256, as base64url: the same value every JOSE library computes.

use pkcs8::der::asn1::{ObjectIdentifier, UintRef};
use pkcs8::der::oid::db::rfc5912::{ID_EC_PUBLIC_KEY, RSA_ENCRYPTION, SECP_256_R_1};
use pkcs8::der::{Decode, Reader, SliceReader};
use pkcs8::spki::SubjectPublicKeyInfoOwned;
use serde::Serialize;
use sha2::{Digest, Sha256};
use tsify::Tsify;

use crate::encoding::base64url;
use crate::jwt::signing_key::JwtAlgorithm;

/// The key material of a public signing key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JwkKey {
    /// An RSA key: modulus and public exponent, base64url.
    Rsa {
        /// The modulus.
        n: String,
        /// The public exponent.
        e: String,
    },
    /// An EC P-256 key: the point's coordinates, base64url.
    Ec {
        /// The x coordinate.
        x: String,
        /// The y coordinate.
        y: String,
    },
}

/// A public signing key as a JWK, with its key id, algorithm and use: one entry of a JWKS document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Tsify)]
#[serde(tag = "kty")]
pub enum PublicJwk {
    /// An RSA key for RS256.
    #[serde(rename = "RSA")]
    Rsa {
        /// The modulus, base64url.
        n: String,
        /// The public exponent, base64url.
        e: String,
        /// The key id: the `kid` the assertions' header carries.
        kid: String,
        /// The algorithm.
        #[tsify(type = "\"RS256\"")]
        alg: JwtAlgorithm,
        /// Always `sig`.
        #[serde(rename = "use")]
        #[tsify(type = "\"sig\"")]
        key_use: &'static str,
    },
    /// An EC P-256 key for ES256.
    #[serde(rename = "EC")]
    Ec {
        /// The curve.
        #[tsify(type = "\"P-256\"")]
        crv: &'static str,
        /// The x coordinate, base64url.
        x: String,
        /// The y coordinate, base64url.
        y: String,
        /// The key id: the `kid` the assertions' header carries.
        kid: String,
        /// The algorithm.
        #[tsify(type = "\"ES256\"")]
        alg: JwtAlgorithm,
        /// Always `sig`.
        #[serde(rename = "use")]
        #[tsify(type = "\"sig\"")]
        key_use: &'static str,
    },
}

impl PublicJwk {
    /// The JWK of `key` with the key id `kid`.
    pub fn new(key: JwkKey, kid: String) -> Self {
        match key {
            JwkKey::Rsa { n, e } => Self::Rsa {
                n,
                e,
                kid,
                alg: JwtAlgorithm::Rs256,
                key_use: "sig",
            },
            JwkKey::Ec { x, y } => Self::Ec {
                crv: "P-256",
                x,
                y,
                kid,
                alg: JwtAlgorithm::Es256,
                key_use: "sig",
            },
        }
    }

    /// The key id.
    pub fn kid(&self) -> &str {
        match self {
            Self::Rsa { kid, .. } | Self::Ec { kid, .. } => kid,
        }
    }

    /// The algorithm the key signs with.
    pub fn algorithm(&self) -> JwtAlgorithm {
        match self {
            Self::Rsa { .. } => JwtAlgorithm::Rs256,
            Self::Ec { .. } => JwtAlgorithm::Es256,
        }
    }
}

/// The members RFC 7638 §3.2 hashes, in lexicographic order.
#[derive(Serialize)]
#[serde(untagged)]
enum ThumbprintInput<'a> {
    Rsa {
        e: &'a str,
        kty: &'static str,
        n: &'a str,
    },
    Ec {
        crv: &'a str,
        kty: &'static str,
        x: &'a str,
        y: &'a str,
    },
}

impl JwkKey {
    /// The key in a SubjectPublicKeyInfo (DER), when it is RSA or EC P-256.
    pub fn from_spki(spki_der: &[u8]) -> Option<Self> {
        let spki = SubjectPublicKeyInfoOwned::from_der(spki_der).ok()?;
        let bits = spki.subject_public_key.as_bytes()?;
        if spki.algorithm.oid == RSA_ENCRYPTION {
            let mut reader = SliceReader::new(bits).ok()?;
            let (n, e) = reader
                .sequence(|body| {
                    Ok::<_, pkcs8::der::Error>((UintRef::decode(body)?, UintRef::decode(body)?))
                })
                .ok()?;
            reader.finish().ok()?;
            return Some(Self::Rsa {
                n: base64url(n.as_bytes()),
                e: base64url(e.as_bytes()),
            });
        }
        let curve = spki
            .algorithm
            .parameters
            .as_ref()
            .and_then(|parameters| parameters.decode_as::<ObjectIdentifier>().ok());
        if spki.algorithm.oid != ID_EC_PUBLIC_KEY || curve != Some(SECP_256_R_1) {
            return None;
        }
        // Uncompressed point: 0x04, then x and y of 32 bytes each.
        let (x, y) = match bits {
            [0x04, point @ ..] if point.len() == 64 => point.split_at(32),
            _ => return None,
        };
        Some(Self::Ec {
            x: base64url(x),
            y: base64url(y),
        })
    }

    /// The RFC 7638 thumbprint, SHA-256, base64url.
    pub fn thumbprint(&self) -> String {
        let input = match self {
            Self::Rsa { n, e } => ThumbprintInput::Rsa { e, kty: "RSA", n },
            Self::Ec { x, y } => ThumbprintInput::Ec {
                crv: "P-256",
                kty: "EC",
                x,
                y,
            },
        };
        // Strings and fixed names only: serialising cannot fail.
        let canonical = serde_json::to_vec(&input).unwrap_or_default();
        base64url(Sha256::digest(canonical))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_7638_example_thumbprint() {
        // RFC 7638 §3.1.
        let key = JwkKey::Rsa {
            n: "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw".to_owned(),
            e: "AQAB".to_owned(),
        };
        assert_eq!(
            key.thumbprint(),
            "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
        );
    }

    #[test]
    fn jwk_json_has_the_registered_member_names() {
        let jwk = PublicJwk::new(
            JwkKey::Ec {
                x: "x".to_owned(),
                y: "y".to_owned(),
            },
            "k".to_owned(),
        );
        assert_eq!((jwk.kid(), jwk.algorithm()), ("k", JwtAlgorithm::Es256));
        assert_eq!(
            serde_json::to_string(&jwk).unwrap(),
            r#"{"kty":"EC","crv":"P-256","x":"x","y":"y","kid":"k","alg":"ES256","use":"sig"}"#
        );
    }

    #[test]
    fn other_public_keys_are_not_read() {
        for bad in [&b""[..], b"\x30\x00", b"not der at all"] {
            assert!(JwkKey::from_spki(bad).is_none());
        }
    }
}
