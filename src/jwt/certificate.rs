//! A self-signed X.509 certificate (RFC 5280) for a signing key: how ServiceNow's JWT verifier maps
//! take a public key (a `sys_certificate` record holding a PEM certificate).
//!
//! Built with RustCrypto's `x509-cert` builder: the builder writes the to-be-signed certificate
//! (`finalize`), the [`Signer`] signs those bytes with the private key, and the builder puts the
//! signature in (`assemble`); nothing of the certificate's DER is written by hand. Subject and issuer
//! are the same `CN=<subject>`; the serial number is 127 random bits; the validity runs from now for
//! the days asked; the extensions mark an end-entity key for signatures (basic constraints without
//! CA, key usage digitalSignature). The signature algorithm is sha256WithRSAEncryption (RFC 4055) or
//! ecdsa-with-SHA256 (RFC 5758), whose signature is the DER `SEQUENCE { r, s }` (RFC 3279 §2.2.3)
//! rather than JWS's `r ‖ s`.

use core::time::Duration;

use pkcs8::der::asn1::{Any, BitString, GeneralizedTime, SetOfVec, UintRef};
use pkcs8::der::oid::db::rfc4519::COMMON_NAME;
use pkcs8::der::oid::db::rfc5912::{ECDSA_WITH_SHA_256, SHA_256_WITH_RSA_ENCRYPTION};
use pkcs8::der::pem::LineEnding;
use pkcs8::der::{DateTime, Decode, Encode, Header, Length, Tag};
use pkcs8::spki::{
    AlgorithmIdentifierOwned, DynSignatureAlgorithmIdentifier, EncodePublicKey,
    SubjectPublicKeyInfoOwned, SubjectPublicKeyInfoRef,
};
use x509_cert::attr::AttributeTypeAndValue;
use x509_cert::builder::profile::BuilderProfile;
use x509_cert::builder::{Builder, CertificateBuilder};
use x509_cert::certificate::TbsCertificate;
use x509_cert::ext::pkix::{BasicConstraints, KeyUsage, KeyUsages};
use x509_cert::ext::{Extension, ToExtension};
use x509_cert::name::{Name, RdnSequence, RelativeDistinguishedName};
use x509_cert::serial_number::SerialNumber;
use x509_cert::time::{Time, Validity};

use crate::error::Error;
use crate::jwt::signer::{Signer, signing_failed};
use crate::jwt::signing_key::{JwtAlgorithm, SigningKey};
use crate::random::random_bytes;

/// One self-signed end-entity certificate's profile: issuer = subject, the two extensions above.
struct SelfSigned {
    subject: Name,
}

impl BuilderProfile for SelfSigned {
    fn get_issuer(&self, subject: &Name) -> Name {
        subject.clone()
    }

    fn get_subject(&self) -> Name {
        self.subject.clone()
    }

    fn build_extensions(
        &self,
        _subject_key: SubjectPublicKeyInfoRef<'_>,
        _issuer_key: SubjectPublicKeyInfoRef<'_>,
        tbs: &TbsCertificate,
    ) -> x509_cert::builder::Result<Vec<Extension>> {
        let constraints = BasicConstraints {
            ca: false,
            path_len_constraint: None,
        };
        let usage = KeyUsage(KeyUsages::DigitalSignature.into());
        Ok(vec![
            constraints.to_extension(tbs.subject(), &[])?,
            usage.to_extension(tbs.subject(), &[])?,
        ])
    }
}

/// What the builder asks of a signer besides signing: the public key and the signature algorithm.
struct CertificateKey {
    public_key: PublicKeyDer,
    algorithm: JwtAlgorithm,
}

/// A public key already in SubjectPublicKeyInfo DER.
#[derive(Clone)]
struct PublicKeyDer(SubjectPublicKeyInfoOwned);

impl EncodePublicKey for PublicKeyDer {
    fn to_public_key_der(&self) -> pkcs8::spki::Result<pkcs8::Document> {
        Ok(pkcs8::Document::try_from(self.0.to_der()?.as_slice())?)
    }
}

impl signature::Keypair for CertificateKey {
    type VerifyingKey = PublicKeyDer;

    fn verifying_key(&self) -> PublicKeyDer {
        self.public_key.clone()
    }
}

