//! Key tools for the JWT-bearer grant: a new key pair with what an instance needs to trust it (a
//! self-signed certificate for a verifier map, a JWK for a JWKS document), and the JWK of an existing
//! private key.
//!
//! The key pair is made by the platform ([`Signer::generate_key`]: WebCrypto in the package), so the
//! private key exists only where it was made and wherever the caller sends it (the worker seals it).
//! The key id is the public key's JWK thumbprint (RFC 7638), so the same key always has the same id
//! and a JWKS can hold the current and the previous key side by side during a rotation.

use serde::{Deserialize, Serialize};
use tsify::Tsify;

use crate::error::{Error, FieldCode, FieldError};
use crate::field::{check_text, label, wrong_type};
use crate::json_limits::{Loose, Shape, argument};
use crate::jwt::certificate::self_signed_certificate;
use crate::jwt::public_key::{JwkKey, PublicJwk};
use crate::jwt::signer::{Signer, signing_failed};
use crate::jwt::signing_key::{JwtAlgorithm, SigningKey};
use crate::secret::{Secret, serialize_exposed};

/// The certificate's common name when none is given.
pub const DEFAULT_SUBJECT: &str = "servicenow-connection";
/// How long the certificate is valid when nothing is said, in days.
pub const DEFAULT_VALIDITY_DAYS: u32 = 365;
const MAX_VALIDITY_DAYS: u32 = 3650;
/// RFC 5280's upper bound for a common name (`ub-common-name`).
const MAX_SUBJECT_CHARS: usize = 64;

/// Options of `generateSigningKey`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GenerateKeyOptions {
    /// The algorithm the key signs with.
    pub algorithm: JwtAlgorithm,
    /// The certificate's common name.
    pub subject: String,
    /// The certificate's validity in days.
    pub validity_days: u32,
}

impl Default for GenerateKeyOptions {
    fn default() -> Self {
        Self {
            algorithm: JwtAlgorithm::default(),
            subject: DEFAULT_SUBJECT.to_owned(),
            validity_days: DEFAULT_VALIDITY_DAYS,
        }
    }
}

/// Options of `publicSigningKey`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PublicKeyOptions {
    /// The algorithm the key must fit; any when `None`.
    pub algorithm: Option<JwtAlgorithm>,
    /// The key id to use instead of the thumbprint.
    pub key_id: Option<String>,
}

/// Options of the key tools, as JavaScript passes them: one shape for both, each reading its own
/// members (one reader in the wasm instead of two).
#[derive(Deserialize, Tsify)]
#[serde(rename_all = "camelCase")]
#[tsify(rename = "SigningKeyOptions")]
struct KeyOptionsDocument {
    /// `generateSigningKey`: `RS256` (default: RSA, 2,048 bits) or `ES256` (EC P-256).
    /// `publicSigningKey`: the algorithm the key must fit (default: the key's own).
    #[tsify(optional, type = "JwtAlgorithm")]
    algorithm: Option<Loose>,
    /// `generateSigningKey`: the certificate's common name (default `servicenow-connection`, at most
    /// 64 characters).
    #[tsify(optional, type = "string")]
    subject: Option<Loose>,
    /// `generateSigningKey`: how long the certificate is valid, 1 to 3,650 days (default 365).
    #[tsify(optional, type = "number")]
    validity_days: Option<Loose>,
    /// `publicSigningKey`: the JWK's `kid` (default: the RFC 7638 thumbprint).
    #[tsify(optional, type = "string")]
    key_id: Option<Loose>,
}

/// A text member, `None` when absent or `null`.
fn text_member(field: &'static str, value: Option<Loose>) -> Result<Option<String>, FieldError> {
    match value {
        None | Some(Loose::Null) => Ok(None),
        Some(Loose::Text(text)) => Ok(Some(text)),
        Some(_) => Err(wrong_type(field)),
    }
}

fn algorithm_member(value: Option<Loose>) -> Result<Option<JwtAlgorithm>, FieldError> {
    text_member("algorithm", value)?
        .map(|name| JwtAlgorithm::parse(&name, "algorithm"))
        .transpose()
}

