//! Connection settings as JavaScript passes them (JSON text, read into the loose settings document)
//! and their validation: must never panic, and an accepted configuration must be https (or loopback
//! http when allowed) with a known API path, on a host the switches admit.
#![no_main]

use libfuzzer_sys::fuzz_target;
use servicenow_connection::{ConnectionInput, ValidateOptions, validate};

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else { return };
    let text = String::from_utf8_lossy(rest);
    let Ok(mut input) = ConnectionInput::from_json(&text) else { return };
    input.allow_insecure_loopback = flags & 1 == 1;
    input.allow_private_network = flags & 8 == 8;
    let options = ValidateOptions {
        password_stored: flags & 2 == 2,
        client_secret_stored: flags & 4 == 4,
    };
    if let Ok(config) = validate(&input, options) {
        assert!(config.base_url.starts_with("https://") || config.allow_insecure_loopback);
        assert!(config.base_url.ends_with(config.api_path));
        let url = url::Url::parse(&config.base_url).unwrap();
        assert_eq!(url.as_str().trim_end_matches('/'), config.base_url);
        if !config.allow_insecure_loopback {
            assert!(!matches!(url.host_str(), Some("localhost" | "127.0.0.1" | "[::1]")));
        }
    }
});
