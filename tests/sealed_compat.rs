//! Values sealed by an earlier build still open: `tests/fixtures/sealed-v1.json` holds a password, a
//! client secret, two token sets (as the worker stores them: the package's `TokenSet` as JSON text),
//! a PKCE verifier and a value under a previous key, each sealed by the build its comment names, with
//! the worker's associated data (`<connection id>:<field>`). Changing the sealed format or the token
//! set's JSON form would strand every stored connection; this test is what notices. The token sets
//! were stored before token sets named their grant: they read as authorization-code tokens.

use servicenow_connection::grant_type::GrantType;
use servicenow_connection::{Keyring, TokenSet, TokenStatus, TokenTimes, token_status};

const FIXTURE: &str = include_str!("fixtures/sealed-v1.json");

struct Sealed {
    aad: String,
    plaintext: String,
    sealed: String,
    under_previous_key: bool,
}

fn fixture() -> (Keyring, Vec<Sealed>) {
    let json: serde_json::Value = serde_json::from_str(FIXTURE).unwrap();
    let text = |value: &serde_json::Value| value.as_str().unwrap().to_owned();
    let previous: Vec<String> = json["previousSealingKeys"]
        .as_array()
        .unwrap()
        .iter()
        .map(text)
        .collect();
    let previous: Vec<&str> = previous.iter().map(String::as_str).collect();
    let keyring = Keyring::new(json["sealingKey"].as_str().unwrap(), &previous).unwrap();
    assert_eq!(
        keyring.current_key_id(),
        json["currentKeyId"].as_str().unwrap()
    );
    let values = json["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|value| Sealed {
            aad: text(&value["aad"]),
            plaintext: text(&value["plaintext"]),
            sealed: text(&value["sealed"]),
            under_previous_key: value["underPreviousKey"].as_bool().unwrap_or(false),
        })
        .collect();
    (keyring, values)
}

#[test]
fn every_sealed_value_opens_to_its_plaintext() {
    let (keyring, values) = fixture();
    assert_eq!(values.len(), 6);
    for value in &values {
        assert_eq!(
            keyring.unseal(&value.aad, &value.sealed).unwrap(),
            value.plaintext,
            "{}",
            value.aad
        );
        assert_eq!(
            keyring.is_current(&value.sealed),
            !value.under_previous_key,
            "{}",
            value.aad
        );
        // Bound to its own place: another field's associated data does not open it.
        assert!(
            keyring
                .unseal("fixture-conn-2:password", &value.sealed)
                .is_err()
        );
    }
    assert!(values.iter().any(|v| v.under_previous_key));
}

#[test]
fn stored_token_sets_read_through_the_json_reader() {
    let (keyring, values) = fixture();
    let token_sets: Vec<&Sealed> = values
        .iter()
        .filter(|v| v.aad.ends_with(":tokens"))
        .collect();
    assert_eq!(token_sets.len(), 2);
    for stored in token_sets {
        let text = keyring.unseal(&stored.aad, &stored.sealed).unwrap();
        let tokens = TokenSet::from_json(&text).unwrap().unwrap();
        assert!(
            tokens
                .access_token
                .expose()
                .starts_with("FAKE-fixture-access-token")
        );
        assert_eq!(tokens.token_type, "Bearer");
        assert_eq!(tokens.grant_type, GrantType::AuthorizationCode);
        // Written back, the token set is the same JSON text with the grant named: a store that
        // re-seals loses nothing.
        let written = serde_json::to_string(&tokens).unwrap();
        let stored_text = text.strip_suffix('}').unwrap();
        assert_eq!(
            written,
            format!("{stored_text},\"grantType\":\"authorization_code\"}}")
        );
        assert_eq!(TokenSet::from_json(&written).unwrap(), Some(tokens.clone()));
        // The times alone read too, for callers that keep tokens sealed.
        let times = TokenTimes::from_json(&text).unwrap().unwrap();
        assert_eq!(times.expires_at_ms, tokens.expires_at_ms);
        assert_eq!(times.grant_type, GrantType::AuthorizationCode);
        assert_eq!(
            times.refresh_token.is_some(),
            tokens.refresh_token.is_some()
        );
        let status = token_status(&tokens, tokens.issued_at_ms);
        let expected = if tokens.refresh_token.is_some() || tokens.expires_at_ms.is_none() {
            TokenStatus::Fresh
        } else {
            TokenStatus::Reauthorize
        };
        assert_eq!(status, expected);
    }
}
