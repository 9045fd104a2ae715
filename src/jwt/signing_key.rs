//! The private key of the JWT-bearer grant and its signing algorithm.
//!
//! Keys are entered as unencrypted PKCS#8 (RFC 5208) in PEM (RFC 7468, `-----BEGIN PRIVATE
//! KEY-----`), the form WebCrypto imports and `openssl genpkey` writes; the PEM and DER are read by
//! RustCrypto's `pkcs8` (with `pem-rfc7468`), never by hand. A key is RSA (`rsaEncryption`) for RS256
//! (RSASSA-PKCS1-v1_5 with SHA-256, RFC 7518 §3.3) or EC on P-256 (`id-ecPublicKey`, `secp256r1`)
//! for ES256 (ECDSA with SHA-256, §3.4): the two algorithms every WebCrypto implements and ServiceNow
//! verifies. The other common PEM forms get a message that says how to convert them. A key is a
//! secret: its `Debug` shows nothing and messages never quote it.

use core::fmt;

use pkcs8::PrivateKeyInfoRef;
use pkcs8::der::asn1::{ObjectIdentifier, UintRef};
use pkcs8::der::oid::db::rfc5912::{ID_EC_PUBLIC_KEY, RSA_ENCRYPTION, SECP_256_R_1};
use pkcs8::der::pem::{self, LineEnding};
use pkcs8::der::{Decode as _, Reader as _, SliceReader};
use serde::{Deserialize, Serialize};
use tsify::Tsify;

use crate::error::{FieldCode, FieldError};
use crate::field::{has_control_character, label};
use crate::secret::Secret;

/// The longest private key PEM accepted (an RSA key of 8,192 bits is about 6.4 KB).
pub(crate) const MAX_PRIVATE_KEY_LEN: usize = 16 * 1024;

/// How assertions are signed (RFC 7518 §3.1 names).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, Tsify)]
pub enum JwtAlgorithm {
    /// RSASSA-PKCS1-v1_5 with SHA-256, with an RSA key: the default.
    #[default]
    #[serde(rename = "RS256")]
    Rs256,
    /// ECDSA on P-256 with SHA-256, with an EC key.
    #[serde(rename = "ES256")]
    Es256,
}

impl JwtAlgorithm {
    /// The JWS name: `RS256` or `ES256`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Rs256 => "RS256",
            Self::Es256 => "ES256",
        }
    }

    /// The algorithm with this JWS name.
    pub fn from_name(name: &str) -> Option<Self> {
        [Self::Rs256, Self::Es256]
            .into_iter()
            .find(|algorithm| algorithm.as_str() == name)
    }

    /// The algorithm `name` gives for `field`, or the field error that names the two there are.
    pub(crate) fn parse(name: &str, field: &'static str) -> Result<Self, FieldError> {
        Self::from_name(name).ok_or_else(|| {
            FieldError::new(
                field,
                FieldCode::InvalidJwtAlgorithm,
                "Signing algorithm must be \"RS256\" or \"ES256\".",
            )
        })
    }

    /// The kind of key the algorithm signs with, for messages.
    fn key_kind(self) -> &'static str {
        match self {
            Self::Rs256 => "an RSA key",
            Self::Es256 => "an EC P-256 key",
        }
    }
}

/// A PKCS#8 private key whose algorithm is known. Compare and print it only through
/// [`SigningKey::pkcs8_der`].
#[derive(Clone, PartialEq, Eq)]
pub struct SigningKey {
    algorithm: JwtAlgorithm,
    der: Vec<u8>,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SigningKey({}, [redacted])", self.algorithm.as_str())
    }
}

