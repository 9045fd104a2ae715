//! Requests and responses as plain data, and the one seam through which they travel.
//!
//! The core builds every request as an [`HttpRequest`] and reads every answer from an [`HttpResponse`];
//! sending is the job of an [`HttpClient`]: in the JavaScript package, `fetch` (the global one through
//! gloo-net, or one the caller injects), natively a closure that asserts what it receives and
//! fabricates the answer. Clients never follow redirects (a token request must not be replayed, with
//! its secrets, to wherever a redirect points) and give up after the request's time limit, body
//! included. The trait has no `Send` bound because neither wasm nor a single-threaded test needs one.

use core::future::Future;

use serde::Serialize;
use tsify::Tsify;

/// An HTTP method the crate uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Tsify)]
#[serde(rename_all = "UPPERCASE")]
pub enum Method {
    /// `GET`
    Get,
    /// `POST`
    Post,
}

impl Method {
    /// The method's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Post => "POST",
        }
    }
}

/// A request to send: for the request halves of the JavaScript API, `HttpRequestData`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Tsify)]
#[serde(rename_all = "camelCase")]
#[tsify(rename = "HttpRequestData")]
pub struct HttpRequest {
    /// The method.
    pub method: Method,
    /// The absolute URL.
    pub url: String,
    /// Header names and values, in order.
    pub headers: Vec<(String, String)>,
    /// The body, for `POST`.
    pub body: Option<String>,
    /// Time limit for the whole exchange, body included, in milliseconds: abort after it.
    pub timeout_ms: u32,
}

impl HttpRequest {
    /// The first value of a header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }
}

/// An answer.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HttpResponse {
    /// The status code. A redirect that was not followed shows as its 3xx status (or 0 in browsers,
    /// which hide opaque redirects).
    pub status: u16,
    /// Header names and values.
    pub headers: Vec<(String, String)>,
    /// The body as received.
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// The first value of a header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }

    /// The media type without parameters, lower-case (`application/json`).
    pub fn media_type(&self) -> String {
        self.header("content-type")
            .and_then(|value| value.split(';').next())
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase()
    }
}

fn find_header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case(name))
        .map(|(_, value)| value.as_str())
}

/// Why no answer came back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TransportError {
    /// The connection failed (DNS, refused, reset, TLS, CORS in browsers).
    Network,
    /// The time limit passed.
    Timeout,
}

/// Sends requests. Closures `Fn(HttpRequest) -> impl Future<Output = Result<HttpResponse, TransportError>>`
/// implement it.
pub trait HttpClient {
    /// Sends one request and returns its answer.
    fn send(
        &self,
        request: HttpRequest,
    ) -> impl Future<Output = Result<HttpResponse, TransportError>>;
}

impl<F, Fut> HttpClient for F
where
    F: Fn(HttpRequest) -> Fut,
    Fut: Future<Output = Result<HttpResponse, TransportError>>,
{
    fn send(
        &self,
        request: HttpRequest,
    ) -> impl Future<Output = Result<HttpResponse, TransportError>> {
        self(request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_found_case_insensitively() {
        let response = HttpResponse {
            status: 200,
            headers: vec![(
                "Content-Type".to_owned(),
                "Application/JSON; charset=UTF-8".to_owned(),
            )],
            body: Vec::new(),
        };
        assert_eq!(
            response.header("content-type"),
            Some("Application/JSON; charset=UTF-8")
        );
        assert_eq!(response.media_type(), "application/json");
        assert_eq!(HttpResponse::default().media_type(), "");
        assert_eq!(Method::Post.as_str(), "POST");
        assert_eq!(Method::Get.as_str(), "GET");
    }

    #[test]
    fn closures_are_clients() {
        let client = |request: HttpRequest| async move {
            assert_eq!(request.header("ACCEPT"), Some("application/json"));
            Ok(HttpResponse {
                status: 204,
                ..HttpResponse::default()
            })
        };
        let request = HttpRequest {
            method: Method::Get,
            url: "https://a.example/".to_owned(),
            headers: vec![("Accept".to_owned(), "application/json".to_owned())],
            body: None,
            timeout_ms: 1000,
        };
        let response = pollster::block_on(client.send(request)).unwrap();
        assert_eq!(response.status, 204);
    }
}
