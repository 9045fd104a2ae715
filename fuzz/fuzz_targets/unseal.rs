//! Opening arbitrary sealed values: must never panic and never open anything that was not sealed
//! under the key for the same associated data.
#![no_main]

use libfuzzer_sys::fuzz_target;
use servicenow_connection::Keyring;

const KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

fuzz_target!(|data: &[u8]| {
    let keyring = Keyring::new(KEY, &[]).unwrap();
    let text = String::from_utf8_lossy(data);
    let (aad, sealed) = text.split_once('\n').unwrap_or(("conn:field", &text));
    // A forged value must not open; a genuine one (from the corpus) opens to valid UTF-8.
    if let Ok(plain) = keyring.unseal(aad, sealed) {
        assert_eq!(keyring.unseal(aad, &keyring.seal(aad, &plain).unwrap()).unwrap(), plain);
    }
    let _ = keyring.is_current(sealed);
});
