//! Arguments from JavaScript read through serde_json within the size and depth bounds: token sets,
//! token times and code grants from arbitrary text. Must never panic; a token set that comes out has
//! an access token and reads back from its own JSON.
#![no_main]

use libfuzzer_sys::fuzz_target;
use servicenow_connection::{CodeGrant, TokenSet, TokenTimes};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(Some(tokens)) = TokenSet::from_json(&text) {
        assert!(!tokens.access_token.is_empty());
        let written = serde_json::to_string(&tokens).unwrap();
        assert_eq!(TokenSet::from_json(&written).unwrap(), Some(tokens));
    }
    let _ = TokenTimes::from_json(&text);
    let _ = CodeGrant::from_json(&text);
});