impl SigningKey {
    /// Reads a PKCS#8 PEM; `field` names the input in errors. Surrounding whitespace is ignored, and
    /// lines may end in LF or CRLF.
    pub fn from_pem(pem: &str, field: &'static str) -> Result<Self, FieldError> {
        let invalid = |why: &str| {
            FieldError::new(
                field,
                FieldCode::InvalidPrivateKey,
                format!("{} {why}", label(field)),
            )
        };
        if pem.len() > MAX_PRIVATE_KEY_LEN {
            return Err(FieldError::new(
                field,
                FieldCode::TooLong,
                format!(
                    "{} must be at most {MAX_PRIVATE_KEY_LEN} bytes long.",
                    label(field)
                ),
            ));
        }
        let pem = pem.trim();
        // Line breaks belong to PEM; any other control character does not.
        if has_control_character(&pem.replace(['\r', '\n'], "")) {
            return Err(FieldError::new(
                field,
                FieldCode::ControlCharacter,
                format!(
                    "{} must not contain control characters other than line breaks.",
                    label(field)
                ),
            ));
        }
        let not_pem =
            "must be a PEM private key starting with -----BEGIN PRIVATE KEY----- (PKCS#8).";
        let kind = pem::decode_label(pem.as_bytes()).map_err(|_| invalid(not_pem))?;
        match kind {
            "PRIVATE KEY" => {}
            "ENCRYPTED PRIVATE KEY" => {
                return Err(invalid(
                    "is encrypted with a passphrase: export it unencrypted (openssl pkcs8 -topk8 -nocrypt).",
                ));
            }
            "RSA PRIVATE KEY" | "EC PRIVATE KEY" => {
                return Err(invalid(
                    "is in the older PKCS#1 or SEC1 form: convert it to PKCS#8 (openssl pkcs8 -topk8 -nocrypt).",
                ));
            }
            _ => return Err(invalid(not_pem)),
        }
        let mut decoder =
            pem::Decoder::new_detect_wrap(pem.as_bytes()).map_err(|_| invalid(not_pem))?;
        let mut der = Vec::new();
        decoder
            .decode_to_end(&mut der)
            .map_err(|_| invalid("is not valid PEM (the base64 between the lines is damaged)."))?;
        Self::from_pkcs8_der(der).map_err(invalid)
    }

    /// A key from PKCS#8 DER, or why it is not one this crate signs with (a phrase that follows
    /// the field's label).
    pub fn from_pkcs8_der(der: Vec<u8>) -> Result<Self, &'static str> {
        let info = PrivateKeyInfoRef::try_from(der.as_slice())
            .map_err(|_| "is not a PKCS#8 private key (its contents do not decode).")?;
        let oid = info.algorithm.oid;
        let algorithm = if oid == RSA_ENCRYPTION {
            if rsa_modulus_bits(info.private_key.as_bytes()).is_none_or(|bits| bits < MIN_RSA_BITS)
            {
                return Err("is an RSA key shorter than 2,048 bits (RS256 needs at least 2,048).");
            }
            JwtAlgorithm::Rs256
        } else if oid == ID_EC_PUBLIC_KEY {
            let curve = info
                .algorithm
                .parameters
                .and_then(|parameters| parameters.decode_as::<ObjectIdentifier>().ok());
            if curve != Some(SECP_256_R_1) {
                return Err("is an EC key on another curve than P-256 (ES256 needs P-256).");
            }
            JwtAlgorithm::Es256
        } else {
            return Err("is neither an RSA nor an EC P-256 key.");
        };
        Ok(Self { algorithm, der })
    }

    /// The algorithm the key signs with.
    pub fn algorithm(&self) -> JwtAlgorithm {
        self.algorithm
    }

    /// The PKCS#8 DER bytes, for the one place that signs with them.
    pub fn pkcs8_der(&self) -> &[u8] {
        &self.der
    }

    /// The key as PKCS#8 PEM with LF line ends, as it is entered.
    pub fn to_pem(&self) -> Option<Secret> {
        pem::encode_string("PRIVATE KEY", LineEnding::LF, &self.der)
            .ok()
            .map(Secret::new)
    }

    /// An error when the key does not fit `algorithm`.
    pub(crate) fn check_algorithm(
        &self,
        algorithm: JwtAlgorithm,
        field: &'static str,
    ) -> Result<(), FieldError> {
        if self.algorithm == algorithm {
            return Ok(());
        }
        Err(FieldError::new(
            field,
            FieldCode::KeyAlgorithmMismatch,
            format!(
                "{} is {}, but {} signs with {}: choose {} or enter {}.",
                label(field),
                self.algorithm.key_kind(),
                algorithm.as_str(),
                algorithm.key_kind(),
                self.algorithm.as_str(),
                algorithm.key_kind(),
            ),
        ))
    }
}

/// RS256 keys must have at least 2,048 bits (RFC 7518 §3.3).
const MIN_RSA_BITS: usize = 2048;

