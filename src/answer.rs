//! Reading what an instance answers, wherever the request went (token endpoint or REST API): its
//! error JSON, its hibernation page, its rate-limit headers, and requests that got no answer.
//!
//! ServiceNow's REST errors are `{"error":{"message","detail"},"status":"failure"}`. A hibernating
//! developer instance answers its HTML wake-up page ("Your instance is hibernating") instead of JSON,
//! with any status, so it is recognised by content type plus text. Rate limits are 429 with
//! `Retry-After` in seconds, or `X-RateLimit-Reset` in epoch seconds.

use serde::Deserialize;

use crate::error::{Error, ErrorCode, server_text};
use crate::http::{HttpResponse, TransportError};
use crate::json_limits::answer_object;

#[derive(Deserialize)]
struct ErrorBody {
    error: ErrorMember,
}

#[derive(Deserialize)]
struct ErrorMember {
    message: String,
    detail: Option<String>,
}

/// `message` and `detail` of ServiceNow's error JSON, printable and shortened.
pub(crate) fn servicenow_error(body: &[u8]) -> Option<(String, Option<String>)> {
    let body: ErrorBody = answer_object(body)?;
    let detail = body
        .error
        .detail
        .map(|d| server_text(&d))
        .filter(|d| !d.is_empty());
    Some((server_text(&body.error.message), detail))
}

/// Whether the answer is the hibernating instance's HTML page.
pub fn is_hibernation_page(response: &HttpResponse) -> bool {
    const SCAN_BYTES: usize = 64 * 1024;
    const WORD: &[u8] = b"hibernating";
    let html = response.media_type().ends_with("html");
    let head = response.body.get(..SCAN_BYTES).unwrap_or(&response.body);
    html && head
        .windows(WORD.len())
        .any(|window| window.eq_ignore_ascii_case(WORD))
}

/// Seconds to wait after a 429: `Retry-After` (delta-seconds), else `X-RateLimit-Reset` (epoch seconds).
pub fn retry_after_seconds(response: &HttpResponse, now_ms: u64) -> Option<u64> {
    let number = |name: &str| response.header(name)?.trim().parse::<u64>().ok();
    number("retry-after")
        .or_else(|| number("x-ratelimit-reset").map(|reset| reset.saturating_sub(now_ms / 1000)))
}

/// The error for a request that got no answer.
pub(crate) fn transport_error(error: TransportError, target: &str, timeout_ms: u32) -> Error {
    match error {
        TransportError::Network => Error::new(
            ErrorCode::NetworkError,
            format!("Could not reach {target} (connection failed)."),
        ),
        TransportError::Timeout => Error::new(
            ErrorCode::Timeout,
            format!("No answer from {target} within {timeout_ms} ms."),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(content_type: &str, body: &str) -> HttpResponse {
        crate::test_fixtures::response(200, content_type, body)
    }

    #[test]
    fn servicenow_errors_are_read_and_cleaned() {
        let read = |body: &str| servicenow_error(body.as_bytes());
        assert_eq!(
            read(
                r#"{"error":{"message":"User Not Authenticated","detail":"Required to provide Auth information"},"status":"failure"}"#
            ),
            Some((
                "User Not Authenticated".to_owned(),
                Some("Required to provide Auth information".to_owned())
            ))
        );
        assert_eq!(
            read(r#"{"error":{"message":"a\nb","detail":null}}"#),
            Some(("a b".to_owned(), None))
        );
        for other in [
            r#"{"error":"invalid_grant"}"#,
            r#"{"error":{"detail":"x"}}"#,
            r#"{"result":[]}"#,
            "<html></html>",
        ] {
            assert_eq!(read(other), None, "{other}");
        }
    }

    #[test]
    fn hibernation_needs_html_and_the_word() {
        assert!(is_hibernation_page(&response(
            "text/html; charset=UTF-8",
            "<h1>Your instance is HIBERNATING</h1>"
        )));
        assert!(!is_hibernation_page(&response(
            "application/json",
            r#"{"result":["hibernating"]}"#
        )));
        assert!(!is_hibernation_page(&response(
            "text/html",
            "<h1>Login</h1>"
        )));
    }
}
