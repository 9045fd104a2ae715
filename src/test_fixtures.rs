//! Settings, tokens and keys the unit tests share: valid Basic, OAuth 2.0 and JWT-bearer connections
//! on a made-up instance, token sets around a fixed time, test keys, and two signers (one that
//! records, one that really signs).

use crate::config::{ConnectionConfig, ConnectionInput, ValidateOptions, validate};
use crate::error::Error;
use crate::http::HttpResponse;
use crate::jwt::signer::{GeneratedKey, Signer, signing_failed};
use crate::jwt::signing_key::{JwtAlgorithm, SigningKey};
use crate::oauth::token::TokenSet;
use crate::secret::Secret;

/// The fixed "now" of the tests: 2023-11-14T22:13:20Z.
pub(crate) const NOW: u64 = 1_700_000_000_000;

/// An answer with `status`, one `Content-Type` header and `body`.
pub(crate) fn response(status: u16, content_type: &str, body: &str) -> HttpResponse {
    HttpResponse {
        status,
        headers: vec![("Content-Type".to_owned(), content_type.to_owned())],
        body: body.as_bytes().to_vec(),
    }
}

/// A JSON answer as ServiceNow sends it (`application/json;charset=UTF-8`).
pub(crate) fn json_response(status: u16, body: &str) -> HttpResponse {
    response(status, "application/json;charset=UTF-8", body)
}

/// Valid Basic settings on `base_url`.
pub(crate) fn basic_input(base_url: &str) -> ConnectionInput {
    ConnectionInput {
        base_url: Some(base_url.to_owned()),
        auth_type: Some("basic".to_owned()),
        username: Some("admin".to_owned()),
        password: Some(Secret::new("pw")),
        ..ConnectionInput::default()
    }
}

/// Valid OAuth 2.0 settings on `base_url`.
pub(crate) fn oauth_input(base_url: &str) -> ConnectionInput {
    ConnectionInput {
        base_url: Some(base_url.to_owned()),
        auth_type: Some("oauth2".to_owned()),
        client_id: Some("id".to_owned()),
        client_secret: Some(Secret::new("secret")),
        ..ConnectionInput::default()
    }
}

/// Settings that must validate.
pub(crate) fn config(input: &ConnectionInput) -> ConnectionConfig {
    match validate(input, ValidateOptions::default()) {
        Ok(config) => config,
        Err(errors) => panic!("fixture settings do not validate: {errors:?}"),
    }
}

/// Basic, admin / pw, at `https://dev1.service-now.com/api/now/v2`.
pub(crate) fn basic_config() -> ConnectionConfig {
    config(&basic_input("https://dev1.service-now.com/api/now/v2"))
}

/// OAuth 2.0, id / secret, at `https://dev1.service-now.com/api/now`.
pub(crate) fn oauth_config() -> ConnectionConfig {
    config(&oauth_input("https://dev1.service-now.com/api/now"))
}

/// A token set issued at [`NOW`] without known expiry.
pub(crate) fn token_set(access_token: &str, refresh_token: Option<&str>) -> TokenSet {
    TokenSet {
        access_token: Secret::new(access_token),
        refresh_token: refresh_token.map(Secret::new),
        token_type: "Bearer".to_owned(),
        scope: None,
        issued_at_ms: NOW,
        expires_at_ms: None,
        refresh_expires_at_ms: None,
        grant_type: crate::grant_type::GrantType::AuthorizationCode,
    }
}

/// An RSA 2048 test key, PKCS#8 PEM.
pub(crate) const RSA_KEY_PEM: &str = include_str!("../tests/fixtures/keys/rsa-2048.pem");
/// An EC P-256 test key, PKCS#8 PEM.
pub(crate) const EC_KEY_PEM: &str = include_str!("../tests/fixtures/keys/ec-p256.pem");
/// An EC P-384 test key (a curve ES256 cannot use).
pub(crate) const EC_P384_KEY_PEM: &str = include_str!("../tests/fixtures/keys/ec-p384.pem");
/// An Ed25519 test key (a kind of key neither algorithm uses).
pub(crate) const ED25519_KEY_PEM: &str = include_str!("../tests/fixtures/keys/ed25519.pem");

/// JWT-bearer settings on `https://dev1.service-now.com/api/now` (client `client-1`, subject
/// `svc.integration@example.com`, key id `key-1`, the RSA test key), changed by `change`.
pub(crate) fn jwt_config(change: impl FnOnce(&mut ConnectionInput)) -> ConnectionConfig {
    let mut input = ConnectionInput {
        client_id: Some("client-1".to_owned()),
        grant_type: Some("jwt_bearer".to_owned()),
        jwt_subject: Some("svc.integration@example.com".to_owned()),
        jwt_key_id: Some("key-1".to_owned()),
        private_key: Some(Secret::new(RSA_KEY_PEM)),
        ..oauth_input("https://dev1.service-now.com/api/now")
    };
    change(&mut input);
    config(&input)
}

