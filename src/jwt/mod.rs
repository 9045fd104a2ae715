//! The JWT-bearer grant's cryptography: the private key (`signing_key`), the seam through which the
//! platform signs (`signer`), the assertion (`assertion`), and the key tools that make a key pair
//! with a self-signed certificate (`certificate`) and publish public keys as JWKs (`public_key`,
//! `key_tools`).

pub mod assertion;
pub mod certificate;
pub mod key_tools;
pub mod public_key;
pub mod signer;
pub mod signing_key;