impl GenerateKeyOptions {
    /// Reads the options from JSON text; `null` gives the defaults.
    pub fn from_json(text: &str) -> Result<Self, Error> {
        let Some(document) = argument::<KeyOptionsDocument>(text, "options", Shape::Object)? else {
            return Ok(Self::default());
        };
        let subject = match text_member("subject", document.subject)? {
            None => DEFAULT_SUBJECT.to_owned(),
            Some(subject) => check_subject(subject.trim())?,
        };
        let validity_days = match document.validity_days {
            None | Some(Loose::Null) => DEFAULT_VALIDITY_DAYS,
            Some(Loose::Number(days)) => check_days(days)?,
            Some(_) => return Err(wrong_type("validityDays").into()),
        };
        Ok(Self {
            algorithm: algorithm_member(document.algorithm)?.unwrap_or_default(),
            subject,
            validity_days,
        })
    }
}

impl PublicKeyOptions {
    /// Reads the options from JSON text; `null` gives the defaults.
    pub fn from_json(text: &str) -> Result<Self, Error> {
        let Some(document) = argument::<KeyOptionsDocument>(text, "options", Shape::Object)? else {
            return Ok(Self::default());
        };
        let key_id = match text_member("keyId", document.key_id)? {
            Some(kid) if !kid.is_empty() => {
                check_text("keyId", &kid, 256)?;
                Some(kid)
            }
            _ => None,
        };
        Ok(Self {
            algorithm: algorithm_member(document.algorithm)?,
            key_id,
        })
    }
}

fn check_subject(subject: &str) -> Result<String, FieldError> {
    if subject.is_empty() || subject.chars().count() > MAX_SUBJECT_CHARS {
        return Err(FieldError::new(
            "subject",
            FieldCode::OutOfRange,
            format!(
                "{} must be 1 to {MAX_SUBJECT_CHARS} characters long.",
                label("subject")
            ),
        ));
    }
    check_text("subject", subject, 4 * MAX_SUBJECT_CHARS)?;
    Ok(subject.to_owned())
}

fn check_days(days: f64) -> Result<u32, FieldError> {
    // An integer in [1, 3650], so the cast is exact.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    if days.fract() == 0.0 && (1.0..=f64::from(MAX_VALIDITY_DAYS)).contains(&days) {
        return Ok(days as u32);
    }
    Err(FieldError::new(
        "validityDays",
        FieldCode::OutOfRange,
        format!(
            "{} must be a whole number of days from 1 to {MAX_VALIDITY_DAYS}.",
            label("validityDays")
        ),
    ))
}

/// A new signing key and what an instance needs to trust it.
#[derive(Debug, Serialize, Tsify)]
#[serde(rename_all = "camelCase")]
pub struct SigningKeyPair {
    /// The private key, PKCS#8 PEM: the connection's `privateKey`. A secret.
    #[serde(serialize_with = "serialize_exposed")]
    #[tsify(type = "string")]
    pub private_key: Secret,
    /// A self-signed X.509 certificate of the public key, PEM: for a `sys_certificate` record that
    /// the instance's JWT verifier map points to.
    pub certificate: String,
    /// The public key as a JWK, for a JWKS document.
    pub jwk: PublicJwk,
    /// The key id (`jwk.kid`): the connection's `jwtKeyId` and the verifier map's key id.
    pub key_id: String,
}

/// The public half of a signing key.
#[derive(Debug, Serialize, Tsify)]
#[serde(rename_all = "camelCase")]
pub struct PublicSigningKey {
    /// The public key as a JWK, for a JWKS document.
    pub jwk: PublicJwk,
    /// The key id (`jwk.kid`).
    pub key_id: String,
}

fn public_jwk(spki: &[u8], key_id: Option<String>) -> Result<PublicJwk, Error> {
    let key =
        JwkKey::from_spki(spki).ok_or_else(|| signing_failed("export a readable public key"))?;
    let kid = key_id.unwrap_or_else(|| key.thumbprint());
    Ok(PublicJwk::new(key, kid))
}

