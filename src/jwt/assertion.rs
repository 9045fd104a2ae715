//! The JWT-bearer grant's assertion (RFC 7523 §2.1, §3), as ServiceNow's "OAuth JWT API endpoint for
//! external clients" checks it.
//!
//! Header: `alg` (RS256 or ES256), `typ: "JWT"`, and `kid` when set, so that the instance picks the
//! verifier map (or JWKS entry) of this key. Claims: `iss` = the client ID; `sub` = the ServiceNow
//! user, as the record's User Field holds it; `aud` = the client ID (ServiceNow's documentation of the
//! JWT endpoint), the token endpoint (newer documentation, RFC 7523 §3) or a value of the settings;
//! `iat` = now; `exp` = five minutes later (short: the assertion is used at once); `jti` = 128 random
//! bits, fresh for every assertion, since instances verify `jti` by default and accept each once. Both
//! parts are JSON written by serde_json, base64url without padding, signed by the [`Signer`].

use serde::Serialize;

use crate::config::{JwtAudience, JwtBearer, OAuthClient};
use crate::encoding::base64url;
use crate::error::Error;
use crate::field::required;
use crate::jwt::signer::{Signer, signing_failed};
use crate::jwt::signing_key::JwtAlgorithm;
use crate::random::random_bytes;
use crate::secret::Secret;

/// How long an assertion is valid: long enough for one token request, short enough to be useless
/// when it leaks.
pub const ASSERTION_LIFETIME_SECONDS: u64 = 300;

#[derive(Serialize)]
struct Header<'a> {
    alg: &'static str,
    typ: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    kid: Option<&'a str>,
}

#[derive(Serialize)]
struct Claims<'a> {
    iss: &'a str,
    sub: &'a str,
    aud: &'a str,
    iat: u64,
    exp: u64,
    jti: String,
}

