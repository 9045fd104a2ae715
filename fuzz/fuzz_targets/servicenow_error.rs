//! Test Connection classification of arbitrary answers, which reads ServiceNow's error JSON and
//! recognises the hibernation page: must never panic and must stay consistent.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use servicenow_connection::instance::classify_test_response;
use servicenow_connection::{
    ConnectionConfig, ConnectionInput, HttpResponse, Secret, TestCode, ValidateOptions, validate,
};

/// One valid connection, made once.
fn config() -> &'static ConnectionConfig {
    static CONFIG: OnceLock<ConnectionConfig> = OnceLock::new();
    CONFIG.get_or_init(|| {
        validate(
            &ConnectionInput {
                base_url: Some("https://dev1.service-now.com/api/now/v2".to_owned()),
                auth_type: Some("basic".to_owned()),
                username: Some("admin".to_owned()),
                password: Some(Secret::new("pw")),
                ..ConnectionInput::default()
            },
            ValidateOptions::default(),
        )
        .unwrap()
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else { return };
    let config = config();
    let status = [200, 0, 302, 400, 401, 403, 404, 429, 500, 503][usize::from(selector % 10)];
    let content_type = if selector & 0x80 == 0 { "application/json;charset=UTF-8" } else { "text/html" };
    let response = HttpResponse {
        status,
        headers: vec![("content-type".to_owned(), content_type.to_owned())],
        body: body.to_vec(),
    };
    let result = classify_test_response(config, &response, 0);
    assert_eq!(result.ok, result.code == TestCode::Ok);
    assert!(!result.message.is_empty());
});
