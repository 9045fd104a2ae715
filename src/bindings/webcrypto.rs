//! The wasm side of the [`Signer`] seam: WebCrypto (`crypto.subtle`), reached through the global
//! `crypto` (no `window`), so it works in browsers, workerd and Node alike.
//!
//! RS256 is RSASSA-PKCS1-v1_5 with SHA-256, ES256 is ECDSA on P-256 with SHA-256, whose WebCrypto
//! signature is already the `r ‖ s` form JWS uses. Private keys are imported from PKCS#8 for each
//! signature and not kept. A key pair is generated extractable, exported once (PKCS#8 and SPKI) and
//! dropped. WebCrypto exports no public key from a private one, so the public half is read from the
//! private key's JWK export (its public members `kty`, `n`, `e` or `kty`, `crv`, `x`, `y`), imported
//! as a public key and exported as SPKI. In browsers `crypto.subtle` exists only in secure contexts
//! (https and localhost); elsewhere every operation fails with `signing_failed`.

use js_sys::{Array, JSON, Object, Promise, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Crypto, CryptoKey, CryptoKeyPair, SubtleCrypto};

use crate::error::Error;
use crate::jwt::signer::{GeneratedKey, Signer, signing_failed};
use crate::jwt::signing_key::{JwtAlgorithm, SigningKey};

/// Signs and makes keys with the platform's WebCrypto.
pub(crate) struct WebCryptoSigner;

/// `crypto.subtle`, when the platform has it.
fn subtle() -> Result<SubtleCrypto, Error> {
    let crypto = Reflect::get(&js_sys::global(), &JsValue::from_str("crypto"))
        .ok()
        .filter(JsValue::is_object)
        .ok_or_else(|| signing_failed("be found (no global crypto)"))?;
    let subtle = crypto.unchecked_into::<Crypto>().subtle();
    if subtle.is_object() {
        Ok(subtle)
    } else {
        Err(signing_failed(
            "be found (no crypto.subtle: not a secure context)",
        ))
    }
}

/// A WebCrypto algorithm object from its JSON.
fn parameters(json: &str) -> Object {
    JSON::parse(json)
        .ok()
        .and_then(|value| value.dyn_into::<Object>().ok())
        .unwrap_or_default()
}

/// What `importKey` and `generateKey` take for the key's algorithm.
fn key_parameters(algorithm: JwtAlgorithm) -> Object {
    match algorithm {
        JwtAlgorithm::Rs256 => parameters(r#"{"name":"RSASSA-PKCS1-v1_5","hash":"SHA-256"}"#),
        JwtAlgorithm::Es256 => parameters(r#"{"name":"ECDSA","namedCurve":"P-256"}"#),
    }
}

/// What `sign` takes.
fn sign_parameters(algorithm: JwtAlgorithm) -> Object {
    match algorithm {
        JwtAlgorithm::Rs256 => parameters(r#"{"name":"RSASSA-PKCS1-v1_5"}"#),
        JwtAlgorithm::Es256 => parameters(r#"{"name":"ECDSA","hash":"SHA-256"}"#),
    }
}

fn usages(names: &[&str]) -> JsValue {
    names
        .iter()
        .map(|name| JsValue::from_str(name))
        .collect::<Array>()
        .into()
}

/// Awaits a WebCrypto call; a thrown or rejected call is `signing_failed` saying what failed.
async fn call(promise: Result<Promise, JsValue>, what: &str) -> Result<JsValue, Error> {
    let promise = promise.map_err(|_| signing_failed(what))?;
    JsFuture::from(promise)
        .await
        .map_err(|_| signing_failed(what))
}

fn bytes(buffer: &JsValue) -> Vec<u8> {
    Uint8Array::new(buffer).to_vec()
}

async fn import_private(
    subtle: &SubtleCrypto,
    key: &SigningKey,
    extractable: bool,
) -> Result<CryptoKey, Error> {
    let der: Object = Uint8Array::from(key.pkcs8_der()).into();
    let imported = subtle.import_key_with_object(
        "pkcs8",
        &der,
        &key_parameters(key.algorithm()),
        extractable,
        &usages(&["sign"]),
    );
    Ok(call(imported, "use the private key (importKey refused it)")
        .await?
        .unchecked_into())
}

async fn export(subtle: &SubtleCrypto, format: &str, key: &CryptoKey) -> Result<JsValue, Error> {
    call(subtle.export_key(format, key), "export the key").await
}

impl Signer for WebCryptoSigner {
    async fn sign(&self, key: &SigningKey, message: &[u8]) -> Result<Vec<u8>, Error> {
        let subtle = subtle()?;
        let crypto_key = import_private(&subtle, key, false).await?;
        let data: Object = Uint8Array::from(message).into();
        let signed = subtle.sign_with_object_and_buffer_source(
            &sign_parameters(key.algorithm()),
            &crypto_key,
            &data,
        );
        Ok(bytes(&call(signed, "sign with the private key").await?))
    }

    async fn generate_key(&self, algorithm: JwtAlgorithm) -> Result<GeneratedKey, Error> {
        let subtle = subtle()?;
        let parameters = key_parameters(algorithm);
        if algorithm == JwtAlgorithm::Rs256 {
            // 2,048 bits and the exponent 65537 (RFC 7518 §3.3 asks for at least 2,048).
            let _ = Reflect::set(&parameters, &"modulusLength".into(), &2048.into());
            let exponent: JsValue = Uint8Array::from(&[1u8, 0, 1][..]).into();
            let _ = Reflect::set(&parameters, &"publicExponent".into(), &exponent);
        }
        let generated =
            subtle.generate_key_with_object(&parameters, true, &usages(&["sign", "verify"]));
        let pair: CryptoKeyPair = call(generated, "generate a key pair")
            .await?
            .unchecked_into();
        let private_key = export(&subtle, "pkcs8", &pair.get_private_key()).await?;
        let public_key = export(&subtle, "spki", &pair.get_public_key()).await?;
        Ok(GeneratedKey {
            private_key_pkcs8: bytes(&private_key),
            public_key_spki: bytes(&public_key),
        })
    }

    async fn public_key(&self, key: &SigningKey) -> Result<Vec<u8>, Error> {
        let subtle = subtle()?;
        let private_key = import_private(&subtle, key, true).await?;
        let jwk = export(&subtle, "jwk", &private_key).await?;
        let members: &[&str] = match key.algorithm() {
            JwtAlgorithm::Rs256 => &["kty", "n", "e"],
            JwtAlgorithm::Es256 => &["kty", "crv", "x", "y"],
        };
        let public_jwk = Object::new();
        for &member in members {
            let value = Reflect::get(&jwk, &member.into()).unwrap_or(JsValue::UNDEFINED);
            let _ = Reflect::set(&public_jwk, &member.into(), &value);
        }
        let imported = subtle.import_key_with_object(
            "jwk",
            &public_jwk,
            &key_parameters(key.algorithm()),
            true,
            &usages(&["verify"]),
        );
        let public_key: CryptoKey = call(imported, "read the public key")
            .await?
            .unchecked_into();
        Ok(bytes(&export(&subtle, "spki", &public_key).await?))
    }
}
