//! The seam through which the platform's cryptography signs and makes keys, like [`HttpClient`] is the
//! seam for sending.
//!
//! In the JavaScript package it is WebCrypto (`crypto.subtle`: RSASSA-PKCS1-v1_5 with SHA-256 for
//! RS256, ECDSA on P-256 with SHA-256 for ES256), so private keys are used by the platform and the
//! wasm carries no RSA or elliptic-curve code; the native tests use a signer built on RustCrypto's
//! `rsa` and `p256`. Signatures come in the form JWS uses (RFC 7518 §3.3, §3.4): the PKCS#1 v1.5
//! signature for RS256, the 64 bytes of `r ‖ s` for ES256 (WebCrypto's own ECDSA form).
//!
//! [`HttpClient`]: crate::http::HttpClient

use core::future::Future;

use crate::error::{Error, ErrorCode};
use crate::jwt::signing_key::{JwtAlgorithm, SigningKey};

/// A key pair the platform made.
pub struct GeneratedKey {
    /// The private key, PKCS#8 DER.
    pub private_key_pkcs8: Vec<u8>,
    /// The public key, SubjectPublicKeyInfo DER.
    pub public_key_spki: Vec<u8>,
}

/// Signs with private keys and makes key pairs.
pub trait Signer {
    /// Signs `message` with `key`, with the key's algorithm, in JWS form.
    fn sign(
        &self,
        key: &SigningKey,
        message: &[u8],
    ) -> impl Future<Output = Result<Vec<u8>, Error>>;

    /// Makes a new key pair for `algorithm` (RSA keys of 2,048 bits with exponent 65537; P-256).
    fn generate_key(
        &self,
        algorithm: JwtAlgorithm,
    ) -> impl Future<Output = Result<GeneratedKey, Error>>;

    /// The public half of `key`, SubjectPublicKeyInfo DER.
    fn public_key(&self, key: &SigningKey) -> impl Future<Output = Result<Vec<u8>, Error>>;
}

/// The error for a key the platform would not use, or a platform without the cryptography needed.
pub fn signing_failed(what: &str) -> Error {
    Error::new(
        ErrorCode::SigningFailed,
        format!("The platform's cryptography (WebCrypto) could not {what}."),
    )
}
