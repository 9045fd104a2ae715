//! The URL cases of `tests/fixtures/url-cases.json`, natively (the `url` crate). The package tests
//! (`tests/pkg/urls.test.js`) run the same table in the wasm, where the platform's `URL` parses, so
//! the two parsers are held to the same results.

use serde_json::{Value, json};
use servicenow_connection::{
    ConnectionInput, ValidateOptions, ValidationResult, api_request_url, rest_api_url, validate,
};

fn cases() -> Value {
    serde_json::from_str(include_str!("fixtures/url-cases.json")).unwrap()
}

#[test]
fn url_fields_read_as_the_table_says() {
    let cases = cases();
    let base = cases["baseSettings"].as_object().unwrap();
    for case in cases["fields"].as_array().unwrap() {
        let mut settings = base.clone();
        settings.extend(case["settings"].as_object().unwrap().clone());
        let input = ConnectionInput::from_json(&Value::Object(settings).to_string()).unwrap();
        let result = serde_json::to_value(ValidationResult::from(&validate(
            &input,
            ValidateOptions::default(),
        )))
        .unwrap();
        let errors: Vec<Value> = result["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| json!([e["field"], e["code"]]))
            .collect();
        assert_eq!(Value::Array(errors), case["errors"], "{case}");
        for key in ["tokenUrl", "baseUrl", "instanceUrl"] {
            if let Some(expected) = case.get(key) {
                assert_eq!(&result["config"][key], expected, "{case}");
            }
        }
        if let Some(text) = case.get("message").and_then(Value::as_str) {
            let message = result["errors"][0]["message"].as_str().unwrap();
            assert!(message.contains(text), "{case}: {message}");
        }
    }
}

#[test]
fn api_paths_read_as_the_table_says() {
    let cases = cases();
    let instance = cases["baseSettings"]["baseUrl"].as_str().unwrap();
    let input = ConnectionInput::from_json(
        &json!({ "baseUrl": instance, "authType": "basic", "username": "u", "password": "p" })
            .to_string(),
    )
    .unwrap();
    let config = validate(&input, ValidateOptions::default()).unwrap();
    for case in cases["paths"].as_array().unwrap() {
        let path = case["path"].as_str().unwrap();
        let query = case.get("query").and_then(Value::as_str);
        let built = match case["function"].as_str().unwrap() {
            "api" => api_request_url(&config, path, query),
            _ => rest_api_url(&config, path, query),
        };
        match case["url"].as_str() {
            Some(url) => assert_eq!(built.unwrap(), url, "{case}"),
            None => {
                let error = built.unwrap_err();
                assert_eq!(error.code.as_str(), "invalid_api_request_path", "{case}");
                assert_eq!(error.field, case["field"].as_str(), "{case}");
            }
        }
    }
}
