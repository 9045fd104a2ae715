//! What a token endpoint's refusal means, by grant: a stable code, a message, and where the cause is
//! known, a hint that says what to check on the instance.
//!
//! RFC 6749 §5.2 names the errors; ServiceNow often answers every failed grant with
//! `401 {"error":"server_error","error_description":"access_denied"}` instead, so the same answer has
//! to be read by the grant it refuses. On the refresh grant it means the refresh token is dead
//! (`reauthorization_required`); on the code exchange, a refused code or client; on the unattended
//! grants, one of the few settings each depends on, which the hint lists. Where the answer tells
//! more, the code says so: `unsupported_grant_type` to a client-credentials request means the instance
//! property `glide.oauth.inbound.client.credential.grant_type.enabled` is off;
//! `unauthorized_client` ("integration user is not configured", as instances answer it) that the
//! record has no OAuth Application User; `invalid_grant` to a JWT assertion or a password that the
//! assertion, its subject (when the instance's description names the subject) or the password was
//! refused. Server errors and rate limits are the same for every grant and leave stored tokens alone.
//! Sources: RFC 6749 §5.2; ServiceNow docs "Client Credentials", "Add the OAuth Application User",
//! "Create an OAuth JWT API endpoint for external clients", "Disable resource owner password
//! credentials (ROPC) in OAuth 2 token grants".

use serde::Deserialize;

use crate::answer::retry_after_seconds;
use crate::error::{Error, ErrorCode, server_text};
use crate::grant_type::Grant;
use crate::http::HttpResponse;
use crate::json_limits::answer_object;

const HINT_CLIENT_CREDENTIALS: &str = "Check the Client ID and Client Secret, that the instance's system property glide.oauth.inbound.client.credential.grant_type.enabled is true, and that the Application Registry record has an OAuth Application User.";
const HINT_CLIENT_CREDENTIALS_DISABLED: &str = "Set the system property glide.oauth.inbound.client.credential.grant_type.enabled to true on the instance (ServiceNow Washington DC or later), and an OAuth Application User on the Application Registry record.";
const HINT_APPLICATION_USER: &str = "Set the OAuth Application User on the Application Registry record: client-credentials tokens act as that user.";
const HINT_JWT: &str = "Check the Client ID and Client Secret; that the Application Registry record is an OAuth JWT API endpoint for external clients whose JWT verifier map holds this key's certificate (or whose JWKS URL serves its public key) under the same key ID; that the JWT audience is the one the instance expects; that the JWT subject names an active user by the record's User Field; and that this computer's clock is right.";
const HINT_JWT_ASSERTION: &str = "Check that the JWT verifier map holds this key's certificate (or the JWKS URL serves its public key) under the key ID set here, that the JWT audience is the one the instance expects (the Client ID or the token endpoint), and that this computer's clock is right.";
const HINT_JWT_SUBJECT: &str = "Check the JWT subject: it must name one active user by the User Field of the Application Registry record (a user name or an email address, for example).";
const HINT_JWT_CLIENT: &str = "The Application Registry record must be an OAuth JWT API endpoint for external clients, with a JWT verifier map for this key.";
const HINT_PASSWORD: &str = "Check the user name and password (and that the user is active and not locked out), the Client ID and Client Secret, and that the instance allows the password grant (system property glide.oauth.inbound.ropc.grant_type.disabled).";
const HINT_PASSWORD_REFUSED: &str =
    "Check the user name and password, and that the user is active and not locked out.";
const HINT_PASSWORD_DISABLED: &str = "The instance or this Application Registry record does not allow the password grant (system property glide.oauth.inbound.ropc.grant_type.disabled): use client credentials or JWT bearer instead.";

#[derive(Deserialize)]
struct TokenErrorAnswer {
    error: Option<String>,
    error_description: Option<String>,
}