impl DynSignatureAlgorithmIdentifier for CertificateKey {
    fn signature_algorithm_identifier(&self) -> pkcs8::spki::Result<AlgorithmIdentifierOwned> {
        Ok(match self.algorithm {
            // RFC 4055 §5: the parameters are NULL.
            JwtAlgorithm::Rs256 => AlgorithmIdentifierOwned {
                oid: SHA_256_WITH_RSA_ENCRYPTION,
                parameters: Some(Any::null()),
            },
            // RFC 5758 §3.2: no parameters.
            JwtAlgorithm::Es256 => AlgorithmIdentifierOwned {
                oid: ECDSA_WITH_SHA_256,
                parameters: None,
            },
        })
    }
}

/// `CN=<common_name>`, built from its parts (no RFC 4514 string parsing, so no escaping questions).
fn common_name(common_name: &str) -> Option<Name> {
    let value = Any::new(Tag::Utf8String, common_name.as_bytes()).ok()?;
    let attribute = AttributeTypeAndValue {
        oid: COMMON_NAME,
        value,
    };
    let rdn = RelativeDistinguishedName::from(SetOfVec::try_from(vec![attribute]).ok()?);
    let mut sequence = RdnSequence::default();
    sequence.push(rdn);
    Name::from_der(&sequence.to_der().ok()?).ok()
}

/// The certificate's validity: from `now_ms` (whole seconds) for `days`.
fn validity(now_ms: u64, days: u32) -> Option<Validity> {
    let start = Duration::from_secs(now_ms / 1000);
    let end = start.checked_add(Duration::from_secs(u64::from(days) * 86_400))?;
    let time = |at: Duration| {
        DateTime::from_unix_duration(at)
            .ok()
            .map(|at| Time::from(GeneralizedTime::from_date_time(at)))
    };
    Some(Validity::new(time(start)?, time(end)?))
}

/// An ECDSA signature from JWS's `r ‖ s` to the DER X.509 wants.
fn ecdsa_der(raw: &[u8]) -> Option<Vec<u8>> {
    let (r, s) = raw.split_at_checked(32).filter(|(_, s)| s.len() == 32)?;
    let mut body = UintRef::new(r).ok()?.to_der().ok()?;
    body.extend(UintRef::new(s).ok()?.to_der().ok()?);
    let mut der = Header::new(Tag::Sequence, Length::try_from(body.len()).ok()?)
        .to_der()
        .ok()?;
    der.extend(body);
    Some(der)
}

