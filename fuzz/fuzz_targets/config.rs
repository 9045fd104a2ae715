//! Connection settings as JavaScript passes them (JSON text, read into the loose settings document)
//! and their validation: must never panic, and an accepted configuration must be https (or loopback
//! http when allowed) with a known API path, on a host the switches admit; its grant has what the
//! grant needs (a JWT-bearer key of the algorithm set, unless stored), and its normalised form
//! carries no private key.
#![no_main]

use libfuzzer_sys::fuzz_target;
use servicenow_connection::config::{JwtBearer, OAuthGrant};
use servicenow_connection::{Auth, ConnectionInput, ValidateOptions, validate};

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else { return };
    let text = String::from_utf8_lossy(rest);
    let Ok(mut input) = ConnectionInput::from_json(&text) else { return };
    input.allow_insecure_loopback = flags & 1 == 1;
    input.allow_private_network = flags & 8 == 8;
    let options = ValidateOptions {
        password_stored: flags & 2 == 2,
        client_secret_stored: flags & 4 == 4,
        private_key_stored: flags & 16 == 16,
    };
    if let Ok(config) = validate(&input, options) {
        assert!(config.base_url.starts_with("https://") || config.allow_insecure_loopback);
        assert!(config.base_url.ends_with(config.api_path));
        let url = url::Url::parse(&config.base_url).unwrap();
        assert_eq!(url.as_str().trim_end_matches('/'), config.base_url);
        if !config.allow_insecure_loopback {
            assert!(!matches!(url.host_str(), Some("localhost" | "127.0.0.1" | "[::1]")));
        }
        let normalized = serde_json::to_string(&config.normalized()).unwrap();
        // A PEM key has line breaks, which no normalised value can hold: it cannot be in there.
        if let Some(pem) = input.private_key.as_ref().filter(|pem| pem.expose().contains('\n')) {
            let escaped = serde_json::to_string(pem.expose()).unwrap();
            assert!(!normalized.contains(escaped.trim_matches('"')));
        }
        if let Auth::OAuth2(oauth) = &config.auth {
            match &oauth.grant {
                OAuthGrant::JwtBearer(JwtBearer { private_key, algorithm, subject, .. }) => {
                    assert!(!subject.is_empty());
                    match private_key {
                        Some(key) => assert_eq!(key.algorithm(), *algorithm),
                        None => assert!(options.private_key_stored),
                    }
                }
                OAuthGrant::Password(credentials) => {
                    assert!(!credentials.username.is_empty());
                    assert!(!credentials.password.is_empty() || options.password_stored);
                }
                OAuthGrant::AuthorizationCode | OAuthGrant::ClientCredentials => {}
            }
        }
    }
});
