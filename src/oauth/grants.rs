//! Obtaining tokens without a person: the client-credentials grant (RFC 6749 §4.4), the JWT-bearer
//! grant (RFC 7523 §2.1) and the password grant (RFC 6749 §4.3), and renewing whatever tokens a
//! connection holds when they are due.
//!
//! Each request is a form POST to the token endpoint with the client's authentication, like the code
//! exchange: `grant_type=client_credentials`; `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer`
//! with a fresh signed `assertion` (see [`crate::jwt::assertion`]); `grant_type=password` with
//! `username` and `password`. Answers are read by the same parser as every token answer, refusals by
//! grant. Renewing prefers the refresh token while it lives and belongs to the connection's grant
//! (code and password grants); otherwise an unattended grant is simply run again, and a password
//! grant also when its refresh token is refused; only the authorization-code grant, which needs a
//! person, ends in `reauthorization_required`. ServiceNow issues no refresh token for client
//! credentials or JWT bearer ("The inbound JWT grant type doesn't include refresh tokens").

use crate::config::{ConnectionConfig, OAuthGrant};
use crate::error::{Error, ErrorCode};
use crate::field::required;
use crate::http::{HttpClient, HttpRequest};
use crate::jwt::assertion::jwt_assertion;
use crate::jwt::signer::Signer;
use crate::oauth::authorize::not_oauth;
use crate::oauth::lifecycle::refresh_token_alive;
use crate::oauth::token::{Grant, TokenSet, process_token_answer, refresh_tokens, token_request};

/// The `grant_type` of the JWT-bearer grant (RFC 7523 §2.1).
pub const JWT_BEARER_GRANT_TYPE: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";

fn interactive_grant() -> Error {
    Error::new(
        ErrorCode::InteractiveGrant,
        "This connection uses the authorization-code grant, which needs a person to sign in: Generate a token instead (authorizationRequest, then exchangeCode).",
    )
}

fn reauthorization_required() -> Error {
    Error::new(
        ErrorCode::ReauthorizationRequired,
        "There is no usable refresh token: re-authorization required. Generate a new token.",
    )
}

/// The token request of the connection's unattended grant, signed at `now_ms` for JWT bearer;
/// `interactive_grant` for the authorization-code grant.
pub async fn grant_request<S: Signer>(
    config: &ConnectionConfig,
    signer: &S,
    now_ms: u64,
) -> Result<HttpRequest, Error> {
    let oauth = config.oauth().ok_or_else(not_oauth)?;
    match &oauth.grant {
        OAuthGrant::AuthorizationCode => Err(interactive_grant()),
        OAuthGrant::ClientCredentials => Ok(token_request(
            config,
            oauth,
            &[("grant_type", "client_credentials")],
        )),
        OAuthGrant::Password(credentials) => {
            if credentials.password.is_empty() {
                return Err(required("password").into());
            }
            Ok(token_request(
                config,
                oauth,
                &[
                    ("grant_type", "password"),
                    ("username", &credentials.username),
                    ("password", credentials.password.expose()),
                ],
            ))
        }
        OAuthGrant::JwtBearer(jwt) => {
            let assertion = jwt_assertion(signer, oauth, jwt, now_ms).await?;
            Ok(token_request(
                config,
                oauth,
                &[
                    ("grant_type", JWT_BEARER_GRANT_TYPE),
                    ("assertion", assertion.expose()),
                ],
            ))
        }
    }
}

/// Obtains tokens with the connection's unattended grant; `interactive_grant` for the
/// authorization-code grant.
pub async fn request_tokens<C: HttpClient, S: Signer>(
    client: &C,
    signer: &S,
    config: &ConnectionConfig,
    now_ms: u64,
) -> Result<TokenSet, Error> {
    let request = grant_request(config, signer, now_ms).await?;
    let grant = config
        .oauth()
        .map_or(Grant::AuthorizationCode, |o| o.grant.grant_type().into());
    let answer = client.send(request).await;
    process_token_answer(config, grant, answer, now_ms, None)
}

/// Whether renewing `tokens` now starts with a refresh (the refresh token lives and came from the
/// connection's grant) rather than with the grant itself; `renew_tokens` decides by this.
pub fn renews_by_refresh(config: &ConnectionConfig, tokens: &TokenSet, now_ms: u64) -> bool {
    config.oauth().is_some_and(|oauth| {
        tokens.grant_type == oauth.grant.grant_type() && refresh_token_alive(tokens, now_ms)
    })
}

