//! Authenticated encryption of secrets and tokens at rest.
//!
//! AES-256-GCM with a fresh random 96-bit nonce for every seal (NIST SP 800-38D §8.2.2: random nonces
//! are safe far beyond the number of writes a connection sees). The associated data binds a sealed
//! value to where it belongs, such as the connection id and field name, so a value copied to another
//! connection or field fails to open. The sealed form is text, safe for JSON storage:
//!
//! `snc1.<key id>.<base64url(nonce ‖ ciphertext ‖ tag)>`
//!
//! The key id (8 characters derived from the key by SHA-256) lets a keyring hold the current key and
//! earlier ones: values sealed under a previous key still open, and [`Keyring::is_current`] tells the
//! caller to seal them again under the current key.

use crate::encoding::{base64url, decode_base64, decode_base64url};
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use sha2::{Digest, Sha256};

use crate::error::{Error, ErrorCode};
use crate::random::random_bytes;

const VERSION: &str = "snc1";
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;
const MAX_SEALED_LEN: usize = 1 << 20;

struct SealingKey {
    id: String,
    cipher: Aes256Gcm,
}

/// The current sealing key and the previous ones still accepted for opening.
pub struct Keyring {
    current: SealingKey,
    previous: Vec<SealingKey>,
}

impl core::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Keyring")
            .field("current", &self.current.id)
            .field(
                "previous",
                &self.previous.iter().map(|k| &k.id).collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl Keyring {
    /// A keyring from base64 keys of 32 bytes each: the current one and any earlier ones.
    pub fn new(current: &str, previous: &[&str]) -> Result<Self, Error> {
        Ok(Self {
            current: SealingKey::from_base64(current, "sealingKey")?,
            previous: previous
                .iter()
                .filter(|key| !key.trim().is_empty())
                .map(|key| SealingKey::from_base64(key, "previousSealingKeys"))
                .collect::<Result<_, _>>()?,
        })
    }

    /// The id of the current key.
    pub fn current_key_id(&self) -> &str {
        &self.current.id
    }

    /// Seals `plaintext` for `aad` under the current key.
    pub fn seal(&self, aad: &str, plaintext: &str) -> Result<String, Error> {
        let nonce_bytes = random_bytes::<NONCE_LEN>()?;
        self.seal_with_nonce(aad, plaintext, nonce_bytes)
    }

    fn seal_with_nonce(
        &self,
        aad: &str,
        plaintext: &str,
        nonce_bytes: [u8; NONCE_LEN],
    ) -> Result<String, Error> {
        let aad = associated_data(aad);
        let sealed = self
            .current
            .cipher
            .encrypt(
                &Nonce::from(nonce_bytes),
                Payload {
                    msg: plaintext.as_bytes(),
                    aad: &aad,
                },
            )
            .map_err(|_| Error::new(ErrorCode::InvalidSealingKey, "Sealing failed."))?;
        let mut blob = Vec::with_capacity(NONCE_LEN + sealed.len());
        blob.extend_from_slice(&nonce_bytes);
        blob.extend_from_slice(&sealed);
        Ok(format!("{VERSION}.{}.{}", self.current.id, base64url(blob)))
    }

    /// Opens a value sealed for `aad` under any key of the keyring.
    pub fn unseal(&self, aad: &str, sealed: &str) -> Result<String, Error> {
        let (key_id, blob) = split_sealed(sealed)?;
        let key = core::iter::once(&self.current)
            .chain(&self.previous)
            .find(|key| key.id == key_id)
            .ok_or_else(|| {
                Error::new(
                    ErrorCode::UnknownSealingKey,
                    "The sealed value was sealed under a key this keyring does not hold.",
                )
            })?;
        let (nonce, ciphertext) = blob
            .split_first_chunk::<NONCE_LEN>()
            .filter(|(_, rest)| rest.len() >= TAG_LEN)
            .ok_or_else(malformed)?;
        let aad = associated_data(aad);
        let plaintext = key
            .cipher
            .decrypt(
                &Nonce::from(*nonce),
                Payload {
                    msg: ciphertext,
                    aad: &aad,
                },
            )
            .map_err(|_| {
                Error::new(
                    ErrorCode::SealAuthenticationFailed,
                    "The sealed value does not open: it was altered, or sealed for other associated data.",
                )
            })?;
        String::from_utf8(plaintext).map_err(|_| malformed())
    }

    /// Whether `sealed` is under the current key (else it should be sealed again).
    pub fn is_current(&self, sealed: &str) -> bool {
        split_sealed(sealed).is_ok_and(|(key_id, _)| key_id == self.current.id)
    }
}

impl SealingKey {
    fn from_base64(encoded: &str, field: &'static str) -> Result<Self, Error> {
        let invalid = || {
            Error::new(
                ErrorCode::InvalidSealingKey,
                "A sealing key must be the base64 encoding of exactly 32 random bytes.",
            )
            .with_field(field)
        };
        let bytes = decode_base64(encoded.trim()).ok_or_else(invalid)?;
        let key: [u8; 32] = bytes.try_into().map_err(|_| invalid())?;
        let digest = Sha256::new()
            .chain_update(b"servicenow-connection seal key id\0")
            .chain_update(key)
            .finalize();
        let id = base64url(digest.get(..6).unwrap_or_default());
        Ok(Self {
            id,
            cipher: Aes256Gcm::new(&key.into()),
        })
    }
}

/// The format version is authenticated too, so a value cannot be replayed under a later format.
fn associated_data(aad: &str) -> Vec<u8> {
    let mut data = Vec::with_capacity(VERSION.len() + 1 + aad.len());
    data.extend_from_slice(VERSION.as_bytes());
    data.push(0);
    data.extend_from_slice(aad.as_bytes());
    data
}

fn split_sealed(sealed: &str) -> Result<(&str, Vec<u8>), Error> {
    if sealed.len() > MAX_SEALED_LEN {
        return Err(malformed());
    }
    let mut parts = sealed.splitn(3, '.');
    let (Some(VERSION), Some(key_id), Some(payload)) = (parts.next(), parts.next(), parts.next())
    else {
        return Err(malformed());
    };
    let blob = decode_base64url(payload).ok_or_else(malformed)?;
    Ok((key_id, blob))
}

fn malformed() -> Error {
    Error::new(
        ErrorCode::MalformedSealedValue,
        "The value is not in the sealed format (snc1.<key id>.<data>).",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY_A: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    const KEY_B: &str = "HxweHRwbGhkYFxYVFBMSERAPDg0MCwoJCAcGBQQDAgE=";

    #[test]
    fn round_trip_with_fresh_nonces() {
        let keyring = Keyring::new(KEY_A, &[]).unwrap();
        let a = keyring.seal("conn:1:clientSecret", "s3cr3t ü").unwrap();
        let b = keyring.seal("conn:1:clientSecret", "s3cr3t ü").unwrap();
        assert_ne!(a, b);
        assert!(a.starts_with(&format!("snc1.{}.", keyring.current_key_id())));
        assert!(!a.contains("s3cr3t"));
        assert_eq!(
            keyring.unseal("conn:1:clientSecret", &a).unwrap(),
            "s3cr3t ü"
        );
        assert_eq!(
            keyring.unseal("conn:1:clientSecret", &b).unwrap(),
            "s3cr3t ü"
        );
        assert_eq!(keyring.current_key_id().len(), 8);
    }

    #[test]
    fn fixed_nonce_vector_is_stable() {
        // Pins the format: changing it would strand every stored value.
        let keyring = Keyring::new(KEY_A, &[]).unwrap();
        let sealed = keyring
            .seal_with_nonce("aad", "hi", [7; NONCE_LEN])
            .unwrap();
        assert_eq!(
            sealed,
            keyring
                .seal_with_nonce("aad", "hi", [7; NONCE_LEN])
                .unwrap()
        );
        // 12 nonce + 2 plaintext + 16 tag bytes = 40 base64url characters.
        assert_eq!(sealed.len(), "snc1.".len() + 8 + 1 + 40);
        assert_eq!(
            sealed,
            "snc1.xq4vgtEj.BwcHBwcHBwcHBwcHZwMMF6XLPsICdxHVVo2VnxQ_"
        );
        assert_eq!(keyring.unseal("aad", &sealed).unwrap(), "hi");
    }

    #[test]
    fn wrong_aad_wrong_key_and_tampering_fail_cleanly() {
        let keyring = Keyring::new(KEY_A, &[]).unwrap();
        let sealed = keyring.seal("conn:1:password", "pw").unwrap();
        let error = keyring.unseal("conn:2:password", &sealed).unwrap_err();
        assert_eq!(error.code, ErrorCode::SealAuthenticationFailed);
        let other = Keyring::new(KEY_B, &[]).unwrap();
        assert_eq!(
            other.unseal("conn:1:password", &sealed).unwrap_err().code,
            ErrorCode::UnknownSealingKey
        );
        // Flip one bit of the payload.
        let (head, payload) = sealed.rsplit_once('.').unwrap();
        let mut blob = decode_base64url(payload).unwrap();
        *blob.last_mut().unwrap() ^= 1;
        let tampered = format!("{head}.{}", base64url(&blob));
        assert_eq!(
            keyring
                .unseal("conn:1:password", &tampered)
                .unwrap_err()
                .code,
            ErrorCode::SealAuthenticationFailed
        );
        // A key id swapped in by hand still cannot open under the wrong key.
        let forged = sealed.replacen(keyring.current_key_id(), other.current_key_id(), 1);
        assert_eq!(
            other.unseal("conn:1:password", &forged).unwrap_err().code,
            ErrorCode::SealAuthenticationFailed
        );
    }

    #[test]
    fn malformed_values() {
        let keyring = Keyring::new(KEY_A, &[]).unwrap();
        let id = keyring.current_key_id().to_owned();
        for bad in [
            String::new(),
            "snc1".to_owned(),
            format!("snc2.{id}.AAAA"),
            format!("snc1.{id}.!!!"),
            format!("snc1.{id}.{}", base64url([0u8; 27])),
            "x".repeat(MAX_SEALED_LEN + 1),
        ] {
            let error = keyring.unseal("a", &bad).unwrap_err();
            assert_eq!(error.code, ErrorCode::MalformedSealedValue, "{bad:.40}");
        }
    }

    #[test]
    fn rotation_opens_old_values_and_reports_them() {
        let old = Keyring::new(KEY_A, &[]).unwrap();
        let sealed = old.seal("k", "v").unwrap();
        let rotated = Keyring::new(KEY_B, &[KEY_A, " "]).unwrap();
        assert_eq!(rotated.unseal("k", &sealed).unwrap(), "v");
        assert!(!rotated.is_current(&sealed));
        assert!(rotated.is_current(&rotated.seal("k", "v").unwrap()));
        assert!(!rotated.is_current("garbage"));
    }

    #[test]
    fn bad_keys_are_refused_with_their_field() {
        for (current, previous, field) in [
            ("", vec![], "sealingKey"),
            ("not base64!", vec![], "sealingKey"),
            ("AAAA", vec![], "sealingKey"),
            (KEY_A, vec!["AAAA"], "previousSealingKeys"),
        ] {
            let error = Keyring::new(current, &previous).unwrap_err();
            assert_eq!(error.code, ErrorCode::InvalidSealingKey);
            assert_eq!(error.field, Some(field));
        }
        assert!(!format!("{:?}", Keyring::new(KEY_A, &[]).unwrap()).contains(KEY_A));
    }
}