/// The size in bits of the modulus of an RSAPrivateKey (RFC 8017 §A.1.2: version, then modulus).
fn rsa_modulus_bits(rsa_private_key: &[u8]) -> Option<usize> {
    let mut reader = SliceReader::new(rsa_private_key).ok()?;
    let modulus = reader
        .sequence(|body| {
            UintRef::decode(body)?;
            let modulus = UintRef::decode(body)?;
            // The other members are the key's business, not its size's.
            body.read_slice(body.remaining_len())?;
            Ok::<_, pkcs8::der::Error>(modulus)
        })
        .ok()?;
    let bytes = modulus.as_bytes();
    let first = bytes.first()?;
    Some(bytes.len() * 8 - first.leading_zeros() as usize)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_fixtures::{EC_KEY_PEM, EC_P384_KEY_PEM, ED25519_KEY_PEM, RSA_KEY_PEM};

    #[test]
    fn rsa_and_p256_keys_are_read_with_their_algorithm() {
        let rsa = SigningKey::from_pem(RSA_KEY_PEM, "privateKey").unwrap();
        assert_eq!(rsa.algorithm(), JwtAlgorithm::Rs256);
        let ec = SigningKey::from_pem(EC_KEY_PEM, "privateKey").unwrap();
        assert_eq!(ec.algorithm(), JwtAlgorithm::Es256);
        // Written back, the same PEM; CRLF, surrounding blanks and another line width read too.
        assert_eq!(ec.to_pem().unwrap().expose(), EC_KEY_PEM);
        let crlf = format!("\n  {}  \n", RSA_KEY_PEM.replace('\n', "\r\n"));
        assert_eq!(SigningKey::from_pem(&crlf, "privateKey").unwrap(), rsa);
        let body: String = EC_KEY_PEM
            .lines()
            .filter(|line| !line.starts_with("-----"))
            .collect();
        let wide = format!("-----BEGIN PRIVATE KEY-----\n{body}\n-----END PRIVATE KEY-----\n");
        assert_eq!(SigningKey::from_pem(&wide, "privateKey").unwrap(), ec);
    }

    #[test]
    fn debug_never_shows_the_key() {
        let key = SigningKey::from_pem(RSA_KEY_PEM, "privateKey").unwrap();
        let shown = format!("{key:?}");
        assert_eq!(shown, "SigningKey(RS256, [redacted])");
    }

    #[test]
    fn other_forms_are_refused_with_a_way_out() {
        let body = |pem: &str| -> String {
            pem.lines()
                .filter(|line| !line.starts_with("-----"))
                .collect::<Vec<_>>()
                .join("\n")
        };
        let relabel = |label: &str| {
            format!(
                "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
                body(RSA_KEY_PEM)
            )
        };
        let cases = [
            (relabel("ENCRYPTED PRIVATE KEY"), "encrypted"),
            (relabel("RSA PRIVATE KEY"), "PKCS#1"),
            (relabel("PUBLIC KEY"), "BEGIN PRIVATE KEY"),
            (relabel("CERTIFICATE"), "BEGIN PRIVATE KEY"),
            ("not a key".to_owned(), "BEGIN PRIVATE KEY"),
            (body(RSA_KEY_PEM), "BEGIN PRIVATE KEY"),
            (
                "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----".to_owned(),
                "not a PKCS#8",
            ),
            (RSA_KEY_PEM.replacen("MII", "M!I", 1), "damaged"),
        ];
        for (pem, why) in cases {
            let error = SigningKey::from_pem(&pem, "privateKey").unwrap_err();
            assert_eq!(error.code, FieldCode::InvalidPrivateKey, "{why}");
            assert!(
                error.message.starts_with("Private key "),
                "{}",
                error.message
            );
            assert!(error.message.contains(why), "{}", error.message);
            assert!(!error.message.contains("MII"), "the key is not quoted");
        }
        for (pem, why) in [
            (EC_P384_KEY_PEM, "another curve than P-256"),
            (ED25519_KEY_PEM, "neither an RSA nor an EC P-256 key"),
        ] {
            let error = SigningKey::from_pem(pem, "privateKey").unwrap_err();
            assert_eq!(error.code, FieldCode::InvalidPrivateKey);
            assert!(error.message.contains(why), "{}", error.message);
        }
        let tab = RSA_KEY_PEM.replacen('\n', "\t\n", 2);
        assert_eq!(
            SigningKey::from_pem(&tab, "privateKey").unwrap_err().code,
            FieldCode::ControlCharacter
        );
        let long = "x".repeat(MAX_PRIVATE_KEY_LEN + 1);
        assert_eq!(
            SigningKey::from_pem(&long, "privateKey").unwrap_err().code,
            FieldCode::TooLong
        );
    }

    /// A 1,024-bit RSA key, made for this test only.
    const RSA_1024_KEY_PEM: &str = "-----BEGIN PRIVATE KEY-----\nMIICdgIBADANBgkqhkiG9w0BAQEFAASCAmAwggJcAgEAAoGBAMkVDjObKW1cotFy\npa0Fse3FKePjfhxlaS/9TbeUON5v9bGuCLa9+nlLcQO+6FGXkcuGzQ5D5hvnpHAW\nuRnrXykF3M16EqJLzcTval8PdDvv7r4Eori6lS8eZOwZH5Eq8puVBGN/Kgw0xNLa\nDqGM7HSZSa68LT3uYItUhZRAeO3zAgMBAAECgYA3B1MWnlzM9+/636QlYIyb5Dwd\niHFHthz+LBTrq12QyhTz5guubvkv3ox0GPec9JzKlP5i7AP6GP9wSVeolzg4FkZo\n00lvZcKWO3a5PkUxpHyLLclADdtrVPCLCJFtEhdiU8w+6E1KYL4/z2V5GglHy0ys\nbGmDBN+D2tkcsIRHQQJBAPQPACa030r1PnGlZY2E4T3mIj/06oO3o1L2kwaIzRew\nKUaUexPABgKqCYeAXcU8WHeDPiTq7r+fZ4Eap1rF9dMCQQDS6786PZ8ouhgC+Qyt\nZHF3dzh9UXiHAX++EpUQTG7swbg+yPAFCjV/ndNymKYiHv2tfo+ilDwM4Avpf+oX\nM3NhAkEA1qDCf0ec/uyBh6vujPAIrUjPYfNesYszZGhXj+2Kf4R6KAm32vyJzJoA\nW1t2G1ggbKnMYucAIyBqA82O03M35QJASXs4M+IkANxUYTTC5eWIYkZ2t7Iae25a\nQq3WoMcAHhufRMBcXmUgHkWt1M65kkmZt0fQYqOiCBpGDCM0OsECAQJAVKFQVozO\nE9Y7ZXghE4MstjqRPbCkJjWRwknd597DBq7xnXCAGSJul+Zdm6depNEI8Ads+RnW\nwKd9oHfUmGOYKQ==\n-----END PRIVATE KEY-----";

    #[test]
    fn rsa_keys_shorter_than_2048_bits_are_refused_when_read() {
        let error = SigningKey::from_pem(RSA_1024_KEY_PEM, "privateKey").unwrap_err();
        assert_eq!(error.field, "privateKey");
        assert!(error.message.contains("2,048 bits"), "{}", error.message);
        assert_eq!(
            SigningKey::from_pem(RSA_KEY_PEM, "privateKey")
                .unwrap()
                .algorithm(),
            JwtAlgorithm::Rs256
        );
    }

    #[test]
    fn algorithm_must_fit_the_key() {
        let ec = SigningKey::from_pem(EC_KEY_PEM, "privateKey").unwrap();
        assert!(
            ec.check_algorithm(JwtAlgorithm::Es256, "privateKey")
                .is_ok()
        );
        let error = ec
            .check_algorithm(JwtAlgorithm::Rs256, "privateKey")
            .unwrap_err();
        assert_eq!(error.code, FieldCode::KeyAlgorithmMismatch);
        assert_eq!(
            error.message,
            "Private key is an EC P-256 key, but RS256 signs with an RSA key: choose ES256 or enter an RSA key."
        );
        assert_eq!(JwtAlgorithm::from_name("ES256"), Some(JwtAlgorithm::Es256));
        assert_eq!(JwtAlgorithm::from_name("HS256"), None);
        assert_eq!(
            serde_json::to_string(&JwtAlgorithm::Rs256).unwrap(),
            "\"RS256\""
        );
    }
}
