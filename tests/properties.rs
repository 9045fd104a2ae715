//! Property tests: the short, always-run versions of the fuzz targets in `fuzz/`. Each parser that
//! reads input from users or servers is fed arbitrary input (it must never panic and must keep its
//! invariants) and generated valid input (it must read back exactly what was written).

use proptest::prelude::*;
use servicenow_connection::{
    Callback, ConnectionInput, Grant, GrantType, HttpResponse, Keyring, Secret, TestCode, TokenSet,
    TokenStatus, ValidateOptions, basic_authorization, instance::classify_test_response,
    oauth::token::parse_token_response, parse_callback, token_status, token_summary, validate,
};

const KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
const FIELDS: [&str; 17] = [
    "baseUrl",
    "authType",
    "grantType",
    "username",
    "password",
    "clientId",
    "clientSecret",
    "authorizationUrl",
    "tokenUrl",
    "clientAuthentication",
    "jwtSubject",
    "privateKey",
    "jwtAlgorithm",
    "jwtKeyId",
    "jwtAudience",
    "refreshTokenLifetimeSeconds",
    "timeoutMs",
];

fn config() -> servicenow_connection::ConnectionConfig {
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
}

/// A JSON string literal for `text`.
fn json_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn optional_text() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        Just(None),
        any::<String>().prop_map(Some),
        "[ -~]{0,40}".prop_map(Some),
        prop::sample::select(vec![
            "https://dev1.service-now.com/api/now/v2",
            "http://127.0.0.1:8080/api/now",
            "https://[::1]:8443/api/now/v1/",
            "basic",
            "oauth2",
            "client_secret_basic",
        ])
        .prop_map(|s| Some(s.to_owned())),
    ]
}

