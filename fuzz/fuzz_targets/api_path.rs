//! Paths forwarded to the instance's REST API (`apiRequestUrl`, `restApiUrl`): must never panic, and
//! a URL that comes out must stay below `/api/now/` (or `/api/`) as the WHATWG parser `fetch` uses
//! reads it, with no dot segment, also behind `;` parameters.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use servicenow_connection::{
    ConnectionConfig, ConnectionInput, ValidateOptions, api_request_url, rest_api_url, validate,
};

/// One valid connection, made once.
fn config() -> &'static ConnectionConfig {
    static CONFIG: OnceLock<ConnectionConfig> = OnceLock::new();
    CONFIG.get_or_init(|| {
        let input = ConnectionInput {
            base_url: Some("https://dev1.service-now.com/api/now/v2".to_owned()),
            auth_type: Some("basic".to_owned()),
            username: Some("admin".to_owned()),
            password: Some(servicenow_connection::Secret::new("pw")),
            ..ConnectionInput::default()
        };
        validate(&input, ValidateOptions::default()).unwrap()
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else { return };
    let text = String::from_utf8_lossy(rest);
    let (path, query) = match text.split_once('\n') {
        Some((path, query)) => (path, Some(query)),
        None => (text.as_ref(), None),
    };
    let config = config();
    let (built, prefix) = if selector & 1 == 0 {
        (api_request_url(config, path, query), "/api/now/")
    } else {
        (rest_api_url(config, path, query), "/api/")
    };
    if let Ok(built) = built {
        let url = url::Url::parse(&built).unwrap();
        assert_eq!(url.as_str(), built);
        assert_eq!(url.host_str(), Some("dev1.service-now.com"));
        assert!(url.path().starts_with(prefix), "{built}");
        for segment in url.path().split('/').skip(1) {
            let name = segment.split(';').next().unwrap_or_default().to_ascii_lowercase();
            assert!(!matches!(name.as_str(), "" | "." | ".." | "%2e" | "%2e%2e" | ".%2e" | "%2e."), "{built}");
        }
    }
});
