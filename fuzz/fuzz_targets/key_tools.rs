//! What the JWT-bearer key tools parse: private keys as PEM text and as PKCS#8 DER, public keys as
//! SubjectPublicKeyInfo DER, and the key tools' options as JSON text. Must never panic; a key that
//! is read writes back to PEM that reads as the same key, and a public key that is read has a
//! 43-character thumbprint.
#![no_main]

use libfuzzer_sys::fuzz_target;
use servicenow_connection::jwt::key_tools::{GenerateKeyOptions, PublicKeyOptions};
use servicenow_connection::jwt::public_key::JwkKey;
use servicenow_connection::jwt::signing_key::SigningKey;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else { return };
    match selector % 4 {
        0 => {
            let text = String::from_utf8_lossy(rest);
            if let Ok(key) = SigningKey::from_pem(&text, "privateKey") {
                let pem = key.to_pem().unwrap();
                assert_eq!(SigningKey::from_pem(pem.expose(), "privateKey").unwrap(), key);
            }
        }
        1 => {
            if let Ok(key) = SigningKey::from_pkcs8_der(rest.to_vec()) {
                assert_eq!(key.pkcs8_der(), rest);
                let pem = key.to_pem().unwrap();
                assert_eq!(SigningKey::from_pem(pem.expose(), "privateKey").unwrap(), key);
            }
        }
        2 => {
            if let Some(key) = JwkKey::from_spki(rest) {
                assert_eq!(key.thumbprint().len(), 43);
            }
        }
        _ => {
            let text = String::from_utf8_lossy(rest);
            let _ = GenerateKeyOptions::from_json(&text);
            let _ = PublicKeyOptions::from_json(&text);
        }
    }
});