/// Makes a key pair with `options.algorithm`, its certificate (valid from `now_ms`) and its JWK.
pub async fn generate_signing_key<S: Signer>(
    signer: &S,
    options: &GenerateKeyOptions,
    now_ms: u64,
) -> Result<SigningKeyPair, Error> {
    let generated = signer.generate_key(options.algorithm).await?;
    let key = SigningKey::from_pkcs8_der(generated.private_key_pkcs8)
        .map_err(|_| signing_failed("export the new private key as PKCS#8"))?;
    if key.algorithm() != options.algorithm {
        return Err(signing_failed("generate a key of the algorithm asked for"));
    }
    let jwk = public_jwk(&generated.public_key_spki, None)?;
    let certificate = self_signed_certificate(
        signer,
        &key,
        &generated.public_key_spki,
        &options.subject,
        now_ms,
        options.validity_days,
    )
    .await?;
    Ok(SigningKeyPair {
        private_key: key
            .to_pem()
            .ok_or_else(|| signing_failed("write the private key as PEM"))?,
        certificate,
        key_id: jwk.kid().to_owned(),
        jwk,
    })
}

/// The JWK of the private key `pem`; `options.algorithm`, when given, must fit the key.
pub async fn public_signing_key<S: Signer>(
    signer: &S,
    pem: &str,
    options: PublicKeyOptions,
) -> Result<PublicSigningKey, Error> {
    let key = SigningKey::from_pem(pem, "privateKey")?;
    if let Some(algorithm) = options.algorithm {
        key.check_algorithm(algorithm, "privateKey")?;
    }
    let spki = signer.public_key(&key).await?;
    let jwk = public_jwk(&spki, options.key_id)?;
    if jwk.algorithm() != key.algorithm() {
        return Err(signing_failed("export the public key of this private key"));
    }
    Ok(PublicSigningKey {
        key_id: jwk.kid().to_owned(),
        jwk,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_fixtures::{EC_KEY_PEM, NOW, RSA_KEY_PEM, TestSigner, verifies};
    use x509_cert::Certificate;
    use x509_cert::der::{DecodePem, Encode};

    #[test]
    fn generated_keys_come_with_a_matching_certificate_and_jwk() {
        for algorithm in [JwtAlgorithm::Es256, JwtAlgorithm::Rs256] {
            let options = GenerateKeyOptions {
                algorithm,
                ..GenerateKeyOptions::default()
            };
            let pair =
                pollster::block_on(generate_signing_key(&TestSigner, &options, NOW)).unwrap();
            let key = SigningKey::from_pem(pair.private_key.expose(), "privateKey").unwrap();
            assert_eq!(key.algorithm(), algorithm);
            assert_eq!(pair.jwk.algorithm(), algorithm);
            assert_eq!(pair.key_id, pair.jwk.kid());
            assert_eq!(pair.key_id.len(), 43);
            let certificate = Certificate::from_pem(&pair.certificate).unwrap();
            let spki = certificate
                .tbs_certificate()
                .subject_public_key_info()
                .to_der()
                .unwrap();
            // The certificate, the JWK and the private key are one key.
            let from_certificate = JwkKey::from_spki(&spki).unwrap();
            assert_eq!(pair.key_id, from_certificate.thumbprint());
            assert_eq!(
                PublicJwk::new(from_certificate, pair.key_id.clone()),
                pair.jwk
            );
            let public = pollster::block_on(public_signing_key(
                &TestSigner,
                pair.private_key.expose(),
                PublicKeyOptions::default(),
            ))
            .unwrap();
            assert_eq!(public.jwk, pair.jwk);
            let signature = pollster::block_on(TestSigner.sign(&key, b"m")).unwrap();
            assert!(verifies(algorithm, &spki, b"m", &signature));
        }
    }

    #[test]
    fn two_generated_keys_differ() {
        let options = GenerateKeyOptions {
            algorithm: JwtAlgorithm::Es256,
            ..GenerateKeyOptions::default()
        };
        let one = pollster::block_on(generate_signing_key(&TestSigner, &options, NOW)).unwrap();
        let two = pollster::block_on(generate_signing_key(&TestSigner, &options, NOW)).unwrap();
        assert_ne!(one.key_id, two.key_id);
        assert_ne!(one.private_key.expose(), two.private_key.expose());
    }

    #[test]
    fn public_keys_of_existing_private_keys() {
        let rsa = pollster::block_on(public_signing_key(
            &TestSigner,
            RSA_KEY_PEM,
            PublicKeyOptions::default(),
        ))
        .unwrap();
        let PublicJwk::Rsa { e, n, .. } = &rsa.jwk else {
            panic!("RSA expected")
        };
        assert_eq!(e, "AQAB");
        assert_eq!(n.len(), 342, "2048 bits without a leading zero");
        let named = pollster::block_on(public_signing_key(
            &TestSigner,
            EC_KEY_PEM,
            PublicKeyOptions {
                algorithm: Some(JwtAlgorithm::Es256),
                key_id: Some("rotation-2".to_owned()),
            },
        ))
        .unwrap();
        assert_eq!(named.key_id, "rotation-2");
        assert_eq!(named.jwk.kid(), "rotation-2");
        let text = serde_json::to_string(&named).unwrap();
        assert!(
            text.starts_with(r#"{"jwk":{"kty":"EC","crv":"P-256","x":""#),
            "{text}"
        );
        assert!(!text.contains("\"d\""), "no private member");
        let mismatch = pollster::block_on(public_signing_key(
            &TestSigner,
            EC_KEY_PEM,
            PublicKeyOptions {
                algorithm: Some(JwtAlgorithm::Rs256),
                key_id: None,
            },
        ))
        .unwrap_err();
        assert_eq!(mismatch.code.as_str(), "key_algorithm_mismatch");
        let garbage = pollster::block_on(public_signing_key(
            &TestSigner,
            "nope",
            PublicKeyOptions::default(),
        ))
        .unwrap_err();
        assert_eq!(
            (garbage.code.as_str(), garbage.field),
            ("invalid_private_key", Some("privateKey"))
        );
    }

    #[test]
    fn options_are_read_and_checked() {
        assert_eq!(
            GenerateKeyOptions::from_json("null").unwrap(),
            GenerateKeyOptions::default()
        );
        assert_eq!(
            PublicKeyOptions::from_json("null").unwrap(),
            PublicKeyOptions::default()
        );
        assert_eq!(
            GenerateKeyOptions::from_json(
                r#"{"algorithm":"ES256","subject":" svc ","validityDays":30}"#
            )
            .unwrap(),
            GenerateKeyOptions {
                algorithm: JwtAlgorithm::Es256,
                subject: "svc".to_owned(),
                validity_days: 30,
            }
        );
        assert_eq!(
            PublicKeyOptions::from_json(r#"{"algorithm":"RS256","keyId":"k"}"#).unwrap(),
            PublicKeyOptions {
                algorithm: Some(JwtAlgorithm::Rs256),
                key_id: Some("k".to_owned()),
            }
        );
        let long = format!(r#"{{"subject":"{}"}}"#, "x".repeat(65));
        for (text, field, code) in [
            (
                r#"{"algorithm":"HS256"}"#,
                "algorithm",
                "invalid_jwt_algorithm",
            ),
            (r#"{"algorithm":1}"#, "algorithm", "invalid_type"),
            (r#"{"subject":""}"#, "subject", "out_of_range"),
            (long.as_str(), "subject", "out_of_range"),
            (r#"{"subject":"a\nb"}"#, "subject", "control_character"),
            (r#"{"validityDays":0}"#, "validityDays", "out_of_range"),
            (r#"{"validityDays":1.5}"#, "validityDays", "out_of_range"),
            (r#"{"validityDays":3651}"#, "validityDays", "out_of_range"),
            (r#"{"validityDays":"30"}"#, "validityDays", "invalid_type"),
            ("7", "options", "invalid_type"),
        ] {
            let error = GenerateKeyOptions::from_json(text).unwrap_err();
            assert_eq!(
                (error.field, error.code.as_str()),
                (Some(field), code),
                "{text}"
            );
        }
        for (text, field, code) in [
            (r#"{"keyId":"a\u0000"}"#, "keyId", "control_character"),
            (r#"{"keyId":5}"#, "keyId", "invalid_type"),
            (
                r#"{"algorithm":"none"}"#,
                "algorithm",
                "invalid_jwt_algorithm",
            ),
        ] {
            let error = PublicKeyOptions::from_json(text).unwrap_err();
            assert_eq!(
                (error.field, error.code.as_str()),
                (Some(field), code),
                "{text}"
            );
        }
        assert_eq!(
            GenerateKeyOptions::from_json(r#"{"validityDays":3650}"#)
                .unwrap()
                .validity_days,
            3650
        );
    }
}