/// What a refusal means: code, message and, when known, what to check.
type Meaning = (ErrorCode, String, Option<&'static str>);

/// Maps a non-2xx answer of the token endpoint to a stable error.
pub(crate) fn token_error(response: &HttpResponse, grant: Grant, now_ms: u64) -> Error {
    let status = response.status;
    let body: Option<TokenErrorAnswer> = answer_object(&response.body);
    let (error, description) = body.map_or((None, None), |b| (b.error, b.error_description));
    let error = error.as_deref();
    let description = description.map(|d| server_text(&d));
    if status == 429 {
        return rate_limited(response, now_ms).with_detail(description);
    }
    let (code, message, hint) = match (status, error) {
        (500..=599, _) | (_, Some("temporarily_unavailable")) => (
            ErrorCode::TokenEndpointUnavailable,
            format!(
                "The token endpoint answered HTTP {status}; the old tokens are kept. Try again later."
            ),
            None,
        ),
        (_, Some("invalid_client")) => (
            ErrorCode::InvalidClient,
            "The instance refused the Client ID or Client Secret (invalid_client).".to_owned(),
            None,
        ),
        _ => grant_refusal(grant, status, error, description.as_deref())
            .unwrap_or_else(|| general_refusal(status, error)),
    };
    let detail = description.or_else(|| error.map(server_text));
    let mut mapped = Error::new(code, message)
        .with_status(status)
        .with_detail(detail);
    mapped.hint = hint;
    // A 503 may say when to come back; a retrying caller should wait at least that long.
    if code == ErrorCode::TokenEndpointUnavailable {
        mapped.retry_after_seconds = retry_after_seconds(response, now_ms);
    }
    mapped
}

/// The refusals whose meaning depends on the grant.
fn grant_refusal(
    grant: Grant,
    status: u16,
    error: Option<&str>,
    description: Option<&str>,
) -> Option<Meaning> {
    let refused = status == 401 || error == Some("access_denied");
    let meaning = |code, message: &str, hint| Some((code, message.to_owned(), hint));
    match (grant, error) {
        (Grant::RefreshToken, _) if refused || error == Some("invalid_grant") => meaning(
            ErrorCode::ReauthorizationRequired,
            "The refresh token is no longer accepted (expired or revoked): re-authorization required. Generate a new token.",
            None,
        ),
        (Grant::AuthorizationCode, Some("invalid_grant")) => meaning(
            ErrorCode::InvalidGrant,
            "The authorization code was refused (expired, used, or for another redirect URL). Generate again.",
            None,
        ),
        (Grant::AuthorizationCode, _) if refused => meaning(
            ErrorCode::AccessDenied,
            "The instance refused the code exchange (access_denied): check the Client ID, Client Secret and registered redirect URL, then Generate again.",
            None,
        ),
        (Grant::ClientCredentials, Some("unsupported_grant_type")) => meaning(
            ErrorCode::ClientCredentialsDisabled,
            "The instance does not accept the client-credentials grant (unsupported_grant_type).",
            Some(HINT_CLIENT_CREDENTIALS_DISABLED),
        ),
        (Grant::ClientCredentials, Some("unauthorized_client")) => meaning(
            ErrorCode::ApplicationUserMissing,
            "The instance refused the client-credentials grant: the Application Registry record has no OAuth Application User (unauthorized_client).",
            Some(HINT_APPLICATION_USER),
        ),
        (Grant::ClientCredentials, _) if refused || error == Some("invalid_grant") => meaning(
            ErrorCode::AccessDenied,
            "The instance refused the client-credentials grant (access_denied).",
            Some(HINT_CLIENT_CREDENTIALS),
        ),
        (Grant::JwtBearer, Some("invalid_grant")) if names_the_subject(description) => meaning(
            ErrorCode::UnknownSubject,
            "The instance found no user for the JWT subject (invalid_grant).",
            Some(HINT_JWT_SUBJECT),
        ),
        (Grant::JwtBearer, Some("invalid_grant")) => meaning(
            ErrorCode::AssertionRefused,
            "The instance refused the JWT assertion (invalid_grant).",
            Some(HINT_JWT_ASSERTION),
        ),
        (Grant::JwtBearer, Some("unauthorized_client")) => meaning(
            ErrorCode::UnauthorizedClient,
            "This Application Registry record does not take JWT assertions (unauthorized_client).",
            Some(HINT_JWT_CLIENT),
        ),
        (Grant::JwtBearer, _) if refused => meaning(
            ErrorCode::AccessDenied,
            "The instance refused the JWT-bearer grant (access_denied).",
            Some(HINT_JWT),
        ),
        (Grant::Password, Some("invalid_grant")) => meaning(
            ErrorCode::PasswordRefused,
            "The instance refused the user name or password (invalid_grant).",
            Some(HINT_PASSWORD_REFUSED),
        ),
        (Grant::Password, Some("unsupported_grant_type")) => meaning(
            ErrorCode::UnsupportedGrantType,
            "The instance does not accept the password grant (unsupported_grant_type).",
            Some(HINT_PASSWORD_DISABLED),
        ),
        (Grant::Password, Some("unauthorized_client")) => meaning(
            ErrorCode::UnauthorizedClient,
            "This client may not use the password grant (unauthorized_client).",
            Some(HINT_PASSWORD_DISABLED),
        ),
        (Grant::Password, _) if refused => meaning(
            ErrorCode::AccessDenied,
            "The instance refused the password grant (access_denied).",
            Some(HINT_PASSWORD),
        ),
        _ => None,
    }
}

/// Whether the instance's description of a refused assertion is about its subject.
fn names_the_subject(description: Option<&str>) -> bool {
    description.is_some_and(|d| d.to_ascii_lowercase().contains("subject"))
}

/// The refusals that mean the same for every grant.
fn general_refusal(status: u16, error: Option<&str>) -> Meaning {
    let (code, message) = match error {
        Some("invalid_grant") => (
            ErrorCode::InvalidGrant,
            "The token endpoint refused the grant (invalid_grant).".to_owned(),
        ),
        Some("access_denied") => (
            ErrorCode::AccessDenied,
            "The token endpoint refused the request (access_denied).".to_owned(),
        ),
        Some("invalid_request") => (
            ErrorCode::InvalidRequest,
            "The token endpoint refused the request as malformed (invalid_request).".to_owned(),
        ),
        Some("unauthorized_client") => (
            ErrorCode::UnauthorizedClient,
            "This client may not use this grant type (unauthorized_client); check the Application Registry.".to_owned(),
        ),
        Some("unsupported_grant_type") => (
            ErrorCode::UnsupportedGrantType,
            "The token endpoint does not support this grant type (unsupported_grant_type).".to_owned(),
        ),
        Some("invalid_scope") => (
            ErrorCode::InvalidScope,
            "The requested scope was refused (invalid_scope).".to_owned(),
        ),
        Some("server_error") => (
            ErrorCode::TokenEndpointUnavailable,
            format!("The token endpoint reported a server error (HTTP {status}); try again later."),
        ),
        _ => (
            ErrorCode::UnexpectedResponse,
            format!("The token endpoint answered HTTP {status}, which this client does not understand."),
        ),
    };
    (code, message, None)
}

fn rate_limited(response: &HttpResponse, now_ms: u64) -> Error {
    let retry_after = retry_after_seconds(response, now_ms);
    let wait = retry_after.map_or_else(|| "later".to_owned(), |s| format!("in {s} s"));
    Error {
        retry_after_seconds: retry_after,
        ..Error::new(
            ErrorCode::RateLimited,
            format!("The instance is limiting the rate of requests; try again {wait}."),
        )
        .with_status(response.status)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal(status: u16, body: &str, grant: Grant) -> Error {
        let response = HttpResponse {
            status,
            headers: vec![("content-type".to_owned(), "application/json".to_owned())],
            body: body.as_bytes().to_vec(),
        };
        token_error(&response, grant, 0)
    }

    const SERVICENOW_REFUSAL: &str =
        r#"{"error":"server_error","error_description":"access_denied"}"#;

    #[test]
    fn servicenows_generic_refusal_lists_the_causes_of_each_grant() {
        for (grant, hint_names) in [
            (
                Grant::ClientCredentials,
                "glide.oauth.inbound.client.credential.grant_type.enabled",
            ),
            (Grant::JwtBearer, "JWT verifier map"),
            (
                Grant::Password,
                "glide.oauth.inbound.ropc.grant_type.disabled",
            ),
        ] {
            let error = refusal(401, SERVICENOW_REFUSAL, grant);
            assert_eq!(error.code, ErrorCode::AccessDenied, "{grant:?}");
            assert_eq!(error.status, Some(401));
            assert_eq!(error.detail.as_deref(), Some("access_denied"));
            assert!(error.hint.unwrap().contains(hint_names), "{grant:?}");
            assert!(!error.retryable());
        }
        // The code and refresh grants keep their meaning, without a hint.
        assert_eq!(
            refusal(401, SERVICENOW_REFUSAL, Grant::RefreshToken).code,
            ErrorCode::ReauthorizationRequired
        );
        let exchange = refusal(401, SERVICENOW_REFUSAL, Grant::AuthorizationCode);
        assert_eq!(
            (exchange.code, exchange.hint),
            (ErrorCode::AccessDenied, None)
        );
    }

    #[test]
    fn client_credentials_refusals_name_the_setting() {
        let disabled = refusal(
            400,
            r#"{"error":"unsupported_grant_type","error_description":"the client credentials grant is not enabled"}"#,
            Grant::ClientCredentials,
        );
        assert_eq!(disabled.code, ErrorCode::ClientCredentialsDisabled);
        assert!(
            disabled
                .hint
                .unwrap()
                .contains("glide.oauth.inbound.client.credential.grant_type.enabled")
        );
        // As a live instance answers a client without an OAuth Application User.
        let no_user = refusal(
            401,
            r#"{"error":"unauthorized_client","error_description":"integration user is not configured"}"#,
            Grant::ClientCredentials,
        );
        assert_eq!(no_user.code, ErrorCode::ApplicationUserMissing);
        assert_eq!(
            no_user.detail.as_deref(),
            Some("integration user is not configured")
        );
        assert!(no_user.hint.unwrap().contains("OAuth Application User"));
        assert_eq!(
            refusal(
                400,
                r#"{"error":"invalid_client"}"#,
                Grant::ClientCredentials
            )
            .code,
            ErrorCode::InvalidClient
        );
    }

    #[test]
    fn jwt_refusals_tell_the_subject_from_the_assertion() {
        let subject = refusal(
            400,
            r#"{"error":"invalid_grant","error_description":"no user matches the assertion's subject (sub) on email"}"#,
            Grant::JwtBearer,
        );
        assert_eq!(subject.code, ErrorCode::UnknownSubject);
        assert!(subject.hint.unwrap().contains("User Field"));
        for description in ["the assertion's signature does not verify", "expired"] {
            let assertion = refusal(
                400,
                &format!(r#"{{"error":"invalid_grant","error_description":"{description}"}}"#),
                Grant::JwtBearer,
            );
            assert_eq!(assertion.code, ErrorCode::AssertionRefused);
            assert!(assertion.hint.unwrap().contains("verifier map"));
        }
        assert_eq!(
            refusal(400, r#"{"error":"invalid_grant"}"#, Grant::JwtBearer).code,
            ErrorCode::AssertionRefused
        );
        let client = refusal(400, r#"{"error":"unauthorized_client"}"#, Grant::JwtBearer);
        assert_eq!(client.code, ErrorCode::UnauthorizedClient);
        assert!(client.hint.unwrap().contains("OAuth JWT API endpoint"));
    }

    #[test]
    fn password_refusals() {
        let wrong = refusal(400, r#"{"error":"invalid_grant"}"#, Grant::Password);
        assert_eq!(wrong.code, ErrorCode::PasswordRefused);
        assert!(!wrong.retryable());
        for error in ["unsupported_grant_type", "unauthorized_client"] {
            let off = refusal(400, &format!(r#"{{"error":"{error}"}}"#), Grant::Password);
            assert!(
                off.hint
                    .unwrap()
                    .contains("glide.oauth.inbound.ropc.grant_type.disabled")
            );
        }
    }

    #[test]
    fn server_trouble_is_the_same_for_every_grant() {
        for grant in [
            Grant::ClientCredentials,
            Grant::JwtBearer,
            Grant::Password,
            Grant::RefreshToken,
        ] {
            let error = refusal(503, "<html>busy</html>", grant);
            assert_eq!(error.code, ErrorCode::TokenEndpointUnavailable);
            assert_eq!(error.hint, None);
            assert!(error.retryable());
            assert_eq!(refusal(429, "", grant).code, ErrorCode::RateLimited);
            assert_eq!(
                refusal(400, r#"{"error":"invalid_scope"}"#, grant).code,
                ErrorCode::InvalidScope
            );
        }
    }
}