/// A signer that records what it was asked to sign and answers with a fixed signature: for tests of
/// what is signed, not of signatures.
pub(crate) struct RecordingSigner {
    pub(crate) signature: Vec<u8>,
    pub(crate) messages: core::cell::RefCell<Vec<String>>,
}

impl Default for RecordingSigner {
    fn default() -> Self {
        Self {
            signature: vec![7; 256],
            messages: core::cell::RefCell::default(),
        }
    }
}

impl RecordingSigner {
    pub(crate) fn messages(&self) -> Vec<String> {
        self.messages.borrow().clone()
    }
}

impl Signer for RecordingSigner {
    async fn sign(&self, _key: &SigningKey, message: &[u8]) -> Result<Vec<u8>, Error> {
        self.messages
            .borrow_mut()
            .push(String::from_utf8(message.to_vec()).unwrap());
        Ok(self.signature.clone())
    }

    async fn generate_key(&self, _algorithm: JwtAlgorithm) -> Result<GeneratedKey, Error> {
        Err(signing_failed("generate a key in this test"))
    }

    async fn public_key(&self, _key: &SigningKey) -> Result<Vec<u8>, Error> {
        Err(signing_failed("export a public key in this test"))
    }
}

/// Real RS256 and ES256 signatures with RustCrypto's `rsa` and `p256`, as WebCrypto makes them in the
/// package. New P-256 keys are generated; a "new" RSA key is the RSA test key, since generating RSA
/// keys takes seconds in an unoptimised test build.
pub(crate) struct TestSigner;

impl Signer for TestSigner {
    async fn sign(&self, key: &SigningKey, message: &[u8]) -> Result<Vec<u8>, Error> {
        use p256::pkcs8::DecodePrivateKey as _;
        Ok(match key.algorithm() {
            JwtAlgorithm::Rs256 => rsa::PrivateKey::from_pkcs8_der(key.pkcs8_der())
                .unwrap()
                .pkcs1v15_sign::<sha2::Sha256>(message)
                .unwrap(),
            JwtAlgorithm::Es256 => {
                let signing = p256::ecdsa::SigningKey::from_pkcs8_der(key.pkcs8_der()).unwrap();
                let signature: p256::ecdsa::Signature =
                    p256::ecdsa::signature::Signer::sign(&signing, message);
                signature.to_bytes().to_vec()
            }
        })
    }

    async fn generate_key(&self, algorithm: JwtAlgorithm) -> Result<GeneratedKey, Error> {
        use p256::pkcs8::EncodePrivateKey as _;
        let key = match algorithm {
            JwtAlgorithm::Rs256 => SigningKey::from_pem(RSA_KEY_PEM, "privateKey").unwrap(),
            JwtAlgorithm::Es256 => {
                let secret = <p256::SecretKey as p256::elliptic_curve::Generate>::generate();
                SigningKey::from_pkcs8_der(secret.to_pkcs8_der().unwrap().as_bytes().to_vec())
                    .unwrap()
            }
        };
        Ok(GeneratedKey {
            public_key_spki: self.public_key(&key).await?,
            private_key_pkcs8: key.pkcs8_der().to_vec(),
        })
    }

    async fn public_key(&self, key: &SigningKey) -> Result<Vec<u8>, Error> {
        use p256::pkcs8::{DecodePrivateKey as _, EncodePublicKey as _};
        Ok(match key.algorithm() {
            JwtAlgorithm::Rs256 => rsa::PrivateKey::from_pkcs8_der(key.pkcs8_der())
                .unwrap()
                .to_public_key()
                .to_public_key_der()
                .unwrap()
                .into_vec(),
            JwtAlgorithm::Es256 => p256::SecretKey::from_pkcs8_der(key.pkcs8_der())
                .unwrap()
                .public_key()
                .to_public_key_der()
                .unwrap()
                .into_vec(),
        })
    }
}

/// Whether `signature` is a valid JWS signature of `message` by the public key `spki`.
pub(crate) fn verifies(
    algorithm: JwtAlgorithm,
    spki: &[u8],
    message: &[u8],
    signature: &[u8],
) -> bool {
    use p256::pkcs8::DecodePublicKey as _;
    match algorithm {
        JwtAlgorithm::Rs256 => rsa::PublicKey::from_public_key_der(spki)
            .unwrap()
            .pkcs1v15_verify::<sha2::Sha256>(message, signature)
            .is_ok(),
        JwtAlgorithm::Es256 => {
            let key = p256::ecdsa::VerifyingKey::from_public_key_der(spki).unwrap();
            let Ok(signature) = p256::ecdsa::Signature::from_slice(signature) else {
                return false;
            };
            p256::ecdsa::signature::Verifier::verify(&key, message, &signature).is_ok()
        }
    }
}