/// A signed assertion for `oauth`'s client and `jwt`'s subject, issued at `now_ms`.
pub async fn jwt_assertion<S: Signer>(
    signer: &S,
    oauth: &OAuthClient,
    jwt: &JwtBearer,
    now_ms: u64,
) -> Result<Secret, Error> {
    let key = jwt
        .private_key
        .as_ref()
        .ok_or_else(|| Error::from(required("privateKey")))?;
    let header = Header {
        alg: jwt.algorithm.as_str(),
        typ: "JWT",
        kid: jwt.key_id.as_deref(),
    };
    let iat = now_ms / 1000;
    let claims = Claims {
        iss: &oauth.client_id,
        sub: &jwt.subject,
        aud: match &jwt.audience {
            JwtAudience::ClientId => &oauth.client_id,
            JwtAudience::TokenEndpoint => &oauth.token_url,
            JwtAudience::Other(value) => value,
        },
        iat,
        exp: iat.saturating_add(ASSERTION_LIFETIME_SECONDS),
        jti: base64url(random_bytes::<16>()?),
    };
    // Strings and integers only: serialising cannot fail.
    let part = |json: serde_json::Result<Vec<u8>>| base64url(json.unwrap_or_default());
    let signing_input = format!(
        "{}.{}",
        part(serde_json::to_vec(&header)),
        part(serde_json::to_vec(&claims))
    );
    let signature = signer.sign(key, signing_input.as_bytes()).await?;
    let expected = match jwt.algorithm {
        JwtAlgorithm::Rs256 => signature.len() >= 256,
        JwtAlgorithm::Es256 => signature.len() == 64,
    };
    if !expected {
        return Err(signing_failed("sign the assertion in the form JWS needs"));
    }
    Ok(Secret::new(format!(
        "{signing_input}.{}",
        base64url(signature)
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encoding::decode_base64url;
    use crate::test_fixtures::{NOW, RecordingSigner, jwt_config};

    fn decode(part: &str) -> serde_json::Value {
        serde_json::from_slice(&decode_base64url(part).unwrap()).unwrap()
    }

    #[test]
    fn header_and_claims_as_servicenow_reads_them() {
        let config = jwt_config(|_| {});
        let oauth = config.oauth().unwrap();
        let crate::config::OAuthGrant::JwtBearer(jwt) = &oauth.grant else {
            panic!("jwt expected")
        };
        let signer = RecordingSigner::default();
        let assertion = pollster::block_on(jwt_assertion(&signer, oauth, jwt, NOW + 999)).unwrap();
        let parts: Vec<&str> = assertion.expose().split('.').collect();
        assert_eq!(parts.len(), 3);
        assert_eq!(
            decode(parts[0]),
            serde_json::json!({"alg": "RS256", "typ": "JWT", "kid": "key-1"})
        );
        let claims = decode(parts[1]);
        assert_eq!(claims["iss"], "client-1");
        assert_eq!(claims["sub"], "svc.integration@example.com");
        assert_eq!(claims["aud"], "client-1");
        assert_eq!(claims["iat"], NOW / 1000);
        assert_eq!(claims["exp"], NOW / 1000 + 300);
        assert_eq!(claims.as_object().unwrap().len(), 6);
        // The signature is over exactly `header.claims`, and is what the signer returned.
        assert_eq!(
            signer.messages(),
            vec![format!("{}.{}", parts[0], parts[1])]
        );
        assert_eq!(decode_base64url(parts[2]).unwrap(), vec![7u8; 256]);
    }

    #[test]
    fn every_assertion_has_its_own_jti() {
        let config = jwt_config(|_| {});
        let oauth = config.oauth().unwrap();
        let crate::config::OAuthGrant::JwtBearer(jwt) = &oauth.grant else {
            panic!("jwt expected")
        };
        let signer = RecordingSigner::default();
        let jti = |_| {
            let assertion = pollster::block_on(jwt_assertion(&signer, oauth, jwt, NOW)).unwrap();
            let claims = decode(assertion.expose().split('.').nth(1).unwrap());
            claims["jti"].as_str().unwrap().to_owned()
        };
        let ids: Vec<String> = (0..3).map(jti).collect();
        assert_eq!(ids[0].len(), 22);
        assert!(ids[0] != ids[1] && ids[1] != ids[2] && ids[0] != ids[2]);
    }

    #[test]
    fn audience_key_id_and_algorithm_follow_the_settings() {
        for (audience, expected) in [
            (
                "token_endpoint",
                "https://dev1.service-now.com/oauth_token.do",
            ),
            ("https://aud.example/x", "https://aud.example/x"),
        ] {
            let config = jwt_config(|input| {
                input.jwt_audience = Some(audience.to_owned());
                input.jwt_key_id = None;
                input.jwt_algorithm = Some("ES256".to_owned());
                input.private_key = Some(Secret::new(crate::test_fixtures::EC_KEY_PEM));
            });
            let oauth = config.oauth().unwrap();
            let crate::config::OAuthGrant::JwtBearer(jwt) = &oauth.grant else {
                panic!("jwt expected")
            };
            let signer = RecordingSigner {
                signature: vec![7; 64],
                ..RecordingSigner::default()
            };
            let assertion = pollster::block_on(jwt_assertion(&signer, oauth, jwt, NOW)).unwrap();
            let parts: Vec<&str> = assertion.expose().split('.').collect();
            assert_eq!(
                decode(parts[0]),
                serde_json::json!({"alg": "ES256", "typ": "JWT"})
            );
            assert_eq!(decode(parts[1])["aud"], expected);
        }
    }

    #[test]
    fn a_signature_of_the_wrong_form_or_a_missing_key_is_refused() {
        let config = jwt_config(|_| {});
        let oauth = config.oauth().unwrap();
        let crate::config::OAuthGrant::JwtBearer(jwt) = &oauth.grant else {
            panic!("jwt expected")
        };
        let short = RecordingSigner {
            signature: vec![1; 64],
            ..RecordingSigner::default()
        };
        let error = pollster::block_on(jwt_assertion(&short, oauth, jwt, NOW)).unwrap_err();
        assert_eq!(error.code.as_str(), "signing_failed");
        let stored = JwtBearer {
            private_key: None,
            ..jwt.clone()
        };
        let error = pollster::block_on(jwt_assertion(&short, oauth, &stored, NOW)).unwrap_err();
        assert_eq!(
            (error.code.as_str(), error.field),
            ("required", Some("privateKey"))
        );
    }
}
