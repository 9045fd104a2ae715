//! Token-endpoint answers with arbitrary status, content type and body, for every grant: must never
//! panic, and a token set that comes out must hold a usable Bearer token of the grant that asked.
#![no_main]

use libfuzzer_sys::fuzz_target;
use servicenow_connection::oauth::token::{Grant, parse_token_response};
use servicenow_connection::HttpResponse;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else { return };
    let status = [200, 201, 400, 401, 403, 429, 500, 503][usize::from(selector & 7)];
    let content_type = if selector & 8 == 0 { "application/json" } else { "text/html" };
    let grants = [
        Grant::AuthorizationCode,
        Grant::RefreshToken,
        Grant::ClientCredentials,
        Grant::JwtBearer,
        Grant::Password,
    ];
    let grant = grants[usize::from(selector >> 4) % grants.len()];
    let response = HttpResponse {
        status,
        headers: vec![
            ("content-type".to_owned(), content_type.to_owned()),
            ("retry-after".to_owned(), "7".to_owned()),
        ],
        body: body.to_vec(),
    };
    if let Ok(tokens) = parse_token_response(&response, grant, 1_700_000_000_000, 8_640_000, None) {
        assert!(!tokens.access_token.is_empty());
        assert!(!tokens.access_token.expose().chars().any(char::is_control));
        assert_eq!(tokens.token_type, "Bearer");
        if let Some(grant_type) = grant.grant_type() {
            assert_eq!(tokens.grant_type, grant_type);
        }
    }
});
