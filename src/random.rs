//! Random bytes from the platform's CSPRNG: `crypto.getRandomValues` in browsers, workers and Node
//! (through getrandom's `wasm_js` backend), the operating system natively.

use crate::error::{Error, ErrorCode};

/// `N` random bytes, or an error when the platform offers no secure source.
pub(crate) fn random_bytes<const N: usize>() -> Result<[u8; N], Error> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|_| {
        Error::new(
            ErrorCode::RandomUnavailable,
            "This platform offers no secure random number generator (crypto.getRandomValues).",
        )
    })?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    #[test]
    fn bytes_differ_between_calls() {
        let a = super::random_bytes::<32>().unwrap();
        let b = super::random_bytes::<32>().unwrap();
        assert_ne!(a, b);
    }
}