/// A self-signed certificate for `key`, whose public half is `public_key_spki`, as PEM.
pub async fn self_signed_certificate<S: Signer>(
    signer: &S,
    key: &SigningKey,
    public_key_spki: &[u8],
    subject: &str,
    now_ms: u64,
    validity_days: u32,
) -> Result<String, Error> {
    let failed = || signing_failed("build the certificate");
    let spki = SubjectPublicKeyInfoOwned::from_der(public_key_spki).map_err(|_| failed())?;
    let name = common_name(subject).ok_or_else(failed)?;
    let mut serial = random_bytes::<16>()?;
    // Positive and 16 bytes long (RFC 5280 §4.1.2.2): the top bit clear, the next one set.
    if let Some(first) = serial.first_mut() {
        *first = (*first & 0x7f) | 0x40;
    }
    let serial = SerialNumber::new(&serial).map_err(|_| failed())?;
    let certificate_key = CertificateKey {
        public_key: PublicKeyDer(spki.clone()),
        algorithm: key.algorithm(),
    };
    let mut builder = CertificateBuilder::new(
        SelfSigned { subject: name },
        serial,
        validity(now_ms, validity_days).ok_or_else(failed)?,
        spki,
    )
    .map_err(|_| failed())?;
    let to_be_signed = builder.finalize(&certificate_key).map_err(|_| failed())?;
    let signature = signer.sign(key, &to_be_signed).await?;
    let signature = match key.algorithm() {
        JwtAlgorithm::Rs256 => signature,
        JwtAlgorithm::Es256 => ecdsa_der(&signature).ok_or_else(failed)?,
    };
    let signature = BitString::from_bytes(&signature).map_err(|_| failed())?;
    let certificate = builder
        .assemble(signature, &certificate_key)
        .map_err(|_| failed())?;
    let der = certificate.to_der().map_err(|_| failed())?;
    pkcs8::der::pem::encode_string("CERTIFICATE", LineEnding::LF, &der).map_err(|_| failed())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_fixtures::{EC_KEY_PEM, NOW, RSA_KEY_PEM, TestSigner, verifies};
    use x509_cert::Certificate;
    use x509_cert::der::DecodePem;

    fn certificate_for(pem: &str, subject: &str, days: u32) -> (Certificate, Vec<u8>) {
        let key = SigningKey::from_pem(pem, "privateKey").unwrap();
        let spki = pollster::block_on(TestSigner.public_key(&key)).unwrap();
        let text = pollster::block_on(self_signed_certificate(
            &TestSigner,
            &key,
            &spki,
            subject,
            NOW,
            days,
        ))
        .unwrap();
        assert!(text.starts_with("-----BEGIN CERTIFICATE-----\n"));
        assert!(text.ends_with("-----END CERTIFICATE-----\n"));
        (Certificate::from_pem(&text).unwrap(), spki)
    }

    #[test]
    fn self_signed_and_verifiable_with_either_algorithm() {
        for (pem, algorithm, oid) in [
            (
                RSA_KEY_PEM,
                JwtAlgorithm::Rs256,
                SHA_256_WITH_RSA_ENCRYPTION,
            ),
            (EC_KEY_PEM, JwtAlgorithm::Es256, ECDSA_WITH_SHA_256),
        ] {
            let (certificate, spki) = certificate_for(pem, "servicenow-connection", 365);
            let tbs = &certificate.tbs_certificate();
            assert_eq!(certificate.signature_algorithm().oid, oid);
            assert_eq!(tbs.subject(), tbs.issuer());
            assert_eq!(tbs.subject().to_string(), "CN=servicenow-connection");
            assert_eq!(tbs.subject_public_key_info().to_der().unwrap(), spki);
            assert_eq!(
                tbs.validity().not_before.to_unix_duration().as_secs(),
                NOW / 1000
            );
            assert_eq!(
                tbs.validity().not_after.to_unix_duration().as_secs(),
                NOW / 1000 + 365 * 86_400
            );
            assert_eq!(tbs.extensions().map(|e| e.len()), Some(2));
            // The signature verifies over the to-be-signed bytes with the key's public half.
            let signed = tbs.to_der().unwrap();
            let signature = certificate.signature().as_bytes().unwrap();
            let signature = match algorithm {
                JwtAlgorithm::Rs256 => signature.to_vec(),
                JwtAlgorithm::Es256 => p256::ecdsa::Signature::from_der(signature)
                    .unwrap()
                    .to_bytes()
                    .to_vec(),
            };
            assert!(verifies(algorithm, &spki, &signed, &signature));
            assert!(!verifies(algorithm, &spki, b"other bytes", &signature));
        }
    }

    #[test]
    fn subjects_are_kept_verbatim_and_serials_differ() {
        let subject = "ACME, Inc. = \"prod\" + <svc>; #1 ünï";
        let (first, _) = certificate_for(EC_KEY_PEM, subject, 1);
        let common_name = first
            .tbs_certificate()
            .subject()
            .common_name()
            .unwrap()
            .unwrap();
        assert_eq!(common_name.value(), subject);
        let (second, _) = certificate_for(EC_KEY_PEM, subject, 1);
        assert_ne!(
            first.tbs_certificate().serial_number(),
            second.tbs_certificate().serial_number()
        );
        assert_eq!(first.tbs_certificate().serial_number().as_bytes().len(), 16);
    }

    #[test]
    fn ecdsa_signatures_convert_to_der() {
        let mut raw = [0u8; 64];
        raw[0] = 0x80; // r: a leading zero byte keeps it positive in DER
        raw[63] = 1; // s = 1: leading zeros dropped
        let mut expected = vec![0x30, 38, 0x02, 33, 0x00, 0x80];
        expected.extend([0u8; 31]);
        expected.extend([0x02, 0x01, 0x01]);
        assert_eq!(ecdsa_der(&raw).unwrap(), expected);
        assert!(ecdsa_der(&raw[..63]).is_none());
        assert!(ecdsa_der(&[0u8; 65]).is_none());
    }
}
