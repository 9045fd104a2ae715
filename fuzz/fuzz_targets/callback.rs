//! The OAuth callback's query string, the one public, unauthenticated input: must never panic, and
//! a code that comes out must be free of control characters.
#![no_main]

use libfuzzer_sys::fuzz_target;
use servicenow_connection::{Callback, parse_callback};

fuzz_target!(|data: &[u8]| {
    let query = String::from_utf8_lossy(data);
    if let Ok(Callback::Code { code, state, .. }) = parse_callback(&query) {
        assert!(!code.is_empty() && !state.is_empty());
        assert!(!code.expose().chars().any(char::is_control));
        assert!(!state.chars().any(char::is_control));
    }
});