/// New tokens for a connection whose `tokens` (if any) are due: a refresh while the refresh token
/// lives and belongs to the connection's grant, else the unattended grant again (also when a password
/// grant's refresh token is refused); `reauthorization_required` for an authorization-code connection
/// without a live refresh token. On failure the caller still holds `tokens`.
pub async fn renew_tokens<C: HttpClient, S: Signer>(
    client: &C,
    signer: &S,
    config: &ConnectionConfig,
    tokens: Option<&TokenSet>,
    now_ms: u64,
) -> Result<TokenSet, Error> {
    let oauth = config.oauth().ok_or_else(not_oauth)?;
    let grant = oauth.grant.grant_type();
    let refreshable = tokens.filter(|tokens| renews_by_refresh(config, tokens, now_ms));
    if let Some(tokens) = refreshable {
        match refresh_tokens(client, config, tokens, now_ms).await {
            Err(error)
                if error.code == ErrorCode::ReauthorizationRequired && !grant.is_interactive() => {}
            other => return other,
        }
    }
    if grant.is_interactive() {
        return Err(reauthorization_required());
    }
    request_tokens(client, signer, config, now_ms).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grant_type::GrantType;
    use crate::http::{HttpResponse, TransportError};
    use crate::secret::Secret;
    use crate::test_fixtures::{
        NOW, RecordingSigner, TestSigner, config, json_response, jwt_config, oauth_config,
        oauth_input, token_set, verifies,
    };
    use core::cell::RefCell;

    /// Answers each request with the next of `answers` and keeps the requests.
    struct Script {
        answers: RefCell<Vec<HttpResponse>>,
        requests: RefCell<Vec<HttpRequest>>,
    }

    impl Script {
        fn new(answers: &[(u16, &str)]) -> Self {
            Self {
                answers: RefCell::new(
                    answers
                        .iter()
                        .rev()
                        .map(|(status, body)| json_response(*status, body))
                        .collect(),
                ),
                requests: RefCell::default(),
            }
        }

        fn bodies(&self) -> Vec<String> {
            self.requests
                .borrow()
                .iter()
                .map(|r| r.body.clone().unwrap_or_default())
                .collect()
        }
    }

    impl HttpClient for Script {
        async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
            self.requests.borrow_mut().push(request);
            self.answers
                .borrow_mut()
                .pop()
                .ok_or(TransportError::Network)
        }
    }

    const ACCESS_ONLY: &str =
        r#"{"access_token":"AT-cc","scope":"useraccount","token_type":"Bearer","expires_in":1799}"#;
    const WITH_REFRESH: &str = r#"{"access_token":"AT-pw","refresh_token":"RT-pw","scope":"useraccount","token_type":"Bearer","expires_in":1799}"#;
    const REFUSED: &str = r#"{"error":"server_error","error_description":"access_denied"}"#;

    fn client_credentials() -> ConnectionConfig {
        let mut input = oauth_input("https://dev1.service-now.com/api/now");
        input.grant_type = Some("client_credentials".to_owned());
        config(&input)
    }

    fn password() -> ConnectionConfig {
        let mut input = oauth_input("https://dev1.service-now.com/api/now");
        input.grant_type = Some("password".to_owned());
        input.username = Some("svc:user".to_owned());
        input.password = Some(Secret::new("p&ss word"));
        config(&input)
    }

    #[test]
    fn client_credentials_request_and_tokens() {
        let script = Script::new(&[(200, ACCESS_ONLY)]);
        let config = client_credentials();
        let tokens = pollster::block_on(request_tokens(
            &script,
            &RecordingSigner::default(),
            &config,
            NOW,
        ))
        .unwrap();
        let request = script.requests.borrow()[0].clone();
        assert_eq!(request.url, "https://dev1.service-now.com/oauth_token.do");
        assert_eq!(
            request.header("content-type"),
            Some("application/x-www-form-urlencoded")
        );
        assert_eq!(
            request.body.as_deref(),
            Some("grant_type=client_credentials&client_id=id&client_secret=secret")
        );
        assert_eq!(tokens.grant_type, GrantType::ClientCredentials);
        assert_eq!(tokens.refresh_token, None);
        assert_eq!(tokens.refresh_expires_at_ms, None);
        assert_eq!(tokens.expires_at_ms, Some(NOW + 1_799_000));
    }

    #[test]
    fn password_request_form_encodes_the_credentials() {
        let script = Script::new(&[(200, WITH_REFRESH)]);
        let tokens = pollster::block_on(request_tokens(
            &script,
            &RecordingSigner::default(),
            &password(),
            NOW,
        ))
        .unwrap();
        assert_eq!(
            script.bodies(),
            vec![
                "grant_type=password&username=svc%3Auser&password=p%26ss+word&client_id=id&client_secret=secret"
            ]
        );
        assert_eq!(tokens.grant_type, GrantType::Password);
        assert_eq!(tokens.refresh_token.unwrap().expose(), "RT-pw");
        assert_eq!(
            tokens.refresh_expires_at_ms,
            Some(NOW + 8_640_000_000),
            "the configured refresh lifetime"
        );
    }

    #[test]
    fn jwt_bearer_request_carries_a_verifiable_assertion() {
        let script = Script::new(&[(200, ACCESS_ONLY)]);
        let config = jwt_config(|input| {
            input.client_authentication = Some("client_secret_basic".to_owned());
        });
        let tokens =
            pollster::block_on(request_tokens(&script, &TestSigner, &config, NOW)).unwrap();
        assert_eq!(tokens.grant_type, GrantType::JwtBearer);
        let request = script.requests.borrow()[0].clone();
        assert!(
            request
                .header("authorization")
                .unwrap()
                .starts_with("Basic ")
        );
        let body = request.body.unwrap();
        let form: Vec<(String, String)> = form_urlencoded::parse(body.as_bytes())
            .into_owned()
            .collect();
        assert_eq!(form.len(), 2, "client authentication in the header only");
        assert_eq!(
            form[0],
            (
                "grant_type".to_owned(),
                "urn:ietf:params:oauth:grant-type:jwt-bearer".to_owned()
            )
        );
        assert_eq!(form[1].0, "assertion");
        let assertion = &form[1].1;
        let (signing_input, signature) = assertion.rsplit_once('.').unwrap();
        let key = crate::jwt::signing_key::SigningKey::from_pem(
            crate::test_fixtures::RSA_KEY_PEM,
            "privateKey",
        )
        .unwrap();
        let spki = pollster::block_on(TestSigner.public_key(&key)).unwrap();
        let signature = crate::encoding::decode_base64url(signature).unwrap();
        assert!(verifies(
            key.algorithm(),
            &spki,
            signing_input.as_bytes(),
            &signature
        ));
    }

    #[test]
    fn the_code_grant_is_not_requested_without_a_person() {
        let script = Script::new(&[]);
        let error = pollster::block_on(request_tokens(
            &script,
            &RecordingSigner::default(),
            &oauth_config(),
            NOW,
        ))
        .unwrap_err();
        assert_eq!(error.code, ErrorCode::InteractiveGrant);
        assert!(script.requests.borrow().is_empty());
        let basic = crate::test_fixtures::basic_config();
        let error = pollster::block_on(grant_request(&basic, &RecordingSigner::default(), NOW))
            .unwrap_err();
        assert_eq!(
            (error.code.as_str(), error.field),
            ("invalid_config", Some("authType"))
        );
    }

    #[test]
    fn a_stored_password_that_was_not_given_is_not_sent() {
        let mut input = oauth_input("https://dev1.service-now.com/api/now");
        input.grant_type = Some("password".to_owned());
        input.username = Some("u".to_owned());
        let options = crate::config::ValidateOptions {
            password_stored: true,
            ..Default::default()
        };
        let config = crate::config::validate(&input, options).unwrap();
        let error = pollster::block_on(grant_request(&config, &RecordingSigner::default(), NOW))
            .unwrap_err();
        assert_eq!(
            (error.code.as_str(), error.field),
            ("required", Some("password"))
        );
    }

    #[test]
    fn renewing_client_credentials_runs_the_grant_again() {
        let config = client_credentials();
        let mut old = token_set("AT-old", None);
        old.grant_type = GrantType::ClientCredentials;
        assert!(!renews_by_refresh(&config, &old, NOW));
        let script = Script::new(&[(200, ACCESS_ONLY)]);
        let signer = RecordingSigner::default();
        let tokens =
            pollster::block_on(renew_tokens(&script, &signer, &config, Some(&old), NOW)).unwrap();
        assert_eq!(tokens.access_token.expose(), "AT-cc");
        assert_eq!(script.bodies().len(), 1);
        assert!(script.bodies()[0].starts_with("grant_type=client_credentials&"));
        // No tokens at all: the same.
        let script = Script::new(&[(200, ACCESS_ONLY)]);
        assert!(pollster::block_on(renew_tokens(&script, &signer, &config, None, NOW)).is_ok());
    }

    #[test]
    fn renewing_a_password_grant_refreshes_then_falls_back_to_the_password() {
        let config = password();
        let mut old = token_set("AT-old", Some("RT-old"));
        old.grant_type = GrantType::Password;
        old.refresh_expires_at_ms = Some(NOW + 1_000);
        let signer = RecordingSigner::default();
        assert!(renews_by_refresh(&config, &old, NOW));
        assert!(!renews_by_refresh(&config, &old, NOW + 1_000));
        // A live refresh token is used.
        let script = Script::new(&[(200, r#"{"access_token":"AT-new","refresh_token":"RT-old"}"#)]);
        let tokens =
            pollster::block_on(renew_tokens(&script, &signer, &config, Some(&old), NOW)).unwrap();
        assert_eq!(tokens.access_token.expose(), "AT-new");
        assert_eq!(tokens.grant_type, GrantType::Password);
        assert!(script.bodies()[0].starts_with("grant_type=refresh_token&refresh_token=RT-old&"));
        // A refused one: the password grant follows.
        let script = Script::new(&[(401, REFUSED), (200, WITH_REFRESH)]);
        let tokens =
            pollster::block_on(renew_tokens(&script, &signer, &config, Some(&old), NOW)).unwrap();
        assert_eq!(tokens.refresh_token.unwrap().expose(), "RT-pw");
        let bodies = script.bodies();
        assert_eq!(bodies.len(), 2);
        assert!(bodies[1].starts_with("grant_type=password&"));
        // A dead one is not even tried.
        let script = Script::new(&[(200, WITH_REFRESH)]);
        pollster::block_on(renew_tokens(
            &script,
            &signer,
            &config,
            Some(&old),
            NOW + 1_000,
        ))
        .unwrap();
        assert!(script.bodies()[0].starts_with("grant_type=password&"));
        // A failure that is not a refusal keeps the old tokens: no second request.
        let script = Script::new(&[(503, "")]);
        let error = pollster::block_on(renew_tokens(&script, &signer, &config, Some(&old), NOW))
            .unwrap_err();
        assert_eq!(error.code, ErrorCode::TokenEndpointUnavailable);
        assert_eq!(script.bodies().len(), 1);
    }

    #[test]
    fn renewing_a_code_grant_needs_its_refresh_token() {
        let config = oauth_config();
        let signer = RecordingSigner::default();
        let live = token_set("AT-old", Some("RT-old"));
        assert!(renews_by_refresh(&config, &live, NOW));
        let script = Script::new(&[(200, r#"{"access_token":"AT-new"}"#)]);
        let tokens =
            pollster::block_on(renew_tokens(&script, &signer, &config, Some(&live), NOW)).unwrap();
        assert_eq!(tokens.grant_type, GrantType::AuthorizationCode);
        assert_eq!(tokens.refresh_token.unwrap().expose(), "RT-old");
        for tokens in [None, Some(token_set("AT-old", None))] {
            let script = Script::new(&[]);
            let error = pollster::block_on(renew_tokens(
                &script,
                &signer,
                &config,
                tokens.as_ref(),
                NOW,
            ))
            .unwrap_err();
            assert_eq!(error.code, ErrorCode::ReauthorizationRequired);
            assert!(script.bodies().is_empty());
        }
        let script = Script::new(&[(401, REFUSED)]);
        let error = pollster::block_on(renew_tokens(&script, &signer, &config, Some(&live), NOW))
            .unwrap_err();
        assert_eq!(error.code, ErrorCode::ReauthorizationRequired);
        assert_eq!(script.bodies().len(), 1);
    }

    #[test]
    fn tokens_of_another_grant_are_not_refreshed() {
        // Settings changed from the code grant to client credentials: the old refresh token (another
        // identity) is left alone and the new grant runs.
        let config = client_credentials();
        let code_tokens = token_set("AT-old", Some("RT-old"));
        assert!(!renews_by_refresh(&config, &code_tokens, NOW));
        let script = Script::new(&[(200, ACCESS_ONLY)]);
        pollster::block_on(renew_tokens(
            &script,
            &RecordingSigner::default(),
            &config,
            Some(&code_tokens),
            NOW,
        ))
        .unwrap();
        assert!(script.bodies()[0].starts_with("grant_type=client_credentials&"));
    }

    #[test]
    fn refusals_of_the_grants_carry_their_codes() {
        let signer = RecordingSigner::default();
        for (config, body, code) in [
            (
                client_credentials(),
                r#"{"error":"unauthorized_client","error_description":"integration user is not configured"}"#,
                ErrorCode::ApplicationUserMissing,
            ),
            (
                password(),
                r#"{"error":"invalid_grant"}"#,
                ErrorCode::PasswordRefused,
            ),
            (
                jwt_config(|_| {}),
                r#"{"error":"invalid_grant"}"#,
                ErrorCode::AssertionRefused,
            ),
        ] {
            let script = Script::new(&[(401, body)]);
            let error =
                pollster::block_on(request_tokens(&script, &signer, &config, NOW)).unwrap_err();
            assert_eq!(error.code, code);
            assert!(error.hint.is_some());
        }
    }
}