fn host_label() -> impl Strategy<Value = String> {
    "[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?"
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// Validation never panics, names only known fields, and never echoes a secret.
    #[test]
    fn config_validation_is_total(
        base_url in optional_text(),
        auth_type in optional_text(),
        username in optional_text(),
        client_id in optional_text(),
        authorization_url in optional_text(),
        token_url in optional_text(),
        client_authentication in optional_text(),
        lifetime in prop::option::of(any::<f64>()),
        timeout in prop::option::of(any::<f64>()),
        allow in any::<bool>(),
        grant in (0..6usize, optional_text()),
        jwt in (optional_text(), optional_text(), optional_text(), optional_text()),
    ) {
        let grant_type = match grant.0 {
            0 => Some("client_credentials".to_owned()),
            1 => Some("jwt_bearer".to_owned()),
            2 => Some("password".to_owned()),
            3 => None,
            _ => grant.1,
        };
        let (jwt_subject, jwt_algorithm, jwt_key_id, jwt_audience) = jwt;
        let input = ConnectionInput {
            base_url, auth_type, username, client_id, authorization_url, token_url,
            client_authentication, grant_type, jwt_subject, jwt_algorithm, jwt_key_id, jwt_audience,
            password: Some(Secret::new("SECRET-pw-Zq81")),
            client_secret: Some(Secret::new("SECRET-cs-Zq81")),
            private_key: Some(Secret::new("-----BEGIN PRIVATE KEY-----\nSECRET-pk-Zq81\n-----END PRIVATE KEY-----")),
            refresh_token_lifetime_seconds: lifetime,
            timeout_ms: timeout,
            allow_insecure_loopback: allow,
            ..ConnectionInput::default()
        };
        match validate(&input, ValidateOptions::default()) {
            Ok(config) => {
                prop_assert!(config.base_url.starts_with("https://") || (allow && config.base_url.starts_with("http://")));
                prop_assert!(config.base_url.ends_with(config.api_path));
                prop_assert!(!config.base_url.contains(['?', '#', '@']));
            }
            Err(errors) => {
                prop_assert!(!errors.is_empty());
                for error in &errors {
                    prop_assert!(FIELDS.contains(&error.field), "{}", error.field);
                    prop_assert!(!error.message.contains("SECRET-"));
                }
            }
        }
    }

    /// Settings JSON with members of any type reads without failing: a string member is kept, any
    /// other type is one more field error, and validation then reports only known fields.
    #[test]
    fn settings_json_reads_members_of_any_type(
        values in prop::collection::vec(prop_oneof![
            any::<String>().prop_map(|s| json_string(&s)),
            any::<i32>().prop_map(|n| n.to_string()),
            any::<bool>().prop_map(|b| b.to_string()),
            Just("null".to_owned()),
            Just("[1,{\"a\":[]}]".to_owned()),
            Just("{\"x\":\"y\"}".to_owned()),
        ], FIELDS.len()),
    ) {
        let members: Vec<String> = FIELDS.iter().zip(&values).map(|(field, value)| format!("\"{field}\":{value}")).collect();
        let text = format!("{{{}}}", members.join(","));
        let input = ConnectionInput::from_json(&text).unwrap();
        for (field, value) in FIELDS.iter().zip(&values) {
            let numeric = matches!(*field, "refreshTokenLifetimeSeconds" | "timeoutMs");
            let expected_wrong = match value.as_bytes().first() {
                Some(b'"') => numeric,
                Some(b'n') => false,
                Some(b'-' | b'0'..=b'9') => !numeric,
                _ => true,
            };
            prop_assert_eq!(input.wrong_types.contains(field), expected_wrong, "{} = {}", field, value);
        }
        if let Err(errors) = validate(&input, ValidateOptions::default()) {
            for error in &errors {
                prop_assert!(FIELDS.contains(&error.field), "{}", error.field);
            }
        }
    }

    /// Base URLs assembled from valid parts validate, and their normal form is a fixed point.
    #[test]
    fn valid_base_urls_normalise_idempotently(
        labels in prop::collection::vec(host_label(), 1..4),
        port in prop::option::of(1u16..),
        path in prop::sample::select(vec!["/api/now", "/api/now/", "/api/now/v1", "/api/now/v2/"]),
        upper in any::<bool>(),
    ) {
        let mut host = labels.join(".");
        host.push_str(".example");
        if upper { host = host.to_uppercase(); }
        let url = match port { Some(p) => format!("https://{host}:{p}{path}"), None => format!("https://{host}{path}") };
        let input = |base_url: String| ConnectionInput {
            base_url: Some(base_url),
            auth_type: Some("basic".to_owned()),
            username: Some("u".to_owned()),
            password: Some(Secret::new("p")),
            ..ConnectionInput::default()
        };
        let config = validate(&input(url), ValidateOptions::default()).unwrap();
        let again = validate(&input(config.base_url.clone()), ValidateOptions::default()).unwrap();
        prop_assert_eq!(&config.base_url, &again.base_url);
        prop_assert!(!config.base_url.ends_with('/'));
        prop_assert_eq!(config.base_url.to_lowercase(), config.base_url.clone());
    }

    /// Any answer from a token endpoint is read without panicking; a token that comes out is usable.
    #[test]
    fn token_parsing_is_total(
        status in prop_oneof![Just(200u16), Just(400u16), Just(401u16), Just(429u16), Just(503u16), any::<u16>()],
        content_type in prop::sample::select(vec!["application/json", "text/html", ""]),
        body in prop_oneof![
            prop::collection::vec(any::<u8>(), 0..200),
            any::<String>().prop_map(String::into_bytes),
            "\\{(\"[a-z_]{1,13}\":(\"[ -~]{0,20}\"|[0-9]{1,12}|null|\\[\\]|\\{\\}),?){0,6}\\}".prop_map(String::into_bytes),
        ],
        refresh in any::<bool>(),
    ) {
        let response = HttpResponse {
            status,
            headers: vec![("content-type".to_owned(), content_type.to_owned())],
            body,
        };
        let grant = if refresh { Grant::RefreshToken } else { Grant::AuthorizationCode };
        if let Ok(tokens) = parse_token_response(&response, grant, 1_000, 60, None) {
            prop_assert!((200..300).contains(&status));
            prop_assert!(!tokens.access_token.is_empty());
            prop_assert!(!tokens.access_token.expose().chars().any(char::is_control));
            prop_assert_eq!(tokens.token_type.as_str(), "Bearer");
        }
    }

    /// Token responses written with arbitrary values read back exactly.
    #[test]
    fn token_responses_round_trip(
        access in "[!-~]{1,60}",
        refresh in prop::option::of("[!-~]{1,60}"),
        scope in prop::option::of("[ -~]{0,30}"),
        expires_in in prop::option::of(0u64..10_000_000),
        as_string in any::<bool>(),
        token_type in prop::sample::select(vec!["Bearer", "bearer", "BEARER"]),
    ) {
        let mut members = vec![
            format!("\"access_token\":{}", json_string(&access)),
            format!("\"token_type\":\"{token_type}\""),
            "\"unknown\":[1,{\"x\":null}]".to_owned(),
        ];
        if let Some(r) = &refresh { members.push(format!("\"refresh_token\":{}", json_string(r))); }
        if let Some(s) = &scope { members.push(format!("\"scope\":{}", json_string(s))); }
        if let Some(e) = expires_in {
            members.push(if as_string { format!("\"expires_in\":\"{e}\"") } else { format!("\"expires_in\":{e}") });
        }
        let response = HttpResponse { status: 200, headers: vec![], body: format!("{{{}}}", members.join(",")).into_bytes() };
        let tokens = parse_token_response(&response, Grant::AuthorizationCode, 5_000, 100, None).unwrap();
        prop_assert_eq!(tokens.access_token.expose(), access.as_str());
        prop_assert_eq!(tokens.refresh_token.as_ref().map(|t| t.expose().to_owned()), refresh.clone());
        prop_assert_eq!(tokens.expires_at_ms, expires_in.map(|e| 5_000 + e * 1000));
        prop_assert_eq!(tokens.refresh_expires_at_ms, refresh.map(|_| 5_000 + 100_000));
        prop_assert_eq!(tokens.scope.map(|s| s.trim().to_owned()), scope.map(|s| s.trim().to_owned()));
    }

    /// Any answer to Test Connection is classified, and ServiceNow's error message is shown.
    #[test]
    fn test_classification_is_total(
        status in any::<u16>(),
        html in any::<bool>(),
        body in prop::collection::vec(any::<u8>(), 0..300),
        message in "[A-Za-z ]{1,40}",
    ) {
        let content_type = if html { "text/html" } else { "application/json" };
        let config = config();
        let arbitrary = HttpResponse { status, headers: vec![("content-type".to_owned(), content_type.to_owned())], body };
        let result = classify_test_response(&config, &arbitrary, 0);
        prop_assert_eq!(result.ok, result.code == TestCode::Ok);
        prop_assert_eq!(result.status, Some(status));
        let error = HttpResponse {
            status: 403,
            headers: vec![("content-type".to_owned(), "application/json".to_owned())],
            body: format!("{{\"error\":{{\"message\":{},\"detail\":null}},\"status\":\"failure\"}}", json_string(&message)).into_bytes(),
        };
        let result = classify_test_response(&config, &error, 0);
        prop_assert_eq!(result.code, TestCode::Forbidden);
        prop_assert!(result.message.contains(message.trim()));
    }

    /// Callback queries written from any code and state read back exactly; any query is total.
    #[test]
    fn callbacks_round_trip(code in "[^\\x00-\\x1f\\x7f-\\x9f]{1,80}", state in "[^\\x00-\\x1f\\x7f-\\x9f]{1,80}", noise in any::<String>()) {
        let query: String = form_urlencoded::Serializer::new(String::new())
            .append_pair("state", &state)
            .append_pair("code", &code)
            .append_pair("session_state", "x")
            .finish();
        match parse_callback(&query).unwrap() {
            Callback::Code { code: c, state: s, .. } => {
                prop_assert_eq!(c.expose(), code.as_str());
                prop_assert_eq!(s, state);
            }
            other => prop_assert!(false, "{other:?}"),
        }
        let _ = parse_callback(&noise);
    }

    /// Sealed values open to exactly what was sealed; anything else fails cleanly.
    #[test]
    fn sealing_round_trips_and_rejects_changes(
        aad in any::<String>(),
        plaintext in any::<String>(),
        position in any::<prop::sample::Index>(),
        replacement in "[A-Za-z0-9_.-]",
        noise in any::<String>(),
    ) {
        let keyring = Keyring::new(KEY, &[]).unwrap();
        let sealed = keyring.seal(&aad, &plaintext).unwrap();
        prop_assert_eq!(keyring.unseal(&aad, &sealed).unwrap(), plaintext.clone());
        let index = position.index(sealed.len());
        let mut changed = sealed.clone();
        changed.replace_range(index..=index, &replacement);
        if changed != sealed {
            // Base64url has spare bits in its last character, so a change there can decode to the
            // same bytes; every other change must fail.
            if let Ok(opened) = keyring.unseal(&aad, &changed) {
                prop_assert_eq!(opened, plaintext);
                prop_assert_eq!(index, sealed.len() - 1);
            }
        }
        prop_assert!(keyring.unseal(&aad, &noise).is_err());
        let other_aad = format!("{aad}x");
        prop_assert!(keyring.unseal(&other_aad, &sealed).is_err());
    }

    /// Basic credentials decode to exactly the user name and password.
    #[test]
    fn basic_headers_round_trip(username in "[^:\\x00-\\x1f\\x7f-\\x9f]{1,40}", password in "[^\\x00-\\x1f\\x7f-\\x9f]{0,40}") {
        use base64::Engine as _;
        let header = basic_authorization(&username, &password).unwrap();
        let encoded = header.strip_prefix("Basic ").unwrap();
        let decoded = String::from_utf8(base64::engine::general_purpose::STANDARD.decode(encoded).unwrap()).unwrap();
        prop_assert_eq!(decoded, format!("{username}:{password}"));
    }

    /// Tokens of a grant that needs no person are renewed, never sent back to a person, whatever
    /// their times; a code-grant token needs a person only without a live refresh token.
    #[test]
    fn only_the_code_grant_needs_a_person(
        issued in 0u64..4_000_000_000_000,
        lifetime in prop::option::of(0u64..100_000_000),
        refresh in prop::option::of(prop::option::of(0u64..8_000_000_000_000)),
        now in 0u64..8_000_000_000_000,
        grant in 0..4usize,
    ) {
        let grant_type = GrantType::ALL[grant];
        let tokens = TokenSet {
            access_token: Secret::new("a"),
            refresh_token: refresh.map(|_| Secret::new("r")),
            token_type: "Bearer".to_owned(),
            scope: None,
            issued_at_ms: issued,
            expires_at_ms: lifetime.map(|l| issued + l),
            refresh_expires_at_ms: refresh.flatten(),
            grant_type,
        };
        let status = token_status(&tokens, now);
        let refresh_alive = tokens.refresh_token.is_some()
            && tokens.refresh_expires_at_ms.is_none_or(|at| now < at);
        if status == TokenStatus::Reauthorize {
            prop_assert!(grant_type.is_interactive() && !refresh_alive);
        }
        let summary = token_summary(&tokens, now);
        prop_assert_eq!(summary.grant_type, grant_type);
        prop_assert!(!summary.refresh_expiring_soon || grant_type.is_interactive());
    }
}
