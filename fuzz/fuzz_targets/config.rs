//! Connection settings validation on arbitrary field values: must never panic, and an accepted
//! configuration must be https (or loopback http when allowed) with a known API path.
#![no_main]

use libfuzzer_sys::fuzz_target;
use servicenow_connection::{ConnectionInput, Secret, ValidateOptions, validate};

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else { return };
    let mut fields = rest
        .split(|&b| b == 0xff)
        .map(|part| String::from_utf8_lossy(part).into_owned());
    let mut next = || fields.next();
    let input = ConnectionInput {
        base_url: next(),
        auth_type: next(),
        username: next(),
        password: next().map(Secret::new),
        client_id: next(),
        client_secret: next().map(Secret::new),
        authorization_url: next(),
        token_url: next(),
        client_authentication: next(),
        refresh_token_lifetime_seconds: next().and_then(|s| s.parse().ok()),
        timeout_ms: next().and_then(|s| s.parse().ok()),
        allow_insecure_loopback: flags & 1 == 1,
        ..ConnectionInput::default()
    };
    let options = ValidateOptions {
        password_stored: flags & 2 == 2,
        client_secret_stored: flags & 4 == 4,
    };
    if let Ok(config) = validate(&input, options) {
        assert!(config.base_url.starts_with("https://") || config.allow_insecure_loopback);
        assert!(config.base_url.ends_with(config.api_path));
    }
});
